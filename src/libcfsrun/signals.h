#ifndef CFS_SIGNALS_H
#define CFS_SIGNALS_H

#include "error.h"

/* "KILL", "SIGKILL", "kill", "9", "RTMIN+3", "SIGRTMAX-1" to a number. */
int signals_parse (const char *text, int *ret_signal, struct cfs_error **err);

#endif
