/* The container's root: its propagation, making it a mount point, and
   switching to it with pivot_root (or chroot with --no-pivot).  */
#ifndef CFS_ROOTFS_H
#define CFS_ROOTFS_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "oci-spec.h"

/* Make / rslave in the new mount namespace, so nothing mounted in the
   container reaches the host, then bind the rootfs onto itself and return
   an O_PATH fd of that mount.  HOST_MNTNS (no mount namespace in the
   config): leave / alone and make only our bind private.  */
int rootfs_prepare (const char *rootfs, bool host_mntns, int *ret_rootfd, struct cfs_error **err);

/* Pure: linux.rootfsPropagation to MS_* (0 when absent). */
int rootfs_propagation (const char *propagation, unsigned long *ret, struct cfs_error **err);

/* Make the rootfs the root of the mount namespace, detach the old root, and
   give / the propagation linux.rootfsPropagation asks for.  */
int rootfs_pivot (int rootfd, const char *rootfs, bool no_pivot, bool host_mntns, const char *propagation,
                  struct cfs_error **err);

/* The id of the mount at PATH (statx STATX_MNT_ID), 0 when unknown. */
uint64_t rootfs_mount_id (const char *path);

/* Without a mount namespace the rootfs mounts live in the host's: detach
   our bind of the rootfs (and all under it) if it is still the mount at
   ROOTFS, as MOUNT_ID says.  */
void rootfs_detach_host_mounts (const char *rootfs, uint64_t mount_id);

/* root.readonly: remount / read-only, after pivot. */
int rootfs_make_readonly (struct cfs_error **err);

#endif
