/* Was it the OOM killer?  A container process that dies while cfsrun
   starts it, with no error of its own, is most often one whose memory
   limit is too small; the kernel counts those kills in the container's
   memory cgroup (v1 memory.oom_control, v2 memory.events), so cfsrun can
   say so (INIT_OOM_KILLED) instead of "exited unexpectedly".  */
#ifndef CFS_OOM_H
#define CFS_OOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* The number of OOM kills so far in the memory cgroup among LEAVES (the
   container's cgroup in each hierarchy); 0 when it has none.  */
uint64_t oom_kills (char *const *leaves, size_t n);

/* When the count is above BEFORE: replace *ERR (if any) by an
   INIT_OOM_KILLED error saying the process of container ID was killed by
   the OOM killer WHEN ("during create"), with the limit; return true.  */
bool oom_explain (char *const *leaves, size_t n, uint64_t before, const char *id, const char *when,
                  struct cfs_error **err);

#endif
