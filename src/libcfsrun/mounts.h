/* The mounts of config.json, carried out in order inside the rootfs. */
#ifndef CFS_MOUNTS_H
#define CFS_MOUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "oci-spec.h"

struct cgroup_layout;

struct mount_flags
{
  unsigned long set;         /* MS_* to set */
  unsigned long propagation; /* MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE, maybe | MS_REC */
  bool bind;
  bool recursive_bind;
  uint64_t attr_set; /* MOUNT_ATTR_* applied recursively (rro, rnosuid...) */
  uint64_t attr_clr;
  bool tmpcopyup; /* tmpfs: copy what was at the destination into it */
  bool idmap;     /* idmap or ridmap: an idmapped bind mount */
  char *data;     /* filesystem options, comma-joined, or NULL */
};

/* Pure: options of config field FIELD to flags.  Unknown options are passed
   to the filesystem as data, as mount(8) does.  */
int mounts_parse_options (char *const *options, size_t n, const char *field, struct mount_flags *ret,
                          struct cfs_error **err);
void mounts_flags_done (struct mount_flags *f);

/* Every option word mounts_parse_options knows, for `features`: fills
   NAMES (room for MAX) and returns how many.  */
size_t mounts_option_names (const char **names, size_t max);

/* Propagation of one option word ("rslave"...), 0 if it is none. */
unsigned long mounts_propagation_flag (const char *name);

struct mounts_context
{
  int rootfd;                          /* the rootfs, already a mount point of its own */
  const char *bundle;                  /* relative bind sources are relative to it */
  const char *cgroup_self;             /* /proc/self/cgroup of the container, as the host sees it */
  const struct cgroup_layout *cgroups; /* the host's, as create read it (NULL: read it) */
  bool new_cgroupns;
  const int *idmap_fds; /* per mount: user namespace fd for idmap, or -1 */
};

/* Parent, before clone (in the host's pid namespace, so /proc/PID works):
   a user namespace fd for each idmap mount, -1 for the others.  */
int mounts_prepare_idmaps (const struct oci_spec *spec, int **ret_fds, struct cfs_error **err);
void mounts_idmaps_free (int *fds, size_t n);

int mounts_apply (const struct oci_spec *spec, const struct mounts_context *ctx, struct cfs_error **err);

/* True when config mounts something at DEST (e.g. "/dev"). */
const struct oci_mount *mounts_find (const struct oci_spec *spec, const char *dest);

/* Remount the mount at fd TARGET with FLAGS, keeping the flags the kernel
   locks on it (nosuid, nodev, noexec, atime) so the remount does not fail
   with EPERM inside a user namespace.  */
int mounts_remount (const char *target, unsigned long flags, const char *what, struct cfs_error **err);

/* linux.maskedPaths and linux.readonlyPaths. */
int mounts_mask_paths (int rootfd, const struct oci_linux *linux_cfg, struct cfs_error **err);

#endif
