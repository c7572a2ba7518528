#include "process.h"

#include <elf.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "rlimits.h"
#include "util.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int
process_set_user (const struct oci_process *p, struct cfs_error **err)
{
  const struct oci_user *u = p->user;
  uid_t uid = u ? u->uid : 0;
  gid_t gid = u ? u->gid : 0;
  size_t n = u ? u->additional_gids_len : 0;

  if (u && u->has_umask)
    umask ((mode_t)u->umask);
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return cfs_fail (err, CFS_E_USER, errno, NULL, "keep capabilities across the user switch");
  /* EPERM here means setgroups is denied in this user namespace: fine when
     no extra groups were asked for.  */
  if (setgroups (n, n ? (const gid_t *)u->additional_gids : NULL) < 0 && !(errno == EPERM && n == 0))
    return cfs_fail (err, CFS_E_USER, errno, "process.user.additionalGids", "set supplementary groups from");
  if (setresgid (gid, gid, gid) < 0)
    return cfs_fail (err, CFS_E_USER, errno, "process.user.gid", "switch to gid %u (is it mapped?), from",
                     gid);
  if (setresuid (uid, uid, uid) < 0)
    return cfs_fail (err, CFS_E_USER, errno, "process.user.uid", "switch to uid %u (is it mapped?), from",
                     uid);
  return 0;
}

int
process_set_cwd (const struct oci_process *p, struct cfs_error **err)
{
  if (chdir (p->cwd) < 0)
    return cfs_fail (err, CFS_E_PROCESS, errno, p->cwd, "process.cwd: enter");
  return 0;
}

int
process_set_no_new_privileges (const struct oci_process *p, struct cfs_error **err)
{
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return cfs_fail (err, CFS_E_PROCESS, errno, NULL, "process.noNewPrivileges: set");
  return 0;
}

int
process_setup (const struct oci_process *p, const struct caps_plan *caps, struct seccomp_plan *seccomp,
               char **ret_exec_path, struct cfs_error **err)
{
  int r;

  if ((r = rlimits_apply (p, err)) < 0)
    return r;
  if (caps && (r = caps_apply_bounding (caps, err)) < 0)
    return r;
  if (!p->no_new_privileges && (r = seccomp_plan_load (seccomp, err)) < 0)
    return r;
  if ((r = process_set_user (p, err)) < 0)
    return r;
  if (caps && (r = caps_apply_sets (caps, err)) < 0)
    return r;
  if ((r = process_set_no_new_privileges (p, err)) < 0)
    return r;
  if ((r = process_set_cwd (p, err)) < 0)
    return r;
  return process_find_executable (p, ret_exec_path, err);
}

int
process_seccomp_last (const struct oci_process *p, struct seccomp_plan *seccomp, struct cfs_error **err)
{
  return p->no_new_privileges ? seccomp_plan_load (seccomp, err) : 0;
}

static const char *
env_get (const struct oci_process *p, const char *name)
{
  size_t i, l = strlen (name);

  for (i = 0; i < p->env_len; i++)
    if (strncmp (p->env[i], name, l) == 0 && p->env[i][l] == '=')
      return p->env[i] + l + 1;
  return NULL;
}

static bool
is_executable_file (const char *path, int *ret_errno)
{
  struct stat st;

  if (stat (path, &st) < 0)
    {
      *ret_errno = errno;
      return false;
    }
  if (!S_ISREG (st.st_mode) || access (path, X_OK) < 0)
    {
      *ret_errno = S_ISREG (st.st_mode) ? errno : EACCES;
      return false;
    }
  return true;
}

/* Catch a missing interpreter before the container is reported created. */
static int
preflight (const char *path, char **ret_path, struct cfs_error **err)
{
  int r = process_exec_error (path, 0, err);

  if (r < 0 && (*err)->code != CFS_E_EXEC)
    return r;
  *err = cfs_error_free (*err);
  *ret_path = strdup (path);
  return *ret_path ? 0 : cfs_fail (err, CFS_E_SYSTEM, ENOMEM, path, "process.args[0]");
}

int
process_find_executable (const struct oci_process *p, char **ret_path, struct cfs_error **err)
{
  const char *arg0 = p->args[0], *search;
  char buf[4096];
  int first_errno = ENOENT, e = 0;

  if (strchr (arg0, '/'))
    {
      if (!is_executable_file (arg0, &e))
        return process_exec_error (arg0, e, err);
      return preflight (arg0, ret_path, err);
    }
  search = env_get (p, "PATH");
  if (search == NULL)
    search = DEFAULT_PATH;
  while (*search)
    {
      size_t l = strcspn (search, ":");

      snprintf (buf, sizeof buf, "%.*s/%s", (int)l, l ? search : ".", arg0);
      if (is_executable_file (buf, &e))
        return preflight (buf, ret_path, err);
      if (e != ENOENT && e != ENOTDIR && first_errno == ENOENT)
        first_errno = e;
      search += l + (search[l] == ':');
    }
  return cfs_fail (err, first_errno == ENOENT ? CFS_E_EXEC_NOT_FOUND : CFS_E_EXEC_PERMISSION, first_errno,
                   arg0, "process.args[0]: executable `%s` not found in $PATH (%s) inside the container",
                   arg0, env_get (p, "PATH") ? env_get (p, "PATH") : DEFAULT_PATH);
}

static const char *
machine_name (unsigned m)
{
  switch (m)
    {
    case EM_X86_64:
      return "x86-64";
    case EM_386:
      return "i386";
    case EM_AARCH64:
      return "arm64";
    case EM_ARM:
      return "arm";
    case EM_RISCV:
      return "riscv";
    case EM_PPC64:
      return "ppc64";
    case EM_S390:
      return "s390x";
    default:
      return "another architecture";
    }
}

/* ELF: the PT_INTERP path, and whether the machine matches ours. */
static int
diagnose_elf (const char *path, int fd, struct cfs_error **err)
{
  Elf64_Ehdr eh;
  size_t i;

  if (pread (fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh)
    return 0;
#if defined(__x86_64__)
  if (eh.e_machine != EM_X86_64)
    return cfs_fail (err, CFS_E_EXEC_FORMAT, ENOEXEC, path,
                     "process.args[0]: `%s` is built for %s, not for x86-64", path,
                     machine_name (eh.e_machine));
#endif
  if (eh.e_ident[EI_CLASS] != ELFCLASS64)
    return 0;
  for (i = 0; i < eh.e_phnum; i++)
    {
      Elf64_Phdr ph;
      char interp[256] = "";

      if (pread (fd, &ph, sizeof ph, (off_t)(eh.e_phoff + i * sizeof ph)) != (ssize_t)sizeof ph)
        return 0;
      if (ph.p_type != PT_INTERP || ph.p_filesz >= sizeof interp)
        continue;
      if (pread (fd, interp, ph.p_filesz, (off_t)ph.p_offset) <= 0)
        return 0;
      if (access (interp, F_OK) < 0)
        return cfs_fail (
            err, CFS_E_EXEC_INTERPRETER_MISSING, ENOENT, path,
            "process.args[0]: `%s` needs the ELF interpreter `%s`, which is missing in the container", path,
            interp);
    }
  return 0;
}

static int
diagnose_script (const char *path, const char *head, struct cfs_error **err)
{
  char interp[256];
  size_t l = strcspn (head + 2, "\n");

  snprintf (interp, sizeof interp, "%.*s", (int)(l < sizeof interp ? l : sizeof interp - 1), head + 2);
  if (l && interp[strlen (interp) - 1] == '\r')
    return cfs_fail (err, CFS_E_EXEC_CRLF_SHEBANG, ENOENT, path,
                     "process.args[0]: the `#!` line of `%s` ends in a carriage return (CRLF line endings): "
                     "convert the script to LF",
                     path);
  interp[strcspn (interp, " \t")] = '\0';
  {
    const char *i = interp;

    while (*i == ' ' || *i == '\t')
      i++;
    if (*i && access (i, F_OK) < 0)
      return cfs_fail (err, CFS_E_EXEC_INTERPRETER_MISSING, ENOENT, path,
                       "process.args[0]: `%s` is a script for `%s`, which is missing in the container", path,
                       i);
  }
  return 0;
}

int
process_exec_error (const char *path, int errnum, struct cfs_error **err)
{
  _cleanup_close_ int fd = -1;
  char head[512] = "";
  ssize_t n;
  int r;

  if (errnum == EACCES || errnum == EPERM)
    return cfs_fail (err, CFS_E_EXEC_PERMISSION, errnum, path, "process.args[0]: cannot execute");
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return cfs_fail (err, CFS_E_EXEC_NOT_FOUND, errnum, path,
                     "process.args[0]: executable not found inside the container:");
  n = pread (fd, head, sizeof head - 1, 0);
  if (n >= 4 && memcmp (head, ELFMAG, SELFMAG) == 0 && (r = diagnose_elf (path, fd, err)) < 0)
    return r;
  if (n >= 2 && head[0] == '#' && head[1] == '!' && (r = diagnose_script (path, head, err)) < 0)
    return r;
  if (errnum == ENOEXEC)
    return cfs_fail (err, CFS_E_EXEC_FORMAT, errnum, path, "process.args[0]: not an executable format:");
  return cfs_fail (err, CFS_E_EXEC, errnum, path, "process.args[0]: execute");
}

int
process_exec (const struct oci_process *p, const char *path, struct cfs_error **err)
{
  static char *const empty_env[] = { NULL };

  execve (path, p->args, p->env ? p->env : empty_env);
  return process_exec_error (path, errno, err);
}
