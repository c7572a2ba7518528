/* libFuzzer target over the config and state parsers: decode, validate
   (the whole of bundle_parse, seccomp plan included), encode, decode again,
   free.  Built by `make fuzz` with -fsanitize=fuzzer,address,undefined.  */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "oci-spec.h"
#include "state.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct oci_parse_error perr = { 0 };
  struct cfs_error *err = NULL;
  struct cfs_bundle b;
  struct oci_spec *s;
  void *st = NULL;
  char *json = NULL;

  s = oci_spec_parse ((const char *)data, size, &perr);
  oci_parse_error_done (&perr);
  if (s && oci_encode (&oci_spec_type, s, false, &json, NULL) == 0)
    {
      struct oci_spec *again = oci_spec_parse (json, strlen (json), NULL);

      /* What we wrote must read back. */
      if (again == NULL)
        abort ();
      oci_spec_free (again);
      free (json);
    }
  oci_spec_free (s);
  if (bundle_parse ((const char *)data, size, &b, &err) >= 0 || err)
    bundle_done (&b);
  cfs_error_free (err);
  if (oci_decode (&cfs_record_type, (const char *)data, size, &st, NULL) == 0)
    oci_free (&cfs_record_type, st);
  return 0;
}
