#include "trace.h"

#include "cfsrun.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* W3C trace context: tracestate longer than this is dropped, as the
   recommendation allows (512 is what it asks propagators to keep).  */
#define TRACESTATE_MAX 512

static struct
{
  bool active;
  struct trace_parent caller;
  const char *tracestate;
  char span_id[SPAN_ID_LEN + 1]; /* the phase running now, or "" */
  const char *kill_at, *stall_at;
} T;

static bool
lower_hex (const char *s, size_t n, bool *ret_all_zero)
{
  size_t i;

  *ret_all_zero = true;
  for (i = 0; i < n; i++)
    {
      if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
        return false;
      *ret_all_zero &= s[i] == '0';
    }
  return true;
}

const char *
trace_parse (const char *v, struct trace_parent *ret)
{
  size_t len = v ? strlen (v) : 0;
  bool zero;

  /* version "-" trace-id "-" parent-id "-" flags: 2+1+32+1+16+1+2 */
  if (len < 55)
    return "too short for version-traceid-parentid-flags";
  if (!lower_hex (v, 2, &zero) || v[2] != '-' || v[35] != '-' || v[52] != '-')
    return "not of the form 00-<32 hex>-<16 hex>-<2 hex>";
  if (strncmp (v, "ff", 2) == 0)
    return "version ff is invalid";
  /* Version 00 is exactly this long; a later version may append fields. */
  if ((strncmp (v, "00", 2) == 0 && len != 55) || (len > 55 && v[55] != '-'))
    return "unexpected characters after the flags";
  if (!lower_hex (v + 3, TRACE_ID_LEN, &zero))
    return "the trace id is not 32 lowercase hex digits";
  if (zero)
    return "the trace id is all zeros";
  if (!lower_hex (v + 36, SPAN_ID_LEN, &zero))
    return "the parent id is not 16 lowercase hex digits";
  if (zero)
    return "the parent id is all zeros";
  if (!lower_hex (v + 53, 2, &zero))
    return "the flags are not 2 lowercase hex digits";
  memcpy (ret->trace_id, v + 3, TRACE_ID_LEN);
  ret->trace_id[TRACE_ID_LEN] = '\0';
  memcpy (ret->parent_id, v + 36, SPAN_ID_LEN);
  ret->parent_id[SPAN_ID_LEN] = '\0';
  memcpy (ret->flags, v + 53, 2);
  ret->flags[2] = '\0';
  return NULL;
}

static bool
tracestate_ok (const char *s)
{
  size_t i;

  for (i = 0; s[i]; i++)
    if (i >= TRACESTATE_MAX || s[i] < 0x20 || s[i] > 0x7e)
      return false;
  return true;
}

void
cfsrun_trace_init (void)
{
  const char *v = getenv ("TRACEPARENT"), *why;

  T.kill_at = getenv ("CFSRUN_TEST_KILL_AT");
  T.stall_at = getenv ("CFSRUN_TEST_STALL_AT");
  if (v == NULL)
    return;
  why = trace_parse (v, &T.caller);
  if (why)
    {
      cfs_log_debug ("TRACEPARENT `%.80s`: %s; ignoring it (not traced, not passed on)", v, why);
      return;
    }
  T.active = true;
  v = getenv ("TRACESTATE");
  T.tracestate = v && tracestate_ok (v) ? v : NULL;
  cfs_log_set_trace_id (T.caller.trace_id);
}

bool
trace_active (void)
{
  return T.active;
}

/* A span id: 8 random bytes, never all zero (that means "none").  */
static void
new_span_id (char out[SPAN_ID_LEN + 1])
{
  uint64_t v = 0;

  if (getrandom (&v, sizeof v, GRND_NONBLOCK) != sizeof v)
    v = util_now_ns () ^ ((uint64_t)getpid () << 40);
  if (v == 0)
    v = 1;
  snprintf (out, SPAN_ID_LEN + 1, "%016llx", (unsigned long long)v);
}

static char *
env_entry (const char *name, const char *value)
{
  char *s = NULL;

  return asprintf (&s, "%s=%s", name, value) < 0 ? NULL : s;
}

void
trace_env_free (char **env)
{
  size_t i;

  for (i = 0; env && env[i]; i++)
    free (env[i]);
  free (env);
}

char **
trace_hook_env (char *const *env, size_t n)
{
  char tp[64], **out;
  size_t i, k = 0;

  if (!T.active)
    return NULL;
  out = calloc (n + 3, sizeof *out);
  if (out == NULL)
    return NULL;
  /* The caller's context replaces any the config gave: it is the live one. */
  for (i = 0; i < n && env && env[i]; i++)
    if (strncmp (env[i], "TRACEPARENT=", 12) != 0 && strncmp (env[i], "TRACESTATE=", 11) != 0
        && (out[k++] = strdup (env[i])) == NULL)
      goto oom;
  snprintf (tp, sizeof tp, "00-%s-%s-%s", T.caller.trace_id, T.span_id[0] ? T.span_id : T.caller.parent_id,
            T.caller.flags);
  if ((out[k++] = env_entry ("TRACEPARENT", tp)) == NULL)
    goto oom;
  if (T.tracestate && (out[k++] = env_entry ("TRACESTATE", T.tracestate)) == NULL)
    goto oom;
  return out;
oom:
  trace_env_free (out);
  return NULL;
}

static bool
test_point (const char *spec, const char *who, const char *name)
{
  size_t l = strlen (who);

  return spec && strncmp (spec, who, l) == 0 && spec[l] == ':' && strcmp (spec + l + 1, name) == 0;
}

/* The test-only crash and stall points (see trace.h).  */
static void
test_points (const char *who, const char *name)
{
  if (test_point (T.kill_at, who, name))
    {
      raise (SIGKILL);
      /* Still here: pid 1 of a new pid namespace ignores the signals it
         sends itself, SIGKILL included.  Dying at once is the same crash. */
      _exit (128 + SIGKILL);
    }
  if (test_point (T.stall_at, who, name))
    {
      struct timespec t = { 600, 0 };

      while (nanosleep (&t, &t) < 0)
        ;
    }
}

void
phase_begin (struct phase *p, const char *who, const char *name)
{
  p->who = who;
  p->name = name;
  p->t0 = cfs_trace_enabled () ? util_now_ns () : 0;
  p->span_id[0] = '\0';
  if (T.active)
    {
      new_span_id (p->span_id);
      memcpy (T.span_id, p->span_id, sizeof T.span_id);
    }
  if (T.kill_at || T.stall_at)
    test_points (who, name);
}

int
phase_end (struct phase *p, int r, struct cfs_error **err)
{
  T.span_id[0] = '\0';
  if (cfs_trace_enabled ())
    cfs_trace_phase (p->who, p->name, util_now_ns () - p->t0, r, p->span_id[0] ? p->span_id : NULL,
                     T.active ? T.caller.parent_id : NULL);
  if (r < 0 && err)
    return cfs_wrap (err, "%s", p->name);
  return r;
}
