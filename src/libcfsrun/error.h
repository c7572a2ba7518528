/* One error type, carried up from where a failure happens to the single place
   that prints it (src/main.c).  Library code never prints errors.

   A fallible function returns int: >= 0 on success, -errno on failure, and
   takes `struct cfs_error **err` as its last parameter.  cfs_fail() builds
   the error and returns the negative value, so a failure is one statement:

       if (mkdir (path, 0700) < 0)
         return cfs_fail (err, CFS_E_STATE, errno, path, "create state directory");
 */
#ifndef CFS_ERROR_H
#define CFS_ERROR_H

#include <stdbool.h>
#include <stddef.h>

/* Stable codes: tools may match on these names; never renumber or rename. */
#define CFS_ERROR_CODES(X)                                                                                   \
  X (CFS_E_INTERNAL, "INTERNAL")                                                                             \
  X (CFS_E_USAGE, "USAGE")                                                                                   \
  X (CFS_E_CONFIG_INVALID, "CONFIG_INVALID")                                                                 \
  X (CFS_E_CONFIG_UNSUPPORTED, "CONFIG_UNSUPPORTED")                                                         \
  X (CFS_E_BUNDLE_MISSING, "BUNDLE_MISSING")                                                                 \
  X (CFS_E_ROOTFS_MISSING, "ROOTFS_MISSING")                                                                 \
  X (CFS_E_ID_INVALID, "ID_INVALID")                                                                         \
  X (CFS_E_CONTAINER_EXISTS, "CONTAINER_EXISTS")                                                             \
  X (CFS_E_CONTAINER_NOT_FOUND, "CONTAINER_NOT_FOUND")                                                       \
  X (CFS_E_CONTAINER_STATE, "CONTAINER_STATE")                                                               \
  X (CFS_E_STATE_STORE, "STATE_STORE")                                                                       \
  X (CFS_E_SIGNAL_INVALID, "SIGNAL_INVALID")                                                                 \
  X (CFS_E_NAMESPACE, "NAMESPACE")                                                                           \
  X (CFS_E_MOUNT, "MOUNT")                                                                                   \
  X (CFS_E_DEVICE, "DEVICE")                                                                                 \
  X (CFS_E_PIVOT_ROOT, "PIVOT_ROOT")                                                                         \
  X (CFS_E_PROCESS, "PROCESS")                                                                               \
  X (CFS_E_USER, "USER")                                                                                     \
  X (CFS_E_CAPABILITIES, "CAPABILITIES")                                                                     \
  X (CFS_E_RLIMIT, "RLIMIT")                                                                                 \
  X (CFS_E_RLIMIT_ABOVE_HARD, "RLIMIT_ABOVE_HARD")                                                           \
  X (CFS_E_EXEC_NOT_FOUND, "EXEC_NOT_FOUND")                                                                 \
  X (CFS_E_EXEC_PERMISSION, "EXEC_PERMISSION")                                                               \
  X (CFS_E_EXEC_INTERPRETER_MISSING, "EXEC_INTERPRETER_MISSING")                                             \
  X (CFS_E_EXEC_FORMAT, "EXEC_FORMAT")                                                                       \
  X (CFS_E_EXEC_CRLF_SHEBANG, "EXEC_CRLF_SHEBANG")                                                           \
  X (CFS_E_EXEC, "EXEC")                                                                                     \
  X (CFS_E_CGROUP, "CGROUP")                                                                                 \
  X (CFS_E_CGROUP_NOT_DELEGATED, "CGROUP_NOT_DELEGATED")                                                     \
  X (CFS_E_SYSTEMD, "SYSTEMD")                                                                               \
  X (CFS_E_HOOK_FAILED, "HOOK_FAILED")                                                                       \
  X (CFS_E_HOOK_TIMEOUT, "HOOK_TIMEOUT")                                                                     \
  X (CFS_E_SYNC, "SYNC")                                                                                     \
  X (CFS_E_TIMEOUT, "TIMEOUT")                                                                               \
  X (CFS_E_SYSTEM, "SYSTEM")                                                                                 \
  X (CFS_E_INIT_OOM_KILLED, "INIT_OOM_KILLED")

#define CFS_ERROR_ENUM(name, str) name,
enum cfs_code
{
  CFS_ERROR_CODES (CFS_ERROR_ENUM) CFS_E_MAX,
};
#undef CFS_ERROR_ENUM

struct cfs_error
{
  enum cfs_code code;
  int errnum; /* positive errno; 0 when there is none to print */
  char *path; /* the path or config field concerned, or NULL */
  char *msg;  /* the message, with context added in front by cfs_wrap */
};

/* Sets *err (if err and *err is NULL) and returns -errnum, or -EINVAL when
   errnum is 0.  PATH may be NULL.  */
int cfs_fail (struct cfs_error **err, enum cfs_code code, int errnum, const char *path, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));

/* Adds context in front of an existing error's message: "CONTEXT: msg".
   Returns the error's negative value, for `return cfs_wrap (...)`.  */
int cfs_wrap (struct cfs_error **err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* The full text for the user: msg, then `path` if not already in it, then
   strerror when there is an errno.  Caller frees.  */
char *cfs_error_text (const struct cfs_error *e);

const char *cfs_code_name (enum cfs_code code);
int cfs_error_value (const struct cfs_error *e);
struct cfs_error *cfs_error_free (struct cfs_error *e);

/* Flat form for sending an error from the container child to the parent. */
int cfs_error_serialize (const struct cfs_error *e, char **ret_buf, size_t *ret_len);
struct cfs_error *cfs_error_deserialize (const char *buf, size_t len);

#endif
