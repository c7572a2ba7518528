#ifndef CFS_SIGNALS_H
#define CFS_SIGNALS_H

#include "error.h"

/* "KILL", "SIGKILL", "kill", "9", "RTMIN+3", "SIGRTMAX-1" to a number. */
int signals_parse (const char *text, int *ret_signal, struct cfs_error **err);

/* Forward the signals a user or supervisor sends us (HUP, INT, QUIT, TERM,
   USR1, USR2, WINCH, CONT, TSTP) to PID, as runc does for `run` and `exec`
   in the foreground.  */
void signals_forward_to (int pid);

#endif
