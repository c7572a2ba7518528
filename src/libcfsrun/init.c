/* The built-in init: PID 1 of a container that asks for it.
 *
 *   container process, set up (seal: from a sealed copy of cfsrun)
 *   block every signal, fork ──────────────────────────▶ program: own foreground
 *   │                                                    process group on a tty,
 *   init: close every fd past stdio (and so the start     unblock, exec (the start
 *   connection: EOF once the program is exec'd), wipe     connection closes at exec,
 *   our argv and environment, become dumpable, then       or carries the error)
 *   loop: SIGCHLD → reap every zombie; any other → forward it to the program
 *   program reaped → exit with its status (128+N when signal N killed it)
 *
 * Every signal stays blocked in the init and is taken with sigwaitinfo():
 * no handler runs, and a blocked signal is queued even for the PID 1 of a
 * pid namespace, which the kernel otherwise spares signals it has no
 * handler for.  The init has everything the container's process was given
 * (user, capabilities, seccomp filter, LSM label), and the filter must allow
 * what it needs: wait4, kill, rt_sigtimedwait, prctl.  It is cfsrun code for
 * the container's whole life, which is why create runs from a sealed copy of
 * cfsrun when it is asked for: /proc/1/exe is that copy, never the host's
 * binary, and nothing else of the host stays in reach (fds, root, cwd).  */
#include "init.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>

#include "util.h"

/* On the container's terminal, the program gets its own process group in
   the foreground, so the keys' signals reach it once, not through us too. */
static void
foreground (void)
{
  if (tcgetsid (STDIN_FILENO) == getsid (0) && setpgid (0, 0) == 0)
    tcsetpgrp (STDIN_FILENO, getpid ()); /* SIGTTOU is still blocked */
}

static void
close_from_3 (void)
{
  int fd;

  if (syscall (SYS_close_range, 3U, ~0U, 0) == 0)
    return;
  for (fd = 3; fd < 4096; fd++)
    close (fd);
}

/* cfsrun's arguments and environment (host paths, the caller's variables)
   are readable in /proc/1/cmdline and /proc/1/environ: wipe them in place,
   leaving "cfsrun-init" as the command line.  */
static void
wipe_args_and_env (void)
{
  _cleanup_free_ char *stat = NULL;
  unsigned long long a[4];
  const char *p;
  int i;

  if (util_read_file_at (AT_FDCWD, "/proc/self/stat", &stat, NULL, NULL) < 0
      || (p = strrchr (stat, ')')) == NULL)
    return;
  /* Fields 48-51 (arg_start, arg_end, env_start, env_end); ')' ends field
     2, and each turn moves to the space before field I.  */
  for (i = 3; i <= 48 && p; i++)
    p = strchr (p + 1, ' ');
  if (p == NULL || sscanf (p, " %llu %llu %llu %llu", &a[0], &a[1], &a[2], &a[3]) != 4 || a[1] <= a[0])
    return;
  memset ((void *)(uintptr_t)a[0], 0, a[1] - a[0]);
  if (a[3] > a[2])
    memset ((void *)(uintptr_t)a[2], 0, a[3] - a[2]);
  snprintf ((char *)(uintptr_t)a[0], a[1] - a[0], "cfsrun-init");
  prctl (PR_SET_NAME, "cfsrun-init", 0, 0, 0);
}

/* Reap every child that has exited; true once one was the program. */
static bool
reap (pid_t program, int *ret_status)
{
  bool done = false;
  pid_t pid;
  int st;

  while ((pid = waitpid (-1, &st, WNOHANG)) > 0)
    if (pid == program)
      {
        *ret_status = WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
        done = true;
      }
  return done;
}

static __attribute__ ((noreturn)) void
supervise (pid_t program, const sigset_t *all)
{
  int status = 255;

  for (;;)
    {
      int sig = sigwaitinfo (all, NULL);

      if (sig == SIGCHLD)
        {
          if (reap (program, &status))
            _exit (status);
        }
      else if (sig > 0)
        kill (program, sig);
    }
}

static __attribute__ ((noreturn)) void
become_init (pid_t program, const sigset_t *all)
{
  close_from_3 ();
  wipe_args_and_env ();
  /* Orphans come to us even when the container shares a pid namespace. */
  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  /* Like the program it stands in for: container processes of its user may
     read /proc/1 (exe is the sealed copy) and enter it (rootless exec).  */
  prctl (PR_SET_DUMPABLE, 1, 0, 0, 0);
  supervise (program, all);
}

int
init_fork (struct cfs_error **err)
{
  sigset_t all, old;
  pid_t pid;

  /* Blocked before fork: a signal for the program is queued for us. */
  sigfillset (&all);
  sigprocmask (SIG_SETMASK, &all, &old);
  pid = fork ();
  if (pid < 0)
    {
      sigprocmask (SIG_SETMASK, &old, NULL);
      return cfs_fail (err, CFS_E_PROCESS, errno, NULL, "the built-in init: fork the program");
    }
  if (pid > 0)
    become_init (pid, &all);
  foreground ();
  sigprocmask (SIG_SETMASK, &old, NULL);
  return 0;
}
