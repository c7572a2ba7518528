/* The container start sequence, parent and child, in one place. */
#ifndef CFS_START_H
#define CFS_START_H

#include <sys/types.h>

#include "cfsrun.h"

/* `create`: every phase up to a container waiting for `start`.  On
   success *RET_PID is the container process (a child of the caller); on
   failure nothing is left behind.  CONSOLE_FD (or -1) is a connected socket
   for the pty master, used by `run` instead of --console-socket; it is
   consumed.  */
int start_create (const struct cfsrun_global *g, const struct cfsrun_create_options *o, int console_fd,
                  pid_t *ret_pid, struct cfs_error **err);

/* `start`: release a created container whose state directory is DIRFD
   (locked by the caller) into exec, and report whether exec succeeded.
   EXTRA_MS: what its startContainer hooks may take, on top of the bound
   of the wait.  */
int start_release (int dirfd, const char *id, int extra_ms, struct cfs_error **err);

#endif
