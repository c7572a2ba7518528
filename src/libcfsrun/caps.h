/* process.capabilities through libcap. */
#ifndef CFS_CAPS_H
#define CFS_CAPS_H

#include <stdint.h>

#include "error.h"
#include "oci-spec.h"

struct caplib;

/* The five sets as bit masks, parsed from capability names, and libcap,
   loaded by the parent: the container process applies the plan after
   pivot_root, where a dlopen() would read the container's libraries.  */
struct caps_plan
{
  uint64_t bounding, effective, inheritable, permitted, ambient;
  const struct caplib *lib;
};

/* Names to masks (loading libcap); an unknown name is an error naming the
   field.  Names the running kernel does not know are dropped (debug log). */
int caps_plan (const struct oci_capabilities *c, struct caps_plan *ret, struct cfs_error **err);

/* Before the user switch: drop what is outside the bounding set. */
int caps_apply_bounding (const struct caps_plan *p, struct cfs_error **err);

/* After the user switch (with keep-caps set): the other four sets. */
int caps_apply_sets (const struct caps_plan *p, struct cfs_error **err);

#endif
