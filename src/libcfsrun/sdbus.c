/* sd-bus, loaded on first use: see sdbus.h for why.  */
#include <dlfcn.h>
#include <stddef.h>

#include "sdbus.h"

static struct sdbus api;
static void *lib;

const struct sdbus *
sdbus_get (struct cfs_error **err)
{
  const char *missing = NULL;

  if (lib)
    return &api;
  lib = dlopen ("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL)
    {
      cfs_fail (err, CFS_E_SYSTEMD, 0, NULL,
                "the systemd cgroup driver needs libsystemd.so.0 (Debian: libsystemd0): %s", dlerror ());
      return NULL;
    }
#define SDBUS_LOAD(f)                                                                                        \
  if ((api.f = (__typeof__ (f) *)dlsym (lib, #f)) == NULL && missing == NULL)                                \
    missing = #f;
  SDBUS_FUNCS (SDBUS_LOAD)
#undef SDBUS_LOAD
  if (missing)
    {
      dlclose (lib);
      lib = NULL;
      cfs_fail (err, CFS_E_SYSTEMD, 0, NULL, "libsystemd.so.0 has no `%s`: too old for the systemd driver",
                missing);
      return NULL;
    }
  return &api;
}
