#include "mounts.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "paths.h"
#include "util.h"

static const struct
{
  const char *name;
  bool clear;
  unsigned long flag;
} flag_options[] = {
  { "ro", false, MS_RDONLY },
  { "rw", true, MS_RDONLY },
  { "nosuid", false, MS_NOSUID },
  { "suid", true, MS_NOSUID },
  { "nodev", false, MS_NODEV },
  { "dev", true, MS_NODEV },
  { "noexec", false, MS_NOEXEC },
  { "exec", true, MS_NOEXEC },
  { "sync", false, MS_SYNCHRONOUS },
  { "async", true, MS_SYNCHRONOUS },
  { "dirsync", false, MS_DIRSYNC },
  { "remount", false, MS_REMOUNT },
  { "mand", false, MS_MANDLOCK },
  { "nomand", true, MS_MANDLOCK },
  { "atime", true, MS_NOATIME },
  { "noatime", false, MS_NOATIME },
  { "diratime", true, MS_NODIRATIME },
  { "nodiratime", false, MS_NODIRATIME },
  { "relatime", false, MS_RELATIME },
  { "norelatime", true, MS_RELATIME },
  { "strictatime", false, MS_STRICTATIME },
  { "nostrictatime", true, MS_STRICTATIME },
  { "lazytime", false, MS_LAZYTIME },
  { "nolazytime", true, MS_LAZYTIME },
  { "silent", false, MS_SILENT },
  { "loud", true, MS_SILENT },
  { "iversion", false, MS_I_VERSION },
  { "noiversion", true, MS_I_VERSION },
  { "defaults", false, 0 },
};

static const struct
{
  const char *name;
  unsigned long flag;
} propagation_options[] = {
  { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
  { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
  { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
  { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

size_t
mounts_option_names (const char **names, size_t max)
{
  size_t i, n = 0;

  for (i = 0; i < ARRAY_SIZE (flag_options) && n < max; i++)
    names[n++] = flag_options[i].name;
  for (i = 0; i < ARRAY_SIZE (propagation_options) && n < max; i++)
    names[n++] = propagation_options[i].name;
  if (n + 2 <= max)
    {
      names[n++] = "bind";
      names[n++] = "rbind";
    }
  return n;
}

unsigned long
mounts_propagation_flag (const char *name)
{
  size_t i;

  for (i = 0; i < ARRAY_SIZE (propagation_options); i++)
    if (strcmp (name, propagation_options[i].name) == 0)
      return propagation_options[i].flag;
  return 0;
}

static int
append_data (char **data, const char *opt)
{
  char *joined = NULL;

  if (asprintf (&joined, "%s%s%s", *data ? *data : "", *data ? "," : "", opt) < 0)
    return -ENOMEM;
  free (*data);
  *data = joined;
  return 0;
}

int
mounts_parse_options (char *const *options, size_t n, const char *field, struct mount_flags *ret,
                      struct cfs_error **err)
{
  size_t i, j;

  memset (ret, 0, sizeof *ret);
  for (i = 0; i < n; i++)
    {
      const char *o = options[i];
      bool known = false;

      if (strcmp (o, "bind") == 0 || strcmp (o, "rbind") == 0)
        {
          ret->bind = true;
          ret->recursive_bind |= o[0] == 'r';
          continue;
        }
      for (j = 0; j < ARRAY_SIZE (flag_options) && !known; j++)
        if (strcmp (o, flag_options[j].name) == 0)
          {
            known = true;
            if (flag_options[j].clear)
              ret->set &= ~flag_options[j].flag;
            else
              ret->set |= flag_options[j].flag;
          }
      if (!known && mounts_propagation_flag (o))
        {
          ret->propagation = mounts_propagation_flag (o);
          known = true;
        }
      if (!known && append_data (&ret->data, o) < 0)
        return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, field, "parse mount options");
    }
  return 0;
}

void
mounts_flags_done (struct mount_flags *f)
{
  free (f->data);
  f->data = NULL;
}

const struct oci_mount *
mounts_find (const struct oci_spec *spec, const char *dest)
{
  size_t i;

  for (i = 0; i < spec->mounts_len; i++)
    {
      const char *d = spec->mounts[i].destination;
      size_t l = strlen (dest);

      if (strncmp (d, dest, l) == 0 && (d[l] == '\0' || (d[l] == '/' && d[l + 1] == '\0')))
        return &spec->mounts[i];
    }
  return NULL;
}

/* Flags a bind remount must carry over or the kernel refuses it with EPERM
   in a user namespace (they are locked), ST_* to MS_*.  */
static unsigned long
locked_flags (const char *target)
{
  struct statvfs sv;
  unsigned long f = 0;

  if (statvfs (target, &sv) < 0)
    return 0;
  if (sv.f_flag & ST_NOSUID)
    f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV)
    f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC)
    f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME)
    f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME)
    f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME)
    f |= MS_RELATIME;
  return f;
}

int
mounts_remount (const char *target, unsigned long flags, const char *what, struct cfs_error **err)
{
  unsigned long keep = locked_flags (target);

  /* An explicit atime choice replaces the one the mount had. */
  if (flags & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME))
    keep &= ~(MS_NOATIME | MS_RELATIME | MS_STRICTATIME);
  if (mount (NULL, target, NULL, MS_BIND | MS_REMOUNT | flags | keep, NULL) < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, what, "remount with the options asked for");
  return 0;
}

static bool
source_is_dir (const char *source)
{
  struct stat st;

  return stat (source, &st) != 0 || S_ISDIR (st.st_mode);
}

/* An fd opened before a mount names the directory under it, and so does
   its /proc/self/fd link: resolve DEST again to reach the new mount.  */
static int
reopen_target (int rootfd, const char *dest, int *fdp, char *buf, size_t size, struct cfs_error **err)
{
  int r;

  closep (fdp);
  *fdp = -1;
  r = paths_open_in_root (rootfd, dest, O_PATH, fdp, err);
  if (r < 0)
    return r;
  paths_fd_path (*fdp, buf, size);
  return 0;
}

static int
bind_mount (const char *source, const char *target, const struct mount_flags *mf, int rootfd,
            const char *dest, struct cfs_error **err)
{
  unsigned long remount = mf->set & ~MS_REMOUNT;
  _cleanup_close_ int fd = -1;
  char buf[64];
  int r;

  if (mount (source, target, NULL, MS_BIND | (mf->recursive_bind ? MS_REC : 0), NULL) < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, dest, "bind mount `%s` on", source);
  /* MS_BIND ignores every other flag: apply them with a remount. */
  if (remount == 0)
    return 0;
  r = reopen_target (rootfd, dest, &fd, buf, sizeof buf, err);
  if (r < 0)
    return r;
  return mounts_remount (buf, remount, dest, err);
}

/* A cgroup v1 view: a tmpfs with each host hierarchy bind-mounted at the
   container's own cgroup, so the container sees only its subtree.  */
static int mount_cgroup_v1 (const struct oci_mount *m, int dirfd, const struct mount_flags *mf,
                            const struct mounts_context *ctx, struct cfs_error **err);

static bool
host_is_unified (void)
{
  struct stat st;

  /* cgroup2 at /sys/fs/cgroup itself means a unified host. */
  return stat ("/sys/fs/cgroup/cgroup.controllers", &st) == 0;
}

static int
mount_cgroup (const struct oci_mount *m, int dirfd, const char *target, const struct mount_flags *mf,
              const struct mounts_context *ctx, struct cfs_error **err)
{
  if (!host_is_unified ())
    return mount_cgroup_v1 (m, dirfd, mf, ctx, err);
  if (ctx->new_cgroupns)
    {
      if (mount ("cgroup2", target, "cgroup2", mf->set & ~MS_REMOUNT, NULL) < 0)
        return cfs_fail (err, CFS_E_MOUNT, errno, m->destination, "mount cgroup2 on");
      return 0;
    }
  else
    {
      char src[4096];
      const char *p = strstr (ctx->cgroup_self ? ctx->cgroup_self : "", "0::");
      size_t l = p ? strcspn (p + 3, "\n") : 0;

      snprintf (src, sizeof src, "/sys/fs/cgroup%.*s", (int)l, p ? p + 3 : "");
      struct mount_flags bf = *mf;
      bf.recursive_bind = true;
      return bind_mount (src, target, &bf, ctx->rootfd, m->destination, err);
    }
}

/* The cgroup path of hierarchy HIER ("memory", "cpu,cpuacct", "name=systemd")
   in /proc/self/cgroup text, or "/" when not listed.  */
static void
cgroup_path_of (const char *self, const char *hier, char *buf, size_t size)
{
  const char *line = self ? self : "";

  snprintf (buf, size, "/");
  while (*line)
    {
      const char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      const char *eol = strchrnul (line, '\n');

      if (c2 && c2 < eol && (size_t)(c2 - c1 - 1) == strlen (hier)
          && strncmp (c1 + 1, hier, strlen (hier)) == 0)
        {
          snprintf (buf, size, "%.*s", (int)(eol - c2 - 1), c2 + 1);
          return;
        }
      line = *eol ? eol + 1 : eol;
    }
}

static int
mount_cgroup_v1 (const struct oci_mount *m, int dirfd, const struct mount_flags *mf,
                 const struct mounts_context *ctx, struct cfs_error **err)
{
  char target[64], path[4096], src[4096], hier[256];
  FILE *f;
  char *line = NULL;
  size_t cap = 0;
  _cleanup_close_ int tmpfs_root = -1;
  int r = 0;

  paths_fd_path (dirfd, target, sizeof target);
  if (mount ("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, m->destination, "mount tmpfs for cgroups on");
  /* Resolve again: the old fd names the directory under the new tmpfs. */
  r = paths_open_in_root (ctx->rootfd, m->destination, O_PATH | O_DIRECTORY, &tmpfs_root, err);
  if (r < 0)
    return r;
  paths_fd_path (tmpfs_root, target, sizeof target);
  f = fopen ("/proc/self/mountinfo", "re");
  if (f == NULL)
    return cfs_fail (err, CFS_E_MOUNT, errno, "/proc/self/mountinfo", "read");
  while (r == 0 && getline (&line, &cap, f) > 0)
    {
      char mnt[4096], fstype[64], super[1024];
      const char *sep = strstr (line, " - ");
      char *name;
      _cleanup_close_ int sub = -1;
      int tmpfsfd = tmpfs_root;

      if (sep == NULL || sscanf (line, "%*s %*s %*s %*s %4095s", mnt) != 1
          || sscanf (sep + 3, "%63s %*s %1023s", fstype, super) != 2)
        continue;
      if ((strcmp (fstype, "cgroup") != 0 && strcmp (fstype, "cgroup2") != 0)
          || !util_str_has_prefix (mnt, "/sys/fs/cgroup/"))
        continue;
      name = mnt + strlen ("/sys/fs/cgroup/");
      if (strchr (name, '/'))
        continue;
      if (strcmp (fstype, "cgroup2") == 0)
        snprintf (hier, sizeof hier, "%s", "");
      else if (strstr (super, "name=systemd"))
        snprintf (hier, sizeof hier, "name=systemd");
      else
        snprintf (hier, sizeof hier, "%.200s", name);
      cgroup_path_of (ctx->cgroup_self, hier, path, sizeof path);
      if (snprintf (src, sizeof src, "%s%s", mnt, path) >= (int)sizeof src)
        continue;
      if (mkdirat (tmpfsfd, name, 0755) < 0)
        {
          r = cfs_fail (err, CFS_E_MOUNT, errno, m->destination, "create cgroup directory `%s` in", name);
          break;
        }
      sub = openat (tmpfsfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0)
        {
          r = cfs_fail (err, CFS_E_MOUNT, errno, m->destination, "open cgroup directory `%s` in", name);
          break;
        }
      {
        char subpath[64];
        struct mount_flags bf
            = { .set = (mf->set | MS_NOSUID | MS_NODEV | MS_NOEXEC) & ~MS_REMOUNT, .recursive_bind = true };
        char dest[4096];

        snprintf (dest, sizeof dest, "%s/%s", m->destination, name);
        r = bind_mount (src, paths_fd_path (sub, subpath, sizeof subpath), &bf, ctx->rootfd, dest, err);
      }
    }
  free (line);
  fclose (f);
  if (r < 0)
    return r;
  /* Co-mounted controllers are reached through symlinks, as on the host. */
  {
    int tmpfsfd = tmpfs_root;
    static const char *const links[][2] = { { "cpu", "cpu,cpuacct" },
                                            { "cpuacct", "cpu,cpuacct" },
                                            { "net_cls", "net_cls,net_prio" },
                                            { "net_prio", "net_cls,net_prio" } };
    size_t i;
    struct stat st;

    for (i = 0; tmpfsfd >= 0 && i < ARRAY_SIZE (links); i++)
      if (fstatat (tmpfsfd, links[i][1], &st, 0) == 0)
        symlinkat (links[i][1], tmpfsfd, links[i][0]);
  }
  if (mf->set & MS_RDONLY)
    return mounts_remount (target, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, m->destination, err);
  return 0;
}

static int
mount_one (const struct oci_mount *m, size_t index, const struct mounts_context *ctx, struct cfs_error **err)
{
  char field[64], target[64], srcbuf[4096];
  struct mount_flags mf __attribute__ ((cleanup (mounts_flags_done))) = { 0 };
  const char *type = m->type ? m->type : "";
  const char *source = m->source ? m->source : type;
  _cleanup_close_ int dirfd = -1;
  bool bind;
  int r;

  snprintf (field, sizeof field, "mounts[%zu].options", index);
  r = mounts_parse_options (m->options, m->options_len, field, &mf, err);
  if (r < 0)
    return r;
  bind = mf.bind || strcmp (type, "bind") == 0;
  if (bind && source[0] != '/')
    {
      snprintf (srcbuf, sizeof srcbuf, "%s/%s", ctx->bundle, source);
      source = srcbuf;
    }
  r = paths_ensure_in_root (ctx->rootfd, m->destination, bind && !source_is_dir (source), &dirfd, err);
  if (r < 0)
    return cfs_wrap (err, "mounts[%zu] (`%s`)", index, m->destination);
  paths_fd_path (dirfd, target, sizeof target);
  if (bind)
    r = bind_mount (source, target, &mf, ctx->rootfd, m->destination, err);
  else if (strcmp (type, "cgroup") == 0 || strcmp (type, "cgroup2") == 0)
    r = mount_cgroup (m, dirfd, target, &mf, ctx, err);
  else if (mount (source, target, type, mf.set, mf.data) < 0)
    r = cfs_fail (err, CFS_E_MOUNT, errno, m->destination, "mount `%s` (type `%s`%s%s) on", source, type,
                  mf.data ? ", options " : "", mf.data ? mf.data : "");
  if (r == 0 && mf.propagation
      && (r = reopen_target (ctx->rootfd, m->destination, &dirfd, target, sizeof target, err)) == 0
      && mount (NULL, target, NULL, mf.propagation, NULL) < 0)
    r = cfs_fail (err, CFS_E_MOUNT, errno, m->destination, "set mount propagation of");
  return r < 0 ? cfs_wrap (err, "mounts[%zu]", index) : 0;
}

int
mounts_apply (const struct oci_spec *spec, const struct mounts_context *ctx, struct cfs_error **err)
{
  size_t i;
  int r;

  for (i = 0; i < spec->mounts_len; i++)
    {
      r = mount_one (&spec->mounts[i], i, ctx, err);
      if (r < 0)
        return r;
    }
  return 0;
}

static int
mask_one (int rootfd, const char *path, struct cfs_error **err)
{
  _cleanup_close_ int fd = -1;
  char target[64];
  struct stat st;
  int r;

  r = paths_open_in_root (rootfd, path, O_PATH, &fd, NULL);
  if (r == -ENOENT)
    return 0;
  if (r < 0)
    return cfs_fail (err, CFS_E_MOUNT, -r, path, "linux.maskedPaths: resolve");
  if (fstat (fd, &st) < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, path, "linux.maskedPaths: stat");
  paths_fd_path (fd, target, sizeof target);
  /* A directory is hidden under an empty read-only tmpfs, a file under /dev/null. */
  if (S_ISDIR (st.st_mode))
    r = mount ("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0k");
  else
    r = mount ("/dev/null", target, NULL, MS_BIND, NULL);
  if (r < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, path, "linux.maskedPaths: mask");
  return 0;
}

static int
readonly_one (int rootfd, const char *path, struct cfs_error **err)
{
  _cleanup_close_ int fd = -1;
  char target[64];
  int r;

  r = paths_open_in_root (rootfd, path, O_PATH, &fd, NULL);
  if (r == -ENOENT)
    return 0;
  if (r < 0)
    return cfs_fail (err, CFS_E_MOUNT, -r, path, "linux.readonlyPaths: resolve");
  paths_fd_path (fd, target, sizeof target);
  if (mount (target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, path, "linux.readonlyPaths: bind");
  r = reopen_target (rootfd, path, &fd, target, sizeof target, err);
  if (r < 0)
    return r;
  return mounts_remount (target, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, path, err);
}

int
mounts_mask_paths (int rootfd, const struct oci_linux *linux_cfg, struct cfs_error **err)
{
  size_t i;
  int r;

  if (linux_cfg == NULL)
    return 0;
  for (i = 0; i < linux_cfg->masked_paths_len; i++)
    if ((r = mask_one (rootfd, linux_cfg->masked_paths[i], err)) < 0)
      return r;
  for (i = 0; i < linux_cfg->readonly_paths_len; i++)
    if ((r = readonly_one (rootfd, linux_cfg->readonly_paths[i], err)) < 0)
      return r;
  return 0;
}
