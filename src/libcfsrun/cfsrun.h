/* libcfsrun: the public interface of the runtime library.  The CLI in src/
   includes only this header.  */
#ifndef CFSRUN_H
#define CFSRUN_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "log.h"

struct cfsrun_global
{
  const char *root; /* state root, e.g. /run/cfsrun */
  bool systemd_cgroup;
};

/* Once, after cfs_log_init: read the caller's W3C trace context
   (TRACEPARENT, TRACESTATE) for --trace and hooks; a malformed one is
   ignored with a debug note and not passed on.  */
void cfsrun_trace_init (void);

struct cfsrun_create_options
{
  const char *id;
  const char *bundle;
  const char *console_socket;
  const char *pid_file;
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  bool init; /* --init: the built-in init as PID 1 (or the run.oci.cfsrun.init annotation) */
};

int cfsrun_container_create (const struct cfsrun_global *g, const struct cfsrun_create_options *o,
                             struct cfs_error **err);
int cfsrun_container_start (const struct cfsrun_global *g, const char *id, struct cfs_error **err);

/* create + start; unless DETACH, wait for the container, delete it and
   set *RET_STATUS to its exit code (128+signal when killed).  A program
   killed by the OOM killer is an INIT_OOM_KILLED error, with *RET_STATUS
   still 137.  */
int cfsrun_container_run (const struct cfsrun_global *g, const struct cfsrun_create_options *o, bool detach,
                          int *ret_status, struct cfs_error **err);

struct cfsrun_exec_options
{
  const char *id;
  const char *process_file; /* -p: a process.json replacing the config's process */
  char **args;              /* or these args, on top of the config's process */
  size_t args_len;
  char **env; /* --env KEY=value, added */
  size_t env_len;
  const char *cwd;
  const char *user;            /* uid[:gid] */
  const char *additional_gids; /* comma-separated */
  char **caps;                 /* --cap, added to every set */
  size_t caps_len;
  bool no_new_privs;
  bool tty;
  const char *console_socket;
  bool detach;
  const char *pid_file;
  int preserve_fds;
  const char *apparmor;
  const char *process_label;
  const char *cgroup;
};

/* Run a new process in a created or running container; unless DETACH, wait
   for it and set *RET_STATUS to its exit code (128+signal when killed). */
int cfsrun_container_exec (const struct cfsrun_global *g, const struct cfsrun_exec_options *o,
                           int *ret_status, struct cfs_error **err);

/* The runtime-spec state of a container as JSON. */
int cfsrun_container_state (const struct cfsrun_global *g, const char *id, char **ret_json,
                            struct cfs_error **err);
int cfsrun_container_kill (const struct cfsrun_global *g, const char *id, const char *signal, bool all,
                           struct cfs_error **err);
int cfsrun_container_delete (const struct cfsrun_global *g, const char *id, bool force,
                             struct cfs_error **err);

struct cfsrun_list_entry
{
  char *id;
  int pid;
  char *status;
  char *bundle;
  char *created;
  unsigned owner;
};

/* The containers under the state root, sorted by id; with IDS_ONLY only
   their ids (those that have a record), without reading any state.  */
int cfsrun_container_list (const struct cfsrun_global *g, bool ids_only, struct cfsrun_list_entry **ret,
                           size_t *ret_n, struct cfs_error **err);
/* The list as runc's `list --format json` prints it. */
int cfsrun_list_to_json (const struct cfsrun_list_entry *e, size_t n, char **ret_json,
                         struct cfs_error **err);
void cfsrun_list_free (struct cfsrun_list_entry *e, size_t n);

/* A default config.json, as `runc spec` writes (ROOTLESS: a user namespace
   mapping the caller).  */
int cfsrun_spec_default (bool rootless, char **ret_json, struct cfs_error **err);

/* pause / resume: freeze and thaw the container's cgroup. */
int cfsrun_container_pause (const struct cfsrun_global *g, const char *id, struct cfs_error **err);
int cfsrun_container_resume (const struct cfsrun_global *g, const char *id, struct cfs_error **err);

/* The pids of the container's processes (host pids). */
int cfsrun_container_pids (const struct cfsrun_global *g, const char *id, int **ret_pids, size_t *ret_n,
                           struct cfs_error **err);

/* ps(1) with PS_ARGS (default -ef), keeping the header and the lines of
   the container's processes, as runc ps prints.  */
int cfsrun_container_ps_table (const struct cfsrun_global *g, const char *id, char **ps_args, size_t n_args,
                               char **ret_text, struct cfs_error **err);

/* update: new limits; unset fields keep their value.  Memory sizes in
   bytes, -1 for no limit.  RESOURCES_FILE (or NULL) is a runtime-spec
   linux.resources JSON applied first.  */
struct cfsrun_update
{
  const char *resources_file;
  const char *memory, *memory_swap, *memory_reservation, *kernel_memory;
  const char *cpu_shares, *cpu_quota, *cpu_period, *cpuset_cpus, *cpuset_mems;
  const char *pids_limit, *blkio_weight;
};

int cfsrun_container_update (const struct cfsrun_global *g, const char *id, const struct cfsrun_update *u,
                             struct cfs_error **err);

/* events --stats: one stats event, as runc prints it. */
int cfsrun_container_stats (const struct cfsrun_global *g, const char *id, char **ret_json,
                            struct cfs_error **err);

/* events: OOM kills in the container's memory cgroup, as they happen.  The
   watch's fd becomes readable on each; read then gives how many there were,
   and cfsrun_oom_event the JSON line for one ({"type":"oom","id":ID}).  */
struct cfsrun_oom_watch;
int cfsrun_container_oom_watch (const struct cfsrun_global *g, const char *id, struct cfsrun_oom_watch **ret,
                                struct cfs_error **err);
int cfsrun_oom_watch_fd (const struct cfsrun_oom_watch *w);
unsigned cfsrun_oom_watch_read (struct cfsrun_oom_watch *w);
void cfsrun_oom_watch_free (struct cfsrun_oom_watch *w);
int cfsrun_oom_event (const char *id, char **ret_json, struct cfs_error **err);

/* True unless the caller is root of the initial user namespace: an ordinary
   user, or root of a user namespace (rootless Podman runs its runtime so).  */
bool cfsrun_rootless (void);

/* `check`: what works on this host and the fix for what does not (text,
   or JSON with name, ok, detail, fix per item).  */
int cfsrun_check (bool json, char **ret_text, struct cfs_error **err);

/* The runtime-spec features JSON of this build. */
int cfsrun_features (char **ret_json, struct cfs_error **err);

/* Parse a signal name or number (for tests and the CLI). */
int cfsrun_parse_signal (const char *text, int *ret_signal, struct cfs_error **err);

#endif
