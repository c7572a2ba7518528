#include "sync.h"

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util.h"

/* The other side answers within milliseconds unless it is stuck; this
   bound turns a hang into an error that names who is stuck.  */
#define SYNC_TIMEOUT_MS 60000

static const char *const msg_names[SYNC_MAX] = {
  [SYNC_PARENT_READY] = "parent-ready",
  [SYNC_CREATE_HOOKS] = "create-hooks",
  [SYNC_HOOKS_DONE] = "hooks-done",
  [SYNC_CHILD_READY] = "child-ready",
  [SYNC_CREATED] = "created",
  [SYNC_SECCOMP_STATE] = "seccomp-state",
  [SYNC_ERROR] = "error",
};

int
sync_timeout_ms (void)
{
  /* Test-only: the timeout tests cannot wait a minute. */
  const char *v = getenv ("CFSRUN_TEST_SYNC_TIMEOUT_MS");
  int ms = v ? atoi (v) : 0;

  return ms > 0 ? ms : SYNC_TIMEOUT_MS;
}

int
sync_poll (int fd, int timeout_ms, const char *who, const char *what, struct cfs_error **err)
{
  struct pollfd p = { .fd = fd, .events = POLLIN };
  uint64_t deadline = util_now_ns () + (uint64_t)timeout_ms * 1000000ULL;
  int r;

  for (;;)
    {
      uint64_t now = util_now_ns ();

      r = now >= deadline ? 0 : poll (&p, 1, (int)((deadline - now) / 1000000) + 1);
      if (r > 0)
        return 0;
      if (r == 0)
        return cfs_fail (err, CFS_E_TIMEOUT, 0, NULL, "%s did not answer within %d s (waiting for %s)", who,
                         (timeout_ms + 999) / 1000, what);
      if (errno != EINTR)
        return cfs_fail (err, CFS_E_SYNC, errno, NULL, "wait for %s", who);
    }
}

int
sync_socketpair (int ret_fds[2], struct cfs_error **err)
{
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ret_fds) < 0)
    return cfs_fail (err, CFS_E_SYNC, errno, NULL, "create sync socket");
  return 0;
}

static int
send_msg (int fd, uint32_t type, const void *payload, size_t len)
{
  char buf[SYNC_MSG_MAX];

  if (len > sizeof buf - 4)
    len = sizeof buf - 4;
  memcpy (buf, &type, 4);
  if (len)
    memcpy (buf + 4, payload, len);
  while (send (fd, buf, len + 4, MSG_NOSIGNAL) < 0)
    if (errno != EINTR)
      return -errno;
  return 0;
}

int
sync_send (int fd, enum sync_msg msg, struct cfs_error **err)
{
  return sync_send_data (fd, msg, NULL, 0, err);
}

int
sync_send_data (int fd, enum sync_msg msg, const char *data, size_t len, struct cfs_error **err)
{
  int r = len > SYNC_MSG_MAX - 4 ? -EMSGSIZE : send_msg (fd, msg, data, len);

  if (r < 0)
    return cfs_fail (err, CFS_E_SYNC, -r, NULL, "send to the other cfsrun process");
  return 0;
}

void
sync_send_error (int fd, const struct cfs_error *e)
{
  _cleanup_free_ char *buf = NULL;
  size_t len = 0;

  if (e && cfs_error_serialize (e, &buf, &len) == 0)
    send_msg (fd, SYNC_ERROR, buf, len);
  else
    send_msg (fd, SYNC_ERROR, NULL, 0);
}

int
sync_wait (int fd, enum sync_msg expect, const char *who, struct cfs_error **err)
{
  return sync_wait_data (fd, expect, who, NULL, err);
}

int
sync_wait_data (int fd, enum sync_msg expect, const char *who, char **ret_data, struct cfs_error **err)
{
  return sync_wait_longer (fd, expect, who, 0, ret_data, err);
}

int
sync_wait_longer (int fd, enum sync_msg expect, const char *who, int extra_ms, char **ret_data,
                  struct cfs_error **err)
{
  char buf[SYNC_MSG_MAX], what[64];
  uint32_t type;
  ssize_t n;
  int r;

  snprintf (what, sizeof what, "`%s`", msg_names[expect]);
  if ((r = sync_poll (fd, sync_timeout_ms () + extra_ms, who, what, err)) < 0)
    return r;
  do
    n = recv (fd, buf, sizeof buf, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return cfs_fail (err, CFS_E_SYNC, errno, NULL, "wait for %s", who);
  if (n == 0)
    return cfs_fail (err, CFS_E_SYNC, 0, NULL, "%s exited unexpectedly", who);
  if (n < 4)
    return cfs_fail (err, CFS_E_SYNC, 0, NULL, "short message from %s", who);
  memcpy (&type, buf, 4);
  if (type == SYNC_ERROR)
    {
      struct cfs_error *e = cfs_error_deserialize (buf + 4, (size_t)n - 4);

      if (e == NULL)
        return cfs_fail (err, CFS_E_SYNC, ENOMEM, NULL, "%s failed", who);
      if (err && *err == NULL)
        *err = e;
      else
        cfs_error_free (e);
      return err && *err ? cfs_error_value (*err) : -EINVAL;
    }
  if (type != expect)
    return cfs_fail (err, CFS_E_SYNC, 0, NULL, "unexpected message %u from %s (wanted %u)", type, who,
                     expect);
  if (ret_data)
    {
      *ret_data = strndup (buf + 4, (size_t)n - 4);
      if (*ret_data == NULL)
        return cfs_fail (err, CFS_E_SYNC, ENOMEM, NULL, "message from %s", who);
    }
  return 0;
}
