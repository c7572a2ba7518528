/* Table-driven decode (yajl tree), encode (yajl_gen) and free of the model. */
#include "codec.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#define AT(obj, off, T)  ((T *)((char *)(obj) + (off)))
#define CAT(obj, off, T) ((const T *)((const char *)(obj) + (off)))

void
oci_parse_error_done (struct oci_parse_error *e)
{
  if (e == NULL)
    return;
  free (e->path);
  free (e->reason);
  e->path = e->reason = NULL;
}

/* ---------------------------------------------------------------- decode */

/* The JSON path of the value being decoded, grown and shrunk as we recurse. */
struct path
{
  char buf[512];
  size_t len;
};

/* Appends without the printf machinery: every field decoded pushes its
   name, and snprintf was a fifth of the cost of reading a record.  */
static void
path_append (struct path *p, const char *s, size_t n)
{
  if (n > sizeof p->buf - 1 - p->len)
    n = sizeof p->buf - 1 - p->len;
  memcpy (p->buf + p->len, s, n);
  p->len += n;
  p->buf[p->len] = '\0';
}

static size_t
path_push_key (struct path *p, const char *key)
{
  size_t old = p->len;

  if (p->len)
    path_append (p, ".", 1);
  path_append (p, key, strlen (key));
  return old;
}

static size_t
path_push_index (struct path *p, size_t i)
{
  char digits[24], *d = digits + sizeof digits;
  size_t old = p->len;

  *--d = ']';
  do
    *--d = (char)('0' + i % 10);
  while ((i /= 10) > 0);
  *--d = '[';
  path_append (p, d, (size_t)(digits + sizeof digits - d));
  return old;
}

static void
path_pop (struct path *p, size_t old)
{
  p->len = old;
  p->buf[old] = '\0';
}

struct decoder
{
  struct path path;
  struct oci_parse_error *err;
};

static int
fail (struct decoder *d, const char *fmt, ...)
{
  va_list ap;
  char *reason = NULL;

  va_start (ap, fmt);
  if (vasprintf (&reason, fmt, ap) < 0)
    reason = NULL;
  va_end (ap);
  if (d->err)
    {
      d->err->path = strdup (d->path.len ? d->path.buf : "(document)");
      d->err->reason = reason;
    }
  else
    free (reason);
  return -1;
}

static const char *
json_type_name (yajl_val v)
{
  if (v == NULL || YAJL_IS_NULL (v))
    return "null";
  if (YAJL_IS_STRING (v))
    return "string";
  if (YAJL_IS_NUMBER (v))
    return "number";
  if (YAJL_IS_OBJECT (v))
    return "object";
  if (YAJL_IS_ARRAY (v))
    return "array";
  return "boolean";
}

static int
expect (struct decoder *d, yajl_val v, int ok, const char *want)
{
  if (ok)
    return 0;
  return fail (d, "expected %s, got %s", want, json_type_name (v));
}

static int
decode_string (struct decoder *d, yajl_val v, char **ret)
{
  if (expect (d, v, YAJL_IS_STRING (v), "string") < 0)
    return -1;
  *ret = strdup (v->u.string);
  return *ret ? 0 : fail (d, "out of memory");
}

/* Integers are read from yajl's own text of the number, so that values past
   INT64_MAX (valid uint64 in the spec) and fractions are told apart.  */
static int
decode_integer (struct decoder *d, yajl_val v, bool is_signed, int64_t min, uint64_t max, const char *name,
                void *ret, size_t width)
{
  const char *text;
  char *end = NULL;
  int64_t sv = 0;
  uint64_t uv = 0;

  if (expect (d, v, YAJL_IS_NUMBER (v), name) < 0)
    return -1;
  text = v->u.number.r;
  errno = 0;
  if (is_signed)
    sv = strtoll (text, &end, 10);
  else if (text[0] == '-')
    return fail (d, "expected %s, got negative number %s", name, text);
  else
    uv = strtoull (text, &end, 10);
  if (end == text || *end != '\0')
    return fail (d, "expected %s, got non-integer number %s", name, text);
  if (errno == ERANGE || (is_signed && (sv < min || sv > (int64_t)max)) || (!is_signed && uv > max))
    return fail (d, "value %s out of range for %s", text, name);
  if (width == 2)
    *(uint16_t *)ret = (uint16_t)uv;
  else if (width == 4 && is_signed)
    *(int32_t *)ret = (int32_t)sv;
  else if (width == 4)
    *(uint32_t *)ret = (uint32_t)uv;
  else if (is_signed)
    *(int64_t *)ret = sv;
  else
    *(uint64_t *)ret = uv;
  return 0;
}

static int decode_object (struct decoder *d, const struct oci_type *type, yajl_val v, void *obj);

static int
decode_scalar (struct decoder *d, enum oci_kind kind, yajl_val v, void *ret)
{
  switch (kind)
    {
    case OCI_K_BOOL:
      if (expect (d, v, YAJL_IS_TRUE (v) || YAJL_IS_FALSE (v), "boolean") < 0)
        return -1;
      *(bool *)ret = YAJL_IS_TRUE (v);
      return 0;
    case OCI_K_I32:
      return decode_integer (d, v, true, INT32_MIN, INT32_MAX, "int32", ret, 4);
    case OCI_K_U16:
      return decode_integer (d, v, false, 0, UINT16_MAX, "uint16", ret, 2);
    case OCI_K_U32:
      return decode_integer (d, v, false, 0, UINT32_MAX, "uint32", ret, 4);
    case OCI_K_I64:
      return decode_integer (d, v, true, INT64_MIN, INT64_MAX, "int64", ret, 8);
    case OCI_K_U64:
      return decode_integer (d, v, false, 0, UINT64_MAX, "uint64", ret, 8);
    default:
      return fail (d, "internal error: kind %d is not a scalar", (int)kind);
    }
}

/* Decode a JSON array whose elements are strings, uint32 or objects of TYPE
   into a contiguous C array.  The array pointer is set even when empty, so an
   empty array survives a round trip.  */
static int
decode_array (struct decoder *d, const struct oci_field *f, yajl_val v, void *obj)
{
  size_t n, elem, i;
  char *items;

  if (expect (d, v, YAJL_IS_ARRAY (v), "array") < 0)
    return -1;
  n = v->u.array.len;
  elem = f->kind == OCI_K_ARR_STR   ? sizeof (char *)
         : f->kind == OCI_K_ARR_U32 ? sizeof (uint32_t)
                                    : f->type->size;
  /* One spare element: string arrays end with NULL, as execve wants. */
  items = calloc (n + 1, elem);
  if (items == NULL)
    return fail (d, "out of memory");
  *AT (obj, f->off, void *) = items;
  *AT (obj, f->aux, size_t) = 0;
  for (i = 0; i < n; i++)
    {
      size_t mark = path_push_index (&d->path, i);
      yajl_val item = v->u.array.values[i];
      int r;

      if (f->kind == OCI_K_ARR_STR)
        r = decode_string (d, item, (char **)(items + i * elem));
      else if (f->kind == OCI_K_ARR_U32)
        r = decode_scalar (d, OCI_K_U32, item, items + i * elem);
      else
        r = decode_object (d, f->type, item, items + i * elem);
      /* Count the element before bailing out so free() sees what was built. */
      *AT (obj, f->aux, size_t) = i + 1;
      if (r < 0)
        return -1;
      path_pop (&d->path, mark);
    }
  return 0;
}

static int
decode_map (struct decoder *d, const struct oci_field *f, yajl_val v, void *obj)
{
  size_t n, elem, i;
  char **keys;
  char *values;

  if (expect (d, v, YAJL_IS_OBJECT (v), "object") < 0)
    return -1;
  n = v->u.object.len;
  elem = f->kind == OCI_K_MAP_STR ? sizeof (char *) : f->type->size;
  keys = calloc (n ? n : 1, sizeof (char *));
  values = calloc (n ? n : 1, elem);
  *AT (obj, f->aux2, char **) = keys;
  *AT (obj, f->off, void *) = values;
  *AT (obj, f->aux, size_t) = 0;
  if (keys == NULL || values == NULL)
    return fail (d, "out of memory");
  for (i = 0; i < n; i++)
    {
      size_t mark = path_push_key (&d->path, v->u.object.keys[i]);
      int r;

      keys[i] = strdup (v->u.object.keys[i]);
      *AT (obj, f->aux, size_t) = i + 1;
      if (keys[i] == NULL)
        return fail (d, "out of memory");
      if (f->kind == OCI_K_MAP_STR)
        r = decode_string (d, v->u.object.values[i], (char **)(values + i * elem));
      else
        r = decode_object (d, f->type, v->u.object.values[i], values + i * elem);
      if (r < 0)
        return -1;
      path_pop (&d->path, mark);
    }
  return 0;
}

static int
decode_field (struct decoder *d, const struct oci_field *f, yajl_val v, void *obj)
{
  switch (f->kind)
    {
    case OCI_K_STR:
      return decode_string (d, v, AT (obj, f->off, char *));
    case OCI_K_OBJ:
      {
        void *sub = calloc (1, f->type->size);

        if (sub == NULL)
          return fail (d, "out of memory");
        *AT (obj, f->off, void *) = sub;
        return decode_object (d, f->type, v, sub);
      }
    case OCI_K_ARR_STR:
    case OCI_K_ARR_U32:
    case OCI_K_ARR_OBJ:
      return decode_array (d, f, v, obj);
    case OCI_K_MAP_STR:
    case OCI_K_MAP_OBJ:
      return decode_map (d, f, v, obj);
    default:
      if (decode_scalar (d, f->kind, v, AT (obj, f->off, void)) < 0)
        return -1;
      *AT (obj, f->aux, bool) = true;
      return 0;
    }
}

static yajl_val
object_get (yajl_val v, const char *key)
{
  size_t i;

  /* The last occurrence wins, as in most JSON readers. */
  for (i = v->u.object.len; i > 0; i--)
    if (strcmp (v->u.object.keys[i - 1], key) == 0)
      return v->u.object.values[i - 1];
  return NULL;
}

static int
decode_object (struct decoder *d, const struct oci_type *type, yajl_val v, void *obj)
{
  size_t i;

  if (expect (d, v, YAJL_IS_OBJECT (v), "object") < 0)
    return -1;
  for (i = 0; i < type->n_fields; i++)
    {
      const struct oci_field *f = &type->fields[i];
      yajl_val member = object_get (v, f->json);
      size_t mark;
      int r;

      /* A JSON null is treated as the member being absent. */
      if (member == NULL || YAJL_IS_NULL (member))
        {
          if (f->flags & OCI_REQ)
            {
              mark = path_push_key (&d->path, f->json);
              return fail (d, "required field is missing");
            }
          continue;
        }
      mark = path_push_key (&d->path, f->json);
      r = decode_field (d, f, member, obj);
      if (r < 0)
        return -1;
      path_pop (&d->path, mark);
    }
  return 0;
}

/* TEXT is NUL-terminated, as yajl_tree_parse wants it. */
static int
decode_text (const struct oci_type *type, const char *text, void **ret, struct oci_parse_error *ret_err)
{
  char errbuf[256] = "";
  yajl_val tree;
  struct decoder d = { .err = ret_err };
  void *obj;
  int r;

  if (ret_err)
    ret_err->path = ret_err->reason = NULL;
  tree = yajl_tree_parse (text, errbuf, sizeof errbuf);
  if (tree == NULL)
    {
      char *nl;

      /* yajl's message spans lines with a caret; keep its first line. */
      while ((nl = strchr (errbuf, '\n')) != NULL)
        *nl = ' ';
      return fail (&d, "invalid JSON: %s", errbuf[0] ? errbuf : "parse error");
    }
  obj = calloc (1, type->size);
  if (obj == NULL)
    {
      yajl_tree_free (tree);
      return fail (&d, "out of memory");
    }
  r = decode_object (&d, type, tree, obj);
  yajl_tree_free (tree);
  if (r < 0)
    {
      oci_free (type, obj);
      return -1;
    }
  *ret = obj;
  return 0;
}

int
oci_decode (const struct oci_type *type, const char *json, size_t len, void **ret,
            struct oci_parse_error *ret_err)
{
  struct decoder d = { .err = ret_err };
  char *text;
  int r;

  if (ret_err)
    ret_err->path = ret_err->reason = NULL;
  text = malloc (len + 1);
  if (text == NULL)
    return fail (&d, "out of memory");
  memcpy (text, json, len);
  text[len] = '\0';
  r = decode_text (type, text, ret, ret_err);
  free (text);
  return r;
}

int
oci_decode_text (const struct oci_type *type, const char *text, void **ret, struct oci_parse_error *ret_err)
{
  return decode_text (type, text, ret, ret_err);
}

/* ---------------------------------------------------------------- free */

static bool
kind_has_len (enum oci_kind k)
{
  return k == OCI_K_ARR_STR || k == OCI_K_ARR_U32 || k == OCI_K_ARR_OBJ || k == OCI_K_MAP_STR
         || k == OCI_K_MAP_OBJ;
}

static void
free_strings (char **v, size_t n)
{
  size_t i;

  if (v == NULL)
    return;
  for (i = 0; i < n; i++)
    free (v[i]);
  free (v);
}

void
oci_done (const struct oci_type *type, void *obj)
{
  size_t i, j;

  if (obj == NULL)
    return;
  for (i = 0; i < type->n_fields; i++)
    {
      const struct oci_field *f = &type->fields[i];
      size_t n = kind_has_len (f->kind) ? *AT (obj, f->aux, size_t) : 0;

      switch (f->kind)
        {
        case OCI_K_STR:
          free (*AT (obj, f->off, char *));
          break;
        case OCI_K_OBJ:
          oci_free (f->type, *AT (obj, f->off, void *));
          break;
        case OCI_K_ARR_STR:
          free_strings (*AT (obj, f->off, char **), n);
          break;
        case OCI_K_ARR_U32:
          free (*AT (obj, f->off, void *));
          break;
        case OCI_K_ARR_OBJ:
        case OCI_K_MAP_OBJ:
          {
            char *items = *AT (obj, f->off, char *);

            for (j = 0; items && j < n; j++)
              oci_done (f->type, items + j * f->type->size);
            free (items);
            if (f->kind == OCI_K_MAP_OBJ)
              free_strings (*AT (obj, f->aux2, char **), n);
            break;
          }
        case OCI_K_MAP_STR:
          free_strings (*AT (obj, f->off, char **), n);
          free_strings (*AT (obj, f->aux2, char **), n);
          break;
        default:
          break;
        }
    }
  memset (obj, 0, type->size);
}

void *
oci_free (const struct oci_type *type, void *obj)
{
  if (obj == NULL)
    return NULL;
  oci_done (type, obj);
  free (obj);
  return NULL;
}

/* ---------------------------------------------------------------- encode */

static int
gen_ok (yajl_gen_status s)
{
  return s == yajl_gen_status_ok ? 0 : -1;
}

static int
gen_string (yajl_gen g, const char *s)
{
  return gen_ok (yajl_gen_string (g, (const unsigned char *)s, strlen (s)));
}

/* Integers are written as decimal text by hand: yajl_gen_integer goes
   through sprintf, and a record write should not bring in the printf
   machinery (and its pages) for a few numbers.  */
static int
gen_integer (yajl_gen g, bool negative, uint64_t magnitude)
{
  char buf[24], *p = buf + sizeof buf;

  do
    *--p = (char)('0' + magnitude % 10);
  while ((magnitude /= 10) > 0);
  if (negative)
    *--p = '-';
  return gen_ok (yajl_gen_number (g, p, (size_t)(buf + sizeof buf - p)));
}

static int
gen_uint (yajl_gen g, uint64_t v)
{
  return gen_integer (g, false, v);
}

static int
gen_int (yajl_gen g, int64_t v)
{
  return gen_integer (g, v < 0, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
}

static int encode_object (yajl_gen g, const struct oci_type *type, const void *obj);

static int
encode_scalar (yajl_gen g, enum oci_kind kind, const void *p)
{
  switch (kind)
    {
    case OCI_K_BOOL:
      return gen_ok (yajl_gen_bool (g, *(const bool *)p));
    case OCI_K_I32:
      return gen_int (g, *(const int32_t *)p);
    case OCI_K_U16:
      return gen_uint (g, *(const uint16_t *)p);
    case OCI_K_U32:
      return gen_uint (g, *(const uint32_t *)p);
    case OCI_K_I64:
      return gen_int (g, *(const int64_t *)p);
    case OCI_K_U64:
      return gen_uint (g, *(const uint64_t *)p);
    default:
      return -1;
    }
}

static bool
field_present (const struct oci_field *f, const void *obj)
{
  switch (f->kind)
    {
    case OCI_K_STR:
    case OCI_K_OBJ:
    case OCI_K_ARR_STR:
    case OCI_K_ARR_U32:
    case OCI_K_ARR_OBJ:
    case OCI_K_MAP_STR:
    case OCI_K_MAP_OBJ:
      return *CAT (obj, f->off, void *) != NULL;
    default:
      return *CAT (obj, f->aux, bool);
    }
}

static int
encode_field (yajl_gen g, const struct oci_field *f, const void *obj)
{
  size_t n = kind_has_len (f->kind) ? *CAT (obj, f->aux, size_t) : 0;
  /* Only pointer kinds hold a pointer at f->off (scalars may be unaligned). */
  const char *items = f->kind >= OCI_K_OBJ || f->kind == OCI_K_STR ? *CAT (obj, f->off, char *) : NULL;
  size_t i;

  switch (f->kind)
    {
    case OCI_K_STR:
      return gen_string (g, items);
    case OCI_K_OBJ:
      return encode_object (g, f->type, items);
    case OCI_K_ARR_STR:
    case OCI_K_ARR_U32:
    case OCI_K_ARR_OBJ:
      if (gen_ok (yajl_gen_array_open (g)) < 0)
        return -1;
      for (i = 0; i < n; i++)
        {
          int r = f->kind == OCI_K_ARR_STR   ? gen_string (g, ((char *const *)items)[i])
                  : f->kind == OCI_K_ARR_U32 ? gen_uint (g, ((const uint32_t *)items)[i])
                                             : encode_object (g, f->type, items + i * f->type->size);
          if (r < 0)
            return -1;
        }
      return gen_ok (yajl_gen_array_close (g));
    case OCI_K_MAP_STR:
    case OCI_K_MAP_OBJ:
      {
        char *const *keys = *(char **const *)((const char *)obj + f->aux2);

        if (gen_ok (yajl_gen_map_open (g)) < 0)
          return -1;
        for (i = 0; i < n; i++)
          {
            int r = gen_string (g, keys[i]);

            if (r == 0)
              r = f->kind == OCI_K_MAP_STR ? gen_string (g, ((char *const *)items)[i])
                                           : encode_object (g, f->type, items + i * f->type->size);
            if (r < 0)
              return -1;
          }
        return gen_ok (yajl_gen_map_close (g));
      }
    default:
      return encode_scalar (g, f->kind, CAT (obj, f->off, void));
    }
}

static int
encode_object (yajl_gen g, const struct oci_type *type, const void *obj)
{
  size_t i;

  if (gen_ok (yajl_gen_map_open (g)) < 0)
    return -1;
  for (i = 0; i < type->n_fields; i++)
    {
      const struct oci_field *f = &type->fields[i];

      if (!field_present (f, obj))
        continue;
      if (gen_string (g, f->json) < 0 || encode_field (g, f, obj) < 0)
        return -1;
    }
  return gen_ok (yajl_gen_map_close (g));
}

int
oci_encode (const struct oci_type *type, const void *obj, bool pretty, char **ret_json, size_t *ret_len)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  int r;

  if (g == NULL)
    return -1;
  yajl_gen_config (g, yajl_gen_beautify, pretty ? 1 : 0);
  yajl_gen_config (g, yajl_gen_indent_string, "\t");
  yajl_gen_config (g, yajl_gen_validate_utf8, 1);
  r = encode_object (g, type, obj);
  if (r == 0 && yajl_gen_get_buf (g, &buf, &len) == yajl_gen_status_ok)
    {
      *ret_json = malloc (len + 1);
      if (*ret_json == NULL)
        r = -1;
      else
        {
          memcpy (*ret_json, buf, len);
          (*ret_json)[len] = '\0';
          if (ret_len)
            *ret_len = len;
        }
    }
  else
    r = -1;
  yajl_gen_free (g);
  return r;
}
