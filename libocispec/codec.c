/* Table-driven decode (yajl parse events), encode (yajl_gen) and free of the model. */
#include "codec.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

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

/* The decoder is driven by yajl's parse events and writes straight into the
   model: no JSON tree is built and walked.  It is what `list` pays for every
   container, and the tree's allocations were most of that.  */

enum frame_kind
{
  FR_OBJECT, /* a model object: OBJ is the struct, FIELD the member whose value comes next */
  FR_ARRAY,  /* FIELD of OWNER, an array, takes the values */
  FR_MAP,    /* FIELD of OWNER, a map, takes the value of its last key */
  FR_SKIP,   /* an unknown member's value, DEPTH containers deep */
};

struct frame
{
  enum frame_kind kind;
  const struct oci_type *type;
  const struct oci_field *field;
  void *obj;
  uint64_t seen;  /* FR_OBJECT: one bit a field, set when it has a value */
  size_t mark;    /* the path's length where this container began */
  size_t cap;     /* FR_ARRAY, FR_MAP: elements allocated */
  unsigned depth; /* FR_SKIP */
};

#define MAX_DEPTH 64

struct decoder
{
  struct path path;
  struct oci_parse_error *err;
  const struct oci_type *root_type;
  void *root;
  struct frame stack[MAX_DEPTH];
  size_t top; /* frames in use */
  bool failed;
};

static int
fail (struct decoder *d, const char *fmt, ...)
{
  va_list ap;
  char *reason = NULL;

  d->failed = true;
  va_start (ap, fmt);
  if (vasprintf (&reason, fmt, ap) < 0)
    reason = NULL;
  va_end (ap);
  if (d->err && d->err->path == NULL)
    {
      d->err->path = strdup (d->path.len ? d->path.buf : "(document)");
      d->err->reason = reason;
    }
  else
    free (reason);
  return -1;
}

/* What a parse event is, in the words of the error messages. */
enum json_kind
{
  J_NULL,
  J_BOOL,
  J_NUMBER,
  J_STRING,
  J_OBJECT,
  J_ARRAY,
};

static const char *const json_kind_name[] = { "null", "boolean", "number", "string", "object", "array" };

/* One parse event's value. */
struct jvalue
{
  enum json_kind kind;
  const char *text; /* J_STRING, J_NUMBER: not NUL-terminated */
  size_t len;
  bool boolean;
};

static int
expect (struct decoder *d, const struct jvalue *v, enum json_kind want, const char *name)
{
  if (v->kind == want)
    return 0;
  return fail (d, "expected %s, got %s", name, json_kind_name[v->kind]);
}

static int
decode_string (struct decoder *d, const struct jvalue *v, char **ret)
{
  if (expect (d, v, J_STRING, "string") < 0)
    return -1;
  *ret = strndup (v->text, v->len);
  return *ret ? 0 : fail (d, "out of memory");
}

/* Integers are read from the number's own text, so that values past
   INT64_MAX (valid uint64 in the spec) and fractions are told apart.  */
static int
decode_integer (struct decoder *d, const struct jvalue *v, bool is_signed, int64_t min, uint64_t max,
                const char *name, void *ret, size_t width)
{
  char text[64];
  char *end = NULL;
  int64_t sv = 0;
  uint64_t uv = 0;

  if (expect (d, v, J_NUMBER, name) < 0)
    return -1;
  if (v->len >= sizeof text)
    return fail (d, "value %.*s out of range for %s", (int)v->len, v->text, name);
  memcpy (text, v->text, v->len);
  text[v->len] = '\0';
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

static int
decode_scalar (struct decoder *d, enum oci_kind kind, const struct jvalue *v, void *ret)
{
  switch (kind)
    {
    case OCI_K_BOOL:
      if (expect (d, v, J_BOOL, "boolean") < 0)
        return -1;
      *(bool *)ret = v->boolean;
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

static int
push (struct decoder *d, struct frame f)
{
  if (d->top == MAX_DEPTH)
    return fail (d, "nested more than %d deep", MAX_DEPTH);
  f.mark = d->path.len;
  d->stack[d->top++] = f;
  return 0;
}

static int
push_object (struct decoder *d, const struct oci_type *type, void *obj)
{
  if (type->n_fields > 64)
    return fail (d, "internal error: type %s has more than 64 fields", type->name);
  return push (d, (struct frame){ .kind = FR_OBJECT, .type = type, .obj = obj });
}

static size_t
elem_size (const struct oci_field *f)
{
  if (f->kind == OCI_K_ARR_STR || f->kind == OCI_K_MAP_STR)
    return sizeof (char *);
  return f->kind == OCI_K_ARR_U32 ? sizeof (uint32_t) : f->type->size;
}

/* Room for one more element of the array or map FR, and one spare zeroed
   one: string arrays end with NULL, as execve wants.  */
static int
grow (struct decoder *d, struct frame *fr)
{
  const struct oci_field *f = fr->field;
  size_t n = *AT (fr->obj, f->aux, size_t), elem = elem_size (f), cap;
  char *items = *AT (fr->obj, f->off, char *);

  if (n + 2 <= fr->cap)
    return 0;
  cap = fr->cap < 4 ? 4 : fr->cap * 2;
  items = realloc (items, cap * elem);
  if (items == NULL)
    return fail (d, "out of memory");
  memset (items + fr->cap * elem, 0, (cap - fr->cap) * elem);
  *AT (fr->obj, f->off, char *) = items;
  if (f->kind == OCI_K_MAP_STR || f->kind == OCI_K_MAP_OBJ)
    {
      char **keys = realloc (*AT (fr->obj, f->aux2, char **), cap * sizeof (char *));

      if (keys == NULL)
        return fail (d, "out of memory");
      memset (keys + fr->cap, 0, (cap - fr->cap) * sizeof (char *));
      *AT (fr->obj, f->aux2, char **) = keys;
    }
  fr->cap = cap;
  return 0;
}

/* The array or map field F of OBJ, empty but allocated, so that an empty
   one survives a round trip.  */
static int
begin_container (struct decoder *d, const struct oci_field *f, void *obj, enum frame_kind kind)
{
  struct frame fr = { .kind = kind, .field = f, .obj = obj };

  *AT (obj, f->aux, size_t) = 0;
  return grow (d, &fr) < 0 ? -1
                           : push (d, (struct frame){ .kind = kind, .field = f, .obj = obj, .cap = fr.cap });
}

/* Releases what field F of OBJ holds: a repeated member replaces it. */
static void field_done (const struct oci_field *f, void *obj);

static int
decode_member (struct decoder *d, struct frame *fr, const struct jvalue *v)
{
  const struct oci_field *f = fr->field;
  uint64_t bit = (uint64_t)1 << (f - fr->type->fields);
  void *obj = fr->obj;

  fr->field = NULL;
  if (fr->seen & bit)
    field_done (f, obj); /* the last occurrence wins, as in most JSON readers */
  fr->seen &= ~bit;
  if (v->kind == J_NULL)
    return 0; /* a JSON null is the member being absent */
  fr->seen |= bit;
  switch (f->kind)
    {
    case OCI_K_STR:
      return decode_string (d, v, AT (obj, f->off, char *));
    case OCI_K_OBJ:
      {
        void *sub;

        if (expect (d, v, J_OBJECT, "object") < 0)
          return -1;
        sub = calloc (1, f->type->size);
        if (sub == NULL)
          return fail (d, "out of memory");
        *AT (obj, f->off, void *) = sub;
        return push_object (d, f->type, sub);
      }
    case OCI_K_ARR_STR:
    case OCI_K_ARR_U32:
    case OCI_K_ARR_OBJ:
      if (expect (d, v, J_ARRAY, "array") < 0)
        return -1;
      return begin_container (d, f, obj, FR_ARRAY);
    case OCI_K_MAP_STR:
    case OCI_K_MAP_OBJ:
      if (expect (d, v, J_OBJECT, "object") < 0)
        return -1;
      return begin_container (d, f, obj, FR_MAP);
    default:
      if (decode_scalar (d, f->kind, v, AT (obj, f->off, void)) < 0)
        return -1;
      *AT (obj, f->aux, bool) = true;
      return 0;
    }
}

/* ITEM, an element of array F or the value of map F's last key. */
static int
decode_element (struct decoder *d, const struct oci_field *f, char *item, const struct jvalue *v)
{
  if (f->kind == OCI_K_ARR_STR || f->kind == OCI_K_MAP_STR)
    return decode_string (d, v, (char **)item);
  if (f->kind == OCI_K_ARR_U32)
    return decode_scalar (d, OCI_K_U32, v, item);
  if (expect (d, v, J_OBJECT, "object") < 0)
    return -1;
  return push_object (d, f->type, item);
}

static int
on_value (struct decoder *d, const struct jvalue *v)
{
  struct frame *fr = d->top ? &d->stack[d->top - 1] : NULL;
  bool opens = v->kind == J_OBJECT || v->kind == J_ARRAY;
  size_t n;

  if (fr == NULL)
    {
      if (expect (d, v, J_OBJECT, "object") < 0)
        return -1;
      return push_object (d, d->root_type, d->root);
    }
  switch (fr->kind)
    {
    case FR_SKIP:
      fr->depth += opens;
      return 0;
    case FR_OBJECT:
      if (fr->field == NULL) /* a member the model does not know: ignored */
        return opens ? push (d, (struct frame){ .kind = FR_SKIP, .depth = 1 }) : 0;
      return decode_member (d, fr, v);
    case FR_ARRAY:
      if (grow (d, fr) < 0)
        return -1;
      n = (*AT (fr->obj, fr->field->aux, size_t))++; /* counted first, so free sees it */
      path_pop (&d->path, fr->mark);
      path_push_index (&d->path, n);
      return decode_element (d, fr->field, *AT (fr->obj, fr->field->off, char *) + n * elem_size (fr->field),
                             v);
    case FR_MAP:
      n = *AT (fr->obj, fr->field->aux, size_t) - 1;
      return decode_element (d, fr->field, *AT (fr->obj, fr->field->off, char *) + n * elem_size (fr->field),
                             v);
    }
  return 0;
}

static const struct oci_field *
find_field (const struct oci_type *type, const char *key, size_t len)
{
  size_t i;

  for (i = 0; i < type->n_fields; i++)
    if (strncmp (type->fields[i].json, key, len) == 0 && type->fields[i].json[len] == '\0')
      return &type->fields[i];
  return NULL;
}

static int
on_key (struct decoder *d, const char *key, size_t len)
{
  struct frame *fr = &d->stack[d->top - 1];
  char **keys;
  size_t n;

  if (fr->kind == FR_SKIP)
    return 0;
  path_pop (&d->path, fr->mark);
  if (d->path.len)
    path_append (&d->path, ".", 1);
  path_append (&d->path, key, len);
  if (fr->kind == FR_OBJECT)
    {
      fr->field = find_field (fr->type, key, len);
      return 0;
    }
  if (grow (d, fr) < 0)
    return -1;
  keys = *AT (fr->obj, fr->field->aux2, char **);
  n = (*AT (fr->obj, fr->field->aux, size_t))++;
  keys[n] = strndup (key, len);
  return keys[n] ? 0 : fail (d, "out of memory");
}

static int
on_end (struct decoder *d)
{
  struct frame *fr = &d->stack[d->top - 1];
  size_t i;

  if (fr->kind == FR_SKIP && --fr->depth > 0)
    return 0;
  if (fr->kind == FR_OBJECT)
    for (i = 0; i < fr->type->n_fields; i++)
      if ((fr->type->fields[i].flags & OCI_REQ) && !(fr->seen & ((uint64_t)1 << i)))
        {
          path_pop (&d->path, fr->mark);
          path_push_key (&d->path, fr->type->fields[i].json);
          return fail (d, "required field is missing");
        }
  path_pop (&d->path, fr->mark);
  d->top--;
  return 0;
}

/* yajl's callbacks return 1 to go on, 0 to stop the parse. */
#define DECODER(ctx) ((struct decoder *)(ctx))

static int
cb_null (void *ctx)
{
  return on_value (DECODER (ctx), &(struct jvalue){ .kind = J_NULL }) == 0;
}

static int
cb_boolean (void *ctx, int b)
{
  return on_value (DECODER (ctx), &(struct jvalue){ .kind = J_BOOL, .boolean = b }) == 0;
}

static int
cb_number (void *ctx, const char *s, size_t len)
{
  return on_value (DECODER (ctx), &(struct jvalue){ .kind = J_NUMBER, .text = s, .len = len }) == 0;
}

static int
cb_string (void *ctx, const unsigned char *s, size_t len)
{
  return on_value (DECODER (ctx), &(struct jvalue){ .kind = J_STRING, .text = (const char *)s, .len = len })
         == 0;
}

static int
cb_start_map (void *ctx)
{
  return on_value (DECODER (ctx), &(struct jvalue){ .kind = J_OBJECT }) == 0;
}

static int
cb_map_key (void *ctx, const unsigned char *key, size_t len)
{
  return on_key (DECODER (ctx), (const char *)key, len) == 0;
}

static int
cb_start_array (void *ctx)
{
  return on_value (DECODER (ctx), &(struct jvalue){ .kind = J_ARRAY }) == 0;
}

static int
cb_end (void *ctx)
{
  return on_end (DECODER (ctx)) == 0;
}

static const yajl_callbacks callbacks = {
  .yajl_null = cb_null,
  .yajl_boolean = cb_boolean,
  .yajl_number = cb_number,
  .yajl_string = cb_string,
  .yajl_start_map = cb_start_map,
  .yajl_map_key = cb_map_key,
  .yajl_end_map = cb_end,
  .yajl_start_array = cb_start_array,
  .yajl_end_array = cb_end,
};

static int
parse_failed (struct decoder *d, yajl_handle h, const char *text, size_t len)
{
  unsigned char *msg;
  char *nl;
  int r;

  if (d->failed)
    return -1;
  path_pop (&d->path, 0); /* a syntax error is the document's, not a member's */
  msg = yajl_get_error (h, 1, (const unsigned char *)text, len);
  /* yajl's message may span lines; keep it on one. */
  while (msg && (nl = strchr ((char *)msg, '\n')) != NULL)
    *nl = ' ';
  r = fail (d, "invalid JSON: %.240s", msg && msg[0] ? (char *)msg : "parse error");
  yajl_free_error (h, msg);
  return r;
}

static int
decode_text (const struct oci_type *type, const char *text, void **ret, struct oci_parse_error *ret_err)
{
  struct decoder d = { .err = ret_err, .root_type = type };
  size_t len = strlen (text);
  yajl_handle h;
  int r = 0;

  if (ret_err)
    ret_err->path = ret_err->reason = NULL;
  d.root = calloc (1, type->size);
  h = d.root ? yajl_alloc (&callbacks, NULL, &d) : NULL;
  if (h == NULL)
    {
      free (d.root);
      return fail (&d, "out of memory");
    }
  yajl_config (h, yajl_allow_comments, 1);
  if (yajl_parse (h, (const unsigned char *)text, len) != yajl_status_ok
      || yajl_complete_parse (h) != yajl_status_ok)
    r = parse_failed (&d, h, text, len);
  else if (d.top != 0)
    r = fail (&d, "invalid JSON: premature end of input");
  yajl_free (h);
  if (r < 0)
    {
      oci_free (type, d.root);
      return -1;
    }
  *ret = d.root;
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

static void
field_done (const struct oci_field *f, void *obj)
{
  size_t n = kind_has_len (f->kind) ? *AT (obj, f->aux, size_t) : 0, j;

  switch (f->kind)
    {
    case OCI_K_STR:
      free (*AT (obj, f->off, char *));
      *AT (obj, f->off, char *) = NULL;
      return;
    case OCI_K_OBJ:
      *AT (obj, f->off, void *) = oci_free (f->type, *AT (obj, f->off, void *));
      return;
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
      *AT (obj, f->aux, bool) = false;
      return;
    }
  *AT (obj, f->off, void *) = NULL;
  *AT (obj, f->aux, size_t) = 0;
  if (f->kind == OCI_K_MAP_STR || f->kind == OCI_K_MAP_OBJ)
    *AT (obj, f->aux2, char **) = NULL;
}

void
oci_done (const struct oci_type *type, void *obj)
{
  size_t i;

  if (obj == NULL)
    return;
  for (i = 0; i < type->n_fields; i++)
    field_done (&type->fields[i], obj);
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
