#include "bundle.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "devices.h"
#include "lsm.h"
#include "rlimits.h"
#include "scheduling.h"
#include "rootfs.h"
#include "sysctl.h"
#include "userns.h"
#include "util.h"

static int
check_version (const struct oci_spec *s, struct cfs_error **err)
{
  if (strncmp (s->oci_version, "1.", 2) != 0)
    return cfs_fail (err, CFS_E_CONFIG_UNSUPPORTED, 0, "ociVersion",
                     "config.json: ociVersion: `%s` is not supported (cfsrun implements 1.x, up to %s)",
                     s->oci_version, OCI_VERSION);
  return 0;
}

static int
check_process (const struct oci_process *p, struct cfs_error **err)
{
  size_t i;

  if (p == NULL)
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "process",
                     "config.json: process: required to create a container");
  if (p->args_len == 0 || p->args[0][0] == '\0')
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "process.args",
                     "config.json: process.args: must name the program to run");
  if (p->cwd[0] != '/')
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "process.cwd",
                     "config.json: process.cwd: `%s` is not an absolute path", p->cwd);
  for (i = 0; i < p->env_len; i++)
    if (strchr (p->env[i], '=') == NULL)
      return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "process.env",
                       "config.json: process.env[%zu]: `%s` is not of the form KEY=value", i, p->env[i]);
  if (p->has_oom_score_adj && (p->oom_score_adj < -1000 || p->oom_score_adj > 1000))
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "process.oomScoreAdj",
                     "config.json: process.oomScoreAdj: %d is outside -1000..1000", p->oom_score_adj);
  return rlimits_validate (p, err);
}

static int
check_mounts (const struct oci_spec *s, struct cfs_error **err)
{
  size_t i;

  for (i = 0; i < s->mounts_len; i++)
    if (s->mounts[i].destination[0] == '\0')
      return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "mounts",
                       "config.json: mounts[%zu].destination: is empty", i);
  return 0;
}

static int
check_uts (const struct cfs_bundle *c, struct cfs_error **err)
{
  const struct oci_spec *s = c->spec;
  /* A joined uts namespace is the container's too: runc allows it. */
  bool new_uts = c->ns.wanted[NS_UTS];

  if (s->hostname && s->hostname[0] && !new_uts)
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "hostname",
                     "config.json: hostname: setting it needs a uts namespace in linux.namespaces");
  if (s->domainname && s->domainname[0] && !new_uts)
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "domainname",
                     "config.json: domainname: setting it needs a uts namespace in linux.namespaces");
  return 0;
}

static int
check_intel_rdt (const struct oci_linux *lx, struct cfs_error **err)
{
  struct stat st;

  if (lx == NULL || lx->intel_rdt == NULL)
    return 0;
  if (stat ("/sys/fs/resctrl/schemata", &st) < 0)
    return cfs_fail (
        err, CFS_E_CONFIG_UNSUPPORTED, 0, "linux.intelRdt",
        "config.json: linux.intelRdt: resctrl is not available on this host (no /sys/fs/resctrl)");
  return cfs_fail (err, CFS_E_CONFIG_UNSUPPORTED, 0, "linux.intelRdt",
                   "config.json: linux.intelRdt: not supported by this build yet");
}

/* run.oci.cfsrun.init: "true" asks for the built-in init (init.c). */
static int
check_init (struct cfs_bundle *c, struct cfs_error **err)
{
  const struct oci_spec *s = c->spec;
  size_t i;

  for (i = 0; i < s->annotations_len; i++)
    {
      if (strcmp (s->annotations_keys[i], CFS_INIT_ANNOTATION) != 0)
        continue;
      if (strcmp (s->annotations[i], "true") != 0 && strcmp (s->annotations[i], "false") != 0)
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "annotations." CFS_INIT_ANNOTATION,
                         "config.json: annotations." CFS_INIT_ANNOTATION ": `%s` is not `true` or `false`",
                         s->annotations[i]);
      c->init = strcmp (s->annotations[i], "true") == 0;
    }
  return 0;
}

int
bundle_parse (const char *json, size_t len, struct cfs_bundle *ret, struct cfs_error **err)
{
  struct oci_parse_error perr = { 0 };
  int r;

  memset (ret, 0, sizeof *ret);
  for (r = 0; r < NS_MAX; r++)
    ret->ns.fd[r] = -1;
  ret->spec = oci_spec_parse (json, len, &perr);
  if (ret->spec == NULL)
    {
      r = cfs_fail (err, CFS_E_CONFIG_INVALID, 0, perr.path, "config.json: %s: %s", perr.path, perr.reason);
      oci_parse_error_done (&perr);
      return r;
    }
  if ((r = check_version (ret->spec, err)) < 0 || (r = check_process (ret->spec->process, err)) < 0
      || (r = check_mounts (ret->spec, err)) < 0 || (r = check_init (ret, err)) < 0
      || (r = namespaces_plan (ret->spec->linux, &ret->ns, err)) < 0 || (r = check_uts (ret, err)) < 0
      || (r = devices_validate (ret->spec->linux, err)) < 0
      || (r = userns_validate (ret->spec->linux, err)) < 0
      || (r = sysctl_validate (ret->spec->linux, &ret->ns, err)) < 0
      || (r = sched_validate (ret->spec, err)) < 0 || (r = lsm_validate (ret->spec->process, err)) < 0
      || (r = check_intel_rdt (ret->spec->linux, err)) < 0
      || (r = rootfs_propagation (ret->spec->linux ? ret->spec->linux->rootfs_propagation : NULL,
                                  &(unsigned long){ 0 }, err))
             < 0
      || (r = seccomp_plan_build (ret->spec->linux ? ret->spec->linux->seccomp : NULL, &ret->seccomp, err))
             < 0)
    return r < 0 && (*err)->msg && strncmp ((*err)->msg, "config.json", 11) != 0
               ? cfs_wrap (err, "config.json")
               : r;
  if (ret->spec->process->capabilities)
    {
      r = caps_plan (ret->spec->process->capabilities, &ret->caps, err);
      if (r < 0)
        return cfs_wrap (err, "config.json");
      ret->has_caps = true;
    }
  return 0;
}

static int
resolve_rootfs (struct cfs_bundle *c, struct cfs_error **err)
{
  char buf[PATH_MAX * 2], real[PATH_MAX];
  struct stat st;
  const char *p;

  if (c->spec->root == NULL)
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "root", "config.json: root: required on Linux");
  p = c->spec->root->path;
  if (p[0] != '/')
    {
      snprintf (buf, sizeof buf, "%s/%s", c->bundle, p);
      p = buf;
    }
  if (realpath (p, real) == NULL || stat (real, &st) < 0)
    return cfs_fail (err, CFS_E_ROOTFS_MISSING, errno, p,
                     "config.json: root.path: the rootfs does not exist:");
  if (!S_ISDIR (st.st_mode))
    return cfs_fail (err, CFS_E_ROOTFS_MISSING, ENOTDIR, p,
                     "config.json: root.path: the rootfs is not a directory:");
  c->rootfs = strdup (real);
  return c->rootfs ? 0 : cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "config");
}

int
bundle_load (const char *bundle, struct cfs_bundle *ret, struct cfs_error **err)
{
  char real[PATH_MAX];
  _cleanup_free_ char *json = NULL;
  _cleanup_close_ int dirfd = -1;
  size_t len = 0;
  int r;

  if (realpath (bundle, real) == NULL || (dirfd = open (real, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
    return cfs_fail (err, CFS_E_BUNDLE_MISSING, errno, bundle, "open bundle directory");
  r = util_read_file_at (dirfd, "config.json", &json, &len, NULL);
  if (r < 0)
    return cfs_fail (err, CFS_E_CONFIG_INVALID, -r, NULL, "config.json: cannot read it in bundle `%s`", real);
  r = bundle_parse (json, len, ret, err);
  if (r < 0)
    return r;
  ret->json_len = len;
  ret->json = TAKE_PTR (json);
  ret->bundle = strdup (real);
  if (ret->bundle == NULL)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "config");
  return resolve_rootfs (ret, err);
}

void
bundle_done (struct cfs_bundle *c)
{
  c->spec = oci_spec_free (c->spec);
  free (c->bundle);
  free (c->rootfs);
  c->bundle = c->rootfs = NULL;
  namespaces_plan_done (&c->ns);
  c->seccomp = seccomp_plan_free (c->seccomp);
  free (c->json);
  c->json = NULL;
}
