/* Libraries loaded on first use (dlopen): libseccomp (scmp.h), libsystemd
   (sdbus.h) and libcap (caplib.h).  Each is needed by some commands only,
   and linked, each cost every command a library to map and relocate.  The
   headers still come from their -dev packages, so the types are checked.  */
#ifndef CFS_DLIB_H
#define CFS_DLIB_H

#include <stddef.h>

#include "error.h"

/* One library: its soname, its Debian package, what needs it (for the
   error message: "seccomp filters need") and the version that has every
   symbol.  */
struct dlib
{
  const char *soname;
  const char *package;
  const char *needed_by;
  const char *version;
  enum cfs_code code;
};

/* A symbol to resolve into *SLOT (a function pointer of the right type). */
struct dlib_sym
{
  const char *name;
  void **slot;
};

#define DLIB_SYM(api, f) { #f, (void **)&(api).f },

/* Loads LIB into *HANDLE, once, and resolves the N symbols of SYMS.  On
   failure nothing stays loaded and the error names FIELD (the config field
   that needs the library, or NULL), the library and its package.  */
int dlib_load (void **handle, const struct dlib *lib, const struct dlib_sym *syms, size_t n,
               const char *field, struct cfs_error **err);

#endif
