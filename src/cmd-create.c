/* cfsrun create / cfsrun run: both take the create options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char create_help[]
    = "Usage: cfsrun create [OPTIONS] CONTAINER-ID\n\n"
      "Create a container from an OCI bundle. Its process waits for `cfsrun start`.\n\n"
      "Options:\n"
      "  -b, --bundle DIR          bundle directory (default: the current directory)\n"
      "      --console-socket PATH unix socket to send the terminal's pty master to\n"
      "      --pid-file FILE       write the container process's pid to FILE\n"
      "      --no-pivot            use chroot instead of pivot_root (for a ramfs root)\n"
      "      --no-new-keyring      keep the caller's session keyring\n"
      "      --preserve-fds N      pass N fds after stdio (3 .. 3+N-1) to the process\n"
      "      --init                PID 1 is cfsrun's built-in init, which runs the program, forwards\n"
      "                            signals to it, reaps zombies and exits with its status (also:\n"
      "                            annotation run.oci.cfsrun.init \"true\")\n";

static const char run_help[]
    = "Usage: cfsrun run [OPTIONS] CONTAINER-ID\n\n"
      "Create and start a container, wait for it to exit, delete it, and exit with its exit code\n"
      "(128+N when killed by signal N).\n\n"
      "Options: those of `cfsrun create`, and\n"
      "  -d, --detach              return once the container has started; leave it running\n";

enum
{
  OPT_CONSOLE_SOCKET = 256,
  OPT_PID_FILE,
  OPT_NO_PIVOT,
  OPT_NO_NEW_KEYRING,
  OPT_PRESERVE_FDS,
  OPT_INIT,
};

static const struct option create_options[] = {
  { "bundle", required_argument, NULL, 'b' },
  { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
  { "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },
  { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
  { "init", no_argument, NULL, OPT_INIT },
  { "detach", no_argument, NULL, 'd' },
  { NULL, 0, NULL, 0 },
};

static int
parse (int argc, char **argv, const char *cmd, struct cfsrun_create_options *o, bool *detach,
       struct cfs_error **err)
{
  int c;
  char *end;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "+b:d", create_options, NULL)) != -1)
    switch (c)
      {
      case 'b':
        o->bundle = optarg;
        break;
      case OPT_CONSOLE_SOCKET:
        o->console_socket = optarg;
        break;
      case OPT_PID_FILE:
        o->pid_file = optarg;
        break;
      case OPT_NO_PIVOT:
        o->no_pivot = true;
        break;
      case OPT_NO_NEW_KEYRING:
        o->no_new_keyring = true;
        break;
      case OPT_PRESERVE_FDS:
        o->preserve_fds = (int)strtol (optarg, &end, 10);
        if (*end || o->preserve_fds < 0)
          return cli_usage (err, cmd, "--preserve-fds: `%s` is not a non-negative number", optarg);
        break;
      case OPT_INIT:
        o->init = true;
        break;
      case 'd':
        if (detach == NULL)
          return cli_usage (err, cmd, "unknown option `-d`");
        *detach = true;
        break;
      default:
        return cli_usage (err, cmd, "unknown option `%s`", argv[optind - 1]);
      }
  if (cli_take_id (argc, argv, cmd, &o->id, err) < 0)
    return -1;
  if (optind < argc)
    return cli_usage (err, cmd, "unexpected argument `%s`", argv[optind]);
  return 0;
}

int
cmd_create (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err)
{
  struct cfsrun_create_options o = { 0 };
  int r;

  if (cli_help_requested (argc, argv, create_help))
    return 0;
  r = parse (argc, argv, "create", &o, NULL, err);
  if (r < 0)
    return r;
  return cfsrun_container_create (g, &o, err);
}

int
cmd_run (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err)
{
  struct cfsrun_create_options o = { 0 };
  bool detach = false;
  int r, status = 0;

  if (cli_help_requested (argc, argv, run_help))
    return 0;
  r = parse (argc, argv, "run", &o, &detach, err);
  if (r < 0)
    return r;
  r = cfsrun_container_run (g, &o, detach, &status, err);
  /* The program ran and was killed (OOM): its status, and the error. */
  return r < 0 && status <= 1 ? r : status;
}
