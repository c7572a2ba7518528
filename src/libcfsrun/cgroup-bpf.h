/* Device access on cgroup v2: v2 has no devices.allow file; the kernel
   asks an eBPF program of type CGROUP_DEVICE attached to the cgroup
   instead.  cfsrun compiles the container's rules (the same list the v1
   files would get, in the same order) into such a program and attaches
   it; the last rule that matches decides, as in v1.  */
#ifndef CFS_CGROUP_BPF_H
#define CFS_CGROUP_BPF_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct dev_rule
{
  bool allow;
  char type;       /* 'a', 'c' or 'b' */
  int64_t major;   /* -1: any */
  int64_t minor;   /* -1: any */
  unsigned access; /* BPF_DEVCG_ACC_* bits */
};

/* Pure: "a", "c 1:3 rwm", "b *:* m" (a v1 devices.allow/deny line). */
int cgroup_bpf_parse_rule (const char *line, bool allow, struct dev_rule *ret);

/* Pure: the program for RULES into INSNS (room for MAX); its length. */
size_t cgroup_bpf_compile (const struct dev_rule *rules, size_t n, struct bpf_insn *insns, size_t max);

/* Pure, for tests: what the program would answer (runs the rules, not
   the bytecode).  */
bool cgroup_bpf_decide (const struct dev_rule *rules, size_t n, char type, unsigned major, unsigned minor,
                        unsigned access);

/* Load the program for RULES and attach it to the v2 cgroup LEAF. */
int cgroup_bpf_attach_devices (const char *leaf, const struct dev_rule *rules, size_t n,
                               struct cfs_error **err);

#endif
