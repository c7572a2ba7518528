/* Shared by the command files: each parses its own arguments and calls one
   function of libcfsrun.  A command returns the process exit code, or a
   negative value with *err set (printed once by main); an exit code with
   *err set prints the error and exits with that code.  */
#ifndef CFS_CLI_H
#define CFS_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "libcfsrun/cfsrun.h"

struct cli_command
{
  const char *name;
  int (*run) (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err);
  const char *summary;
};

int cmd_create (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err);
int cmd_start (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err);
int cmd_run (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err);
int cmd_state (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err);
int cmd_kill (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err);
int cmd_delete (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err);
int cmd_list (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err);
int cmd_features (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err);
int cmd_exec (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err);
int cmd_pause (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err);
int cmd_resume (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err);
int cmd_ps (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err);
int cmd_update (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err);
int cmd_events (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err);
int cmd_check (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err);
int cmd_spec (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err);

/* A usage error naming the command, e.g. "create: missing container id". */
int cli_usage (struct cfs_error **err, const char *cmd, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Print the help text when -h/--help is given; true if it was. */
bool cli_help_requested (int argc, char **argv, const char *help);

/* A command that takes only a container id: 1 when help was printed, 0 with
 *RET_ID set, or a usage error.  */
int cli_only_id (int argc, char **argv, const char *cmd, const char *help, const char **ret_id,
                 struct cfs_error **err);

/* The one positional container id, after options. */
int cli_take_id (int argc, char **argv, const char *cmd, const char **ret_id, struct cfs_error **err);

#endif
