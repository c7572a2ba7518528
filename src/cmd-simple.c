/* The commands that take only a container id (and a flag or two): start,
   state, kill, delete.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int
cmd_start (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err)
{
  static const char help[]
      = "Usage: cfsrun start CONTAINER-ID\n\nRun the user program of a created container.\n";
  const char *id;
  int r = cli_only_id (argc, argv, "start", help, &id, err);

  if (r != 0)
    return r < 0 ? r : 0;
  return cfsrun_container_start (g, id, err);
}

int
cmd_state (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err)
{
  static const char help[]
      = "Usage: cfsrun state CONTAINER-ID\n\n"
        "Print the state of a container (runtime-spec state JSON):\n"
        "ociVersion, id, status (creating, created, running, stopped), pid, bundle, annotations.\n";
  char *json = NULL;
  const char *id;
  int r = cli_only_id (argc, argv, "state", help, &id, err);

  if (r != 0)
    return r < 0 ? r : 0;
  r = cfsrun_container_state (g, id, &json, err);
  if (r < 0)
    return r;
  printf ("%s\n", json);
  free (json);
  return 0;
}

int
cmd_kill (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err)
{
  static const char help[]
      = "Usage: cfsrun kill [OPTIONS] CONTAINER-ID [SIGNAL]\n\n"
        "Send SIGNAL (default SIGTERM) to the container's process. SIGNAL is a name with or\n"
        "without SIG (KILL, SIGKILL), RTMIN+N, or a number.\n\n"
        "Options:\n"
        "  -a, --all   signal every process of the container, not only its init\n";
  static const struct option opts[] = { { "all", no_argument, NULL, 'a' }, { NULL, 0, NULL, 0 } };
  const char *id, *sig = "SIGTERM";
  bool all = false;
  int c;

  if (cli_help_requested (argc, argv, help))
    return 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+a", opts, NULL)) != -1)
    {
      if (c != 'a')
        return cli_usage (err, "kill", "unknown option `%s`", argv[optind - 1]);
      all = true;
    }
  if (cli_take_id (argc, argv, "kill", &id, err) < 0)
    return -1;
  if (optind < argc)
    sig = argv[optind++];
  if (optind < argc)
    return cli_usage (err, "kill", "unexpected argument `%s`", argv[optind]);
  return cfsrun_container_kill (g, id, sig, all, err);
}

int
cmd_delete (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err)
{
  static const char help[] = "Usage: cfsrun delete [OPTIONS] CONTAINER-ID\n\n"
                             "Delete a stopped container and everything cfsrun made for it.\n\n"
                             "Options:\n"
                             "  -f, --force   kill the container first if it is not stopped; succeed if it\n"
                             "                does not exist\n";
  static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
  const char *id;
  bool force = false;
  int c;

  if (cli_help_requested (argc, argv, help))
    return 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+f", opts, NULL)) != -1)
    {
      if (c != 'f')
        return cli_usage (err, "delete", "unknown option `%s`", argv[optind - 1]);
      force = true;
    }
  if (cli_take_id (argc, argv, "delete", &id, err) < 0)
    return -1;
  if (optind < argc)
    return cli_usage (err, "delete", "unexpected argument `%s`", argv[optind]);
  return cfsrun_container_delete (g, id, force, err);
}
