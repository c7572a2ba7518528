/* libseccomp: loaded on first use by the dynamically linked cfsrun (see
   scmp.h for why), linked in by the static one, where a library costs no
   start: only the pages a filter runs are ever read.  */
#include "scmp.h"

#ifdef CFS_STATIC_BINARY

#define LINKED(f) .f = f,

const struct scmp *
scmp_get (const char *field, struct cfs_error **err)
{
  static const struct scmp linked = { SCMP_FUNCS (LINKED) };

  (void)field;
  (void)err;
  return &linked;
}

#else

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

#endif
