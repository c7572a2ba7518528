#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <time.h>

int
util_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;

  while (len > 0)
    {
      ssize_t n = write (fd, p, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -errno;
      p += n;
      len -= (size_t)n;
    }
  return 0;
}

ssize_t
util_read_all (int fd, void *buf, size_t len)
{
  size_t done = 0;

  while (done < len)
    {
      ssize_t n = read (fd, (char *)buf + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -errno;
      if (n == 0)
        break;
      done += (size_t)n;
    }
  return (ssize_t)done;
}

int
util_read_fd (int fd, const char *what, char **ret, size_t *ret_len, struct cfs_error **err)
{
  size_t cap = 4096, len = 0;
  _cleanup_free_ char *buf = malloc (cap);

  if (buf == NULL)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, what, "read");
  for (;;)
    {
      ssize_t n;

      if (cap - len < 2)
        {
          char *nbuf = realloc (buf, cap * 2);

          if (nbuf == NULL)
            return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, what, "read");
          buf = nbuf;
          cap *= 2;
        }
      n = read (fd, buf + len, cap - len - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return cfs_fail (err, CFS_E_SYSTEM, errno, what, "read");
      if (n == 0)
        break;
      len += (size_t)n;
    }
  buf[len] = '\0';
  if (ret_len)
    *ret_len = len;
  *ret = TAKE_PTR (buf);
  return 0;
}

int
util_read_file_at (int dirfd, const char *path, char **ret, size_t *ret_len, struct cfs_error **err)
{
  _cleanup_close_ int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return cfs_fail (err, CFS_E_SYSTEM, errno, path, "open");
  return util_read_fd (fd, path, ret, ret_len, err);
}

int
util_write_file_atomic_at (int dirfd, const char *name, const char *data, size_t len, struct cfs_error **err)
{
  char tmp[256];
  _cleanup_close_ int fd = -1;
  int r;

  snprintf (tmp, sizeof tmp, ".%s.tmp", name);
  fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return cfs_fail (err, CFS_E_STATE_STORE, errno, name, "create");
  r = util_write_all (fd, data, len);
  if (r < 0)
    {
      unlinkat (dirfd, tmp, 0);
      return cfs_fail (err, CFS_E_STATE_STORE, -r, name, "write");
    }
  if (renameat (dirfd, tmp, dirfd, name) < 0)
    {
      int saved = errno;

      unlinkat (dirfd, tmp, 0);
      return cfs_fail (err, CFS_E_STATE_STORE, saved, name, "rename");
    }
  return 0;
}

int
util_write_file_at (int dirfd, const char *path, const char *data, size_t len, struct cfs_error **err)
{
  _cleanup_close_ int fd = openat (dirfd, path, O_WRONLY | O_CLOEXEC);
  int r;

  if (fd < 0)
    return cfs_fail (err, CFS_E_SYSTEM, errno, path, "open");
  r = util_write_all (fd, data, len);
  if (r < 0)
    return cfs_fail (err, CFS_E_SYSTEM, -r, path, "write `%.*s` to", (int)(len > 64 ? 64 : len), data);
  return 0;
}

uint64_t
util_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int
util_rfc3339_now (char *buf, size_t size)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  return util_rfc3339 (&ts, buf, size);
}

/* YYYY-MM-DDTHH:MM:SS.NNNNNNNNNZ into BUF; digits by hand, as printf's
   padded widths bring in more of its machinery than this is worth.  */
static int
fixed_digits (char *buf, size_t size, long long y, int m, int d, long long secs, long nsec)
{
  const struct
  {
    long long v;
    int width;
    char after;
  } parts[] = { { y, 4, '-' },
                { m, 2, '-' },
                { d, 2, 'T' },
                { secs / 3600, 2, ':' },
                { secs / 60 % 60, 2, ':' },
                { secs % 60, 2, '.' },
                { nsec, 9, 'Z' } };
  char out[40], *p = out;
  size_t i;

  if (y < 0 || y > 9999)
    return snprintf (buf, size, "%lld-%02d-%02dT%02lld:%02lld:%02lld.%09ldZ", y, m, d, secs / 3600,
                     secs / 60 % 60, secs % 60, nsec);
  for (i = 0; i < sizeof parts / sizeof parts[0]; i++)
    {
      long long v = parts[i].v;
      int k;

      for (k = parts[i].width - 1; k >= 0; k--, v /= 10)
        p[k] = (char)('0' + v % 10);
      p += parts[i].width;
      *p++ = parts[i].after;
    }
  *p = '\0';
  return snprintf (buf, size, "%s", out);
}

int
util_rfc3339 (const struct timespec *ts, char *buf, size_t size)
{
  long long days, secs, era, doe, yoe, doy, mp, y;
  int m, d;

  /* UTC by hand: gmtime_r and strftime would first load the time zone
     (tzset reads /etc/localtime), which UTC does not need.  Civil date
     from days since 1970-01-01, in 400-year eras of 146097 days, with
     years starting in March so that the leap day is the last.  */
  days = ts->tv_sec / 86400;
  secs = ts->tv_sec % 86400;
  if (secs < 0)
    secs += 86400, days--;
  days += 719468; /* 0000-03-01 to 1970-01-01 */
  era = (days >= 0 ? days : days - 146096) / 146097;
  doe = days - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  d = (int)(doy - (153 * mp + 2) / 5 + 1);
  m = (int)(mp < 10 ? mp + 3 : mp - 9);
  y = yoe + era * 400 + (m <= 2);
  return fixed_digits (buf, size, y, m, d, secs, ts->tv_nsec);
}

bool
util_str_has_prefix (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

bool
util_token_in (const char *list, const char *seps, const char *word)
{
  size_t wlen = strlen (word);

  while (*list)
    {
      size_t len = strcspn (list, seps);

      if (len == wlen && strncmp (list, word, len) == 0)
        return true;
      list += len;
      list += strspn (list, seps);
    }
  return false;
}

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

int
util_cloexec_from (int from)
{
  int fd;

  if (syscall (SYS_close_range, (unsigned)from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return 0;
  /* Kernels before 5.11: walk the fds one by one. */
  for (fd = from; fd < 4096; fd++)
    {
      int flags = fcntl (fd, F_GETFD);

      if (flags >= 0 && !(flags & FD_CLOEXEC))
        fcntl (fd, F_SETFD, flags | FD_CLOEXEC);
    }
  return 0;
}

int
util_unix_connect (const char *path, int *ret_fd)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  if (strlen (path) >= sizeof addr.sun_path)
    return -ENAMETOOLONG;
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  if (connect (fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    {
      int saved = errno;

      close (fd);
      return -saved;
    }
  *ret_fd = fd;
  return 0;
}

int
util_write_pid_file (const char *path, pid_t pid, struct cfs_error **err)
{
  char tmp[4096], buf[32];
  int n = snprintf (buf, sizeof buf, "%d", (int)pid);
  _cleanup_close_ int fd = -1;

  snprintf (tmp, sizeof tmp, "%s.tmp", path);
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || util_write_all (fd, buf, (size_t)n) < 0 || rename (tmp, path) < 0)
    {
      int saved = errno;

      unlink (tmp);
      return cfs_fail (err, CFS_E_STATE_STORE, saved, path, "--pid-file: write");
    }
  return 0;
}

int
util_send_fd (int sock, int fd, const void *data, size_t len)
{
  char buf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof buf };
  struct cmsghdr *c;

  memset (buf, 0, sizeof buf);
  c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof fd);
  while (sendmsg (sock, &msg, MSG_NOSIGNAL) < 0)
    if (errno != EINTR)
      return -errno;
  return 0;
}

bool
util_proc_devices_name (bool block, int major, char *buf, size_t size)
{
  _cleanup_fclose_ FILE *f = fopen ("/proc/devices", "re");
  char line[256];
  bool in_block = false;

  if (f == NULL)
    return false;
  while (fgets (line, sizeof line, f))
    {
      int m;
      char name[128];

      if (strncmp (line, "Block devices:", 14) == 0)
        in_block = true;
      else if (in_block == block && sscanf (line, "%d %127s", &m, name) == 2 && m == major)
        {
          snprintf (buf, size, "%s", name);
          return true;
        }
    }
  return false;
}

static bool
on_procfs (int fd)
{
  struct statfs sfs;

  return fstatfs (fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

static uint64_t
mount_id_of (int fd)
{
  struct statx stx;

  if (statx (fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
    return UINT64_MAX;
  return stx.stx_mnt_id;
}

int
util_open_proc (const char *path, int flags)
{
  struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC | O_NOCTTY),
                          .resolve = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS };
  _cleanup_close_ int proc = open ("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  int fd;

  if (proc < 0)
    return -1;
  if (!on_procfs (proc) || strncmp (path, "/proc/", 6) != 0)
    {
      errno = EXDEV;
      return -1;
    }
  fd = (int)syscall (SYS_openat2, proc, path + 6, &how, sizeof how);
  /* No openat2 (valgrind does not know it): open, then check the file is
     on the very mount /proc is, which no overmount is.  */
  if (fd < 0 && errno == ENOSYS && (fd = openat (proc, path + 6, flags | O_CLOEXEC | O_NOCTTY)) >= 0
      && mount_id_of (fd) != mount_id_of (proc))
    {
      close (fd);
      errno = EXDEV;
      return -1;
    }
  if (fd >= 0 && !on_procfs (fd))
    {
      close (fd);
      errno = EXDEV;
      return -1;
    }
  return fd;
}

int
util_write_proc (const char *path, const char *data, size_t len, struct cfs_error **err)
{
  _cleanup_close_ int fd = util_open_proc (path, O_WRONLY);

  if (fd < 0)
    return cfs_fail (err, CFS_E_SYSTEM, errno, path, errno == EXDEV ? "open (not procfs)" : "open");
  if (util_write_all (fd, data, len) < 0)
    return cfs_fail (err, CFS_E_SYSTEM, errno, path, "write");
  return 0;
}
