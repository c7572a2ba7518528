#include "log.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "oci-spec.h"
#include "util.h"

/* A log line, declared with the model's codec so that JSON is written in one
   way only.  Field names follow what runc writes and containerd's shim reads. */
#define OCI_TYPE_cfs_log_line(F, S)                                                                          \
  F (S, STR, level, "level", _, OCI_REQ)                                                                     \
  F (S, STR, msg, "msg", _, OCI_REQ)                                                                         \
  F (S, STR, time, "time", _, OCI_REQ)                                                                       \
  F (S, STR, code, "code", _, OCI_OPT)                                                                       \
  F (S, STR, path, "path", _, OCI_OPT)                                                                       \
  F (S, I32, errnum, "errno", _, OCI_OPT)                                                                    \
  F (S, STR, process, "process", _, OCI_OPT)                                                                 \
  F (S, STR, phase, "phase", _, OCI_OPT)                                                                     \
  F (S, U64, duration_ns, "duration_ns", _, OCI_OPT)                                                         \
  F (S, STR, trace_id, "trace_id", _, OCI_OPT)                                                               \
  F (S, STR, span_id, "span_id", _, OCI_OPT)                                                                 \
  F (S, STR, parent_id, "parent_id", _, OCI_OPT)

OCI_DECLARE_STRUCT (cfs_log_line)
OCI_DEFINE_TYPE (cfs_log_line)

static struct
{
  int fd;
  enum cfs_log_format format;
  bool debug;
  bool trace;
  const char *trace_id; /* the caller's W3C trace, on every record */
} log_state = { .fd = -1 };

int
cfs_log_init (const struct cfs_log_options *opts, struct cfs_error **err)
{
  log_state.format = opts->format;
  log_state.debug = opts->debug;
  log_state.trace = opts->trace;
  if (opts->path == NULL)
    return 0;
  log_state.fd = open (opts->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (log_state.fd < 0)
    return cfs_fail (err, CFS_E_USAGE, errno, opts->path, "open log file");
  return 0;
}

void
cfs_log_close (void)
{
  if (log_state.fd >= 0)
    close (log_state.fd);
  log_state.fd = -1;
}

void
cfs_log_set_trace_id (const char *trace_id)
{
  log_state.trace_id = trace_id;
}

/* A reader that went away (`cfsrun --trace run ... 2>&1 | head`) costs the
   line, not the container: SIGPIPE would kill cfsrun half way through and
   leave the container's cgroups and state behind.  */
static void __attribute__ ((format (printf, 2, 3))) write_line (int fd, const char *fmt, ...)
{
  struct sigaction ign = { .sa_handler = SIG_IGN }, old;
  _cleanup_free_ char *text = NULL;
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vasprintf (&text, fmt, ap);
  va_end (ap);
  if (n < 0)
    return;
  sigaction (SIGPIPE, &ign, &old);
  util_write_all (fd, text, (size_t)n);
  sigaction (SIGPIPE, &old, NULL);
}

static void
emit_line (struct cfs_log_line *line, const struct cfs_error *e)
{
  char ts[64];

  if (log_state.fd < 0)
    return;
  util_rfc3339_now (ts, sizeof ts);
  line->time = ts;
  line->trace_id = (char *)log_state.trace_id;
  if (log_state.format == CFS_LOG_JSON)
    {
      _cleanup_free_ char *json = NULL;
      size_t len = 0;

      if (e)
        {
          line->code = (char *)cfs_code_name (e->code);
          line->path = e->path;
          line->errnum = e->errnum;
          line->has_errnum = e->errnum != 0;
        }
      if (oci_encode (&cfs_log_line_type, line, false, &json, &len) == 0)
        {
          write_line (log_state.fd, "%s\n", json);
        }
      return;
    }
  write_line (log_state.fd, "%s %s: %s\n", ts, line->level, line->msg);
}

static void
emit (const char *level, const char *msg, const struct cfs_error *e)
{
  struct cfs_log_line line = { .level = (char *)level, .msg = (char *)msg };

  emit_line (&line, e);
}

void
cfs_log_error (const struct cfs_error *e)
{
  _cleanup_free_ char *text = cfs_error_text (e);

  write_line (STDERR_FILENO, "cfsrun: %s\n", text ? text : "out of memory");
  emit ("error", text ? text : "out of memory", e);
}

static void
vlog (const char *level, bool to_stderr, const char *fmt, va_list ap)
{
  _cleanup_free_ char *msg = NULL;

  if (vasprintf (&msg, fmt, ap) < 0)
    return;
  if (to_stderr)
    write_line (STDERR_FILENO, "cfsrun: %s: %s\n", level, msg);
  emit (level, msg, NULL);
}

void
cfs_log_warning (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vlog ("warning", log_state.fd < 0, fmt, ap);
  va_end (ap);
}

void
cfs_log_debug (const char *fmt, ...)
{
  va_list ap;

  if (!log_state.debug)
    return;
  va_start (ap, fmt);
  vlog ("debug", log_state.fd < 0, fmt, ap);
  va_end (ap);
}

bool
cfs_trace_enabled (void)
{
  return log_state.trace;
}

void
cfs_trace_phase (const char *who, const char *phase, uint64_t ns, int result, const char *span_id,
                 const char *parent_id)
{
  char text[320], ids[128] = "";

  if (log_state.trace_id && span_id)
    snprintf (ids, sizeof ids, " trace_id=%s span_id=%s parent_id=%s", log_state.trace_id, span_id,
              parent_id ? parent_id : "");
  snprintf (text, sizeof text, "trace: %s phase %-12s %8.3f ms%s%s", who, phase, ns / 1e6,
            result < 0 ? " FAILED" : "", ids);
  if (log_state.fd >= 0)
    {
      struct cfs_log_line line = { .level = "trace",
                                   .msg = text,
                                   .process = (char *)who,
                                   .phase = (char *)phase,
                                   .duration_ns = ns,
                                   .has_duration_ns = true,
                                   .span_id = (char *)span_id,
                                   .parent_id = span_id ? (char *)parent_id : NULL };

      emit_line (&line, NULL);
    }
  else
    write_line (STDERR_FILENO, "cfsrun: %s\n", text);
}
