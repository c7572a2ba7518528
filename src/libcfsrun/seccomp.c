#include "seccomp.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "scmp.h"
#include "util.h"

struct seccomp_plan
{
  const struct scmp *lib;
  scmp_filter_ctx ctx;
  bool notify;        /* some action is SCMP_ACT_NOTIFY */
  int notify_fd;      /* after load, with notify */
  unsigned raw_flags; /* flags libseccomp cannot set: loaded by hand */
};

static const struct
{
  const char *name;
  enum scmp_compare op;
} ops[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE },
  { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE },
  { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

size_t
seccomp_operator_names (const char **names, size_t max)
{
  size_t i;

  for (i = 0; i < ARRAY_SIZE (ops) && i < max; i++)
    names[i] = ops[i].name;
  return i;
}

/* ERRNO and TRACE take errnoRet (default EPERM for ERRNO, as runc). */
static int
parse_action (const char *name, bool has_ret, uint32_t ret, const char *field, uint32_t *out,
              struct cfs_error **err)
{
  if (strcmp (name, "SCMP_ACT_KILL") == 0 || strcmp (name, "SCMP_ACT_KILL_THREAD") == 0)
    *out = SCMP_ACT_KILL_THREAD;
  else if (strcmp (name, "SCMP_ACT_KILL_PROCESS") == 0)
    *out = SCMP_ACT_KILL_PROCESS;
  else if (strcmp (name, "SCMP_ACT_TRAP") == 0)
    *out = SCMP_ACT_TRAP;
  else if (strcmp (name, "SCMP_ACT_ERRNO") == 0)
    *out = SCMP_ACT_ERRNO (has_ret ? ret : EPERM);
  else if (strcmp (name, "SCMP_ACT_TRACE") == 0)
    *out = SCMP_ACT_TRACE (has_ret ? ret : 0);
  else if (strcmp (name, "SCMP_ACT_ALLOW") == 0)
    *out = SCMP_ACT_ALLOW;
  else if (strcmp (name, "SCMP_ACT_LOG") == 0)
    *out = SCMP_ACT_LOG;
  else if (strcmp (name, "SCMP_ACT_NOTIFY") == 0)
    *out = SCMP_ACT_NOTIFY;
  else
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, field, "config.json: %s: unknown seccomp action `%s`",
                     field, name);
  return 0;
}

static int
add_architectures (struct seccomp_plan *p, const struct oci_seccomp *s, struct cfs_error **err)
{
  size_t i;

  for (i = 0; i < s->architectures_len; i++)
    {
      const char *a = s->architectures[i];
      char lower[32];
      size_t j;
      uint32_t arch;
      int r;

      if (!util_str_has_prefix (a, "SCMP_ARCH_"))
        goto bad;
      for (j = 0; a[10 + j] && j < sizeof lower - 1; j++)
        lower[j] = (char)tolower ((unsigned char)a[10 + j]);
      lower[j] = '\0';
      arch = p->lib->seccomp_arch_resolve_name (lower);
      if (arch == 0)
        goto bad;
      r = p->lib->seccomp_arch_add (p->ctx, arch);
      if (r < 0 && r != -EEXIST)
        return cfs_fail (err, CFS_E_CONFIG_INVALID, -r, NULL,
                         "config.json: linux.seccomp.architectures[%zu]: add `%s`", i, a);
      continue;
    bad:
      return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "linux.seccomp.architectures",
                       "config.json: linux.seccomp.architectures[%zu]: unknown architecture `%s`", i, a);
    }
  return 0;
}

static int
set_flags (struct seccomp_plan *p, const struct oci_seccomp *s, struct cfs_error **err)
{
  scmp_filter_ctx ctx = p->ctx;
  size_t i;

  for (i = 0; i < s->flags_len; i++)
    {
      const char *f = s->flags[i];
      int r;

      if (strcmp (f, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
        r = p->lib->seccomp_attr_set (ctx, SCMP_FLTATR_CTL_TSYNC, 1);
      else if (strcmp (f, "SECCOMP_FILTER_FLAG_LOG") == 0)
        r = p->lib->seccomp_attr_set (ctx, SCMP_FLTATR_CTL_LOG, 1);
      else if (strcmp (f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
        r = p->lib->seccomp_attr_set (ctx, SCMP_FLTATR_CTL_SSB, 1);
      /* libseccomp 2.5 has no attribute for it (2.6 has): the filter is
         then exported and loaded with seccomp(2) directly.  */
      else if (strcmp (f, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
        r = 0, p->raw_flags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
      else
        return cfs_fail (err, CFS_E_CONFIG_UNSUPPORTED, 0, "linux.seccomp.flags",
                         "config.json: linux.seccomp.flags[%zu]: `%s` is not supported", i, f);
      if (r < 0)
        return cfs_fail (
            err, CFS_E_CONFIG_UNSUPPORTED, -r, "linux.seccomp.flags",
            "config.json: linux.seccomp.flags[%zu]: `%s` is not supported by this kernel or libseccomp:", i,
            f);
    }
  return 0;
}

static int
parse_args (const struct oci_syscall *sc, size_t idx, struct scmp_arg_cmp *cmps, struct cfs_error **err)
{
  size_t i, j;

  for (i = 0; i < sc->args_len; i++)
    {
      const struct oci_seccomp_arg *a = &sc->args[i];
      bool found = false;

      if (a->index > 5)
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, NULL,
                         "config.json: linux.seccomp.syscalls[%zu].args[%zu].index: %u is not 0..5", idx, i,
                         a->index);
      for (j = 0; j < ARRAY_SIZE (ops); j++)
        if (strcmp (a->op, ops[j].name) == 0)
          {
            cmps[i] = (struct scmp_arg_cmp){
              .arg = a->index, .op = ops[j].op, .datum_a = a->value, .datum_b = a->value_two
            };
            found = true;
          }
      if (!found)
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, NULL,
                         "config.json: linux.seccomp.syscalls[%zu].args[%zu].op: unknown operator `%s`", idx,
                         i, a->op);
    }
  return 0;
}

/* Arguments on the same index cannot be ANDed by libseccomp: like runc,
   such a rule becomes one rule per argument (any of them matches).  */
static bool
repeated_index (const struct oci_syscall *sc)
{
  size_t i, j;

  for (i = 0; i < sc->args_len; i++)
    for (j = 0; j < i; j++)
      if (sc->args[i].index == sc->args[j].index)
        return true;
  return false;
}

static int
add_rule (struct seccomp_plan *p, uint32_t deflt, const struct oci_syscall *sc, size_t idx,
          struct cfs_error **err)
{
  struct scmp_arg_cmp cmps[16];
  char field[64];
  uint32_t action;
  size_t i, k;
  int r;

  snprintf (field, sizeof field, "linux.seccomp.syscalls[%zu].action", idx);
  if (sc->args_len > ARRAY_SIZE (cmps))
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, NULL,
                     "config.json: linux.seccomp.syscalls[%zu]: too many args", idx);
  if ((r = parse_action (sc->action, sc->has_errno_ret, sc->errno_ret, field, &action, err)) < 0
      || (r = parse_args (sc, idx, cmps, err)) < 0)
    return r;
  /* libseccomp refuses a rule that only repeats the default action. */
  if (action == deflt)
    return 0;
  for (i = 0; i < sc->names_len; i++)
    {
      int nr = p->lib->seccomp_syscall_resolve_name (sc->names[i]);

      if (nr == __NR_SCMP_ERROR)
        {
          cfs_log_debug ("linux.seccomp: syscall `%s` is unknown to libseccomp, ignoring", sc->names[i]);
          continue;
        }
      if (!repeated_index (sc))
        r = p->lib->seccomp_rule_add_array (p->ctx, action, nr, (unsigned)sc->args_len, cmps);
      else
        for (k = 0, r = 0; k < sc->args_len && r >= 0; k++)
          r = p->lib->seccomp_rule_add_array (p->ctx, action, nr, 1, &cmps[k]);
      if (r < 0)
        return cfs_fail (err, CFS_E_CONFIG_INVALID, -r, NULL,
                         "config.json: linux.seccomp.syscalls[%zu]: add rule for `%s`:", idx, sc->names[i]);
    }
  return 0;
}

int
seccomp_plan_build (const struct oci_seccomp *s, struct seccomp_plan **ret, struct cfs_error **err)
{
  const struct scmp *lib;
  struct seccomp_plan *p;
  uint32_t deflt;
  size_t i;
  int r;

  *ret = NULL;
  if (s == NULL)
    return 0;
  r = parse_action (s->default_action, s->has_default_errno_ret, s->default_errno_ret,
                    "linux.seccomp.defaultAction", &deflt, err);
  if (r < 0)
    return r;
  if ((lib = scmp_get ("linux.seccomp", err)) == NULL)
    return -ENOENT;
  p = calloc (1, sizeof *p);
  if (p)
    p->notify_fd = -1, p->lib = lib;
  if (p == NULL || (p->ctx = lib->seccomp_init (deflt)) == NULL)
    {
      free (p);
      return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "linux.seccomp: create filter");
    }
  /* cfsrun sets no_new_privs itself when the config asks for it. */
  lib->seccomp_attr_set (p->ctx, SCMP_FLTATR_CTL_NNP, 0);
  if ((r = add_architectures (p, s, err)) < 0 || (r = set_flags (p, s, err)) < 0)
    goto fail;
  for (i = 0; i < s->syscalls_len; i++)
    if ((r = add_rule (p, deflt, &s->syscalls[i], i, err)) < 0)
      goto fail;
    else if (strcmp (s->syscalls[i].action, "SCMP_ACT_NOTIFY") == 0)
      p->notify = true;
  if (deflt == SCMP_ACT_NOTIFY)
    p->notify = true;
  if (p->raw_flags && !p->notify)
    {
      r = cfs_fail (
          err, CFS_E_CONFIG_INVALID, 0, "linux.seccomp.flags",
          "config.json: linux.seccomp.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is only for filters "
          "with an SCMP_ACT_NOTIFY action");
      goto fail;
    }
  if (p->notify && (s->listener_path == NULL || s->listener_path[0] == '\0'))
    {
      r = cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "linux.seccomp.listenerPath",
                    "config.json: linux.seccomp.listenerPath: SCMP_ACT_NOTIFY needs a listener to send the "
                    "notification fd to");
      goto fail;
    }
  *ret = p;
  return 0;
fail:
  seccomp_plan_free (p);
  return r;
}

/* The flags libseccomp would pass for the attributes set on P. */
static unsigned
attr_flags (const struct seccomp_plan *p)
{
  uint32_t v = 0;
  unsigned f = SECCOMP_FILTER_FLAG_NEW_LISTENER;

  if (p->lib->seccomp_attr_get (p->ctx, SCMP_FLTATR_CTL_TSYNC, &v) == 0 && v)
    f |= SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH; /* ESRCH: TSYNC beside a listener */
  if (p->lib->seccomp_attr_get (p->ctx, SCMP_FLTATR_CTL_LOG, &v) == 0 && v)
    f |= SECCOMP_FILTER_FLAG_LOG;
  if (p->lib->seccomp_attr_get (p->ctx, SCMP_FLTATR_CTL_SSB, &v) == 0 && v)
    f |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  return f;
}

/* Export the BPF program libseccomp built and load it with seccomp(2),
   with the flags it cannot set; the listener fd is what seccomp returns. */
static int
load_raw (struct seccomp_plan *p, struct cfs_error **err)
{
  _cleanup_close_ int mfd = memfd_create ("cfsrun-seccomp", MFD_CLOEXEC);
  _cleanup_free_ struct sock_filter *insns = NULL;
  struct sock_fprog prog;
  off_t size;
  int r;

  if (mfd < 0 || (r = p->lib->seccomp_export_bpf (p->ctx, mfd)) < 0 || (size = lseek (mfd, 0, SEEK_END)) <= 0
      || size % (off_t)sizeof *insns || (insns = malloc ((size_t)size)) == NULL
      || pread (mfd, insns, (size_t)size, 0) != size)
    return cfs_fail (err, CFS_E_PROCESS, errno ? errno : EIO, NULL, "linux.seccomp: export the filter");
  prog.len = (unsigned short)((size_t)size / sizeof *insns);
  prog.filter = insns;
  r = (int)syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, attr_flags (p) | p->raw_flags, &prog);
  if (r < 0)
    return cfs_fail (
        err, CFS_E_PROCESS, errno, "linux.seccomp.flags",
        "linux.seccomp: load the filter with SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux 5.19 or "
        "later)");
  p->notify_fd = r;
  return 0;
}

int
seccomp_plan_load (struct seccomp_plan *p, struct cfs_error **err)
{
  int r;

  if (p == NULL)
    return 0;
  if (p->raw_flags)
    return load_raw (p, err);
  r = p->lib->seccomp_load (p->ctx);
  if (r < 0)
    return cfs_fail (err, CFS_E_PROCESS, -r, NULL, "linux.seccomp: load the filter");
  if (p->notify && (p->notify_fd = p->lib->seccomp_notify_fd (p->ctx)) < 0)
    return cfs_fail (err, CFS_E_PROCESS, -p->notify_fd, NULL, "linux.seccomp: get the notification fd");
  return 0;
}

bool
seccomp_plan_notifies (const struct seccomp_plan *p)
{
  return p && p->notify;
}

int
seccomp_plan_send_listener (struct seccomp_plan *p, int sock, const char *process_state,
                            struct cfs_error **err)
{
  int r;

  if (p == NULL || !p->notify)
    return 0;
  r = util_send_fd (sock, p->notify_fd, process_state, strlen (process_state));
  if (r < 0)
    return cfs_fail (err, CFS_E_PROCESS, -r, "linux.seccomp.listenerPath",
                     "linux.seccomp: send the notification fd to the listener at");
  close (p->notify_fd);
  p->notify_fd = -1;
  return 0;
}

struct seccomp_plan *
seccomp_plan_free (struct seccomp_plan *p)
{
  if (p == NULL)
    return NULL;
  p->lib->seccomp_release (p->ctx);
  if (p->notify_fd >= 0)
    close (p->notify_fd);
  free (p);
  return NULL;
}
