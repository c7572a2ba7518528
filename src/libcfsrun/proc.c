#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

bool
proc_pid_is_running (pid_t pid, uint64_t start_time)
{
  char state = 0;
  uint64_t start = 0;

  if (pid <= 0 || proc_pid_stat (pid, &state, &start) < 0)
    return false;
  return start == start_time && state != 'Z' && state != 'X' && state != 'x';
}
