#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char help[] = "Usage: cfsrun features\n\n"
                           "Print what this build of cfsrun supports, as the runtime-spec features JSON\n"
                           "(hooks, mount options, namespaces, capabilities, cgroup drivers, seccomp).\n";

int
cmd_features (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err)
{
  char *json = NULL;
  int r;

  (void)g;
  if (cli_help_requested (argc, argv, help))
    return 0;
  if (argc > 1)
    return cli_usage (err, "features", "unexpected argument `%s`", argv[1]);
  r = cfsrun_features (&json, err);
  if (r < 0)
    return r;
  printf ("%s\n", json);
  free (json);
  return 0;
}
