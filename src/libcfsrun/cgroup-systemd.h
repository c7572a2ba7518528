/* The systemd cgroup driver (--systemd-cgroup): the container's cgroup is
   a transient scope that systemd makes and owns, started over sd-bus with
   the container's init in it.  Limits systemd knows are given to it as
   unit properties, so that systemd keeps them when it re-applies its own
   settings (daemon-reload, a later property change); cgroup-resources.c
   then writes every limit to the files as well, as it does for cgroupfs,
   which covers the rest (swappiness, hugetlb, rdma, unified...).

   Hierarchies systemd does not manage (v1 freezer, cpuset, net_cls...)
   get the same path, made by cfsrun and recorded as for cgroupfs.  */
#ifndef CFS_CGROUP_SYSTEMD_H
#define CFS_CGROUP_SYSTEMD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "error.h"
#include "oci-spec.h"

struct systemd_scope
{
  char unit[256];  /* prefix-name.scope */
  char slice[256]; /* system.slice */
  char path[2048]; /* its cgroup below the manager's own: /system.slice/prefix-name.scope */
};

/* Pure: linux.cgroupsPath ("slice:prefix:name", or empty for the default
   system.slice:cfsrun:ID, user.slice when USER) to the scope.  */
int cgroup_systemd_parse (const char *cgroups_path, const char *id, bool user, struct systemd_scope *ret,
                          struct cfs_error **err);

/* One unit property, as the driver sends it. */
struct systemd_prop
{
  char name[32];
  char sig; /* 't' uint64, 'b' boolean, 's' string, 'y' bitmask (ay), 'd' one DeviceAllow (a(ss)) */
  uint64_t num;
  char str[64];
  char access[4];
  uint8_t mask[64];
  size_t mask_len;
};

/* Pure: the properties for linux.resources on layout L (v1 names on v1 and
   hybrid hosts, v2 names on unified ones).  DEVS are linux.devices.  */
int cgroup_systemd_props (const struct cgroup_layout *l, const struct oci_resources *r,
                          const struct oci_device *devs, size_t n_devs, struct systemd_prop **ret,
                          size_t *ret_n, struct cfs_error **err);

/* sd-bus, loaded before create or run has done anything: a static cfsrun
   hands the whole command to cfsrun-dynamic here (sdbus.h).  */
int cgroup_systemd_ready (struct cfs_error **err);

/* A connection to the system manager (the user manager when not root). */
struct systemd_bus;
int cgroup_systemd_connect (struct systemd_bus **ret, struct cfs_error **err);
void cgroup_systemd_disconnect (struct systemd_bus *b);

/* The manager's own cgroup ("/" for PID 1 on a host), below which its
   units' cgroups are.  */
int cgroup_systemd_root (struct systemd_bus *b, char *buf, size_t size, struct cfs_error **err);

/* Start the scope with PID in it and the properties of R; wait (bounded)
   until systemd says the job is done.  */
int cgroup_systemd_start (struct systemd_bus *b, const struct systemd_scope *s, const char *id, pid_t pid,
                          const struct cgroup_layout *l, const struct oci_resources *r,
                          const struct oci_device *devs, size_t n_devs, struct cfs_error **err);

/* Change a running scope's properties (update). */
int cgroup_systemd_set (const char *unit, const struct cgroup_layout *l, const struct oci_resources *r,
                        struct cfs_error **err);

/* Stop the scope and forget it; a unit that is already gone is fine. */
int cgroup_systemd_stop (const char *unit, struct cfs_error **err);

/* Pure: a cpuset list ("0-3,8") as systemd's bitmask bytes. */
int cgroup_systemd_cpu_mask (const char *list, uint8_t *mask, size_t size, size_t *ret_len);

#endif
