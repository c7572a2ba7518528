/* Loading a bundle's config.json and checking what the JSON types alone do
   not: the rules of config.md and config-linux.md, with Linux knowledge.
   Every error names the field (`process.args`, `linux.namespaces[2].type`). */
#ifndef CFS_BUNDLE_H
#define CFS_BUNDLE_H

#include "caps.h"
#include "error.h"
#include "namespaces.h"
#include "oci-spec.h"
#include "seccomp.h"

/* The annotation asking for the built-in init, "true" or "false". */
#define CFS_INIT_ANNOTATION "run.oci.cfsrun.init"

struct cfs_bundle
{
  struct oci_spec *spec;
  char *bundle; /* absolute */
  char *rootfs; /* absolute, resolved */
  struct ns_plan ns;
  struct caps_plan caps;
  bool has_caps;
  struct seccomp_plan *seccomp; /* NULL: no filter */
  char *json;                   /* the config.json text, kept for exec */
  size_t json_len;
  bool init; /* annotation run.oci.cfsrun.init is "true" */
};

int bundle_load (const char *bundle, struct cfs_bundle *ret, struct cfs_error **err);

/* Pure: parse and validate a config from memory (BUNDLE for messages and
   relative paths is not touched).  Used by bundle_load and the unit tests. */
int bundle_parse (const char *json, size_t len, struct cfs_bundle *ret, struct cfs_error **err);

void bundle_done (struct cfs_bundle *c);

#endif
