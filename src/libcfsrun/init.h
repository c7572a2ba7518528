/* The built-in init (annotation run.oci.cfsrun.init, or --init): the
   container's PID 1 stays cfsrun code, run from a sealed copy of cfsrun
   (sealed-exe.c), that starts the user's program as its child, forwards
   signals to it, reaps every zombie and exits with the program's status. */
#ifndef CFS_INIT_H
#define CFS_INIT_H

#include "error.h"

/* The container process's last step before exec, once set up: fork.  The
   child returns 0, with signals as before, and the caller execs the
   program; the parent becomes the init and never returns.  The init closes
   every fd past stdio, the connection of `cfsrun start` too, which then
   sees EOF when the program's exec closes its own copy.  */
int init_fork (struct cfs_error **err);

#endif
