/* process.rlimits */
#ifndef CFS_RLIMITS_H
#define CFS_RLIMITS_H

#include "error.h"
#include "oci-spec.h"

/* Pure: every type is a known RLIMIT_* name and soft <= hard. */
int rlimits_validate (const struct oci_process *p, struct cfs_error **err);

/* Apply them; raising a hard limit past the caller's fails naming the
   rlimit, the value asked and the hard limit in force.  */
int rlimits_apply (const struct oci_process *p, struct cfs_error **err);

#endif
