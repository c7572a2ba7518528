/* libseccomp, loaded on first use.  Linked, it cost every cfsrun command
   (state, list, kill, delete, start, and create of a config without
   linux.seccomp) a library to map and relocate, about 70 KB of RSS here,
   for a filter that only configs with linux.seccomp have; so, as sdbus.h
   does for libsystemd, it is dlopen()ed when a filter is built (in the
   parent, before any clone: the container process uses the same copy).
   The headers still come from libseccomp-dev, so the types are checked.
   The static cfsrun links it in (scmp.c): there a library costs no start. */
#ifndef CFS_SCMP_H
#define CFS_SCMP_H

#include <seccomp.h>

#include "error.h"

/* The functions cfsrun uses; X (name) each.  */
#define SCMP_FUNCS(X)                                                                                        \
  X (seccomp_init)                                                                                           \
  X (seccomp_release)                                                                                        \
  X (seccomp_attr_set)                                                                                       \
  X (seccomp_attr_get)                                                                                       \
  X (seccomp_arch_resolve_name)                                                                              \
  X (seccomp_arch_add)                                                                                       \
  X (seccomp_syscall_resolve_name)                                                                           \
  X (seccomp_rule_add_array)                                                                                 \
  X (seccomp_load)                                                                                           \
  X (seccomp_notify_fd)                                                                                      \
  X (seccomp_export_bpf)                                                                                     \
  X (seccomp_version)                                                                                        \
  X (seccomp_api_get)

struct scmp
{
#define SCMP_MEMBER(f) __typeof__ (f) *f;
  SCMP_FUNCS (SCMP_MEMBER)
#undef SCMP_MEMBER
};

/* The loaded library (loaded once), or an error naming what is missing
   (FIELD, the config field that needs it, or NULL).  */
const struct scmp *scmp_get (const char *field, struct cfs_error **err);

#endif
