#include "paths.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "util.h"

static int
openat2_in_root (int rootfd, const char *path, int flags)
{
  struct open_how how = {
    .flags = (uint64_t)(flags | O_CLOEXEC),
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  int fd;

  /* openat2 wants a path relative to the root fd; "" means the root. */
  while (*path == '/')
    path++;
  if (*path == '\0')
    path = ".";
  do
    fd = (int)syscall (SYS_openat2, rootfd, path, &how, sizeof how);
  while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  return fd < 0 ? -errno : fd;
}

int
paths_open_in_root (int rootfd, const char *path, int flags, int *ret_fd, struct cfs_error **err)
{
  int fd = openat2_in_root (rootfd, path, flags);

  if (fd < 0)
    return cfs_fail (err, CFS_E_MOUNT, -fd, path, "resolve inside the container root");
  *ret_fd = fd;
  return 0;
}

/* Create the last component of PREFIX (parent already exists) through an fd
   of its parent, so the creation cannot be redirected either.  */
static int
create_component (int rootfd, char *prefix, bool as_file)
{
  char *slash = strrchr (prefix, '/');
  const char *name = slash ? slash + 1 : prefix;
  _cleanup_close_ int parent = -1;
  int r = 0;

  if (slash)
    {
      *slash = '\0';
      parent = openat2_in_root (rootfd, prefix, O_PATH | O_DIRECTORY);
      *slash = '/';
    }
  else
    parent = openat2_in_root (rootfd, ".", O_PATH | O_DIRECTORY);
  if (parent < 0)
    return parent;
  if (as_file)
    {
      int fd = openat (parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

      if (fd < 0)
        r = -errno;
      else
        close (fd);
    }
  else if (mkdirat (parent, name, 0755) < 0)
    r = -errno;
  return r == -EEXIST ? 0 : r;
}

/* PREFIX (NUL-terminated in BUF at I) is a symlink that points nowhere:
   rewrite BUF to its target followed by the rest of the path, interpreted
   inside the root, so the target is created there (as runc does).  */
static int
follow_dangling (int rootfd, char *buf, size_t size, size_t i, size_t len)
{
  char *slash = strrchr (buf, '/'), target[4096], rest[4096], out[4096];
  _cleanup_close_ int parent = -1;
  ssize_t n;

  if (slash)
    *slash = '\0';
  parent = openat2_in_root (rootfd, slash ? buf : ".", O_PATH | O_DIRECTORY);
  if (slash)
    *slash = '/';
  if (parent < 0)
    return parent;
  n = readlinkat (parent, slash ? slash + 1 : buf, target, sizeof target - 1);
  if (n < 0)
    return -ENOENT;
  target[n] = '\0';
  snprintf (rest, sizeof rest, "%s", i < len ? buf + i + 1 : "");
  if (slash)
    *slash = '\0';
  if (snprintf (out, sizeof out, "%s%s%s%s%s", target[0] == '/' ? "" : (slash ? buf : ""),
                target[0] == '/' || !slash ? "" : "/", target, rest[0] ? "/" : "", rest)
      >= (int)sizeof out)
    return -ENAMETOOLONG;
  snprintf (buf, size, "%s", out);
  return 0;
}

static int
ensure (int rootfd, const char *path, bool as_file, int depth, int *ret_fd, struct cfs_error **err)
{
  char buf[4096];
  size_t len, i;
  int fd, r;

  while (*path == '/')
    path++;
  len = strlen (path);
  if (len >= sizeof buf)
    return cfs_fail (err, CFS_E_MOUNT, ENAMETOOLONG, path, "resolve inside the container root");
  memcpy (buf, path, len + 1);
  while (len > 0 && buf[len - 1] == '/')
    buf[--len] = '\0';
  fd = openat2_in_root (rootfd, buf, O_PATH);
  if (fd >= 0)
    {
      *ret_fd = fd;
      return 0;
    }
  if (fd != -ENOENT)
    return cfs_fail (err, CFS_E_MOUNT, -fd, path, "resolve inside the container root");
  /* Mostly only the last component is missing (/dev/pts in a fresh
     /dev): make it in its parent, without walking from the top.  */
  if (create_component (rootfd, buf, as_file) == 0 && (fd = openat2_in_root (rootfd, buf, O_PATH)) >= 0)
    {
      *ret_fd = fd;
      return 0;
    }
  /* Walk the prefixes, creating each missing one. */
  for (i = 1; i <= len; i++)
    {
      bool last = i == len;

      if (!last && buf[i] != '/')
        continue;
      buf[i] = '\0';
      fd = openat2_in_root (rootfd, buf, O_PATH);
      if (fd == -ENOENT)
        {
          r = create_component (rootfd, buf, last && as_file);
          if (r < 0)
            return cfs_fail (err, CFS_E_MOUNT, -r, buf, "create inside the container root");
          fd = openat2_in_root (rootfd, buf, O_PATH);
        }
      /* Still missing: a symlink that points nowhere; make its target. */
      if (fd == -ENOENT && depth < 40 && follow_dangling (rootfd, buf, sizeof buf, i, len) == 0)
        return ensure (rootfd, buf, as_file, depth + 1, ret_fd, err);
      if (fd < 0)
        return cfs_fail (err, CFS_E_MOUNT, -fd, buf, "resolve inside the container root");
      if (!last)
        {
          close (fd);
          buf[i] = '/';
        }
    }
  *ret_fd = fd;
  return 0;
}

int
paths_ensure_in_root (int rootfd, const char *path, bool as_file, int *ret_fd, struct cfs_error **err)
{
  return ensure (rootfd, path, as_file, 0, ret_fd, err);
}

const char *
paths_fd_path (int fd, char *buf, size_t size)
{
  snprintf (buf, size, "/proc/self/fd/%d", fd);
  return buf;
}
