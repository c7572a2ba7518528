/* Device nodes in the container's /dev: the defaults of runtime-linux.md
   and linux.devices, created with mknod or, where mknod is not allowed
   (inside a user namespace), bind-mounted from the host.  */
#ifndef CFS_DEVICES_H
#define CFS_DEVICES_H

#include <stdbool.h>

#include "error.h"
#include "oci-spec.h"

int devices_create (int rootfd, const struct oci_spec *spec, bool in_userns, struct cfs_error **err);

/* Pure check of linux.devices entries: type, major/minor, path. */
int devices_validate (const struct oci_linux *linux_cfg, struct cfs_error **err);

#endif
