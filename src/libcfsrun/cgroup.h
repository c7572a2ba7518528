/* cgroups: the host's layout (v1, v2 or hybrid, read once from the
   filesystem), where a container's cgroup goes, and the cgroupfs driver
   that creates it, moves processes in, applies linux.resources (see
   cgroup-resources.c), freezes, kills and removes it.

   What create makes is recorded before it is made (the container record's
   cgroupDirs), so delete removes exactly that, even after a crash.  */
#ifndef CFS_CGROUP_H
#define CFS_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "oci-spec.h"

enum cgroup_mode
{
  CGROUP_V1,     /* legacy: one hierarchy per controller */
  CGROUP_V2,     /* unified */
  CGROUP_HYBRID, /* v1 controllers, plus cgroup2 at /sys/fs/cgroup/unified */
};

#define CGROUP_MAX_HIER 24

struct cgroup_hier
{
  char mnt[256];   /* mount point, e.g. /sys/fs/cgroup/memory */
  char name[64];   /* basename, e.g. "cpu,cpuacct", "unified" */
  char self[1024]; /* our own cgroup in it, from /proc/self/cgroup */
  bool v2;
  char controllers[256]; /* v1: its controllers; v2: cgroup.controllers */
};

struct cgroup_layout
{
  enum cgroup_mode mode;
  struct cgroup_hier h[CGROUP_MAX_HIER];
  size_t n;
};

/* Read the layout from /proc/self/mountinfo and /proc/self/cgroup. */
int cgroup_layout_read (struct cgroup_layout *ret, struct cfs_error **err);

/* The same from SYSROOT/proc/self/... and SYSROOT/sys/fs/cgroup/... (""
   for the host): a fake host tree for `cfsrun check` tests.  Mount points
   in the result are as the mountinfo says, without SYSROOT.  */
int cgroup_layout_read_at (const char *sysroot, struct cgroup_layout *ret, struct cfs_error **err);

/* The hierarchy that has CONTROLLER ("memory", "hugetlb"...), or NULL. */
const struct cgroup_hier *cgroup_find (const struct cgroup_layout *l, const char *controller);

/* Pure: linux.cgroupsPath to the container's path relative to a hierarchy
   root, for hierarchy H (relative paths are under our own cgroup).  The
   default, with no path, is /cfsrun/ID.  */
int cgroup_resolve (const char *cgroups_path, const char *id, const struct cgroup_hier *h, char *buf,
                    size_t size, struct cfs_error **err);

/* The directories create would make, deepest last (those that do not exist
   yet), for the record.  */
int cgroup_plan_dirs (const struct cgroup_layout *l, const char *cgroups_path, const char *id,
                      char ***ret_dirs, size_t *ret_n, struct cfs_error **err);

/* Make the planned directories (cpuset ones get their parent's cpus/mems). */
int cgroup_create (char *const *dirs, size_t n, struct cfs_error **err);

/* The leaf directory of the container in each hierarchy. */
int cgroup_leaves (const struct cgroup_layout *l, const char *cgroups_path, const char *id, char ***ret,
                   size_t *ret_n, struct cfs_error **err);

/* The index of the leaf in a cgroup2 hierarchy (unified, or the v2 half
   of a hybrid host), or SIZE_MAX: by the layout L, or, with L NULL, by
   asking the filesystem of each leaf.  */
size_t cgroup_v2_leaf (const struct cgroup_layout *l, char *const *leaves, size_t n);

/* A fork-like clone (2) with FLAGS, born in the cgroup2 directory DIR when
   it is not NULL and the kernel can (clone3 with CLONE_INTO_CGROUP, Linux
   5.7): a move into a v2 cgroup later would always take the migration
   lock (see cgroup_enter_self).  *RET_INTO says whether it was.  Returns as
   fork does, in both processes.  */
pid_t cgroup_clone_into (const char *dir, uint64_t flags, bool *ret_into);

/* Move PID into every leaf (its cgroup.procs). */
int cgroup_enter (char *const *leaves, size_t n, pid_t pid, struct cfs_error **err);

/* The calling process, which must be single-threaded, moves itself into
   DIR, without the kernel's global migration lock where the hierarchy is
   v1 (see cgroup.c); then the same for every leaf but the one numbered
   SKIP (the one it was cloned into; N or more for none).  */
int cgroup_enter_self_at (const char *dir, struct cfs_error **err);
int cgroup_enter_self (char *const *leaves, size_t n, size_t skip, struct cfs_error **err);

/* Pids in the container's cgroup (from the first leaf that has them). */
int cgroup_pids (char *const *leaves, size_t n, pid_t **ret, size_t *ret_n);

/* Signal every process in the cgroup (cgroup.kill for SIGKILL on v2). */
int cgroup_signal_all (char *const *leaves, size_t n, int sig);

/* Freezer: freeze or thaw, waiting (bounded) until the kernel says so. */
int cgroup_freeze (const struct cgroup_layout *l, char *const *leaves, size_t n, bool freeze,
                   struct cfs_error **err);
bool cgroup_frozen (char *const *leaves, size_t n);

/* Drop from planned DIRS those whose name ends in SUFFIX. */
void cgroup_plan_drop_suffix (char **dirs, size_t *n, const char *suffix);

/* OOM events of the container's memory cgroup: FD becomes readable on
   each (v1: an eventfd registered on memory.oom_control; v2: inotify on
   memory.events), and read says how many kills there were since.  */
struct cgroup_oom_watch
{
  int fd;
  int ctl_fd;         /* v1: memory.oom_control, kept open for the eventfd */
  char counter[4200]; /* the file that counts oom_kill */
  uint64_t seen;
};

int cgroup_oom_watch_open (const struct cgroup_layout *l, char *const *leaves, size_t n,
                           struct cgroup_oom_watch *w, struct cfs_error **err);
uint64_t cgroup_oom_watch_read (struct cgroup_oom_watch *w);
void cgroup_oom_watch_close (struct cgroup_oom_watch *w);

/* Remove DIRS deepest first, ignoring those already gone. */
int cgroup_remove (char *const *dirs, size_t n, struct cfs_error **err);

/* Remove what a container made, killing what is still in it: its LEAVES
   with any subtree below them, then the DIRS create made (which include
   the leaves).  Leaves with no process in them, the common case once an
   init with its own pid namespace has exited (the kernel killed the rest),
   are one rmdir each, with nothing to signal.  */
int cgroup_remove_container (char *const *leaves, size_t n_leaves, char *const *dirs, size_t n_dirs,
                             struct cfs_error **err);

void cgroup_strv_free (char **v, size_t n);
bool cgroup_strv_has (char *const *v, size_t n, const char *s);

/* Whether we may make DIRS (their parents writable) and move into LEAVES. */
bool cgroup_writable (char *const *dirs, size_t n_dirs, char *const *leaves, size_t n_leaves);

/* The first linux.resources field that asks for a limit, or NULL.  Device
   rules do not count: without a cgroup the device nodes are host binds.  */
const char *cgroup_limits_asked (const struct oci_resources *r);

#endif
