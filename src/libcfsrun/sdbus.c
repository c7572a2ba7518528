/* sd-bus, loaded on first use: see sdbus.h for why.  */
#include "sdbus.h"

#include "dlib.h"

static struct sdbus api;
static void *handle;

#define SYM(f) DLIB_SYM (api, f)

const struct sdbus *
sdbus_get (struct cfs_error **err)
{
  static const struct dlib lib = { "libsystemd.so.0", "libsystemd0", "the systemd cgroup driver needs",
                                   "libsystemd 237 or newer", CFS_E_SYSTEMD };
  static const struct dlib_sym syms[] = { SDBUS_FUNCS (SYM) };

  return dlib_load (&handle, &lib, syms, sizeof syms / sizeof syms[0], NULL, err) < 0 ? NULL : &api;
}
