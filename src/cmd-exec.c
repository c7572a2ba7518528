#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[]
    = "Usage: cfsrun exec [OPTIONS] CONTAINER-ID COMMAND [ARGS...]\n"
      "       cfsrun exec [OPTIONS] --process process.json CONTAINER-ID\n\n"
      "Run a new process in a created or running container: it joins every namespace of the container and\n"
      "gets its seccomp filter, capabilities and rlimits. Exits with the process's exit code.\n\n"
      "Options:\n"
      "  -p, --process FILE       a process.json (runtime-spec process) instead of COMMAND\n"
      "  -e, --env KEY=VALUE      add (or replace) an environment variable; repeatable\n"
      "      --cwd DIR            working directory inside the container\n"
      "  -u, --user UID[:GID]     user to run as\n"
      "      --additional-gids L  comma-separated supplementary gids\n"
      "  -c, --cap CAP            add a capability to every set; repeatable\n"
      "      --no-new-privs       set no_new_privs\n"
      "  -t, --tty                allocate a terminal (needs --console-socket)\n"
      "      --console-socket P   unix socket to send the pty master to\n"
      "  -d, --detach             return once the process has started\n"
      "      --pid-file FILE      write the process's pid to FILE\n"
      "      --preserve-fds N     pass N fds after stdio\n"
      "      --apparmor PROFILE   AppArmor profile\n"
      "      --process-label L    SELinux label\n"
      "      --cgroup PATH        run in this (existing) sub-cgroup of the container\n";

enum
{
  OPT_CWD = 256,
  OPT_GIDS,
  OPT_NNP,
  OPT_CONSOLE,
  OPT_PIDFILE,
  OPT_PRESERVE,
  OPT_APPARMOR,
  OPT_LABEL,
  OPT_CGROUP,
};

static const struct option opts[] = {
  { "process", required_argument, NULL, 'p' },
  { "env", required_argument, NULL, 'e' },
  { "cwd", required_argument, NULL, OPT_CWD },
  { "user", required_argument, NULL, 'u' },
  { "additional-gids", required_argument, NULL, OPT_GIDS },
  { "cap", required_argument, NULL, 'c' },
  { "no-new-privs", no_argument, NULL, OPT_NNP },
  { "tty", no_argument, NULL, 't' },
  { "console-socket", required_argument, NULL, OPT_CONSOLE },
  { "detach", no_argument, NULL, 'd' },
  { "pid-file", required_argument, NULL, OPT_PIDFILE },
  { "preserve-fds", required_argument, NULL, OPT_PRESERVE },
  { "apparmor", required_argument, NULL, OPT_APPARMOR },
  { "process-label", required_argument, NULL, OPT_LABEL },
  { "cgroup", required_argument, NULL, OPT_CGROUP },
  { NULL, 0, NULL, 0 },
};

int
cmd_exec (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err)
{
  struct cfsrun_exec_options o = { 0 };
  char *envs[256], *caps[64], *end;
  int c, r, status = 0;

  if (cli_help_requested (argc, argv, help))
    return 0;
  o.env = envs;
  o.caps = caps;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+p:e:u:c:td", opts, NULL)) != -1)
    switch (c)
      {
      case 'p':
        o.process_file = optarg;
        break;
      case 'e':
        if (o.env_len == 256)
          return cli_usage (err, "exec", "too many --env");
        envs[o.env_len++] = optarg;
        break;
      case OPT_CWD:
        o.cwd = optarg;
        break;
      case 'u':
        o.user = optarg;
        break;
      case OPT_GIDS:
        o.additional_gids = optarg;
        break;
      case 'c':
        if (o.caps_len == 64)
          return cli_usage (err, "exec", "too many --cap");
        caps[o.caps_len++] = optarg;
        break;
      case OPT_NNP:
        o.no_new_privs = true;
        break;
      case 't':
        o.tty = true;
        break;
      case OPT_CONSOLE:
        o.console_socket = optarg;
        break;
      case 'd':
        o.detach = true;
        break;
      case OPT_PIDFILE:
        o.pid_file = optarg;
        break;
      case OPT_PRESERVE:
        o.preserve_fds = (int)strtol (optarg, &end, 10);
        if (*end || o.preserve_fds < 0)
          return cli_usage (err, "exec", "--preserve-fds: `%s` is not a non-negative number", optarg);
        break;
      case OPT_APPARMOR:
        o.apparmor = optarg;
        break;
      case OPT_LABEL:
        o.process_label = optarg;
        break;
      case OPT_CGROUP:
        o.cgroup = optarg;
        break;
      default:
        return cli_usage (err, "exec", "unknown option `%s`", argv[optind - 1]);
      }
  if (cli_take_id (argc, argv, "exec", &o.id, err) < 0)
    return -1;
  o.args = argv + optind;
  o.args_len = (size_t)(argc - optind);
  if (o.process_file && o.args_len)
    return cli_usage (err, "exec", "give either --process or a command, not both");
  r = cfsrun_container_exec (g, &o, &status, err);
  return r < 0 ? r : status;
}
