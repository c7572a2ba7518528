#include "dlib.h"

#include <dlfcn.h>

int
dlib_load (void **handle, const struct dlib *lib, const struct dlib_sym *syms, size_t n, const char *field,
           struct cfs_error **err)
{
  size_t i;

  if (*handle)
    return 0;
  *handle = dlopen (lib->soname, RTLD_NOW | RTLD_LOCAL);
  if (*handle == NULL)
    return cfs_fail (err, lib->code, 0, field, "%s%s%s %s (Debian: %s): %s", field ? field : "",
                     field ? ": " : "", lib->needed_by, lib->soname, lib->package, dlerror ());
  for (i = 0; i < n; i++)
    if ((*syms[i].slot = dlsym (*handle, syms[i].name)) == NULL)
      {
        dlclose (*handle);
        *handle = NULL;
        return cfs_fail (err, lib->code, 0, field, "%s has no `%s`: cfsrun needs %s", lib->soname,
                         syms[i].name, lib->version);
      }
  return 0;
}
