#include "oom.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* The value of KEY in a "key value" per line file, or -1. */
static int64_t
keyed_value (const char *dir, const char *file, const char *key)
{
  _cleanup_free_ char *text = NULL;
  char path[4200];
  size_t kl = strlen (key);
  const char *l;

  snprintf (path, sizeof path, "%s/%s", dir, file);
  if (util_read_file_at (AT_FDCWD, path, &text, NULL, NULL) < 0)
    return -1;
  for (l = text; l && *l; l = strchr (l, '\n'), l = l ? l + 1 : NULL)
    if (strncmp (l, key, kl) == 0 && l[kl] == ' ')
      return strtoll (l + kl + 1, NULL, 10);
  return -1;
}

uint64_t
oom_kills (char *const *leaves, size_t n)
{
  size_t i;
  int pass;

  /* The memory hierarchy's leaf first, found by its name (v1 mounts are
     named for their controllers): asking every leaf cost two failed opens
     each, three times a `run`.  Then every leaf (v2's is not so named).  */
  for (pass = 0; pass < 2; pass++)
    for (i = 0; i < n; i++)
      {
        int64_t v;

        if ((pass == 0) != (strstr (leaves[i], "memory") != NULL))
          continue;
        /* v1 (Linux 4.13+ counts kills there), then v2. */
        v = keyed_value (leaves[i], "memory.oom_control", "oom_kill");
        if (v < 0)
          v = keyed_value (leaves[i], "memory.events", "oom_kill");
        if (v >= 0)
          return (uint64_t)v;
      }
  return 0;
}

/* The limit in force, as "256 KiB", from the memory leaf. */
static void
limit_text (char *const *leaves, size_t n, char *buf, size_t size)
{
  size_t i;

  snprintf (buf, size, "its memory limit");
  for (i = 0; i < n; i++)
    {
      static const char *const files[] = { "memory.limit_in_bytes", "memory.max" };

      for (size_t f = 0; f < ARRAY_SIZE (files); f++)
        {
          _cleanup_free_ char *text = NULL;
          char path[4200];
          unsigned long long v;

          snprintf (path, sizeof path, "%s/%s", leaves[i], files[f]);
          if (util_read_file_at (AT_FDCWD, path, &text, NULL, NULL) < 0 || sscanf (text, "%llu", &v) != 1)
            continue;
          if (v >= (1ULL << 20) && v % (1ULL << 20) == 0)
            snprintf (buf, size, "its memory limit of %llu MiB", v >> 20);
          else if (v % 1024 == 0)
            snprintf (buf, size, "its memory limit of %llu KiB", v >> 10);
          else
            snprintf (buf, size, "its memory limit of %llu bytes", v);
          return;
        }
    }
}

bool
oom_explain (char *const *leaves, size_t n, uint64_t before, const char *id, const char *when,
             struct cfs_error **err)
{
  uint64_t now = oom_kills (leaves, n);
  char limit[64];

  if (now <= before || err == NULL)
    return now > before;
  limit_text (leaves, n, limit, sizeof limit);
  *err = cfs_error_free (*err);
  cfs_fail (err, CFS_E_INIT_OOM_KILLED, 0, "linux.resources.memory.limit",
            "the process of container `%s` was killed by the OOM killer %s: %s "
            "(linux.resources.memory.limit) is too small for it",
            id, when, limit);
  return true;
}
