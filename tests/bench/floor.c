/* The floor under every runtime's `run`: what the kernel alone costs to
   start /bin/true in a container, with no runtime around it.  One
   invocation is one container, so that it is timed exactly as the runtimes
   are: process start included.

   It clones into new pid, network, ipc, uts and mount namespaces (the
   bench's bundle), makes the bundle's rootfs the root with pivot_root,
   mounts /proc and execs the command.  No cgroups, no /dev, no state, no
   config: everything a runtime does beyond this is its own cost.

   Usage: floor ROOTFS CMD [ARG...]  */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Says which step failed, so that a floor that cannot run is not mistaken
   for a fast one.  */
static int
step (int r, const char *what)
{
  if (r < 0)
    perror (what);
  return r;
}

static int
child (const char *rootfs, char **argv)
{
  if (step (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), "floor: make / private") < 0
      || step (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL), rootfs) < 0
      || step (chdir (rootfs), rootfs) < 0
      || step ((int)syscall (SYS_pivot_root, ".", "."), "floor: pivot_root") < 0
      || step (umount2 (".", MNT_DETACH), "floor: detach the old root") < 0 || step (chdir ("/"), "/") < 0
      || step (mount ("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), "floor: mount /proc")
             < 0)
    return 127;
  execv (argv[0], argv);
  perror (argv[0]);
  return 127;
}

int
main (int argc, char **argv)
{
  int flags = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS;
  int status;
  pid_t pid;

  if (argc < 3)
    {
      fprintf (stderr, "usage: floor ROOTFS CMD [ARG...]\n");
      return 2;
    }
  pid = (pid_t)syscall (SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0)
    {
      perror ("floor: clone");
      return 1;
    }
  if (pid == 0)
    _exit (child (argv[1], argv + 2));
  if (waitpid (pid, &status, 0) < 0)
    return 1;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
