/* The phases of a command and the trace context they carry.

   Every step of create, start and exec runs through PHASE (), which times
   it for --trace, names it in any error it returns, and gives it a span id
   of its own when the caller passed a W3C trace context in TRACEPARENT
   (`00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`): each phase is
   then a span whose parent is the caller's, and a hook run inside a phase
   gets TRACEPARENT naming that phase's span, so a node's tracing sees a
   container start end to end, hooks included.

   Test-only environment, read once by cfsrun_trace_init (a compare per phase):
     CFSRUN_TEST_KILL_AT=WHO:PHASE   that process dies by SIGKILL as the
                                     phase begins (crash-safety tests)
     CFSRUN_TEST_STALL_AT=WHO:PHASE  that process sleeps there instead
                                     (tests of the bounded waits)
   WHO is the `who` of the phase: parent and child (create), start,
   exec and exec-child.  */
#ifndef CFS_TRACE_H
#define CFS_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define TRACE_ID_LEN 32
#define SPAN_ID_LEN  16

struct trace_parent
{
  char trace_id[TRACE_ID_LEN + 1];
  char parent_id[SPAN_ID_LEN + 1];
  char flags[3];
};

/* Pure: parse a traceparent header value.  Returns NULL and fills *RET
   when it is valid, else a short reason (for a debug note).  */
const char *trace_parse (const char *value, struct trace_parent *ret);

/* Whether a valid trace context came from the caller. */
bool trace_active (void);

/* ENV (N entries) with TRACEPARENT (and TRACESTATE) for a hook run now set
   to this trace and the current span; NULL when there is no trace context
   (use ENV as it is) or no memory.  Free with trace_env_free.  */
char **trace_hook_env (char *const *env, size_t n);
void trace_env_free (char **env);
static inline void
trace_env_freep (char ***env)
{
  trace_env_free (*env);
}

struct phase
{
  const char *who, *name;
  uint64_t t0;
  char span_id[SPAN_ID_LEN + 1];
};

void phase_begin (struct phase *p, const char *who, const char *name);
/* Reports the phase for --trace and returns R, adding the phase name in
   front of the error when R < 0 and ERR is given.  */
int phase_end (struct phase *p, int r, struct cfs_error **err);

/* Run EXPR as phase NAME of process WHO; `err` must be in scope.  An
   error it returns gets the phase name in front ("mounts: ...").  */
#define PHASE(who, name, expr)                                                                               \
  ({                                                                                                         \
    struct phase _ph;                                                                                        \
    phase_begin (&_ph, who, name);                                                                           \
    phase_end (&_ph, (expr), err);                                                                           \
  })

/* The same, leaving the error as it is (start and exec, whose messages
   tools match on).  */
#define STEP(who, name, expr)                                                                                \
  ({                                                                                                         \
    struct phase _ph;                                                                                        \
    phase_begin (&_ph, who, name);                                                                           \
    phase_end (&_ph, (expr), NULL);                                                                          \
  })

#endif
