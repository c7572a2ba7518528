#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CFS_ERROR_NAME(name, str) [name] = str,
static const char *const code_names[CFS_E_MAX] = { CFS_ERROR_CODES (CFS_ERROR_NAME) };
#undef CFS_ERROR_NAME

const char *
cfs_code_name (enum cfs_code code)
{
  return code < CFS_E_MAX ? code_names[code] : "INTERNAL";
}

int
cfs_error_value (const struct cfs_error *e)
{
  return e && e->errnum > 0 ? -e->errnum : -EINVAL;
}

int
cfs_fail (struct cfs_error **err, enum cfs_code code, int errnum, const char *path, const char *fmt, ...)
{
  struct cfs_error *e;
  va_list ap;

  if (err == NULL || *err != NULL)
    return errnum > 0 ? -errnum : -EINVAL;
  e = calloc (1, sizeof *e);
  if (e == NULL)
    return -ENOMEM;
  e->code = code;
  e->errnum = errnum > 0 ? errnum : 0;
  e->path = path ? strdup (path) : NULL;
  va_start (ap, fmt);
  if (vasprintf (&e->msg, fmt, ap) < 0)
    e->msg = NULL;
  va_end (ap);
  *err = e;
  return cfs_error_value (e);
}

int
cfs_wrap (struct cfs_error **err, const char *fmt, ...)
{
  char *prefix = NULL, *joined = NULL;
  va_list ap;

  if (err == NULL || *err == NULL)
    return -EINVAL;
  va_start (ap, fmt);
  if (vasprintf (&prefix, fmt, ap) < 0)
    prefix = NULL;
  va_end (ap);
  if (prefix && asprintf (&joined, "%s: %s", prefix, (*err)->msg ? (*err)->msg : "") >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = joined;
    }
  free (prefix);
  return cfs_error_value (*err);
}

char *
cfs_error_text (const struct cfs_error *e)
{
  const char *msg = e->msg ? e->msg : "unknown error";
  bool show_path = e->path && strstr (msg, e->path) == NULL;
  char *text = NULL;
  int r;

  if (e->errnum)
    r = asprintf (&text, "%s%s%s%s: %s", msg, show_path ? " `" : "", show_path ? e->path : "",
                  show_path ? "`" : "", strerror (e->errnum));
  else
    r = asprintf (&text, "%s%s%s%s", msg, show_path ? " `" : "", show_path ? e->path : "",
                  show_path ? "`" : "");
  return r < 0 ? NULL : text;
}

struct cfs_error *
cfs_error_free (struct cfs_error *e)
{
  if (e == NULL)
    return NULL;
  free (e->path);
  free (e->msg);
  free (e);
  return NULL;
}

/* Wire form: u32 code, i32 errnum, then path and msg as NUL-terminated
   strings (an empty path means none).  */
int
cfs_error_serialize (const struct cfs_error *e, char **ret_buf, size_t *ret_len)
{
  const char *path = e->path ? e->path : "", *msg = e->msg ? e->msg : "";
  size_t lp = strlen (path) + 1, lm = strlen (msg) + 1, len = 8 + lp + lm;
  uint32_t code = e->code;
  int32_t errnum = e->errnum;
  char *buf = malloc (len);

  if (buf == NULL)
    return -ENOMEM;
  memcpy (buf, &code, 4);
  memcpy (buf + 4, &errnum, 4);
  memcpy (buf + 8, path, lp);
  memcpy (buf + 8 + lp, msg, lm);
  *ret_buf = buf;
  *ret_len = len;
  return 0;
}

struct cfs_error *
cfs_error_deserialize (const char *buf, size_t len)
{
  struct cfs_error *e = calloc (1, sizeof *e);
  const char *path, *msg, *end = buf + len;
  uint32_t code;
  int32_t errnum;

  if (e == NULL)
    return NULL;
  if (len < 10 || buf[len - 1] != '\0')
    {
      e->code = CFS_E_SYNC;
      e->msg = strdup ("malformed error message from the container process");
      return e;
    }
  memcpy (&code, buf, 4);
  memcpy (&errnum, buf + 4, 4);
  path = buf + 8;
  msg = path + strlen (path) + 1;
  e->code = code < CFS_E_MAX ? (enum cfs_code)code : CFS_E_INTERNAL;
  e->errnum = errnum > 0 ? errnum : 0;
  e->path = *path ? strdup (path) : NULL;
  e->msg = strdup (msg < end ? msg : "");
  return e;
}
