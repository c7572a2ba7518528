/* Facts about processes read from /proc. */
#ifndef CFS_PROC_H
#define CFS_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* State letter (field 3) and start time in clock ticks (field 22) of PID.
   Returns 0, or -errno (-ENOENT when there is no such process).  */
int proc_pid_stat (pid_t pid, char *ret_state, uint64_t *ret_start_time);

/* The pidfs inode number of the process PIDFD is open on, which names that
   process alone for as long as the system runs (Linux 6.9+); 0 where the
   kernel gives all pidfds one inode.  */
uint64_t proc_pidfd_ino (int pidfd);

/* True when PID runs and is the process that started at START_TIME, or
   whose pidfs inode is PIDFS_INO when that is not 0: a pid the kernel
   recycled, a zombie or a dead task all count as not running.  */
bool proc_pid_is_running (pid_t pid, uint64_t start_time, uint64_t pidfs_ino);

/* The same for a pidfd already open on PID.  */
bool proc_pidfd_is_running (int pidfd, pid_t pid, uint64_t start_time, uint64_t pidfs_ino);

#endif
