/* The container start sequence, parent and child, in one place. */
#ifndef CFS_START_H
#define CFS_START_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cfsrun.h"

/* What create leaves to its caller.  */
struct start_created
{
  pid_t pid;           /* the container process, a child of the caller */
  int exec_fd;         /* RUN only: EOF at exec, else the error on the way */
  uint64_t oom_before; /* OOM kills in its memory cgroup before it joined */
};

/* `create`: every phase up to a container waiting for `start`.  On
   failure nothing is left behind.  CONSOLE_FD (or -1) is a connected socket
   for the pty master, used by `run` instead of --console-socket; it is
   consumed.  With RUN the container process does not wait for `start`:
   once created it goes straight on to exec, and RET->exec_fd tells how
   that went (start_wait_exec); there is no start.sock.  */
int start_create (const struct cfsrun_global *g, const struct cfsrun_create_options *o, int console_fd,
                  bool run, struct start_created *ret, struct cfs_error **err);

/* `start`: release a created container whose state directory is DIRFD
   (locked by the caller) into exec, and report whether exec succeeded.
   EXTRA_MS: what its startContainer hooks may take, on top of the bound
   of the wait.  */
int start_release (int dirfd, const char *id, int extra_ms, struct cfs_error **err);

/* Wait on FD, which closes when the process of container ID has exec'd
   its program, or carries the error it hit on the way; EXTRA_MS as above. */
int start_wait_exec (int fd, const char *id, int extra_ms, struct cfs_error **err);

#endif
