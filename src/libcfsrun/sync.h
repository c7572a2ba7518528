/* Messages between `cfsrun create` and the container process it cloned,
   over a SOCK_SEQPACKET socketpair (one message per send, and EOF when the
   other side dies, so no wait can outlive its peer).

   parent                               child
     clone ───────────────────────────▶ into its cgroup, join namespaces
     id maps, systemd ─ SYNC_PARENT_READY ▶ (waits, only when these apply)
                                         mounts, pivot, devices, process
     ◀──────────────── SYNC_CHILD_READY  (or SYNC_ERROR with the error)
     record "created" ─ SYNC_CREATED ──▶ wait for `start` on start.sock
                                         (`run`: straight on to exec; EOF,
     ◀──────────────── EOF at exec        or SYNC_ERROR, tells `run` how
                                          that went)  */
#ifndef CFS_SYNC_H
#define CFS_SYNC_H

#include <stddef.h>

#include "error.h"

/* The largest message: big enough for a state JSON with many annotations. */
#define SYNC_MSG_MAX 65536

enum sync_msg
{
  SYNC_PARENT_READY = 1,
  SYNC_CREATE_HOOKS, /* child: mounts done, run prestart/createRuntime now */
  SYNC_HOOKS_DONE,   /* parent: done; payload: the state JSON for createContainer */
  SYNC_CHILD_READY,
  SYNC_CREATED,
  SYNC_SECCOMP_STATE, /* parent: the seccomp listener's message, with notify */
  SYNC_ERROR,
  SYNC_EXEC_PID, /* exec, first stage: the pid of the second (sealed-exe.c) */
  SYNC_MAX,
};

int sync_socketpair (int ret_fds[2], struct cfs_error **err);
int sync_send (int fd, enum sync_msg msg, struct cfs_error **err);
int sync_send_data (int fd, enum sync_msg msg, const char *data, size_t len, struct cfs_error **err);

/* Send E to the peer (the child reports its failure this way). */
void sync_send_error (int fd, const struct cfs_error *e);

/* Wait for EXPECT.  A SYNC_ERROR from the peer becomes *err; EOF means the
   peer died and is reported with WHO.  Every wait is bounded by
   sync_timeout_ms (): a stuck peer is a TIMEOUT error naming WHO and the
   message awaited.  */
int sync_wait (int fd, enum sync_msg expect, const char *who, struct cfs_error **err);

/* The same, returning the payload (NUL-terminated, malloc'd) if any. */
int sync_wait_data (int fd, enum sync_msg expect, const char *who, char **ret_data, struct cfs_error **err);

/* The same, with EXTRA_MS more time: the peer runs hooks meanwhile. */
int sync_wait_longer (int fd, enum sync_msg expect, const char *who, int extra_ms, char **ret_data,
                      struct cfs_error **err);

/* The bound on a wait for another process of cfsrun's (60 s;
   CFSRUN_TEST_SYNC_TIMEOUT_MS=N sets it for tests).  */
int sync_timeout_ms (void);

/* Wait until FD is readable, at most TIMEOUT_MS; on timeout a TIMEOUT error
   "WHO did not answer within N s (waiting for WHAT)".  */
int sync_poll (int fd, int timeout_ms, const char *who, const char *what, struct cfs_error **err);

#endif
