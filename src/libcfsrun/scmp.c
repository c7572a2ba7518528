/* libseccomp, loaded on first use: see scmp.h for why.  */
#include "scmp.h"

#include "dlib.h"

static struct scmp api;
static void *handle;

#define SYM(f) DLIB_SYM (api, f)

const struct scmp *
scmp_get (const char *field, struct cfs_error **err)
{
  static const struct dlib lib
      = { "libseccomp.so.2", "libseccomp2", "seccomp filters need", "libseccomp 2.5 or newer", CFS_E_SYSTEM };
  static const struct dlib_sym syms[] = { SCMP_FUNCS (SYM) };

  return dlib_load (&handle, &lib, syms, sizeof syms / sizeof syms[0], field, err) < 0 ? NULL : &api;
}
