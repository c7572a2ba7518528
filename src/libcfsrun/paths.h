/* Resolving paths inside the container's root without ever leaving it.

   Every lookup goes through openat2(RESOLVE_IN_ROOT) relative to an fd of
   the rootfs, so a symlink in the rootfs (even one swapped in by a container
   process between check and use) resolves as it would inside the container
   and can never name a host path.  Mounts then target the fd that was
   resolved, through /proc/self/fd/N, not the path again.  */
#ifndef CFS_PATHS_H
#define CFS_PATHS_H

#include <stdbool.h>

#include "error.h"

/* Open PATH inside the root with FLAGS (O_PATH is typical). */
int paths_open_in_root (int rootfd, const char *path, int flags, int *ret_fd, struct cfs_error **err);

/* Make sure PATH exists inside the root, making missing parents as
   directories and the last component as a directory or (AS_FILE) an empty
   file; return an O_PATH fd to it.  */
int paths_ensure_in_root (int rootfd, const char *path, bool as_file, int *ret_fd, struct cfs_error **err);

/* "/proc/self/fd/N" for an fd, in BUF. */
const char *paths_fd_path (int fd, char *buf, size_t size);

#endif
