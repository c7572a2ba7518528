/* AppArmor and SELinux: process.apparmorProfile, process.selinuxLabel and
   linux.mountLabel.  A profile or label asked for on a host without that
   LSM is an error, never silently dropped; mountLabel alone is ignored
   there (it only labels mounts), as runc does.  */
#ifndef CFS_LSM_H
#define CFS_LSM_H

#include <stdbool.h>

#include "error.h"
#include "oci-spec.h"

bool lsm_apparmor_enabled (void);
bool lsm_selinux_enabled (void);

int lsm_validate (const struct oci_process *p, struct cfs_error **err);

/* Just before exec: the profile and label the exec'd program gets. */
int lsm_apply_exec (const struct oci_process *p, struct cfs_error **err);

#endif
