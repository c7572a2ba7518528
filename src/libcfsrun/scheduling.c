#include "scheduling.h"

#include <linux/ioprio.h>
#include <linux/mempolicy.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

#ifndef SCHED_FLAG_RESET_ON_FORK
#define SCHED_FLAG_RESET_ON_FORK 0x01
#endif

/* The kernel's struct sched_attr (glibc 2.36 has no wrapper). */
struct kernel_sched_attr
{
  uint32_t size, policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  uint64_t runtime, deadline, period;
};

struct name_value
{
  const char *name;
  int value;
};

static const struct name_value policies[] = {
  { "SCHED_OTHER", SCHED_OTHER }, { "SCHED_FIFO", SCHED_FIFO }, { "SCHED_RR", SCHED_RR },
  { "SCHED_BATCH", SCHED_BATCH }, { "SCHED_ISO", 4 },           { "SCHED_IDLE", SCHED_IDLE },
  { "SCHED_DEADLINE", 6 },
};
static const struct name_value sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 },  { "SCHED_FLAG_RECLAIM", 0x02 },
  { "SCHED_FLAG_DL_OVERRUN", 0x04 },     { "SCHED_FLAG_KEEP_POLICY", 0x08 },
  { "SCHED_FLAG_KEEP_PARAMS", 0x10 },    { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};
static const struct name_value io_classes[] = {
  { "IOPRIO_CLASS_RT", IOPRIO_CLASS_RT },
  { "IOPRIO_CLASS_BE", IOPRIO_CLASS_BE },
  { "IOPRIO_CLASS_IDLE", IOPRIO_CLASS_IDLE },
};
static const struct name_value mpol_modes[] = {
  { "MPOL_DEFAULT", MPOL_DEFAULT },       { "MPOL_PREFERRED", MPOL_PREFERRED }, { "MPOL_BIND", MPOL_BIND },
  { "MPOL_INTERLEAVE", MPOL_INTERLEAVE }, { "MPOL_LOCAL", MPOL_LOCAL },         { "MPOL_PREFERRED_MANY", 5 },
  { "MPOL_WEIGHTED_INTERLEAVE", 6 },
};
static const struct name_value mpol_flags[] = {
  { "MPOL_F_NUMA_BALANCING", 1 << 13 },
  { "MPOL_F_RELATIVE_NODES", MPOL_F_RELATIVE_NODES },
  { "MPOL_F_STATIC_NODES", MPOL_F_STATIC_NODES },
};
static const struct name_value domains[] = { { "LINUX", PER_LINUX }, { "LINUX32", PER_LINUX32 } };

static int
lookup (const struct name_value *t, size_t n, const char *name, int *ret)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp (t[i].name, name) == 0)
      {
        *ret = t[i].value;
        return 0;
      }
  return -1;
}

#define LOOKUP(table, name, ret) lookup (table, ARRAY_SIZE (table), name, ret)

static int
flags_of (const struct name_value *t, size_t n, char *const *names, size_t len, const char *field, int *ret,
          struct cfs_error **err)
{
  size_t i;
  int v;

  *ret = 0;
  for (i = 0; i < len; i++)
    {
      if (lookup (t, n, names[i], &v) < 0)
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, field, "config.json: %s[%zu]: unknown flag `%s`",
                         field, i, names[i]);
      *ret |= v;
    }
  return 0;
}

/* "0-3,7" to a bit mask of NBITS bits (BITS has room for them). */
static int
parse_list (const char *list, unsigned long *bits, size_t nbits)
{
  const char *p = list;

  memset (bits, 0, nbits / 8);
  while (*p)
    {
      char *end;
      unsigned long a = strtoul (p, &end, 10), b = a;

      if (end == p)
        return -1;
      if (*end == '-')
        {
          p = end + 1;
          b = strtoul (p, &end, 10);
          if (end == p || b < a)
            return -1;
        }
      if (b >= nbits)
        return -1;
      for (; a <= b; a++)
        bits[a / (8 * sizeof (unsigned long))] |= 1UL << (a % (8 * sizeof (unsigned long)));
      if (*end == ',')
        end++;
      else if (*end)
        return -1;
      p = end;
    }
  return 0;
}

int
sched_validate (const struct oci_spec *s, struct cfs_error **err)
{
  const struct oci_process *p = s->process;
  const struct oci_linux *lx = s->linux;
  unsigned long bits[1024 / (8 * sizeof (unsigned long))];
  int v;

  if (p->scheduler && LOOKUP (policies, p->scheduler->policy, &v) < 0)
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "process.scheduler.policy",
                     "config.json: process.scheduler.policy: unknown policy `%s`", p->scheduler->policy);
  if (p->scheduler
      && flags_of (sched_flags, ARRAY_SIZE (sched_flags), p->scheduler->flags, p->scheduler->flags_len,
                   "process.scheduler.flags", &v, err)
             < 0)
    return -EINVAL;
  if (p->io_priority && LOOKUP (io_classes, p->io_priority->class, &v) < 0)
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "process.ioPriority.class",
                     "config.json: process.ioPriority.class: unknown class `%s`", p->io_priority->class);
  if (p->io_priority && (p->io_priority->priority < 0 || p->io_priority->priority > 7))
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "process.ioPriority.priority",
                     "config.json: process.ioPriority.priority: %d is not 0..7", p->io_priority->priority);
  if (lx && lx->personality && LOOKUP (domains, lx->personality->domain, &v) < 0)
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "linux.personality.domain",
                     "config.json: linux.personality.domain: unknown domain `%s` (LINUX or LINUX32)",
                     lx->personality->domain);
  if (lx && lx->personality && lx->personality->flags_len)
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "linux.personality.flags",
                     "config.json: linux.personality.flags: no flags are defined");
  if (lx && lx->memory_policy)
    {
      const struct oci_memory_policy *m = lx->memory_policy;

      if (LOOKUP (mpol_modes, m->mode, &v) < 0)
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "linux.memoryPolicy.mode",
                         "config.json: linux.memoryPolicy.mode: unknown mode `%s`", m->mode);
      if (flags_of (mpol_flags, ARRAY_SIZE (mpol_flags), m->flags, m->flags_len, "linux.memoryPolicy.flags",
                    &v, err)
          < 0)
        return -EINVAL;
      if (m->nodes && parse_list (m->nodes, bits, 1024) < 0)
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "linux.memoryPolicy.nodes",
                         "config.json: linux.memoryPolicy.nodes: `%s` is not a node list", m->nodes);
    }
  if (p->exec_cpu_affinity)
    {
      const struct oci_cpu_affinity *a = p->exec_cpu_affinity;

      if ((a->initial && parse_list (a->initial, bits, 1024) < 0)
          || (a->final && parse_list (a->final, bits, 1024) < 0))
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "process.execCPUAffinity",
                         "config.json: process.execCPUAffinity: not a cpu list");
    }
  return 0;
}

static int
apply_scheduler (const struct oci_scheduler *s, struct cfs_error **err)
{
  struct kernel_sched_attr a = { .size = sizeof a };
  int policy = 0, flags = 0;

  LOOKUP (policies, s->policy, &policy);
  flags_of (sched_flags, ARRAY_SIZE (sched_flags), s->flags, s->flags_len, "", &flags, NULL);
  a.policy = (uint32_t)policy;
  a.flags = (uint64_t)flags;
  a.nice = s->nice;
  a.priority = (uint32_t)s->priority;
  a.runtime = s->runtime;
  a.deadline = s->deadline;
  a.period = s->period;
  if (syscall (SYS_sched_setattr, 0, &a, 0) < 0)
    return cfs_fail (err, CFS_E_PROCESS, errno, "process.scheduler",
                     "process.scheduler: set policy `%s`:", s->policy);
  return 0;
}

static int
apply_memory_policy (const struct oci_memory_policy *m, struct cfs_error **err)
{
  unsigned long bits[1024 / (8 * sizeof (unsigned long))] = { 0 };
  int mode = 0, flags = 0;

  LOOKUP (mpol_modes, m->mode, &mode);
  flags_of (mpol_flags, ARRAY_SIZE (mpol_flags), m->flags, m->flags_len, "", &flags, NULL);
  if (m->nodes)
    parse_list (m->nodes, bits, 1024);
  if (syscall (SYS_set_mempolicy, mode | flags, m->nodes ? bits : NULL, m->nodes ? 1024UL : 0UL) < 0)
    return cfs_fail (err, CFS_E_PROCESS, errno, "linux.memoryPolicy",
                     "linux.memoryPolicy: set mode `%s`:", m->mode);
  return 0;
}

int
sched_set_affinity (const char *cpus, const char *field, struct cfs_error **err)
{
  cpu_set_t set;

  if (parse_list (cpus, (unsigned long *)&set, CPU_SETSIZE) < 0)
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, field, "%s: `%s` is not a cpu list", field, cpus);
  if (sched_setaffinity (0, sizeof set, &set) < 0)
    return cfs_fail (err, CFS_E_PROCESS, errno, field, "%s: set affinity to `%s`:", field, cpus);
  return 0;
}

int
sched_apply (const struct oci_spec *s, struct cfs_error **err)
{
  const struct oci_process *p = s->process;
  const struct oci_linux *lx = s->linux;
  int r, v = 0;

  if (p->scheduler && (r = apply_scheduler (p->scheduler, err)) < 0)
    return r;
  if (p->io_priority)
    {
      LOOKUP (io_classes, p->io_priority->class, &v);
      if (syscall (SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_PRIO_VALUE (v, p->io_priority->priority))
          < 0)
        return cfs_fail (err, CFS_E_PROCESS, errno, "process.ioPriority",
                         "process.ioPriority: set `%s`:", p->io_priority->class);
    }
  if (lx && lx->memory_policy && (r = apply_memory_policy (lx->memory_policy, err)) < 0)
    return r;
  if (lx && lx->personality)
    {
      LOOKUP (domains, lx->personality->domain, &v);
      if (personality ((unsigned long)v) < 0)
        return cfs_fail (err, CFS_E_PROCESS, errno, "linux.personality",
                         "linux.personality: set `%s`:", lx->personality->domain);
    }
  return 0;
}
