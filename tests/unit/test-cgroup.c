/* Unit tests for the pure parts of the cgroup code: the cgroupfs write
   plan on v1 and v2 layouts, the v1/v2 conversions, and the systemd
   driver's cgroupsPath parsing and unit properties.  */
#include <stdlib.h>
#include <string.h>

#include "cgroup-bpf.h"
#include "cgroup-resources.h"
#include "cgroup-systemd.h"
#include "cgroup.h"
#include "oci-spec.h"
#include "tap.h"
#include "util.h"

static void
layout_v1 (struct cgroup_layout *l)
{
  static const char *names[] = { "memory", "cpu,cpuacct", "pids", "devices", "blkio", "cpuset" };
  size_t i;

  memset (l, 0, sizeof *l);
  l->mode = CGROUP_HYBRID;
  for (i = 0; i < 6; i++)
    {
      snprintf (l->h[i].mnt, sizeof l->h[i].mnt, "/sys/fs/cgroup/%s", names[i]);
      snprintf (l->h[i].name, sizeof l->h[i].name, "%s", names[i]);
      snprintf (l->h[i].controllers, sizeof l->h[i].controllers, ",%s,", names[i]);
      snprintf (l->h[i].self, sizeof l->h[i].self, "/");
    }
  l->n = 6;
}

static void
layout_v2 (struct cgroup_layout *l)
{
  memset (l, 0, sizeof *l);
  l->mode = CGROUP_V2;
  snprintf (l->h[0].mnt, sizeof l->h[0].mnt, "/sys/fs/cgroup");
  snprintf (l->h[0].controllers, sizeof l->h[0].controllers, " cpuset cpu io memory pids ");
  snprintf (l->h[0].self, sizeof l->h[0].self, "/");
  l->h[0].v2 = true;
  l->n = 1;
}

static struct oci_resources *
resources (const char *json)
{
  struct oci_parse_error e = { 0 };
  void *r = NULL;

  if (oci_decode (&oci_resources_type, json, strlen (json), &r, &e) < 0)
    {
      printf ("# bad test json: %s: %s\n", e.path, e.reason);
      oci_parse_error_done (&e);
    }
  return r;
}

/* The value planned for FILE, or NULL. */
static const char *
planned (const struct cg_write *w, size_t n, const char *file)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp (w[i].file, file) == 0)
      return w[i].value;
  return NULL;
}

static void
test_plan (void)
{
  struct oci_resources *r = resources ("{\"memory\":{\"limit\":67108864,\"swap\":134217728},"
                                       "\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000},"
                                       "\"pids\":{\"limit\":42},\"blockIO\":{\"weight\":500}}");
  struct cgroup_layout l;
  struct cg_write *w = NULL;
  size_t n = 0;

  layout_v1 (&l);
  ok (cgroup_resources_plan (&l, r, NULL, 0, &w, &n, NULL) == 0, "v1 plan");
  is_str (planned (w, n, "memory.limit_in_bytes"), "67108864", "v1 memory limit");
  is_str (planned (w, n, "memory.memsw.limit_in_bytes"), "134217728", "v1 memory+swap is OCI's swap");
  is_str (planned (w, n, "cpu.shares"), "1024", "v1 shares");
  is_str (planned (w, n, "pids.max"), "42", "v1 pids");
  free (w);
  layout_v2 (&l);
  ok (cgroup_resources_plan (&l, r, NULL, 0, &w, &n, NULL) == 0, "v2 plan");
  is_str (planned (w, n, "memory.max"), "67108864", "v2 memory.max");
  is_str (planned (w, n, "memory.swap.max"), "67108864", "v2 swap.max is OCI swap minus the limit");
  is_str (planned (w, n, "cpu.max"), "50000 100000", "v2 cpu.max");
  ok (cgroup_shares_to_weight (1024) == 39, "shares 1024 is weight 39, as runc has it");
  ok (cgroup_shares_to_weight (2) == 1 && cgroup_shares_to_weight (262144) == 10000, "shares range ends");
  ok (cgroup_blkio_to_io_weight (10) == 1 && cgroup_blkio_to_io_weight (1000) == 10000, "blkio weight range");
  free (w);
  oci_free (&oci_resources_type, r);
}

static void
test_systemd_parse (void)
{
  struct systemd_scope s;
  struct cfs_error *e = NULL;

  ok (cgroup_systemd_parse ("system.slice:cfsrun:abc", "abc", false, &s, NULL) == 0, "slice:prefix:name");
  is_str (s.unit, "cfsrun-abc.scope", "unit name");
  is_str (s.path, "/system.slice/cfsrun-abc.scope", "path below the manager");
  ok (cgroup_systemd_parse ("machine-tenant-a.slice:p:n", "x", false, &s, NULL) == 0, "nested slice");
  is_str (s.path, "/machine.slice/machine-tenant.slice/machine-tenant-a.slice/p-n.scope", "slice expanded");
  ok (cgroup_systemd_parse (NULL, "id1", false, &s, NULL) == 0, "default");
  is_str (s.unit, "cfsrun-id1.scope", "default unit");
  is_str (s.slice, "system.slice", "default slice");
  ok (cgroup_systemd_parse ("", "id1", true, &s, NULL) == 0 && strcmp (s.slice, "user.slice") == 0,
      "default slice when rootless is user.slice");
  ok (cgroup_systemd_parse (":p:n", "x", false, &s, NULL) == 0 && strcmp (s.slice, "system.slice") == 0,
      "empty slice is the default");
  ok (cgroup_systemd_parse ("-.slice:p:n", "x", false, &s, NULL) == 0 && strcmp (s.path, "/p-n.scope") == 0,
      "the root slice");
  ok (cgroup_systemd_parse ("a:b", "x", false, &s, &e) < 0 && e && e->code == CFS_E_CONFIG_INVALID
          && strcmp (e->path, "linux.cgroupsPath") == 0,
      "two parts: rejected naming linux.cgroupsPath");
  e = cfs_error_free (e);
  ok (cgroup_systemd_parse ("system.slice:..:n", "x", false, &s, &e) < 0 && e, "`..` as prefix rejected");
  e = cfs_error_free (e);
  ok (cgroup_systemd_parse ("system.slice:p:a/b", "x", false, &s, &e) < 0 && e, "`/` in name rejected");
  e = cfs_error_free (e);
  ok (cgroup_systemd_parse ("notaslice:p:n", "x", false, &s, &e) < 0 && e && strstr (e->msg, "slice"),
      "a slice without .slice rejected");
  e = cfs_error_free (e);
  ok (cgroup_systemd_parse ("a--b.slice:p:n", "x", false, &s, &e) < 0 && e, "`--` in a slice rejected");
  e = cfs_error_free (e);
}

static const struct systemd_prop *
prop (const struct systemd_prop *v, size_t n, const char *name)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp (v[i].name, name) == 0)
      return &v[i];
  return NULL;
}

static void
test_systemd_props (void)
{
  struct oci_resources *r = resources (
      "{\"memory\":{\"limit\":67108864,\"reservation\":1048576,\"swap\":134217728},"
      "\"cpu\":{\"shares\":1024,\"quota\":25000,\"period\":100000,\"cpus\":\"0-2,9\"},\"pids\":{\"limit\":42}"
      ","
      "\"blockIO\":{\"weight\":500},"
      "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\",\"major\":10,"
      "\"minor\":200,\"access\":\"rw\"},{\"allow\":true,\"type\":\"b\",\"access\":\"m\"}]}");
  struct cgroup_layout l;
  struct systemd_prop *v = NULL;
  const struct systemd_prop *p;
  uint8_t mask[8];
  size_t n = 0, len = 0;

  layout_v1 (&l);
  {
    struct cfs_error *e = NULL;

    ok (cgroup_systemd_props (&l, r, NULL, 0, &v, &n, &e) == 0, "v1 properties");
    if (e)
      printf ("#   %s\n", e->msg);
    cfs_error_free (e);
  }
  ok ((p = prop (v, n, "MemoryLimit")) && p->num == 67108864, "v1 MemoryLimit");
  ok ((p = prop (v, n, "CPUShares")) && p->num == 1024, "v1 CPUShares");
  ok ((p = prop (v, n, "TasksMax")) && p->num == 42, "TasksMax");
  ok ((p = prop (v, n, "CPUQuotaPerSecUSec")) && p->num == 250000, "quota 25000/100000 is 250 ms a second");
  ok ((p = prop (v, n, "BlockIOWeight")) && p->num == 500, "v1 BlockIOWeight");
  ok (prop (v, n, "AllowedCPUs") == NULL, "no AllowedCPUs on v1 (systemd has no v1 cpuset)");
  ok ((p = prop (v, n, "DevicePolicy")) && strcmp (p->str, "strict") == 0, "deny all: DevicePolicy=strict");
  ok ((p = prop (v, n, "DeviceAllow")) && strcmp (p->str, "/dev/char/10:200") == 0
          && strcmp (p->access, "rw") == 0,
      "a device allowed by number");
  {
    size_t i, blocks = 0;

    for (i = 0; i < n; i++)
      blocks += strcmp (v[i].name, "DeviceAllow") == 0 && strcmp (v[i].str, "block-*") == 0;
    ok (blocks == 1, "a wildcard rule is block-*");
  }
  free (v);
  /* Device rules on v2 are for the eBPF filter; the rest is the same. */
  size_t n_devices = r->devices_len;

  r->devices_len = 0;
  layout_v2 (&l);
  ok (cgroup_systemd_props (&l, r, NULL, 0, &v, &n, NULL) == 0, "v2 properties");
  ok ((p = prop (v, n, "MemoryMax")) && p->num == 67108864, "v2 MemoryMax");
  ok ((p = prop (v, n, "MemoryLow")) && p->num == 1048576, "v2 MemoryLow");
  ok ((p = prop (v, n, "MemorySwapMax")) && p->num == 67108864, "v2 MemorySwapMax is swap minus limit");
  ok ((p = prop (v, n, "CPUWeight")) && p->num == 39, "v2 CPUWeight converted from shares");
  ok ((p = prop (v, n, "IOWeight")) && p->num == cgroup_blkio_to_io_weight (500), "v2 IOWeight converted");
  ok ((p = prop (v, n, "AllowedCPUs")) && p->mask_len == 2 && p->mask[0] == 0x07 && p->mask[1] == 0x02,
      "AllowedCPUs 0-2,9 as a bitmask");
  free (v);
  r->devices_len = n_devices;
  oci_free (&oci_resources_type, r);
  ok (cgroup_systemd_cpu_mask ("1,x", mask, sizeof mask, &len) < 0, "a bad cpu list is refused");
  ok (cgroup_systemd_cpu_mask ("0-1000", mask, sizeof mask, &len) < 0, "a cpu beyond the mask is refused");
}

static void
test_bpf_rules (void)
{
  static const char *lines[] = { "a", "c 1:3 rwm", "c 1:1 m", "b *:* r", "c 136:* rw" };
  static const bool allow[] = { false, true, true, true, true };
  struct dev_rule rules[6];
  struct bpf_insn insns[128];
  size_t i;
  bool parsed = true;

  for (i = 0; i < 5; i++)
    parsed = parsed && cgroup_bpf_parse_rule (lines[i], allow[i], &rules[i]) == 0;
  ok (parsed, "v1 device lines parse");
  ok (rules[3].major == -1 && rules[3].minor == -1 && rules[3].access == BPF_DEVCG_ACC_READ,
      "wildcards, access r");
  ok (cgroup_bpf_parse_rule ("x 1:1 r", true, &rules[5]) < 0, "an unknown type is refused");
  ok (cgroup_bpf_parse_rule ("c 1:q r", true, &rules[5]) < 0, "a bad minor is refused");
  ok (cgroup_bpf_decide (rules, 5, 'c', 1, 3, BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE), "null rw allowed");
  ok (!cgroup_bpf_decide (rules, 5, 'c', 1, 5, BPF_DEVCG_ACC_READ), "zero denied by the deny-all");
  ok (cgroup_bpf_decide (rules, 5, 'c', 1, 1, BPF_DEVCG_ACC_MKNOD), "mem: mknod allowed");
  ok (!cgroup_bpf_decide (rules, 5, 'c', 1, 1, BPF_DEVCG_ACC_READ), "mem: read denied");
  ok (cgroup_bpf_decide (rules, 5, 'b', 8, 0, BPF_DEVCG_ACC_READ), "any block device readable");
  ok (!cgroup_bpf_decide (rules, 5, 'b', 8, 0, BPF_DEVCG_ACC_WRITE), "not writable");
  ok (cgroup_bpf_decide (rules, 5, 'c', 136, 7, BPF_DEVCG_ACC_WRITE), "a pts by major");
  /* A deny after an allow wins, and touches any access it names. */
  cgroup_bpf_parse_rule ("c 1:3 w", false, &rules[5]);
  ok (!cgroup_bpf_decide (rules, 6, 'c', 1, 3, BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE),
      "a later deny wins");
  ok (cgroup_bpf_decide (rules, 6, 'c', 1, 3, BPF_DEVCG_ACC_READ), "for the access it names only");
  /* 6 loads, then rules from the last; the first, deny-all, always
     matches and ends the program with no unreachable default.  */
  i = cgroup_bpf_compile (rules, 6, insns, ARRAY_SIZE (insns));
  ok (i > 8 && insns[i - 1].code == (BPF_JMP | BPF_EXIT) && insns[i - 2].imm == 0,
      "ends in the deny-all: %zu", i);
  ok (cgroup_bpf_compile (rules + 1, 5, insns, ARRAY_SIZE (insns)) > 0
          && insns[cgroup_bpf_compile (rules + 1, 5, insns, ARRAY_SIZE (insns)) - 2].imm == 0,
      "without it, a default deny");
  ok (cgroup_bpf_compile (rules, 6, insns, 10) == 0, "too small a buffer is refused");
}

int
main (void)
{
  test_bpf_rules ();
  test_plan ();
  test_systemd_parse ();
  test_systemd_props ();
  return tap_done ();
}
