#include "rootfs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>

#include "mounts.h"
#include "util.h"

/* Make the mount that holds ROOTFS private: the longest mount point in
   /proc/self/mountinfo that is a proper prefix of it.  */
static int
make_parent_private (const char *rootfs, struct cfs_error **err)
{
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  char *line = NULL, best[4096] = "/";
  size_t cap = 0, rl = strlen (rootfs);

  if (f == NULL)
    return cfs_fail (err, CFS_E_MOUNT, errno, "/proc/self/mountinfo", "read");
  while (getline (&line, &cap, f) > 0)
    {
      char mnt[4096];
      size_t ml;

      if (sscanf (line, "%*s %*s %*s %*s %4095s", mnt) != 1)
        continue;
      ml = strlen (mnt);
      if (ml < rl && ml > strlen (best) && strncmp (rootfs, mnt, ml) == 0 && rootfs[ml] == '/')
        memcpy (best, mnt, ml + 1);
    }
  free (line);
  fclose (f);
  if (mount (NULL, best, NULL, MS_PRIVATE, NULL) < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, best, "make the parent mount of the rootfs private");
  return 0;
}

int
rootfs_prepare (const char *rootfs, const char *propagation, int *ret_rootfd, struct cfs_error **err)
{
  unsigned long flag = MS_SLAVE | MS_REC;
  int fd;

  if (propagation && propagation[0])
    {
      flag = mounts_propagation_flag (propagation);
      if (flag == 0)
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "linux.rootfsPropagation",
                         "linux.rootfsPropagation: `%s` is not a propagation type", propagation);
    }
  if (mount (NULL, "/", NULL, flag, NULL) < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, "/", "set root propagation of the mount namespace");
  /* pivot_root needs the new root to be a mount point. */
  if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, rootfs, "bind mount the rootfs onto itself");
  /* pivot_root refuses a new root whose parent mount is shared. */
  if ((flag & MS_SHARED) && make_parent_private (rootfs, err) < 0)
    return -EINVAL;
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

int
rootfs_pivot (int rootfd, const char *rootfs, bool no_pivot, struct cfs_error **err)
{
  int r = no_pivot ? do_chroot (rootfd, rootfs, err) : do_pivot (rootfd, rootfs, err);

  if (r < 0)
    return r;
  if (chdir ("/") < 0)
    return cfs_fail (err, CFS_E_PIVOT_ROOT, errno, "/", "enter the new root");
  return 0;
}

int
rootfs_make_readonly (struct cfs_error **err)
{
  return mounts_remount ("/", MS_RDONLY, "/", err);
}
