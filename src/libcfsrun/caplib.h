/* libcap, through one table of its functions.  Linked in from its static
   archive (configure's default): the table points at them, and no call
   maps a library for it.  Built with --disable-static-deps: loaded on
   first use, since only create, run and exec of a process with
   capabilities use it; linked as a shared library, it cost state, list,
   start, kill and delete a library to map and relocate on every call.  It
   is then loaded in the parent, when the config is checked, before any
   clone: the container process uses the same copy.  */
#ifndef CFS_CAPLIB_H
#define CFS_CAPLIB_H

#include <sys/capability.h>

#include "error.h"

/* The functions cfsrun uses; X (name) each.  */
#define CAPLIB_FUNCS(X)                                                                                      \
  X (cap_max_bits)                                                                                           \
  X (cap_from_name)                                                                                          \
  X (cap_to_name)                                                                                            \
  X (cap_init)                                                                                               \
  X (cap_set_flag)                                                                                           \
  X (cap_set_proc)                                                                                           \
  X (cap_free)

struct caplib
{
#define CAPLIB_MEMBER(f) __typeof__ (f) *f;
  CAPLIB_FUNCS (CAPLIB_MEMBER)
#undef CAPLIB_MEMBER
};

/* The loaded library (loaded once), or an error naming FIELD, the config
   field that needs it (or NULL).  */
const struct caplib *caplib_get (const char *field, struct cfs_error **err);

#endif
