/* process.terminal: a pty from the container's own devpts, its master sent
   to the caller's --console-socket with SCM_RIGHTS (as runc does), its
   slave made the process's controlling terminal and stdio.  */
#ifndef CFS_TERMINAL_H
#define CFS_TERMINAL_H

#include <stdbool.h>

#include "error.h"
#include "oci-spec.h"

/* Parent, before clone: connect to the console socket (a host path). */
int terminal_connect (const char *path, int *ret_fd, struct cfs_error **err);

/* Child, after pivot_root: open a pty in the container's /dev/ptmx, give
   /dev/console to its slave, send the master over SOCKFD, and make the
   slave our stdio and controlling terminal.  */
int terminal_setup (int sockfd, const struct oci_process *p, bool dev_console, struct cfs_error **err);

/* terminal_setup in two steps: the pty, given to the process user, its
   master sent (*RET_SLAVE: the slave, close-on-exec); then, perhaps in a
   child and unprivileged, the slave as controlling terminal and stdio.  */
int terminal_open (int sockfd, const struct oci_process *p, bool dev_console, int *ret_slave,
                   struct cfs_error **err);
int terminal_attach (int slave, struct cfs_error **err);

/* Receive a pty master sent with SCM_RIGHTS on SOCKFD. */
int terminal_receive (int sockfd, int *ret_master, struct cfs_error **err);

/* `run` in the foreground with a terminal: copy between our stdio and the
   pty MASTER until process PID exits, with our terminal (if stdin is one)
   in raw mode and its window size passed on.  */
void terminal_proxy (int master, int pid);

#endif
