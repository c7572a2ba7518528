#include "hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "log.h"
#include "trace.h"
#include "util.h"

/* Keep this much of a failing hook's stderr for the error message. */
#define HOOK_STDERR_MAX 2048

static int
hook_timeout_s (const struct oci_hook *h)
{
  return h->has_timeout && h->timeout > 0 ? h->timeout : HOOK_DEFAULT_TIMEOUT_S;
}

int
hooks_budget_ms (const struct oci_hook *hooks, size_t n)
{
  size_t i;
  int ms = 0;

  for (i = 0; i < n; i++)
    ms += hook_timeout_s (&hooks[i]) * 1000;
  return ms;
}

static __attribute__ ((noreturn)) void
hook_child (const struct oci_hook *h, char *const *env, int in, int errfd)
{
  static char *const empty[] = { NULL };
  char *const fallback[] = { h->path, NULL };
  sigset_t none;

  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  if (dup2 (in, 0) < 0 || dup2 (errfd, 2) < 0)
    _exit (127);
  /* A hook's stdout is noise to the caller of cfsrun: send it to stderr. */
  dup2 (errfd, 1);
  execve (h->path, h->args_len ? h->args : fallback, env ? env : h->env ? h->env : empty);
  dprintf (2, "exec `%s`: %s", h->path, strerror (errno));
  _exit (127);
}

/* Wait for PID for at most TIMEOUT_S seconds, reading its stderr
   meanwhile.  Returns the wait status, or -ETIMEDOUT.  */
static int
wait_hook (pid_t pid, int errfd, int timeout_s, char *buf, size_t size)
{
  int pidfd = (int)syscall (SYS_pidfd_open, pid, 0);
  uint64_t deadline = util_now_ns () + (uint64_t)timeout_s * 1000000000ULL;
  size_t len = 0;
  int st = 0;

  for (;;)
    {
      struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = errfd, .events = POLLIN } };
      uint64_t now = util_now_ns ();
      int ms, r;

      if (now >= deadline)
        break;
      ms = (int)((deadline - now) / 1000000) + 1;
      r = poll (p, errfd >= 0 ? 2 : 1, ms);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      if (p[1].revents && errfd >= 0)
        {
          char tmp[512];
          ssize_t n = read (errfd, tmp, sizeof tmp);

          if (n <= 0)
            errfd = -1;
          else if (len < size - 1)
            {
              size_t c = (size_t)n < size - 1 - len ? (size_t)n : size - 1 - len;

              memcpy (buf + len, tmp, c);
              len += c;
            }
        }
      if (p[0].revents)
        {
          waitpid (pid, &st, 0);
          close (pidfd);
          buf[len] = '\0';
          return st;
        }
    }
  kill (pid, SIGKILL);
  waitpid (pid, &st, 0);
  close (pidfd);
  buf[len] = '\0';
  return -ETIMEDOUT;
}

/* A hook may exit without reading its stdin: that EPIPE must not kill
   cfsrun with SIGPIPE.  */
static void
write_state (int fd, const char *json)
{
  struct sigaction ign = { .sa_handler = SIG_IGN }, old;

  sigaction (SIGPIPE, &ign, &old);
  util_write_all (fd, json, strlen (json));
  sigaction (SIGPIPE, &old, NULL);
}

static int
run_one (const struct oci_hook *h, size_t i, const char *kind, const char *state_json, struct cfs_error **err)
{
  _cleanup_ (trace_env_freep) char **env = trace_hook_env (h->env, h->env_len);
  int in[2], errp[2], st;
  char out[HOOK_STDERR_MAX];
  pid_t pid;

  if (pipe2 (in, O_CLOEXEC) < 0)
    return cfs_fail (err, CFS_E_HOOK_FAILED, errno, h->path, "hooks.%s[%zu]: create pipe for", kind, i);
  if (pipe2 (errp, O_CLOEXEC) < 0)
    {
      close (in[0]);
      close (in[1]);
      return cfs_fail (err, CFS_E_HOOK_FAILED, errno, h->path, "hooks.%s[%zu]: create pipe for", kind, i);
    }
  pid = fork ();
  if (pid == 0)
    hook_child (h, env, in[0], errp[1]);
  close (in[0]);
  close (errp[1]);
  if (pid < 0)
    {
      close (in[1]);
      close (errp[0]);
      return cfs_fail (err, CFS_E_HOOK_FAILED, errno, h->path, "hooks.%s[%zu]: fork for", kind, i);
    }
  /* The state is small (well under a pipe buffer); a hook that does not
     read it must not block us, hence no wait on the write.  */
  fcntl (in[1], F_SETFL, O_NONBLOCK);
  write_state (in[1], state_json);
  close (in[1]);
  st = wait_hook (pid, errp[0], hook_timeout_s (h), out, sizeof out);
  close (errp[0]);
  for (size_t l = strlen (out); l > 0 && (out[l - 1] == '\n' || out[l - 1] == ' '); l--)
    out[l - 1] = '\0';
  if (st == -ETIMEDOUT && h->has_timeout && h->timeout > 0)
    return cfs_fail (err, CFS_E_HOOK_TIMEOUT, 0, h->path,
                     "hooks.%s[%zu]: killed after its timeout of %d s:", kind, i, h->timeout);
  if (st == -ETIMEDOUT)
    return cfs_fail (err, CFS_E_HOOK_TIMEOUT, 0, h->path,
                     "hooks.%s[%zu]: killed after %d s, the bound for a hook with no `timeout`:", kind, i,
                     HOOK_DEFAULT_TIMEOUT_S);
  if (WIFEXITED (st) && WEXITSTATUS (st) == 0)
    return 0;
  if (WIFSIGNALED (st))
    return cfs_fail (err, CFS_E_HOOK_FAILED, 0, h->path, "hooks.%s[%zu]: `%s` killed by signal %d%s%s", kind,
                     i, h->path, WTERMSIG (st), out[0] ? ": " : "", out);
  return cfs_fail (err, CFS_E_HOOK_FAILED, 0, h->path, "hooks.%s[%zu]: `%s` exited with status %d%s%s", kind,
                   i, h->path, WEXITSTATUS (st), out[0] ? ": " : "", out);
}

int
hooks_run (const struct oci_hook *hooks, size_t n, const char *kind, const char *state_json,
           struct cfs_error **err)
{
  size_t i;
  int r;

  for (i = 0; i < n; i++)
    if ((r = run_one (&hooks[i], i, kind, state_json, err)) < 0)
      return r;
  return 0;
}

void
hooks_run_warn (const struct oci_hook *hooks, size_t n, const char *kind, const char *state_json)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      struct cfs_error *e = NULL;

      if (run_one (&hooks[i], i, kind, state_json, &e) < 0)
        {
          _cleanup_free_ char *text = cfs_error_text (e);

          cfs_log_warning ("%s, ignoring", text ? text : "hook failed");
        }
      cfs_error_free (e);
    }
}
