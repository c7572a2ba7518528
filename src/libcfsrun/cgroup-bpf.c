/* The cgroup v2 device filter: see cgroup-bpf.h.  */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup-bpf.h"
#include "util.h"

/* The few instruction forms the program needs.  */
#define INSN(c, d, s, o, i)                                                                                  \
  ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(d, s, o)   INSN (BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define MOV_REG(d, s)    INSN (BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_IMM(d, i)    INSN (BPF_ALU | BPF_MOV | BPF_K, d, 0, 0, i)
#define AND_IMM(d, i)    INSN (BPF_ALU | BPF_AND | BPF_K, d, 0, 0, i)
#define RSH_IMM(d, i)    INSN (BPF_ALU | BPF_RSH | BPF_K, d, 0, 0, i)
#define JNE_IMM(d, i, o) INSN (BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define JEQ_IMM(d, i, o) INSN (BPF_JMP | BPF_JEQ | BPF_K, d, 0, o, i)
#define EXIT()           INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

enum
{
  R_TYPE = 2,   /* BPF_DEVCG_DEV_* */
  R_ACCESS = 3, /* BPF_DEVCG_ACC_* asked for */
  R_MAJOR = 4,
  R_MINOR = 5,
  R_TMP = 6,
};

static int
parse_num (const char *s, int64_t *ret)
{
  char *end;

  if (strcmp (s, "*") == 0)
    return *ret = -1, 0;
  errno = 0;
  *ret = strtoll (s, &end, 10);
  return errno || *end || *ret < 0 || *ret > UINT32_MAX ? -EINVAL : 0;
}

int
cgroup_bpf_parse_rule (const char *line, bool allow, struct dev_rule *ret)
{
  char maj[24], min[24], acc[8] = "rwm";
  const char *a;

  memset (ret, 0, sizeof *ret);
  ret->allow = allow;
  if (strcmp (line, "a") == 0)
    {
      ret->type = 'a', ret->major = ret->minor = -1;
      ret->access = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
      return 0;
    }
  if (sscanf (line, "%c %23[^:]:%23s %7s", &ret->type, maj, min, acc) < 3
      || (ret->type != 'a' && ret->type != 'c' && ret->type != 'b') || parse_num (maj, &ret->major) < 0
      || parse_num (min, &ret->minor) < 0)
    return -EINVAL;
  for (a = acc; *a; a++)
    ret->access |= *a == 'r'   ? BPF_DEVCG_ACC_READ
                   : *a == 'w' ? BPF_DEVCG_ACC_WRITE
                   : *a == 'm' ? BPF_DEVCG_ACC_MKNOD
                               : 0;
  return 0;
}

/* One rule: every test that fails jumps past the rule's end.  */
static size_t
compile_rule (const struct dev_rule *r, struct bpf_insn *out)
{
  struct bpf_insn b[12];
  size_t n = 0, i;
  unsigned all = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

  if (r->type != 'a')
    b[n++] = JNE_IMM (R_TYPE, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
  /* An allow covers a request within its access; a deny any request that
     touches its access.  */
  if (r->allow && (r->access & all) != all)
    {
      b[n++] = MOV_REG (R_TMP, R_ACCESS);
      b[n++] = AND_IMM (R_TMP, (int32_t)(~r->access & all));
      b[n++] = JNE_IMM (R_TMP, 0, 0);
    }
  else if (!r->allow && (r->access & all) != all)
    {
      b[n++] = MOV_REG (R_TMP, R_ACCESS);
      b[n++] = AND_IMM (R_TMP, (int32_t)r->access);
      b[n++] = JEQ_IMM (R_TMP, 0, 0);
    }
  if (r->major >= 0)
    b[n++] = JNE_IMM (R_MAJOR, (int32_t)r->major, 0);
  if (r->minor >= 0)
    b[n++] = JNE_IMM (R_MINOR, (int32_t)r->minor, 0);
  b[n++] = MOV_IMM (0, r->allow ? 1 : 0);
  b[n++] = EXIT ();
  for (i = 0; i < n; i++)
    {
      if (BPF_CLASS (b[i].code) == BPF_JMP && BPF_OP (b[i].code) != BPF_EXIT)
        b[i].off = (int16_t)(n - i - 1);
      out[i] = b[i];
    }
  return n;
}

size_t
cgroup_bpf_compile (const struct dev_rule *rules, size_t n, struct bpf_insn *insns, size_t max)
{
  size_t k = 0, i;

  if (max < 8 + 12 * n)
    return 0;
  /* struct bpf_cgroup_dev_ctx: access_type (type | access << 16), major, minor. */
  insns[k++] = LDX_W (R_TYPE, 1, 0);
  insns[k++] = AND_IMM (R_TYPE, 0xffff);
  insns[k++] = LDX_W (R_ACCESS, 1, 0);
  insns[k++] = RSH_IMM (R_ACCESS, 16);
  insns[k++] = LDX_W (R_MAJOR, 1, 4);
  insns[k++] = LDX_W (R_MINOR, 1, 8);
  /* The last rule that matches decides: test them from the last.  One
     that always matches ends the program (the verifier refuses code that
     cannot be reached).  */
  for (i = n; i > 0; i--)
    {
      size_t len = compile_rule (&rules[i - 1], insns + k);

      k += len;
      if (len == 2)
        return k;
    }
  /* None matched: denied, as after v1's deny-all.  */
  insns[k++] = MOV_IMM (0, 0);
  insns[k++] = EXIT ();
  return k;
}

bool
cgroup_bpf_decide (const struct dev_rule *rules, size_t n, char type, unsigned major, unsigned minor,
                   unsigned access)
{
  size_t i;

  for (i = n; i > 0; i--)
    {
      const struct dev_rule *r = &rules[i - 1];

      if ((r->type != 'a' && r->type != type) || (r->major >= 0 && (unsigned)r->major != major)
          || (r->minor >= 0 && (unsigned)r->minor != minor))
        continue;
      if (r->allow ? (access & ~r->access) == 0 : (access & r->access) != 0)
        return r->allow;
    }
  return false;
}

static int
bpf (int cmd, union bpf_attr *attr)
{
  return (int)syscall (SYS_bpf, cmd, attr, sizeof *attr);
}

static int
load (const struct bpf_insn *insns, size_t len, char *log, size_t log_size)
{
  union bpf_attr attr;

  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.insn_cnt = (uint32_t)len;
  attr.license = (uint64_t)(uintptr_t) "GPL";
  if (log)
    {
      attr.log_buf = (uint64_t)(uintptr_t)log;
      attr.log_size = (uint32_t)log_size;
      attr.log_level = 1;
    }
  return bpf (BPF_PROG_LOAD, &attr);
}

int
cgroup_bpf_attach_devices (const char *leaf, const struct dev_rule *rules, size_t n, struct cfs_error **err)
{
  size_t max = 8 + 12 * n;
  _cleanup_free_ struct bpf_insn *insns = calloc (max, sizeof *insns);
  _cleanup_close_ int prog = -1, cg = -1;
  char log[4096] = "";
  union bpf_attr attr;
  size_t len;

  if (insns == NULL)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "device filter");
  len = cgroup_bpf_compile (rules, n, insns, max);
  if ((prog = load (insns, len, NULL, 0)) < 0)
    {
      int e = errno;

      /* Again with the verifier's log, wanted only when it refuses. */
      load (insns, len, log, sizeof log);
      return cfs_fail (err, CFS_E_CGROUP, e, "linux.resources.devices",
                       "linux.resources.devices: load the cgroup v2 device filter (eBPF)%s%s",
                       log[0] ? ": " : "", log);
    }
  if ((cg = open (leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return cfs_fail (err, CFS_E_CGROUP, errno, leaf, "open cgroup");
  memset (&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t)cg;
  attr.attach_bpf_fd = (uint32_t)prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  /* Beside, not instead of, what the parents have: every one must allow. */
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf (BPF_PROG_ATTACH, &attr) < 0)
    return cfs_fail (err, CFS_E_CGROUP, errno, leaf, "linux.resources.devices: attach the device filter to");
  return 0;
}
