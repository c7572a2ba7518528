#include "devices.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "paths.h"
#include "util.h"

struct device
{
  const char *path;
  mode_t type; /* S_IFCHR, S_IFBLK, S_IFIFO */
  unsigned major, minor;
  mode_t mode;
  uid_t uid;
  gid_t gid;
};

static const struct device default_devices[] = {
  { "/dev/null", S_IFCHR, 1, 3, 0666, 0, 0 },    { "/dev/zero", S_IFCHR, 1, 5, 0666, 0, 0 },
  { "/dev/full", S_IFCHR, 1, 7, 0666, 0, 0 },    { "/dev/random", S_IFCHR, 1, 8, 0666, 0, 0 },
  { "/dev/urandom", S_IFCHR, 1, 9, 0666, 0, 0 }, { "/dev/tty", S_IFCHR, 5, 0, 0666, 0, 0 },
};

static const char *const default_links[][2] = {
  { "/dev/fd", "/proc/self/fd" },       { "/dev/stdin", "/proc/self/fd/0" },
  { "/dev/stdout", "/proc/self/fd/1" }, { "/dev/stderr", "/proc/self/fd/2" },
  { "/dev/ptmx", "pts/ptmx" },          { "/dev/core", "/proc/kcore" },
};

static int
type_of (const char *t, mode_t *ret)
{
  if (strcmp (t, "c") == 0 || strcmp (t, "u") == 0)
    *ret = S_IFCHR;
  else if (strcmp (t, "b") == 0)
    *ret = S_IFBLK;
  else if (strcmp (t, "p") == 0)
    *ret = S_IFIFO;
  else
    return -EINVAL;
  return 0;
}

int
devices_validate (const struct oci_linux *linux_cfg, struct cfs_error **err)
{
  size_t i;

  for (i = 0; linux_cfg && i < linux_cfg->devices_len; i++)
    {
      const struct oci_device *d = &linux_cfg->devices[i];
      char field[64];
      mode_t t;

      snprintf (field, sizeof field, "linux.devices[%zu]", i);
      if (type_of (d->type, &t) < 0)
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, field,
                         "%s.type: `%s` is not a device type (c, b, u or p)", field, d->type);
      if (t != S_IFIFO && (!d->has_major || !d->has_minor))
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, field,
                         "%s: major and minor are required for type `%s`", field, d->type);
      if ((d->has_major && (d->major < 0 || d->major > 0xfff))
          || (d->has_minor && (d->minor < 0 || d->minor > 0xfffff)))
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, field, "%s: major or minor number out of range",
                         field);
      if (d->path[0] != '/' || strstr (d->path, "/../") || util_str_has_prefix (d->path, "../"))
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, field,
                         "%s.path: `%s` must be an absolute path without `..`", field, d->path);
    }
  return 0;
}

/* Bind the host's node over an empty file: what works in a user namespace. */
static int
bind_from_host (int rootfd, const struct device *d, struct cfs_error **err)
{
  _cleanup_close_ int fd = -1;
  char target[64];
  int r;

  r = paths_ensure_in_root (rootfd, d->path, true, &fd, err);
  if (r < 0)
    return r;
  if (mount (d->path, paths_fd_path (fd, target, sizeof target), NULL, MS_BIND, NULL) < 0)
    return cfs_fail (err, CFS_E_DEVICE, errno, d->path, "bind mount device from the host on");
  return 0;
}

/* The directory devices are made in, kept open from one device to the
   next: all the default ones are in /dev.  */
struct node_dir
{
  char path[256];
  int fd;
  bool sgid; /* new nodes take its group */
};

static int
node_dir_open (int rootfd, const char *dir, struct node_dir *nd, const char *dev, struct cfs_error **err)
{
  _cleanup_close_ int parent = -1;
  struct stat st;
  char pbuf[64];
  int r;

  if (nd->fd >= 0 && strcmp (nd->path, dir) == 0)
    return 0;
  closep (&nd->fd);
  nd->fd = -1;
  r = paths_ensure_in_root (rootfd, dir, false, &parent, err);
  if (r < 0)
    return r;
  /* O_PATH fds cannot be used with mknodat: reopen as a directory. */
  nd->fd = open (paths_fd_path (parent, pbuf, sizeof pbuf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (nd->fd < 0 || fstat (nd->fd, &st) < 0)
    return cfs_fail (err, CFS_E_DEVICE, errno, dev, "open parent directory of device");
  nd->sgid = (st.st_mode & S_ISGID) != 0;
  snprintf (nd->path, sizeof nd->path, "%s", dir);
  return 0;
}

/* With the umask cleared (devices_create), mknod makes the mode asked for;
   a node made by its owner-to-be needs no chown.  */
static int
make_node (int rootfd, const struct device *d, bool in_userns, struct node_dir *nd, struct cfs_error **err)
{
  _cleanup_free_ char *dir = strdup (d->path);
  dev_t dev = makedev (d->major, d->minor);
  const char *name;
  char *slash;
  int r;

  if (dir == NULL)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, d->path, "create device");
  if (in_userns)
    return bind_from_host (rootfd, d, err);
  slash = strrchr (dir, '/');
  *slash = '\0';
  name = slash + 1;
  if ((r = node_dir_open (rootfd, dir[0] ? dir : "/", nd, d->path, err)) < 0)
    return r;
  r = mknodat (nd->fd, name, d->type | (d->mode & 07777), dev);
  /* Already there (a rootfs with its own /dev): replaced, as runc does. */
  if (r < 0 && errno == EEXIST && unlinkat (nd->fd, name, 0) == 0)
    r = mknodat (nd->fd, name, d->type | (d->mode & 07777), dev);
  if (r < 0)
    {
      if (errno == EPERM)
        return bind_from_host (rootfd, d, err);
      return cfs_fail (err, CFS_E_DEVICE, errno, d->path, "create device node");
    }
  if ((d->uid != geteuid () || d->gid != getegid () || nd->sgid)
      && fchownat (nd->fd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
    return cfs_fail (err, CFS_E_DEVICE, errno, d->path, "set owner of device");
  return 0;
}

static bool
in_config (const struct oci_linux *linux_cfg, const char *path)
{
  size_t i;

  for (i = 0; linux_cfg && i < linux_cfg->devices_len; i++)
    if (strcmp (linux_cfg->devices[i].path, path) == 0)
      return true;
  return false;
}

static int
make_nodes (int rootfd, const struct oci_linux *lx, bool in_userns, struct node_dir *nd,
            struct cfs_error **err)
{
  size_t i;
  int r;

  /* The config's own entry for a default device wins over the default. */
  for (i = 0; i < ARRAY_SIZE (default_devices); i++)
    if (!in_config (lx, default_devices[i].path)
        && (r = make_node (rootfd, &default_devices[i], in_userns, nd, err)) < 0)
      return r;
  for (i = 0; lx && i < lx->devices_len; i++)
    {
      const struct oci_device *cd = &lx->devices[i];
      struct device d = { .path = cd->path,
                          .major = (unsigned)cd->major,
                          .minor = (unsigned)cd->minor,
                          .mode = cd->has_file_mode ? cd->file_mode : 0666,
                          .uid = cd->uid,
                          .gid = cd->gid };

      type_of (cd->type, &d.type);
      if ((r = make_node (rootfd, &d, in_userns, nd, err)) < 0)
        return r;
    }
  return 0;
}

static int
make_links (int rootfd, struct node_dir *nd, struct cfs_error **err)
{
  size_t i;
  int r;

  if ((r = node_dir_open (rootfd, "/dev", nd, "/dev", err)) < 0)
    return r;
  for (i = 0; i < ARRAY_SIZE (default_links); i++)
    {
      const char *name = default_links[i][0] + strlen ("/dev/");

      r = symlinkat (default_links[i][1], nd->fd, name);
      /* /dev/ptmx may be a real node in the rootfs: replace it, as runc does. */
      if (r < 0 && errno == EEXIST && strcmp (name, "ptmx") == 0 && unlinkat (nd->fd, name, 0) == 0)
        r = symlinkat (default_links[i][1], nd->fd, name);
      if (r < 0 && errno != EEXIST)
        return cfs_fail (err, CFS_E_DEVICE, errno, default_links[i][0], "create symlink");
    }
  return 0;
}

int
devices_create (int rootfd, const struct oci_spec *spec, bool in_userns, struct cfs_error **err)
{
  struct node_dir nd = { .fd = -1 };
  mode_t mask = umask (0);
  int r = make_nodes (rootfd, spec->linux, in_userns, &nd, err);

  umask (mask);
  if (r == 0)
    r = make_links (rootfd, &nd, err);
  closep (&nd.fd);
  return r;
}
