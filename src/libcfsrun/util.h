/* Small helpers shared by every file of the runtime library: cleanup
   attributes, ownership transfer, and I/O that retries on EINTR.  */
#ifndef CFS_UTIL_H
#define CFS_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "error.h"

#define _cleanup_(f) __attribute__ ((cleanup (f)))

static inline void
freep (void *p)
{
  free (*(void **)p);
}

static inline void
closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;

      close (*fd);
      errno = saved;
    }
}

static inline void
fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
}

#define _cleanup_free_   _cleanup_ (freep)
#define _cleanup_close_  _cleanup_ (closep)
#define _cleanup_fclose_ _cleanup_ (fclosep)

/* Hand ownership over: returns the value and leaves the sentinel behind.
   The type check makes TAKE_PTR fail to compile on a non-pointer.  */
#define TAKE_PTR(p)                                                                                          \
  ({                                                                                                         \
    __typeof__ (p) *_pp = &(p);                                                                              \
    __typeof__ (p) _v = *_pp;                                                                                \
    (void)sizeof (*_v);                                                                                      \
    *_pp = NULL;                                                                                             \
    _v;                                                                                                      \
  })
#define TAKE_FD(fd)                                                                                          \
  ({                                                                                                         \
    int *_pfd = &(fd);                                                                                       \
    int _v = *_pfd;                                                                                          \
    *_pfd = -1;                                                                                              \
    _v;                                                                                                      \
  })

#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

/* Per-type cleanup for types whose destructor returns NULL. */
#define DEFINE_CLEANUP_FUNC(type, fn)                                                                        \
  static inline void fn##p (type **p)                                                                        \
  {                                                                                                          \
    if (*p)                                                                                                  \
      *p = fn (*p);                                                                                          \
  }

DEFINE_CLEANUP_FUNC (struct cfs_error, cfs_error_free)
#define _cleanup_error_ _cleanup_ (cfs_error_freep)

int util_write_all (int fd, const void *buf, size_t len);
ssize_t util_read_all (int fd, void *buf, size_t len);

/* Read a whole file (NUL-terminated) relative to DIRFD.  */
int util_read_file_at (int dirfd, const char *path, char **ret, size_t *ret_len, struct cfs_error **err);
int util_read_fd (int fd, const char *what, char **ret, size_t *ret_len, struct cfs_error **err);

/* Write a file by writing a temporary and renaming it over, so readers see
   either the old or the new content, never a torn one.  */
int util_write_file_atomic_at (int dirfd, const char *name, const char *data, size_t len,
                               struct cfs_error **err);

/* Write a small value to a file that exists (procfs, sysfs, cgroupfs). */
int util_write_file_at (int dirfd, const char *path, const char *data, size_t len, struct cfs_error **err);

/* --pid-file: the pid, written atomically (tmp file and rename). */
int util_write_pid_file (const char *path, pid_t pid, struct cfs_error **err);

/* Monotonic time in nanoseconds. */
uint64_t util_now_ns (void);

/* RFC 3339 UTC timestamp with nanoseconds, as runc writes `created`: of
   now, or (pure) of TS.  */
int util_rfc3339_now (char *buf, size_t size);
int util_rfc3339 (const struct timespec *ts, char *buf, size_t size);

bool util_str_has_prefix (const char *s, const char *prefix);

/* Whether WORD is one of the tokens of LIST, which any of SEPS separate
   (a mount's options, a cgroup's controllers).  */
bool util_token_in (const char *list, const char *seps, const char *word);

/* Open PATH ("/proc/...") with FLAGS, only as a file of the procfs mounted
   at /proc: resolved without crossing a mount or following a magic link,
   and checked to be on procfs, so nothing bind-mounted over /proc or one
   of its files can take the write (the 2025 runc procfs CVEs).  -1 and
   errno otherwise (EXDEV for a file not on procfs).  */
int util_open_proc (const char *path, int flags);

/* util_write_file_at for such a file. */
int util_write_proc (const char *path, const char *data, size_t len, struct cfs_error **err);

/* The name /proc/devices gives char (or BLOCK) major MAJOR. */
bool util_proc_devices_name (bool block, int major, char *buf, size_t size);

/* A connected SOCK_STREAM unix socket to PATH (close-on-exec); -errno. */
int util_unix_connect (const char *path, int *ret_fd);

/* Send FD with SCM_RIGHTS on unix socket SOCK, with LEN bytes of DATA. */
int util_send_fd (int sock, int fd, const void *data, size_t len);

/* Make every inherited fd >= FROM close on exec. */
int util_cloexec_from (int from);

#endif
