#include "rlimits.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "util.h"

static const struct
{
  const char *name;
  int resource;
} rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

static int
resource_of (const char *name)
{
  size_t i;

  for (i = 0; i < ARRAY_SIZE (rlimit_names); i++)
    if (strcmp (name, rlimit_names[i].name) == 0)
      return rlimit_names[i].resource;
  return -1;
}

int
rlimits_validate (const struct oci_process *p, struct cfs_error **err)
{
  size_t i, j;

  for (i = 0; i < p->rlimits_len; i++)
    {
      const struct oci_rlimit *l = &p->rlimits[i];

      if (resource_of (l->type) < 0)
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, NULL, "process.rlimits[%zu].type: unknown rlimit `%s`",
                         i, l->type);
      if (l->soft > l->hard)
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, NULL,
                         "process.rlimits[%zu]: soft limit %" PRIu64 " is above hard limit %" PRIu64
                         " for %s",
                         i, l->soft, l->hard, l->type);
      for (j = 0; j < i; j++)
        if (strcmp (p->rlimits[j].type, l->type) == 0)
          return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, NULL,
                           "process.rlimits[%zu].type: `%s` is listed twice", i, l->type);
    }
  return 0;
}

int
rlimits_apply (const struct oci_process *p, struct cfs_error **err)
{
  size_t i;

  for (i = 0; i < p->rlimits_len; i++)
    {
      const struct oci_rlimit *l = &p->rlimits[i];
      int res = resource_of (l->type);
      struct rlimit want = { .rlim_cur = l->soft, .rlim_max = l->hard }, have;

      if (setrlimit (res, &want) == 0)
        continue;
      if (errno == EPERM && getrlimit (res, &have) == 0 && l->hard > have.rlim_max)
        return cfs_fail (err, CFS_E_RLIMIT_ABOVE_HARD, EPERM, NULL,
                         "process.rlimits[%zu]: %s hard limit %" PRIu64 " is above the hard limit %" PRIu64
                         " in force, and raising it needs CAP_SYS_RESOURCE",
                         i, l->type, l->hard, (uint64_t)have.rlim_max);
      return cfs_fail (err, CFS_E_RLIMIT, errno, NULL, "process.rlimits[%zu]: set %s to %" PRIu64 ":%" PRIu64,
                       i, l->type, l->soft, l->hard);
    }
  return 0;
}
