#include "rootfs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>

#include "mounts.h"
#include "util.h"

int
rootfs_propagation (const char *propagation, unsigned long *ret, struct cfs_error **err)
{
  *ret = 0;
  if (propagation == NULL || propagation[0] == '\0')
    return 0;
  *ret = mounts_propagation_flag (propagation);
  if (*ret == 0)
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "linux.rootfsPropagation",
                     "config.json: linux.rootfsPropagation: `%s` is not a propagation type", propagation);
  return 0;
}

int
rootfs_prepare (const char *rootfs, bool host_mntns, int *ret_rootfd, struct cfs_error **err)
{
  int fd;

  if (!host_mntns && mount (NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, "/", "make the mount namespace a slave of the host's");
  /* pivot_root needs the new root to be a mount point. */
  if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, rootfs, "bind mount the rootfs onto itself");
  /* In the host's namespace, nothing under the rootfs may reach its peers. */
  if (host_mntns && mount (NULL, rootfs, NULL, MS_PRIVATE | MS_REC, NULL) < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, rootfs, "make the rootfs mount private");
  fd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, rootfs, "open the rootfs");
  *ret_rootfd = fd;
  return 0;
}

static int
do_pivot (int rootfd, const char *rootfs, struct cfs_error **err)
{
  /* pivot_root(".", "."): the old root ends up stacked under the new one at
     "/", from where it is detached; no directory for it is needed.  */
  if (fchdir (rootfd) < 0)
    return cfs_fail (err, CFS_E_PIVOT_ROOT, errno, rootfs, "enter the rootfs");
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return cfs_fail (err, CFS_E_PIVOT_ROOT, errno, rootfs, "pivot_root to");
  /* Keep the unmount of the old root from propagating to the host. */
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return cfs_fail (err, CFS_E_PIVOT_ROOT, errno, "/", "make the old root a slave");
  if (umount2 (".", MNT_DETACH) < 0)
    return cfs_fail (err, CFS_E_PIVOT_ROOT, errno, "/", "detach the old root");
  return 0;
}

static int
do_chroot (int rootfd, const char *rootfs, struct cfs_error **err)
{
  /* --no-pivot: move the rootfs over / and chroot, for ramfs roots where
     pivot_root is not possible.  */
  if (fchdir (rootfd) < 0)
    return cfs_fail (err, CFS_E_PIVOT_ROOT, errno, rootfs, "enter the rootfs");
  if (mount (".", "/", NULL, MS_MOVE, NULL) < 0)
    return cfs_fail (err, CFS_E_PIVOT_ROOT, errno, rootfs, "move the rootfs to /");
  if (chroot (".") < 0)
    return cfs_fail (err, CFS_E_PIVOT_ROOT, errno, rootfs, "chroot to");
  return 0;
}

/* No mount namespace: a plain chroot, for moving or pivoting would change
   the host's root.  */
static int
do_host_chroot (int rootfd, const char *rootfs, struct cfs_error **err)
{
  if (fchdir (rootfd) < 0)
    return cfs_fail (err, CFS_E_PIVOT_ROOT, errno, rootfs, "enter the rootfs");
  if (chroot (".") < 0)
    return cfs_fail (err, CFS_E_PIVOT_ROOT, errno, rootfs, "chroot to");
  return 0;
}

int
rootfs_pivot (int rootfd, const char *rootfs, bool no_pivot, bool host_mntns, const char *propagation,
              struct cfs_error **err)
{
  unsigned long flag;
  int r = rootfs_propagation (propagation, &flag, err);

  if (r < 0)
    return r;
  if (host_mntns)
    r = do_host_chroot (rootfd, rootfs, err);
  else
    r = no_pivot ? do_chroot (rootfd, rootfs, err) : do_pivot (rootfd, rootfs, err);
  if (r < 0)
    return r;
  if (chdir ("/") < 0)
    return cfs_fail (err, CFS_E_PIVOT_ROOT, errno, "/", "enter the new root");
  /* Applied only now: a shared root cannot be pivoted into. */
  if (flag && mount (NULL, "/", NULL, flag, NULL) < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, "/", "linux.rootfsPropagation: set `%s` on", propagation);
  return 0;
}

int
rootfs_make_readonly (struct cfs_error **err)
{
  return mounts_remount ("/", MS_RDONLY, "/", err);
}

uint64_t
rootfs_mount_id (const char *path)
{
  struct statx stx;

  if (statx (AT_FDCWD, path, AT_NO_AUTOMOUNT, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
    return 0;
  return stx.stx_mnt_id;
}

void
rootfs_detach_host_mounts (const char *rootfs, uint64_t mount_id)
{
  if (rootfs && mount_id && rootfs_mount_id (rootfs) == mount_id)
    umount2 (rootfs, MNT_DETACH);
}
