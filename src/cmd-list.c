#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] = "Usage: cfsrun list [OPTIONS]\n\n"
                           "List the containers under the state root.\n\n"
                           "Options:\n"
                           "  -f, --format FORMAT   table (default) or json\n"
                           "  -q, --quiet           print only the ids (reads no container's state)\n";

int
cmd_list (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err)
{
  static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
                                        { "quiet", no_argument, NULL, 'q' },
                                        { NULL, 0, NULL, 0 } };
  struct cfsrun_list_entry *e = NULL;
  bool json = false, quiet = false;
  size_t n = 0, i;
  int c, r;

  if (cli_help_requested (argc, argv, help))
    return 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+f:q", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        if (strcmp (optarg, "json") != 0 && strcmp (optarg, "table") != 0)
          return cli_usage (err, "list", "--format: `%s` is not table or json", optarg);
        json = strcmp (optarg, "json") == 0;
        break;
      case 'q':
        quiet = true;
        break;
      default:
        return cli_usage (err, "list", "unknown option `%s`", argv[optind - 1]);
      }
  if (optind < argc)
    return cli_usage (err, "list", "unexpected argument `%s`", argv[optind]);
  r = cfsrun_container_list (g, quiet && !json, &e, &n, err);
  if (r < 0)
    return r;
  if (json)
    {
      char *text = NULL;

      r = cfsrun_list_to_json (e, n, &text, err);
      if (r == 0)
        printf ("%s\n", text);
      free (text);
    }
  else if (quiet)
    for (i = 0; i < n; i++)
      printf ("%s\n", e[i].id);
  else
    {
      printf ("%-20s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
      for (i = 0; i < n; i++)
        printf ("%-20s %-8d %-10s %-40s %-32s %u\n", e[i].id, e[i].pid, e[i].status, e[i].bundle,
                e[i].created, e[i].owner);
    }
  cfsrun_list_free (e, n);
  return r;
}
