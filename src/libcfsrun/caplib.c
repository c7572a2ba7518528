/* libcap through one table: linked in, or loaded on first use (caplib.h).  */
#include "caplib.h"

#include "dlib.h"

#ifdef CFS_LIBCAP_LINKED

#define LINKED(f) .f = f,

const struct caplib *
caplib_get (const char *field, struct cfs_error **err)
{
  static const struct caplib linked = { CAPLIB_FUNCS (LINKED) };

  (void)field;
  (void)err;
  return &linked;
}

#else

static struct caplib api;
static void *handle;

#define SYM(f) DLIB_SYM (api, f)

const struct caplib *
caplib_get (const char *field, struct cfs_error **err)
{
  static const struct dlib lib
      = { "libcap.so.2", "libcap2", "capabilities need", "libcap 2.30 or newer", CFS_E_CAPABILITIES };
  static const struct dlib_sym syms[] = { CAPLIB_FUNCS (SYM) };

  return dlib_load (&handle, &lib, syms, sizeof syms / sizeof syms[0], field, err) < 0 ? NULL : &api;
}

#endif
