/* Instantiates the field table of every type declared in oci-spec.h. */
#include "oci-spec.h"

#include <stdlib.h>

OCI_ALL_TYPES (OCI_DEFINE_TYPE)

struct oci_spec *
oci_spec_parse (const char *json, size_t len, struct oci_parse_error *ret_err)
{
  void *spec = NULL;

  if (oci_decode (&oci_spec_type, json, len, &spec, ret_err) < 0)
    return NULL;
  return spec;
}

struct oci_spec *
oci_spec_free (struct oci_spec *spec)
{
  return oci_free (&oci_spec_type, spec);
}

struct oci_state *
oci_state_free (struct oci_state *state)
{
  return oci_free (&oci_state_type, state);
}
