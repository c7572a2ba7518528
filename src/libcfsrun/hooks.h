/* The six hooks of config.md, run with the container state on stdin. */
#ifndef CFS_HOOKS_H
#define CFS_HOOKS_H

#include <stdbool.h>

#include "error.h"
#include "oci-spec.h"

/* A hook with no `timeout` of its own is killed after this long, so that
   no wait of cfsrun's is unbounded (its timeout error says so).  */
#define HOOK_DEFAULT_TIMEOUT_S 120

/* The longest HOOKS[0..N) may take together, in ms: what a process waiting
   for another that runs them adds to its own bound.  */
int hooks_budget_ms (const struct oci_hook *hooks, size_t n);

/* Run HOOKS[0..N) in order; KIND names them in errors ("prestart").
   STATE_JSON goes to each hook's stdin; with a trace context (trace.h)
   TRACEPARENT in its environment names the phase that runs it.  The first failure (non-zero exit,
   signal, timeout, missing binary) stops the list and is returned, with
   the hook's stderr in the message.  */
int hooks_run (const struct oci_hook *hooks, size_t n, const char *kind, const char *state_json,
               struct cfs_error **err);

/* For poststart and poststop, whose failures the spec makes warnings:
   run all of them, logging each failure.  */
void hooks_run_warn (const struct oci_hook *hooks, size_t n, const char *kind, const char *state_json);

#endif
