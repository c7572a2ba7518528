#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char help[]
    = "Usage: cfsrun spec [OPTIONS]\n\n"
      "Write a default config.json (sh on a terminal, in the bundle's rootfs/).\n\n"
      "Options:\n"
      "  -b, --bundle DIR   write it in DIR (default: the current directory)\n"
      "      --rootless     a config for an unprivileged user: a user namespace mapping\n"
      "                     the caller to root\n";

int
cmd_spec (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err)
{
  static const struct option opts[] = { { "bundle", required_argument, NULL, 'b' },
                                        { "rootless", no_argument, NULL, 'R' },
                                        { NULL, 0, NULL, 0 } };
  const char *bundle = ".";
  bool rootless = false;
  char path[4096], *json = NULL;
  int c, fd, r;

  (void)g;
  if (cli_help_requested (argc, argv, help))
    return 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+b:", opts, NULL)) != -1)
    switch (c)
      {
      case 'b':
        bundle = optarg;
        break;
      case 'R':
        rootless = true;
        break;
      default:
        return cli_usage (err, "spec", "unknown option `%s`", argv[optind - 1]);
      }
  if (optind < argc)
    return cli_usage (err, "spec", "unexpected argument `%s`", argv[optind]);
  r = cfsrun_spec_default (rootless, &json, err);
  if (r < 0)
    return r;
  snprintf (path, sizeof path, "%s/config.json", bundle);
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    r = cfs_fail (err, CFS_E_USAGE, errno, path,
                  errno == EEXIST ? "spec: will not overwrite" : "spec: create");
  else
    {
      size_t len = strlen (json);

      if (write (fd, json, len) != (ssize_t)len || write (fd, "\n", 1) != 1)
        r = cfs_fail (err, CFS_E_USAGE, errno, path, "spec: write");
      close (fd);
    }
  free (json);
  return r;
}
