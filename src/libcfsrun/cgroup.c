#include "cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <linux/magic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
/* How long freezing may take before it is reported stuck. */
#define FREEZE_TIMEOUT_MS 10000

void
cgroup_strv_free (char **v, size_t n)
{
  size_t i;

  for (i = 0; v && i < n; i++)
    free (v[i]);
  free (v);
}

/* Our cgroup in hierarchy H: the line of /proc/self/cgroup whose
   controller list matches (empty for v2).  */
static void
self_path (const char *self, struct cgroup_hier *h)
{
  const char *line = self;

  snprintf (h->self, sizeof h->self, "/");
  while (line && *line)
    {
      const char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL,
                 *eol = strchrnul (line, '\n');
      size_t len = c2 ? (size_t)(c2 - c1 - 1) : 0;

      if (c2 && c2 < eol)
        {
          bool match = h->v2 ? len == 0
                             : len == strlen (h->controllers) && strncmp (c1 + 1, h->controllers, len) == 0;

          if (match)
            {
              snprintf (h->self, sizeof h->self, "%.*s", (int)(eol - c2 - 1), c2 + 1);
              return;
            }
        }
      line = *eol ? eol + 1 : NULL;
    }
}

static void
v1_controllers (const char *super, char *buf, size_t size)
{
  const char *known[]
      = { "cpu",     "cpuacct", "cpuset",   "memory",     "devices", "freezer", "blkio",       "pids",
          "hugetlb", "net_cls", "net_prio", "perf_event", "rdma",    "misc",    "name=systemd" };
  size_t i, len = 0;

  buf[0] = '\0';
  for (i = 0; i < ARRAY_SIZE (known) && len < size; i++)
    if (util_token_in (super, ",", known[i]))
      len += (size_t)snprintf (buf + len, size - len, "%s%.60s", len ? "," : "", known[i]);
}

int
cgroup_layout_read (struct cgroup_layout *ret, struct cfs_error **err)
{
  return cgroup_layout_read_at ("", ret, err);
}

/* Field N (from 0) of the space-separated LINE into BUF; false when there
   are fewer or it does not fit.  By hand, as the whole file is read at
   once: no stdio or scanf in every create for this.  */
static bool
field_of (const char *line, int n, char *buf, size_t size)
{
  const char *p = line, *end;
  int i;

  for (i = 0; i < n && p; i++)
    p = (p = strchr (p, ' ')) ? p + 1 : NULL;
  if (p == NULL || *p == '\0')
    return false;
  end = p + strcspn (p, " ");
  if ((size_t)(end - p) >= size)
    return false;
  memcpy (buf, p, (size_t)(end - p));
  buf[end - p] = '\0';
  return true;
}

int
cgroup_layout_read_at (const char *sysroot, struct cgroup_layout *ret, struct cfs_error **err)
{
  _cleanup_free_ char *self = NULL, *info = NULL;
  char path[4096], *line, *next;
  bool root_v2 = false, unified = false;

  /* Only what is found is written: the struct is large and mostly unused. */
  ret->n = 0;
  snprintf (path, sizeof path, "%s/proc/self/cgroup", sysroot);
  if (util_read_file_at (AT_FDCWD, path, &self, NULL, err) < 0)
    return -EIO;
  snprintf (path, sizeof path, "%s/proc/self/mountinfo", sysroot);
  if (util_read_file_at (AT_FDCWD, path, &info, NULL, err) < 0)
    return -EIO;
  for (line = info; *line && ret->n < CGROUP_MAX_HIER; line = next)
    {
      char mnt[256], fstype[32], super[1024];
      const char *sep;
      struct cgroup_hier *h = &ret->h[ret->n];

      next = line + strcspn (line, "\n");
      if (*next)
        *next++ = '\0';
      sep = strstr (line, " - ");
      if (sep == NULL || !field_of (line, 4, mnt, sizeof mnt) || !field_of (sep + 3, 0, fstype, sizeof fstype)
          || !field_of (sep + 3, 2, super, sizeof super))
        continue;
      if (strcmp (mnt, CGROUP_ROOT) != 0 && !util_str_has_prefix (mnt, CGROUP_ROOT "/"))
        continue;
      h->v2 = false;
      h->controllers[0] = '\0';
      if (strcmp (fstype, "cgroup2") == 0)
        {
          _cleanup_free_ char *ctrl = NULL;

          h->v2 = true;
          snprintf (path, sizeof path, "%s%s/cgroup.controllers", sysroot, mnt);
          if (util_read_file_at (AT_FDCWD, path, &ctrl, NULL, NULL) == 0)
            snprintf (h->controllers, sizeof h->controllers, "%s", ctrl);
          h->controllers[strcspn (h->controllers, "\n")] = '\0';
          root_v2 |= strcmp (mnt, CGROUP_ROOT) == 0;
          unified = true;
        }
      else if (strcmp (fstype, "cgroup") == 0)
        v1_controllers (super, h->controllers, sizeof h->controllers);
      else
        continue;
      snprintf (h->mnt, sizeof h->mnt, "%s", mnt);
      snprintf (h->name, sizeof h->name, "%s", strrchr (mnt, '/') + 1);
      self_path (self, h);
      ret->n++;
    }
  if (ret->n == 0)
    return cfs_fail (err, CFS_E_CGROUP, ENOENT, CGROUP_ROOT, "no cgroup filesystem is mounted under");
  ret->mode = root_v2 ? CGROUP_V2 : unified ? CGROUP_HYBRID : CGROUP_V1;
  return 0;
}

const struct cgroup_hier *
cgroup_find (const struct cgroup_layout *l, const char *controller)
{
  size_t i;

  /* v1 hierarchies first: on a hybrid host a controller is where it is
     bound, and only what v1 lacks (hugetlb here) is on the v2 half.  */
  for (int pass = 0; pass < 2; pass++)
    for (i = 0; i < l->n; i++)
      {
        if (l->h[i].v2 == (pass == 1)
            && util_token_in (l->h[i].controllers, l->h[i].v2 ? " \n" : ",", controller))
          return &l->h[i];
      }
  return NULL;
}

int
cgroup_resolve (const char *cgroups_path, const char *id, const struct cgroup_hier *h, char *buf, size_t size,
                struct cfs_error **err)
{
  const char *p = cgroups_path;
  int n;

  if (p
      && (strstr (p, "/../") || util_str_has_prefix (p, "../") || strcmp (p, "..") == 0
          || (strlen (p) >= 3 && strcmp (p + strlen (p) - 3, "/..") == 0)))
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "linux.cgroupsPath",
                     "config.json: linux.cgroupsPath: `%s` must not contain `..`", p);
  if (p && strchr (p, ':'))
    return cfs_fail (
        err, CFS_E_CONFIG_UNSUPPORTED, 0, "linux.cgroupsPath",
        "config.json: linux.cgroupsPath: `%s` is a systemd slice:prefix:name path, but the cgroupfs "
        "driver is in use (give --systemd-cgroup)",
        p);
  if (p == NULL || p[0] == '\0')
    n = snprintf (buf, size, "/cfsrun-%s", id);
  else if (p[0] == '/')
    n = snprintf (buf, size, "%s", p);
  else
    n = snprintf (buf, size, "%s/%s", strcmp (h->self, "/") == 0 ? "" : h->self, p);
  if (n < 0 || (size_t)n >= size)
    return cfs_fail (err, CFS_E_CONFIG_INVALID, ENAMETOOLONG, "linux.cgroupsPath",
                     "config.json: linux.cgroupsPath");
  /* No trailing slash: paths are compared and joined as given. */
  while (n > 1 && buf[n - 1] == '/')
    buf[--n] = '\0';
  return 0;
}

static int
strv_push (char ***v, size_t *n, const char *s)
{
  char **nv = realloc (*v, (*n + 2) * sizeof *nv);

  if (nv == NULL)
    return -ENOMEM;
  *v = nv;
  nv[*n] = strdup (s);
  if (nv[*n] == NULL)
    return -ENOMEM;
  nv[++*n] = NULL;
  return 0;
}

int
cgroup_leaves (const struct cgroup_layout *l, const char *cgroups_path, const char *id, char ***ret,
               size_t *ret_n, struct cfs_error **err)
{
  char rel[2048], path[4096];
  size_t i;
  int r;

  *ret = NULL;
  *ret_n = 0;
  for (i = 0; i < l->n; i++)
    {
      if ((r = cgroup_resolve (cgroups_path, id, &l->h[i], rel, sizeof rel, err)) < 0)
        {
          cgroup_strv_free (*ret, *ret_n);
          *ret = NULL;
          return r;
        }
      snprintf (path, sizeof path, "%s%s", l->h[i].mnt, rel);
      if (strv_push (ret, ret_n, path) < 0)
        return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "cgroup");
    }
  return 0;
}

int
cgroup_plan_dirs (const struct cgroup_layout *l, const char *cgroups_path, const char *id, char ***ret_dirs,
                  size_t *ret_n, struct cfs_error **err)
{
  char **leaves = NULL;
  size_t n = 0, i;
  int r;

  *ret_dirs = NULL;
  *ret_n = 0;
  r = cgroup_leaves (l, cgroups_path, id, &leaves, &n, err);
  if (r < 0)
    return r;
  for (i = 0; i < n; i++)
    {
      char path[4096], *p;
      struct stat st;

      snprintf (path, sizeof path, "%s", leaves[i]);
      /* Every missing level, from the top down. */
      for (p = path + strlen (l->h[i].mnt) + 1; r == 0; p++)
        {
          char save = *p;

          if (save != '/' && save != '\0')
            continue;
          *p = '\0';
          if (stat (path, &st) < 0 && strv_push (ret_dirs, ret_n, path) < 0)
            r = -ENOMEM;
          if (save == '\0')
            break;
          *p = save;
        }
    }
  cgroup_strv_free (leaves, n);
  return r < 0 ? cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "cgroup") : 0;
}

/* A new v1 cpuset cgroup has no cpus or mems: give it its parent's. */
static void
inherit_cpuset (const char *dir, bool made)
{
  const char *files[] = { "cpuset.cpus", "cpuset.mems" };
  char parent[4096], path[4200];
  size_t i;

  snprintf (parent, sizeof parent, "%s", dir);
  *strrchr (parent, '/') = '\0';
  for (i = 0; i < 2; i++)
    {
      _cleanup_free_ char *mine = NULL, *theirs = NULL;

      /* One we just made has none; one that was there may have its own. */
      snprintf (path, sizeof path, "%s/%s", dir, files[i]);
      if (!made
          && (util_read_file_at (AT_FDCWD, path, &mine, NULL, NULL) < 0
              || strspn (mine, " \n") != strlen (mine)))
        continue;
      snprintf (path, sizeof path, "%s/%s", parent, files[i]);
      if (util_read_file_at (AT_FDCWD, path, &theirs, NULL, NULL) < 0)
        continue;
      snprintf (path, sizeof path, "%s/%s", dir, files[i]);
      util_write_file_at (AT_FDCWD, path, theirs, strlen (theirs), NULL);
    }
}

/* A parent missing from the plan is a systemd slice in a hierarchy
   systemd does not manage: made too, but not recorded as ours.  */
static int
make_dir (const char *dir, int depth)
{
  bool made = mkdir (dir, 0755) == 0;

  if (!made && errno == ENOENT && depth < 32)
    {
      char parent[4096];

      snprintf (parent, sizeof parent, "%s", dir);
      *strrchr (parent, '/') = '\0';
      if (make_dir (parent, depth + 1) < 0 || (!(made = mkdir (dir, 0755) == 0) && errno != EEXIST))
        return -1;
    }
  else if (!made && errno != EEXIST && access (dir, F_OK) < 0)
    return -1;
  if (strstr (dir, "/cpuset/") || strstr (dir, ",cpuset/"))
    inherit_cpuset (dir, made);
  return 0;
}

int
cgroup_create (char *const *dirs, size_t n, struct cfs_error **err)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (make_dir (dirs[i], 0) < 0)
      return cfs_fail (err, CFS_E_CGROUP, errno, dirs[i], "create cgroup");
  return 0;
}

size_t
cgroup_v2_leaf (const struct cgroup_layout *l, char *const *leaves, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      struct statfs st;

      if (l ? i < l->n && l->h[i].v2 : statfs (leaves[i], &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
        return i;
    }
  return SIZE_MAX;
}

/* clone3's arguments, declared here: <linux/sched.h> clashes with glibc's. */
struct clone3_args
{
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
      cgroup;
};
#define CFS_CLONE_INTO_CGROUP 0x200000000ULL

pid_t
cgroup_clone_into (const char *dir, uint64_t flags, bool *ret_into)
{
  _cleanup_close_ int cg = dir ? open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;

  *ret_into = false;
  if (cg >= 0)
    {
      struct clone3_args a
          = { .flags = flags | CFS_CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)cg };
      pid_t pid = (pid_t)syscall (SYS_clone3, &a, sizeof a);

      if (pid >= 0)
        {
          *ret_into = true;
          return pid;
        }
      if (errno != ENOSYS && errno != EINVAL && errno != E2BIG && errno != EOPNOTSUPP)
        return -1;
    }
  return (pid_t)syscall (SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

int
cgroup_enter (char *const *leaves, size_t n, pid_t pid, struct cfs_error **err)
{
  char buf[32], path[4200];
  size_t i;
  int len = snprintf (buf, sizeof buf, "%d", (int)pid);

  for (i = 0; i < n; i++)
    {
      snprintf (path, sizeof path, "%s/cgroup.procs", leaves[i]);
      if (util_write_file_at (AT_FDCWD, path, buf, (size_t)len, err) < 0)
        return cfs_wrap (err, "move the container process into its cgroup");
    }
  return 0;
}

/* Moving a process into a cgroup takes the kernel's global
   cgroup_threadgroup_rwsem for writing, and that waits for an RCU grace
   period (10-16 ms on these machines) unless another migration took it a
   moment before: a `run` after a quiet spell pays it in full.  One case
   skips the lock (a fast path of cgroup_procs_write_start since 2022;
   older kernels take the lock, as for any move): a thread that moves
   itself alone, which is "0" written to a v1 hierarchy's `tasks` file.
   Our callers are single-threaded, so that thread is the whole process.
   v2 has no such file (cgroup.threads only moves threads within a
   threaded subtree): cgroup.procs, locked, there; clone3 with
   CLONE_INTO_CGROUP avoids that move altogether.  */
int
cgroup_enter_self_at (const char *dir, struct cfs_error **err)
{
  char path[4200];
  int r;

  snprintf (path, sizeof path, "%s/tasks", dir);
  r = util_write_file_at (AT_FDCWD, path, "0", 1, NULL);
  if (r == -ENOENT)
    {
      snprintf (path, sizeof path, "%s/cgroup.procs", dir);
      r = util_write_file_at (AT_FDCWD, path, "0", 1, NULL);
    }
  if (r < 0)
    return cfs_fail (err, CFS_E_CGROUP, -r, path, "join the cgroup: write `0` to");
  return 0;
}

int
cgroup_enter_self (char *const *leaves, size_t n, size_t skip, struct cfs_error **err)
{
  size_t i;
  int r;

  for (i = 0; i < n; i++)
    if (i != skip && (r = cgroup_enter_self_at (leaves[i], err)) < 0)
      return r;
  return 0;
}

int
cgroup_pids (char *const *leaves, size_t n, pid_t **ret, size_t *ret_n)
{
  size_t i;

  *ret = NULL;
  *ret_n = 0;
  for (i = 0; i < n; i++)
    {
      _cleanup_free_ char *text = NULL;
      char path[4200], *p, *end;
      size_t cnt = 0;
      pid_t *pids;

      snprintf (path, sizeof path, "%s/cgroup.procs", leaves[i]);
      if (util_read_file_at (AT_FDCWD, path, &text, NULL, NULL) < 0)
        continue;
      pids = malloc ((strlen (text) / 2 + 1) * sizeof *pids);
      if (pids == NULL)
        return -ENOMEM;
      for (p = text; *p; p = end)
        {
          long v = strtol (p, &end, 10);

          if (end == p)
            break;
          pids[cnt++] = (pid_t)v;
        }
      *ret = pids;
      *ret_n = cnt;
      return 0;
    }
  return -ENOENT;
}

int
cgroup_signal_all (char *const *leaves, size_t n, int sig)
{
  _cleanup_free_ pid_t *pids = NULL;
  size_t cnt = 0, i;

  for (i = 0; sig == SIGKILL && i < n; i++)
    {
      char path[4200];

      /* v2 only: an open that fails is cheaper than asking first. */
      snprintf (path, sizeof path, "%s/cgroup.kill", leaves[i]);
      if (util_write_file_at (AT_FDCWD, path, "1", 1, NULL) == 0)
        return 0;
    }
  if (cgroup_pids (leaves, n, &pids, &cnt) < 0)
    return -ENOENT;
  for (i = 0; i < cnt; i++)
    kill (pids[i], sig);
  return 0;
}

static const char *
freezer_leaf (const struct cgroup_layout *l, char *const *leaves, size_t n, bool *v2)
{
  size_t i;

  for (i = 0; i < n && i < l->n; i++)
    if (!l->h[i].v2 && strstr (l->h[i].controllers, "freezer"))
      {
        *v2 = false;
        return leaves[i];
      }
  for (i = 0; i < n && i < l->n; i++)
    if (l->h[i].v2 && l->mode == CGROUP_V2)
      {
        *v2 = true;
        return leaves[i];
      }
  return NULL;
}

int
cgroup_freeze (const struct cgroup_layout *l, char *const *leaves, size_t n, bool freeze,
               struct cfs_error **err)
{
  bool v2 = false;
  const char *leaf = freezer_leaf (l, leaves, n, &v2);
  char path[4200];
  int waited;

  if (leaf == NULL)
    return cfs_fail (err, CFS_E_CGROUP, ENOTSUP, NULL, "this host has no freezer cgroup");
  snprintf (path, sizeof path, "%s/%s", leaf, v2 ? "cgroup.freeze" : "freezer.state");
  if (util_write_file_at (AT_FDCWD, path, v2 ? (freeze ? "1" : "0") : (freeze ? "FROZEN" : "THAWED"),
                          v2 ? 1 : strlen (freeze ? "FROZEN" : "THAWED"), err)
      < 0)
    return -EIO;
  for (waited = 0; waited < FREEZE_TIMEOUT_MS; waited += 1)
    {
      struct timespec ms = { 0, 1000000 };

      if (cgroup_frozen (leaves, n) == freeze)
        return 0;
      nanosleep (&ms, NULL);
    }
  return cfs_fail (err, CFS_E_TIMEOUT, 0, leaf,
                   "the cgroup did not %s within %d s:", freeze ? "freeze" : "thaw",
                   FREEZE_TIMEOUT_MS / 1000);
}

bool
cgroup_frozen (char *const *leaves, size_t n)
{
  size_t i;
  int pass;

  /* The v1 freezer's leaf first, found by its name (v1 mounts are named
     for their controllers): asking every leaf for two files in turn cost
     up to 18 failed opens per status.  Then every leaf (v2's is not so
     named, and a v1 mount may be named otherwise).  */
  for (pass = 0; pass < 2; pass++)
    for (i = 0; i < n; i++)
      {
        _cleanup_free_ char *text = NULL;
        char path[4200];

        if ((pass == 0) != (strstr (leaves[i], "freezer") != NULL))
          continue;
        snprintf (path, sizeof path, "%s/freezer.state", leaves[i]);
        if (util_read_file_at (AT_FDCWD, path, &text, NULL, NULL) == 0)
          return strncmp (text, "FROZEN", 6) == 0;
        snprintf (path, sizeof path, "%s/cgroup.events", leaves[i]);
        if (util_read_file_at (AT_FDCWD, path, &text, NULL, NULL) == 0 && strstr (text, "frozen "))
          return strstr (text, "frozen 1") != NULL;
      }
  return false;
}

static bool
has_procs (const char *dir)
{
  _cleanup_free_ char *text = NULL;
  char path[4200];

  snprintf (path, sizeof path, "%s/cgroup.procs", dir);
  return util_read_file_at (AT_FDCWD, path, &text, NULL, NULL) == 0 && text[0] != '\0';
}

void
cgroup_plan_drop_suffix (char **dirs, size_t *n, const char *suffix)
{
  size_t i, j = 0, ls = strlen (suffix);

  for (i = 0; i < *n; i++)
    {
      size_t l = strlen (dirs[i]);

      if (l >= ls && strcmp (dirs[i] + l - ls, suffix) == 0)
        free (dirs[i]);
      else
        dirs[j++] = dirs[i];
    }
  *n = j;
  if (dirs)
    dirs[j] = NULL;
}

/* Depth first; only directories (a cgroup's files cannot be removed). */
static void
remove_children (int dirfd, int depth)
{
  DIR *d = fdopendir (dirfd);
  struct dirent *e;

  if (d == NULL)
    {
      close (dirfd);
      return;
    }
  while ((e = readdir (d)))
    {
      int fd;

      if (e->d_type != DT_DIR || strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0 || depth > 64)
        continue;
      fd = openat (dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
      if (fd >= 0)
        remove_children (fd, depth + 1);
      unlinkat (dirfd, e->d_name, AT_REMOVEDIR);
    }
  closedir (d);
}

/* Remove what the container made below its LEAVES (a systemd inside,
   exec --cgroup): its subtree is its own.  Best effort.  */
static void
remove_subtrees (char *const *leaves, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      int fd;

      /* Most have no subtree: then removing the leaf is all there is to
         do (cgroup_remove finds it gone), and no listing is needed.  */
      if (rmdir (leaves[i]) == 0 || errno == ENOENT)
        continue;
      fd = open (leaves[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
      if (fd >= 0)
        remove_children (fd, 0);
    }
}

/* A just-killed process lingers a moment in cgroup.procs: wait for it
   (bounded).  Busy with child cgroups (not ours): leave it.  */
static int
remove_dir (const char *dir, struct cfs_error **err)
{
  int tries;

  for (tries = 0; rmdir (dir) < 0 && errno == EBUSY && has_procs (dir); tries++)
    {
      struct timespec ms = { 0, 2000000 };

      if (tries == 2500)
        return cfs_fail (err, CFS_E_CGROUP, EBUSY, dir, "remove cgroup (processes left in it)");
      nanosleep (&ms, NULL);
    }
  return 0;
}

int
cgroup_remove (char *const *dirs, size_t n, struct cfs_error **err)
{
  size_t i;
  int r = 0;

  for (i = n; i > 0; i--)
    if (remove_dir (dirs[i - 1], r == 0 ? err : NULL) < 0 && r == 0)
      r = -EBUSY;
  return r;
}

bool
cgroup_strv_has (char *const *v, size_t n, const char *s)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp (s, v[i]) == 0)
      return true;
  return false;
}

int
cgroup_remove_container (char *const *leaves, size_t n_leaves, char *const *dirs, size_t n_dirs,
                         struct cfs_error **err)
{
  bool busy = false;
  size_t i;
  int r = 0;

  for (i = 0; i < n_leaves && !busy; i++)
    busy = rmdir (leaves[i]) < 0 && errno != ENOENT;
  if (busy)
    {
      cgroup_signal_all (leaves, n_leaves, SIGKILL);
      remove_subtrees (leaves, n_leaves);
    }
  for (i = n_dirs; i > 0; i--)
    if ((busy || !cgroup_strv_has (leaves, n_leaves, dirs[i - 1]))
        && remove_dir (dirs[i - 1], r == 0 ? err : NULL) < 0 && r == 0)
      r = -EBUSY;
  return r;
}

bool
cgroup_writable (char *const *dirs, size_t n_dirs, char *const *leaves, size_t n_leaves)
{
  size_t i;

  for (i = 0; i < n_dirs; i++)
    {
      char parent[4096];

      snprintf (parent, sizeof parent, "%s", dirs[i]);
      *strrchr (parent, '/') = '\0';
      /* Only the top missing level needs a writable parent. */
      if ((i == 0 || strncmp (dirs[i], dirs[i - 1], strlen (dirs[i - 1])) != 0) && access (parent, W_OK) < 0)
        return false;
    }
  for (i = 0; i < n_leaves; i++)
    {
      char procs[4200];
      struct stat st;

      snprintf (procs, sizeof procs, "%s/cgroup.procs", leaves[i]);
      if (stat (leaves[i], &st) == 0 && access (procs, W_OK) < 0)
        return false;
    }
  return true;
}

const char *
cgroup_limits_asked (const struct oci_resources *r)
{
  if (r == NULL)
    return NULL;
  if (r->memory)
    return "linux.resources.memory";
  if (r->cpu)
    return "linux.resources.cpu";
  if (r->pids)
    return "linux.resources.pids";
  if (r->block_io)
    return "linux.resources.blockIO";
  if (r->hugepage_limits_len)
    return "linux.resources.hugepageLimits";
  if (r->network)
    return "linux.resources.network";
  if (r->rdma_len)
    return "linux.resources.rdma";
  if (r->unified_len)
    return "linux.resources.unified";
  return NULL;
}

/* The oom_kill count of a memory.oom_control or memory.events file. */
static uint64_t
oom_kills (const char *file)
{
  _cleanup_free_ char *text = NULL;
  const char *p;

  if (util_read_file_at (AT_FDCWD, file, &text, NULL, NULL) < 0)
    return 0;
  for (p = text; (p = strstr (p, "oom_kill ")); p++)
    if (p == text || p[-1] == '\n')
      return strtoull (p + 9, NULL, 10);
  return 0;
}

int
cgroup_oom_watch_open (const struct cgroup_layout *l, char *const *leaves, size_t n,
                       struct cgroup_oom_watch *w, struct cfs_error **err)
{
  const struct cgroup_hier *h = cgroup_find (l, "memory");
  size_t i = h ? (size_t)(h - l->h) : n;
  char ctl[4200], line[64];

  w->fd = w->ctl_fd = -1;
  if (i >= n)
    return cfs_fail (err, CFS_E_CGROUP, ENOTSUP, NULL, "no memory cgroup to watch for OOM events");
  snprintf (w->counter, sizeof w->counter, "%s/%s", leaves[i],
            h->v2 ? "memory.events" : "memory.oom_control");
  w->seen = oom_kills (w->counter);
  if (h->v2)
    {
      if ((w->fd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK)) < 0
          || inotify_add_watch (w->fd, w->counter, IN_MODIFY) < 0)
        return cfs_fail (err, CFS_E_CGROUP, errno, w->counter, "watch");
      return 0;
    }
  snprintf (ctl, sizeof ctl, "%s/cgroup.event_control", leaves[i]);
  if ((w->fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0
      || (w->ctl_fd = open (w->counter, O_RDONLY | O_CLOEXEC)) < 0)
    return cfs_fail (err, CFS_E_CGROUP, errno, w->counter, "watch");
  snprintf (line, sizeof line, "%d %d", w->fd, w->ctl_fd);
  if (util_write_file_at (AT_FDCWD, ctl, line, strlen (line), err) < 0)
    return cfs_wrap (err, "register for OOM events");
  return 0;
}

uint64_t
cgroup_oom_watch_read (struct cgroup_oom_watch *w)
{
  char buf[4096];
  uint64_t now, notified = 0;
  ssize_t n;

  /* v1's eventfd counts OOM notifications, which the kernel sends before
     it kills (so oom_kill may not have moved yet): each is an event, as
     runc has it.  v2's inotify only says memory.events changed: the kills
     are counted from the file.  */
  while ((n = read (w->fd, buf, sizeof buf)) > 0)
    if (w->ctl_fd >= 0 && n == 8)
      {
        uint64_t v;

        memcpy (&v, buf, 8);
        notified += v;
      }
  now = oom_kills (w->counter);
  if (w->ctl_fd >= 0)
    {
      w->seen = now;
      return notified;
    }
  if (now <= w->seen)
    return 0;
  now -= w->seen;
  w->seen += now;
  return now;
}

void
cgroup_oom_watch_close (struct cgroup_oom_watch *w)
{
  closep (&w->fd);
  closep (&w->ctl_fd);
  w->fd = w->ctl_fd = -1;
}
