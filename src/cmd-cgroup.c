/* pause, resume, ps, update, events: the commands on a container's cgroup. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

int
cmd_pause (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err)
{
  static const char help[] = "Usage: cfsrun pause CONTAINER-ID\n\nFreeze every process of the container (its "
                             "cgroup's freezer); `state` then says paused.\n";
  const char *id;
  int r = cli_only_id (argc, argv, "pause", help, &id, err);

  return r != 0 ? (r < 0 ? r : 0) : cfsrun_container_pause (g, id, err);
}

int
cmd_resume (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err)
{
  static const char help[] = "Usage: cfsrun resume CONTAINER-ID\n\nThaw a paused container.\n";
  const char *id;
  int r = cli_only_id (argc, argv, "resume", help, &id, err);

  return r != 0 ? (r < 0 ? r : 0) : cfsrun_container_resume (g, id, err);
}

int
cmd_ps (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err)
{
  static const char help[]
      = "Usage: cfsrun ps [OPTIONS] CONTAINER-ID [PS-ARGS...]\n\n"
        "List the container's processes: ps(1) with PS-ARGS (default -ef), keeping its lines "
        "for them.\n\nOptions:\n  -f, --format FORMAT   table (default) or json (the pids)\n";
  static const struct option opts[] = { { "format", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
  const char *id;
  bool json = false;
  int c, r;

  if (cli_help_requested (argc, argv, help))
    return 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+f:", opts, NULL)) != -1)
    {
      if (c != 'f' || (strcmp (optarg, "json") != 0 && strcmp (optarg, "table") != 0))
        return cli_usage (err, "ps", c == 'f' ? "--format: `%s` is not table or json" : "unknown option `%s`",
                          c == 'f' ? optarg : argv[optind - 1]);
      json = strcmp (optarg, "json") == 0;
    }
  if (cli_take_id (argc, argv, "ps", &id, err) < 0)
    return -1;
  if (json)
    {
      int *pids = NULL;
      size_t n = 0, i;

      if ((r = cfsrun_container_pids (g, id, &pids, &n, err)) < 0)
        return r;
      printf ("[");
      for (i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", pids[i]);
      printf ("]\n");
      free (pids);
      return 0;
    }
  {
    char *text = NULL;

    r = cfsrun_container_ps_table (g, id, argv + optind, (size_t)(argc - optind), &text, err);
    if (r == 0)
      fputs (text, stdout);
    free (text);
    return r;
  }
}

int
cmd_update (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err)
{
  static const char help[]
      = "Usage: cfsrun update [OPTIONS] CONTAINER-ID\n\n"
        "Change the resource limits of a running container.\n\nOptions:\n"
        "  -r, --resources FILE         a runtime-spec linux.resources JSON (- for stdin is not supported)\n"
        "      --memory SIZE            memory limit (e.g. 128M; -1 for none)\n"
        "      --memory-swap SIZE       memory plus swap limit\n"
        "      --memory-reservation SIZE  soft limit\n"
        "      --kernel-memory SIZE     kernel memory limit (where the kernel has it)\n"
        "      --cpu-shares N           relative CPU weight\n"
        "      --cpu-quota N            CPU time per period, in microseconds\n"
        "      --cpu-period N           the period, in microseconds\n"
        "      --cpuset-cpus LIST       CPUs to run on (0-3,7)\n"
        "      --cpuset-mems LIST       memory nodes\n"
        "      --pids-limit N           maximum number of processes\n"
        "      --blkio-weight N         block I/O weight (10..1000)\n";
  enum
  {
    O_MEM = 256,
    O_SWAP,
    O_RES,
    O_KMEM,
    O_SHARES,
    O_QUOTA,
    O_PERIOD,
    O_CPUS,
    O_MEMS,
    O_PIDS,
    O_BLKIO,
  };
  static const struct option opts[] = {
    { "resources", required_argument, NULL, 'r' },
    { "memory", required_argument, NULL, O_MEM },
    { "memory-swap", required_argument, NULL, O_SWAP },
    { "memory-reservation", required_argument, NULL, O_RES },
    { "kernel-memory", required_argument, NULL, O_KMEM },
    { "cpu-shares", required_argument, NULL, O_SHARES },
    { "cpu-quota", required_argument, NULL, O_QUOTA },
    { "cpu-period", required_argument, NULL, O_PERIOD },
    { "cpuset-cpus", required_argument, NULL, O_CPUS },
    { "cpuset-mems", required_argument, NULL, O_MEMS },
    { "pids-limit", required_argument, NULL, O_PIDS },
    { "blkio-weight", required_argument, NULL, O_BLKIO },
    { NULL, 0, NULL, 0 },
  };
  struct cfsrun_update u = { 0 };
  const char *id;
  int c;

  if (cli_help_requested (argc, argv, help))
    return 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+r:", opts, NULL)) != -1)
    switch (c)
      {
      case 'r':
        u.resources_file = optarg;
        break;
      case O_MEM:
        u.memory = optarg;
        break;
      case O_SWAP:
        u.memory_swap = optarg;
        break;
      case O_RES:
        u.memory_reservation = optarg;
        break;
      case O_KMEM:
        u.kernel_memory = optarg;
        break;
      case O_SHARES:
        u.cpu_shares = optarg;
        break;
      case O_QUOTA:
        u.cpu_quota = optarg;
        break;
      case O_PERIOD:
        u.cpu_period = optarg;
        break;
      case O_CPUS:
        u.cpuset_cpus = optarg;
        break;
      case O_MEMS:
        u.cpuset_mems = optarg;
        break;
      case O_PIDS:
        u.pids_limit = optarg;
        break;
      case O_BLKIO:
        u.blkio_weight = optarg;
        break;
      default:
        return cli_usage (err, "update", "unknown option `%s`", argv[optind - 1]);
      }
  if (cli_take_id (argc, argv, "update", &id, err) < 0)
    return -1;
  if (optind < argc)
    return cli_usage (err, "update", "unexpected argument `%s`", argv[optind]);
  return cfsrun_container_update (g, id, &u, err);
}

static int
print_stats (const struct cfsrun_global *g, const char *id, struct cfs_error **err)
{
  char *json = NULL;
  int r = cfsrun_container_stats (g, id, &json, err);

  if (r < 0)
    return r;
  printf ("%s\n", json);
  fflush (stdout);
  free (json);
  return 0;
}

/* Stats every INTERVAL seconds and OOM kills as they happen, until the
   container stops.  */
static int
stream_events (const struct cfsrun_global *g, const char *id, double interval, struct cfs_error **err)
{
  struct cfsrun_oom_watch *w = NULL;
  struct cfs_error *e = NULL;

  /* Without a memory cgroup there are only stats to give. */
  if (cfsrun_container_oom_watch (g, id, &w, &e) < 0)
    {
      if (e && e->code != CFS_E_CGROUP)
        {
          *err = e;
          return -1;
        }
      cfs_error_free (e);
    }
  for (;;)
    {
      struct pollfd p = { .fd = w ? cfsrun_oom_watch_fd (w) : -1, .events = POLLIN };
      int ready = poll (&p, 1, (int)(interval * 1000));

      if (ready > 0)
        {
          unsigned k = cfsrun_oom_watch_read (w);
          char *json = NULL;

          for (; k > 0 && cfsrun_oom_event (id, &json, err) == 0; k--, free (json))
            printf ("%s\n", json);
          fflush (stdout);
        }
      else if (ready == 0 && print_stats (g, id, NULL) < 0)
        break; /* stopped */
    }
  cfsrun_oom_watch_free (w);
  return 0;
}

int
cmd_events (int argc, char **argv, const struct cfsrun_global *g, struct cfs_error **err)
{
  static const char help[] = "Usage: cfsrun events [OPTIONS] CONTAINER-ID\n\n"
                             "Print the container's events as JSON lines, as runc does: statistics\n"
                             "every --interval, and an {\"type\":\"oom\"} event on each OOM kill, until\n"
                             "the container stops.\n\nOptions:\n"
                             "      --stats           print one stats event and exit\n"
                             "      --interval SECS   statistics every SECS seconds (default 5)\n";
  static const struct option opts[] = { { "stats", no_argument, NULL, 's' },
                                        { "interval", required_argument, NULL, 'i' },
                                        { NULL, 0, NULL, 0 } };
  const char *id;
  bool once = false;
  double interval = 5;
  int c;

  if (cli_help_requested (argc, argv, help))
    return 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+", opts, NULL)) != -1)
    {
      char *end;

      if (c == 's')
        once = true;
      else if (c == 'i' && (interval = strtod (optarg, &end)) > 0 && (*end == '\0' || strcmp (end, "s") == 0))
        continue;
      else
        return cli_usage (err, "events",
                          c == 'i' ? "--interval: `%s` is not a number of seconds" : "unknown option `%s`",
                          c == 'i' ? optarg : argv[optind - 1]);
    }
  if (cli_take_id (argc, argv, "events", &id, err) < 0)
    return -1;
  if (once)
    return print_stats (g, id, err);
  return stream_events (g, id, interval, err);
}
