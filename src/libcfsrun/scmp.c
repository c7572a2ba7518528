/* libseccomp, loaded on first use: see scmp.h for why.  */
#include <dlfcn.h>
#include <stddef.h>

#include "scmp.h"

static struct scmp api;
static void *lib;

const struct scmp *
scmp_get (const char *field, struct cfs_error **err)
{
  const char *missing = NULL;

  if (lib)
    return &api;
  lib = dlopen ("libseccomp.so.2", RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL)
    {
      cfs_fail (err, CFS_E_SYSTEM, 0, field,
                "%s%sseccomp filters need libseccomp.so.2 (Debian: libseccomp2): %s", field ? field : "",
                field ? ": " : "", dlerror ());
      return NULL;
    }
#define SCMP_LOAD(f)                                                                                         \
  if ((api.f = (__typeof__ (f) *)dlsym (lib, #f)) == NULL && missing == NULL)                                \
    missing = #f;
  SCMP_FUNCS (SCMP_LOAD)
#undef SCMP_LOAD
  if (missing)
    {
      dlclose (lib);
      lib = NULL;
      cfs_fail (err, CFS_E_SYSTEM, 0, field, "libseccomp.so.2 has no `%s`: too old for cfsrun (2.5 or newer)",
                missing);
      return NULL;
    }
  return &api;
}
