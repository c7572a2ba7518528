/* cfsrun: global options, the command table, and the single place an
   error is printed.  */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct cli_command commands[] = {
  { "create", cmd_create, "create a container, ready for start" },
  { "start", cmd_start, "run the user program of a created container" },
  { "run", cmd_run, "create and start a container, and wait for it" },
  { "exec", cmd_exec, "run a new process in a running container" },
  { "state", cmd_state, "print the state of a container as JSON" },
  { "kill", cmd_kill, "send a signal to a container" },
  { "delete", cmd_delete, "delete a stopped container" },
  { "list", cmd_list, "list containers" },
  { "ps", cmd_ps, "list the processes of a container" },
  { "pause", cmd_pause, "freeze every process of a container" },
  { "resume", cmd_resume, "thaw a paused container" },
  { "update", cmd_update, "change the resource limits of a container" },
  { "events", cmd_events, "print statistics of a container" },
  { "spec", cmd_spec, "write a default config.json" },
  { "features", cmd_features, "print the features this build supports" },
  { "check", cmd_check, "inspect this host: what works, and the fix for what does not" },
};

static void
usage (FILE *out)
{
  size_t i;

  fprintf (out, "Usage: cfsrun [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n\n"
                "An OCI container runtime.\n\nCommands:\n");
  for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf (out, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf (
      out,
      "\nGlobal options:\n"
      "  --root DIR           state directory (default /run/cfsrun; $XDG_RUNTIME_DIR/cfsrun when not root)\n"
      "  --log FILE           also write errors and debug output to FILE\n"
      "  --log-format FORMAT  text or json (one JSON object per line, as runc writes)\n"
      "  --log-level LEVEL    error, warning, info or debug\n"
      "  --debug              debug output\n"
      "  --trace              print how long each phase of create and start took\n"
      "  --systemd-cgroup     manage cgroups through systemd\n"
      "  -v, --version        print the version\n"
      "  -h, --help           print this help\n\n"
      "Run `cfsrun COMMAND --help` for the options of a command.\n");
}

int
cli_usage (struct cfs_error **err, const char *cmd, const char *fmt, ...)
{
  char *msg = NULL;
  va_list ap;
  int r;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  r = cfs_fail (err, CFS_E_USAGE, 0, NULL, "%s: %s (see `cfsrun %s --help`)", cmd, msg ? msg : "usage", cmd);
  free (msg);
  return r;
}

bool
cli_help_requested (int argc, char **argv, const char *help)
{
  int i;

  for (i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        break;
      if (strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "--help") == 0)
        {
          fputs (help, stdout);
          return true;
        }
    }
  return false;
}

int
cli_take_id (int argc, char **argv, const char *cmd, const char **ret_id, struct cfs_error **err)
{
  if (optind >= argc)
    return cli_usage (err, cmd, "missing container id");
  *ret_id = argv[optind++];
  return 0;
}

int
cli_only_id (int argc, char **argv, const char *cmd, const char *help, const char **ret_id,
             struct cfs_error **err)
{
  if (cli_help_requested (argc, argv, help))
    return 1;
  optind = 1;
  if (argc > 1 && argv[1][0] == '-' && strcmp (argv[1], "--") != 0)
    return cli_usage (err, cmd, "unknown option `%s`", argv[1]);
  if (argc > 1 && strcmp (argv[1], "--") == 0)
    optind = 2;
  if (cli_take_id (argc, argv, cmd, ret_id, err) < 0)
    return -1;
  if (optind < argc)
    return cli_usage (err, cmd, "unexpected argument `%s`", argv[optind]);
  return 0;
}

static const char *
default_root (struct cfs_error **err, char *buf, size_t size)
{
  const char *xdg = getenv ("XDG_RUNTIME_DIR");

  /* Root of a user namespace (rootless Podman runs its runtime so) cannot
     write the host's /run: its user's runtime dir, when it has one.  */
  if (geteuid () == 0 && (!cfsrun_rootless () || xdg == NULL || xdg[0] == '\0'))
    return "/run/cfsrun";
  if (xdg == NULL || xdg[0] == '\0')
    {
      cfs_fail (err, CFS_E_USAGE, 0, NULL,
                "not running as root and $XDG_RUNTIME_DIR is not set: give a state directory with --root");
      return NULL;
    }
  snprintf (buf, size, "%s/cfsrun", xdg);
  return buf;
}

enum
{
  OPT_ROOT = 256,
  OPT_LOG,
  OPT_LOG_FORMAT,
  OPT_LOG_LEVEL,
  OPT_DEBUG,
  OPT_TRACE,
  OPT_SYSTEMD_CGROUP,
  OPT_ROOTLESS,
};

static const struct option global_options[] = {
  { "root", required_argument, NULL, OPT_ROOT },
  { "log", required_argument, NULL, OPT_LOG },
  { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
  { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
  { "debug", no_argument, NULL, OPT_DEBUG },
  { "trace", no_argument, NULL, OPT_TRACE },
  { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP },
  { "rootless", required_argument, NULL, OPT_ROOTLESS },
  { "version", no_argument, NULL, 'v' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static int
parse_globals (int argc, char **argv, struct cfsrun_global *g, struct cfs_log_options *log,
               struct cfs_error **err)
{
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "+vh", global_options, NULL)) != -1)
    switch (c)
      {
      case OPT_ROOT:
        g->root = optarg;
        break;
      case OPT_LOG:
        log->path = optarg;
        break;
      case OPT_LOG_FORMAT:
        if (strcmp (optarg, "json") != 0 && strcmp (optarg, "text") != 0)
          return cfs_fail (err, CFS_E_USAGE, 0, NULL, "--log-format: `%s` is not text or json", optarg);
        log->format = strcmp (optarg, "json") == 0 ? CFS_LOG_JSON : CFS_LOG_TEXT;
        break;
      case OPT_LOG_LEVEL:
        log->debug = strcmp (optarg, "debug") == 0;
        break;
      case OPT_DEBUG:
        log->debug = true;
        break;
      case OPT_TRACE:
        log->trace = true;
        break;
      case OPT_SYSTEMD_CGROUP:
        g->systemd_cgroup = true;
        break;
      case OPT_ROOTLESS:
        break; /* runc's --rootless auto|true|false: detected, not asked */
      case 'v':
        printf ("cfsrun version %s\nspec: %s\n", PACKAGE_VERSION, "1.2.0");
        exit (0);
      case 'h':
        usage (stdout);
        exit (0);
      default:
        return cfs_fail (err, CFS_E_USAGE, 0, NULL, "unknown global option `%s` (see `cfsrun --help`)",
                         argv[optind - 1]);
      }
  return 0;
}

int
main (int argc, char **argv)
{
  struct cfsrun_global g = { 0 };
  struct cfs_log_options log = { 0 };
  struct cfs_error *err = NULL;
  char rootbuf[4096];
  const char *name;
  size_t i;
  int r;

  r = parse_globals (argc, argv, &g, &log, &err);
  if (r == 0)
    r = cfs_log_init (&log, &err);
  if (r == 0)
    cfsrun_trace_init ();
  if (r == 0 && g.root == NULL && (g.root = default_root (&err, rootbuf, sizeof rootbuf)) == NULL)
    r = -1;
  if (r == 0 && optind >= argc)
    {
      usage (stderr);
      return 1;
    }
  if (r == 0)
    {
      name = argv[optind];
      for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp (name, commands[i].name) == 0)
          break;
      if (i == sizeof commands / sizeof commands[0])
        r = cfs_fail (&err, CFS_E_USAGE, 0, NULL, "unknown command `%s` (see `cfsrun --help`)", name);
      else
        {
          argv += optind;
          argc -= optind;
          optind = 1;
          r = commands[i].run (argc, argv, &g, &err);
        }
    }
  /* An error goes out once; a command may return an exit status with
     one (run of a program the OOM killer killed).  */
  if (err)
    {
      cfs_log_error (err);
      cfs_error_free (err);
    }
  if (r < 0)
    r = 1;
  cfs_log_close ();
  return r;
}
