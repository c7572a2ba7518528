#include "sysctl.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>

#include "paths.h"
#include "util.h"

static const char *const ipc_keys[]
    = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",          "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shm_rmid_forced", "kernel.shmmni" };

static enum ns_type
namespace_of (const char *key)
{
  size_t i;

  if (util_str_has_prefix (key, "net."))
    return NS_NET;
  if (util_str_has_prefix (key, "fs.mqueue."))
    return NS_IPC;
  for (i = 0; i < ARRAY_SIZE (ipc_keys); i++)
    if (strcmp (key, ipc_keys[i]) == 0)
      return NS_IPC;
  if (strcmp (key, "kernel.hostname") == 0 || strcmp (key, "kernel.domainname") == 0)
    return NS_UTS;
  return NS_INVALID;
}

int
sysctl_validate (const struct oci_linux *lx, const struct ns_plan *ns, struct cfs_error **err)
{
  size_t i;

  for (i = 0; lx && i < lx->sysctl_len; i++)
    {
      const char *key = lx->sysctl_keys[i];
      enum ns_type t = namespace_of (key);

      if (strchr (key, '/') || strstr (key, "..") || key[0] == '.' || key[0] == '\0')
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "linux.sysctl",
                         "config.json: linux.sysctl: `%s` is not a sysctl name", key);
      if (t == NS_INVALID)
        return cfs_fail (
            err, CFS_E_CONFIG_INVALID, 0, "linux.sysctl",
            "config.json: linux.sysctl: `%s` is not namespaced: setting it would change the host", key);
      if (!ns->wanted[t])
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "linux.sysctl",
                         "config.json: linux.sysctl: `%s` needs a %s namespace in linux.namespaces", key,
                         namespaces_name (t));
    }
  return 0;
}

int
sysctl_apply (int rootfd, const struct oci_linux *lx, struct cfs_error **err)
{
  size_t i;

  for (i = 0; lx && i < lx->sysctl_len; i++)
    {
      char path[512], *p;
      _cleanup_close_ int fd = -1;
      struct statfs sfs;
      int r;

      snprintf (path, sizeof path, "/proc/sys/%s", lx->sysctl_keys[i]);
      for (p = path + strlen ("/proc/sys/"); *p; p++)
        if (*p == '.')
          *p = '/';
      r = paths_open_in_root (rootfd, path, O_WRONLY, &fd, err);
      if (r < 0)
        return cfs_wrap (err, "linux.sysctl: `%s` (is /proc mounted in the container?)", lx->sysctl_keys[i]);
      /* Never write a file that only looks like procfs. */
      if (fstatfs (fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, path,
                         "linux.sysctl: `%s` is not on procfs:", lx->sysctl_keys[i]);
      r = util_write_all (fd, lx->sysctl[i], strlen (lx->sysctl[i]));
      if (r < 0)
        return cfs_fail (err, CFS_E_CONFIG_INVALID, -r, path,
                         "linux.sysctl: set `%s` to `%s`:", lx->sysctl_keys[i], lx->sysctl[i]);
    }
  return 0;
}
