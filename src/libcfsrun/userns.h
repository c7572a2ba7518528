/* User namespace id mappings (linux.uidMappings / gidMappings). */
#ifndef CFS_USERNS_H
#define CFS_USERNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "oci-spec.h"

/* Pure: mappings present when a new user namespace is made, sizes > 0, no
   two ranges overlapping on either side.  */
int userns_validate (const struct oci_linux *linux_cfg, struct cfs_error **err);

/* Parent: write /proc/PID/uid_map and gid_map of the child. */
int userns_write_maps (pid_t pid, const struct oci_linux *linux_cfg, struct cfs_error **err);

/* True unless the caller is root of the initial user namespace: an ordinary
   user, or root of a user namespace such as rootless Podman's, whose root
   owns nothing of the host (cgroups, /run).  RET_HOST_UID, when not NULL,
   is the caller's uid as the parent user namespace sees it.  */
bool userns_rootless (uid_t *ret_host_uid);

#endif
