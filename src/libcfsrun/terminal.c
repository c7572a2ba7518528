#include "terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "util.h"

int
terminal_connect (const char *path, int *ret_fd, struct cfs_error **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  if (strlen (path) >= sizeof addr.sun_path)
    return cfs_fail (err, CFS_E_USAGE, ENAMETOOLONG, path, "--console-socket");
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return cfs_fail (err, CFS_E_PROCESS, errno, path, "--console-socket: create socket for");
  if (connect (fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    {
      int saved = errno;

      close (fd);
      return cfs_fail (err, CFS_E_USAGE, saved, path, "--console-socket: connect to");
    }
  *ret_fd = fd;
  return 0;
}

int
terminal_receive (int sockfd, int *ret_master, struct cfs_error **err)
{
  char buf[CMSG_SPACE (sizeof (int))], name[256];
  struct iovec iov = { .iov_base = name, .iov_len = sizeof name };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof buf };
  struct cmsghdr *c;
  ssize_t n;

  do
    n = recvmsg (sockfd, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  c = n > 0 ? CMSG_FIRSTHDR (&msg) : NULL;
  if (c == NULL || c->cmsg_type != SCM_RIGHTS)
    return cfs_fail (err, CFS_E_PROCESS, n < 0 ? errno : 0, NULL, "receive the terminal of the container");
  memcpy (ret_master, CMSG_DATA (c), sizeof (int));
  return 0;
}

/* /dev/console is the terminal: bind the slave over it (made if missing). */
static int
bind_console (const char *slave, struct cfs_error **err)
{
  int fd = open ("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);

  if (fd < 0 && errno != EEXIST)
    return cfs_fail (err, CFS_E_DEVICE, errno, "/dev/console", "create");
  if (fd >= 0)
    close (fd);
  if (mount (slave, "/dev/console", NULL, MS_BIND, NULL) < 0)
    return cfs_fail (err, CFS_E_DEVICE, errno, "/dev/console", "bind the terminal `%s` on", slave);
  return 0;
}

int
terminal_open (int sockfd, const struct oci_process *p, bool dev_console, int *ret_slave,
               struct cfs_error **err)
{
  _cleanup_close_ int master = -1, slave = -1;
  char name[64];
  int r;

  master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return cfs_fail (err, CFS_E_DEVICE, errno, "/dev/ptmx", "process.terminal: open (is /dev/pts mounted?)");
  if (unlockpt (master) < 0 || ptsname_r (master, name, sizeof name) != 0)
    return cfs_fail (err, CFS_E_DEVICE, errno, "/dev/ptmx", "process.terminal: unlock the pty of");
  slave = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return cfs_fail (err, CFS_E_DEVICE, errno, name, "process.terminal: open");
  /* The process user owns its terminal; the group stays the one devpts
     gave it (its gid= option: the tty group), as login(1) and runc leave it.  */
  if (p->user && fchown (slave, p->user->uid, (gid_t)-1) < 0)
    return cfs_fail (err, CFS_E_DEVICE, errno, name, "process.terminal: give the pty to the process user:");
  if (p->console_size)
    {
      struct winsize ws = { .ws_row = (unsigned short)p->console_size->height,
                            .ws_col = (unsigned short)p->console_size->width };

      if (ioctl (slave, TIOCSWINSZ, &ws) < 0)
        return cfs_fail (err, CFS_E_DEVICE, errno, name, "process.consoleSize: set on");
    }
  if (dev_console && (r = bind_console (name, err)) < 0)
    return r;
  r = util_send_fd (sockfd, master, name, strlen (name) + 1);
  if (r < 0)
    return cfs_fail (err, CFS_E_PROCESS, -r, NULL, "--console-socket: send the terminal");
  *ret_slave = TAKE_FD (slave);
  return 0;
}

int
terminal_attach (int slave, struct cfs_error **err)
{
  int i;

  if (setsid () < 0 || ioctl (slave, TIOCSCTTY, 0) < 0)
    return cfs_fail (err, CFS_E_DEVICE, errno, NULL,
                     "process.terminal: make the pty the controlling terminal");
  for (i = 0; i < 3; i++)
    if (dup2 (slave, i) < 0)
      return cfs_fail (err, CFS_E_DEVICE, errno, NULL, "process.terminal: use the pty as stdio");
  return 0;
}

int
terminal_setup (int sockfd, const struct oci_process *p, bool dev_console, struct cfs_error **err)
{
  _cleanup_close_ int slave = -1;
  int r = terminal_open (sockfd, p, dev_console, &slave, err);

  return r < 0 ? r : terminal_attach (slave, err);
}

static volatile sig_atomic_t winch;

static void
on_winch (int sig)
{
  (void)sig;
  winch = 1;
}

static void
copy_winsize (int master)
{
  struct winsize ws;

  if (ioctl (0, TIOCGWINSZ, &ws) == 0)
    ioctl (master, TIOCSWINSZ, &ws);
}

/* Copy what is readable on FROM to TO; false at EOF or error. */
static bool
pump (int from, int to)
{
  char buf[8192];
  ssize_t n = read (from, buf, sizeof buf);

  if (n <= 0)
    return n < 0 && errno == EINTR;
  return util_write_all (to, buf, (size_t)n) == 0;
}

void
terminal_proxy (int master, int pid)
{
  int pidfd = (int)syscall (SYS_pidfd_open, pid, 0);
  bool raw = isatty (0), in_open = true;
  struct termios saved, t;
  struct sigaction sa = { .sa_handler = on_winch };

  if (raw && tcgetattr (0, &saved) == 0)
    {
      t = saved;
      cfmakeraw (&t);
      tcsetattr (0, TCSANOW, &t);
      copy_winsize (master);
    }
  else
    raw = false;
  sigaction (SIGWINCH, &sa, NULL);
  for (;;)
    {
      struct pollfd p[3] = { { .fd = master, .events = POLLIN },
                             { .fd = pidfd, .events = POLLIN },
                             { .fd = in_open ? 0 : -1, .events = POLLIN } };

      if (winch)
        {
          winch = 0;
          copy_winsize (master);
        }
      if (poll (p, 3, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (p[0].revents & POLLIN)
        pump (master, 1);
      else if (p[0].revents & (POLLHUP | POLLERR))
        break;
      if (p[2].revents && !pump (0, master))
        in_open = false;
      if (p[1].revents)
        {
          /* The process is gone: drain what it wrote last. */
          fcntl (master, F_SETFL, O_NONBLOCK);
          while (pump (master, 1))
            ;
          break;
        }
    }
  if (raw)
    tcsetattr (0, TCSANOW, &saved);
  if (pidfd >= 0)
    close (pidfd);
}
