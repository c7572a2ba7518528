#include "state.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "cgroup.h"
#include "proc.h"
#include "sync.h"
#include "util.h"

OCI_DEFINE_TYPE (cfs_record)

#define CFS_ID_MAX 1024

/* The lock on a container's state is waited for this many sync timeouts
   (5 minutes): longer than a command holds it, hooks included, unless the
   holder is stuck.  */
#define LOCK_TIMEOUT_WAITS 5

struct cfs_record *
state_record_free (struct cfs_record *r)
{
  return oci_free (&cfs_record_type, r);
}

int
state_validate_id (const char *id, struct cfs_error **err)
{
  size_t i, len = strlen (id);

  if (len == 0)
    return cfs_fail (err, CFS_E_ID_INVALID, 0, NULL, "container id is empty");
  if (len > CFS_ID_MAX)
    return cfs_fail (err, CFS_E_ID_INVALID, 0, NULL, "container id is longer than %d characters", CFS_ID_MAX);
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return cfs_fail (err, CFS_E_ID_INVALID, 0, NULL, "invalid container id `%s`", id);
  /* The same alphabet runc accepts: ids name directories, so no `/`. */
  for (i = 0; i < len; i++)
    {
      char c = id[i];

      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'
            || c == '.' || c == '+'))
        return cfs_fail (err, CFS_E_ID_INVALID, 0, NULL,
                         "invalid container id `%s`: only letters, digits and `_+-.` are allowed", id);
    }
  return 0;
}

static int
mkdir_parents (const char *path, mode_t mode)
{
  char buf[4096], *p;

  if (snprintf (buf, sizeof buf, "%s", path) >= (int)sizeof buf)
    return -ENAMETOOLONG;
  for (p = buf + 1; *p; p++)
    {
      if (*p != '/')
        continue;
      *p = '\0';
      if (mkdir (buf, mode) < 0 && errno != EEXIST)
        return -errno;
      *p = '/';
    }
  if (mkdir (buf, mode) < 0 && errno != EEXIST)
    return -errno;
  return 0;
}

int
state_root_open (const char *root, int *ret_fd, struct cfs_error **err)
{
  int fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int r;

  if (fd < 0 && errno == ENOENT)
    {
      r = mkdir_parents (root, 0700);
      if (r < 0)
        return cfs_fail (err, CFS_E_STATE_STORE, -r, root, "create state root");
      fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  if (fd < 0)
    return cfs_fail (err, CFS_E_STATE_STORE, errno, root, "open state root");
  *ret_fd = fd;
  return 0;
}

/* Who holds the flock on DIRFD, from /proc/locks, or 0. */
static int
lock_holder (int dirfd)
{
  _cleanup_free_ char *text = NULL;
  struct stat st;
  const char *l;

  if (fstat (dirfd, &st) < 0 || util_read_file_at (AT_FDCWD, "/proc/locks", &text, NULL, NULL) < 0)
    return 0;
  for (l = text; l && *l; l = strchr (l, '\n'), l = l ? l + 1 : NULL)
    {
      unsigned maj, min;
      unsigned long long ino;
      int pid;

      if (sscanf (l, "%*d: FLOCK %*s %*s %d %x:%x:%llu", &pid, &maj, &min, &ino) == 4 && ino == st.st_ino
          && maj == major (st.st_dev) && min == minor (st.st_dev))
        return pid;
    }
  return 0;
}

/* Every command holds the lock for a bounded time (its own waits are
   bounded), so a lock held much longer than any wait means a stuck
   holder: say which, rather than wait for ever.  */
static int
lock_dir (int dirfd, int lock_op, const char *id, struct cfs_error **err)
{
  uint64_t deadline = util_now_ns () + (uint64_t)LOCK_TIMEOUT_WAITS * sync_timeout_ms () * 1000000ULL;
  struct timespec step = { 0, 1000000 };

  while (flock (dirfd, lock_op | LOCK_NB) < 0)
    {
      if (errno != EWOULDBLOCK && errno != EINTR)
        return cfs_fail (err, CFS_E_STATE_STORE, errno, id, "lock state of container");
      if (util_now_ns () >= deadline)
        return cfs_fail (err, CFS_E_TIMEOUT, 0, NULL,
                         "container `%s` is still locked by another cfsrun command (pid %d) after %d s: "
                         "it is stuck; kill it, then try again",
                         id, lock_holder (dirfd), LOCK_TIMEOUT_WAITS * sync_timeout_ms () / 1000);
      nanosleep (&step, NULL);
      if (step.tv_nsec < 8000000)
        step.tv_nsec *= 2;
    }
  return 0;
}

int
state_dir_create (int rootfd, const char *id, int *ret_dirfd, struct cfs_error **err)
{
  _cleanup_close_ int fd = -1;
  int r;

  if (mkdirat (rootfd, id, 0700) < 0)
    {
      if (errno == EEXIST)
        return cfs_fail (err, CFS_E_CONTAINER_EXISTS, EEXIST, NULL, "container `%s` already exists", id);
      return cfs_fail (err, CFS_E_STATE_STORE, errno, id, "create state directory");
    }
  fd = openat (rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    {
      r = cfs_fail (err, CFS_E_STATE_STORE, errno, id, "open state directory");
      unlinkat (rootfd, id, AT_REMOVEDIR);
      return r;
    }
  r = lock_dir (fd, LOCK_EX, id, err);
  if (r < 0)
    {
      unlinkat (rootfd, id, AT_REMOVEDIR);
      return r;
    }
  *ret_dirfd = TAKE_FD (fd);
  return 0;
}

static bool
same_inode (int fd, int dirfd, const char *name)
{
  struct stat a, b;

  return fstat (fd, &a) == 0 && fstatat (dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_ino == b.st_ino
         && a.st_dev == b.st_dev;
}

int
state_dir_open (int rootfd, const char *id, int lock_op, int *ret_dirfd, struct cfs_error **err)
{
  _cleanup_close_ int fd = -1;
  int r;

  r = state_validate_id (id, err);
  if (r < 0)
    return r;
  fd = openat (rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT)
    return cfs_fail (err, CFS_E_CONTAINER_NOT_FOUND, ENOENT, NULL, "container `%s` does not exist", id);
  if (fd < 0)
    return cfs_fail (err, CFS_E_STATE_STORE, errno, id, "open state directory");
  r = lock_dir (fd, lock_op, id, err);
  if (r < 0)
    return r;
  /* Deleted (and perhaps made again) while we waited for the lock. */
  if (!same_inode (fd, rootfd, id))
    return cfs_fail (err, CFS_E_CONTAINER_NOT_FOUND, ENOENT, NULL, "container `%s` does not exist", id);
  *ret_dirfd = TAKE_FD (fd);
  return 0;
}

int
state_dir_remove (int rootfd, const char *id, int dirfd, struct cfs_error **err)
{
  _cleanup_close_ int fd = fcntl (dirfd, F_DUPFD_CLOEXEC, 3);
  DIR *dir;
  struct dirent *de;

  if (fd < 0)
    return cfs_fail (err, CFS_E_STATE_STORE, errno, id, "remove state directory");
  dir = fdopendir (fd);
  if (dir == NULL)
    return cfs_fail (err, CFS_E_STATE_STORE, errno, id, "remove state directory");
  fd = -1;
  /* The store holds only plain files and sockets, never subdirectories. */
  while ((de = readdir (dir)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      unlinkat (dirfd, de->d_name, 0);
  closedir (dir);
  if (unlinkat (rootfd, id, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return cfs_fail (err, CFS_E_STATE_STORE, errno, id, "remove state directory");
  return 0;
}

int
state_record_write (int dirfd, const struct cfs_record *r, struct cfs_error **err)
{
  _cleanup_free_ char *json = NULL;
  size_t len = 0;

  if (oci_encode (&cfs_record_type, r, false, &json, &len) < 0)
    return cfs_fail (err, CFS_E_STATE_STORE, ENOMEM, r->id, "encode state of container");
  return util_write_file_atomic_at (dirfd, CFS_RECORD_FILE, json, len, err);
}

/* A record is read into BUF (on the caller's stack) when it fits, which
   most do: list reads them all, and a 4 KiB malloc per record, freed among
   the many small ones the parse makes, cost it a tenth of its time in
   malloc.  A larger one is read whole into *RET_BIG.  */
static int
read_record_text (int dirfd, const char *file, char *buf, size_t size, char **ret_big, struct cfs_error **err)
{
  _cleanup_close_ int fd = openat (dirfd, file, O_RDONLY | O_CLOEXEC);
  ssize_t n;

  if (fd < 0)
    return cfs_fail (err, CFS_E_SYSTEM, errno, file, "open");
  /* One read: the store is a local file system (tmpfs, as a rule), where a
     read of a regular file comes back short only at its end.  A second read
     to see EOF was a system call more per container in list.  */
  do
    n = read (fd, buf, size - 1);
  while (n < 0 && errno == EINTR);
  n = n < 0 ? -errno : n;
  if (n < 0)
    return cfs_fail (err, CFS_E_SYSTEM, (int)-n, file, "read");
  buf[n] = '\0';
  if ((size_t)n < size - 1)
    return 0;
  if (lseek (fd, 0, SEEK_SET) < 0)
    return cfs_fail (err, CFS_E_SYSTEM, errno, file, "read");
  return util_read_fd (fd, file, ret_big, NULL, err);
}

static int
record_read (int dirfd, const char *file, const char *id, struct cfs_record **ret, struct cfs_error **err)
{
  _cleanup_free_ char *big = NULL;
  struct oci_parse_error perr = { 0 };
  char small[16384];
  void *rec = NULL;
  const char *text;
  int r;

  r = read_record_text (dirfd, file, small, sizeof small, &big, err);
  if (r < 0)
    return cfs_wrap (err, "read state of container `%s`", id);
  text = big ? big : small;
  if (oci_decode_text (&cfs_record_type, text, &rec, &perr) < 0)
    {
      r = cfs_fail (err, CFS_E_STATE_STORE, 0, NULL, "state of container `%s` is corrupt: %s: %s", id,
                    perr.path, perr.reason);
      oci_parse_error_done (&perr);
      return r;
    }
  *ret = rec;
  return 0;
}

int
state_record_read (int dirfd, const char *id, struct cfs_record **ret, struct cfs_error **err)
{
  return record_read (dirfd, CFS_RECORD_FILE, id, ret, err);
}

int
state_record_read_id (int rootfd, const char *id, struct cfs_record **ret, struct cfs_error **err)
{
  char file[512];

  if (snprintf (file, sizeof file, "%s/%s", id, CFS_RECORD_FILE) >= (int)sizeof file)
    return cfs_fail (err, CFS_E_STATE_STORE, ENAMETOOLONG, NULL, "read state of container `%s`", id);
  return record_read (rootfd, file, id, ret, err);
}

const char *
state_status (const struct cfs_record *r)
{
  bool alive = r->pid > 0 && proc_pid_is_running (r->pid, r->pid_start_time, r->pidfs_inode);

  if (strcmp (r->phase, CFS_PHASE_CREATING) == 0)
    return alive ? "creating" : "stopped";
  if (!alive)
    return "stopped";
  if (strcmp (r->phase, CFS_PHASE_CREATED) == 0)
    return "created";
  return r->cgroup_leaves_len && cgroup_frozen (r->cgroup_leaves, r->cgroup_leaves_len) ? "paused"
                                                                                        : "running";
}

static struct oci_state
state_of (const struct cfs_record *r, const char *status)
{
  return (struct oci_state){
    .oci_version = (char *)OCI_VERSION,
    .id = r->id,
    .status = (char *)status,
    .bundle = r->bundle,
    .pid = strcmp (status, "stopped") == 0 ? 0 : r->pid,
    .has_pid = true,
    .annotations_keys = r->annotations_keys,
    .annotations = r->annotations,
    .annotations_len = r->annotations_len,
  };
}

int
state_to_json (const struct cfs_record *r, const char *status, bool pretty, char **ret_json,
               struct cfs_error **err)
{
  struct oci_state st = state_of (r, status);

  if (oci_encode (&oci_state_type, &st, pretty, ret_json, NULL) < 0)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "encode state of container `%s`", r->id);
  return 0;
}

#define OCI_TYPE_cfs_process_state(F, S)                                                                     \
  F (S, STR, oci_version, "ociVersion", _, OCI_REQ)                                                          \
  F (S, ARR_STR, fds, "fds", _, OCI_REQ)                                                                     \
  F (S, I32, pid, "pid", _, OCI_REQ)                                                                         \
  F (S, STR, metadata, "metadata", _, OCI_OPT)                                                               \
  F (S, OBJ, state, "state", oci_state, OCI_REQ)

OCI_DECLARE_STRUCT (cfs_process_state)
OCI_DEFINE_TYPE (cfs_process_state)

int
state_process_state_json (const struct cfs_record *r, const char *metadata, char **ret_json,
                          struct cfs_error **err)
{
  static char *fds[] = { "seccompFd", NULL };
  struct oci_state st = state_of (r, "creating");
  struct cfs_process_state ps = { .oci_version = (char *)OCI_VERSION,
                                  .fds = fds,
                                  .fds_len = 1,
                                  .pid = r->pid,
                                  .has_pid = true,
                                  .metadata = (char *)metadata,
                                  .state = &st };

  if (oci_encode (&cfs_process_state_type, &ps, false, ret_json, NULL) < 0)
    return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "encode the seccomp listener message");
  return 0;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

int
state_list (int rootfd, char ***ret_ids, size_t *ret_n, struct cfs_error **err)
{
  int fd = fcntl (rootfd, F_DUPFD_CLOEXEC, 3);
  DIR *dir;
  struct dirent *de;
  char **ids = NULL;
  size_t n = 0, cap = 0;

  if (fd < 0 || (dir = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return cfs_fail (err, CFS_E_STATE_STORE, errno, NULL, "list containers");
    }
  while ((de = readdir (dir)) != NULL)
    {
      if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
        continue;
      if (n == cap)
        {
          char **nids = realloc (ids, (cap = cap ? cap * 2 : 16) * sizeof *ids);

          if (nids == NULL)
            break;
          ids = nids;
        }
      ids[n] = strdup (de->d_name);
      if (ids[n])
        n++;
    }
  closedir (dir);
  if (n)
    qsort (ids, n, sizeof *ids, cmp_str);
  *ret_ids = ids;
  *ret_n = n;
  return 0;
}

bool
state_ptrace_marked (int dirfd)
{
  return faccessat (dirfd, CFS_PTRACE_MARK, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int
state_mark_ptrace (int dirfd, struct cfs_error **err)
{
  int fd = openat (dirfd, CFS_PTRACE_MARK, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

  if (fd < 0)
    return cfs_fail (err, CFS_E_STATE_STORE, errno, CFS_PTRACE_MARK, "record an exec with CAP_SYS_PTRACE in");
  close (fd);
  return 0;
}
