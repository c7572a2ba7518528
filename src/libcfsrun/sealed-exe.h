/* The binary defence (the CVE-2019-5736 class): running cfsrun from a
   sealed memfd copy of itself, so that /proc/PID/exe of a cfsrun process a
   container can see is not the host's binary.  */
#ifndef CFS_SEALED_EXE_H
#define CFS_SEALED_EXE_H

#include <stdbool.h>
#include <stdint.h>

#include "caps.h"
#include "error.h"
#include "namespaces.h"

/* Whether a process with capabilities CAPS (HAS_CAPS false: the runtime's
   own, which are all of them) in namespaces NS may hold CAP_SYS_PTRACE in
   the host's user namespace.  Such a process may open /proc/PID/exe even
   of a process that is not dumpable.  */
bool sealed_exe_ptrace_possible (bool has_caps, const struct caps_plan *caps, const struct ns_plan *ns);

/* Make this process run from a sealed copy of itself: unless it does
   already, re-execute it from a new one with the same arguments and
   environment (and then this does not return).  In the re-executed
   process, --trace shows the copy and exec as phase `re-exec` of WHO.  */
int sealed_exe_ensure (const char *who, struct cfs_error **err);

#endif
