/* Logging for the runtime: the one error print, debug lines, and --trace
   phase timings.  Process-wide, set up once by src/main.c.  */
#ifndef CFS_LOG_H
#define CFS_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

enum cfs_log_format
{
  CFS_LOG_TEXT,
  CFS_LOG_JSON,
};

struct cfs_log_options
{
  const char *path; /* --log; NULL: stderr only */
  enum cfs_log_format format;
  bool debug;
  bool trace;
};

int cfs_log_init (const struct cfs_log_options *opts, struct cfs_error **err);
void cfs_log_close (void);

/* The single place errors reach the user: stderr always, and the log file
   (as one JSON object with level, msg, code, path and errno in json mode). */
void cfs_log_error (const struct cfs_error *e);
void cfs_log_warning (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void cfs_log_debug (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* The W3C trace id (trace.c) that every record carries from now on. */
void cfs_log_set_trace_id (const char *trace_id);

bool cfs_trace_enabled (void);
/* One line per phase: which process, which phase, how long it took, and
   with a trace context its span id and parent span id (else NULL).  */
void cfs_trace_phase (const char *who, const char *phase, uint64_t ns, int result, const char *span_id,
                      const char *parent_id);

#endif
