/* Shared by the files that implement the commands on an existing
   container (container.c, container-cgroup.c). */
#ifndef CFS_CONTAINER_H
#define CFS_CONTAINER_H

#include "cfsrun.h"
#include "state.h"

/* A container opened for a command: its directory (locked), record and status. */
struct opened
{
  int rootfd;
  int dirfd;
  struct cfs_record *rec;
  const char *status;
};

int open_container (const struct cfsrun_global *g, const char *id, int lock_op, struct opened *ret,
                    struct cfs_error **err);
void opened_done (struct opened *o);

#endif
