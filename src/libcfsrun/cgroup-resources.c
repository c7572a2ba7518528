#include "cgroup-resources.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-bpf.h"
#include "log.h"
#include "util.h"

uint64_t
cgroup_shares_to_weight (uint64_t shares)
{
  /* [2, 262144] onto [1, 10000], as runc and crun map it. */
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t
cgroup_blkio_to_io_weight (uint64_t weight)
{
  /* [10, 1000] onto [1, 10000]. */
  if (weight == 0)
    return 0;
  return 1 + (weight - 10) * 9999 / 990;
}

struct plan
{
  const struct cgroup_layout *l;
  struct cg_write *w;
  size_t n, cap;
  struct cfs_error **err;
};

static int add (struct plan *p, const char *controller, bool optional, const char *file, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));

static int
add (struct plan *p, const char *controller, bool optional, const char *file, const char *fmt, ...)
{
  const struct cgroup_hier *h = controller[0] ? cgroup_find (p->l, controller) : NULL;
  va_list ap;
  size_t i;

  /* No controller: a cgroup.* file of the v2 hierarchy. */
  for (i = 0; !controller[0] && i < p->l->n; i++)
    if (p->l->h[i].v2)
      h = &p->l->h[i];
  if (h == NULL)
    return cfs_fail (p->err, CFS_E_CGROUP, ENOTSUP, NULL,
                     "linux.resources: the `%s` controller is not available on this host (needed for %s)",
                     controller, file);
  if (p->n == p->cap)
    {
      struct cg_write *nw = realloc (p->w, (p->cap = p->cap ? p->cap * 2 : 16) * sizeof *nw);

      if (nw == NULL)
        return cfs_fail (p->err, CFS_E_SYSTEM, ENOMEM, NULL, "cgroup plan");
      p->w = nw;
    }
  p->w[p->n].h = h;
  p->w[p->n].optional = optional;
  snprintf (p->w[p->n].file, sizeof p->w[p->n].file, "%s", file);
  va_start (ap, fmt);
  vsnprintf (p->w[p->n].value, sizeof p->w[p->n].value, fmt, ap);
  va_end (ap);
  p->n++;
  return 0;
}

static bool
is_v2 (struct plan *p, const char *controller)
{
  const struct cgroup_hier *h = cgroup_find (p->l, controller);

  return h && h->v2;
}

static int
check_limit (int64_t v, const char *field, struct cfs_error **err)
{
  if (v < -1)
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, field,
                     "config.json: %s: %" PRId64 " is negative (only -1, for no limit, is allowed)", field,
                     v);
  return 0;
}

static int
plan_memory (struct plan *p, const struct oci_memory *m)
{
  int r = 0;

  if ((m->has_limit && (r = check_limit (m->limit, "linux.resources.memory.limit", p->err)) < 0)
      || (m->has_swap && (r = check_limit (m->swap, "linux.resources.memory.swap", p->err)) < 0)
      || (m->has_reservation
          && (r = check_limit (m->reservation, "linux.resources.memory.reservation", p->err)) < 0))
    return r;
  if (m->has_swap && m->has_limit && m->swap >= 0 && m->limit >= 0 && m->swap < m->limit)
    return cfs_fail (p->err, CFS_E_CONFIG_INVALID, 0, "linux.resources.memory.swap",
                     "config.json: linux.resources.memory.swap (%" PRId64 ") is below memory.limit (%" PRId64
                     "): swap is memory plus swap",
                     m->swap, m->limit);
  if (is_v2 (p, "memory"))
    {
      if (m->has_limit
          && (r = add (p, "memory", false, "memory.max", m->limit < 0 ? "max" : "%" PRId64, m->limit)) < 0)
        return r;
      if (m->has_reservation
          && (r = add (p, "memory", false, "memory.low", m->reservation < 0 ? "max" : "%" PRId64,
                       m->reservation))
                 < 0)
        return r;
      if (m->has_swap && m->has_limit)
        r = add (p, "memory", false, "memory.swap.max", m->swap < 0 ? "max" : "%" PRId64,
                 m->swap < 0 ? 0 : m->swap - (m->limit < 0 ? 0 : m->limit));
      return r;
    }
  /* memsw must stay >= limit at every step: runc's order, limit first
     when lowering, swap first when raising, is simplified to writing swap
     both before (may fail) and after the limit.  */
  if (m->has_limit && (r = add (p, "memory", false, "memory.limit_in_bytes", "%" PRId64, m->limit)) < 0)
    return r;
  if (m->has_swap && (r = add (p, "memory", false, "memory.memsw.limit_in_bytes", "%" PRId64, m->swap)) < 0)
    return r;
  if (m->has_reservation
      && (r = add (p, "memory", false, "memory.soft_limit_in_bytes", "%" PRId64, m->reservation)) < 0)
    return r;
  if (m->has_kernel && (r = add (p, "memory", true, "memory.kmem.limit_in_bytes", "%" PRId64, m->kernel)) < 0)
    return r;
  if (m->has_kernel_tcp
      && (r = add (p, "memory", true, "memory.kmem.tcp.limit_in_bytes", "%" PRId64, m->kernel_tcp)) < 0)
    return r;
  if (m->has_swappiness)
    {
      if (m->swappiness > 100)
        return cfs_fail (p->err, CFS_E_CONFIG_INVALID, 0, "linux.resources.memory.swappiness",
                         "config.json: linux.resources.memory.swappiness: %" PRIu64 " is not 0..100",
                         m->swappiness);
      if ((r = add (p, "memory", false, "memory.swappiness", "%" PRIu64, m->swappiness)) < 0)
        return r;
    }
  if (m->has_disable_oom_killer
      && (r = add (p, "memory", false, "memory.oom_control", "%d", m->disable_oom_killer)) < 0)
    return r;
  if (m->has_use_hierarchy
      && (r = add (p, "memory", true, "memory.use_hierarchy", "%d", m->use_hierarchy)) < 0)
    return r;
  return 0;
}

static int
plan_cpu (struct plan *p, const struct oci_cpu *c)
{
  int r = 0;

  if (is_v2 (p, "cpu"))
    {
      if (c->has_shares && c->shares
          && (r = add (p, "cpu", false, "cpu.weight", "%" PRIu64, cgroup_shares_to_weight (c->shares))) < 0)
        return r;
      if (c->has_quota || c->has_period)
        {
          uint64_t period = c->has_period && c->period ? c->period : 100000;

          r = c->has_quota && c->quota > 0
                  ? add (p, "cpu", false, "cpu.max", "%" PRId64 " %" PRIu64, c->quota, period)
                  : add (p, "cpu", false, "cpu.max", "max %" PRIu64, period);
          if (r < 0)
            return r;
        }
      if (c->has_burst && (r = add (p, "cpu", false, "cpu.max.burst", "%" PRIu64, c->burst)) < 0)
        return r;
    }
  else
    {
      if (c->has_shares && c->shares && (r = add (p, "cpu", false, "cpu.shares", "%" PRIu64, c->shares)) < 0)
        return r;
      /* The period first: a quota is checked against it. */
      if (c->has_period && c->period
          && (r = add (p, "cpu", false, "cpu.cfs_period_us", "%" PRIu64, c->period)) < 0)
        return r;
      if (c->has_quota && c->quota
          && (r = add (p, "cpu", false, "cpu.cfs_quota_us", "%" PRId64, c->quota)) < 0)
        return r;
      if (c->has_burst && (r = add (p, "cpu", false, "cpu.cfs_burst_us", "%" PRIu64, c->burst)) < 0)
        return r;
      if (c->has_realtime_period && c->realtime_period
          && (r = add (p, "cpu", false, "cpu.rt_period_us", "%" PRIu64, c->realtime_period)) < 0)
        return r;
      if (c->has_realtime_runtime && c->realtime_runtime
          && (r = add (p, "cpu", false, "cpu.rt_runtime_us", "%" PRId64, c->realtime_runtime)) < 0)
        return r;
    }
  if (c->has_idle && (r = add (p, "cpu", false, "cpu.idle", "%" PRId64, c->idle)) < 0)
    return r;
  if (c->cpus && c->cpus[0] && (r = add (p, "cpuset", false, "cpuset.cpus", "%s", c->cpus)) < 0)
    return r;
  if (c->mems && c->mems[0] && (r = add (p, "cpuset", false, "cpuset.mems", "%s", c->mems)) < 0)
    return r;
  return 0;
}

static int
plan_block_io (struct plan *p, const struct oci_block_io *b)
{
  static const struct
  {
    const char *v1, *v2;
    size_t off, len;
  } throttles[] = {
    { "blkio.throttle.read_bps_device", "rbps", offsetof (struct oci_block_io, throttle_read_bps_device),
      offsetof (struct oci_block_io, throttle_read_bps_device_len) },
    { "blkio.throttle.write_bps_device", "wbps", offsetof (struct oci_block_io, throttle_write_bps_device),
      offsetof (struct oci_block_io, throttle_write_bps_device_len) },
    { "blkio.throttle.read_iops_device", "riops", offsetof (struct oci_block_io, throttle_read_iops_device),
      offsetof (struct oci_block_io, throttle_read_iops_device_len) },
    { "blkio.throttle.write_iops_device", "wiops", offsetof (struct oci_block_io, throttle_write_iops_device),
      offsetof (struct oci_block_io, throttle_write_iops_device_len) },
  };
  const char *ctrl = cgroup_find (p->l, "blkio") ? "blkio" : "io";
  bool v2 = is_v2 (p, ctrl);
  size_t i, j;
  int r = 0;

  if (b->has_weight && b->weight)
    r = v2 ? add (p, ctrl, false, "io.weight", "default %" PRIu64, cgroup_blkio_to_io_weight (b->weight))
           : add (p, ctrl, false, "blkio.weight", "%u", b->weight);
  if (r == 0 && b->has_leaf_weight && b->leaf_weight && !v2)
    r = add (p, ctrl, true, "blkio.leaf_weight", "%u", b->leaf_weight);
  for (i = 0; r == 0 && i < b->weight_device_len; i++)
    {
      const struct oci_weight_device *d = &b->weight_device[i];

      if (d->has_weight)
        r = v2 ? add (p, ctrl, false, "io.weight", "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
                      cgroup_blkio_to_io_weight (d->weight))
               : add (p, ctrl, false, "blkio.weight_device", "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
                      d->weight);
    }
  for (j = 0; r == 0 && j < ARRAY_SIZE (throttles); j++)
    {
      const struct oci_throttle_device *t
          = *(struct oci_throttle_device *const *)((const char *)b + throttles[j].off);
      size_t n = *(const size_t *)((const char *)b + throttles[j].len);

      for (i = 0; r == 0 && i < n; i++)
        r = v2 ? add (p, ctrl, false, "io.max", "%" PRId64 ":%" PRId64 " %s=%" PRIu64, t[i].major, t[i].minor,
                      throttles[j].v2, t[i].rate)
               : add (p, ctrl, false, throttles[j].v1, "%" PRId64 ":%" PRId64 " %" PRIu64, t[i].major,
                      t[i].minor, t[i].rate);
    }
  return r;
}

static int
plan_hugetlb (struct plan *p, const struct oci_resources *res)
{
  size_t i;
  int r = 0;

  for (i = 0; r == 0 && i < res->hugepage_limits_len; i++)
    {
      const struct oci_hugepage_limit *h = &res->hugepage_limits[i];
      char file[64];

      snprintf (file, sizeof file, "hugetlb.%s.%s", h->page_size,
                is_v2 (p, "hugetlb") ? "max" : "limit_in_bytes");
      r = add (p, "hugetlb", false, file, "%" PRIu64, h->limit);
    }
  return r;
}

static const char *
dev_type (const struct oci_device_cgroup *d)
{
  return d->type && d->type[0] ? d->type : "a";
}

static void
dev_num (char *buf, size_t size, bool has, int64_t v)
{
  if (!has || v < 0)
    snprintf (buf, size, "*");
  else
    snprintf (buf, size, "%" PRId64, v);
}

/* runtime-linux.md's default devices are always usable, as runc allows them. */
static const char *const default_allow[] = { "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",  "c 1:9 rwm",
                                             "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm" };

static bool
has_v2 (const struct cgroup_layout *l)
{
  size_t i;

  for (i = 0; i < l->n; i++)
    if (l->h[i].v2)
      return true;
  return false;
}

static int
plan_devices (struct plan *p, const struct oci_resources *res, const struct oci_device *devs, size_t n_devs)
{
  const char *ctl = "devices";
  size_t i;
  int r;

  if (res->devices_len == 0)
    return 0;
  /* No v1 devices hierarchy: the same lines go to the v2 eBPF filter
     (controller "": the v2 hierarchy), which apply compiles.  */
  if (cgroup_find (p->l, "devices") == NULL)
    ctl = "";
  if (ctl[0] == '\0' && !has_v2 (p->l))
    return cfs_fail (p->err, CFS_E_CONFIG_UNSUPPORTED, 0, "linux.resources.devices",
                     "config.json: linux.resources.devices: this host has neither a v1 devices cgroup nor "
                     "cgroup v2");
  for (i = 0; i < res->devices_len; i++)
    {
      const struct oci_device_cgroup *d = &res->devices[i];
      const char *t = dev_type (d);
      char maj[24], min[24];

      if (strcmp (t, "a") && strcmp (t, "c") && strcmp (t, "b"))
        return cfs_fail (p->err, CFS_E_CONFIG_INVALID, 0, "linux.resources.devices",
                         "config.json: linux.resources.devices[%zu].type: `%s` is not a, c or b", i, t);
      if (d->access && strspn (d->access, "rwm") != strlen (d->access))
        return cfs_fail (p->err, CFS_E_CONFIG_INVALID, 0, "linux.resources.devices",
                         "config.json: linux.resources.devices[%zu].access: `%s` is not made of r, w and m",
                         i, d->access);
      dev_num (maj, sizeof maj, d->has_major, d->major);
      dev_num (min, sizeof min, d->has_minor, d->minor);
      if (strcmp (t, "a") == 0)
        r = add (p, ctl, false, d->allow ? "devices.allow" : "devices.deny", "a");
      else
        r = add (p, ctl, false, d->allow ? "devices.allow" : "devices.deny", "%s %s:%s %s", t, maj, min,
                 d->access && d->access[0] ? d->access : "rwm");
      if (r < 0)
        return r;
    }
  for (i = 0; i < ARRAY_SIZE (default_allow); i++)
    if ((r = add (p, ctl, false, "devices.allow", "%s", default_allow[i])) < 0)
      return r;
  for (i = 0; i < n_devs; i++)
    if (strcmp (devs[i].type, "p") != 0
        && (r = add (p, ctl, false, "devices.allow", "%s %" PRId64 ":%" PRId64 " rwm",
                     strcmp (devs[i].type, "b") == 0 ? "b" : "c", devs[i].major, devs[i].minor))
               < 0)
      return r;
  return 0;
}

static int
plan_unified (struct plan *p, const struct oci_resources *res)
{
  size_t i;
  int r;

  for (i = 0; i < res->unified_len; i++)
    {
      const char *k = res->unified_keys[i], *dot = strchr (k, '.');
      char ctrl[64];

      if (dot == NULL || strchr (k, '/') || dot == k)
        return cfs_fail (p->err, CFS_E_CONFIG_INVALID, 0, "linux.resources.unified",
                         "config.json: linux.resources.unified: `%s` is not a cgroup v2 file name", k);
      snprintf (ctrl, sizeof ctrl, "%.*s", (int)(dot - k), k);
      /* cgroup.* files belong to every cgroup. */
      if (strcmp (ctrl, "cgroup") != 0 && !is_v2 (p, ctrl))
        return cfs_fail (
            p->err, CFS_E_CONFIG_INVALID, 0, "linux.resources.unified",
            "config.json: linux.resources.unified: `%s`: no cgroup v2 `%s` controller on this host", k, ctrl);
      if ((r = add (p, strcmp (ctrl, "cgroup") == 0 ? "" : ctrl, false, k, "%s", res->unified[i])) < 0)
        return r;
    }
  return 0;
}

int
cgroup_resources_plan (const struct cgroup_layout *l, const struct oci_resources *res,
                       const struct oci_device *devs, size_t n_devs, struct cg_write **ret, size_t *ret_n,
                       struct cfs_error **err)
{
  struct plan p = { .l = l, .err = err };
  int r = 0;
  size_t i;

  *ret = NULL;
  *ret_n = 0;
  if (res == NULL)
    return 0;
  if (res->memory)
    r = plan_memory (&p, res->memory);
  if (r == 0 && res->cpu)
    r = plan_cpu (&p, res->cpu);
  if (r == 0 && res->pids && res->pids->has_limit)
    r = add (&p, "pids", false, "pids.max", res->pids->limit <= 0 ? "max" : "%" PRId64, res->pids->limit);
  if (r == 0 && res->block_io)
    r = plan_block_io (&p, res->block_io);
  if (r == 0)
    r = plan_hugetlb (&p, res);
  if (r == 0 && res->network && res->network->has_class_id)
    r = add (&p, "net_cls", false, "net_cls.classid", "%u", res->network->class_id);
  for (i = 0; r == 0 && res->network && i < res->network->priorities_len; i++)
    r = add (&p, "net_prio", false, "net_prio.ifpriomap", "%s %u", res->network->priorities[i].name,
             res->network->priorities[i].priority);
  for (i = 0; r == 0 && i < res->rdma_len; i++)
    r = add (&p, "rdma", false, "rdma.max", "%s hca_handle=%u hca_object=%u", res->rdma_keys[i],
             res->rdma[i].hca_handles, res->rdma[i].hca_objects);
  if (r == 0)
    r = plan_devices (&p, res, devs, n_devs);
  if (r == 0)
    r = plan_unified (&p, res);
  if (r < 0)
    {
      free (p.w);
      return r;
    }
  *ret = p.w;
  *ret_n = p.n;
  return 0;
}

static const char *
leaf_of (const struct cgroup_layout *l, char *const *leaves, size_t n, const struct cgroup_hier *h)
{
  size_t i = (size_t)(h - l->h);

  return i < n ? leaves[i] : NULL;
}

/* On the v2 half of a hybrid host a controller must be enabled in every
   ancestor's cgroup.subtree_control before a child can use it.  */
static void
enable_v2_controller (const struct cgroup_hier *h, const char *leaf, const char *file)
{
  char ctrl[64], path[4200], cmd[80];
  size_t base = strlen (h->mnt), i;
  int len;

  snprintf (ctrl, sizeof ctrl, "%.*s", (int)strcspn (file, "."), file);
  len = snprintf (cmd, sizeof cmd, "+%s", ctrl);
  snprintf (path, sizeof path, "%s", leaf);
  for (i = base; path[i]; i++)
    if (path[i] == '/' || i == base)
      {
        char save = path[i], sub[4300];

        path[i] = '\0';
        snprintf (sub, sizeof sub, "%s/cgroup.subtree_control", i == base ? h->mnt : path);
        util_write_file_at (AT_FDCWD, sub, cmd, (size_t)len, NULL);
        path[i] = save;
      }
}

static bool
is_bpf_device_rule (const struct cg_write *w)
{
  return w->h->v2 && util_str_has_prefix (w->file, "devices.");
}

/* The device lines planned for v2, compiled and attached as one program. */
static int
apply_bpf_devices (const struct cgroup_layout *l, char *const *leaves, size_t n, const struct cg_write *w,
                   size_t cnt, struct cfs_error **err)
{
  _cleanup_free_ struct dev_rule *rules = calloc (cnt ? cnt : 1, sizeof *rules);
  const char *leaf = NULL;
  size_t i, k = 0;

  if (rules == NULL)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "device filter");
  for (i = 0; i < cnt; i++)
    if (is_bpf_device_rule (&w[i]))
      {
        leaf = leaf_of (l, leaves, n, w[i].h);
        if (cgroup_bpf_parse_rule (w[i].value, strcmp (w[i].file, "devices.allow") == 0, &rules[k]) < 0)
          return cfs_fail (err, CFS_E_INTERNAL, EINVAL, NULL, "device rule `%s`", w[i].value);
        k++;
      }
  if (k == 0 || leaf == NULL)
    return 0;
  return cgroup_bpf_attach_devices (leaf, rules, k, err);
}

int
cgroup_resources_apply (const struct cgroup_layout *l, char *const *leaves, size_t n,
                        const struct oci_resources *res, const struct oci_device *devs, size_t n_devs,
                        struct cfs_error **err)
{
  _cleanup_free_ struct cg_write *w = NULL;
  _cleanup_close_ int fd = -1;
  char open_path[4400] = "";
  size_t cnt = 0, i;
  int r;

  r = cgroup_resources_plan (l, res, devs, n_devs, &w, &cnt, err);
  if (r < 0)
    return r;
  for (i = 0; i < cnt; i++)
    {
      const char *leaf = leaf_of (l, leaves, n, w[i].h);
      char path[4400];
      struct cfs_error *e = NULL;

      if (leaf == NULL || is_bpf_device_rule (&w[i]))
        continue;
      if (w[i].h->v2 && l->mode == CGROUP_HYBRID)
        enable_v2_controller (w[i].h, leaf, w[i].file);
      snprintf (path, sizeof path, "%s/%s", leaf, w[i].file);
      /* Kernels with BFQ only have blkio.bfq.weight. */
      if (strcmp (w[i].file, "blkio.weight") == 0 && access (path, F_OK) < 0)
        snprintf (path, sizeof path, "%s/blkio.bfq.weight", leaf);
      /* Each write is one value (one device rule): a run of writes to one
         file (devices.allow) shares an open.  */
      if (fd < 0 || strcmp (path, open_path) != 0)
        {
          closep (&fd);
          snprintf (open_path, sizeof open_path, "%s", path);
          if ((fd = open (path, O_WRONLY | O_CLOEXEC)) < 0)
            cfs_fail (&e, CFS_E_SYSTEM, errno, path, "open");
        }
      if (fd >= 0 && (r = util_write_all (fd, w[i].value, strlen (w[i].value))) < 0)
        cfs_fail (&e, CFS_E_SYSTEM, -r, path, "write `%.*s` to", 64, w[i].value);
      if (e == NULL)
        continue;
      /* A failed file is opened afresh for the next value. */
      closep (&fd);
      fd = -1;
      if (w[i].optional)
        {
          cfs_log_warning ("linux.resources: %s is not supported by this kernel, ignoring", w[i].file);
          cfs_error_free (e);
          continue;
        }
      e->code = CFS_E_CGROUP;
      *err = *err ? *err : e;
      return cfs_wrap (err, "linux.resources");
    }
  return apply_bpf_devices (l, leaves, n, w, cnt, err);
}

int
cgroup_resources_check (const struct cgroup_layout *l, const struct oci_resources *r,
                        const struct oci_device *devs, size_t n_devs, struct cfs_error **err)
{
  struct cg_write *w = NULL;
  size_t n = 0;
  int ret = cgroup_resources_plan (l, r, devs, n_devs, &w, &n, err);

  free (w);
  return ret;
}
