/* `cfsrun check`: what of cfsrun works on this host, and the fix for what
   does not.  Every item is probed, not guessed from versions, except where
   a probe would change the host.

   Test-only: CFSRUN_CHECK_SYSROOT=DIR reads the host's files (mountinfo
   and cgroup of /proc/self, /sys/fs/cgroup, /proc/sys, /etc/subuid and
   /etc/subgid, the uidmap tools) under DIR instead, so tests can build each
   layout.  The kernel probes (system calls, LSMs) are always this host's. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cfsrun.h"
#include "cgroup.h"
#include "lsm.h"
#include "oci-spec.h"
#include "scmp.h"
#include "util.h"

#define OCI_TYPE_cfs_check_item(F, S)                                                                        \
  F (S, STR, name, "name", _, OCI_REQ)                                                                       \
  F (S, BOOL, ok, "ok", _, OCI_REQ)                                                                          \
  F (S, STR, detail, "detail", _, OCI_OPT)                                                                   \
  F (S, STR, fix, "fix", _, OCI_OPT)
#define OCI_TYPE_cfs_check(F, S) F (S, ARR_OBJ, items, "items", cfs_check_item, OCI_REQ)

OCI_DECLARE_STRUCT (cfs_check_item)
OCI_DECLARE_STRUCT (cfs_check)
OCI_DEFINE_TYPE (cfs_check_item)
OCI_DEFINE_TYPE (cfs_check)

#define MAX_ITEMS 32

struct report
{
  struct cfs_check_item items[MAX_ITEMS];
  size_t n;
  const char *sysroot; /* "" for the host */
};

/* PATH of the host, under the test sysroot if there is one. */
static const char *
host_path (const struct report *r, const char *path, char *buf, size_t size)
{
  snprintf (buf, size, "%s%s", r->sysroot, path);
  return buf;
}

static void item (struct report *r, const char *name, bool ok, const char *fix, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));

static void
item (struct report *r, const char *name, bool ok, const char *fix, const char *fmt, ...)
{
  struct cfs_check_item *it;
  va_list ap;

  if (r->n == MAX_ITEMS)
    return;
  it = &r->items[r->n++];
  it->name = strdup (name);
  it->ok = ok;
  it->has_ok = true;
  va_start (ap, fmt);
  if (vasprintf (&it->detail, fmt, ap) < 0)
    it->detail = NULL;
  va_end (ap);
  it->fix = ok || fix == NULL ? NULL : strdup (fix);
}

static bool
syscall_exists (long nr)
{
  /* Invalid arguments: EINVAL/EBADF/EFAULT mean the kernel has the call. */
  return syscall (nr, -1, NULL, NULL, 0, 0) >= 0 || errno != ENOSYS;
}

static long
read_long (const struct report *r, const char *path, long dflt)
{
  _cleanup_free_ char *text = NULL;
  char buf[4096];

  if (util_read_file_at (AT_FDCWD, host_path (r, path, buf, sizeof buf), &text, NULL, NULL) < 0)
    return dflt;
  return strtol (text, NULL, 10);
}

static void
check_cgroups (struct report *r)
{
  static const char *const modes[]
      = { "v1 (legacy)", "v2 (unified)", "hybrid (v1 plus cgroup2 at /sys/fs/cgroup/unified)" };
  struct cgroup_layout l;
  char where[1024] = "";
  size_t i, len = 0;
  bool writable = true;

  if (cgroup_layout_read_at (r->sysroot, &l, NULL) < 0)
    {
      item (r, "cgroup layout", false,
            "mount cgroup2 at /sys/fs/cgroup: mount -t cgroup2 none /sys/fs/cgroup",
            "no cgroup filesystem is mounted under /sys/fs/cgroup");
      item (r, "cgroup delegation", false, "mount cgroups first (see cgroup layout)",
            "no cgroups: resource limits will fail");
      return;
    }
  for (i = 0; i < l.n && len < sizeof where; i++)
    {
      char own[4096];

      len += (size_t)snprintf (where + len, sizeof where - len, "%s%s=[%s]", i ? " " : "", l.h[i].name,
                               l.h[i].controllers);
      snprintf (own, sizeof own, "%s%s%s", r->sysroot, l.h[i].mnt, l.h[i].self);
      writable &= access (own, W_OK) == 0;
    }
  item (r, "cgroup layout", true, NULL, "%s: %s", modes[l.mode], where);
  item (r, "cgroup delegation", writable,
        geteuid () == 0
            ? "check the cgroup mounts are writable"
            : "delegate a cgroup subtree to this user (systemd: a user session with Delegate=yes; "
              "v1: chown a subtree of each hierarchy), or run as root",
        writable ? "uid %u can create cgroups under its own"
                 : "uid %u cannot write its own cgroup: resource limits "
                   "will fail with CGROUP_NOT_DELEGATED",
        (unsigned)geteuid ());
}

static bool
has_subids (const struct report *r, const char *file, const char *user, uid_t uid)
{
  _cleanup_free_ char *text = NULL;
  char num[16], buf[4096];
  const char *l;

  snprintf (num, sizeof num, "%u", (unsigned)uid);
  if (util_read_file_at (AT_FDCWD, host_path (r, file, buf, sizeof buf), &text, NULL, NULL) < 0)
    return false;
  for (l = text; l && *l; l = strchr (l, '\n'), l = l ? l + 1 : NULL)
    if ((user && strncmp (l, user, strlen (user)) == 0 && l[strlen (user)] == ':')
        || (strncmp (l, num, strlen (num)) == 0 && l[strlen (num)] == ':'))
      return true;
  return false;
}

static bool
in_path (const struct report *r, const char *tool)
{
  char path[4096];
  const char *dirs[] = { "/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin" };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (dirs); i++)
    {
      snprintf (path, sizeof path, "%s%s/%s", r->sysroot, dirs[i], tool);
      if (access (path, X_OK) == 0)
        return true;
    }
  return false;
}

/* The name of UID in this machine's /etc/passwd (the user running us is
   one of its users, whatever the sysroot), read as a file: the static
   cfsrun has no NSS modules to load, and subuid ranges are local files.  */
static const char *
user_name (uid_t uid, char *name, size_t size)
{
  _cleanup_free_ char *text = NULL;
  char *line, *next;

  if (util_read_file_at (AT_FDCWD, "/etc/passwd", &text, NULL, NULL) < 0)
    return NULL;
  for (line = text; *line; line = next)
    {
      char *pass, *id, *end;

      next = line + strcspn (line, "\n");
      if (*next)
        *next++ = '\0';
      /* name:password:uid:... */
      if ((pass = strchr (line, ':')) == NULL || (id = strchr (pass + 1, ':')) == NULL)
        continue;
      *pass = '\0';
      if (strtoul (id + 1, &end, 10) == uid && *end == ':' && end > id + 1 && strlen (line) < size)
        return strcpy (name, line);
    }
  return NULL;
}

static void
check_subids (struct report *r)
{
  char name[256];
  const char *user = user_name (geteuid (), name, sizeof name);
  bool subuid = has_subids (r, "/etc/subuid", user, geteuid ()),
       subgid = has_subids (r, "/etc/subgid", user, geteuid ());
  char who[64], fix[256];

  if (user)
    snprintf (who, sizeof who, "%s", user);
  else
    snprintf (who, sizeof who, "uid %u", (unsigned)geteuid ());
  if (user)
    snprintf (fix, sizeof fix, "usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s", user);
  else
    snprintf (fix, sizeof fix, "add the line `%u:100000:65536` to /etc/subuid and /etc/subgid",
              (unsigned)geteuid ());
  item (r, "subuid/subgid ranges", subuid && subgid, fix, "%s for %s",
        subuid && subgid ? "present"
        : subuid         ? "/etc/subgid has none"
        : subgid         ? "/etc/subuid has none"
                         : "missing from /etc/subuid and /etc/subgid",
        who);
}

static void
check_userns (struct report *r)
{
  long max = read_long (r, "/proc/sys/user/max_user_namespaces", 1),
       clone = read_long (r, "/proc/sys/kernel/unprivileged_userns_clone", 1);
  bool uidmap = in_path (r, "newuidmap"), gidmap = in_path (r, "newgidmap");

  item (r, "user namespaces", max > 0 && (clone != 0 || geteuid () == 0),
        "sysctl -w user.max_user_namespaces=15000 kernel.unprivileged_userns_clone=1",
        "max_user_namespaces=%ld, unprivileged_userns_clone=%ld", max, clone);
  check_subids (r);
  item (r, "newuidmap/newgidmap", uidmap && gidmap, "apt-get install uidmap", "%s",
        uidmap && gidmap ? "installed"
        : uidmap         ? "newgidmap is not installed"
        : gidmap         ? "newuidmap is not installed"
                         : "not installed");
}

static void
check_kernel (struct report *r)
{
  const struct scmp *lib = scmp_get (NULL, NULL);
  const struct scmp_version *v = lib ? lib->seccomp_version () : NULL;
  unsigned api = lib ? lib->seccomp_api_get () : 0;
  char v2_root[4096], avail[4096];
  bool v2 = access (host_path (r, "/sys/fs/cgroup/cgroup.controllers", v2_root, sizeof v2_root), F_OK) == 0;
  struct stat st;
  int pidfd;

  if (v == NULL)
    item (r, "seccomp", false, "apt-get install libseccomp2", "libseccomp.so.2 cannot be loaded");
  else
    item (r, "seccomp",
          access (host_path (r, "/proc/sys/kernel/seccomp/actions_avail", avail, sizeof avail), F_OK) == 0,
          "a kernel with CONFIG_SECCOMP", "libseccomp %u.%u.%u, API level %u", v->major, v->minor, v->micro,
          api);
  item (r, "seccomp notify", api >= 6, "libseccomp 2.5 or newer on kernel 5.5 or newer",
        "API level %u (6 or more is needed)", api);
  item (r, "openat2", syscall_exists (SYS_openat2), "Linux 5.6 or newer", "%s",
        syscall_exists (SYS_openat2) ? "present" : "missing: paths in the rootfs cannot be resolved safely");
  item (r, "new mount API", syscall_exists (SYS_open_tree) && syscall_exists (SYS_move_mount),
        "Linux 5.2 or newer", "open_tree/move_mount %s",
        syscall_exists (SYS_open_tree) ? "present" : "missing");
  item (r, "idmapped mounts", syscall_exists (SYS_mount_setattr), "Linux 5.12 or newer", "mount_setattr %s",
        syscall_exists (SYS_mount_setattr) ? "present (the filesystem must support it too)" : "missing");
  pidfd = (int)syscall (SYS_pidfd_open, getpid (), 0);
  item (r, "pidfd", pidfd >= 0, "Linux 5.3 or newer", "%s", pidfd >= 0 ? "present" : "missing");
  if (pidfd >= 0)
    close (pidfd);
  item (r, "clone3 into cgroup", syscall_exists (SYS_clone3) && v2,
        "a cgroup v2 host (the v1 and hybrid layouts have no cgroup fds)", "%s",
        v2 ? "possible" : "not on this cgroup layout");
  item (r, "cgroup.kill", v2, "a cgroup v2 host (Linux 5.14+)", "%s",
        v2 ? "on v2" : "v1 hierarchies: kill one by one");
  item (r, "time namespace", stat ("/proc/self/ns/time", &st) == 0, "Linux 5.6 or newer", "%s",
        stat ("/proc/self/ns/time", &st) == 0 ? "present" : "missing");
  item (r, "AppArmor", lsm_apparmor_enabled (), "boot with apparmor=1 security=apparmor", "%s",
        lsm_apparmor_enabled () ? "enabled" : "not enabled: apparmorProfile is refused");
  item (r, "SELinux", lsm_selinux_enabled (), "boot with SELinux enabled", "%s",
        lsm_selinux_enabled () ? "enabled" : "not enabled: selinuxLabel is refused, mountLabel ignored");
  item (r, "CRIU", false, "checkpoint/restore is not implemented by cfsrun", "%s",
        in_path (r, "criu") ? "criu is installed, but cfsrun has no checkpoint command" : "not used");
}

int
cfsrun_check (bool json, char **ret_text, struct cfs_error **err)
{
  const char *sysroot = getenv ("CFSRUN_CHECK_SYSROOT");
  struct report r = { .n = 0, .sysroot = sysroot ? sysroot : "" };
  struct cfs_check c = { .items = r.items };
  size_t i, len = 0, cap = 8192;
  char *text = NULL;
  int ret = 0;

  check_cgroups (&r);
  check_userns (&r);
  check_kernel (&r);
  c.items = r.items;
  c.items_len = r.n;
  if (json)
    {
      char *out = NULL;

      if (oci_encode (&cfs_check_type, &c, true, &out, NULL) < 0)
        ret = cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "check");
      text = out;
    }
  else if ((text = malloc (cap)) != NULL)
    {
      text[0] = '\0';
      for (i = 0; i < r.n && len < cap; i++)
        len += (size_t)snprintf (text + len, cap - len, "%-22s %-4s %s%s%s\n", r.items[i].name,
                                 r.items[i].ok ? "ok" : "no", r.items[i].detail ? r.items[i].detail : "",
                                 r.items[i].fix ? "\n                            fix: " : "",
                                 r.items[i].fix ? r.items[i].fix : "");
    }
  for (i = 0; i < r.n; i++)
    oci_done (&cfs_check_item_type, &r.items[i]);
  if (ret == 0 && text == NULL)
    ret = cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "check");
  *ret_text = text;
  return ret;
}
