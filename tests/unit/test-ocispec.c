/* Unit tests for libocispec: decoding every kind of field, the error path
   of each failure, and decode → encode → decode round trips.  */
#include <stdlib.h>
#include <string.h>

#include "oci-spec.h"
#include "tap.h"

static struct oci_spec *
parse (const char *json, struct oci_parse_error *e)
{
  return oci_spec_parse (json, strlen (json), e);
}

/* Decoding must fail with PATH and a reason containing REASON. */
static void
expect_error (const char *json, const char *path, const char *reason)
{
  struct oci_parse_error e = { 0 };
  struct oci_spec *s = parse (json, &e);

  ok (s == NULL, "rejects %s", path);
  is_str (e.path, path, "error names the path %s", path);
  ok (e.reason && strstr (e.reason, reason), "reason for %s contains `%s` (got `%s`)", path, reason,
      e.reason ? e.reason : "(null)");
  oci_spec_free (s);
  oci_parse_error_done (&e);
}

static const char full[]
    = "{\"ociVersion\":\"1.2.0\",\"hostname\":\"h\",\"domainname\":\"d\","
      "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
      "\"process\":{\"terminal\":false,\"consoleSize\":{\"height\":24,\"width\":80},"
      "\"user\":{\"uid\":1000,\"gid\":1001,\"umask\":18,\"additionalGids\":[5,6]},"
      "\"args\":[\"sh\",\"-c\",\"true\"],\"env\":[\"A=1\"],\"cwd\":\"/\","
      "\"capabilities\":{\"bounding\":[\"CAP_KILL\"],\"ambient\":[]},"
      "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":18446744073709551615,\"soft\":1024}],"
      "\"noNewPrivileges\":true,\"oomScoreAdj\":-17,\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"nice\":-5},"
      "\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":4}},"
      "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
      "{\"destination\":\"/data\",\"source\":\"/srv\",\"options\":[\"rbind\",\"ro\"],"
      "\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]}],"
      "\"hooks\":{\"prestart\":[{\"path\":\"/bin/true\",\"timeout\":5}],\"poststop\":[{\"path\":\"/bin/"
      "x\",\"args\":[\"x\"]}]},"
      "\"annotations\":{\"a\":\"1\",\"b\":\"2\"},"
      "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/proc/1/ns/net\"}],"
      "\"timeOffsets\":{\"monotonic\":{\"secs\":-10,\"nanosecs\":5}},"
      "\"devices\":[{\"type\":\"c\",\"path\":\"/dev/fuse\",\"major\":10,\"minor\":229,\"fileMode\":438}],"
      "\"resources\":{\"memory\":{\"limit\":-1,\"swappiness\":60},\"cpu\":{\"shares\":1024,\"quota\":-1,"
      "\"cpus\":\"0-1\"},"
      "\"pids\":{\"limit\":42},\"unified\":{\"memory.high\":\"max\"},\"rdma\":{\"mlx\":{\"hcaHandles\":3}},"
      "\"blockIO\":{\"weight\":500,\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1048576}]},"
      "\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
      "\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},"
      "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":"
      "\"SCMP_ACT_ERRNO\","
      "\"errnoRet\":1,\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]},"
      "\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"],\"cgroupsPath\":\"/x\","
      "\"personality\":{\"domain\":\"LINUX32\"},\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\"0\"}},"
      "\"unknownTopLevel\":{\"ignored\":[1,2,3]}}";

static void
test_full_config (void)
{
  struct oci_parse_error e = { 0 };
  struct oci_spec *s = parse (full, &e);
  struct oci_linux *lx;

  ok (s != NULL, "full config decodes (%s: %s)", e.path ? e.path : "", e.reason ? e.reason : "");
  if (s == NULL)
    return;
  lx = s->linux;
  is_str (s->oci_version, "1.2.0", "ociVersion");
  ok (s->root->readonly && s->root->has_readonly, "root.readonly");
  ok (s->process->args_len == 3 && s->process->args[3] == NULL, "args are counted and NULL-terminated");
  ok (s->process->user->uid == 1000 && s->process->user->gid == 1001, "user uid/gid");
  ok (s->process->user->additional_gids_len == 2 && s->process->user->additional_gids[1] == 6,
      "additionalGids");
  ok (s->process->rlimits[0].hard == UINT64_MAX, "uint64 above INT64_MAX");
  ok (s->process->oom_score_adj == -17 && s->process->has_oom_score_adj, "negative int32");
  ok (!s->process->terminal && s->process->has_terminal, "false boolean is present");
  ok (s->process->capabilities->ambient != NULL && s->process->capabilities->ambient_len == 0,
      "empty array is present");
  ok (s->process->capabilities->effective == NULL, "absent array is NULL");
  ok (s->mounts_len == 2 && s->mounts[1].uid_mappings[0].host_id == 100000, "mount idmap");
  ok (s->hooks->prestart[0].timeout == 5 && s->hooks->poststop[0].args_len == 1, "hooks");
  ok (s->annotations_len == 2 && strcmp (s->annotations_keys[1], "b") == 0
          && strcmp (s->annotations[1], "2") == 0,
      "annotations map");
  ok (lx->namespaces_len == 2 && strcmp (lx->namespaces[1].path, "/proc/1/ns/net") == 0, "namespaces");
  ok (lx->time_offsets_len == 1 && lx->time_offsets[0].secs == -10, "map of objects (timeOffsets)");
  ok (lx->resources->memory->limit == -1 && lx->resources->pids->limit == 42, "resources");
  ok (lx->resources->block_io->weight == 500, "uint16");
  ok (lx->resources->rdma_len == 1 && lx->resources->rdma[0].hca_handles == 3, "rdma");
  ok (lx->seccomp->syscalls[0].errno_ret == 1 && lx->seccomp->syscalls[0].args[0].value == 1, "seccomp");
  ok (strcmp (lx->memory_policy->mode, "MPOL_BIND") == 0, "memoryPolicy");
  oci_spec_free (s);
}

static void
test_round_trip (void)
{
  struct oci_spec *a = parse (full, NULL), *b;
  char *j1 = NULL, *j2 = NULL;

  ok (a && oci_encode (&oci_spec_type, a, false, &j1, NULL) == 0, "encode");
  b = j1 ? parse (j1, NULL) : NULL;
  ok (b != NULL, "encoded text decodes again");
  ok (b && oci_encode (&oci_spec_type, b, false, &j2, NULL) == 0 && strcmp (j1, j2) == 0,
      "decode(encode(x)) encodes the same");
  ok (j1 && strstr (j1, "\"hard\":18446744073709551615"), "uint64 survives");
  ok (j1 && strstr (j1, "\"ambient\":[]"), "empty array survives");
  ok (j1 && strstr (j1, "unknownTopLevel") == NULL, "unknown fields are dropped");
  free (j1);
  free (j2);
  oci_spec_free (a);
  oci_spec_free (b);
}

static void
test_errors (void)
{
  expect_error ("{\"ociVersion\":\"1.0.0\",\"process\":{\"cwd\":\"/\",\"args\":[\"sh\",1]}}",
                "process.args[1]", "expected string, got number");
  expect_error ("{}", "ociVersion", "required field is missing");
  expect_error ("{\"ociVersion\":3}", "ociVersion", "expected string, got number");
  expect_error ("{\"ociVersion\":\"1\",\"process\":{\"args\":[]}}", "process.cwd", "required");
  expect_error ("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"user\":{\"uid\":-1}}}",
                "process.user.uid", "negative");
  expect_error ("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"user\":{\"uid\":4294967296}}}",
                "process.user.uid", "out of range for uint32");
  expect_error ("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"oomScoreAdj\":1.5}}",
                "process.oomScoreAdj", "non-integer");
  expect_error ("{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\",\"readonly\":\"yes\"}}", "root.readonly",
                "expected boolean, got string");
  expect_error ("{\"ociVersion\":\"1\",\"mounts\":{}}", "mounts", "expected array, got object");
  expect_error ("{\"ociVersion\":\"1\",\"mounts\":[{\"type\":\"proc\"}]}", "mounts[0].destination",
                "required");
  expect_error ("{\"ociVersion\":\"1\",\"annotations\":{\"a\":1}}", "annotations.a", "expected string");
  expect_error ("{\"ociVersion\":\"1\",\"linux\":{\"resources\":{\"blockIO\":{\"weight\":70000}}}}",
                "linux.resources.blockIO.weight", "out of range for uint16");
  expect_error ("{\"ociVersion\":\"1\",\"linux\":{\"timeOffsets\":{\"boottime\":{\"secs\":\"x\"}}}}",
                "linux.timeOffsets.boottime.secs", "expected int64");
  expect_error ("{\"ociVersion\":\"1\",", "(document)", "invalid JSON");
  expect_error ("[1,2]", "(document)", "expected object, got array");
  expect_error (
      "{\"ociVersion\":\"1\",\"linux\":{\"resources\":{\"memory\":{\"limit\":9223372036854775808}}}}",
      "linux.resources.memory.limit", "out of range for int64");
}

static void
test_null_and_duplicates (void)
{
  struct oci_spec *s
      = parse ("{\"ociVersion\":\"1\",\"hostname\":null,\"domainname\":\"a\",\"domainname\":\"b\"}", NULL);

  ok (s && s->hostname == NULL, "null is treated as absent");
  ok (s && strcmp (s->domainname, "b") == 0, "the last duplicate key wins");
  oci_spec_free (s);

  /* Repeated containers replace what the first built (valgrind checks that
     nothing of it leaks), and a null after a value makes it absent.  */
  s = parse ("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/a\",\"args\":[\"x\",\"y\"]},"
             "\"process\":{\"cwd\":\"/b\",\"args\":[\"z\"]},\"annotations\":{\"k\":\"1\"},"
             "\"annotations\":{\"k\":\"2\",\"k2\":\"3\"},\"hostname\":\"h\",\"hostname\":null,"
             "\"mounts\":[{\"destination\":\"/m\"}],\"mounts\":[]}",
             NULL);
  ok (s && s->process && strcmp (s->process->cwd, "/b") == 0 && s->process->args_len == 1
          && strcmp (s->process->args[0], "z") == 0 && s->process->args[1] == NULL,
      "a repeated object replaces the first, arrays included");
  ok (s && s->annotations_len == 2 && strcmp (s->annotations[0], "2") == 0,
      "a repeated map replaces the first");
  ok (s && s->hostname == NULL, "null after a value makes the member absent");
  ok (s && s->mounts != NULL && s->mounts_len == 0, "a repeated array may be empty, and stays allocated");
  oci_spec_free (s);
}

static void
test_streaming (void)
{
  struct oci_spec *s;
  char json[4096];
  size_t i, n;

  /* Unknown members of any shape and depth are skipped, with comments. */
  s = parse ("/* c */ {\"x\":[[{\"a\":[{\"b\":{}}]}],null,{\"y\":[1,\"s\",true]}],\"ociVersion\":\"1\","
             "\"root\":{\"z\":{\"path\":7},\"path\":\"r\"} // end\n}",
             NULL);
  ok (s && strcmp (s->oci_version, "1") == 0 && s->root && strcmp (s->root->path, "r") == 0,
      "nested unknown members are skipped");
  oci_spec_free (s);

  /* Arrays and maps grow past their first allocation. */
  n = (size_t)snprintf (json, sizeof json, "{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"args\":[");
  for (i = 0; i < 100; i++)
    n += (size_t)snprintf (json + n, sizeof json - n, "%s\"a%zu\"", i ? "," : "", i);
  n += (size_t)snprintf (json + n, sizeof json - n, "]},\"annotations\":{");
  for (i = 0; i < 50; i++)
    n += (size_t)snprintf (json + n, sizeof json - n, "%s\"k%zu\":\"v%zu\"", i ? "," : "", i, i);
  snprintf (json + n, sizeof json - n, "}}");
  s = parse (json, NULL);
  ok (s && s->process && s->process->args_len == 100 && strcmp (s->process->args[99], "a99") == 0
          && s->process->args[100] == NULL,
      "a 100-element string array, NULL-terminated");
  ok (s && s->annotations_len == 50 && strcmp (s->annotations_keys[49], "k49") == 0
          && strcmp (s->annotations[49], "v49") == 0,
      "a 50-key map");
  oci_spec_free (s);

  expect_error ("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"args\":[\"a\",null]}}", "process.args[1]",
                "expected string, got null");
  expect_error ("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\"}} x", "(document)", "invalid JSON");
  expect_error ("", "(document)", "invalid JSON");
}

static void
test_state (void)
{
  struct oci_state st = {
    .oci_version = "1.2.0", .id = "c1", .status = "running", .pid = 42, .has_pid = true, .bundle = "/b"
  };
  char *json = NULL;
  void *back = NULL;

  ok (oci_encode (&oci_state_type, &st, false, &json, NULL) == 0, "encode state");
  is_str (json,
          "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"running\",\"pid\":42,\"bundle\":\"/b\"}",
          "state JSON");
  ok (json && oci_decode (&oci_state_type, json, strlen (json), &back, NULL) == 0
          && ((struct oci_state *)back)->pid == 42,
      "state decodes");
  oci_state_free (back);
  free (json);
}

int
main (void)
{
  test_full_config ();
  test_round_trip ();
  test_errors ();
  test_null_and_duplicates ();
  test_streaming ();
  test_state ();
  return tap_done ();
}
