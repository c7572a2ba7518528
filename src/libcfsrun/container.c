/* The lifecycle commands of runtime.md over the state store: create, start,
   state, kill, delete, run, list.  */
#include "cfsrun.h"
#include "container.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "cgroup-systemd.h"
#include "cgroup.h"
#include "log.h"
#include "hooks.h"
#include "oom.h"
#include "proc.h"
#include "rootfs.h"
#include "terminal.h"
#include "signals.h"
#include "start.h"
#include "state.h"
#include "trace.h"
#include "util.h"

DEFINE_CLEANUP_FUNC (struct cfs_record, state_record_free)
#define _cleanup_record_ _cleanup_ (state_record_freep)

/* How long delete --force waits for a killed container to die. */
#define KILL_WAIT_MS 10000

void
opened_done (struct opened *o)
{
  closep (&o->rootfd);
  closep (&o->dirfd);
  o->rec = state_record_free (o->rec);
}

int
open_container (const struct cfsrun_global *g, const char *id, int lock_op, struct opened *ret,
                struct cfs_error **err)
{
  int r;

  ret->rootfd = ret->dirfd = -1;
  ret->rec = NULL;
  ret->rootfd = open (g->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (ret->rootfd < 0 && errno == ENOENT)
    return state_validate_id (id, err) < 0
               ? -EINVAL
               : cfs_fail (err, CFS_E_CONTAINER_NOT_FOUND, ENOENT, NULL, "container `%s` does not exist", id);
  if (ret->rootfd < 0)
    return cfs_fail (err, CFS_E_STATE_STORE, errno, g->root, "open state root");
  r = state_dir_open (ret->rootfd, id, lock_op, &ret->dirfd, err);
  if (r < 0)
    return r;
  r = state_record_read (ret->dirfd, id, &ret->rec, err);
  if (r < 0)
    return r;
  ret->status = state_status (ret->rec);
  return 0;
}

int
cfsrun_container_create (const struct cfsrun_global *g, const struct cfsrun_create_options *o,
                         struct cfs_error **err)
{
  struct start_created cr;

  if (g->systemd_cgroup && cgroup_systemd_ready (err) < 0)
    return -1;
  return start_create (g, o, -1, false, &cr, err);
}

static int
mark_started (struct opened *c, struct cfs_error **err)
{
  free (c->rec->phase);
  c->rec->phase = strdup (CFS_PHASE_STARTED);
  return state_record_write (c->dirfd, c->rec, err);
}

/* poststart and poststop: failures are warnings (config.md). */
static void
run_hooks_warn (const struct cfs_record *rec, const char *kind, const char *status)
{
  const struct oci_hooks *h = rec->hooks;
  bool post_start = strcmp (kind, "poststart") == 0;
  size_t n = h ? (post_start ? h->poststart_len : h->poststop_len) : 0;
  _cleanup_free_ char *json = NULL;

  if (n == 0 || state_to_json (rec, status, false, &json, NULL) < 0)
    return;
  hooks_run_warn (post_start ? h->poststart : h->poststop, n, kind, json);
}

static int
open_created (const struct cfsrun_global *g, const char *id, struct opened *c, struct cfs_error **err)
{
  int r = open_container (g, id, LOCK_EX, c, err);

  if (r < 0)
    return r;
  if (strcmp (c->status, "created") != 0)
    return cfs_fail (err, CFS_E_CONTAINER_STATE, 0, NULL,
                     "cannot start container `%s`: it is %s, not created", id, c->status);
  return 0;
}

/* Killed by the OOM killer on its way to exec (the socket closes at death
   as at exec): wait a little for it to be gone, then say so.  *AFTER is
   the count read, which `run` takes as its count before the process runs. */
static int
check_oom_at_start (struct opened *c, uint64_t before, int r, uint64_t *after, struct cfs_error **err)
{
  const struct cfs_record *rec = c->rec;
  struct timespec step = { 0, 5 * 1000 * 1000 };
  int i;

  *after = oom_kills (rec->cgroup_leaves, rec->cgroup_leaves_len);
  if (*after <= before)
    return r;
  for (i = 0; i < 40 && proc_pid_is_running (rec->pid, rec->pid_start_time, rec->pidfs_inode); i++)
    nanosleep (&step, NULL);
  if (r == 0 && proc_pid_is_running (rec->pid, rec->pid_start_time, rec->pidfs_inode))
    return 0; /* another process of the container was killed, not this one */
  oom_explain (rec->cgroup_leaves, rec->cgroup_leaves_len, before, rec->id, "during start", err);
  return -ENOMEM;
}

static int
start_hooks_budget (const struct cfs_record *rec)
{
  const struct oci_hooks *h = rec->hooks;

  return h ? hooks_budget_ms (h->start_container, h->start_container_len) : 0;
}

/* R: how exec went.  Then the record, and the poststart hooks.  */
static int
started (struct opened *c, uint64_t oom_before, int r, uint64_t *oom_after, struct cfs_error **err)
{
  r = check_oom_at_start (c, oom_before, r, oom_after, err);
  /* Even a failed exec means the process went past `created`. */
  if (STEP ("start", "record", mark_started (c, r < 0 ? NULL : err)) < 0 && r == 0)
    return -EIO;
  if (r == 0)
    STEP ("start", "poststart", (run_hooks_warn (c->rec, "poststart", "running"), 0));
  return r;
}

static int
container_start (const struct cfsrun_global *g, const char *id, uint64_t *oom_after, struct cfs_error **err)
{
  struct opened c __attribute__ ((cleanup (opened_done))) = { .rootfd = -1, .dirfd = -1 };
  uint64_t oom_before;
  int r;

  if ((r = STEP ("start", "open", open_created (g, id, &c, err))) < 0)
    return r;
  oom_before = oom_kills (c.rec->cgroup_leaves, c.rec->cgroup_leaves_len);
  r = start_release (c.dirfd, id, start_hooks_budget (c.rec), err);
  return started (&c, oom_before, r, oom_after, err);
}

/* `run`: the process went on to exec as soon as it was created.  Its
   status is not checked before the wait: a program as quick as /bin/true
   may have exited already.  */
static int
run_started (const struct cfsrun_global *g, const char *id, const struct start_created *cr,
             uint64_t *oom_after, struct cfs_error **err)
{
  struct opened c __attribute__ ((cleanup (opened_done))) = { .rootfd = -1, .dirfd = -1 };
  int r;

  if ((r = STEP ("start", "open", open_container (g, id, LOCK_EX, &c, err))) < 0)
    return r;
  r = STEP ("start", "exec", start_wait_exec (cr->exec_fd, id, start_hooks_budget (c.rec), err));
  return started (&c, cr->oom_before, r, oom_after, err);
}

int
cfsrun_container_start (const struct cfsrun_global *g, const char *id, struct cfs_error **err)
{
  uint64_t oom_after;

  return container_start (g, id, &oom_after, err);
}

int
cfsrun_container_state (const struct cfsrun_global *g, const char *id, char **ret_json,
                        struct cfs_error **err)
{
  struct opened c __attribute__ ((cleanup (opened_done))) = { .rootfd = -1, .dirfd = -1 };
  int r;

  /* A shared lock: `state` waits only for a command that changes the record. */
  r = open_container (g, id, LOCK_SH, &c, err);
  if (r < 0)
    return r;
  return state_to_json (c.rec, c.status, true, ret_json, err);
}

static int
pidfd_of (const struct cfs_record *rec)
{
  int fd = (int)syscall (SYS_pidfd_open, rec->pid, 0);

  /* Checked after opening: the pidfd pins the process the start time names. */
  if (fd >= 0 && !proc_pidfd_is_running (fd, rec->pid, rec->pid_start_time, rec->pidfs_inode))
    {
      close (fd);
      return -ESRCH;
    }
  return fd < 0 ? -errno : fd;
}

static int
signal_process (const struct cfs_record *rec, int sig)
{
  _cleanup_close_ int fd = pidfd_of (rec);

  if (fd == -ENOSYS)
    return kill (rec->pid, sig) < 0 ? -errno : 0;
  if (fd < 0)
    return fd;
  return syscall (SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0 ? -errno : 0;
}

/* --all without a cgroup of our own: every process in the container's pid
   namespace (when it has one) is found by its /proc/PID/ns/pid.  */
static int
signal_all (const struct cfs_record *rec, int sig)
{
  char path[64];
  struct stat init_ns, st;
  DIR *d;
  struct dirent *de;

  snprintf (path, sizeof path, "/proc/%d/ns/pid", rec->pid);
  if (stat (path, &init_ns) < 0 || stat ("/proc/self/ns/pid", &st) < 0)
    return signal_process (rec, sig);
  if (init_ns.st_ino == st.st_ino)
    return signal_process (rec, sig);
  d = opendir ("/proc");
  if (d == NULL)
    return -errno;
  while ((de = readdir (d)) != NULL)
    {
      int pid = atoi (de->d_name);

      if (pid <= 0)
        continue;
      snprintf (path, sizeof path, "/proc/%d/ns/pid", pid);
      if (stat (path, &st) == 0 && st.st_ino == init_ns.st_ino && st.st_dev == init_ns.st_dev)
        kill (pid, sig);
    }
  closedir (d);
  return 0;
}

int
cfsrun_container_kill (const struct cfsrun_global *g, const char *id, const char *signal, bool all,
                       struct cfs_error **err)
{
  struct opened c __attribute__ ((cleanup (opened_done))) = { .rootfd = -1, .dirfd = -1 };
  int sig, r;

  r = signals_parse (signal ? signal : "SIGTERM", &sig, err);
  if (r < 0)
    return r;
  r = open_container (g, id, LOCK_SH, &c, err);
  if (r < 0)
    return r;
  if (strcmp (c.status, "stopped") == 0 || strcmp (c.status, "creating") == 0)
    return cfs_fail (err, CFS_E_CONTAINER_STATE, 0, NULL, "cannot kill container `%s`: it is %s", id,
                     c.status);
  if (all && c.rec->cgroup_leaves_len)
    r = cgroup_signal_all (c.rec->cgroup_leaves, c.rec->cgroup_leaves_len, sig);
  else
    r = all ? signal_all (c.rec, sig) : signal_process (c.rec, sig);
  if (r == -ESRCH)
    return cfs_fail (err, CFS_E_CONTAINER_STATE, 0, NULL, "cannot kill container `%s`: it is stopped", id);
  if (r < 0)
    return cfs_fail (err, CFS_E_PROCESS, -r, NULL, "send signal %d to container `%s`", sig, id);
  return 0;
}

static void
thaw (const struct cfs_record *rec)
{
  struct cgroup_layout l;

  if (cgroup_layout_read (&l, NULL) == 0)
    cgroup_freeze (&l, rec->cgroup_leaves, rec->cgroup_leaves_len, false, NULL);
}

static int
kill_and_wait (const struct cfs_record *rec, const char *id, struct cfs_error **err)
{
  struct timespec step = { 0, 2 * 1000 * 1000 };
  int waited;

  if (rec->cgroup_leaves_len)
    cgroup_signal_all (rec->cgroup_leaves, rec->cgroup_leaves_len, SIGKILL);
  signal_all (rec, SIGKILL);
  /* A frozen process dies only once thawed. */
  if (rec->cgroup_leaves_len && cgroup_frozen (rec->cgroup_leaves, rec->cgroup_leaves_len))
    thaw (rec);
  for (waited = 0; waited < KILL_WAIT_MS; waited += 2)
    {
      if (!proc_pid_is_running (rec->pid, rec->pid_start_time, rec->pidfs_inode))
        return 0;
      nanosleep (&step, NULL);
    }
  return cfs_fail (err, CFS_E_TIMEOUT, 0, NULL, "container `%s` (pid %d) did not die within %d s of SIGKILL",
                   id, rec->pid, KILL_WAIT_MS / 1000);
}

/* The systemd scope first (systemd then removes its cgroups), then what
   the container made below its cgroups, then the directories we made.  */
static int
remove_cgroups (const struct cfs_record *rec, bool force, struct cfs_error **err)
{
  if (rec->systemd_unit)
    {
      struct cfs_error *e = NULL;

      if (cgroup_systemd_stop (rec->systemd_unit, &e) < 0)
        {
          if (!force)
            {
              int r = -(e->errnum ? e->errnum : EIO);

              if (err && *err == NULL)
                *err = e;
              else
                cfs_error_free (e);
              return r;
            }
          cfs_log_warning ("%s (removing its cgroups directly)", e->msg);
          cfs_error_free (e);
        }
    }
  return cgroup_remove_container (rec->cgroup_leaves, rec->cgroup_leaves_len, rec->cgroup_dirs,
                                  rec->cgroup_dirs_len, err);
}

int
cfsrun_container_delete (const struct cfsrun_global *g, const char *id, bool force, struct cfs_error **err)
{
  struct opened c __attribute__ ((cleanup (opened_done))) = { .rootfd = -1, .dirfd = -1 };
  int r;

  r = open_container (g, id, LOCK_EX, &c, err);
  /* A directory with no readable record is what a crashed create leaves. */
  if (r < 0 && c.dirfd >= 0 && err && *err && (*err)->code != CFS_E_CONTAINER_NOT_FOUND)
    {
      *err = cfs_error_free (*err);
      return state_dir_remove (c.rootfd, id, c.dirfd, err);
    }
  if (r < 0 && force && err && *err && (*err)->code == CFS_E_CONTAINER_NOT_FOUND)
    {
      /* delete --force is idempotent, as runc's is. */
      *err = cfs_error_free (*err);
      return 0;
    }
  if (r < 0)
    return r;
  if (strcmp (c.status, "stopped") != 0)
    {
      if (!force)
        return cfs_fail (err, CFS_E_CONTAINER_STATE, 0, NULL,
                         "cannot delete container `%s`: it is %s, not stopped (use --force to kill it)", id,
                         c.status);
      r = STEP ("delete", "kill", kill_and_wait (c.rec, id, err));
      if (r < 0)
        return r;
    }
  /* Processes exec'd into the container may outlive its init: those in
     its cgroups are killed as they are removed.  */
  if ((r = STEP ("delete", "cgroup", remove_cgroups (c.rec, force, err))) < 0)
    return r;
  if (c.rec->has_host_mount_id)
    rootfs_detach_host_mounts (c.rec->rootfs, c.rec->host_mount_id);
  r = STEP ("delete", "state", state_dir_remove (c.rootfd, id, c.dirfd, err));
  if (r == 0)
    STEP ("delete", "poststop", (run_hooks_warn (c.rec, "poststop", "stopped"), 0));
  return r;
}

static int
status_of_child (int st)
{
  return WIFEXITED (st) ? WEXITSTATUS (st) : WIFSIGNALED (st) ? 128 + WTERMSIG (st) : 255;
}

/* run in the foreground with process.terminal and no --console-socket:
   the pty master comes back to us over a socketpair, and we proxy it. */
static int
run_create (const struct cfsrun_global *g, const struct cfsrun_create_options *o, bool detach,
            struct start_created *cr, int *ret_master, struct cfs_error **err)
{
  int sp[2], r;

  *ret_master = -1;
  if (detach || o->console_socket)
    return start_create (g, o, -1, true, cr, err);
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp) < 0)
    return cfs_fail (err, CFS_E_PROCESS, errno, NULL, "create terminal socket");
  r = start_create (g, o, sp[1], true, cr, err);
  /* The child sent the master during create, if it made a terminal. */
  if (r == 0 && terminal_receive (sp[0], ret_master, NULL) < 0)
    *ret_master = -1;
  close (sp[0]);
  return r;
}

/* When the OOM kills in the container's memory cgroup are more than
   BEFORE, the INIT_OOM_KILLED error for `run`.  */
static void
run_explain_oom (const struct cfsrun_global *g, const char *id, uint64_t before, struct cfs_error **err)
{
  struct opened c __attribute__ ((cleanup (opened_done))) = { .rootfd = -1, .dirfd = -1 };

  if (open_container (g, id, LOCK_SH, &c, NULL) == 0)
    oom_explain (c.rec->cgroup_leaves, c.rec->cgroup_leaves_len, before, id, "while it ran", err);
}

int
cfsrun_container_run (const struct cfsrun_global *g, const struct cfsrun_create_options *o, bool detach,
                      int *ret_status, struct cfs_error **err)
{
  struct start_created cr;
  pid_t pid;
  int r, st = 0, master = -1;
  uint64_t oom_before;

  if (g->systemd_cgroup && cgroup_systemd_ready (err) < 0)
    return -1;
  r = run_create (g, o, detach, &cr, &master, err);
  if (r < 0)
    return r;
  pid = cr.pid;
  if (!detach)
    signals_forward_to (pid);
  r = run_started (g, o->id, &cr, &oom_before, err);
  close (cr.exec_fd);
  if (r < 0 || detach)
    {
      if (master >= 0)
        close (master);
      if (r < 0)
        {
          /* The container never ran the program: remove it, as runc does. */
          while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
            ;
          cfsrun_container_delete (g, o->id, true, NULL);
        }
      *ret_status = r < 0 ? 1 : 0;
      return r;
    }
  if (master >= 0)
    {
      terminal_proxy (master, pid);
      close (master);
    }
  while (waitpid (pid, &st, 0) < 0)
    if (errno != EINTR)
      return cfs_fail (err, CFS_E_PROCESS, errno, NULL, "wait for container `%s`", o->id);
  *ret_status = status_of_child (st);
  /* Killed: by the OOM killer?  Said as an error; the status stays 137. */
  if (WIFSIGNALED (st) && WTERMSIG (st) == SIGKILL && err && *err == NULL)
    run_explain_oom (g, o->id, oom_before, err);
  if (err && *err)
    {
      cfsrun_container_delete (g, o->id, true, NULL);
      return cfs_error_value (*err);
    }
  return cfsrun_container_delete (g, o->id, true, err);
}

/* ------------------------------------------------------------------- list */

#define OCI_TYPE_cfs_list_item(F, S)                                                                         \
  F (S, STR, oci_version, "ociVersion", _, OCI_REQ)                                                          \
  F (S, STR, id, "id", _, OCI_REQ)                                                                           \
  F (S, I32, pid, "pid", _, OCI_REQ)                                                                         \
  F (S, STR, status, "status", _, OCI_REQ)                                                                   \
  F (S, STR, bundle, "bundle", _, OCI_REQ)                                                                   \
  F (S, STR, created, "created", _, OCI_REQ)                                                                 \
  F (S, STR, owner, "owner", _, OCI_REQ)
#define OCI_TYPE_cfs_list(F, S) F (S, ARR_OBJ, items, "items", cfs_list_item, OCI_REQ)

OCI_DECLARE_STRUCT (cfs_list_item)
OCI_DECLARE_STRUCT (cfs_list)
OCI_DEFINE_TYPE (cfs_list_item)
OCI_DEFINE_TYPE (cfs_list)

/* One container for list: from its record, or, for IDS_ONLY, just that it
   has one (list -q reads no state: one system call, not seven).  */
static int
list_entry (int rootfd, const char *id, bool ids_only, struct cfsrun_list_entry *out)
{
  _cleanup_record_ struct cfs_record *rec = NULL;
  const char *status;
  char file[512];

  if (ids_only)
    {
      snprintf (file, sizeof file, "%s/%s", id, CFS_RECORD_FILE);
      if (faccessat (rootfd, file, F_OK, 0) < 0)
        return -1;
      out->id = strdup (id);
      return out->id ? 0 : -1;
    }
  /* Records are replaced atomically: reading without the lock is safe. */
  if (state_record_read_id (rootfd, id, &rec, NULL) < 0)
    return -1;
  status = state_status (rec);
  out->id = strdup (rec->id);
  out->pid = strcmp (status, "stopped") == 0 ? 0 : rec->pid;
  out->status = strdup (status);
  out->bundle = strdup (rec->bundle);
  out->created = strdup (rec->created ? rec->created : "");
  out->owner = rec->owner;
  return 0;
}

int
cfsrun_container_list (const struct cfsrun_global *g, bool ids_only, struct cfsrun_list_entry **ret,
                       size_t *ret_n, struct cfs_error **err)
{
  _cleanup_close_ int rootfd = open (g->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  char **ids = NULL;
  size_t n = 0, i, k = 0;
  struct cfsrun_list_entry *out;
  int r;

  *ret = NULL;
  *ret_n = 0;
  if (rootfd < 0)
    return errno == ENOENT ? 0 : cfs_fail (err, CFS_E_STATE_STORE, errno, g->root, "open state root");
  r = state_list (rootfd, &ids, &n, err);
  if (r < 0)
    return r;
  out = calloc (n ? n : 1, sizeof *out);
  for (i = 0; out && i < n; i++)
    if (list_entry (rootfd, ids[i], ids_only, &out[k]) == 0)
      k++;
  for (i = 0; i < n; i++)
    free (ids[i]);
  free (ids);
  if (out == NULL)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "list containers");
  *ret = out;
  *ret_n = k;
  return 0;
}

int
cfsrun_list_to_json (const struct cfsrun_list_entry *e, size_t n, char **ret_json, struct cfs_error **err)
{
  _cleanup_free_ struct cfs_list_item *items = calloc (n ? n : 1, sizeof *items);
  _cleanup_free_ char *owners = calloc (n ? n : 1, 16);
  struct cfs_list list = { .items = items, .items_len = n };
  _cleanup_free_ char *json = NULL;
  size_t i, len = 0;
  char *p;

  if (items == NULL || owners == NULL)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "list");
  for (i = 0; i < n; i++)
    {
      snprintf (owners + i * 16, 16, "%u", e[i].owner);
      items[i] = (struct cfs_list_item){ .oci_version = (char *)OCI_VERSION,
                                         .id = e[i].id,
                                         .pid = e[i].pid,
                                         .has_pid = true,
                                         .status = e[i].status,
                                         .bundle = e[i].bundle,
                                         .created = e[i].created,
                                         .owner = owners + i * 16 };
    }
  if (oci_encode (&cfs_list_type, &list, false, &json, &len) < 0)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "encode list");
  /* The codec writes {"items":[...]}: runc prints the bare array. */
  p = strchr (json, '[');
  json[len - 1] = '\0';
  *ret_json = strdup (p);
  return 0;
}

void
cfsrun_list_free (struct cfsrun_list_entry *e, size_t n)
{
  size_t i;

  for (i = 0; e && i < n; i++)
    {
      free (e[i].id);
      free (e[i].status);
      free (e[i].bundle);
      free (e[i].created);
    }
  free (e);
}

int
cfsrun_parse_signal (const char *text, int *ret_signal, struct cfs_error **err)
{
  return signals_parse (text, ret_signal, err);
}
