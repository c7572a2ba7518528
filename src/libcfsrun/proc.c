#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

int
proc_pid_stat (pid_t pid, char *ret_state, uint64_t *ret_start_time)
{
  char path[64], buf[1024], *p;
  _cleanup_close_ int fd = -1;
  ssize_t n;
  int field;

  snprintf (path, sizeof path, "/proc/%d/stat", (int)pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  /* One read: the kernel makes the whole line at once, and a read to
     see EOF would only add a system call to every status check.  */
  do
    n = read (fd, buf, sizeof buf - 1);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -errno;
  buf[n] = '\0';
  /* comm (field 2) may contain spaces and parentheses: skip to the last ')'. */
  p = strrchr (buf, ')');
  if (p == NULL || p[1] != ' ')
    return -EINVAL;
  p += 2;
  if (ret_state)
    *ret_state = *p;
  for (field = 3; field < 22 && p; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  if (p == NULL)
    return -EINVAL;
  if (ret_start_time)
    *ret_start_time = strtoull (p, NULL, 10);
  return 0;
}

/* PID_FS_MAGIC: since Linux 6.9 a pidfd is a file of pidfs, whose inode
   numbers are 64-bit, one per process, and never reused. */
#define CFS_PIDFS_MAGIC 0x50494446

uint64_t
proc_pidfd_ino (int pidfd)
{
  struct statfs sfs;
  struct stat st;

  if (sizeof st.st_ino < 8 || fstatfs (pidfd, &sfs) < 0 || sfs.f_type != CFS_PIDFS_MAGIC
      || fstat (pidfd, &st) < 0)
    return 0;
  return st.st_ino;
}

static bool
pidfd_has_exited (int pidfd)
{
  struct pollfd p = { .fd = pidfd, .events = POLLIN };
  int r;

  /* Readable once the process has exited, zombie or not. */
  do
    r = poll (&p, 1, 0);
  while (r < 0 && errno == EINTR);
  return r > 0;
}

static bool
stat_is_running (pid_t pid, uint64_t start_time)
{
  char state = 0;
  uint64_t start = 0;

  if (proc_pid_stat (pid, &state, &start) < 0)
    return false;
  return start == start_time && state != 'Z' && state != 'X' && state != 'x';
}

bool
proc_pidfd_is_running (int pidfd, pid_t pid, uint64_t start_time, uint64_t pidfs_ino)
{
  struct stat st;

  if (pidfs_ino == 0)
    return stat_is_running (pid, start_time);
  return fstat (pidfd, &st) == 0 && st.st_ino == pidfs_ino && !pidfd_has_exited (pidfd);
}

bool
proc_pid_is_running (pid_t pid, uint64_t start_time, uint64_t pidfs_ino)
{
  _cleanup_close_ int fd = -1;

  if (pid <= 0)
    return false;
  if (pidfs_ino == 0)
    return stat_is_running (pid, start_time);
  /* Half the cost of reading /proc/PID/stat, which list pays per container. */
  fd = (int)syscall (SYS_pidfd_open, pid, 0);
  if (fd < 0)
    return errno == ENOSYS ? stat_is_running (pid, start_time) : false;
  return proc_pidfd_is_running (fd, pid, start_time, pidfs_ino);
}
