/* Linux namespaces: which to create, which to join, and joining them. */
#ifndef CFS_NAMESPACES_H
#define CFS_NAMESPACES_H

#include <stdbool.h>

#include "error.h"
#include "oci-spec.h"

enum ns_type
{
  NS_USER, /* first: joining it first gives the rights to join the rest */
  NS_MOUNT,
  NS_PID,
  NS_NET,
  NS_IPC,
  NS_UTS,
  NS_CGROUP,
  NS_TIME,
  NS_MAX,
  NS_INVALID = -1,
};

struct ns_plan
{
  bool wanted[NS_MAX];      /* in linux.namespaces at all */
  const char *path[NS_MAX]; /* join this one (NULL: create a new one) */
  int fd[NS_MAX];           /* opened join paths, -1 when none */
  int clone_flags;          /* the new namespaces clone() creates */
};

/* Pure: config to plan, with every config error named by its field. */
int namespaces_plan (const struct oci_linux *linux_cfg, struct ns_plan *ret, struct cfs_error **err);

/* Parent, before clone: open the join paths and check each is a namespace
   of the type asked for; enter the pid and time namespaces to join and
   create the new time namespace with linux.timeOffsets, all of which take
   effect for children only.  */
int namespaces_prepare_parent (struct ns_plan *plan, const struct oci_linux *linux_cfg,
                               struct cfs_error **err);

/* Child, first thing: join the namespaces given by path, user first. */
int namespaces_join (struct ns_plan *plan, struct cfs_error **err);

void namespaces_plan_done (struct ns_plan *plan);

const char *namespaces_name (enum ns_type t);

#endif
