#include "mounts.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sched.h>

#include "cgroup.h"
#include "log.h"
#include "paths.h"
#include "userns.h"
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
  { "nosymfollow", false, MS_NOSYMFOLLOW },
  { "symfollow", true, MS_NOSYMFOLLOW },
  { "defaults", false, 0 },
};

/* The recursive forms, carried out with mount_setattr(AT_RECURSIVE). */
static const struct
{
  const char *name;
  bool clear;
  uint64_t attr;
} recursive_options[] = {
  { "rro", false, MOUNT_ATTR_RDONLY },
  { "rrw", true, MOUNT_ATTR_RDONLY },
  { "rnosuid", false, MOUNT_ATTR_NOSUID },
  { "rsuid", true, MOUNT_ATTR_NOSUID },
  { "rnodev", false, MOUNT_ATTR_NODEV },
  { "rdev", true, MOUNT_ATTR_NODEV },
  { "rnoexec", false, MOUNT_ATTR_NOEXEC },
  { "rexec", true, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", false, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", true, MOUNT_ATTR_NODIRATIME },
  { "rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW },
  { "rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW },
  /* atime modes are one field: "set" picks the mode, clearing _ATIME first */
  { "rrelatime", false, MOUNT_ATTR_RELATIME },
  { "rnorelatime", true, MOUNT_ATTR__ATIME },
  { "rnoatime", false, MOUNT_ATTR_NOATIME },
  { "ratime", true, MOUNT_ATTR__ATIME },
  { "rstrictatime", false, MOUNT_ATTR_STRICTATIME },
  { "rnostrictatime", true, MOUNT_ATTR__ATIME },
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
  for (i = 0; i < ARRAY_SIZE (recursive_options) && n < max; i++)
    names[n++] = recursive_options[i].name;
  if (n + 5 <= max)
    {
      names[n++] = "bind";
      names[n++] = "rbind";
      names[n++] = "tmpcopyup";
      names[n++] = "idmap";
      names[n++] = "ridmap";
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
      if (strcmp (o, "tmpcopyup") == 0 || strcmp (o, "idmap") == 0 || strcmp (o, "ridmap") == 0)
        {
          ret->tmpcopyup |= o[0] == 't';
          ret->idmap |= o[0] != 't';
          ret->recursive_bind |= o[0] == 'r';
          continue;
        }
      for (j = 0; j < ARRAY_SIZE (recursive_options) && !known; j++)
        if (strcmp (o, recursive_options[j].name) == 0)
          {
            uint64_t a = recursive_options[j].attr;

            known = true;
            if (a == MOUNT_ATTR_RELATIME || a == MOUNT_ATTR_NOATIME || a == MOUNT_ATTR_STRICTATIME)
              {
                ret->attr_clr |= MOUNT_ATTR__ATIME;
                ret->attr_set = (ret->attr_set & ~MOUNT_ATTR__ATIME) | a;
              }
            else if (recursive_options[j].clear)
              {
                ret->attr_clr |= a;
                ret->attr_set &= ~a;
              }
            else
              ret->attr_set |= a;
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
                            const struct mounts_context *ctx, const struct cgroup_layout *l,
                            struct cfs_error **err);

static int
mount_cgroup (const struct oci_mount *m, int dirfd, const char *target, const struct mount_flags *mf,
              const struct mounts_context *ctx, struct cfs_error **err)
{
  _cleanup_free_ struct cgroup_layout *own = NULL;
  const struct cgroup_layout *l = ctx->cgroups;

  if (l == NULL)
    {
      if ((own = malloc (sizeof *own)) == NULL)
        return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "cgroup layout");
      if (cgroup_layout_read (own, err) < 0)
        return cfs_wrap (err, "%s", m->destination);
      l = own;
    }
  if (l->mode != CGROUP_V2)
    return mount_cgroup_v1 (m, dirfd, mf, ctx, l, err);
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

/* Bound at NAME in the tmpfs at /proc/self/fd/TMPFSFD: a directory just
   made there, on a tmpfs no container process has seen yet.  */
static int
bind_hierarchy (const struct oci_mount *m, int tmpfsfd, const struct cgroup_hier *h,
                const struct mounts_context *ctx, struct cfs_error **err)
{
  const char *name = h->mnt + strlen ("/sys/fs/cgroup/");
  /* As /proc/self/cgroup names the hierarchy: its controllers, or "". */
  const char *hier = h->v2 ? "" : strstr (h->controllers, "name=systemd") ? "name=systemd" : h->name;
  char path[4096], src[4096], at[4200];

  cgroup_path_of (ctx->cgroup_self, hier, path, sizeof path);
  if (snprintf (src, sizeof src, "%s%s", h->mnt, path) >= (int)sizeof src)
    return 0;
  if (mkdirat (tmpfsfd, name, 0755) < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, m->destination, "create cgroup directory `%s` in", name);
  snprintf (at, sizeof at, "/proc/self/fd/%d/%s", tmpfsfd, name);
  if (mount (src, at, NULL, MS_BIND | MS_REC, NULL) < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, m->destination, "bind mount `%s` on", src);
  return 0;
}

/* The flags of mount(2) that are a mount's own, as mount_setattr's. */
static void
mount_attr_of (unsigned long ms, struct mount_attr *a)
{
  a->attr_set |= (ms & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0) | (ms & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0)
                 | (ms & MS_NODEV ? MOUNT_ATTR_NODEV : 0) | (ms & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0)
                 | (ms & MS_NODIRATIME ? MOUNT_ATTR_NODIRATIME : 0);
  if (ms & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME))
    {
      a->attr_clr |= MOUNT_ATTR__ATIME;
      a->attr_set |= ms & MS_NOATIME       ? MOUNT_ATTR_NOATIME
                     : ms & MS_STRICTATIME ? MOUNT_ATTR_STRICTATIME
                                           : MOUNT_ATTR_RELATIME;
    }
}

/* The mount's flags on the tmpfs and every hierarchy in it, in one call.
   Without mount_setattr (before Linux 5.12), a remount of each.  */
static int
cgroup_view_flags (const struct oci_mount *m, int tmpfsfd, const char *target, unsigned long flags,
                   const struct cgroup_layout *l, struct cfs_error **err)
{
  struct mount_attr a = { 0 };
  size_t i;
  int r = 0;

  mount_attr_of (flags, &a);
  if (mount_setattr (tmpfsfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) == 0)
    return 0;
  if (errno != ENOSYS)
    return cfs_fail (err, CFS_E_MOUNT, errno, m->destination, "set the mount options of the cgroup view on");
  for (i = 0; i < l->n && r == 0; i++)
    if (util_str_has_prefix (l->h[i].mnt, "/sys/fs/cgroup/")
        && strchr (l->h[i].mnt + strlen ("/sys/fs/cgroup/"), '/') == NULL)
      {
        char at[4200];

        snprintf (at, sizeof at, "%s/%s", target, l->h[i].mnt + strlen ("/sys/fs/cgroup/"));
        r = mounts_remount (at, flags, m->destination, err);
      }
  if (r == 0 && (flags & MS_RDONLY))
    r = mounts_remount (target, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, m->destination, err);
  return r;
}

/* A tmpfs with each of the host's hierarchies bound from the container's
   cgroup in it: the hierarchies are those the parent found (the layout),
   not read again from mountinfo here.  */
static int
mount_cgroup_v1 (const struct oci_mount *m, int dirfd, const struct mount_flags *mf,
                 const struct mounts_context *ctx, const struct cgroup_layout *l, struct cfs_error **err)
{
  static const char *const links[][2] = { { "cpu", "cpu,cpuacct" },
                                          { "cpuacct", "cpu,cpuacct" },
                                          { "net_cls", "net_cls,net_prio" },
                                          { "net_prio", "net_cls,net_prio" } };
  char target[64];
  _cleanup_close_ int tmpfs_root = -1;
  struct stat st;
  size_t i;
  int r = 0;

  paths_fd_path (dirfd, target, sizeof target);
  if (mount ("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, m->destination, "mount tmpfs for cgroups on");
  /* Resolve again: the old fd names the directory under the new tmpfs. */
  r = paths_open_in_root (ctx->rootfd, m->destination, O_PATH | O_DIRECTORY, &tmpfs_root, err);
  if (r < 0)
    return r;
  paths_fd_path (tmpfs_root, target, sizeof target);
  for (i = 0; i < l->n && r == 0; i++)
    if (util_str_has_prefix (l->h[i].mnt, "/sys/fs/cgroup/")
        && strchr (l->h[i].mnt + strlen ("/sys/fs/cgroup/"), '/') == NULL)
      r = bind_hierarchy (m, tmpfs_root, &l->h[i], ctx, err);
  if (r < 0)
    return r;
  /* Co-mounted controllers are reached through symlinks, as on the host. */
  for (i = 0; i < ARRAY_SIZE (links); i++)
    if (fstatat (tmpfs_root, links[i][1], &st, 0) == 0)
      symlinkat (links[i][1], tmpfs_root, links[i][0]);
  return cgroup_view_flags (m, tmpfs_root, target, (mf->set | MS_NOSUID | MS_NODEV | MS_NOEXEC) & ~MS_REMOUNT,
                            l, err);
}

/* DATA without its gid= option, or NULL when it has none. */
static char *
data_without_gid (const char *data)
{
  _cleanup_free_ char *copy = strdup (data ? data : "");
  char *out, *tok, *save = NULL;
  bool found = false;

  if (copy == NULL || (out = calloc (1, strlen (copy) + 1)) == NULL)
    return NULL;
  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    if (util_str_has_prefix (tok, "gid="))
      found = true;
    else
      {
        if (out[0])
          strcat (out, ",");
        strcat (out, tok);
      }
  if (!found)
    {
      free (out);
      return NULL;
    }
  return out;
}

/* A filesystem of TYPE (not a bind, not cgroup).  In a user namespace the
   kernel refuses two common configs; each gets what the namespace allows:
   sysfs without a network namespace of its own (EPERM) becomes a bind of
   the host's /sys with the same flags, and devpts whose gid= is not mapped
   in it (EINVAL) is mounted without gid=, so a pty belongs to the group of
   who opens it.  */
static int
mount_fs (const struct oci_mount *m, const char *source, const char *target, const char *type,
          const struct mount_flags *mf, const struct mounts_context *ctx, struct cfs_error **err)
{
  int saved;

  if (mount (source, target, type, mf->set, mf->data) == 0)
    return 0;
  saved = errno;
  if (saved == EPERM && strcmp (type, "sysfs") == 0 && userns_rootless (NULL))
    {
      struct mount_flags bf = *mf;

      cfs_log_debug ("%s: sysfs needs a network namespace of our own: binding the host's /sys",
                     m->destination);
      bf.recursive_bind = true;
      return bind_mount ("/sys", target, &bf, ctx->rootfd, m->destination, err);
    }
  if (saved == EINVAL && strcmp (type, "devpts") == 0 && userns_rootless (NULL))
    {
      _cleanup_free_ char *data = data_without_gid (mf->data);

      if (data && mount (source, target, type, mf->set, data[0] ? data : NULL) == 0)
        {
          cfs_log_debug ("%s: the gid= of devpts is not mapped in the user namespace: mounted without it",
                         m->destination);
          return 0;
        }
    }
  return cfs_fail (err, CFS_E_MOUNT, saved, m->destination, "mount `%s` (type `%s`%s%s) on", source, type,
                   mf->data ? ", options " : "", mf->data ? mf->data : "");
}

/* tmpcopyup: copy the tree under FROM (the directory the tmpfs now hides)
   into the tmpfs at TARGET, keeping modes and owners.  */
static int
copy_tree (int from, int to, const char *dest, struct cfs_error **err)
{
  DIR *d = fdopendir (fcntl (from, F_DUPFD_CLOEXEC, 3));
  struct dirent *de;
  int r = 0;

  if (d == NULL)
    return cfs_fail (err, CFS_E_MOUNT, errno, dest, "tmpcopyup: read");
  while (r == 0 && (de = readdir (d)) != NULL)
    {
      struct stat st;
      _cleanup_close_ int src = -1, dst = -1;

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (fstatat (from, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        {
          if (mkdirat (to, de->d_name, st.st_mode & 07777) < 0 && errno != EEXIST)
            r = -errno;
          src = openat (from, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          dst = openat (to, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (r == 0 && src >= 0 && dst >= 0)
            r = copy_tree (src, dst, dest, err);
        }
      else if (S_ISLNK (st.st_mode))
        {
          char link[4096];
          ssize_t n = readlinkat (from, de->d_name, link, sizeof link - 1);

          if (n >= 0)
            {
              link[n] = '\0';
              if (symlinkat (link, to, de->d_name) < 0)
                r = -errno;
            }
        }
      else if (S_ISREG (st.st_mode))
        {
          char buf[65536];
          ssize_t n;

          src = openat (from, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
          dst = openat (to, de->d_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        st.st_mode & 07777);
          if (src < 0 || dst < 0)
            r = -errno;
          while (r == 0 && (n = read (src, buf, sizeof buf)) > 0)
            r = util_write_all (dst, buf, (size_t)n);
        }
      else
        continue;
      if (r == 0)
        fchownat (to, de->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
    }
  closedir (d);
  if (r < 0 && err && *err == NULL)
    return cfs_fail (err, CFS_E_MOUNT, -r, dest, "tmpcopyup: copy into");
  return r;
}

static int
copy_up (int under, const char *target, const char *dest, struct cfs_error **err)
{
  _cleanup_close_ int to = open (target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (to < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, dest, "tmpcopyup: open the new tmpfs");
  return copy_tree (under, to, dest, err);
}

/* A user namespace carrying a mount's uidMappings and gidMappings, as
   MOUNT_ATTR_IDMAP wants: made by a child that only waits to be killed. */
static int
userns_for_mappings (const struct oci_mount *m, struct cfs_error **err)
{
  char path[64], buf[4096];
  size_t i, len;
  int fd, pipefd[2], r = 0;
  pid_t pid;

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, m->destination, "idmap: pipe for");
  pid = (pid_t)syscall (SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), NULL, NULL, NULL, NULL);
  if (pid == 0)
    {
      char c;

      close (pipefd[1]);
      (void)!read (pipefd[0], &c, 1);
      _exit (0);
    }
  close (pipefd[0]);
  if (pid < 0)
    {
      close (pipefd[1]);
      return cfs_fail (err, CFS_E_MOUNT, errno, m->destination, "idmap: make a user namespace for");
    }
  for (int map = 0; map < 2 && r == 0; map++)
    {
      const struct oci_id_mapping *ids = map ? m->gid_mappings : m->uid_mappings;
      size_t n = map ? m->gid_mappings_len : m->uid_mappings_len;

      for (i = 0, len = 0; i < n && len < sizeof buf; i++)
        len += (size_t)snprintf (buf + len, sizeof buf - len, "%u %u %u\n", ids[i].container_id,
                                 ids[i].host_id, ids[i].size);
      snprintf (path, sizeof path, "/proc/%d/%s", (int)pid, map ? "gid_map" : "uid_map");
      fd = util_open_proc (path, O_WRONLY);
      if (fd < 0 || util_write_all (fd, buf, len) < 0)
        r = cfs_fail (err, CFS_E_MOUNT, errno, m->destination, "idmap: write %s for", path);
      if (fd >= 0)
        close (fd);
    }
  snprintf (path, sizeof path, "/proc/%d/ns/user", (int)pid);
  fd = r == 0 ? open (path, O_RDONLY | O_CLOEXEC) : -1;
  if (r == 0 && fd < 0)
    r = cfs_fail (err, CFS_E_MOUNT, errno, m->destination, "idmap: open the user namespace for");
  close (pipefd[1]);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return r < 0 ? r : fd;
}

/* idmap/ridmap: clone the source tree, idmap it, and move it in place. */
int
mounts_prepare_idmaps (const struct oci_spec *spec, int **ret_fds, struct cfs_error **err)
{
  int *fds = NULL;
  size_t i;

  *ret_fds = NULL;
  for (i = 0; i < spec->mounts_len; i++)
    {
      const struct oci_mount *m = &spec->mounts[i];
      struct mount_flags mf __attribute__ ((cleanup (mounts_flags_done))) = { 0 };
      int fd;

      if (mounts_parse_options (m->options, m->options_len, "mounts", &mf, err) < 0 || !mf.idmap)
        continue;
      if (m->uid_mappings_len == 0 || m->gid_mappings_len == 0)
        {
          mounts_idmaps_free (fds, spec->mounts_len);
          return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, m->destination,
                           "mounts[%zu]: idmap needs the mount's uidMappings and gidMappings", i);
        }
      if (fds == NULL)
        {
          size_t j;

          fds = malloc (spec->mounts_len * sizeof *fds);
          if (fds == NULL)
            return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "idmap");
          for (j = 0; j < spec->mounts_len; j++)
            fds[j] = -1;
        }
      fd = userns_for_mappings (m, err);
      if (fd < 0)
        {
          mounts_idmaps_free (fds, spec->mounts_len);
          return cfs_wrap (err, "mounts[%zu]", i);
        }
      fds[i] = fd;
    }
  *ret_fds = fds;
  return 0;
}

void
mounts_idmaps_free (int *fds, size_t n)
{
  size_t i;

  for (i = 0; fds && i < n; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  free (fds);
}

static int
idmap_mount (const struct oci_mount *m, const char *source, int dirfd, const struct mount_flags *mf,
             int userns, struct cfs_error **err)
{
  _cleanup_close_ int tree = -1;
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };

  if (userns < 0)
    return cfs_fail (err, CFS_E_INTERNAL, 0, m->destination, "idmap: no user namespace prepared for");
  attr.userns_fd = (uint64_t)userns;
  /* The flags asked for go in the same call: the tree is not attached yet. */
  attr.attr_set
      |= (mf->set & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0) | (mf->set & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0)
         | (mf->set & MS_NODEV ? MOUNT_ATTR_NODEV : 0) | (mf->set & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0);
  tree = open_tree (AT_FDCWD, source,
                    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (mf->recursive_bind ? AT_RECURSIVE : 0));
  if (tree < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, source, "idmap: clone the mount of");
  if (mount_setattr (tree, "", AT_EMPTY_PATH | (mf->recursive_bind ? AT_RECURSIVE : 0), &attr, sizeof attr)
      < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, source,
                     "idmap: the filesystem of `%s` cannot be idmapped:", source);
  if (move_mount (tree, "", dirfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, m->destination, "idmap: attach the mount on");
  return 0;
}

static int
mount_one (const struct oci_mount *m, size_t index, const struct mounts_context *ctx, struct cfs_error **err)
{
  char field[64], target[64], srcbuf[4096];
  struct mount_flags mf __attribute__ ((cleanup (mounts_flags_done))) = { 0 };
  const char *type = m->type ? m->type : "";
  const char *source = m->source ? m->source : type;
  _cleanup_close_ int dirfd = -1, under = -1;
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
  if (mf.tmpcopyup && (under = open (target, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, m->destination, "mounts[%zu]: tmpcopyup: open", index);
  if (mf.idmap)
    r = idmap_mount (m, source, dirfd, &mf, ctx->idmap_fds ? ctx->idmap_fds[index] : -1, err);
  else if (bind)
    r = bind_mount (source, target, &mf, ctx->rootfd, m->destination, err);
  else if (strcmp (type, "cgroup") == 0 || strcmp (type, "cgroup2") == 0)
    r = mount_cgroup (m, dirfd, target, &mf, ctx, err);
  else
    r = mount_fs (m, source, target, type, &mf, ctx, err);
  if (r == 0 && (mf.attr_set || mf.attr_clr || mf.tmpcopyup))
    r = reopen_target (ctx->rootfd, m->destination, &dirfd, target, sizeof target, err);
  if (r == 0 && mf.tmpcopyup)
    r = copy_up (under, target, m->destination, err);
  if (r == 0 && (mf.attr_set || mf.attr_clr))
    {
      struct mount_attr attr = { .attr_set = mf.attr_set, .attr_clr = mf.attr_clr };

      if (mount_setattr (AT_FDCWD, target, AT_RECURSIVE, &attr, sizeof attr) < 0)
        r = cfs_fail (err, CFS_E_MOUNT, errno, m->destination, "set recursive mount attributes on");
    }
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

/* Masks and read-only views are laid with the mount API on the fd the
   path resolved to: a clone moved onto an fd costs about half a mount(2)
   by /proc/self/fd path, and nothing is looked up again by name.  Every
   masked directory shares one empty read-only tmpfs.  */
struct mask_sources
{
  int empty_dir; /* the first masked directory's tmpfs, once attached */
  bool legacy;   /* the mount API is missing or filtered: use mount(2) */
};

/* Kernels before 5.2 (5.12 for mount_setattr) and seccomp filters of
   outer runtimes refuse the new calls: the old way still works there.  */
static bool
mount_api_refused (int e)
{
  return e == ENOSYS || e == EPERM;
}

static int
attach_tree (int tree, int fd)
{
  return move_mount (tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

static int
new_empty_tmpfs (void)
{
  _cleanup_close_ int fs = -1;

  fs = fsopen ("tmpfs", FSOPEN_CLOEXEC);
  if (fs < 0 || fsconfig (fs, FSCONFIG_SET_STRING, "size", "0k", 0) < 0
      || fsconfig (fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0
      || fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return -1;
  return fsmount (fs, FSMOUNT_CLOEXEC,
                  MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
}

/* The first masked directory gets a new tmpfs, the rest clones of it once
   it is attached: older kernels refuse to clone a detached mount.  */
static int
mask_dir (struct mask_sources *s, int fd)
{
  _cleanup_close_ int tree = -1;

  tree = s->empty_dir < 0 ? new_empty_tmpfs ()
                          : open_tree (s->empty_dir, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0 || attach_tree (tree, fd) < 0)
    return -1;
  if (s->empty_dir < 0)
    s->empty_dir = TAKE_FD (tree);
  return 0;
}

static int
mask_file (int fd)
{
  _cleanup_close_ int tree = -1;

  tree = open_tree (AT_FDCWD, "/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0 || attach_tree (tree, fd) < 0)
    return -1;
  return 0;
}

static int
mask_legacy (bool dir, const char *target)
{
  if (dir)
    return mount ("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0k");
  return mount ("/dev/null", target, NULL, MS_BIND, NULL);
}

static int
mask_one (struct mask_sources *s, int rootfd, const char *path, struct cfs_error **err)
{
  _cleanup_close_ int fd = -1;
  char target[64];
  struct stat st;
  bool dir;
  int r;

  r = paths_open_in_root (rootfd, path, O_PATH, &fd, NULL);
  if (r == -ENOENT)
    return 0;
  if (r < 0)
    return cfs_fail (err, CFS_E_MOUNT, -r, path, "linux.maskedPaths: resolve");
  if (fstat (fd, &st) < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, path, "linux.maskedPaths: stat");
  /* A directory is hidden under an empty read-only tmpfs, a file under /dev/null. */
  dir = S_ISDIR (st.st_mode);
  r = s->legacy ? -1 : dir ? mask_dir (s, fd) : mask_file (fd);
  if (r < 0 && (s->legacy || mount_api_refused (errno)))
    {
      s->legacy = true;
      r = mask_legacy (dir, paths_fd_path (fd, target, sizeof target));
    }
  if (r < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, path, "linux.maskedPaths: mask");
  return 0;
}

/* A recursive clone made read-only before it is attached, so no mount
   under the path is left writable.  */
static int
readonly_tree (int fd)
{
  struct mount_attr a
      = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
  _cleanup_close_ int tree = -1;

  tree = open_tree (fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
  if (tree < 0 || mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0
      || attach_tree (tree, fd) < 0)
    return -1;
  return 0;
}

/* Without the mount API only the top mount can be made read-only.  */
static int
readonly_legacy (int rootfd, const char *path, int *fdp, struct cfs_error **err)
{
  char target[64];
  int r;

  paths_fd_path (*fdp, target, sizeof target);
  if (mount (target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
    return cfs_fail (err, CFS_E_MOUNT, errno, path, "linux.readonlyPaths: bind");
  r = reopen_target (rootfd, path, fdp, target, sizeof target, err);
  if (r < 0)
    return r;
  return mounts_remount (target, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, path, err);
}

static int
readonly_one (struct mask_sources *s, int rootfd, const char *path, struct cfs_error **err)
{
  _cleanup_close_ int fd = -1;
  int r;

  r = paths_open_in_root (rootfd, path, O_PATH, &fd, NULL);
  if (r == -ENOENT)
    return 0;
  if (r < 0)
    return cfs_fail (err, CFS_E_MOUNT, -r, path, "linux.readonlyPaths: resolve");
  if (!s->legacy && readonly_tree (fd) == 0)
    return 0;
  if (!s->legacy && !mount_api_refused (errno))
    return cfs_fail (err, CFS_E_MOUNT, errno, path, "linux.readonlyPaths: make read-only");
  s->legacy = true;
  return readonly_legacy (rootfd, path, &fd, err);
}

int
mounts_mask_paths (int rootfd, const struct oci_linux *linux_cfg, struct cfs_error **err)
{
  struct mask_sources s = { .empty_dir = -1 };
  size_t i;
  int r = 0;

  if (linux_cfg == NULL)
    return 0;
  for (i = 0; i < linux_cfg->masked_paths_len && r == 0; i++)
    r = mask_one (&s, rootfd, linux_cfg->masked_paths[i], err);
  for (i = 0; i < linux_cfg->readonly_paths_len && r == 0; i++)
    r = readonly_one (&s, rootfd, linux_cfg->readonly_paths[i], err);
  closep (&s.empty_dir);
  return r;
}
