#include "lsm.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

bool
lsm_apparmor_enabled (void)
{
  char c = 0;
  int fd = open ("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return false;
  if (read (fd, &c, 1) != 1)
    c = 0;
  close (fd);
  return c == 'Y';
}

bool
lsm_selinux_enabled (void)
{
  struct stat st;

  return stat ("/sys/fs/selinux/enforce", &st) == 0;
}

int
lsm_validate (const struct oci_process *p, struct cfs_error **err)
{
  if (p->apparmor_profile && p->apparmor_profile[0] && !lsm_apparmor_enabled ())
    return cfs_fail (
        err, CFS_E_CONFIG_UNSUPPORTED, 0, "process.apparmorProfile",
        "config.json: process.apparmorProfile: `%s` was asked for, but AppArmor is not enabled on "
        "this host",
        p->apparmor_profile);
  if (p->selinux_label && p->selinux_label[0] && !lsm_selinux_enabled ())
    return cfs_fail (
        err, CFS_E_CONFIG_UNSUPPORTED, 0, "process.selinuxLabel",
        "config.json: process.selinuxLabel: `%s` was asked for, but SELinux is not enabled on this "
        "host",
        p->selinux_label);
  return 0;
}

static int
write_attr (const char *path, const char *fmt, const char *value, const char *field, struct cfs_error **err)
{
  char buf[4096];
  int n = snprintf (buf, sizeof buf, fmt, value);
  _cleanup_close_ int fd = util_open_proc (path, O_WRONLY);

  if (fd < 0 || util_write_all (fd, buf, (size_t)n) < 0)
    return cfs_fail (err, CFS_E_PROCESS, errno, field, "%s: set `%s` through %s:", field, value, path);
  return 0;
}

int
lsm_apply_exec (const struct oci_process *p, struct cfs_error **err)
{
  int r;

  /* /proc here is the container's: the attr files act on the caller. */
  if (p->apparmor_profile && p->apparmor_profile[0]
      && (r
          = write_attr (access ("/proc/self/attr/apparmor/exec", F_OK) == 0 ? "/proc/self/attr/apparmor/exec"
                                                                            : "/proc/self/attr/exec",
                        "exec %s", p->apparmor_profile, "process.apparmorProfile", err))
             < 0)
    return r;
  if (p->selinux_label && p->selinux_label[0]
      && (r = write_attr ("/proc/self/attr/exec", "%s", p->selinux_label, "process.selinuxLabel", err)) < 0)
    return r;
  return 0;
}
