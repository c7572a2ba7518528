/* libocispec: a table-driven JSON codec for the OCI runtime-spec model.
 *
 * Every model type is declared once, as an X-macro listing its fields (see
 * oci-spec.h).  That one declaration expands into the C struct and into the
 * field table that decode, encode and free walk, so a struct and its JSON
 * mapping cannot drift apart.  This library knows JSON and the spec; it knows
 * nothing of Linux.
 */
#ifndef OCI_CODEC_H
#define OCI_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* GNU C predefines `linux` as 1; the model has a member of that name. */
#undef linux

enum oci_kind
{
  OCI_K_STR,
  OCI_K_BOOL,
  OCI_K_I32,
  OCI_K_U16,
  OCI_K_U32,
  OCI_K_I64,
  OCI_K_U64,
  OCI_K_OBJ,
  OCI_K_ARR_STR,
  OCI_K_ARR_U32,
  OCI_K_ARR_OBJ,
  OCI_K_MAP_STR,
  OCI_K_MAP_OBJ,
  OCI_K_MAX,
};

enum oci_field_flags
{
  OCI_OPT = 0,
  OCI_REQ = 1 << 0,
};

struct oci_type;

struct oci_field
{
  const char *json;
  enum oci_kind kind;
  unsigned flags;
  size_t off;                  /* value, pointer, or map values */
  size_t aux;                  /* has_ flag (scalars) or _len (arrays, maps) */
  size_t aux2;                 /* _keys (maps) */
  const struct oci_type *type; /* element type of OBJ, ARR_OBJ, MAP_OBJ */
};

struct oci_type
{
  const char *name;
  size_t size;
  const struct oci_field *fields;
  size_t n_fields;
};

/* Where a document failed to decode: a JSON path such as `process.args[1]`
   and the reason.  Both owned; free with oci_parse_error_done.  */
struct oci_parse_error
{
  char *path;
  char *reason;
};

void oci_parse_error_done (struct oci_parse_error *e);

/* Decode JSON text into a newly allocated object of TYPE.  Unknown members are
   ignored, as the runtime-spec requires.  Returns 0, or -1 with RET_ERR set. */
int oci_decode (const struct oci_type *type, const char *json, size_t len, void **ret,
                struct oci_parse_error *ret_err);
/* The same for NUL-terminated TEXT, without copying it first. */
int oci_decode_text (const struct oci_type *type, const char *text, void **ret,
                     struct oci_parse_error *ret_err);

/* Encode OBJ as JSON (NUL-terminated, malloc'd).  Returns 0 or -1 (ENOMEM). */
int oci_encode (const struct oci_type *type, const void *obj, bool pretty, char **ret_json, size_t *ret_len);

/* Free an object and everything it owns; NULL is accepted.  */
void *oci_free (const struct oci_type *type, void *obj);

/* Release what an object owns, not the object itself (for embedded ones).  */
void oci_done (const struct oci_type *type, void *obj);

/* ---- X-macro machinery: members ---- */
#define OCI_MEMBER(S, kind, name, json, ctype, flags) OCI_MEMBER_##kind (name, ctype)
#define OCI_MEMBER_STR(n, t)                          char *n;
#define OCI_MEMBER_BOOL(n, t)                                                                                \
  bool n;                                                                                                    \
  bool has_##n;
#define OCI_MEMBER_I32(n, t)                                                                                 \
  int32_t n;                                                                                                 \
  bool has_##n;
#define OCI_MEMBER_U16(n, t)                                                                                 \
  uint16_t n;                                                                                                \
  bool has_##n;
#define OCI_MEMBER_U32(n, t)                                                                                 \
  uint32_t n;                                                                                                \
  bool has_##n;
#define OCI_MEMBER_I64(n, t)                                                                                 \
  int64_t n;                                                                                                 \
  bool has_##n;
#define OCI_MEMBER_U64(n, t)                                                                                 \
  uint64_t n;                                                                                                \
  bool has_##n;
#define OCI_MEMBER_OBJ(n, t) struct t *n;
#define OCI_MEMBER_ARR_STR(n, t)                                                                             \
  char **n;                                                                                                  \
  size_t n##_len;
#define OCI_MEMBER_ARR_U32(n, t)                                                                             \
  uint32_t *n;                                                                                               \
  size_t n##_len;
#define OCI_MEMBER_ARR_OBJ(n, t)                                                                             \
  struct t *n;                                                                                               \
  size_t n##_len;
#define OCI_MEMBER_MAP_STR(n, t)                                                                             \
  char **n##_keys;                                                                                           \
  char **n;                                                                                                  \
  size_t n##_len;
#define OCI_MEMBER_MAP_OBJ(n, t)                                                                             \
  char **n##_keys;                                                                                           \
  struct t *n;                                                                                               \
  size_t n##_len;

#define OCI_DECLARE_STRUCT(t)                                                                                \
  struct t                                                                                                   \
  {                                                                                                          \
    OCI_TYPE_##t (OCI_MEMBER, t)                                                                             \
  };                                                                                                         \
  extern const struct oci_type t##_type;

/* ---- X-macro machinery: field tables ---- */
#define OCI_OFF_SCALAR(S, n) offsetof (struct S, has_##n)
#define OCI_AUX_STR(S, n)    0
#define OCI_AUX_BOOL         OCI_OFF_SCALAR
#define OCI_AUX_I32          OCI_OFF_SCALAR
#define OCI_AUX_U16          OCI_OFF_SCALAR
#define OCI_AUX_U32          OCI_OFF_SCALAR
#define OCI_AUX_I64          OCI_OFF_SCALAR
#define OCI_AUX_U64          OCI_OFF_SCALAR
#define OCI_AUX_OBJ(S, n)    0
#define OCI_AUX_LEN(S, n)    offsetof (struct S, n##_len)
#define OCI_AUX_ARR_STR      OCI_AUX_LEN
#define OCI_AUX_ARR_U32      OCI_AUX_LEN
#define OCI_AUX_ARR_OBJ      OCI_AUX_LEN
#define OCI_AUX_MAP_STR      OCI_AUX_LEN
#define OCI_AUX_MAP_OBJ      OCI_AUX_LEN
#define OCI_KEYS_NONE(S, n)  0
#define OCI_KEYS_MAP(S, n)   offsetof (struct S, n##_keys)
#define OCI_KEYS_STR         OCI_KEYS_NONE
#define OCI_KEYS_BOOL        OCI_KEYS_NONE
#define OCI_KEYS_I32         OCI_KEYS_NONE
#define OCI_KEYS_U16         OCI_KEYS_NONE
#define OCI_KEYS_U32         OCI_KEYS_NONE
#define OCI_KEYS_I64         OCI_KEYS_NONE
#define OCI_KEYS_U64         OCI_KEYS_NONE
#define OCI_KEYS_OBJ         OCI_KEYS_NONE
#define OCI_KEYS_ARR_STR     OCI_KEYS_NONE
#define OCI_KEYS_ARR_U32     OCI_KEYS_NONE
#define OCI_KEYS_ARR_OBJ     OCI_KEYS_NONE
#define OCI_KEYS_MAP_STR     OCI_KEYS_MAP
#define OCI_KEYS_MAP_OBJ     OCI_KEYS_MAP
#define OCI_TREF_NONE(t)     NULL
#define OCI_TREF_TYPE(t)     &t##_type
#define OCI_TREF_STR         OCI_TREF_NONE
#define OCI_TREF_BOOL        OCI_TREF_NONE
#define OCI_TREF_I32         OCI_TREF_NONE
#define OCI_TREF_U16         OCI_TREF_NONE
#define OCI_TREF_U32         OCI_TREF_NONE
#define OCI_TREF_I64         OCI_TREF_NONE
#define OCI_TREF_U64         OCI_TREF_NONE
#define OCI_TREF_OBJ         OCI_TREF_TYPE
#define OCI_TREF_ARR_STR     OCI_TREF_NONE
#define OCI_TREF_ARR_U32     OCI_TREF_NONE
#define OCI_TREF_ARR_OBJ     OCI_TREF_TYPE
#define OCI_TREF_MAP_STR     OCI_TREF_NONE
#define OCI_TREF_MAP_OBJ     OCI_TREF_TYPE

#define OCI_FIELD(S, kind, name, json, ctype, flags)                                                         \
  { json,                                                                                                    \
    OCI_K_##kind,                                                                                            \
    flags,                                                                                                   \
    offsetof (struct S, name),                                                                               \
    OCI_AUX_##kind (S, name),                                                                                \
    OCI_KEYS_##kind (S, name),                                                                               \
    OCI_TREF_##kind (ctype) },

#define OCI_DEFINE_TYPE(t)                                                                                   \
  static const struct oci_field t##_fields[] = { OCI_TYPE_##t (OCI_FIELD, t) };                              \
  const struct oci_type t##_type                                                                             \
      = { #t, sizeof (struct t), t##_fields, sizeof (t##_fields) / sizeof (t##_fields[0]) };

#endif
