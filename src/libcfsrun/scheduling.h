/* Scheduling and placement of the process: process.scheduler,
   process.ioPriority, process.execCPUAffinity, linux.memoryPolicy and
   linux.personality.  Each has a pure check (for validation) and an apply. */
#ifndef CFS_SCHEDULING_H
#define CFS_SCHEDULING_H

#include "error.h"
#include "oci-spec.h"

int sched_validate (const struct oci_spec *s, struct cfs_error **err);

/* In the container process, before the user switch. */
int sched_apply (const struct oci_spec *s, struct cfs_error **err);

/* A cpu list ("0-3,7") as affinity of the calling process (FIELD names it). */
int sched_set_affinity (const char *cpus, const char *field, struct cfs_error **err);

#endif
