/* sd-bus, loaded on first use.  Linking libsystemd would cost every
   cfsrun invocation about 0.6 ms of dynamic linking and 0.8 MB of RSS
   (measured here), for a driver only --systemd-cgroup uses; so, as systemd
   itself does for its optional libraries, it is dlopen()ed when needed.
   The headers still come from libsystemd-dev, so the types are checked.
   A static cfsrun (configure's default where it can link one) cannot load
   a shared library at all: its sdbus_get() runs the command again in
   cfsrun-dynamic, the same program linked dynamically (sdbus.c).  */
#ifndef CFS_SDBUS_H
#define CFS_SDBUS_H

#include <systemd/sd-bus.h>

#include "error.h"

/* The functions the systemd driver uses; X (name) each.  */
#define SDBUS_FUNCS(X)                                                                                       \
  X (sd_bus_open_system)                                                                                     \
  X (sd_bus_open_user)                                                                                       \
  X (sd_bus_new)                                                                                             \
  X (sd_bus_set_address)                                                                                     \
  X (sd_bus_start)                                                                                           \
  X (sd_bus_flush_close_unref)                                                                               \
  X (sd_bus_message_new_method_call)                                                                         \
  X (sd_bus_message_append)                                                                                  \
  X (sd_bus_message_append_array)                                                                            \
  X (sd_bus_message_open_container)                                                                          \
  X (sd_bus_message_close_container)                                                                         \
  X (sd_bus_message_read)                                                                                    \
  X (sd_bus_message_unref)                                                                                   \
  X (sd_bus_call)                                                                                            \
  X (sd_bus_call_method)                                                                                     \
  X (sd_bus_get_property_string)                                                                             \
  X (sd_bus_match_signal)                                                                                    \
  X (sd_bus_slot_unref)                                                                                      \
  X (sd_bus_process)                                                                                         \
  X (sd_bus_wait)                                                                                            \
  X (sd_bus_error_free)                                                                                      \
  X (sd_bus_error_has_name)

struct sdbus
{
#define SDBUS_MEMBER(f) __typeof__ (f) *f;
  SDBUS_FUNCS (SDBUS_MEMBER)
#undef SDBUS_MEMBER
};

/* The loaded library (loaded once), or an error naming what is missing.
   The static cfsrun's does not return unless cfsrun-dynamic cannot run.  */
const struct sdbus *sdbus_get (struct cfs_error **err);

#endif
