/* The container process's own attributes: user and groups, umask, cwd,
   no_new_privs, and finding and running the program.  */
#ifndef CFS_PROCESS_H
#define CFS_PROCESS_H

#include "caps.h"
#include "error.h"
#include "oci-spec.h"
#include "seccomp.h"

/* Everything of process P up to exec, in the order the kernel needs:
   rlimits, bounding set, seccomp (when no_new_privs is off: loading needs
   CAP_SYS_ADMIN then), user, capability sets, no_new_privs, cwd, and the
   executable, found and checked.  CAPS NULL: leave capabilities alone.  */
int process_setup (const struct oci_process *p, const struct caps_plan *caps, struct seccomp_plan *seccomp,
                   char **ret_exec_path, struct cfs_error **err);

/* With no_new_privs the filter loads last, so our own set-up is not filtered. */
int process_seccomp_last (const struct oci_process *p, struct seccomp_plan *seccomp, struct cfs_error **err);

/* Switch to process.user (groups, gid, uid), keeping capabilities so
   caps_apply_sets can set them afterwards.  */
int process_set_user (const struct oci_process *p, struct cfs_error **err);

int process_set_cwd (const struct oci_process *p, struct cfs_error **err);
int process_set_no_new_privileges (const struct oci_process *p, struct cfs_error **err);

/* Find args[0] in the container (PATH from process.env), checking that it
   can be run, and say why not: missing, not executable, missing ELF
   interpreter, a `#!` line ending in CR, another architecture.  */
int process_find_executable (const struct oci_process *p, char **ret_path, struct cfs_error **err);

/* Diagnose an execve failure ERRNUM of PATH: an error with the precise code. */
int process_exec_error (const char *path, int errnum, struct cfs_error **err);

/* execve; returns only on failure.  */
int process_exec (const struct oci_process *p, const char *path, struct cfs_error **err);

#endif
