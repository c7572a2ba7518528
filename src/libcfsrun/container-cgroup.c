/* The commands that act on a container's cgroup: pause, resume, ps,
   update, events --stats.  */
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup-resources.h"
#include "cgroup-systemd.h"
#include "cgroup.h"
#include "container.h"
#include "util.h"

static int
need_cgroup (struct opened *c, const char *id, const char *what, struct cfs_error **err)
{
  if (c->rec->cgroup_leaves_len == 0)
    return cfs_fail (err, CFS_E_CGROUP, ENOTSUP, NULL, "%s: container `%s` has no cgroup of its own", what,
                     id);
  return 0;
}

static int
set_frozen (const struct cfsrun_global *g, const char *id, bool freeze, struct cfs_error **err)
{
  struct opened c __attribute__ ((cleanup (opened_done))) = { .rootfd = -1, .dirfd = -1 };
  struct cgroup_layout l;
  int r;

  r = open_container (g, id, LOCK_EX, &c, err);
  if (r < 0 || (r = need_cgroup (&c, id, freeze ? "pause" : "resume", err)) < 0)
    return r;
  if (freeze && strcmp (c.status, "running") != 0 && strcmp (c.status, "created") != 0)
    return cfs_fail (err, CFS_E_CONTAINER_STATE, 0, NULL, "cannot pause container `%s`: it is %s", id,
                     c.status);
  if (!freeze && strcmp (c.status, "paused") != 0)
    return cfs_fail (err, CFS_E_CONTAINER_STATE, 0, NULL,
                     "cannot resume container `%s`: it is %s, not paused", id, c.status);
  if ((r = cgroup_layout_read (&l, err)) < 0)
    return r;
  return cgroup_freeze (&l, c.rec->cgroup_leaves, c.rec->cgroup_leaves_len, freeze, err);
}

int
cfsrun_container_pause (const struct cfsrun_global *g, const char *id, struct cfs_error **err)
{
  return set_frozen (g, id, true, err);
}

int
cfsrun_container_resume (const struct cfsrun_global *g, const char *id, struct cfs_error **err)
{
  return set_frozen (g, id, false, err);
}

int
cfsrun_container_pids (const struct cfsrun_global *g, const char *id, int **ret_pids, size_t *ret_n,
                       struct cfs_error **err)
{
  struct opened c __attribute__ ((cleanup (opened_done))) = { .rootfd = -1, .dirfd = -1 };
  int r;

  r = open_container (g, id, LOCK_SH, &c, err);
  if (r < 0 || (r = need_cgroup (&c, id, "ps", err)) < 0)
    return r;
  if (strcmp (c.status, "stopped") == 0)
    return cfs_fail (err, CFS_E_CONTAINER_STATE, 0, NULL,
                     "cannot list the processes of container `%s`: it is stopped", id);
  if (cgroup_pids (c.rec->cgroup_leaves, c.rec->cgroup_leaves_len, ret_pids, ret_n) < 0)
    return cfs_fail (err, CFS_E_CGROUP, EIO, NULL, "read the processes of container `%s`", id);
  return 0;
}

/* Run ps(1) and return its output. */
static int
run_ps (char **args, size_t n, char **ret, struct cfs_error **err)
{
  char *argv[66];
  int pipefd[2], st;
  size_t i;
  pid_t pid;
  int r;

  if (n > 64)
    return cfs_fail (err, CFS_E_USAGE, E2BIG, NULL, "ps: too many arguments");
  argv[0] = "ps";
  for (i = 0; i < n; i++)
    argv[i + 1] = args[i];
  if (n == 0)
    argv[++n] = "-ef";
  argv[n + 1] = NULL;
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return cfs_fail (err, CFS_E_SYSTEM, errno, NULL, "ps: pipe");
  pid = fork ();
  if (pid == 0)
    {
      dup2 (pipefd[1], 1);
      execvp ("ps", argv);
      _exit (127);
    }
  close (pipefd[1]);
  r = util_read_fd (pipefd[0], "ps", ret, NULL, err);
  close (pipefd[0]);
  while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
    ;
  if (r == 0 && !(WIFEXITED (st) && WEXITSTATUS (st) == 0))
    {
      free (*ret);
      *ret = NULL;
      return cfs_fail (err, CFS_E_PROCESS, 0, NULL, "ps exited with status %d (is procps installed?)",
                       WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st));
    }
  return r;
}

/* The column of the header titled PID. */
static int
pid_column (const char *header)
{
  int col = 0;
  const char *p = header;

  while (*p)
    {
      while (*p == ' ')
        p++;
      if (strncmp (p, "PID", 3) == 0 && (p[3] == ' ' || p[3] == '\n' || p[3] == '\0'))
        return col;
      while (*p && *p != ' ')
        p++;
      col++;
    }
  return -1;
}

static long
field (const char *line, int col)
{
  const char *p = line;

  for (; col > 0; col--)
    {
      while (*p == ' ')
        p++;
      while (*p && *p != ' ')
        p++;
    }
  return strtol (p, NULL, 10);
}

int
cfsrun_container_ps_table (const struct cfsrun_global *g, const char *id, char **ps_args, size_t n_args,
                           char **ret_text, struct cfs_error **err)
{
  _cleanup_free_ int *pids = NULL;
  _cleanup_free_ char *out = NULL;
  char *line, *save = NULL, *res;
  size_t n = 0, len = 0, i;
  int col, r;

  if ((r = cfsrun_container_pids (g, id, &pids, &n, err)) < 0
      || (r = run_ps (ps_args, n_args, &out, err)) < 0)
    return r;
  res = malloc (strlen (out) + 1);
  if (res == NULL)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "ps");
  line = strtok_r (out, "\n", &save);
  col = line ? pid_column (line) : -1;
  if (col < 0)
    {
      free (res);
      return cfs_fail (err, CFS_E_USAGE, 0, NULL, "ps: the output of ps has no PID column");
    }
  len += (size_t)sprintf (res, "%s\n", line);
  while ((line = strtok_r (NULL, "\n", &save)) != NULL)
    {
      long pid = field (line, col);

      for (i = 0; i < n; i++)
        if (pids[i] == pid)
          {
            len += (size_t)sprintf (res + len, "%s\n", line);
            break;
          }
    }
  *ret_text = res;
  return 0;
}

/* "128M", "1g", "1024", "-1" to bytes, as runc's --memory reads them. */
static int
parse_size (const char *s, const char *flag, int64_t *ret, struct cfs_error **err)
{
  char *end;
  double v = strtod (s, &end);
  int64_t mul = 1;

  if (end == s)
    goto bad;
  switch (tolower ((unsigned char)*end))
    {
    case 'k':
      mul = 1024;
      break;
    case 'm':
      mul = 1024 * 1024;
      break;
    case 'g':
      mul = 1024LL * 1024 * 1024;
      break;
    case 't':
      mul = 1024LL * 1024 * 1024 * 1024;
      break;
    case '\0':
      break;
    default:
      goto bad;
    }
  if (*end && end[1] && !(tolower ((unsigned char)end[1]) == 'b' && end[2] == '\0'))
    goto bad;
  if (v < -1)
    goto bad;
  *ret = v < 0 ? -1 : (int64_t)(v * (double)mul);
  return 0;
bad:
  return cfs_fail (err, CFS_E_USAGE, 0, NULL, "update: %s `%s` is not a size (like 128M, or -1)", flag, s);
}

static int
parse_num (const char *s, const char *flag, int64_t *ret, struct cfs_error **err)
{
  char *end;

  *ret = strtoll (s, &end, 10);
  if (end == s || *end)
    return cfs_fail (err, CFS_E_USAGE, 0, NULL, "update: %s `%s` is not a number", flag, s);
  return 0;
}

#define ENSURE(ptr)                                                                                          \
  do                                                                                                         \
    if ((ptr) == NULL && ((ptr) = calloc (1, sizeof *(ptr))) == NULL)                                        \
      return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "update");                                           \
  while (0)

static int
apply_flags (struct oci_resources *res, const struct cfsrun_update *u, struct cfs_error **err)
{
  int64_t v;
  int r;

  if (u->memory || u->memory_swap || u->memory_reservation || u->kernel_memory)
    ENSURE (res->memory);
  if (u->memory && (r = parse_size (u->memory, "--memory", &v, err)) == 0)
    res->memory->limit = v, res->memory->has_limit = true;
  if (u->memory_swap && (r = parse_size (u->memory_swap, "--memory-swap", &v, err)) == 0)
    res->memory->swap = v, res->memory->has_swap = true;
  if (u->memory_reservation && (r = parse_size (u->memory_reservation, "--memory-reservation", &v, err)) == 0)
    res->memory->reservation = v, res->memory->has_reservation = true;
  if (u->kernel_memory && (r = parse_size (u->kernel_memory, "--kernel-memory", &v, err)) == 0)
    res->memory->kernel = v, res->memory->has_kernel = true;
  if (err && *err)
    return -EINVAL;
  if (u->cpu_shares || u->cpu_quota || u->cpu_period || u->cpuset_cpus || u->cpuset_mems)
    ENSURE (res->cpu);
  if (u->cpu_shares && parse_num (u->cpu_shares, "--cpu-shares", &v, err) == 0)
    res->cpu->shares = (uint64_t)v, res->cpu->has_shares = true;
  if (u->cpu_quota && parse_num (u->cpu_quota, "--cpu-quota", &v, err) == 0)
    res->cpu->quota = v, res->cpu->has_quota = true;
  if (u->cpu_period && parse_num (u->cpu_period, "--cpu-period", &v, err) == 0)
    res->cpu->period = (uint64_t)v, res->cpu->has_period = true;
  if (u->cpuset_cpus)
    {
      free (res->cpu->cpus);
      res->cpu->cpus = strdup (u->cpuset_cpus);
    }
  if (u->cpuset_mems)
    {
      free (res->cpu->mems);
      res->cpu->mems = strdup (u->cpuset_mems);
    }
  if (u->pids_limit)
    ENSURE (res->pids);
  if (u->pids_limit && parse_num (u->pids_limit, "--pids-limit", &v, err) == 0)
    res->pids->limit = v, res->pids->has_limit = true;
  if (u->blkio_weight)
    ENSURE (res->block_io);
  if (u->blkio_weight && parse_num (u->blkio_weight, "--blkio-weight", &v, err) == 0)
    {
      if (v < 10 || v > 1000)
        return cfs_fail (err, CFS_E_USAGE, 0, NULL, "update: --blkio-weight %" PRId64 " is not 10..1000", v);
      res->block_io->weight = (uint16_t)v, res->block_io->has_weight = true;
    }
  return err && *err ? -EINVAL : 0;
}

int
cfsrun_container_update (const struct cfsrun_global *g, const char *id, const struct cfsrun_update *u,
                         struct cfs_error **err)
{
  struct opened c __attribute__ ((cleanup (opened_done))) = { .rootfd = -1, .dirfd = -1 };
  _cleanup_free_ char *json = NULL, *out = NULL;
  struct oci_parse_error perr = { 0 };
  struct oci_spec *spec = NULL;
  struct oci_resources *res;
  struct cgroup_layout l;
  size_t len = 0;
  int r;

  r = open_container (g, id, LOCK_EX, &c, err);
  if (r < 0 || (r = need_cgroup (&c, id, "update", err)) < 0)
    return r;
  if (strcmp (c.status, "stopped") == 0)
    return cfs_fail (err, CFS_E_CONTAINER_STATE, 0, NULL, "cannot update container `%s`: it is stopped", id);
  if ((r = util_read_file_at (c.dirfd, CFS_CONFIG_FILE, &json, &len, err)) < 0)
    return cfs_wrap (err, "update: read the config of `%s`", id);
  spec = oci_spec_parse (json, len, &perr);
  if (spec == NULL)
    {
      oci_parse_error_done (&perr);
      return cfs_fail (err, CFS_E_STATE_STORE, 0, NULL, "update: the saved config of `%s` is corrupt", id);
    }
  if (spec->linux == NULL && (spec->linux = calloc (1, sizeof *spec->linux)) == NULL)
    r = cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "update");
  if (r == 0 && u->resources_file)
    {
      _cleanup_free_ char *rjson = NULL;
      void *nres = NULL;
      size_t rlen = 0;

      r = util_read_file_at (AT_FDCWD, u->resources_file, &rjson, &rlen, err);
      if (r == 0 && oci_decode (&oci_resources_type, rjson, rlen, &nres, &perr) < 0)
        {
          r = cfs_fail (err, CFS_E_CONFIG_INVALID, 0, perr.path, "%s: %s: %s", u->resources_file, perr.path,
                        perr.reason);
          oci_parse_error_done (&perr);
        }
      if (r == 0)
        {
          oci_free (&oci_resources_type, spec->linux->resources);
          spec->linux->resources = nres;
        }
    }
  if (r == 0 && spec->linux->resources == NULL
      && (spec->linux->resources = calloc (1, sizeof *spec->linux->resources)) == NULL)
    r = cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "update");
  res = r == 0 ? spec->linux->resources : NULL;
  if (r == 0)
    r = apply_flags (res, u, err);
  /* Device rules are not changed by update (runc neither). */
  if (r == 0)
    {
      struct oci_resources only = *res;

      only.devices = NULL;
      only.devices_len = 0;
      r = cgroup_layout_read (&l, err);
      /* systemd first, which rewrites its files; then ours, over them. */
      if (r == 0 && c.rec->systemd_unit)
        r = cgroup_systemd_set (c.rec->systemd_unit, &l, &only, err);
      if (r == 0)
        r = cgroup_resources_apply (&l, c.rec->cgroup_leaves, c.rec->cgroup_leaves_len, &only, NULL, 0, err);
    }
  if (r == 0 && oci_encode (&oci_spec_type, spec, false, &out, &len) < 0)
    r = cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "update");
  if (r == 0)
    r = util_write_file_atomic_at (c.dirfd, CFS_CONFIG_FILE, out, len, err);
  oci_spec_free (spec);
  return r;
}

/* ---- events --stats, in runc's event JSON ---- */

#define OCI_TYPE_cfs_cpu_usage(F, S)                                                                         \
  F (S, U64, total, "total", _, OCI_OPT)                                                                     \
  F (S, U64, kernel, "kernel", _, OCI_OPT)                                                                   \
  F (S, U64, user, "user", _, OCI_OPT)
#define OCI_TYPE_cfs_cpu_stats(F, S) F (S, OBJ, usage, "usage", cfs_cpu_usage, OCI_OPT)
#define OCI_TYPE_cfs_mem_entry(F, S)                                                                         \
  F (S, U64, limit, "limit", _, OCI_OPT)                                                                     \
  F (S, U64, usage, "usage", _, OCI_OPT)                                                                     \
  F (S, U64, max, "max", _, OCI_OPT)                                                                         \
  F (S, U64, failcnt, "failcnt", _, OCI_OPT)
#define OCI_TYPE_cfs_mem_stats(F, S) F (S, OBJ, usage, "usage", cfs_mem_entry, OCI_OPT)
#define OCI_TYPE_cfs_pids_stats(F, S)                                                                        \
  F (S, U64, current, "current", _, OCI_OPT)                                                                 \
  F (S, U64, limit, "limit", _, OCI_OPT)
#define OCI_TYPE_cfs_stats(F, S)                                                                             \
  F (S, OBJ, cpu, "cpu", cfs_cpu_stats, OCI_OPT)                                                             \
  F (S, OBJ, memory, "memory", cfs_mem_stats, OCI_OPT)                                                       \
  F (S, OBJ, pids, "pids", cfs_pids_stats, OCI_OPT)
#define OCI_TYPE_cfs_event(F, S)                                                                             \
  F (S, STR, type, "type", _, OCI_REQ)                                                                       \
  F (S, STR, id, "id", _, OCI_REQ)                                                                           \
  F (S, OBJ, data, "data", cfs_stats, OCI_OPT)

OCI_DECLARE_STRUCT (cfs_cpu_usage)
OCI_DECLARE_STRUCT (cfs_cpu_stats)
OCI_DECLARE_STRUCT (cfs_mem_entry)
OCI_DECLARE_STRUCT (cfs_mem_stats)
OCI_DECLARE_STRUCT (cfs_pids_stats)
OCI_DECLARE_STRUCT (cfs_stats)
OCI_DECLARE_STRUCT (cfs_event)
OCI_DEFINE_TYPE (cfs_cpu_usage)
OCI_DEFINE_TYPE (cfs_cpu_stats)
OCI_DEFINE_TYPE (cfs_mem_entry)
OCI_DEFINE_TYPE (cfs_mem_stats)
OCI_DEFINE_TYPE (cfs_pids_stats)
OCI_DEFINE_TYPE (cfs_stats)
OCI_DEFINE_TYPE (cfs_event)

/* A number from FILE in the leaf of the hierarchy holding CONTROLLER;
   KEY picks a "key value" line (NULL: the whole file). */
static bool
read_stat (const struct cgroup_layout *l, char *const *leaves, size_t n, const char *controller,
           const char *file, const char *key, uint64_t *ret)
{
  const struct cgroup_hier *h = cgroup_find (l, controller);
  _cleanup_free_ char *text = NULL;
  char path[4400];
  size_t i = h ? (size_t)(h - l->h) : n;
  const char *p;

  if (i >= n)
    return false;
  snprintf (path, sizeof path, "%s/%s", leaves[i], file);
  if (util_read_file_at (AT_FDCWD, path, &text, NULL, NULL) < 0)
    return false;
  p = text;
  if (key)
    {
      size_t kl = strlen (key);

      for (p = text; p && !(strncmp (p, key, kl) == 0 && p[kl] == ' ');
           p = strchr (p, '\n'), p = p ? p + 1 : NULL)
        ;
      if (p == NULL)
        return false;
      p += kl + 1;
    }
  if (strncmp (p, "max", 3) == 0)
    *ret = UINT64_MAX;
  else
    *ret = strtoull (p, NULL, 10);
  return true;
}

int
cfsrun_container_stats (const struct cfsrun_global *g, const char *id, char **ret_json,
                        struct cfs_error **err)
{
  struct opened c __attribute__ ((cleanup (opened_done))) = { .rootfd = -1, .dirfd = -1 };
  struct cfs_cpu_usage cu = { 0 };
  struct cfs_cpu_stats cs = { .usage = &cu };
  struct cfs_mem_entry mu = { 0 };
  struct cfs_mem_stats ms = { .usage = &mu };
  struct cfs_pids_stats ps = { 0 };
  struct cfs_stats st = { .cpu = &cs, .memory = &ms, .pids = &ps };
  struct cfs_event ev = { .type = "stats", .id = (char *)id, .data = &st };
  struct cgroup_layout l;
  char *const *lv;
  size_t n;
  int r;

  r = open_container (g, id, LOCK_SH, &c, err);
  if (r < 0 || (r = need_cgroup (&c, id, "events", err)) < 0 || (r = cgroup_layout_read (&l, err)) < 0)
    return r;
  if (strcmp (c.status, "stopped") == 0)
    return cfs_fail (err, CFS_E_CONTAINER_STATE, 0, NULL, "container `%s` is stopped", id);
  lv = c.rec->cgroup_leaves;
  n = c.rec->cgroup_leaves_len;
  if (cgroup_find (&l, "memory") && !cgroup_find (&l, "memory")->v2)
    {
      mu.has_usage = read_stat (&l, lv, n, "memory", "memory.usage_in_bytes", NULL, &mu.usage);
      mu.has_max = read_stat (&l, lv, n, "memory", "memory.max_usage_in_bytes", NULL, &mu.max);
      mu.has_limit = read_stat (&l, lv, n, "memory", "memory.limit_in_bytes", NULL, &mu.limit);
      mu.has_failcnt = read_stat (&l, lv, n, "memory", "memory.failcnt", NULL, &mu.failcnt);
      cu.has_total = read_stat (&l, lv, n, "cpuacct", "cpuacct.usage", NULL, &cu.total);
      cu.has_user = read_stat (&l, lv, n, "cpuacct", "cpuacct.usage_user", NULL, &cu.user);
      cu.has_kernel = read_stat (&l, lv, n, "cpuacct", "cpuacct.usage_sys", NULL, &cu.kernel);
    }
  else
    {
      mu.has_usage = read_stat (&l, lv, n, "memory", "memory.current", NULL, &mu.usage);
      mu.has_max = read_stat (&l, lv, n, "memory", "memory.peak", NULL, &mu.max);
      mu.has_limit = read_stat (&l, lv, n, "memory", "memory.max", NULL, &mu.limit);
      if ((cu.has_total = read_stat (&l, lv, n, "cpu", "cpu.stat", "usage_usec", &cu.total)))
        cu.total *= 1000;
      if ((cu.has_user = read_stat (&l, lv, n, "cpu", "cpu.stat", "user_usec", &cu.user)))
        cu.user *= 1000;
      if ((cu.has_kernel = read_stat (&l, lv, n, "cpu", "cpu.stat", "system_usec", &cu.kernel)))
        cu.kernel *= 1000;
    }
  ps.has_current = read_stat (&l, lv, n, "pids", "pids.current", NULL, &ps.current);
  ps.has_limit = read_stat (&l, lv, n, "pids", "pids.max", NULL, &ps.limit);
  if (ps.has_limit && ps.limit == UINT64_MAX)
    ps.limit = 0;
  if (oci_encode (&cfs_event_type, &ev, false, ret_json, NULL) < 0)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "events");
  return 0;
}

/* ---- events: OOM notifications ---- */

struct cfsrun_oom_watch
{
  struct cgroup_oom_watch w;
};

int
cfsrun_container_oom_watch (const struct cfsrun_global *g, const char *id, struct cfsrun_oom_watch **ret,
                            struct cfs_error **err)
{
  struct opened c __attribute__ ((cleanup (opened_done))) = { .rootfd = -1, .dirfd = -1 };
  struct cfsrun_oom_watch *w;
  struct cgroup_layout l;
  int r;

  r = open_container (g, id, LOCK_SH, &c, err);
  if (r < 0 || (r = need_cgroup (&c, id, "events", err)) < 0 || (r = cgroup_layout_read (&l, err)) < 0)
    return r;
  if ((w = calloc (1, sizeof *w)) == NULL)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "events");
  if ((r = cgroup_oom_watch_open (&l, c.rec->cgroup_leaves, c.rec->cgroup_leaves_len, &w->w, err)) < 0)
    {
      cfsrun_oom_watch_free (w);
      return r;
    }
  *ret = w;
  return 0;
}

int
cfsrun_oom_watch_fd (const struct cfsrun_oom_watch *w)
{
  return w->w.fd;
}

unsigned
cfsrun_oom_watch_read (struct cfsrun_oom_watch *w)
{
  return (unsigned)cgroup_oom_watch_read (&w->w);
}

void
cfsrun_oom_watch_free (struct cfsrun_oom_watch *w)
{
  if (w == NULL)
    return;
  cgroup_oom_watch_close (&w->w);
  free (w);
}

int
cfsrun_oom_event (const char *id, char **ret_json, struct cfs_error **err)
{
  struct cfs_event ev = { .type = "oom", .id = (char *)id };

  if (oci_encode (&cfs_event_type, &ev, false, ret_json, NULL) < 0)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "events");
  return 0;
}
