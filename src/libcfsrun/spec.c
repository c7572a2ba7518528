/* `cfsrun spec`: the default config.json, the same container `runc spec`
   describes (sh on a terminal, the usual mounts, masked /proc paths).  */
#include "cfsrun.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "oci-spec.h"
#include "util.h"

static const char default_spec[]
    = "{"
      "\"ociVersion\": \"" OCI_VERSION "\","
      "\"process\": {\"terminal\": true, \"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"sh\"],"
      " \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"TERM=xterm\"],"
      " \"cwd\": \"/\","
      " \"capabilities\": {"
      "  \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
      "  \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
      "  \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]},"
      " \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],"
      " \"noNewPrivileges\": true},"
      "\"root\": {\"path\": \"rootfs\", \"readonly\": true},"
      "\"hostname\": \"cfsrun\","
      "\"mounts\": ["
      " {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
      " {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
      "  \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},"
      " {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\","
      "  \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\", "
      "\"gid=5\"]},"
      " {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\","
      "  \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},"
      " {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\","
      "  \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},"
      " {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\","
      "  \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},"
      " {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\","
      "  \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}],"
      "\"linux\": {"
      " \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},"
      " \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"}, {\"type\": "
      "\"uts\"},"
      "  {\"type\": \"mount\"}, {\"type\": \"cgroup\"}],"
      " \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\", "
      "\"/proc/latency_stats\","
      "  \"/proc/timer_list\", \"/proc/timer_stats\", \"/proc/sched_debug\", \"/sys/firmware\", "
      "\"/proc/scsi\"],"
      " \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", "
      "\"/proc/sysrq-trigger\"]}"
      "}";

/* Rootless: map the caller to root, add a user namespace, and bind /sys
   (a sysfs mount needs a network namespace the user owns).  */
static const char rootless_linux[]
    = "{"
      "\"uidMappings\": [{\"containerID\": 0, \"hostID\": %u, \"size\": 1}],"
      "\"gidMappings\": [{\"containerID\": 0, \"hostID\": %u, \"size\": 1}],"
      "\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"}, {\"type\": \"mount\"},"
      " {\"type\": \"cgroup\"}, {\"type\": \"user\"}],"
      "\"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\", "
      "\"/proc/latency_stats\","
      " \"/proc/timer_list\", \"/proc/timer_stats\", \"/proc/sched_debug\", \"/sys/firmware\", "
      "\"/proc/scsi\"],"
      "\"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", "
      "\"/proc/sysrq-trigger\"]"
      "}";

static int
make_rootless (struct oci_spec *s, struct cfs_error **err)
{
  char text[sizeof rootless_linux + 32];
  struct oci_parse_error perr = { 0 };
  void *lx = NULL;
  size_t i;

  snprintf (text, sizeof text, rootless_linux, (unsigned)geteuid (), (unsigned)getegid ());
  if (oci_decode (&oci_linux_type, text, strlen (text), &lx, &perr) < 0)
    {
      oci_parse_error_done (&perr);
      return cfs_fail (err, CFS_E_INTERNAL, 0, NULL, "built-in rootless spec does not parse");
    }
  oci_free (&oci_linux_type, s->linux);
  s->linux = lx;
  /* No cgroup limits to ask for, no gid 5 (tty) to own /dev/pts. */
  oci_free (&oci_resources_type, s->linux->resources);
  s->linux->resources = NULL;
  for (i = 0; i < s->mounts_len; i++)
    {
      struct oci_mount *m = &s->mounts[i];
      size_t j, k;

      for (j = k = 0; j < m->options_len; j++)
        if (strcmp (m->options[j], "gid=5") == 0)
          free (m->options[j]);
        else
          m->options[k++] = m->options[j];
      m->options_len = k;
      if (m->options)
        m->options[k] = NULL;

      if (strcmp (m->destination, "/sys") == 0)
        {
          /* rbind in front of the sysfs options: nosuid and the rest stay. */
          char **o = realloc (m->options, (m->options_len + 2) * sizeof *o);

          if (o == NULL)
            return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "spec");
          m->options = o;
          memmove (o + 1, o, (m->options_len + 1) * sizeof *o);
          m->options_len++;
          free (m->type);
          free (m->source);
          m->type = strdup ("none");
          m->source = strdup ("/sys");
          o[0] = strdup ("rbind");
          if (m->type == NULL || m->source == NULL || o[0] == NULL)
            return cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "spec");
        }
    }
  return 0;
}

int
cfsrun_spec_default (bool rootless, char **ret_json, struct cfs_error **err)
{
  struct oci_parse_error perr = { 0 };
  struct oci_spec *s = oci_spec_parse (default_spec, sizeof default_spec - 1, &perr);
  int r = 0;

  if (s == NULL)
    {
      r = cfs_fail (err, CFS_E_INTERNAL, 0, perr.path, "built-in spec: %s: %s", perr.path, perr.reason);
      oci_parse_error_done (&perr);
      return r;
    }
  if (rootless)
    r = make_rootless (s, err);
  if (r == 0 && oci_encode (&oci_spec_type, s, true, ret_json, NULL) < 0)
    r = cfs_fail (err, CFS_E_SYSTEM, ENOMEM, NULL, "encode spec");
  oci_spec_free (s);
  return r;
}
