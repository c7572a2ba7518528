/* The container's root: its propagation, making it a mount point, and
   switching to it with pivot_root (or chroot with --no-pivot).  */
#ifndef CFS_ROOTFS_H
#define CFS_ROOTFS_H

#include <stdbool.h>

#include "error.h"
#include "oci-spec.h"

/* Make / rslave in the new mount namespace, so nothing mounted in the
   container reaches the host, then bind the rootfs onto itself and return
   an O_PATH fd of that mount.  */
int rootfs_prepare (const char *rootfs, int *ret_rootfd, struct cfs_error **err);

/* Pure: linux.rootfsPropagation to MS_* (0 when absent). */
int rootfs_propagation (const char *propagation, unsigned long *ret, struct cfs_error **err);

/* Make the rootfs the root of the mount namespace, detach the old root, and
   give / the propagation linux.rootfsPropagation asks for.  */
int rootfs_pivot (int rootfd, const char *rootfs, bool no_pivot, const char *propagation,
                  struct cfs_error **err);

/* root.readonly: remount / read-only, after pivot. */
int rootfs_make_readonly (struct cfs_error **err);

#endif
