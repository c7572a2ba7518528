#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[]
    = "Usage: cfsrun check [--format text|json]\n\n"
      "Inspect this host: the cgroup layout and delegation, user namespaces and id ranges,\n"
      "seccomp, the kernel interfaces cfsrun uses, AppArmor and SELinux; with the fix for each\n"
      "that does not work.\n";

int
cmd_check (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err)
{
  static const struct option opts[] = { { "format", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
  bool json = false;
  char *text = NULL;
  int c, r;

  (void)g;
  if (cli_help_requested (argc, argv, help))
    return 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+f:", opts, NULL)) != -1)
    {
      if (c != 'f' || (strcmp (optarg, "json") != 0 && strcmp (optarg, "text") != 0))
        return cli_usage (err, "check", "--format takes text or json");
      json = strcmp (optarg, "json") == 0;
    }
  r = cfsrun_check (json, &text, err);
  if (r == 0)
    printf ("%s%s", text, json ? "\n" : "");
  free (text);
  return r;
}
