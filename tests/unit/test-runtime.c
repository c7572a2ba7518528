/* Unit tests for the pure parts of libcfsrun: config validation (each error
   names its field), plans, option and signal parsing, the error type.  */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>

#include "bundle.h"
#include "caps.h"
#include "error.h"
#include "mounts.h"
#include "namespaces.h"
#include "proc.h"
#include "sealed-exe.h"
#include "signals.h"
#include "state.h"
#include "tap.h"
#include "trace.h"
#include "util.h"

#define BASE  "\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"}"
#define PROC  "\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"]}"
#define MNTNS "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}"

/* bundle_parse must fail with CODE and a message containing TEXT. */
static void
config_fails (const char *json, enum cfs_code code, const char *text)
{
  struct cfs_bundle b;
  struct cfs_error *e = NULL;
  int r = bundle_parse (json, strlen (json), &b, &e);

  ok (r < 0 && e != NULL, "config rejected: %s", text);
  ok (e && e->code == code, "code is %s (got %s)", cfs_code_name (code),
      e ? cfs_code_name (e->code) : "none");
  ok (e && e->msg && strstr (e->msg, text), "message has `%s` (got `%s`)", text, e && e->msg ? e->msg : "");
  cfs_error_free (e);
  bundle_done (&b);
}

static void
test_config (void)
{
  struct cfs_bundle b;
  struct cfs_error *e = NULL;
  const char *good = "{" BASE "," PROC "," MNTNS "}";

  ok (bundle_parse (good, strlen (good), &b, &e) == 0, "minimal config is valid");
  ok (b.ns.clone_flags != 0 && b.ns.wanted[NS_MOUNT], "mount namespace planned");
  bundle_done (&b);
  cfs_error_free (e);

  config_fails ("{" BASE ",\"process\":{\"cwd\":\"/\",\"args\":[\"sh\",7]}," MNTNS "}", CFS_E_CONFIG_INVALID,
                "config.json: process.args[1]: expected string, got number");
  config_fails ("{" BASE "," MNTNS "}", CFS_E_CONFIG_INVALID, "process: required");
  config_fails ("{\"ociVersion\":\"2.0.0\"," PROC "," MNTNS "}", CFS_E_CONFIG_UNSUPPORTED, "ociVersion");
  config_fails ("{" BASE ",\"process\":{\"cwd\":\"/\",\"args\":[]}," MNTNS "}", CFS_E_CONFIG_INVALID,
                "process.args");
  config_fails ("{" BASE ",\"process\":{\"cwd\":\"rel\",\"args\":[\"sh\"]}," MNTNS "}", CFS_E_CONFIG_INVALID,
                "process.cwd");
  config_fails ("{" BASE ",\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],\"env\":[\"NOEQUALS\"]}," MNTNS "}",
                CFS_E_CONFIG_INVALID, "process.env[0]");
  config_fails ("{" BASE "," PROC ",\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"bogus\"}]}}",
                CFS_E_CONFIG_INVALID, "linux.namespaces[1].type: unknown namespace type `bogus`");
  config_fails ("{" BASE "," PROC ",\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"mount\"}]}}",
                CFS_E_CONFIG_INVALID, "listed twice");
  config_fails ("{" BASE "," PROC ",\"hostname\":\"h\"," MNTNS "}", CFS_E_CONFIG_INVALID, "hostname");
  config_fails ("{" BASE
                ",\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],\"rlimits\":[{\"type\":\"RLIMIT_BOGUS\","
                "\"hard\":1,\"soft\":1}]}," MNTNS "}",
                CFS_E_CONFIG_INVALID, "unknown rlimit `RLIMIT_BOGUS`");
  config_fails ("{" BASE
                ",\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\","
                "\"hard\":1,\"soft\":2}]}," MNTNS "}",
                CFS_E_CONFIG_INVALID, "soft limit 2 is above hard limit 1");
  config_fails ("{" BASE ",\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],\"capabilities\":{\"bounding\":"
                "[\"CAP_FLY\"]}}," MNTNS "}",
                CFS_E_CONFIG_INVALID, "process.capabilities.bounding[0]: unknown capability `CAP_FLY`");
  config_fails ("{" BASE "," PROC
                ",\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"devices\":[{\"type\":\"x\","
                "\"path\":\"/dev/x\"}]}}",
                CFS_E_CONFIG_INVALID, "linux.devices[0].type: `x` is not a device type");
  config_fails (
      "{" BASE "," PROC ",\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"uidMappings\":["
      "{\"containerID\":0,\"hostID\":1000,\"size\":10},{\"containerID\":5,\"hostID\":2000,\"size\":1}]}}",
      CFS_E_CONFIG_INVALID, "linux.uidMappings[1] overlaps linux.uidMappings[0]");
  config_fails ("{" BASE "," PROC ",\"linux\":{\"namespaces\":[{\"type\":\"mount\",\"path\":\"relative\"}]}}",
                CFS_E_CONFIG_INVALID, "not an absolute path");
  config_fails ("{" BASE ",\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],\"oomScoreAdj\":5000}," MNTNS "}",
                CFS_E_CONFIG_INVALID, "process.oomScoreAdj");
}

static void
test_signals (void)
{
  struct
  {
    const char *text;
    int sig;
  } cases[] = { { "KILL", SIGKILL },         { "SIGKILL", SIGKILL },
                { "sigterm", SIGTERM },      { "9", 9 },
                { "HUP", SIGHUP },           { "RTMIN", SIGRTMIN },
                { "RTMIN+2", SIGRTMIN + 2 }, { "SIGRTMAX-1", SIGRTMAX - 1 } };
  const char *bad[] = { "SIGFOO", "0", "65", "-1", "", "RTMIN+99", "9x" };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      int sig = 0;
      ok (signals_parse (cases[i].text, &sig, NULL) == 0 && sig == cases[i].sig, "signal `%s` is %d",
          cases[i].text, cases[i].sig);
    }
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      struct cfs_error *e = NULL;
      int sig;
      ok (signals_parse (bad[i], &sig, &e) < 0 && e && e->code == CFS_E_SIGNAL_INVALID,
          "signal `%s` is rejected", bad[i]);
      cfs_error_free (e);
    }
}

static void
test_mount_options (void)
{
  char *opts[] = { "nosuid", "ro", "noexec", "rw", "rbind", "rslave", "size=64k", "mode=755", "strictatime" };
  struct mount_flags f;

  ok (mounts_parse_options (opts, 9, "mounts[0].options", &f, NULL) == 0, "parse options");
  ok ((f.set & MS_NOSUID) && (f.set & MS_NOEXEC), "nosuid, noexec set");
  ok (!(f.set & MS_RDONLY), "a later rw clears an earlier ro");
  ok (f.bind && f.recursive_bind, "rbind");
  ok (f.propagation == (MS_SLAVE | MS_REC), "rslave propagation");
  ok (f.set & MS_STRICTATIME, "strictatime");
  is_str (f.data, "size=64k,mode=755", "filesystem data keeps order");
  mounts_flags_done (&f);
}

static void
test_ids (void)
{
  const char *good[] = { "a", "abc-123_x.y+z", "A" };
  const char *bad[] = { "", ".", "..", "a/b", "a b", "x;y" };
  size_t i;

  for (i = 0; i < 3; i++)
    ok (state_validate_id (good[i], NULL) == 0, "id `%s` accepted", good[i]);
  for (i = 0; i < 6; i++)
    {
      struct cfs_error *e = NULL;
      ok (state_validate_id (bad[i], &e) < 0 && e->code == CFS_E_ID_INVALID, "id `%s` rejected", bad[i]);
      cfs_error_free (e);
    }
  {
    char *longid = malloc (1100);
    memset (longid, 'a', 1099);
    longid[1099] = '\0';
    ok (state_validate_id (longid, NULL) < 0, "a 1099-character id is rejected");
    free (longid);
  }
}

static void
test_error_type (void)
{
  struct cfs_error *e = NULL, *back;
  char *buf = NULL, *text;
  size_t len;
  int r = cfs_fail (&e, CFS_E_MOUNT, 2, "/mnt/x", "mount tmpfs on");

  ok (r == -2, "cfs_fail returns -errno");
  cfs_wrap (&e, "mounts[3]");
  text = cfs_error_text (e);
  is_str (text, "mounts[3]: mount tmpfs on `/mnt/x`: No such file or directory",
          "text carries context, path, errno");
  ok (cfs_error_serialize (e, &buf, &len) == 0, "serialize");
  back = cfs_error_deserialize (buf, len);
  ok (back && back->code == CFS_E_MOUNT && back->errnum == 2 && strcmp (back->path, "/mnt/x") == 0
          && strcmp (back->msg, e->msg) == 0,
      "an error survives the trip from child to parent");
  is_str (cfs_code_name (CFS_E_EXEC_CRLF_SHEBANG), "EXEC_CRLF_SHEBANG", "stable code names");
  ok (cfs_fail (&e, CFS_E_USAGE, 0, NULL, "second") < 0 && strcmp (cfs_code_name (e->code), "MOUNT") == 0,
      "the first error is kept");
  free (text);
  free (buf);
  cfs_error_free (back);
  cfs_error_free (e);
}

static void
test_traceparent (void)
{
  static const struct
  {
    const char *value, *why; /* why: NULL for valid, else part of the reason */
  } cases[] = {
    { "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", NULL },
    { "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-later-fields", NULL },
    { "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "trace id" },
    { "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "all zeros" },
    { "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "all zeros" },
    { "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "version ff" },
    { "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", "after the flags" },
    { "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g", "flags" },
    { "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01", "form" },
    { "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "too short" },
    { "", "too short" },
  };
  struct trace_parent tp;
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      const char *why = trace_parse (cases[i].value, &tp);

      if (cases[i].why == NULL)
        ok (why == NULL, "traceparent `%s` is valid (%s)", cases[i].value, why ? why : "");
      else
        ok (why && strstr (why, cases[i].why), "traceparent `%s` is refused: %s", cases[i].value,
            why ? why : "accepted");
    }
  trace_parse (cases[0].value, &tp);
  is_str (tp.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736", "trace id parsed");
  is_str (tp.parent_id, "00f067aa0ba902b7", "parent id parsed");
  is_str (tp.flags, "01", "flags parsed");
}

/* When cfsrun must run from a sealed copy of itself. */
static void
test_seal (void)
{
  struct caps_plan caps = { 0 };
  struct ns_plan ns = { 0 };

  caps.bounding = 1ULL << 5;
  ok (!sealed_exe_ptrace_possible (true, &caps, &ns), "no CAP_SYS_PTRACE: no seal");
  caps.bounding |= 1ULL << 19;
  ok (sealed_exe_ptrace_possible (true, &caps, &ns), "CAP_SYS_PTRACE, no user namespace: seal");
  ok (sealed_exe_ptrace_possible (false, &caps, &ns), "no capabilities given (all kept): seal");
  ns.wanted[NS_USER] = true;
  ok (!sealed_exe_ptrace_possible (true, &caps, &ns), "CAP_SYS_PTRACE in a new user namespace: no seal");
  ns.path[NS_USER] = "/proc/self/ns/user";
  ok (sealed_exe_ptrace_possible (true, &caps, &ns), "a user namespace by path that is ours: seal");
  ns.path[NS_USER] = "/nonexistent";
  ok (!sealed_exe_ptrace_possible (true, &caps, &ns), "a user namespace by path that is not ours: no seal");
}

/* The annotation asking for the built-in init. */
static void
test_init_annotation (void)
{
  const char *on = "{" BASE "," PROC "," MNTNS ",\"annotations\":{\"run.oci.cfsrun.init\":\"true\"}}";
  const char *off = "{" BASE "," PROC "," MNTNS ",\"annotations\":{\"run.oci.cfsrun.init\":\"false\"}}";
  struct cfs_bundle b;
  struct cfs_error *e = NULL;

  ok (bundle_parse (on, strlen (on), &b, &e) == 0 && b.init, "annotation \"true\": the built-in init");
  bundle_done (&b);
  ok (bundle_parse (off, strlen (off), &b, &e) == 0 && !b.init, "annotation \"false\": no init");
  bundle_done (&b);
  cfs_error_free (e);
  config_fails ("{" BASE "," PROC "," MNTNS ",\"annotations\":{\"run.oci.cfsrun.init\":\"1\"}}",
                CFS_E_CONFIG_INVALID, "annotations.run.oci.cfsrun.init: `1` is not `true` or `false`");
}

/* In a child with its own mount namespace: PATH bind-mounted over by
   SRC; 0 when util_open_proc refuses it with EXDEV.  */
static int
overmounted_proc_refused (const char *src, const char *path)
{
  pid_t pid = fork ();
  int st = 0;

  if (pid == 0)
    {
      int fd;

      if (unshare (CLONE_NEWNS) < 0 || mount ("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0
          || mount (src, path, "none", MS_BIND, NULL) < 0)
        _exit (2);
      fd = util_open_proc (path, O_RDONLY);
      _exit (fd < 0 && errno == EXDEV ? 0 : 1);
    }
  while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED (st) ? WEXITSTATUS (st) : 3;
}

static void
test_proc_open (void)
{
  int fd = util_open_proc ("/proc/self/status", O_RDONLY);

  ok (fd >= 0, "a procfs file opens (through /proc/self)");
  if (fd >= 0)
    close (fd);
  fd = util_open_proc ("/proc/../etc/passwd", O_RDONLY);
  ok (fd < 0 && errno == EXDEV, "a path that leaves procfs is refused");
  ok (util_open_proc ("/etc/passwd", O_RDONLY) < 0 && errno == EXDEV, "a path outside /proc is refused");
  if (geteuid () == 0)
    ok (overmounted_proc_refused ("/etc/hostname", "/proc/sys/kernel/hostname") == 0,
        "a file bind-mounted over a procfs file is refused");
}

/* A child is running while it lives; not once it is a zombie, nor under a
   pidfs inode or start time of another process (a recycled pid).  */
static void
check_liveness (bool by_inode, const char *how)
{
  uint64_t start = 0, ino = 0;
  int wake[2];
  pid_t pid;
  char c = 0;

  if (pipe (wake) < 0)
    return;
  pid = fork ();
  if (pid == 0)
    {
      close (wake[1]);
      _exit (read (wake[0], &c, 1) == 1 ? 0 : 1);
    }
  close (wake[0]);
  proc_pid_stat (pid, NULL, &start);
  if (by_inode)
    {
      int fd = (int)syscall (SYS_pidfd_open, pid, 0);

      ino = fd >= 0 ? proc_pidfd_ino (fd) : 0;
      if (fd >= 0)
        close (fd);
    }
  ok (proc_pid_is_running (pid, start, ino), "%s: a live child is running", how);
  ok (!proc_pid_is_running (pid, start + 1, ino ? ino + 1 : 0), "%s: another process under its pid is not",
      how);
  if (write (wake[1], &c, 1) != 1)
    return;
  close (wake[1]);
  /* A zombie until reaped: wait for the exit without reaping. */
  waitid (P_PID, (id_t)pid, &(siginfo_t){ 0 }, WEXITED | WNOWAIT);
  ok (!proc_pid_is_running (pid, start, ino), "%s: a zombie is not running", how);
  waitpid (pid, NULL, 0);
  ok (!proc_pid_is_running (pid, start, ino), "%s: a reaped child is not running", how);
}

static void
test_liveness (void)
{
  int fd = (int)syscall (SYS_pidfd_open, getpid (), 0);
  uint64_t ino = fd >= 0 ? proc_pidfd_ino (fd) : 0;

  if (fd >= 0)
    close (fd);
  check_liveness (false, "by start time");
  /* pidfs came with Linux 6.9; before it, the start time is all there is. */
  if (ino)
    check_liveness (true, "by pidfs inode");
}

/* util_rfc3339 against gmtime_r and strftime, across leap days, century
   years, the epoch and dates before it.  */
static void
test_rfc3339 (void)
{
  static const long long secs[]
      = { 0,          -1,         951782400,  951868799, 4107542400,   4107456000,
          1709164800, 1735689599, 1735689600, -86400,    253402300799, 253402300800 };
  size_t i;

  for (i = 0; i < sizeof secs / sizeof secs[0]; i++)
    {
      struct timespec ts = { .tv_sec = (time_t)secs[i], .tv_nsec = 123456789 };
      char got[64], want[64], base[32];
      struct tm tm;

      gmtime_r (&ts.tv_sec, &tm);
      strftime (base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
      snprintf (want, sizeof want, "%s.123456789Z", base);
      util_rfc3339 (&ts, got, sizeof got);
      is_str (got, want, "rfc3339 of %lld", secs[i]);
    }
}

static void
test_token_in (void)
{
  ok (util_token_in ("rw,cpu,cpuacct", ",", "cpu"), "cpu is a token of rw,cpu,cpuacct");
  ok (util_token_in ("rw,cpu,cpuacct", ",", "cpuacct"), "the last token");
  ok (util_token_in ("rw,cpu,cpuacct", ",", "rw"), "the first token");
  ok (!util_token_in ("rw,cpuacct", ",", "cpu"), "a prefix of a token is not one");
  ok (!util_token_in ("rw,cpu", ",", "cpuacct"), "nor is a longer word");
  ok (util_token_in ("cpu memory\npids\n", " \n", "pids"), "any of several separators");
  ok (!util_token_in ("", ",", "cpu"), "an empty list has none");
  ok (!util_token_in (",,", ",", "cpu"), "separators alone have none");
}

int
main (void)
{
  test_proc_open ();
  test_liveness ();
  test_config ();
  test_signals ();
  test_mount_options ();
  test_ids ();
  test_error_type ();
  test_traceparent ();
  test_seal ();
  test_init_annotation ();
  test_rfc3339 ();
  test_token_in ();
  return tap_done ();
}
