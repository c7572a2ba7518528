#include "userns.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

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

static int
write_map (pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n, struct cfs_error **err)
{
  char path[64], buf[4096];
  size_t len = 0, i;
  _cleanup_close_ int fd = -1;

  for (i = 0; i < n && len < sizeof buf; i++)
    len += (size_t)snprintf (buf + len, sizeof buf - len, "%u %u %u\n", m[i].container_id, m[i].host_id,
                             m[i].size);
  snprintf (path, sizeof path, "/proc/%d/%s", (int)pid, file);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || util_write_all (fd, buf, len) < 0)
    return cfs_fail (err, CFS_E_NAMESPACE, errno, path, "write user namespace mapping");
  return 0;
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
