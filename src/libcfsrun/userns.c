#include "userns.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfsrun.h"
#include "util.h"

static int
check_ranges (const struct oci_id_mapping *m, size_t n, const char *field, struct cfs_error **err)
{
  size_t i, j;

  for (i = 0; i < n; i++)
    {
      if (m[i].size == 0)
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, field, "%s[%zu].size: must be greater than 0", field,
                         i);
      for (j = 0; j < i; j++)
        {
          bool c = m[i].container_id < m[j].container_id + m[j].size
                   && m[j].container_id < m[i].container_id + m[i].size;
          bool h = m[i].host_id < m[j].host_id + m[j].size && m[j].host_id < m[i].host_id + m[i].size;

          if (c || h)
            return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, field, "%s[%zu] overlaps %s[%zu] on the %s side",
                             field, i, field, j, c ? "container" : "host");
        }
    }
  return 0;
}

int
userns_validate (const struct oci_linux *lx, struct cfs_error **err)
{
  int r;

  if (lx == NULL)
    return 0;
  if ((r = check_ranges (lx->uid_mappings, lx->uid_mappings_len, "linux.uidMappings", err)) < 0)
    return r;
  return check_ranges (lx->gid_mappings, lx->gid_mappings_len, "linux.gidMappings", err);
}

/* Not root: a mapping of only our own id may be written directly (after
   setgroups is denied, for gid_map); anything else goes through the
   setuid newuidmap/newgidmap, which check /etc/subuid and /etc/subgid.  */
static int write_map_raw (pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n,
                          struct cfs_error **err);

static int
write_map_helper (pid_t pid, const char *tool, const struct oci_id_mapping *m, size_t n,
                  struct cfs_error **err)
{
  char *argv[3 + 3 * 64 + 1], nums[3 * 64 + 1][16];
  size_t i, k = 0;
  pid_t child;
  int st;

  if (n > 64)
    return cfs_fail (err, CFS_E_CONFIG_INVALID, E2BIG, NULL, "too many id mappings for %s", tool);
  argv[k++] = (char *)tool;
  snprintf (nums[0], sizeof nums[0], "%d", (int)pid);
  argv[k++] = nums[0];
  for (i = 0; i < n; i++)
    {
      snprintf (nums[1 + 3 * i], 16, "%u", m[i].container_id);
      snprintf (nums[2 + 3 * i], 16, "%u", m[i].host_id);
      snprintf (nums[3 + 3 * i], 16, "%u", m[i].size);
      argv[k++] = nums[1 + 3 * i];
      argv[k++] = nums[2 + 3 * i];
      argv[k++] = nums[3 + 3 * i];
    }
  argv[k] = NULL;
  child = fork ();
  if (child == 0)
    {
      execvp (tool, argv);
      _exit (errno == ENOENT ? 127 : 126);
    }
  if (child < 0)
    return cfs_fail (err, CFS_E_NAMESPACE, errno, NULL, "run %s", tool);
  while (waitpid (child, &st, 0) < 0 && errno == EINTR)
    ;
  if (WIFEXITED (st) && WEXITSTATUS (st) == 127)
    return cfs_fail (
        err, CFS_E_NAMESPACE, ENOENT, tool,
        "the id mappings need %s, which is not installed (Debian: apt-get install uidmap):", tool);
  if (!WIFEXITED (st) || WEXITSTATUS (st) != 0)
    return cfs_fail (err, CFS_E_NAMESPACE, EPERM, NULL,
                     "%s refused the mappings of linux.%s (are they in /etc/sub%s for this user?)", tool,
                     strcmp (tool, "newuidmap") == 0 ? "uidMappings" : "gidMappings",
                     strcmp (tool, "newuidmap") == 0 ? "uid" : "gid");
  return 0;
}

static int
write_map (pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n, struct cfs_error **err)
{
  bool gid = strcmp (file, "gid_map") == 0;
  unsigned self = gid ? (unsigned)getegid () : (unsigned)geteuid ();

  if (geteuid () != 0)
    {
      if (!(n == 1 && m[0].host_id == self && m[0].size == 1))
        return write_map_helper (pid, gid ? "newgidmap" : "newuidmap", m, n, err);
      if (gid)
        {
          char path[64];
          _cleanup_close_ int fd = -1;

          snprintf (path, sizeof path, "/proc/%d/setgroups", (int)pid);
          fd = util_open_proc (path, O_WRONLY);
          if (fd >= 0)
            util_write_all (fd, "deny", 4);
        }
    }
  return write_map_raw (pid, file, m, n, err);
}

static int
write_map_raw (pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n, struct cfs_error **err)
{
  char path[64], buf[4096];
  size_t len = 0, i;
  _cleanup_close_ int fd = -1;

  for (i = 0; i < n && len < sizeof buf; i++)
    len += (size_t)snprintf (buf + len, sizeof buf - len, "%u %u %u\n", m[i].container_id, m[i].host_id,
                             m[i].size);
  snprintf (path, sizeof path, "/proc/%d/%s", (int)pid, file);
  fd = util_open_proc (path, O_WRONLY);
  if (fd < 0 || util_write_all (fd, buf, len) < 0)
    return cfs_fail (err, CFS_E_NAMESPACE, errno, path, "write user namespace mapping");
  return 0;
}

/* From /proc/self/uid_map: the initial namespace's map is the identity
   "0 0 4294967295"; uid 0 in any other is not the host's root, even with
   every capability in it.  Read each time, not cached: the container
   process asks again after it made its own user namespace.  */
bool
userns_rootless (uid_t *ret_host_uid)
{
  _cleanup_fclose_ FILE *f = fopen ("/proc/self/uid_map", "re");
  unsigned inside, outside, size;
  uid_t self = geteuid (), host_uid = self;
  bool identity = false;

  while (f && fscanf (f, "%u %u %u", &inside, &outside, &size) == 3)
    {
      if (inside == 0 && outside == 0 && size == 4294967295U)
        identity = true;
      if (self >= inside && self - inside < size)
        host_uid = outside + (self - inside);
    }
  if (ret_host_uid)
    *ret_host_uid = host_uid;
  /* No /proc: trust the uid alone. */
  return self != 0 || (f != NULL && !identity);
}

bool
cfsrun_rootless (void)
{
  return userns_rootless (NULL);
}

int
userns_write_maps (pid_t pid, const struct oci_linux *lx, struct cfs_error **err)
{
  int r;

  if (lx->uid_mappings_len == 0 || lx->gid_mappings_len == 0)
    return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, "linux.uidMappings",
                     "linux.uidMappings and linux.gidMappings are required with a new user namespace");
  r = write_map (pid, "uid_map", lx->uid_mappings, lx->uid_mappings_len, err);
  if (r < 0)
    return r;
  return write_map (pid, "gid_map", lx->gid_mappings, lx->gid_mappings_len, err);
}
