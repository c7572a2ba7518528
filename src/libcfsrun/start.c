/* The container start sequence, as one story.
 *
 *   cfsrun create (parent)                 container process (child)
 *   ──────────────────────                 ─────────────────────────
 *   validate    config.json → plan
 *   seal        re-exec from a sealed copy
 *               of cfsrun if the container
 *               may ptrace us, or has the
 *               built-in init
 *   connect     --console-socket, seccomp
 *               listener
 *   state       mkdir + lock state dir,
 *               record "creating"
 *   cgroup      record, mkdir, resources
 *   prepare     open namespace paths,
 *               enter pid/time ns to join
 *   clone       one clone() with every ─▶  cgroup      moves itself into its v1
 *               new namespace, into its                cgroups (no RCU wait)
 *               cgroup2 cgroup (clone3)    join        setns the paths given
 *   idmaps      uid_map/gid_map
 *   oom         oom_score_adj
 *   cgroup-enter systemd: the scope ──────▶            (waits for these three
 *                                                      only if they apply:
 *                                                      SYNC_PARENT_READY),
 *                                                      then the cgroup namespace
 *                                          rootfs      bind rootfs, rslave
 *                                          mounts      config.json mounts in order
 *                                          devices     default + linux.devices
 *                                          sysctl      linux.sysctl via /proc/sys
 *                                          masks       maskedPaths, readonlyPaths
 *                                          cwd         make process.cwd if missing
 *   hooks       prestart, createRuntime ◀─▶ hooks       createContainer
 *                                          pivot       pivot_root, detach old root
 *                                          readonly    root.readonly
 *                                          terminal    pty → --console-socket
 *                                          uts         hostname, domainname
 *                                          process     rlimits, caps, seccomp (no
 *                                                      NNP), user, cwd, find exec
 *   child       ◀──────────────────────── SYNC_CHILD_READY (or the error)
 *   created     record "created", pid file ─▶ SYNC_CREATED
 *   (create exits)                         wait        accept() on start.sock
 *
 *   cfsrun start: connect to start.sock ──▶ hooks (startContainer), fds,
 *                                           seccomp (NNP), exec (or fork:
 *                                           the built-in init, init.c)
 *                 poststart hooks              (lsm labels just before seccomp)
 *                 EOF = exec done (socket is close-on-exec); bytes = the error
 *
 *   cfsrun run: no start.sock; after SYNC_CREATED the child goes straight
 *               on to the hooks, fds, seccomp and exec, and `run` reads EOF
 *               or the error from the sync socket (close-on-exec as well).
 *
 * Each phase is one call into the file that owns it, run through PHASE(),
 * which times it for --trace and names it in any error.  The child never
 * runs cfsrun code once the user program is exec'd, and is not dumpable
 * until then, so nothing in the container can reach /proc/PID/exe of it;
 * where something could (CAP_SYS_PTRACE over the host's user namespace),
 * or cfsrun code stays as PID 1 (the built-in init), that code runs from a
 * sealed memfd copy of cfsrun (sealed-exe.c), never the host's binary.
 */
#include "start.h"

#include <fcntl.h>
#include <stdlib.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "bundle.h"
#include "cgroup-resources.h"
#include "cgroup-systemd.h"
#include "cgroup.h"
#include "devices.h"
#include "hooks.h"
#include "init.h"
#include "mounts.h"
#include "namespaces.h"
#include "oom.h"
#include "paths.h"
#include "process.h"
#include "proc.h"
#include "rlimits.h"
#include "rootfs.h"
#include "sealed-exe.h"
#include "state.h"
#include "sync.h"
#include "lsm.h"
#include "scheduling.h"
#include "sysctl.h"
#include "terminal.h"
#include "trace.h"
#include "userns.h"
#include "util.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

struct start_ctx
{
  const struct cfsrun_global *g;
  const struct cfsrun_create_options *o;
  struct cfs_bundle cfg;
  int rootfd;        /* state root */
  int dirfd;         /* this container's state dir, locked */
  bool dir_made;     /* we created it: remove on failure */
  bool cgroup_begun; /* the cgroup phase ran: its plan is ours to remove on failure */
  struct cfs_record rec;
  int sync[2];   /* [0] parent end, [1] child end */
  int listen_fd; /* start.sock, inherited by the child */
  char *cgroup_self;
  pid_t pid;
  int container_rootfd;
  char *exec_path;
  char *state_json;             /* child: for startContainer hooks */
  uint64_t rootfs_mount_before; /* mount id at the rootfs before we began */
  int *idmap_fds;               /* per mount, for idmap mounts */
  int listen_fds;               /* LISTEN_FDS passed on */
  int console_fd;               /* where the pty master goes, when process.terminal */
  int listener_fd;              /* linux.seccomp.listenerPath, connected */
  char *process_state;          /* child: the seccomp listener's message */
  struct cgroup_layout *cg;     /* the host's, read at the cgroup phase */
  struct systemd_bus *sd;       /* --systemd-cgroup: the manager, from the cgroup phase on */
  struct systemd_scope scope;
  uint64_t oom_before; /* OOM kills in its memory cgroup before it joined */
  size_t born_in;      /* the leaf it was cloned into (clone3), or SIZE_MAX */
  char who[48];        /* parent: "the container process (pid N)", for waits */
  bool init;           /* the built-in init is PID 1 */
  bool run;            /* `run`: no start.sock, exec once created */
};

/* ------------------------------------------------------------------ child */

/* After clone the child goes on at once, beside the parent, unless the
   parent has something to do for it first: its id maps (before it becomes
   root of its user namespace), the systemd scope (its cgroup),
   oom_score_adj (which the hooks it forks inherit); and, without a mount
   namespace, the record of its pid before it mounts on the host's tree.
   Both sides ask this of the same context.  */
static bool
child_waits_for_parent (const struct start_ctx *c)
{
  return (c->cfg.ns.clone_flags & CLONE_NEWUSER) || c->sd || c->cfg.spec->process->has_oom_score_adj
         || !c->cfg.ns.wanted[NS_MOUNT];
}

/* First, before it allocates anything its cgroup should be charged for,
   the container process moves itself into its cgroup, which spares it the
   kernel's RCU wait that a move by its parent costs (cgroup.c).  With
   systemd the parent moves it, once systemd has made the scope.  */
static int
child_cgroup (struct start_ctx *c, struct cfs_error **err)
{
  if (c->sd)
    return 0;
  return cgroup_enter_self (c->rec.cgroup_leaves, c->rec.cgroup_leaves_len, c->born_in, err);
}

static int
child_join (struct start_ctx *c, struct cfs_error **err)
{
  int r = namespaces_join (&c->cfg.ns, err);

  if (r < 0)
    return r;
  if (child_waits_for_parent (c) && (r = sync_wait (c->sync[1], SYNC_PARENT_READY, "cfsrun create", err)) < 0)
    return r;
  /* Not dumpable from here to exec: no process of the container may open
     /proc/PID/exe (the cfsrun binary), /proc/PID/fd or ptrace us.  Not
     earlier: an unprivileged parent must still open our uid_map, and no
     process of the container can exist before this point.  */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* Now in the container's cgroup: its paths as the host sees them (for the
     cgroup mount), then the cgroup namespace, rooted right here.  */
  if ((r = util_read_file_at (AT_FDCWD, "/proc/self/cgroup", &c->cgroup_self, NULL, err)) < 0)
    return r;
  if ((c->cfg.ns.clone_flags & CLONE_NEWCGROUP) && unshare (CLONE_NEWCGROUP) < 0)
    return cfs_fail (err, CFS_E_NAMESPACE, errno, NULL, "create the cgroup namespace");
  if (!c->cfg.ns.wanted[NS_USER])
    return 0;
  /* Become root of the user namespace: until then we are the host's uid,
     which the mapping may not cover, and files we make would be unowned. */
  if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
    return cfs_fail (err, CFS_E_NAMESPACE, errno, "linux.uidMappings",
                     "become root in the user namespace (is container id 0 mapped?), from");
  return 0;
}

static int
child_rootfs (struct start_ctx *c, struct cfs_error **err)
{
  return rootfs_prepare (c->cfg.rootfs, !c->cfg.ns.wanted[NS_MOUNT], &c->container_rootfd, err);
}

static int
child_mounts (struct start_ctx *c, struct cfs_error **err)
{
  struct mounts_context mc = {
    .rootfd = c->container_rootfd,
    .bundle = c->cfg.bundle,
    .cgroup_self = c->cgroup_self,
    .cgroups = c->cg,
    .new_cgroupns = (c->cfg.ns.clone_flags & CLONE_NEWCGROUP) != 0,
    .idmap_fds = c->idmap_fds,
  };

  return mounts_apply (c->cfg.spec, &mc, err);
}

static int
child_devices (struct start_ctx *c, struct cfs_error **err)
{
  const struct oci_mount *dev = mounts_find (c->cfg.spec, "/dev");
  bool in_userns = c->cfg.ns.wanted[NS_USER];

  /* A /dev bind-mounted from the host already has its nodes. */
  if (dev
      && ((dev->type && strcmp (dev->type, "bind") == 0)
          || (dev->options_len && dev->options
              && (strcmp (dev->options[0], "bind") == 0 || strcmp (dev->options[0], "rbind") == 0))))
    return 0;
  return devices_create (c->container_rootfd, c->cfg.spec, in_userns, err);
}

static int
child_sysctl (struct start_ctx *c, struct cfs_error **err)
{
  return sysctl_apply (c->container_rootfd, c->cfg.spec->linux, err);
}

static int
child_masks (struct start_ctx *c, struct cfs_error **err)
{
  return mounts_mask_paths (c->container_rootfd, c->cfg.spec->linux, err);
}

/* An image's WorkingDir need not exist in its layers (a `FROM scratch`
   build with buildah records it without making it), and runc makes it:
   so does cfsrun, after the mounts (it may lie in one) and before the user
   switch, as directories of mode 0755 owned by the container's root.  */
static int
child_cwd (struct start_ctx *c, struct cfs_error **err)
{
  _cleanup_close_ int fd = -1;
  const char *cwd = c->cfg.spec->process->cwd;

  if (paths_ensure_in_root (c->container_rootfd, cwd, false, &fd, err) < 0)
    return cfs_wrap (err, "process.cwd: make `%s`", cwd);
  return 0;
}

static bool
has_create_hooks (const struct oci_hooks *h)
{
  return h && (h->prestart_len || h->create_runtime_len || h->create_container_len);
}

/* Before pivot_root: the parent runs prestart and createRuntime (runtime
   namespace), then createContainer runs here, in the container's
   namespaces, with host paths still reachable as the spec asks.  */
static int
child_create_hooks (struct start_ctx *c, struct cfs_error **err)
{
  _cleanup_free_ char *json = NULL;
  const struct oci_hooks *h = c->rec.hooks;
  int r;

  if (!has_create_hooks (h))
    return 0;
  r = sync_send (c->sync[1], SYNC_CREATE_HOOKS, err);
  if (r == 0)
    r = sync_wait_longer (c->sync[1], SYNC_HOOKS_DONE, "cfsrun create",
                          hooks_budget_ms (h->prestart, h->prestart_len)
                              + hooks_budget_ms (h->create_runtime, h->create_runtime_len),
                          &json, err);
  if (r < 0)
    return r;
  return hooks_run (h->create_container, h->create_container_len, "createContainer", json, err);
}

static int
child_pivot (struct start_ctx *c, struct cfs_error **err)
{
  const struct oci_linux *lx = c->cfg.spec->linux;
  int r = rootfs_pivot (c->container_rootfd, c->cfg.rootfs, c->o->no_pivot, !c->cfg.ns.wanted[NS_MOUNT],
                        lx ? lx->rootfs_propagation : NULL, err);

  closep (&c->container_rootfd);
  c->container_rootfd = -1;
  return r;
}

static int
child_terminal (struct start_ctx *c, struct cfs_error **err)
{
  int r = 0;

  if (c->cfg.spec->process->terminal)
    r = terminal_setup (c->console_fd, c->cfg.spec->process, true, err);
  closep (&c->console_fd);
  c->console_fd = -1;
  return r;
}

static int
child_readonly (struct start_ctx *c, struct cfs_error **err)
{
  if (c->cfg.spec->root->readonly)
    return rootfs_make_readonly (err);
  return 0;
}

static int
child_uts (struct start_ctx *c, struct cfs_error **err)
{
  const struct oci_spec *s = c->cfg.spec;

  if (s->hostname && sethostname (s->hostname, strlen (s->hostname)) < 0)
    return cfs_fail (err, CFS_E_PROCESS, errno, "hostname", "set hostname `%s` from", s->hostname);
  if (s->domainname && setdomainname (s->domainname, strlen (s->domainname)) < 0)
    return cfs_fail (err, CFS_E_PROCESS, errno, "domainname", "set domainname `%s` from", s->domainname);
  return 0;
}

static int
child_process (struct start_ctx *c, struct cfs_error **err)
{
  const struct oci_process *p = c->cfg.spec->process;

  if (!c->o->no_new_keyring && syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
    return cfs_fail (err, CFS_E_PROCESS, errno, NULL, "create a session keyring (try --no-new-keyring)");
  int r = sched_apply (c->cfg.spec, err);

  if (r < 0)
    return r;
  return process_setup (p, c->cfg.has_caps ? &c->cfg.caps : NULL, c->cfg.seccomp, &c->exec_path, err);
}

/* startContainer: in the container, after `start`, before the program. */
static int
child_start_hooks (struct start_ctx *c, struct cfs_error **err)
{
  const struct oci_hooks *h = c->rec.hooks;

  if (h == NULL || h->start_container_len == 0)
    return 0;
  return hooks_run (h->start_container, h->start_container_len, "startContainer",
                    c->state_json ? c->state_json : "{}", err);
}

/* Block in accept() until `start` connects, and tell it we go on. */
static int
child_wait_start (struct start_ctx *c, int *ret_conn, struct cfs_error **err)
{
  int conn;

  do
    conn = accept4 (c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  while (conn < 0 && errno == EINTR);
  if (conn < 0)
    return cfs_fail (err, CFS_E_SYNC, errno, NULL, "wait for `cfsrun start`");
  closep (&c->listen_fd);
  c->listen_fd = -1;
  *ret_conn = conn;
  if (util_write_all (conn, "S", 1) < 0)
    return cfs_fail (err, CFS_E_SYNC, errno, NULL, "answer `cfsrun start`");
  return 0;
}

static int
child_fds (struct start_ctx *c, struct cfs_error **err)
{
  int fd, last = 2 + (c->o->preserve_fds > 0 ? c->o->preserve_fds : 0) + c->listen_fds;

  /* Nothing of the runtime's survives exec: every fd past the ones the
     spec passes is close-on-exec (CVE-2024-21626 class).  */
  if (util_cloexec_from (3) < 0)
    return cfs_fail (err, CFS_E_PROCESS, errno, NULL, "mark inherited fds close-on-exec");
  for (fd = 3; fd <= last; fd++)
    {
      int flags = fcntl (fd, F_GETFD);

      if (flags >= 0 && fcntl (fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
        return cfs_fail (err, CFS_E_PROCESS, errno, NULL, "pass fd %d (--preserve-fds)", fd);
    }
  return 0;
}

/* The last step before exec, so the runtime's own set-up is not filtered. */
static int
child_seccomp (struct start_ctx *c, struct cfs_error **err)
{
  return process_seccomp_last (c->cfg.spec->process, c->cfg.seccomp, err);
}

/* The filter is in place: hand its notification fd to the listener. */
static int
child_seccomp_notify (struct start_ctx *c, struct cfs_error **err)
{
  int r = seccomp_plan_send_listener (c->cfg.seccomp, c->listener_fd,
                                      c->process_state ? c->process_state : "{}", err);

  closep (&c->listener_fd);
  c->listener_fd = -1;
  return r;
}

/* The program; with the built-in init, in a child of ours. */
static int
child_exec (struct start_ctx *c, struct cfs_error **err)
{
  int r;

  if (c->init && (r = init_fork (err)) < 0)
    return r;
  return process_exec (c->cfg.spec->process, c->exec_path, err);
}

/* rt_sigaction's argument as the kernel has it (x86-64, arm64, riscv64,
   ppc64, s390x): glibc's sigaction refuses the signals it keeps for
   itself (32 and 33), which a caller may still have ignored.  */
struct kernel_sigaction
{
  void (*handler) (int);
  unsigned long flags;
  void (*restorer) (void);
  uint64_t mask;
};

/* What the caller set must not reach the program: its signal mask, and the
   signals it ignores, which exec keeps.  Handlers exec resets anyway, and
   create has installed none yet, so the ignored ones are all there is to
   reset: the kernel lists them (SigIgn in /proc/self/status), which costs
   a read instead of a sigaction for each of the 64 signals.  */
static void
child_reset_signals (void)
{
  struct kernel_sigaction dfl = { .handler = SIG_DFL };
  _cleanup_free_ char *status = NULL;
  unsigned long long ignored = ~0ULL;
  const char *line;
  sigset_t none;
  int s;

  if (util_read_file_at (AT_FDCWD, "/proc/self/status", &status, NULL, NULL) == 0
      && (line = strstr (status, "\nSigIgn:")) != NULL)
    ignored = strtoull (line + 8, NULL, 16);
  for (s = 1; s <= 64; s++)
    if ((ignored & (1ULL << (s - 1))) && s != SIGKILL && s != SIGSTOP)
      syscall (SYS_rt_sigaction, s, &dfl, NULL, sizeof dfl.mask);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
}

static __attribute__ ((noreturn)) void
child_fail (int fd, struct cfs_error *e)
{
  sync_send_error (fd, e);
  _exit (1);
}

static __attribute__ ((noreturn)) void
child_main (struct start_ctx *c)
{
  struct cfs_error *e = NULL, **err = &e;
  int conn = -1;

  /* The state dir fd shares its flock with the parent's: drop ours so the
     lock ends with the command that took it.  Host fds go early.  */
  closep (&c->sync[0]);
  closep (&c->dirfd);
  closep (&c->rootfd);
  c->dirfd = c->rootfd = -1;
  child_reset_signals ();
  if (PHASE ("child", "cgroup", child_cgroup (c, err)) < 0 || PHASE ("child", "join", child_join (c, err)) < 0
      || PHASE ("child", "rootfs", child_rootfs (c, err)) < 0
      || PHASE ("child", "mounts", child_mounts (c, err)) < 0
      || PHASE ("child", "devices", child_devices (c, err)) < 0
      || PHASE ("child", "sysctl", child_sysctl (c, err)) < 0
      || PHASE ("child", "masks", child_masks (c, err)) < 0 || PHASE ("child", "cwd", child_cwd (c, err)) < 0
      || PHASE ("child", "hooks", child_create_hooks (c, err)) < 0
      || PHASE ("child", "pivot", child_pivot (c, err)) < 0
      || PHASE ("child", "readonly", child_readonly (c, err)) < 0
      || PHASE ("child", "terminal", child_terminal (c, err)) < 0
      || PHASE ("child", "uts", child_uts (c, err)) < 0
      || PHASE ("child", "process", child_process (c, err)) < 0)
    child_fail (c->sync[1], e);
  if (sync_send (c->sync[1], SYNC_CHILD_READY, err) < 0
      || sync_wait_data (c->sync[1], SYNC_CREATED, "cfsrun create", &c->state_json, err) < 0
      || (seccomp_plan_notifies (c->cfg.seccomp)
          && sync_wait_data (c->sync[1], SYNC_SECCOMP_STATE, "cfsrun create", &c->process_state, err) < 0))
    _exit (1);
  /* `run` is waiting on the sync socket, which closes at exec. */
  if (c->run)
    conn = TAKE_FD (c->sync[1]);
  else
    closep (&c->sync[1]);
  if (!c->run && PHASE ("child", "wait-start", child_wait_start (c, &conn, err)) < 0)
    _exit (1);
  /* From here errors go to `cfsrun start` (or `run`), over its connection. */
  if (PHASE ("child", "start-hooks", child_start_hooks (c, err)) < 0
      || PHASE ("child", "fds", child_fds (c, err)) < 0
      || PHASE ("child", "lsm", lsm_apply_exec (c->cfg.spec->process, err)) < 0
      || PHASE ("child", "seccomp", child_seccomp (c, err)) < 0
      || PHASE ("child", "seccomp-notify", child_seccomp_notify (c, err)) < 0)
    child_fail (conn, e);
  child_exec (c, err);
  child_fail (conn, e);
}

/* ----------------------------------------------------------------- parent */

/* Socket activation, as runc passes it on: with LISTEN_FDS=N in our
   environment, fds 3..3+N-1 go to the container process, which gets
   LISTEN_FDS=N and LISTEN_PID=1 (it is pid 1 of its namespace).  */
static int
socket_activation (struct start_ctx *c, struct cfs_error **err)
{
  const char *v = getenv ("LISTEN_FDS");
  struct oci_process *p = c->cfg.spec->process;
  char **env, buf[32];
  int n;

  if (v == NULL || (n = atoi (v)) <= 0)
    return 0;
  env = realloc (p->env, (p->env_len + 3) * sizeof *env);
  if (env == NULL)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "LISTEN_FDS");
  p->env = env;
  snprintf (buf, sizeof buf, "LISTEN_FDS=%d", n);
  env[p->env_len++] = strdup (buf);
  env[p->env_len++] = strdup ("LISTEN_PID=1");
  env[p->env_len] = NULL;
  c->listen_fds = n;
  return 0;
}

static int
parent_validate (struct start_ctx *c, struct cfs_error **err)
{
  int r = state_validate_id (c->o->id, err);

  if (r < 0)
    return r;
  r = bundle_load (c->o->bundle ? c->o->bundle : ".", &c->cfg, err);
  if (r < 0)
    return r;
  if ((r = socket_activation (c, err)) < 0)
    return r;
  if (c->cfg.spec->process->terminal && c->o->console_socket == NULL && c->console_fd < 0)
    return cfs_fail (err, CFS_E_USAGE, 0, "process.terminal",
                     "config.json: process.terminal is true: `create` needs --console-socket to hand the "
                     "terminal to (or use `run` in the foreground)");
  c->init = c->o->init || c->cfg.init;
  return 0;
}

/* The binary defence (sealed-exe.c).  The container process is cfsrun code
   until start, and with the built-in init for the container's whole life.
   When a process of the container may hold CAP_SYS_PTRACE over the host's
   user namespace, it could open /proc/PID/exe of it before start; the
   built-in init is in reach of every process of the container.  Then from
   here on this process, and so the container process, runs from a sealed
   copy of cfsrun: this re-executes create, which comes back to this phase.
   Hence no side effect before it.  */
static int
parent_seal (struct start_ctx *c, struct cfs_error **err)
{
  if (!c->init && !sealed_exe_ptrace_possible (c->cfg.has_caps, &c->cfg.caps, &c->cfg.ns))
    return 0;
  return sealed_exe_ensure ("parent", err);
}

static int
parent_connect (struct start_ctx *c, struct cfs_error **err)
{
  int r;

  /* Connected now, in the host's mount namespace, where the path is. */
  if (c->cfg.spec->process->terminal && c->console_fd < 0
      && (r = terminal_connect (c->o->console_socket, &c->console_fd, err)) < 0)
    return r;
  if (!c->cfg.spec->process->terminal)
    {
      closep (&c->console_fd);
      c->console_fd = -1;
    }
  /* Connected now, in the host's namespaces, where the listener is. */
  if (seccomp_plan_notifies (c->cfg.seccomp))
    {
      r = util_unix_connect (c->cfg.spec->linux->seccomp->listener_path, &c->listener_fd);
      if (r < 0)
        return cfs_fail (err, CFS_E_CONFIG_INVALID, -r, c->cfg.spec->linux->seccomp->listener_path,
                         "linux.seccomp.listenerPath: connect to");
    }
  return 0;
}

static int
record_init (struct start_ctx *c, struct cfs_error **err)
{
  const struct oci_spec *s = c->cfg.spec;
  char ts[64];

  util_rfc3339_now (ts, sizeof ts);
  c->rec.id = strdup (c->o->id);
  c->rec.bundle = strdup (c->cfg.bundle);
  c->rec.rootfs = strdup (c->cfg.rootfs);
  c->rec.phase = strdup (CFS_PHASE_CREATING);
  c->rec.created = strdup (ts);
  c->rec.owner = geteuid ();
  c->rec.has_owner = true;
  /* Kept in the record: start and delete run hooks from what create saw,
     whatever happens to config.json later.  */
  c->rec.hooks = TAKE_PTR (c->cfg.spec->hooks);
  if (s->annotations_len)
    {
      size_t i;

      c->rec.annotations_keys = calloc (s->annotations_len, sizeof (char *));
      c->rec.annotations = calloc (s->annotations_len, sizeof (char *));
      if (c->rec.annotations_keys == NULL || c->rec.annotations == NULL)
        return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "state record");
      for (i = 0; i < s->annotations_len; i++)
        {
          c->rec.annotations_keys[i] = strdup (s->annotations_keys[i]);
          c->rec.annotations[i] = strdup (s->annotations[i]);
          c->rec.annotations_len = i + 1;
        }
    }
  return 0;
}

/* start.sock is bound and listening before clone, so the child inherits it
   and `start` can connect as soon as the container is created.  */
static int
listen_start_socket (struct start_ctx *c, struct cfs_error **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return cfs_fail (err, CFS_E_SYNC, errno, NULL, "create start socket");
  c->listen_fd = fd;
  /* Through the directory fd: the path stays short whatever --root is. */
  snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", c->dirfd, CFS_START_SOCKET);
  if (bind (fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen (fd, 1) < 0)
    return cfs_fail (err, CFS_E_SYNC, errno, CFS_START_SOCKET, "bind start socket");
  return 0;
}

static int
parent_state (struct start_ctx *c, struct cfs_error **err)
{
  int r = state_root_open (c->g->root, &c->rootfd, err);

  if (r < 0)
    return r;
  r = state_dir_create (c->rootfd, c->o->id, &c->dirfd, err);
  if (r < 0)
    return r;
  c->dir_made = true;
  if ((r = record_init (c, err)) < 0 || (r = state_record_write (c->dirfd, &c->rec, err)) < 0
      || (r = util_write_file_atomic_at (c->dirfd, CFS_CONFIG_FILE, c->cfg.json, c->cfg.json_len, err)) < 0)
    return r;
  return c->run ? 0 : listen_start_socket (c, err);
}

static int
parent_prepare (struct start_ctx *c, struct cfs_error **err)
{
  int r;

  /* Before entering any pid namespace: the helpers must be ours in /proc. */
  if ((r = mounts_prepare_idmaps (c->cfg.spec, &c->idmap_fds, err)) < 0)
    return r;
  return namespaces_prepare_parent (&c->cfg.ns, c->cfg.spec->linux, err);
}

/* Where the host has cgroup2 (unified, or the v2 half of a hybrid host)
   the child is born in its cgroup there: a move into a v2 cgroup always
   waits for the kernel's migration lock.  Its v1 cgroups, or all of them
   where the kernel cannot, it enters itself (child_cgroup).  */
static pid_t
clone_child (struct start_ctx *c, uint64_t flags)
{
  size_t at = c->sd ? SIZE_MAX : cgroup_v2_leaf (c->cg, c->rec.cgroup_leaves, c->rec.cgroup_leaves_len);
  bool into = false;
  pid_t pid = cgroup_clone_into (at != SIZE_MAX ? c->rec.cgroup_leaves[at] : NULL, flags, &into);

  c->born_in = into ? at : SIZE_MAX; /* in both processes */
  if (pid > 0 && into)
    cfs_log_debug ("the container process was cloned into %s", c->rec.cgroup_leaves[at]);
  return pid;
}

/* The child's pidfs inode, when the kernel has one per process: checking
   it through a pidfd costs half a read of /proc/PID/stat, on every status
   check of every command.  */
static void
record_pidfs_inode (struct start_ctx *c, pid_t pid)
{
  _cleanup_close_ int fd = (int)syscall (SYS_pidfd_open, pid, 0);

  c->rec.pidfs_inode = fd >= 0 ? proc_pidfd_ino (fd) : 0;
  c->rec.has_pidfs_inode = c->rec.pidfs_inode != 0;
}

static int
parent_clone (struct start_ctx *c, struct cfs_error **err)
{
  pid_t pid;
  int r;

  if (!c->cfg.ns.wanted[NS_MOUNT])
    c->rootfs_mount_before = rootfs_mount_id (c->cfg.rootfs);
  r = sync_socketpair (c->sync, err);
  if (r < 0)
    return r;
  /* fork-like clone: the child returns here on a copy of our stack.  The
     cgroup namespace is made by the child once it is in its cgroup.  */
  pid = clone_child (c, (uint64_t)(c->cfg.ns.clone_flags & ~CLONE_NEWCGROUP));
  if (pid < 0)
    return cfs_fail (err, CFS_E_NAMESPACE, errno, NULL, "clone the container process with its namespaces");
  if (pid == 0)
    child_main (c);
  c->pid = pid;
  snprintf (c->who, sizeof c->who, "the container process (pid %d)", (int)pid);
  closep (&c->sync[1]);
  c->sync[1] = -1;
  closep (&c->listen_fd);
  c->listen_fd = -1;
  closep (&c->console_fd);
  c->console_fd = -1;
  closep (&c->listener_fd);
  c->listener_fd = -1;
  r = proc_pid_stat (pid, NULL, &c->rec.pid_start_time);
  if (r < 0)
    return cfs_fail (err, CFS_E_PROCESS, -r, NULL, "read the start time of the container process");
  c->rec.pid = pid;
  c->rec.has_pid = c->rec.has_pid_start_time = true;
  record_pidfs_inode (c, pid);
  /* Recorded at once, so a crash from here on is cleaned up by delete. */
  return state_record_write (c->dirfd, &c->rec, err);
}

static int
parent_idmaps (struct start_ctx *c, struct cfs_error **err)
{
  if (!(c->cfg.ns.clone_flags & CLONE_NEWUSER))
    return 0;
  return userns_write_maps (c->pid, c->cfg.spec->linux, err);
}

/* With systemd, the scope is made around the container process, which
   waits meanwhile (it enters cgroupfs cgroups itself, child_cgroup); then
   the child may go on, if it waits for us at all.  */
static int
parent_cgroup_enter (struct start_ctx *c, struct cfs_error **err)
{
  const struct oci_linux *lx = c->cfg.spec->linux;
  int r = 0;

  /* systemd makes the scope around the process; then the limits are
     written as for cgroupfs, over whatever systemd wrote there.  */
  if (c->sd)
    {
      r = cgroup_systemd_start (c->sd, &c->scope, c->o->id, c->pid, c->cg, lx ? lx->resources : NULL,
                                lx ? lx->devices : NULL, lx ? lx->devices_len : 0, err);
      /* Made after the scope: systemd prunes what it finds in hierarchies
         it does not enable for the unit.  */
      if (r == 0)
        r = cgroup_create (c->rec.cgroup_dirs, c->rec.cgroup_dirs_len, err);
      if (r == 0)
        r = cgroup_resources_apply (c->cg, c->rec.cgroup_leaves, c->rec.cgroup_leaves_len,
                                    lx ? lx->resources : NULL, lx ? lx->devices : NULL,
                                    lx ? lx->devices_len : 0, err);
    }
  if (r == 0 && c->sd)
    r = cgroup_enter (c->rec.cgroup_leaves, c->rec.cgroup_leaves_len, c->pid, err);
  if (r < 0 || !child_waits_for_parent (c))
    return r;
  return sync_send (c->sync[0], SYNC_PARENT_READY, err);
}

/* --systemd-cgroup: connect now, so that a missing systemd fails before
   anything is made, and turn slice:prefix:name into the scope's path.  */
static int
parent_cgroup_systemd (struct start_ctx *c, const char *cgroups_path, char *path, size_t size,
                       struct cfs_error **err)
{
  char root[1024];
  int r;

  if ((r = cgroup_systemd_parse (cgroups_path, c->o->id, userns_rootless (NULL), &c->scope, err)) < 0
      || (r = cgroup_systemd_connect (&c->sd, err)) < 0
      || (r = cgroup_systemd_root (c->sd, root, sizeof root, err)) < 0)
    return r;
  if (snprintf (path, size, "%s%s", root, c->scope.path) >= (int)size)
    return cfs_fail (err, CFS_E_CONFIG_INVALID, ENAMETOOLONG, "linux.cgroupsPath",
                     "config.json: linux.cgroupsPath");
  if ((c->rec.systemd_unit = strdup (c->scope.unit)) == NULL)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "cgroup");
  return 0;
}

/* What cgroups will be made, known before the state record is first
   written: that record is then the intent that covers them.  */
static int
parent_cgroup_plan (struct start_ctx *c, struct cfs_error **err)
{
  const struct oci_linux *lx = c->cfg.spec->linux;
  const char *path = lx ? lx->cgroups_path : NULL;
  char scope_path[4096];
  uid_t host_uid;
  int r;

  if (c->g->systemd_cgroup)
    {
      if ((r = parent_cgroup_systemd (c, path, scope_path, sizeof scope_path, err)) < 0)
        return r;
      path = scope_path;
    }
  /* Not zeroed: of its 40 KiB only the hierarchies found are written. */
  if ((c->cg = malloc (sizeof *c->cg)) == NULL)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "cgroup");
  if ((r = cgroup_layout_read (c->cg, err)) < 0
      || (r = cgroup_leaves (c->cg, path, c->o->id, &c->rec.cgroup_leaves, &c->rec.cgroup_leaves_len, err))
             < 0
      || (r = cgroup_plan_dirs (c->cg, path, c->o->id, &c->rec.cgroup_dirs, &c->rec.cgroup_dirs_len, err))
             < 0)
    return r;
  /* Slices are systemd's, shared by every unit in them: never ours to remove. */
  if (c->sd)
    cgroup_plan_drop_suffix (c->rec.cgroup_dirs, &c->rec.cgroup_dirs_len, ".slice");
  /* Without a cgroup of our own to write (rootless, no delegation): fine
     with no limits; a limit that would be dropped is an error.  Root of a
     user namespace (rootless Podman) is rootless too.  */
  if (userns_rootless (&host_uid)
      && !cgroup_writable (c->rec.cgroup_dirs, c->rec.cgroup_dirs_len, c->rec.cgroup_leaves,
                           c->rec.cgroup_leaves_len))
    {
      const char *field = cgroup_limits_asked (lx ? lx->resources : NULL);

      if (field)
        return cfs_fail (err, CFS_E_CGROUP_NOT_DELEGATED, EACCES, field,
                         "config.json: %s: a limit was asked for, but user %u%s has no cgroup it may write "
                         "(no delegated subtree)",
                         field, (unsigned)host_uid, geteuid () == 0 ? " (root of a user namespace)" : "");
      cfs_log_debug ("no writable cgroup for uid %u: running without one", (unsigned)host_uid);
      cgroup_strv_free (TAKE_PTR (c->rec.cgroup_leaves), c->rec.cgroup_leaves_len);
      cgroup_strv_free (TAKE_PTR (c->rec.cgroup_dirs), c->rec.cgroup_dirs_len);
      c->rec.cgroup_leaves_len = c->rec.cgroup_dirs_len = 0;
      return 0;
    }
  if (path && (c->rec.cgroups_path = strdup (path)) == NULL)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "cgroup");
  return 0;
}

static bool
leaves_made_now (const struct cfs_record *rec)
{
  size_t i;

  for (i = 0; i < rec->cgroup_leaves_len; i++)
    if (!cgroup_strv_has (rec->cgroup_dirs, rec->cgroup_dirs_len, rec->cgroup_leaves[i]))
      return false;
  return true;
}

/* Make what the record says and apply linux.resources, all before the
   container process exists.  */
static int
parent_cgroup (struct start_ctx *c, struct cfs_error **err)
{
  const struct oci_linux *lx = c->cfg.spec->linux;
  int r;

  c->cgroup_begun = true;
  if (c->rec.cgroup_dirs_len == 0 && c->rec.cgroup_leaves_len == 0)
    return 0; /* none we may write (rootless, no delegation) */
  if (c->sd)  /* made and applied once systemd has made the scope */
    return cgroup_resources_check (c->cg, lx ? lx->resources : NULL, lx ? lx->devices : NULL,
                                   lx ? lx->devices_len : 0, err);
  if ((r = cgroup_create (c->rec.cgroup_dirs, c->rec.cgroup_dirs_len, err)) < 0
      || (r = cgroup_resources_apply (c->cg, c->rec.cgroup_leaves, c->rec.cgroup_leaves_len,
                                      lx ? lx->resources : NULL, lx ? lx->devices : NULL,
                                      lx ? lx->devices_len : 0, err))
             < 0)
    return r;
  /* The child joins as soon as it exists: count before, unless every leaf
     was made just now (none has seen a kill yet).  */
  c->oom_before = leaves_made_now (&c->rec) ? 0 : oom_kills (c->rec.cgroup_leaves, c->rec.cgroup_leaves_len);
  return 0;
}

static int
parent_oom (struct start_ctx *c, struct cfs_error **err)
{
  const struct oci_process *p = c->cfg.spec->process;
  char path[64], val[16];

  if (!p->has_oom_score_adj)
    return 0;
  snprintf (path, sizeof path, "/proc/%d/oom_score_adj", (int)c->pid);
  snprintf (val, sizeof val, "%d", p->oom_score_adj);
  return util_write_proc (path, val, strlen (val), err) < 0
             ? cfs_wrap (err, "process.oomScoreAdj (lowering it needs CAP_SYS_RESOURCE)")
             : 0;
}

static int
parent_wait_child (struct start_ctx *c, struct cfs_error **err)
{
  const struct oci_hooks *h = c->rec.hooks;

  /* It runs the createContainer hooks meanwhile. */
  return sync_wait_longer (c->sync[0], SYNC_CHILD_READY, c->who,
                           h ? hooks_budget_ms (h->create_container, h->create_container_len) : 0, NULL, err);
}

/* prestart (deprecated, still run) and createRuntime, when the child has
   made its mounts and waits before pivot_root.  */
static int
parent_create_hooks (struct start_ctx *c, struct cfs_error **err)
{
  const struct oci_hooks *h = c->rec.hooks;
  _cleanup_free_ char *json = NULL;
  int r;

  if (!has_create_hooks (h))
    return 0;
  r = sync_wait (c->sync[0], SYNC_CREATE_HOOKS, c->who, err);
  /* prestart hooks were run by `start` before runtime-spec 1.0.2 and still
     expect the status of then, "created" (crun does the same).  */
  if (r == 0 && h->prestart_len)
    {
      _cleanup_free_ char *pre = NULL;

      r = state_to_json (&c->rec, "created", false, &pre, err);
      if (r == 0)
        r = hooks_run (h->prestart, h->prestart_len, "prestart", pre, err);
    }
  if (r == 0)
    r = state_to_json (&c->rec, "creating", false, &json, err);
  if (r == 0)
    r = hooks_run (h->create_runtime, h->create_runtime_len, "createRuntime", json, err);
  if (r < 0)
    return r;
  return sync_send_data (c->sync[0], SYNC_HOOKS_DONE, json, strlen (json), err);
}

static int
parent_created (struct start_ctx *c, struct cfs_error **err)
{
  int r;

  free (c->rec.phase);
  c->rec.phase = strdup (CFS_PHASE_CREATED);
  /* Without a mount namespace our mounts are the host's: delete needs to
     know which one to detach.  */
  if (!c->cfg.ns.wanted[NS_MOUNT])
    {
      c->rec.host_mount_id = rootfs_mount_id (c->cfg.rootfs);
      c->rec.has_host_mount_id = c->rec.host_mount_id != c->rootfs_mount_before;
    }
  if ((r = state_record_write (c->dirfd, &c->rec, err)) < 0)
    return r;
  if (c->o->pid_file && (r = util_write_pid_file (c->o->pid_file, c->pid, err)) < 0)
    return r;
  if (c->rec.hooks && c->rec.hooks->start_container_len)
    {
      _cleanup_free_ char *json = NULL;

      if ((r = state_to_json (&c->rec, "created", false, &json, err)) < 0
          || (r = sync_send_data (c->sync[0], SYNC_CREATED, json, strlen (json), err)) < 0)
        return r;
    }
  else if ((r = sync_send (c->sync[0], SYNC_CREATED, err)) < 0)
    return r;
  if (seccomp_plan_notifies (c->cfg.seccomp))
    {
      _cleanup_free_ char *json = NULL;

      if ((r = state_process_state_json (&c->rec, c->cfg.spec->linux->seccomp->listener_metadata, &json, err))
          < 0)
        return r;
      return sync_send_data (c->sync[0], SYNC_SECCOMP_STATE, json, strlen (json), err);
    }
  return 0;
}

/* Undo everything of a failed create: the process, then the state dir. */
static void
parent_rollback (struct start_ctx *c)
{
  if (c->pid > 0)
    {
      kill (c->pid, SIGKILL);
      while (waitpid (c->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  /* Only a bind we stacked on the rootfs is ours to detach. */
  if (c->pid > 0 && !c->cfg.ns.wanted[NS_MOUNT] && rootfs_mount_id (c->cfg.rootfs) != c->rootfs_mount_before)
    rootfs_detach_host_mounts (c->cfg.rootfs, rootfs_mount_id (c->cfg.rootfs));
  /* A create that failed before its cgroup phase made none: the scope and
     leaves it planned may be another container's (the same id, there
     already).  */
  if (c->cgroup_begun && c->rec.systemd_unit)
    cgroup_systemd_stop (c->rec.systemd_unit, NULL);
  if (c->cgroup_begun)
    cgroup_remove_container (c->rec.cgroup_leaves, c->rec.cgroup_leaves_len, c->rec.cgroup_dirs,
                             c->rec.cgroup_dirs_len, NULL);
  if (c->dir_made)
    state_dir_remove (c->rootfd, c->o->id, c->dirfd, NULL);
  if (c->o->pid_file && c->pid > 0)
    unlink (c->o->pid_file);
}

static void
ctx_done (struct start_ctx *c)
{
  mounts_idmaps_free (c->idmap_fds, c->cfg.spec ? c->cfg.spec->mounts_len : 0);
  bundle_done (&c->cfg);
  oci_done (&cfs_record_type, &c->rec);
  closep (&c->rootfd);
  closep (&c->dirfd);
  closep (&c->sync[0]);
  closep (&c->sync[1]);
  closep (&c->listen_fd);
  closep (&c->console_fd);
  closep (&c->listener_fd);
  free (c->process_state);
  free (c->cgroup_self);
  free (c->cg);
  cgroup_systemd_disconnect (c->sd);
  free (c->state_json);
}

int
start_create (const struct cfsrun_global *g, const struct cfsrun_create_options *o, int console_fd, bool run,
              struct start_created *ret, struct cfs_error **err)
{
  struct start_ctx c = { .g = g,
                         .o = o,
                         .rootfd = -1,
                         .dirfd = -1,
                         .sync = { -1, -1 },
                         .listen_fd = -1,
                         .container_rootfd = -1,
                         .console_fd = console_fd,
                         .listener_fd = -1,
                         .born_in = SIZE_MAX,
                         .run = run };
  int r;

  *ret = (struct start_created){ .exec_fd = -1 };
  if ((r = PHASE ("parent", "validate", parent_validate (&c, err))) < 0
      || (r = PHASE ("parent", "seal", parent_seal (&c, err))) < 0
      || (r = PHASE ("parent", "connect", parent_connect (&c, err))) < 0
      || (r = PHASE ("parent", "cgroup-plan", parent_cgroup_plan (&c, err))) < 0
      || (r = PHASE ("parent", "state", parent_state (&c, err))) < 0
      || (r = PHASE ("parent", "cgroup", parent_cgroup (&c, err))) < 0
      || (r = PHASE ("parent", "prepare", parent_prepare (&c, err))) < 0
      || (r = PHASE ("parent", "clone", parent_clone (&c, err))) < 0
      || (r = PHASE ("parent", "idmaps", parent_idmaps (&c, err))) < 0
      || (r = PHASE ("parent", "oom", parent_oom (&c, err))) < 0
      || (r = PHASE ("parent", "cgroup-enter", parent_cgroup_enter (&c, err))) < 0
      || (r = PHASE ("parent", "hooks", parent_create_hooks (&c, err))) < 0
      || (r = PHASE ("parent", "container", parent_wait_child (&c, err))) < 0
      || (r = PHASE ("parent", "created", parent_created (&c, err))) < 0)
    {
      /* Its death, rather than what we saw of it, is the cause to report. */
      if (c.pid > 0)
        oom_explain (c.rec.cgroup_leaves, c.rec.cgroup_leaves_len, c.oom_before, o->id, "during create", err);
      parent_rollback (&c);
    }
  else
    *ret = (struct start_created){ .pid = c.pid,
                                   .exec_fd = run ? TAKE_FD (c.sync[0]) : -1,
                                   .oom_before = c.oom_before };
  ctx_done (&c);
  return r;
}

/* ------------------------------------------------------------------ start */

/* Connect to the waiting container process; it answers 'S' and goes on. */
static int
release_connect (int dirfd, const char *id, int *ret_fd, struct cfs_error **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  _cleanup_close_ int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  char who[300], ack = 0;
  int r;

  if (fd < 0)
    return cfs_fail (err, CFS_E_SYNC, errno, NULL, "create socket");
  snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dirfd, CFS_START_SOCKET);
  if (connect (fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    return cfs_fail (err, CFS_E_SYNC, errno, NULL, "connect to container `%s`", id);
  snprintf (who, sizeof who, "the process of container `%s`", id);
  if ((r = sync_poll (fd, sync_timeout_ms (), who, "its answer to `start`", err)) < 0)
    return r;
  if (util_read_all (fd, &ack, 1) != 1 || ack != 'S')
    return cfs_fail (err, CFS_E_PROCESS, 0, NULL,
                     "the process of container `%s` exited before it could start", id);
  *ret_fd = TAKE_FD (fd);
  return 0;
}

/* FD is start's connection after 'S', or run's sync socket: either closes
   at exec (close-on-exec), and bytes before EOF are the error the child
   hit on the way.  The sync socket keeps message boundaries, so each read
   has room for the largest message.  */
int
start_wait_exec (int fd, const char *id, int extra_ms, struct cfs_error **err)
{
  char who[300], buf[SYNC_MSG_MAX];
  size_t len = 0;
  ssize_t n;
  int r;

  snprintf (who, sizeof who, "the process of container `%s`", id);
  if ((r = sync_poll (fd, sync_timeout_ms () + extra_ms, who, "exec of the program", err)) < 0)
    return r;
  while (len < sizeof buf && (n = read (fd, buf + len, sizeof buf - len)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return cfs_fail (err, CFS_E_SYNC, errno, NULL, "read what %s reported", who);
      len += (size_t)n;
    }
  if (len >= 4)
    {
      uint32_t type;

      memcpy (&type, buf, 4);
      if (type == SYNC_ERROR && err && *err == NULL)
        *err = cfs_error_deserialize (buf + 4, len - 4);
      return err && *err ? cfs_error_value (*err) : -EINVAL;
    }
  return 0;
}

int
start_release (int dirfd, const char *id, int extra_ms, struct cfs_error **err)
{
  _cleanup_close_ int fd = -1;
  int r = STEP ("start", "connect", release_connect (dirfd, id, &fd, err));

  if (r < 0 || (r = STEP ("start", "exec", start_wait_exec (fd, id, extra_ms, err))) < 0)
    return r;
  unlinkat (dirfd, CFS_START_SOCKET, 0);
  return 0;
}
