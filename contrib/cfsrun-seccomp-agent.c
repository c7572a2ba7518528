/* cfsrun-seccomp-agent: an example seccomp notify listener.
 *
 * usage: cfsrun-seccomp-agent SOCKET [ERRNO]
 *
 * Listens on the unix socket SOCKET (the config's linux.seccomp.listenerPath),
 * takes one container: its seccomp notification fd (SCM_RIGHTS) and the
 * containerProcessState JSON, which it prints.  Then it answers every
 * notified syscall: with ERRNO when given, else with success (0) without
 * running it, printing the syscall's name.  It exits when the container's
 * filter goes away.  */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int
receive (int conn, char *state, size_t size)
{
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = state, .iov_len = size - 1 };
  struct msghdr msg
      = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  struct cmsghdr *c;
  ssize_t n = recvmsg (conn, &msg, 0);
  int fd;

  if (n <= 0 || (c = CMSG_FIRSTHDR (&msg)) == NULL || c->cmsg_type != SCM_RIGHTS)
    return -1;
  state[n] = '\0';
  memcpy (&fd, CMSG_DATA (c), sizeof fd);
  return fd;
}

int
main (int argc, char **argv)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct seccomp_notif *req;
  struct seccomp_notif_resp *resp;
  char state[65536];
  int srv, conn, fd, err = argc > 2 ? atoi (argv[2]) : 0;

  if (argc < 2 || strlen (argv[1]) >= sizeof addr.sun_path)
    {
      fprintf (stderr, "usage: cfsrun-seccomp-agent SOCKET [ERRNO]\n");
      return 2;
    }
  strcpy (addr.sun_path, argv[1]);
  srv = socket (AF_UNIX, SOCK_STREAM, 0);
  if (srv < 0 || bind (srv, (struct sockaddr *)&addr, sizeof addr) < 0 || listen (srv, 1) < 0)
    {
      perror ("cfsrun-seccomp-agent: listen");
      return 1;
    }
  printf ("listening\n");
  fflush (stdout);
  conn = accept (srv, NULL, NULL);
  fd = conn < 0 ? -1 : receive (conn, state, sizeof state);
  if (fd < 0)
    {
      fprintf (stderr, "cfsrun-seccomp-agent: no seccomp fd received\n");
      return 1;
    }
  printf ("state %s\n", state);
  fflush (stdout);
  if (seccomp_notify_alloc (&req, &resp) < 0)
    return 1;
  for (;;)
    {
      char *name;

      memset (req, 0, sizeof *req);
      if (seccomp_notify_receive (fd, req) < 0)
        break;
      name = seccomp_syscall_resolve_num_arch (req->data.arch, req->data.nr);
      printf ("syscall %s pid %u\n", name ? name : "?", req->pid);
      fflush (stdout);
      free (name);
      resp->id = req->id;
      resp->val = 0;
      resp->error = err ? -err : 0;
      resp->flags = 0;
      if (seccomp_notify_respond (fd, resp) < 0 && errno != ENOENT)
        break;
    }
  seccomp_notify_free (req, resp);
  unlink (argv[1]);
  return 0;
}
