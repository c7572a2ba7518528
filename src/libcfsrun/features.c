/* `cfsrun features`: what this build supports, as features.md describes. */
#include <ctype.h>
#include <string.h>

#include "caplib.h"
#include "cfsrun.h"
#include "log.h"
#include "mounts.h"
#include "oci-spec.h"
#include "seccomp.h"
#include "util.h"

static char *hooks[]
    = { "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop" };
static char *namespaces[] = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts" };
static char *actions[]
    = { "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
        "SCMP_ACT_LOG",   "SCMP_ACT_TRACE", "SCMP_ACT_TRAP", "SCMP_ACT_NOTIFY" };
static char *archs[] = { "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",     "SCMP_ARCH_MIPS",    "SCMP_ARCH_MIPS64",
                         "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64", "SCMP_ARCH_S390",
                         "SCMP_ARCH_S390X",   "SCMP_ARCH_X32",     "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64" };
static char *seccomp_flags[] = { "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                 "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" };

/* CAP_* names of every capability the running kernel knows (none when
   libcap cannot be loaded: features then says so in a warning).  */
static size_t
capability_names (char names[][32], size_t max)
{
  struct cfs_error *err = NULL;
  const struct caplib *L = caplib_get (NULL, &err);
  size_t n = 0;
  int cap;

  if (L == NULL)
    {
      cfs_log_warning ("%s", err->msg);
      cfs_error_free (err);
      return 0;
    }
  for (cap = 0; cap < (int)L->cap_max_bits () && n < max; cap++)
    {
      char *name = L->cap_to_name (cap);
      size_t i;

      if (name == NULL)
        continue;
      for (i = 0; name[i] && i < 31; i++)
        names[n][i] = (char)toupper ((unsigned char)name[i]);
      names[n][i] = '\0';
      L->cap_free (name);
      n++;
    }
  return n;
}

int
cfsrun_features (char **ret_json, struct cfs_error **err)
{
  static char capbuf[64][32];
  char *caps[64], *opts[64], *ops[16];
  const char *optnames[64], *opnames[16];
  size_t ncaps = capability_names (capbuf, 64), nopts = mounts_option_names (optnames, 64),
         nops = seccomp_operator_names (opnames, 16), i;
  struct oci_feature_enabled off = { .enabled = false, .has_enabled = true };
  struct oci_features_cgroup cg = { 0 };
  struct oci_features_seccomp sc = {
    .enabled = true,
    .has_enabled = true,
    .actions = actions,
    .actions_len = ARRAY_SIZE (actions),
    .operators = ops,
    .operators_len = nops,
    .archs = archs,
    .archs_len = ARRAY_SIZE (archs),
    .known_flags = seccomp_flags,
    .known_flags_len = ARRAY_SIZE (seccomp_flags),
    .supported_flags = seccomp_flags,
    .supported_flags_len = ARRAY_SIZE (seccomp_flags),
  };
  struct oci_mount_extensions mx = { .idmap = &off };
  struct oci_features_linux lx = {
    .namespaces = namespaces,
    .namespaces_len = ARRAY_SIZE (namespaces),
    .capabilities = caps,
    .capabilities_len = ncaps,
    .cgroup = &cg,
    .seccomp = &sc,
    .apparmor = &off,
    .selinux = &off,
    .intel_rdt = &off,
    .mount_extensions = &mx,
  };
  struct oci_features f = {
    .oci_version_min = "1.0.0",
    .oci_version_max = OCI_VERSION,
    .hooks = hooks,
    .hooks_len = ARRAY_SIZE (hooks),
    .mount_options = opts,
    .mount_options_len = nopts,
    .linux = &lx,
  };

  for (i = 0; i < ncaps; i++)
    caps[i] = capbuf[i];
  for (i = 0; i < nopts; i++)
    opts[i] = (char *)optnames[i];
  for (i = 0; i < nops; i++)
    ops[i] = (char *)opnames[i];
  /* cgroups are not managed by this build yet: say so. */
  cg.has_v1 = cg.has_v2 = cg.has_systemd = cg.has_systemd_user = cg.has_rdma = true;
  if (oci_encode (&oci_features_type, &f, true, ret_json, NULL) < 0)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "encode features");
  return 0;
}
