/* The systemd cgroup driver: see cgroup-systemd.h.  */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-resources.h"
#include "cgroup-systemd.h"
#include "log.h"
#include "sdbus.h"
#include "userns.h"
#include "util.h"

#define SD_DEST    "org.freedesktop.systemd1"
#define SD_PATH    "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
/* Every call and every wait for a job is bounded by this. */
#define SD_TIMEOUT_USEC (10ULL * 1000 * 1000)

struct systemd_bus
{
  const struct sdbus *sd;
  sd_bus *bus;
};

/* ---- cgroupsPath ---- */

static bool
valid_part (const char *s, size_t n)
{
  size_t i;

  if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
    return false;
  for (i = 0; i < n; i++)
    if (s[i] == '/' || s[i] == ':' || (unsigned char)s[i] < 0x20)
      return false;
  return true;
}

/* "a-b-c.slice" is /a.slice/a-b.slice/a-b-c.slice; "-.slice" the root. */
static int
expand_slice (const char *slice, char *buf, size_t size)
{
  size_t len = strlen (slice), i, n = 0;

  if (strcmp (slice, "-.slice") == 0)
    return snprintf (buf, size, "%s", "") < 0 ? -1 : 0;
  if (len <= 6 || strcmp (slice + len - 6, ".slice") != 0 || slice[0] == '-' || strstr (slice, "--")
      || slice[len - 7] == '-')
    return -1;
  buf[0] = '\0';
  for (i = 0; i <= len - 6; i++)
    if (i == len - 6 || slice[i] == '-')
      {
        int w = snprintf (buf + n, size - n, "/%.*s.slice", (int)i, slice);

        if (w < 0 || (size_t)w >= size - n)
          return -1;
        n += (size_t)w;
      }
  return 0;
}

int
cgroup_systemd_parse (const char *cgroups_path, const char *id, bool user, struct systemd_scope *ret,
                      struct cfs_error **err)
{
  const char *p = cgroups_path && cgroups_path[0] ? cgroups_path : NULL;
  const char *c1 = p ? strchr (p, ':') : NULL, *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
  char slice[256], prefix[128], name[256], sp[1024];

  if (p && (c1 == NULL || c2 == NULL || strchr (c2 + 1, ':')))
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "linux.cgroupsPath",
                     "config.json: linux.cgroupsPath: `%s` is not slice:prefix:name, as the systemd cgroup "
                     "driver needs",
                     p);
  if (p == NULL)
    {
      snprintf (slice, sizeof slice, "%s", user ? "user.slice" : "system.slice");
      snprintf (prefix, sizeof prefix, "cfsrun");
      snprintf (name, sizeof name, "%s", id);
    }
  else
    {
      size_t ls = (size_t)(c1 - p), lp = (size_t)(c2 - c1 - 1), ln = strlen (c2 + 1);

      if ((ls && !valid_part (p, ls)) || !valid_part (c1 + 1, lp) || !valid_part (c2 + 1, ln)
          || ls >= sizeof slice || lp >= sizeof prefix || ln >= sizeof name)
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "linux.cgroupsPath",
                         "config.json: linux.cgroupsPath: `%s`: the slice, prefix and name must be non-empty "
                         "and hold no `/`, `.` or `..` alone",
                         p);
      snprintf (slice, sizeof slice, "%.*s", (int)ls, ls ? p : (user ? "user.slice" : "system.slice"));
      if (ls == 0)
        snprintf (slice, sizeof slice, "%s", user ? "user.slice" : "system.slice");
      snprintf (prefix, sizeof prefix, "%.*s", (int)lp, c1 + 1);
      snprintf (name, sizeof name, "%s", c2 + 1);
    }
  if (expand_slice (slice, sp, sizeof sp) < 0)
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "linux.cgroupsPath",
                     "config.json: linux.cgroupsPath: `%s` is not a systemd slice name (NAME.slice)", slice);
  snprintf (ret->slice, sizeof ret->slice, "%s", slice);
  if (snprintf (ret->unit, sizeof ret->unit, "%s-%s.scope", prefix, name) >= (int)sizeof ret->unit
      || snprintf (ret->path, sizeof ret->path, "%s/%s", sp, ret->unit) >= (int)sizeof ret->path)
    return cfs_fail (err, CFS_E_CONFIG_INVALID, ENAMETOOLONG, "linux.cgroupsPath",
                     "config.json: linux.cgroupsPath");
  return 0;
}

/* ---- properties ---- */

struct props
{
  struct systemd_prop *v;
  size_t n, cap;
};

static struct systemd_prop *
prop_add (struct props *p, const char *name, char sig)
{
  if (p->n == p->cap)
    {
      size_t cap = p->cap ? p->cap * 2 : 16;
      struct systemd_prop *nv = realloc (p->v, cap * sizeof *nv);

      if (nv == NULL)
        return NULL;
      p->v = nv, p->cap = cap;
    }
  memset (&p->v[p->n], 0, sizeof p->v[p->n]);
  snprintf (p->v[p->n].name, sizeof p->v[p->n].name, "%s", name);
  p->v[p->n].sig = sig;
  return &p->v[p->n++];
}

static bool
prop_num (struct props *p, const char *name, uint64_t v)
{
  struct systemd_prop *x = prop_add (p, name, 't');

  return x ? (x->num = v, true) : false;
}

static uint64_t
limit_value (int64_t v)
{
  return v < 0 ? UINT64_MAX : (uint64_t)v;
}

int
cgroup_systemd_cpu_mask (const char *list, uint8_t *mask, size_t size, size_t *ret_len)
{
  const char *s = list;

  memset (mask, 0, size);
  *ret_len = 0;
  while (*s)
    {
      char *end;
      unsigned long a = strtoul (s, &end, 10), b = a, i;

      if (end == s)
        return -EINVAL;
      if (*end == '-')
        {
          s = end + 1;
          b = strtoul (s, &end, 10);
          if (end == s || b < a)
            return -EINVAL;
        }
      if (b >= size * 8)
        return -ERANGE;
      for (i = a; i <= b; i++)
        mask[i / 8] |= (uint8_t)(1u << (i % 8));
      if (b / 8 + 1 > *ret_len)
        *ret_len = b / 8 + 1;
      s = end;
      if (*s == ',')
        s++;
      else if (*s)
        return -EINVAL;
    }
  return 0;
}

static bool
prop_mask (struct props *p, const char *name, const char *list)
{
  struct systemd_prop *x = prop_add (p, name, 'y');

  return x && cgroup_systemd_cpu_mask (list, x->mask, sizeof x->mask, &x->mask_len) == 0;
}

static bool
memory_props (struct props *p, const struct oci_memory *m, bool v2)
{
  if (m == NULL)
    return true;
  if (m->has_limit && !prop_num (p, v2 ? "MemoryMax" : "MemoryLimit", limit_value (m->limit)))
    return false;
  if (v2 && m->has_reservation && !prop_num (p, "MemoryLow", limit_value (m->reservation)))
    return false;
  /* OCI's swap is memory plus swap; systemd's MemorySwapMax the swap alone. */
  if (v2 && m->has_swap && m->has_limit && m->swap >= 0 && m->limit >= 0 && m->swap >= m->limit
      && !prop_num (p, "MemorySwapMax", (uint64_t)(m->swap - m->limit)))
    return false;
  return true;
}

static bool
cpu_props (struct props *p, const struct oci_cpu *c, bool v2)
{
  if (c == NULL)
    return true;
  if (c->has_shares && c->shares
      && !prop_num (p, v2 ? "CPUWeight" : "CPUShares", v2 ? cgroup_shares_to_weight (c->shares) : c->shares))
    return false;
  if (c->has_quota && c->quota > 0)
    {
      uint64_t period = c->has_period && c->period ? c->period : 100000;
      /* systemd takes the quota per second, in 10 ms steps (rounded up,
         so the container never gets less than it asked for).  */
      uint64_t per_sec = ((uint64_t)c->quota * 1000000 / period + 9999) / 10000 * 10000;

      if (!prop_num (p, "CPUQuotaPerSecUSec", per_sec) || !prop_num (p, "CPUQuotaPeriodUSec", period))
        return false;
    }
  if (v2 && c->cpus && c->cpus[0] && !prop_mask (p, "AllowedCPUs", c->cpus))
    return false;
  if (v2 && c->mems && c->mems[0] && !prop_mask (p, "AllowedMemoryNodes", c->mems))
    return false;
  return true;
}

/* The device rules, in the order cgroupfs would write them, reduced to
   what systemd can hold: DevicePolicy=strict and a DeviceAllow list.  A
   rule it cannot express (a deny inside an allowed range) is still
   enforced by the cgroupfs writes that follow.  */
static bool
device_props (struct props *p, const struct cg_write *w, size_t n)
{
  struct props allow = { 0 };
  bool all = false, any = false, ok = true;
  size_t i, j;

  for (i = 0; i < n && ok; i++)
    {
      char t, maj[24], min[24], acc[8] = "rwm";
      bool is_allow = strcmp (w[i].file, "devices.allow") == 0;

      if (!is_allow && strcmp (w[i].file, "devices.deny") != 0)
        continue;
      any = true;
      if (strcmp (w[i].value, "a") == 0)
        {
          all = is_allow;
          allow.n = 0;
          continue;
        }
      if (sscanf (w[i].value, "%c %23[^:]:%23s %7s", &t, maj, min, acc) < 3 || !is_allow || all)
        continue;
      {
        struct systemd_prop *x = prop_add (&allow, "DeviceAllow", 'd');
        const char *kind = t == 'b' ? "block" : "char";

        if (x == NULL)
          ok = false;
        else if (strcmp (maj, "*") == 0)
          snprintf (x->str, sizeof x->str, "%s-*", kind);
        else if (strcmp (min, "*") == 0)
          {
            /* A whole major is a device group of /proc/devices by name. */
            snprintf (x->str, sizeof x->str, "%s-%s", kind, maj);
            if (!util_proc_devices_name (t == 'b', atoi (maj), x->str + strlen (kind) + 1,
                                         sizeof x->str - strlen (kind) - 1))
              allow.n--;
          }
        else
          snprintf (x->str, sizeof x->str, "/dev/%s/%s:%s", kind, maj, min);
        if (x)
          snprintf (x->access, sizeof x->access, "%.3s", acc);
      }
    }
  if (ok && any && !all)
    {
      struct systemd_prop *x = prop_add (p, "DevicePolicy", 's');

      ok = x != NULL;
      if (x)
        snprintf (x->str, sizeof x->str, "strict");
      for (j = 0; ok && j < allow.n; j++)
        {
          struct systemd_prop *d = prop_add (p, "DeviceAllow", 'd');

          ok = d != NULL;
          if (d)
            *d = allow.v[j];
        }
    }
  free (allow.v);
  return ok;
}

int
cgroup_systemd_props (const struct cgroup_layout *l, const struct oci_resources *r,
                      const struct oci_device *devs, size_t n_devs, struct systemd_prop **ret, size_t *ret_n,
                      struct cfs_error **err)
{
  bool v2 = l->mode == CGROUP_V2;
  struct props p = { 0 };
  struct cg_write *w = NULL;
  size_t nw = 0;
  bool ok;

  *ret = NULL, *ret_n = 0;
  if (r == NULL)
    return 0;
  /* The plan validates the resources and orders the device rules. */
  if (cgroup_resources_plan (l, r, devs, n_devs, &w, &nw, err) < 0)
    return -EINVAL;
  ok = memory_props (&p, r->memory, v2) && cpu_props (&p, r->cpu, v2)
       && (r->pids == NULL || !r->pids->has_limit
           || prop_num (&p, "TasksMax", r->pids->limit > 0 ? (uint64_t)r->pids->limit : UINT64_MAX))
       && (r->block_io == NULL || !r->block_io->has_weight || r->block_io->weight == 0
           || prop_num (&p, v2 ? "IOWeight" : "BlockIOWeight",
                        v2 ? cgroup_blkio_to_io_weight (r->block_io->weight) : r->block_io->weight))
       && device_props (&p, w, nw);
  free (w);
  if (!ok)
    {
      free (p.v);
      return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "systemd properties");
    }
  *ret = p.v, *ret_n = p.n;
  return 0;
}

/* ---- the bus ---- */

static int
bus_fail (struct cfs_error **err, int r, const sd_bus_error *e, const char *what)
{
  return cfs_fail (err, CFS_E_SYSTEMD, -r, NULL, "systemd: %s: %s", what,
                   e && e->message ? e->message : strerror (-r));
}

int
cgroup_systemd_ready (struct cfs_error **err)
{
  return sdbus_get (err) ? 0 : -1;
}

int
cgroup_systemd_connect (struct systemd_bus **ret, struct cfs_error **err)
{
  struct systemd_bus *b = calloc (1, sizeof *b);
  bool rootless = userns_rootless (NULL);
  const char *how;
  int r;

  if (b == NULL)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "systemd");
  if ((b->sd = sdbus_get (err)) == NULL)
    {
      free (b);
      return -ENOSYS;
    }
  /* As root, systemd's private socket when there is one: no bus daemon in
     the way (systemctl does the same).  Root of a user namespace (rootless
     Podman) is a user: its systemd is the user's.  */
  if (!rootless && getenv ("DBUS_SYSTEM_BUS_ADDRESS") == NULL && access ("/run/systemd/private", F_OK) == 0)
    {
      how = "/run/systemd/private";
      r = b->sd->sd_bus_new (&b->bus);
      if (r >= 0)
        r = b->sd->sd_bus_set_address (b->bus, "unix:path=/run/systemd/private");
      if (r >= 0)
        r = b->sd->sd_bus_start (b->bus);
    }
  else if (!rootless)
    how = "the system bus", r = b->sd->sd_bus_open_system (&b->bus);
  else
    how = "the user's bus", r = b->sd->sd_bus_open_user (&b->bus);
  if (r < 0)
    {
      cgroup_systemd_disconnect (b);
      return cfs_fail (err, CFS_E_SYSTEMD, -r, NULL,
                       "systemd cgroup driver: cannot connect to systemd through %s (is systemd running? "
                       "without it, use the cgroupfs driver: drop --systemd-cgroup)",
                       how);
    }
  *ret = b;
  return 0;
}

void
cgroup_systemd_disconnect (struct systemd_bus *b)
{
  if (b == NULL)
    return;
  if (b->bus)
    b->sd->sd_bus_flush_close_unref (b->bus);
  free (b);
}

int
cgroup_systemd_root (struct systemd_bus *b, char *buf, size_t size, struct cfs_error **err)
{
  sd_bus_error e = SD_BUS_ERROR_NULL;
  char *cg = NULL;
  int r = b->sd->sd_bus_get_property_string (b->bus, SD_DEST, SD_PATH, SD_MANAGER, "ControlGroup", &e, &cg);

  if (r < 0)
    {
      r = bus_fail (err, r, &e, "read the manager's ControlGroup");
      b->sd->sd_bus_error_free (&e);
      return r;
    }
  snprintf (buf, size, "%s", strcmp (cg, "/") == 0 ? "" : cg);
  free (cg);
  return 0;
}

struct job_wait
{
  const char *job;
  char result[32];
  bool done;
};

static int
on_job_removed (sd_bus_message *m, void *userdata, sd_bus_error *e)
{
  struct job_wait *w = userdata;
  const struct sdbus *sd = sdbus_get (NULL);
  const char *path = NULL, *unit = NULL, *result = NULL;
  uint32_t id;

  (void)e;
  if (sd->sd_bus_message_read (m, "uoss", &id, &path, &unit, &result) < 0 || w->job == NULL
      || strcmp (path, w->job) != 0)
    return 0;
  snprintf (w->result, sizeof w->result, "%s", result);
  w->done = true;
  return 0;
}

static uint64_t
now_usec (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Wait until systemd reports the job WHAT for UNIT removed, and how. */
static int
job_wait (struct systemd_bus *b, struct job_wait *w, const char *what, const char *unit,
          struct cfs_error **err)
{
  uint64_t deadline = now_usec () + SD_TIMEOUT_USEC;

  while (!w->done)
    {
      int r = b->sd->sd_bus_process (b->bus, NULL);
      uint64_t now;

      if (r < 0)
        return bus_fail (err, r, NULL, what);
      if (r > 0)
        continue;
      if ((now = now_usec ()) >= deadline)
        return cfs_fail (err, CFS_E_TIMEOUT, ETIMEDOUT, NULL, "systemd: %s %s: no answer within %llu s", what,
                         unit, SD_TIMEOUT_USEC / 1000000);
      if ((r = b->sd->sd_bus_wait (b->bus, deadline - now)) < 0)
        return bus_fail (err, r, NULL, what);
    }
  if (strcmp (w->result, "done") != 0)
    return cfs_fail (err, CFS_E_SYSTEMD, 0, NULL, "systemd: %s %s: the job ended `%s`", what, unit,
                     w->result);
  return 0;
}

static int
append_prop (const struct sdbus *sd, sd_bus_message *m, const struct systemd_prop *p)
{
  int r;

  switch (p->sig)
    {
    case 't':
      return sd->sd_bus_message_append (m, "(sv)", p->name, "t", p->num);
    case 'b':
      return sd->sd_bus_message_append (m, "(sv)", p->name, "b", (int)p->num);
    case 's':
      return sd->sd_bus_message_append (m, "(sv)", p->name, "s", p->str);
    case 'd':
      return sd->sd_bus_message_append (m, "(sv)", p->name, "a(ss)", 1, p->str, p->access);
    case 'y':
      if ((r = sd->sd_bus_message_open_container (m, 'r', "sv")) < 0
          || (r = sd->sd_bus_message_append (m, "s", p->name)) < 0
          || (r = sd->sd_bus_message_open_container (m, 'v', "ay")) < 0
          || (r = sd->sd_bus_message_append_array (m, 'y', p->mask, p->mask_len)) < 0
          || (r = sd->sd_bus_message_close_container (m)) < 0)
        return r;
      return sd->sd_bus_message_close_container (m);
    }
  return -EINVAL;
}

static int
append_props (const struct sdbus *sd, sd_bus_message *m, const struct systemd_prop *v, size_t n)
{
  size_t i;
  int r = 0;

  for (i = 0; i < n && r >= 0; i++)
    r = append_prop (sd, m, &v[i]);
  return r;
}

/* The StartTransientUnit call for S, without the reply. */
static int
start_message (struct systemd_bus *b, const struct systemd_scope *s, const char *id, pid_t pid, bool v2,
               const struct systemd_prop *props, size_t n, sd_bus_message **ret)
{
  const struct sdbus *sd = b->sd;
  char desc[320];
  int r;

  snprintf (desc, sizeof desc, "cfsrun container %s", id);
  r = sd->sd_bus_message_new_method_call (b->bus, ret, SD_DEST, SD_PATH, SD_MANAGER, "StartTransientUnit");
  if (r >= 0)
    r = sd->sd_bus_message_append (*ret, "ss", s->unit, "fail");
  if (r >= 0)
    r = sd->sd_bus_message_open_container (*ret, 'a', "(sv)");
  if (r >= 0)
    r = sd->sd_bus_message_append (*ret, "(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)", "Description", "s", desc,
                                   "Slice", "s", s->slice, "PIDs", "au", 1, (uint32_t)pid, "Delegate", "b", 1,
                                   "MemoryAccounting", "b", 1, "TasksAccounting", "b", 1, "CPUAccounting",
                                   "b", 1, v2 ? "IOAccounting" : "BlockIOAccounting", "b", 1);
  if (r >= 0)
    r = append_props (sd, *ret, props, n);
  if (r >= 0)
    r = sd->sd_bus_message_close_container (*ret);
  if (r >= 0)
    r = sd->sd_bus_message_append (*ret, "a(sa(sv))", 0);
  return r;
}

static void
reset_failed (struct systemd_bus *b, const char *unit)
{
  sd_bus_error e = SD_BUS_ERROR_NULL;

  b->sd->sd_bus_call_method (b->bus, SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit", &e, NULL, "s", unit);
  b->sd->sd_bus_error_free (&e);
}

/* Call M; its reply names a job, which is waited for. */
static int
call_job (struct systemd_bus *b, sd_bus_message *m, const char *what, const char *unit, sd_bus_error *e,
          struct cfs_error **err)
{
  const struct sdbus *sd = b->sd;
  struct job_wait w = { 0 };
  sd_bus_message *reply = NULL;
  sd_bus_slot *slot = NULL;
  int r;

  /* Subscribed before the call, so the job's end cannot be missed. */
  r = sd->sd_bus_match_signal (b->bus, &slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed, &w);
  if (r >= 0)
    sd->sd_bus_call_method (b->bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", NULL, NULL, "");
  if (r >= 0 && (r = sd->sd_bus_call (b->bus, m, SD_TIMEOUT_USEC, e, &reply)) >= 0)
    {
      r = sd->sd_bus_message_read (reply, "o", &w.job);
      r = r < 0 ? bus_fail (err, r, NULL, what) : job_wait (b, &w, what, unit, err);
    }
  else if (r < 0 && err && *err == NULL && !e->name)
    r = bus_fail (err, r, e, what);
  sd->sd_bus_message_unref (reply);
  sd->sd_bus_slot_unref (slot);
  return r;
}

int
cgroup_systemd_start (struct systemd_bus *b, const struct systemd_scope *s, const char *id, pid_t pid,
                      const struct cgroup_layout *l, const struct oci_resources *r,
                      const struct oci_device *devs, size_t n_devs, struct cfs_error **err)
{
  const struct sdbus *sd = b->sd;
  _cleanup_free_ struct systemd_prop *props = NULL;
  size_t n = 0;
  int attempt, ret = 0;

  if (cgroup_systemd_props (l, r, devs, n_devs, &props, &n, err) < 0)
    return -EINVAL;
  for (attempt = 0; attempt < 2; attempt++)
    {
      sd_bus_error e = SD_BUS_ERROR_NULL;
      sd_bus_message *m = NULL;

      ret = start_message (b, s, id, pid, l->mode == CGROUP_V2, props, n, &m);
      if (ret < 0)
        ret = bus_fail (err, ret, NULL, "StartTransientUnit");
      else
        ret = call_job (b, m, "start scope", s->unit, &e, err);
      sd->sd_bus_message_unref (m);
      /* A failed scope of an earlier container of this id: forget it, once. */
      if (ret < 0 && attempt == 0 && sd->sd_bus_error_has_name (&e, "org.freedesktop.systemd1.UnitExists"))
        {
          sd->sd_bus_error_free (&e);
          reset_failed (b, s->unit);
          continue;
        }
      if (ret < 0 && e.name)
        ret = bus_fail (err, ret, &e, "StartTransientUnit");
      sd->sd_bus_error_free (&e);
      break;
    }
  return ret < 0 ? cfs_wrap (err, "cgroup: systemd scope %s in %s", s->unit, s->slice) : 0;
}

int
cgroup_systemd_set (const char *unit, const struct cgroup_layout *l, const struct oci_resources *r,
                    struct cfs_error **err)
{
  struct systemd_bus *b = NULL;
  _cleanup_free_ struct systemd_prop *props = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  sd_bus_message *m = NULL, *reply = NULL;
  size_t n = 0;
  int ret;

  if ((ret = cgroup_systemd_props (l, r, NULL, 0, &props, &n, err)) < 0 || n == 0)
    return ret;
  if ((ret = cgroup_systemd_connect (&b, err)) < 0)
    return ret;
  ret = b->sd->sd_bus_message_new_method_call (b->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "SetUnitProperties");
  if (ret >= 0)
    ret = b->sd->sd_bus_message_append (m, "sb", unit, 1);
  if (ret >= 0)
    ret = b->sd->sd_bus_message_open_container (m, 'a', "(sv)");
  if (ret >= 0)
    ret = append_props (b->sd, m, props, n);
  if (ret >= 0)
    ret = b->sd->sd_bus_message_close_container (m);
  if (ret >= 0)
    ret = b->sd->sd_bus_call (b->bus, m, SD_TIMEOUT_USEC, &e, &reply);
  if (ret < 0)
    ret = bus_fail (err, ret, &e, "SetUnitProperties");
  b->sd->sd_bus_error_free (&e);
  b->sd->sd_bus_message_unref (reply);
  b->sd->sd_bus_message_unref (m);
  cgroup_systemd_disconnect (b);
  return ret < 0 ? ret : 0;
}

int
cgroup_systemd_stop (const char *unit, struct cfs_error **err)
{
  struct systemd_bus *b = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  sd_bus_message *m = NULL;
  int r;

  if ((r = cgroup_systemd_connect (&b, err)) < 0)
    return r;
  r = b->sd->sd_bus_message_new_method_call (b->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit");
  if (r >= 0)
    r = b->sd->sd_bus_message_append (m, "ss", unit, "replace");
  if (r >= 0)
    r = call_job (b, m, "stop scope", unit, &e, err);
  else
    r = bus_fail (err, r, NULL, "StopUnit");
  /* Gone already (a scope ends when its last process does): fine. */
  if (r < 0 && b->sd->sd_bus_error_has_name (&e, "org.freedesktop.systemd1.NoSuchUnit"))
    r = 0;
  else if (r < 0 && e.name)
    r = bus_fail (err, r, &e, "StopUnit");
  b->sd->sd_bus_error_free (&e);
  b->sd->sd_bus_message_unref (m);
  reset_failed (b, unit);
  cgroup_systemd_disconnect (b);
  return r;
}
