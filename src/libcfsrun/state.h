/* The state store: one directory per container under the runtime root,
   holding the record of what cfsrun made for it.  A directory is created with
   mkdir (so two creates of one id cannot both win), locked with flock while a
   command works on it, and its record is replaced atomically.  */
#ifndef CFS_STATE_H
#define CFS_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "oci-spec.h"

/* Where the container is in its life, as cfsrun recorded it. */
#define CFS_PHASE_CREATING "creating"
#define CFS_PHASE_CREATED  "created"
#define CFS_PHASE_STARTED  "started"

#define OCI_TYPE_cfs_record(F, S)                                                                            \
  F (S, STR, id, "id", _, OCI_REQ)                                                                           \
  F (S, STR, bundle, "bundle", _, OCI_REQ)                                                                   \
  F (S, STR, rootfs, "rootfs", _, OCI_OPT)                                                                   \
  F (S, STR, phase, "phase", _, OCI_REQ)                                                                     \
  F (S, I32, pid, "pid", _, OCI_OPT)                                                                         \
  F (S, U64, pid_start_time, "pidStartTime", _, OCI_OPT)                                                     \
  F (S, U64, pidfs_inode, "pidfsInode", _, OCI_OPT)                                                          \
  F (S, STR, created, "created", _, OCI_OPT)                                                                 \
  F (S, U32, owner, "owner", _, OCI_OPT)                                                                     \
  F (S, MAP_STR, annotations, "annotations", _, OCI_OPT)                                                     \
  F (S, OBJ, hooks, "hooks", oci_hooks, OCI_OPT)                                                             \
  F (S, U64, host_mount_id, "hostMountId", _, OCI_OPT)                                                       \
  F (S, STR, cgroups_path, "cgroupsPath", _, OCI_OPT)                                                        \
  F (S, STR, systemd_unit, "systemdUnit", _, OCI_OPT)                                                        \
  F (S, ARR_STR, cgroup_dirs, "cgroupDirs", _, OCI_OPT)                                                      \
  F (S, ARR_STR, cgroup_leaves, "cgroupLeaves", _, OCI_OPT)

OCI_DECLARE_STRUCT (cfs_record)

struct cfs_record *state_record_free (struct cfs_record *r);

int state_validate_id (const char *id, struct cfs_error **err);

/* Open (creating it 0700 if missing) the runtime root directory. */
int state_root_open (const char *root, int *ret_fd, struct cfs_error **err);

/* Create the directory of a new container and return it open and locked. */
int state_dir_create (int rootfd, const char *id, int *ret_dirfd, struct cfs_error **err);

/* Open an existing container's directory and lock it (LOCK_EX or LOCK_SH).
   An unknown id fails with CFS_E_CONTAINER_NOT_FOUND.  */
int state_dir_open (int rootfd, const char *id, int lock_op, int *ret_dirfd, struct cfs_error **err);

/* Remove the directory and all it holds. */
int state_dir_remove (int rootfd, const char *id, int dirfd, struct cfs_error **err);

int state_record_write (int dirfd, const struct cfs_record *r, struct cfs_error **err);
int state_record_read (int dirfd, const char *id, struct cfs_record **ret, struct cfs_error **err);
/* The same through the state root, one open fewer, for readers that take
   no lock (records are replaced atomically): list.  */
int state_record_read_id (int rootfd, const char *id, struct cfs_record **ret, struct cfs_error **err);

/* The spec status of a container from its record, its process and its
   freezer: "creating", "created", "running", "paused" or "stopped".  */
const char *state_status (const struct cfs_record *r);

/* The runtime-spec state JSON of the container (for `state` and hooks). */
int state_to_json (const struct cfs_record *r, const char *status, bool pretty, char **ret_json,
                   struct cfs_error **err);

/* The seccomp listener's message (runtime-spec containerProcessState). */
int state_process_state_json (const struct cfs_record *r, const char *metadata, char **ret_json,
                              struct cfs_error **err);

/* The ids of all containers under ROOTFD, sorted. */
int state_list (int rootfd, char ***ret_ids, size_t *ret_n, struct cfs_error **err);

/* Name of the socket `start` connects to, inside the container directory. */
#define CFS_START_SOCKET "start.sock"
#define CFS_RECORD_FILE  "state.json"
/* The config the container was created with: exec builds on it. */
#define CFS_CONFIG_FILE "config.json"
/* Present once an exec gave a process CAP_SYS_PTRACE over the host's user
   namespace that the config did not: later execs run from a sealed copy of
   cfsrun too (sealed-exe.c).  */
#define CFS_PTRACE_MARK "ptrace-exec"

bool state_ptrace_marked (int dirfd);
int state_mark_ptrace (int dirfd, struct cfs_error **err);

#endif
