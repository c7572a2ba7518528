#include "caps.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "caplib.h"
#include "log.h"
#include "util.h"

static int
parse_set (const struct caplib *L, char *const *names, size_t n, const char *set, uint64_t *ret,
           struct cfs_error **err)
{
  int last = (int)L->cap_max_bits () - 1;
  size_t i;

  *ret = 0;
  for (i = 0; i < n; i++)
    {
      char lower[64];
      cap_value_t v;
      size_t j;

      for (j = 0; names[i][j] && j < sizeof lower - 1; j++)
        lower[j] = (char)tolower ((unsigned char)names[i][j]);
      lower[j] = '\0';
      if (!util_str_has_prefix (lower, "cap_") || L->cap_from_name (lower, &v) < 0)
        return cfs_fail (err, CFS_E_CONFIG_INVALID, 0, NULL,
                         "process.capabilities.%s[%zu]: unknown capability `%s`", set, i, names[i]);
      if (v > last)
        {
          cfs_log_debug ("process.capabilities.%s: `%s` is unknown to this kernel, ignoring", set, names[i]);
          continue;
        }
      /* A capability our own bounding set lacks can never be granted (a
         host may drop CAP_SYS_RESOURCE, say): asking for every capability,
         as --privileged does, then gets all there are.  */
      if (prctl (PR_CAPBSET_READ, v, 0, 0, 0) == 0)
        {
          cfs_log_warning ("process.capabilities.%s: `%s` is not in cfsrun's own bounding set, ignoring", set,
                           names[i]);
          continue;
        }
      *ret |= 1ULL << v;
    }
  return 0;
}

int
caps_plan (const struct oci_capabilities *c, struct caps_plan *ret, struct cfs_error **err)
{
  const struct caplib *L = caplib_get ("process.capabilities", err);
  int r;

  memset (ret, 0, sizeof *ret);
  if (L == NULL)
    return -1;
  ret->lib = L;
  if ((r = parse_set (L, c->bounding, c->bounding_len, "bounding", &ret->bounding, err)) < 0
      || (r = parse_set (L, c->effective, c->effective_len, "effective", &ret->effective, err)) < 0
      || (r = parse_set (L, c->inheritable, c->inheritable_len, "inheritable", &ret->inheritable, err)) < 0
      || (r = parse_set (L, c->permitted, c->permitted_len, "permitted", &ret->permitted, err)) < 0
      || (r = parse_set (L, c->ambient, c->ambient_len, "ambient", &ret->ambient, err)) < 0)
    return r;
  return 0;
}

/* Never loads: see struct caps_plan. */
static const struct caplib *
plan_lib (const struct caps_plan *p, struct cfs_error **err)
{
  if (p->lib == NULL)
    cfs_fail (err, CFS_E_CAPABILITIES, 0, NULL, "internal error: capabilities applied without a plan");
  return p->lib;
}

int
caps_apply_bounding (const struct caps_plan *p, struct cfs_error **err)
{
  const struct caplib *L = plan_lib (p, err);
  int cap, last;

  if (L == NULL)
    return -1;
  last = (int)L->cap_max_bits ();
  for (cap = 0; cap < last; cap++)
    if (!(p->bounding & (1ULL << cap)) && prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      return cfs_fail (err, CFS_E_CAPABILITIES, errno, NULL, "drop `%s` from the bounding set",
                       L->cap_to_name (cap));
  return 0;
}

static int
set_flags (const struct caplib *L, cap_t caps, cap_flag_t flag, uint64_t mask)
{
  cap_value_t list[64];
  int n = 0, cap;

  for (cap = 0; cap < 64; cap++)
    if (mask & (1ULL << cap))
      list[n++] = cap;
  return n ? L->cap_set_flag (caps, flag, n, list, CAP_SET) : 0;
}

int
caps_apply_sets (const struct caps_plan *p, struct cfs_error **err)
{
  const struct caplib *L = plan_lib (p, err);
  cap_t caps;
  int cap, r;

  if (L == NULL)
    return -1;
  caps = L->cap_init ();
  if (caps == NULL)
    return cfs_fail (err, CFS_E_CAPABILITIES, errno, NULL, "allocate capability state");
  r = set_flags (L, caps, CAP_EFFECTIVE, p->effective) | set_flags (L, caps, CAP_PERMITTED, p->permitted)
      | set_flags (L, caps, CAP_INHERITABLE, p->inheritable);
  if (r == 0)
    r = L->cap_set_proc (caps);
  L->cap_free (caps);
  if (r < 0)
    return cfs_fail (err, CFS_E_CAPABILITIES, errno, NULL, "set the capabilities of the process");
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return cfs_fail (err, CFS_E_CAPABILITIES, errno, NULL, "clear the ambient capabilities");
  for (cap = 0; cap < 64; cap++)
    if ((p->ambient & (1ULL << cap)) && prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      return cfs_fail (err, CFS_E_CAPABILITIES, errno, NULL,
                       "raise ambient capability `%s` (it must be permitted and inheritable too)",
                       L->cap_to_name (cap));
  return 0;
}
