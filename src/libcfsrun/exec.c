/* `exec`: a new process in a running container.
 *
 *   cfsrun exec                         the new process
 *   ───────────                         ───────────────
 *   check state, read the config the
 *   container was created with, build
 *   the process (-p or args + flags)
 *   re-exec from a sealed copy of cfsrun
 *   if the container may ptrace us
 *   pidfd_open(init), enter its pid and
 *   time namespaces (for children)
 *   fork ─────────────────────────────▶ setns(pidfd, user|mnt|net|ipc|uts|cgroup)
 *                                       process attributes, as the init had
 *   ◀──────── error, or EOF at exec ─── exec
 *   wait (forwarding signals) or return
 *
 * When a process of the container may hold CAP_SYS_PTRACE over the host's
 * user namespace, it could reach a child set up in sight (its host root,
 * cwd, exe, capabilities): then the child enters the pid and time
 * namespaces too, sets up from the host's pid namespace, and only then
 * forks, CLONE_PARENT, the process that execs (exec_hop), whose pid it
 * sends before it exits.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "bundle.h"
#include "cfsrun.h"
#include "cgroup.h"
#include "proc.h"
#include "process.h"
#include "signals.h"
#include "state.h"
#include "lsm.h"
#include "scheduling.h"
#include "sealed-exe.h"
#include "sync.h"
#include "terminal.h"
#include "trace.h"
#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct exec_ctx
{
  struct cfs_bundle cfg;
  struct cfs_record *rec;
  int pidfd;
  int ns_flags;       /* the container's namespaces that differ from ours */
  int child_ns_flags; /* those the child enters (the rest: entered before fork) */
  char *exec_path;
  int console_fd;         /* --tty: where the pty master goes */
  int tty_slave;          /* child: the pty, open, not yet the controlling terminal */
  bool user_joined;       /* the parent entered the container's user namespace */
  const char *sub_cgroup; /* --cgroup */
  int dirfd;              /* the container's state dir, not locked */
  bool ptrace_before;     /* a process of the container may hold CAP_SYS_PTRACE already */
  bool ptrace_reach;      /* ... or will: set up in two stages, sealed */
  size_t born_in;         /* the leaf it was cloned into (clone3), or SIZE_MAX */
};

static int
load_container (const struct cfsrun_global *g, const char *id, struct exec_ctx *x, struct cfs_error **err)
{
  _cleanup_close_ int rootfd = -1, dirfd = -1;
  _cleanup_free_ char *json = NULL;
  const char *status;
  size_t len = 0;
  int r;

  rootfd = open (g->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return errno == ENOENT
               ? cfs_fail (err, CFS_E_CONTAINER_NOT_FOUND, ENOENT, NULL, "container `%s` does not exist", id)
               : cfs_fail (err, CFS_E_STATE_STORE, errno, g->root, "open state root");
  if ((r = state_dir_open (rootfd, id, LOCK_SH, &dirfd, err)) < 0
      || (r = state_record_read (dirfd, id, &x->rec, err)) < 0)
    return r;
  status = state_status (x->rec);
  if (strcmp (status, "paused") == 0)
    return cfs_fail (err, CFS_E_CONTAINER_STATE, 0, NULL,
                     "cannot exec in container `%s`: it is paused (resume it first)", id);
  if (strcmp (status, "running") != 0 && strcmp (status, "created") != 0)
    return cfs_fail (err, CFS_E_CONTAINER_STATE, 0, NULL, "cannot exec in container `%s`: it is %s", id,
                     status);
  r = util_read_file_at (dirfd, CFS_CONFIG_FILE, &json, &len, err);
  if (r < 0)
    return cfs_wrap (err, "read the config of container `%s`", id);
  if ((r = bundle_parse (json, len, &x->cfg, err)) < 0)
    return r;
  x->ptrace_before
      = sealed_exe_ptrace_possible (x->cfg.has_caps, &x->cfg.caps, &x->cfg.ns) || state_ptrace_marked (dirfd);
  /* Read: the lock has done its work, and must not outlive this exec. */
  flock (dirfd, LOCK_UN);
  x->dirfd = TAKE_FD (dirfd);
  return 0;
}

static int
replace_strv (char ***v, size_t *n, char *const *src, size_t m)
{
  char **nv = calloc (m + 1, sizeof *nv);
  size_t i;

  if (nv == NULL)
    return -ENOMEM;
  for (i = 0; i < m; i++)
    if ((nv[i] = strdup (src[i])) == NULL)
      return -ENOMEM;
  for (i = 0; i < *n; i++)
    free ((*v)[i]);
  free (*v);
  *v = nv;
  *n = m;
  return 0;
}

/* Add KEY=value to the environment, replacing a variable of that name. */
static int
env_add (struct oci_process *p, const char *kv)
{
  size_t klen = strcspn (kv, "="), i;
  char **nv;

  for (i = 0; i < p->env_len; i++)
    if (strncmp (p->env[i], kv, klen) == 0 && p->env[i][klen] == '=')
      {
        free (p->env[i]);
        p->env[i] = strdup (kv);
        return p->env[i] ? 0 : -ENOMEM;
      }
  nv = realloc (p->env, (p->env_len + 2) * sizeof *nv);
  if (nv == NULL)
    return -ENOMEM;
  p->env = nv;
  p->env[p->env_len] = strdup (kv);
  p->env[++p->env_len] = NULL;
  return p->env[p->env_len - 1] ? 0 : -ENOMEM;
}

static int
parse_user (struct oci_process *p, const char *user, const char *gids, struct cfs_error **err)
{
  unsigned uid, gid = 0;
  int n = 0;

  if (p->user == NULL && (p->user = calloc (1, sizeof *p->user)) == NULL)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "exec");
  if (user)
    {
      if (sscanf (user, "%u%n:%u%n", &uid, &n, &gid, &n) < 1 || user[n] != '\0')
        return cfs_fail (err, CFS_E_USAGE, 0, NULL, "exec: --user `%s` is not uid[:gid]", user);
      p->user->uid = uid;
      p->user->gid = strchr (user, ':') ? gid : 0;
    }
  if (gids)
    {
      const char *s = gids;
      size_t cnt = 0;

      free (p->user->additional_gids);
      p->user->additional_gids = calloc (strlen (gids) / 2 + 2, sizeof (uint32_t));
      if (p->user->additional_gids == NULL)
        return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "exec");
      while (*s)
        {
          char *end;
          unsigned long v = strtoul (s, &end, 10);

          if (end == s || (*end && *end != ','))
            return cfs_fail (err, CFS_E_USAGE, 0, NULL, "exec: --additional-gids `%s` is not a list of gids",
                             gids);
          p->user->additional_gids[cnt++] = (uint32_t)v;
          s = *end ? end + 1 : end;
        }
      p->user->additional_gids_len = cnt;
    }
  return 0;
}

/* The process to run: -p replaces the config's, args and flags amend it. */
static int
build_process (const struct cfsrun_exec_options *o, struct exec_ctx *x, struct cfs_error **err)
{
  struct oci_process *p = x->cfg.spec->process;
  size_t i;
  int r;

  if (o->process_file)
    {
      _cleanup_free_ char *json = NULL;
      struct oci_parse_error perr = { 0 };
      void *np = NULL;
      size_t len = 0;

      if ((r = util_read_file_at (AT_FDCWD, o->process_file, &json, &len, err)) < 0)
        return cfs_wrap (err, "exec: --process");
      if (oci_decode (&oci_process_type, json, len, &np, &perr) < 0)
        {
          r = cfs_fail (err, CFS_E_CONFIG_INVALID, 0, perr.path, "%s: %s: %s", o->process_file, perr.path,
                        perr.reason);
          oci_parse_error_done (&perr);
          return r;
        }
      oci_free (&oci_process_type, p);
      x->cfg.spec->process = p = np;
      x->cfg.has_caps = false;
    }
  else if (o->args_len == 0)
    return cfs_fail (err, CFS_E_USAGE, 0, NULL, "exec: give a command to run, or --process");
  if (o->args_len && replace_strv (&p->args, &p->args_len, o->args, o->args_len) < 0)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "exec");
  if (p->args_len == 0)
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "process.args", "exec: process.args is empty");
  for (i = 0; i < o->env_len; i++)
    if (strchr (o->env[i], '=') == NULL || env_add (p, o->env[i]) < 0)
      return cfs_fail (err, CFS_E_USAGE, 0, NULL, "exec: --env `%s` is not KEY=value", o->env[i]);
  if (o->cwd)
    {
      free (p->cwd);
      p->cwd = strdup (o->cwd);
    }
  if ((o->user || o->additional_gids) && (r = parse_user (p, o->user, o->additional_gids, err)) < 0)
    return r;
  if (o->no_new_privs)
    p->no_new_privileges = p->has_no_new_privileges = true;
  p->terminal = o->tty;
  if (o->apparmor)
    {
      free (p->apparmor_profile);
      p->apparmor_profile = strdup (o->apparmor);
    }
  if (o->process_label)
    {
      free (p->selinux_label);
      p->selinux_label = strdup (o->process_label);
    }
  if (p->capabilities || o->caps_len)
    {
      struct oci_capabilities extra = { 0 }, *c = p->capabilities ? p->capabilities : &extra;
      struct caps_plan add;

      if ((r = caps_plan (c, &x->cfg.caps, err)) < 0)
        return r;
      extra = (struct oci_capabilities){ .bounding = o->caps, .bounding_len = o->caps_len };
      if ((r = caps_plan (&extra, &add, err)) < 0)
        return cfs_wrap (err, "exec: --cap");
      x->cfg.caps.bounding |= add.bounding;
      x->cfg.caps.effective |= add.bounding;
      x->cfg.caps.permitted |= add.bounding;
      x->cfg.caps.inheritable |= add.bounding;
      x->cfg.caps.ambient |= add.bounding;
      x->cfg.has_caps = true;
    }
  if (p->cwd == NULL || p->cwd[0] != '/')
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "process.cwd",
                     "exec: process.cwd must be an absolute path");
  return 0;
}

/* The binary defence (sealed-exe.c): our child is in the container's reach
   while it sets up, and a process there holding CAP_SYS_PTRACE over the
   host's user namespace (by the config, from an earlier exec, or this one)
   could open its /proc/PID/exe.  Then we run from a sealed copy of cfsrun
   first: this re-executes exec, which comes back here.  An exec that gives
   the capability where the config does not marks it for the later ones. */
static int
exec_seal (struct exec_ctx *x, struct cfs_error **err)
{
  bool grants = sealed_exe_ptrace_possible (x->cfg.has_caps, &x->cfg.caps, &x->cfg.ns);
  int r;

  r = grants && !x->ptrace_before ? state_mark_ptrace (x->dirfd, err) : 0;
  /* No host directory may reach the child, in whose fds it would be. */
  closep (&x->dirfd);
  x->dirfd = -1;
  x->ptrace_reach = grants || x->ptrace_before;
  if (r < 0 || !x->ptrace_reach)
    return r;
  return sealed_exe_ensure ("exec", err);
}

static const struct
{
  const char *name;
  int flag;
} ns_files[] = {
  { "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },    { "net", CLONE_NEWNET },
  { "ipc", CLONE_NEWIPC },   { "uts", CLONE_NEWUTS },   { "cgroup", CLONE_NEWCGROUP },
  { "pid", CLONE_NEWPID },   { "time", CLONE_NEWTIME },
};

/* The namespaces of the container's init that are not ours.  Where its
   /proc/PID/ns cannot be read (an unprivileged caller, while the init is
   still not dumpable), the config says which it has.  */
static int
container_namespaces (pid_t pid, const struct ns_plan *plan)
{
  static const enum ns_type types[]
      = { NS_USER, NS_MOUNT, NS_NET, NS_IPC, NS_UTS, NS_CGROUP, NS_PID, NS_TIME };
  int flags = 0;
  size_t i;

  for (i = 0; i < ARRAY_SIZE (ns_files); i++)
    {
      char path[64], self[64];
      struct stat a, b;

      snprintf (path, sizeof path, "/proc/%d/ns/%s", (int)pid, ns_files[i].name);
      snprintf (self, sizeof self, "/proc/self/ns/%s", ns_files[i].name);
      if (stat (path, &a) == 0 && stat (self, &b) == 0)
        {
          if (a.st_ino != b.st_ino)
            flags |= ns_files[i].flag;
        }
      else if (plan->wanted[types[i]])
        flags |= ns_files[i].flag;
    }
  return flags;
}

static int
open_init (struct exec_ctx *x, const char *id, struct cfs_error **err)
{
  x->pidfd = (int)syscall (SYS_pidfd_open, x->rec->pid, 0);
  if (x->pidfd < 0
      || !proc_pidfd_is_running (x->pidfd, x->rec->pid, x->rec->pid_start_time, x->rec->pidfs_inode))
    return cfs_fail (err, CFS_E_CONTAINER_STATE, errno, NULL, "cannot exec in container `%s`: it is stopped",
                     id);
  x->ns_flags = container_namespaces (x->rec->pid, &x->cfg.ns);
  /* Not root: only the container's user namespace gives the right to enter
     its pid namespace, so we enter both (we keep no host privilege to lose). */
  if (geteuid () != 0 && (x->ns_flags & CLONE_NEWUSER))
    {
      if (setns (x->pidfd, CLONE_NEWUSER | (x->ns_flags & (CLONE_NEWPID | CLONE_NEWTIME))) < 0)
        return errno == EPERM && strcmp (state_status (x->rec), "created") == 0
                   ? cfs_fail (
                       err, CFS_E_CONTAINER_STATE, EPERM, NULL,
                       "cannot exec in container `%s` as an unprivileged user before it is started: its "
                       "process is not dumpable until then (start it first)",
                       id)
                   : cfs_fail (err, CFS_E_NAMESPACE, errno, NULL,
                               "enter the user namespace of container `%s`", id);
      x->ns_flags &= ~(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWTIME);
      x->child_ns_flags = x->ns_flags;
      x->user_joined = true;
      return 0;
    }
  /* pid and time namespaces apply to the children of the caller: ours, or,
     in two stages, those of the child (exec_hop).  */
  x->child_ns_flags = x->ns_flags & ~(CLONE_NEWPID | CLONE_NEWTIME);
  if (x->ptrace_reach)
    x->child_ns_flags = x->ns_flags;
  else if (x->ns_flags & (CLONE_NEWPID | CLONE_NEWTIME)
           && setns (x->pidfd, x->ns_flags & (CLONE_NEWPID | CLONE_NEWTIME)) < 0)
    return cfs_fail (err, CFS_E_NAMESPACE, errno, NULL, "enter the pid namespace of container `%s`", id);
  return 0;
}

/* The socket the pty master goes to: --console-socket, or one end of a
   socketpair whose other end we proxy (RET_PROXY).  */
static int
open_console (const struct cfsrun_exec_options *o, int *ret_fd, int *ret_proxy, struct cfs_error **err)
{
  int sp[2];

  *ret_fd = *ret_proxy = -1;
  if (!o->tty)
    return 0;
  if (o->console_socket)
    return terminal_connect (o->console_socket, ret_fd, err);
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
    return cfs_fail (err, CFS_E_PROCESS, errno, NULL, "exec: create terminal socket");
  *ret_proxy = sp[0];
  *ret_fd = sp[1];
  return 0;
}

/* Where leaf I sends the process: the sub-cgroup --cgroup SUB names, where
   that hierarchy has it, else the container's own.  Whether it was SUB.  */
static bool
leaf_path (const struct exec_ctx *x, size_t i, char *path, size_t size)
{
  const char *sub = x->sub_cgroup;

  snprintf (path, size, "%s%s%s", x->rec->cgroup_leaves[i], sub ? "/" : "", sub ? sub : "");
  if (sub && access (path, F_OK) < 0)
    {
      snprintf (path, size, "%s", x->rec->cgroup_leaves[i]);
      return false;
    }
  return sub != NULL;
}

/* Into the container's cgroup, or with --cgroup SUB an existing sub-cgroup
   of it, in every hierarchy (but the one we were cloned into).  */
static int
join_cgroup (struct exec_ctx *x, struct cfs_error **err)
{
  size_t i, found = 0;

  for (i = 0; i < x->rec->cgroup_leaves_len; i++)
    {
      char path[4200];

      if (leaf_path (x, i, path, sizeof path))
        found++;
      if (i != x->born_in && cgroup_enter_self_at (path, err) < 0)
        return cfs_wrap (err, "join the cgroup of the container");
    }
  if (x->sub_cgroup && found == 0)
    return cfs_fail (err, CFS_E_USAGE, ENOENT, NULL,
                     "exec: --cgroup `%s`: no such sub-cgroup of the container", x->sub_cgroup);
  return 0;
}

/* Into the container's namespaces (but pid and time when the parent
   entered them, for its children), as root of its user namespace if it
   has one.  */
static int
join_namespaces (struct exec_ctx *x, struct cfs_error **err)
{
  int flags = x->child_ns_flags;

  if (flags && setns (x->pidfd, flags) < 0)
    return cfs_fail (err, CFS_E_NAMESPACE, errno, NULL, "join the namespaces of the container");
  if ((x->ns_flags & CLONE_NEWUSER || x->user_joined) && (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0))
    return cfs_fail (err, CFS_E_NAMESPACE, errno, NULL, "become root in the container's user namespace");
  closep (&x->pidfd);
  x->pidfd = -1;
  return 0;
}

/* The pty, given to the process's user and its master sent; it becomes
   the controlling terminal last (child_tty), perhaps in the second stage. */
static int
child_terminal (struct exec_ctx *x, struct cfs_error **err)
{
  int r = x->console_fd >= 0 ? terminal_open (x->console_fd, x->cfg.spec->process, false, &x->tty_slave, err)
                             : 0;

  closep (&x->console_fd);
  x->console_fd = -1;
  return r;
}

static int
child_tty (struct exec_ctx *x, struct cfs_error **err)
{
  int r = x->tty_slave >= 0 ? terminal_attach (x->tty_slave, err) : 0;

  closep (&x->tty_slave);
  x->tty_slave = -1;
  return r;
}

/* The binary defence, second half (see exec_seal): so far we were in the
   host's pid namespace, out of the container's sight, while in the host's
   mount namespace and holding the runtime's capabilities.  Only now, with
   nothing privileged left to do, a child of ours is born in the
   container's pid namespace, as a child of the `cfsrun exec` parent
   (CLONE_PARENT), which gets its pid; we are done.  */
static int
exec_hop (struct exec_ctx *x, int fd, struct cfs_error **err)
{
  pid_t pid;

  if (!x->ptrace_reach)
    return 0;
  pid = (pid_t)syscall (SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), NULL, NULL, NULL, NULL);
  if (pid < 0)
    return cfs_fail (err, CFS_E_PROCESS, errno, NULL, "fork into the pid namespace of the container");
  if (pid == 0)
    return 0;
  _exit (sync_send_data (fd, SYNC_EXEC_PID, (const char *)&pid, sizeof pid, NULL) < 0 ? 127 : 0);
}

static int
child_process (struct exec_ctx *x, struct cfs_error **err)
{
  const struct oci_process *p = x->cfg.spec->process;
  int r = sched_apply (x->cfg.spec, err);

  if (r == 0 && p->exec_cpu_affinity && p->exec_cpu_affinity->final)
    r = sched_set_affinity (p->exec_cpu_affinity->final, "process.execCPUAffinity.final", err);
  if (r < 0)
    return r;
  return process_setup (p, x->cfg.has_caps ? &x->cfg.caps : NULL, x->cfg.seccomp, &x->exec_path, err);
}

static int
child_fds (int preserve_fds, struct cfs_error **err)
{
  int i;

  if (util_cloexec_from (3) < 0)
    return cfs_fail (err, CFS_E_PROCESS, errno, NULL, "mark inherited fds close-on-exec");
  for (i = 3; i < 3 + preserve_fds; i++)
    if (fcntl (i, F_SETFD, 0) < 0 && errno != EBADF)
      return cfs_fail (err, CFS_E_PROCESS, errno, NULL, "pass fd %d (--preserve-fds)", i);
  return 0;
}

static __attribute__ ((noreturn)) void
exec_child (struct exec_ctx *x, int fd, int preserve_fds)
{
  struct cfs_error *e = NULL, **err = &e;
  const struct oci_process *p = x->cfg.spec->process;

  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* Into the container's cgroup first, while host paths are ours ("0" is
     the writer itself: our pid here is the container namespace's).  */
  if (STEP ("exec-child", "cgroup", join_cgroup (x, err)) == 0
      && STEP ("exec-child", "join", join_namespaces (x, err)) == 0
      && STEP ("exec-child", "terminal", child_terminal (x, err)) == 0
      && STEP ("exec-child", "process", child_process (x, err)) == 0
      && STEP ("exec-child", "hop", exec_hop (x, fd, err)) == 0
      && STEP ("exec-child", "tty", child_tty (x, err)) == 0
      && STEP ("exec-child", "fds", child_fds (preserve_fds, err)) == 0
      && STEP ("exec-child", "lsm", lsm_apply_exec (p, err)) == 0
      && STEP ("exec-child", "seccomp", process_seccomp_last (p, x->cfg.seccomp, err)) == 0)
    process_exec (p, x->exec_path, err);
  sync_send_error (fd, e);
  _exit (127);
}

/* Wait (bounded) for a message of the child: bytes, or 0 at EOF. */
static ssize_t
recv_verdict (int fd, pid_t pid, const char *id, char *buf, size_t size, struct cfs_error **err)
{
  char who[300];
  ssize_t n;
  int r;

  snprintf (who, sizeof who, "the process exec'd into container `%s` (pid %d)", id, (int)pid);
  r = sync_poll (fd, sync_timeout_ms (), who, "its exec", err);
  if (r < 0)
    {
      kill (pid, SIGKILL);
      while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
      return r;
    }
  do
    n = recv (fd, buf, size, 0);
  while (n < 0 && errno == EINTR);
  return n < 0 ? 0 : n;
}

/* The child's verdict on exec: EOF means it exec'd.  A first stage that
   handed over to a second (exec_hop) sends its pid first: *PID becomes
   that one, and the first is reaped.  */
static int
wait_exec (int fd, pid_t *pid, const char *id, struct cfs_error **err)
{
  char buf[8192];
  uint32_t type = 0;
  ssize_t n;

  for (;;)
    {
      n = recv_verdict (fd, *pid, id, buf, sizeof buf, err);
      if (n != 4 + (ssize_t)sizeof (pid_t))
        break;
      memcpy (&type, buf, 4);
      if (type != SYNC_EXEC_PID)
        break;
      while (waitpid (*pid, NULL, 0) < 0 && errno == EINTR)
        ;
      memcpy (pid, buf + 4, sizeof (pid_t));
    }
  if (n < 0)
    return (int)n;
  if (n <= 4)
    return 0;
  if (err && *err == NULL)
    *err = cfs_error_deserialize (buf + 4, (size_t)n - 4);
  while (waitpid (*pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return err && *err ? cfs_error_value (*err) : -EINVAL;
}

static int
unsupported (const struct cfsrun_exec_options *o, struct cfs_error **err)
{
  if (o->cgroup && (strstr (o->cgroup, "..") || o->cgroup[0] == '/' || strchr (o->cgroup, ':')))
    return cfs_fail (err, CFS_E_USAGE, 0, NULL,
                     "exec: --cgroup `%s` must be a path relative to the container's cgroup, without `..`",
                     o->cgroup);
  if (o->console_socket && !o->tty)
    return cfs_fail (err, CFS_E_USAGE, 0, NULL, "exec: --console-socket needs --tty");
  if (o->tty && o->detach && !o->console_socket)
    return cfs_fail (err, CFS_E_USAGE, 0, NULL, "exec: --tty with --detach needs --console-socket");
  if (o->apparmor && !lsm_apparmor_enabled ())
    return cfs_fail (err, CFS_E_CONFIG_UNSUPPORTED, 0, NULL,
                     "exec: --apparmor: AppArmor is not enabled on this host");
  if (o->process_label && !lsm_selinux_enabled ())
    return cfs_fail (err, CFS_E_CONFIG_UNSUPPORTED, 0, NULL,
                     "exec: --process-label: SELinux is not enabled on this host");
  return 0;
}

static int
exec_load (const struct cfsrun_global *g, const struct cfsrun_exec_options *o, struct exec_ctx *x,
           struct cfs_error **err)
{
  int r;

  if ((r = unsupported (o, err)) < 0 || (r = load_container (g, o->id, x, err)) < 0)
    return r;
  return build_process (o, x, err);
}

static int
exec_fork (struct exec_ctx *x, const struct cfsrun_exec_options *o, int sp[2], pid_t *ret_pid,
           struct cfs_error **err)
{
  const struct oci_process *p = x->cfg.spec->process;
  char path[4200];
  bool into = false;
  size_t at;
  pid_t pid;
  int r;

  /* The initial affinity is the parent's, inherited across fork. */
  if (p->exec_cpu_affinity && p->exec_cpu_affinity->initial
      && (r = sched_set_affinity (p->exec_cpu_affinity->initial, "process.execCPUAffinity.initial", err)) < 0)
    return r;
  /* Born in its cgroup on cgroup2 (a move there waits on the kernel's
     migration lock); the v1 ones it enters itself, join_cgroup.  */
  at = cgroup_v2_leaf (NULL, x->rec->cgroup_leaves, x->rec->cgroup_leaves_len);
  if (at != SIZE_MAX)
    leaf_path (x, at, path, sizeof path);
  pid = cgroup_clone_into (at != SIZE_MAX ? path : NULL, 0, &into);
  x->born_in = into ? at : SIZE_MAX; /* in both processes */
  if (pid < 0)
    return cfs_fail (err, CFS_E_PROCESS, errno, NULL, "fork the process to exec");
  if (pid == 0)
    {
      close (sp[0]);
      exec_child (x, sp[1], o->preserve_fds);
    }
  *ret_pid = pid;
  closep (&sp[1]);
  sp[1] = -1;
  closep (&x->console_fd);
  x->console_fd = -1;
  return 0;
}

int
cfsrun_container_exec (const struct cfsrun_global *g, const struct cfsrun_exec_options *o, int *ret_status,
                       struct cfs_error **err)
{
  struct exec_ctx x = {
    .pidfd = -1, .console_fd = -1, .tty_slave = -1, .sub_cgroup = o->cgroup, .dirfd = -1, .born_in = SIZE_MAX
  };
  int sp[2] = { -1, -1 }, r, st = 0, proxy = -1, master = -1;
  pid_t pid = -1;

  for (r = 0; r < NS_MAX; r++)
    x.cfg.ns.fd[r] = -1;
  if ((r = STEP ("exec", "load", exec_load (g, o, &x, err))) < 0
      || (r = STEP ("exec", "seal", exec_seal (&x, err))) < 0
      || (r = STEP ("exec", "enter", open_init (&x, o->id, err))) < 0
      || (r = open_console (o, &x.console_fd, &proxy, err)) < 0 || (r = sync_socketpair (sp, err)) < 0
      || (r = STEP ("exec", "fork", exec_fork (&x, o, sp, &pid, err))) < 0)
    goto out;
  if (!o->detach)
    signals_forward_to (pid);
  r = STEP ("exec", "exec", wait_exec (sp[0], &pid, o->id, err));
  if (!o->detach)
    signals_forward_to (pid);
  if (r < 0)
    goto out;
  if (proxy >= 0 && (r = terminal_receive (proxy, &master, err)) < 0)
    goto out;
  if (o->pid_file && (r = STEP ("exec", "pid-file", util_write_pid_file (o->pid_file, pid, err))) < 0)
    goto out;
  if (o->detach)
    *ret_status = 0;
  else
    {
      if (master >= 0)
        terminal_proxy (master, pid);
      while (waitpid (pid, &st, 0) < 0)
        if (errno != EINTR)
          {
            r = cfs_fail (err, CFS_E_PROCESS, errno, NULL, "wait for the exec'd process");
            goto out;
          }
      *ret_status = WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
    }
out:
  closep (&master);
  closep (&proxy);
  closep (&x.console_fd);
  closep (&sp[0]);
  closep (&sp[1]);
  closep (&x.pidfd);
  closep (&x.dirfd);
  free (x.exec_path);
  x.rec = state_record_free (x.rec);
  bundle_done (&x.cfg);
  return r;
}
