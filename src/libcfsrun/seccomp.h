/* linux.seccomp through libseccomp.  The filter is built in the parent at
   validation time (so a bad profile fails before anything is made, and the
   container process allocates nothing for it) and loaded in the child.  */
#ifndef CFS_SECCOMP_H
#define CFS_SECCOMP_H

#include <stdbool.h>

#include "error.h"
#include "oci-spec.h"

struct seccomp_plan;

/* Build the filter; *RET is NULL when the config has no linux.seccomp. */
int seccomp_plan_build (const struct oci_seccomp *s, struct seccomp_plan **ret, struct cfs_error **err);

/* Load it into the calling process. */
int seccomp_plan_load (struct seccomp_plan *p, struct cfs_error **err);

/* The action and operator names this build accepts, for `features`. */
size_t seccomp_operator_names (const char **names, size_t max);

/* SCMP_ACT_NOTIFY: after load, send the notification fd and the
   containerProcessState JSON to the listener's socket SOCK.  */
bool seccomp_plan_notifies (const struct seccomp_plan *p);
int seccomp_plan_send_listener (struct seccomp_plan *p, int sock, const char *process_state,
                                struct cfs_error **err);

struct seccomp_plan *seccomp_plan_free (struct seccomp_plan *p);

#endif
