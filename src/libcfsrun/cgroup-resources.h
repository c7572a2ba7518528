/* linux.resources to cgroup file writes: a pure plan (unit-tested for v1
   and v2), and applying it.  The conversions between v1 and v2 values are
   the ones runc and crun use.  */
#ifndef CFS_CGROUP_RESOURCES_H
#define CFS_CGROUP_RESOURCES_H

#include "cgroup.h"

struct cg_write
{
  const struct cgroup_hier *h; /* where it goes */
  char file[64];
  char value[256];
  bool optional; /* a write the kernel may no longer have (kmem): warn, go on */
};

/* DEVS (linux.devices) are allowed in the devices cgroup too, as runc
   allows them: a device the config creates is one it may use.  */
int cgroup_resources_plan (const struct cgroup_layout *l, const struct oci_resources *r,
                           const struct oci_device *devs, size_t n_devs, struct cg_write **ret, size_t *ret_n,
                           struct cfs_error **err);

/* Apply to the container's LEAVES (one per hierarchy of L, in order). */
int cgroup_resources_apply (const struct cgroup_layout *l, char *const *leaves, size_t n,
                            const struct oci_resources *r, const struct oci_device *devs, size_t n_devs,
                            struct cfs_error **err);

/* Only validate R against layout L, as apply would. */
int cgroup_resources_check (const struct cgroup_layout *l, const struct oci_resources *r,
                            const struct oci_device *devs, size_t n_devs, struct cfs_error **err);

/* The conversions. */
uint64_t cgroup_shares_to_weight (uint64_t shares);
uint64_t cgroup_blkio_to_io_weight (uint64_t weight);

#endif
