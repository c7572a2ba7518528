/* linux.sysctl: only keys that belong to a namespace the container has. */
#ifndef CFS_SYSCTL_H
#define CFS_SYSCTL_H

#include "error.h"
#include "namespaces.h"
#include "oci-spec.h"

/* Pure: each key is namespaced by a namespace in the plan (net.* by the
   network namespace, IPC keys by the ipc namespace, ...), as runc checks. */
int sysctl_validate (const struct oci_linux *linux_cfg, const struct ns_plan *ns, struct cfs_error **err);

/* Write them through the container's /proc (verified to be procfs). */
int sysctl_apply (int rootfd, const struct oci_linux *linux_cfg, struct cfs_error **err);

#endif
