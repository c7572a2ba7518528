#include "namespaces.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* OCI type name, clone flag, and /proc/PID/ns name, indexed by ns_type. */
static const struct
{
  const char *name;
  int flag;
} ns_table[NS_MAX] = {
  [NS_USER] = { "user", CLONE_NEWUSER },       [NS_MOUNT] = { "mount", CLONE_NEWNS },
  [NS_PID] = { "pid", CLONE_NEWPID },          [NS_NET] = { "network", CLONE_NEWNET },
  [NS_IPC] = { "ipc", CLONE_NEWIPC },          [NS_UTS] = { "uts", CLONE_NEWUTS },
  [NS_CGROUP] = { "cgroup", CLONE_NEWCGROUP }, [NS_TIME] = { "time", CLONE_NEWTIME },
};

const char *
namespaces_name (enum ns_type t)
{
  return t >= 0 && t < NS_MAX ? ns_table[t].name : "unknown";
}

static enum ns_type
ns_from_name (const char *name)
{
  int i;

  for (i = 0; i < NS_MAX; i++)
    if (strcmp (ns_table[i].name, name) == 0)
      return (enum ns_type)i;
  return NS_INVALID;
}

int
namespaces_plan (const struct oci_linux *linux_cfg, struct ns_plan *ret, struct cfs_error **err)
{
  size_t i;

  memset (ret, 0, sizeof *ret);
  for (i = 0; i < NS_MAX; i++)
    ret->fd[i] = -1;
  for (i = 0; linux_cfg && i < linux_cfg->namespaces_len; i++)
    {
      const struct oci_namespace *ns = &linux_cfg->namespaces[i];
      enum ns_type t = ns_from_name (ns->type);
      char field[64];

      snprintf (field, sizeof field, "linux.namespaces[%zu].type", i);
      if (t == NS_INVALID)
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, field, "%s: unknown namespace type `%s`", field,
                         ns->type);
      if (ret->wanted[t])
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, field, "%s: namespace `%s` is listed twice", field,
                         ns->type);
      ret->wanted[t] = true;
      if (ns->path && ns->path[0])
        {
          if (ns->path[0] != '/')
            return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, field,
                             "linux.namespaces[%zu].path: `%s` is not an absolute path", i, ns->path);
          ret->path[t] = ns->path;
        }
      /* A new time namespace is made by unshare() in the parent: the clone()
         flag value overlaps the exit-signal bits.  */
      else if (t != NS_TIME)
        ret->clone_flags |= ns_table[t].flag;
    }
  for (i = 0; linux_cfg && i < linux_cfg->time_offsets_len; i++)
    {
      const char *k = linux_cfg->time_offsets_keys[i];

      if (strcmp (k, "monotonic") != 0 && strcmp (k, "boottime") != 0)
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "linux.timeOffsets",
                         "linux.timeOffsets: `%s` is not a clock with an offset (monotonic or boottime)", k);
      if (!ret->wanted[NS_TIME] || ret->path[NS_TIME])
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "linux.timeOffsets",
                         "linux.timeOffsets: offsets need a new time namespace in linux.namespaces");
    }
  if (ret->path[NS_USER] && (ret->clone_flags & ~CLONE_NEWUSER))
    return cfs_fail (
        err, CFS_E_CONFIG_UNSUPPORTED, 0, "linux.namespaces",
        "linux.namespaces: joining a user namespace by path while creating new namespaces is not "
        "supported yet; give every namespace a path, or none to the user namespace");
  return 0;
}

static int
open_join (struct ns_plan *plan, enum ns_type t, struct cfs_error **err)
{
  int fd = open (plan->path[t], O_RDONLY | O_CLOEXEC);
  int type;

  if (fd < 0)
    return cfs_fail (err, CFS_E_NAMESPACE, errno, plan->path[t], "open %s namespace", ns_table[t].name);
  plan->fd[t] = fd;
  type = ioctl (fd, NS_GET_NSTYPE);
  if (type < 0)
    return cfs_fail (err, CFS_E_NAMESPACE, errno, plan->path[t],
                     "%s namespace path is not a namespace:", ns_table[t].name);
  if (type != ns_table[t].flag)
    return cfs_fail (err, CFS_E_NAMESPACE, 0, plan->path[t],
                     "path given for the %s namespace is another type of namespace:", ns_table[t].name);
  return 0;
}

/* Offsets can be set only before the first process enters the namespace. */
static int
write_time_offsets (const struct oci_linux *lx, struct cfs_error **err)
{
  char buf[256];
  size_t i, len = 0;
  int fd;

  if (lx == NULL || lx->time_offsets_len == 0)
    return 0;
  for (i = 0; i < lx->time_offsets_len && len < sizeof buf; i++)
    len += (size_t)snprintf (buf + len, sizeof buf - len, "%s %lld %u\n", lx->time_offsets_keys[i],
                             (long long)lx->time_offsets[i].secs, lx->time_offsets[i].nanosecs);
  fd = util_open_proc ("/proc/self/timens_offsets", O_WRONLY);
  if (fd < 0 || util_write_all (fd, buf, len) < 0)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      return cfs_fail (err, CFS_E_NAMESPACE, saved, "linux.timeOffsets",
                       "linux.timeOffsets: write `%.*s` to "
                       "/proc/self/timens_offsets:",
                       (int)strcspn (buf, "\n"), buf);
    }
  close (fd);
  return 0;
}

int
namespaces_prepare_parent (struct ns_plan *plan, const struct oci_linux *linux_cfg, struct cfs_error **err)
{
  int t, r;

  for (t = 0; t < NS_MAX; t++)
    if (plan->path[t])
      {
        r = open_join (plan, (enum ns_type)t, err);
        if (r < 0)
          return r;
      }
  /* Entering these changes only what the parent's children are born in. */
  if (plan->fd[NS_PID] >= 0 && setns (plan->fd[NS_PID], CLONE_NEWPID) < 0)
    return cfs_fail (err, CFS_E_NAMESPACE, errno, plan->path[NS_PID], "join pid namespace");
  if (plan->fd[NS_TIME] >= 0 && setns (plan->fd[NS_TIME], CLONE_NEWTIME) < 0)
    return cfs_fail (err, CFS_E_NAMESPACE, errno, plan->path[NS_TIME], "join time namespace");
  if (plan->wanted[NS_TIME] && !plan->path[NS_TIME])
    {
      if (unshare (CLONE_NEWTIME) < 0)
        return cfs_fail (err, CFS_E_NAMESPACE, errno, NULL, "create time namespace");
      return write_time_offsets (linux_cfg, err);
    }
  return 0;
}

int
namespaces_join (struct ns_plan *plan, struct cfs_error **err)
{
  int t;

  for (t = 0; t < NS_MAX; t++)
    {
      if (plan->fd[t] < 0 || t == NS_PID || t == NS_TIME)
        continue;
      if (setns (plan->fd[t], ns_table[t].flag) < 0)
        return cfs_fail (err, CFS_E_NAMESPACE, errno, plan->path[t], "join %s namespace", ns_table[t].name);
    }
  return 0;
}

void
namespaces_plan_done (struct ns_plan *plan)
{
  int t;

  for (t = 0; t < NS_MAX; t++)
    {
      closep (&plan->fd[t]);
      plan->fd[t] = -1;
    }
}
