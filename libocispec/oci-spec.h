/* The OCI runtime-spec model (config.md, config-linux.md, runtime.md state,
   features.md), declared once per type.  Each OCI_TYPE_<name>(F, S) lists
   F(S, kind, c_name, "jsonName", element_type, flags); codec.h expands it into
   `struct <name>` and its field table.  Scalars get a has_<name> flag, arrays
   and maps a <name>_len, maps also <name>_keys. */
#ifndef OCI_SPEC_H
#define OCI_SPEC_H

#include "codec.h"

#define OCI_VERSION "1.2.0"

/* ---- config.md ---- */
#define OCI_TYPE_oci_root(F, S)                                                                              \
  F (S, STR, path, "path", _, OCI_REQ)                                                                       \
  F (S, BOOL, readonly, "readonly", _, OCI_OPT)

#define OCI_TYPE_oci_id_mapping(F, S)                                                                        \
  F (S, U32, container_id, "containerID", _, OCI_REQ)                                                        \
  F (S, U32, host_id, "hostID", _, OCI_REQ)                                                                  \
  F (S, U32, size, "size", _, OCI_REQ)

#define OCI_TYPE_oci_mount(F, S)                                                                             \
  F (S, STR, destination, "destination", _, OCI_REQ)                                                         \
  F (S, STR, source, "source", _, OCI_OPT)                                                                   \
  F (S, ARR_STR, options, "options", _, OCI_OPT)                                                             \
  F (S, STR, type, "type", _, OCI_OPT)                                                                       \
  F (S, ARR_OBJ, uid_mappings, "uidMappings", oci_id_mapping, OCI_OPT)                                       \
  F (S, ARR_OBJ, gid_mappings, "gidMappings", oci_id_mapping, OCI_OPT)

#define OCI_TYPE_oci_box(F, S)                                                                               \
  F (S, U32, height, "height", _, OCI_REQ)                                                                   \
  F (S, U32, width, "width", _, OCI_REQ)

#define OCI_TYPE_oci_user(F, S)                                                                              \
  F (S, U32, uid, "uid", _, OCI_OPT)                                                                         \
  F (S, U32, gid, "gid", _, OCI_OPT)                                                                         \
  F (S, U32, umask, "umask", _, OCI_OPT)                                                                     \
  F (S, ARR_U32, additional_gids, "additionalGids", _, OCI_OPT)                                              \
  F (S, STR, username, "username", _, OCI_OPT)

#define OCI_TYPE_oci_capabilities(F, S)                                                                      \
  F (S, ARR_STR, bounding, "bounding", _, OCI_OPT)                                                           \
  F (S, ARR_STR, effective, "effective", _, OCI_OPT)                                                         \
  F (S, ARR_STR, inheritable, "inheritable", _, OCI_OPT)                                                     \
  F (S, ARR_STR, permitted, "permitted", _, OCI_OPT)                                                         \
  F (S, ARR_STR, ambient, "ambient", _, OCI_OPT)

#define OCI_TYPE_oci_rlimit(F, S)                                                                            \
  F (S, STR, type, "type", _, OCI_REQ)                                                                       \
  F (S, U64, hard, "hard", _, OCI_REQ)                                                                       \
  F (S, U64, soft, "soft", _, OCI_REQ)

#define OCI_TYPE_oci_scheduler(F, S)                                                                         \
  F (S, STR, policy, "policy", _, OCI_REQ)                                                                   \
  F (S, I32, nice, "nice", _, OCI_OPT)                                                                       \
  F (S, I32, priority, "priority", _, OCI_OPT)                                                               \
  F (S, ARR_STR, flags, "flags", _, OCI_OPT)                                                                 \
  F (S, U64, runtime, "runtime", _, OCI_OPT)                                                                 \
  F (S, U64, deadline, "deadline", _, OCI_OPT)                                                               \
  F (S, U64, period, "period", _, OCI_OPT)

#define OCI_TYPE_oci_io_priority(F, S)                                                                       \
  F (S, STR, class, "class", _, OCI_REQ)                                                                     \
  F (S, I32, priority, "priority", _, OCI_OPT)

#define OCI_TYPE_oci_cpu_affinity(F, S)                                                                      \
  F (S, STR, initial, "initial", _, OCI_OPT)                                                                 \
  F (S, STR, final, "final", _, OCI_OPT)

#define OCI_TYPE_oci_process(F, S)                                                                           \
  F (S, BOOL, terminal, "terminal", _, OCI_OPT)                                                              \
  F (S, OBJ, console_size, "consoleSize", oci_box, OCI_OPT)                                                  \
  F (S, OBJ, user, "user", oci_user, OCI_OPT)                                                                \
  F (S, ARR_STR, args, "args", _, OCI_OPT)                                                                   \
  F (S, STR, command_line, "commandLine", _, OCI_OPT)                                                        \
  F (S, ARR_STR, env, "env", _, OCI_OPT)                                                                     \
  F (S, STR, cwd, "cwd", _, OCI_REQ)                                                                         \
  F (S, OBJ, capabilities, "capabilities", oci_capabilities, OCI_OPT)                                        \
  F (S, ARR_OBJ, rlimits, "rlimits", oci_rlimit, OCI_OPT)                                                    \
  F (S, BOOL, no_new_privileges, "noNewPrivileges", _, OCI_OPT)                                              \
  F (S, STR, apparmor_profile, "apparmorProfile", _, OCI_OPT)                                                \
  F (S, I32, oom_score_adj, "oomScoreAdj", _, OCI_OPT)                                                       \
  F (S, OBJ, scheduler, "scheduler", oci_scheduler, OCI_OPT)                                                 \
  F (S, STR, selinux_label, "selinuxLabel", _, OCI_OPT)                                                      \
  F (S, OBJ, io_priority, "ioPriority", oci_io_priority, OCI_OPT)                                            \
  F (S, OBJ, exec_cpu_affinity, "execCPUAffinity", oci_cpu_affinity, OCI_OPT)

#define OCI_TYPE_oci_hook(F, S)                                                                              \
  F (S, STR, path, "path", _, OCI_REQ)                                                                       \
  F (S, ARR_STR, args, "args", _, OCI_OPT)                                                                   \
  F (S, ARR_STR, env, "env", _, OCI_OPT)                                                                     \
  F (S, I32, timeout, "timeout", _, OCI_OPT)

#define OCI_TYPE_oci_hooks(F, S)                                                                             \
  F (S, ARR_OBJ, prestart, "prestart", oci_hook, OCI_OPT)                                                    \
  F (S, ARR_OBJ, create_runtime, "createRuntime", oci_hook, OCI_OPT)                                         \
  F (S, ARR_OBJ, create_container, "createContainer", oci_hook, OCI_OPT)                                     \
  F (S, ARR_OBJ, start_container, "startContainer", oci_hook, OCI_OPT)                                       \
  F (S, ARR_OBJ, poststart, "poststart", oci_hook, OCI_OPT)                                                  \
  F (S, ARR_OBJ, poststop, "poststop", oci_hook, OCI_OPT)

/* ---- config-linux.md ---- */
#define OCI_TYPE_oci_namespace(F, S)                                                                         \
  F (S, STR, type, "type", _, OCI_REQ)                                                                       \
  F (S, STR, path, "path", _, OCI_OPT)

#define OCI_TYPE_oci_time_offset(F, S)                                                                       \
  F (S, I64, secs, "secs", _, OCI_OPT)                                                                       \
  F (S, U32, nanosecs, "nanosecs", _, OCI_OPT)

#define OCI_TYPE_oci_device(F, S)                                                                            \
  F (S, STR, type, "type", _, OCI_REQ)                                                                       \
  F (S, STR, path, "path", _, OCI_REQ)                                                                       \
  F (S, I64, major, "major", _, OCI_OPT)                                                                     \
  F (S, I64, minor, "minor", _, OCI_OPT)                                                                     \
  F (S, U32, file_mode, "fileMode", _, OCI_OPT)                                                              \
  F (S, U32, uid, "uid", _, OCI_OPT)                                                                         \
  F (S, U32, gid, "gid", _, OCI_OPT)

#define OCI_TYPE_oci_net_device(F, S) F (S, STR, name, "name", _, OCI_OPT)

#define OCI_TYPE_oci_device_cgroup(F, S)                                                                     \
  F (S, BOOL, allow, "allow", _, OCI_REQ)                                                                    \
  F (S, STR, type, "type", _, OCI_OPT)                                                                       \
  F (S, I64, major, "major", _, OCI_OPT)                                                                     \
  F (S, I64, minor, "minor", _, OCI_OPT)                                                                     \
  F (S, STR, access, "access", _, OCI_OPT)

#define OCI_TYPE_oci_memory(F, S)                                                                            \
  F (S, I64, limit, "limit", _, OCI_OPT)                                                                     \
  F (S, I64, reservation, "reservation", _, OCI_OPT)                                                         \
  F (S, I64, swap, "swap", _, OCI_OPT)                                                                       \
  F (S, I64, kernel, "kernel", _, OCI_OPT)                                                                   \
  F (S, I64, kernel_tcp, "kernelTCP", _, OCI_OPT)                                                            \
  F (S, U64, swappiness, "swappiness", _, OCI_OPT)                                                           \
  F (S, BOOL, disable_oom_killer, "disableOOMKiller", _, OCI_OPT)                                            \
  F (S, BOOL, use_hierarchy, "useHierarchy", _, OCI_OPT)                                                     \
  F (S, BOOL, check_before_update, "checkBeforeUpdate", _, OCI_OPT)

#define OCI_TYPE_oci_cpu(F, S)                                                                               \
  F (S, U64, shares, "shares", _, OCI_OPT)                                                                   \
  F (S, I64, quota, "quota", _, OCI_OPT)                                                                     \
  F (S, U64, burst, "burst", _, OCI_OPT)                                                                     \
  F (S, U64, period, "period", _, OCI_OPT)                                                                   \
  F (S, I64, realtime_runtime, "realtimeRuntime", _, OCI_OPT)                                                \
  F (S, U64, realtime_period, "realtimePeriod", _, OCI_OPT)                                                  \
  F (S, STR, cpus, "cpus", _, OCI_OPT)                                                                       \
  F (S, STR, mems, "mems", _, OCI_OPT)                                                                       \
  F (S, I64, idle, "idle", _, OCI_OPT)

#define OCI_TYPE_oci_pids(F, S) F (S, I64, limit, "limit", _, OCI_OPT)

#define OCI_TYPE_oci_weight_device(F, S)                                                                     \
  F (S, I64, major, "major", _, OCI_REQ)                                                                     \
  F (S, I64, minor, "minor", _, OCI_REQ)                                                                     \
  F (S, U16, weight, "weight", _, OCI_OPT)                                                                   \
  F (S, U16, leaf_weight, "leafWeight", _, OCI_OPT)

#define OCI_TYPE_oci_throttle_device(F, S)                                                                   \
  F (S, I64, major, "major", _, OCI_REQ)                                                                     \
  F (S, I64, minor, "minor", _, OCI_REQ)                                                                     \
  F (S, U64, rate, "rate", _, OCI_REQ)

#define OCI_TYPE_oci_block_io(F, S)                                                                          \
  F (S, U16, weight, "weight", _, OCI_OPT)                                                                   \
  F (S, U16, leaf_weight, "leafWeight", _, OCI_OPT)                                                          \
  F (S, ARR_OBJ, weight_device, "weightDevice", oci_weight_device, OCI_OPT)                                  \
  F (S, ARR_OBJ, throttle_read_bps_device, "throttleReadBpsDevice", oci_throttle_device, OCI_OPT)            \
  F (S, ARR_OBJ, throttle_write_bps_device, "throttleWriteBpsDevice", oci_throttle_device, OCI_OPT)          \
  F (S, ARR_OBJ, throttle_read_iops_device, "throttleReadIOPSDevice", oci_throttle_device, OCI_OPT)          \
  F (S, ARR_OBJ, throttle_write_iops_device, "throttleWriteIOPSDevice", oci_throttle_device, OCI_OPT)

#define OCI_TYPE_oci_hugepage_limit(F, S)                                                                    \
  F (S, STR, page_size, "pageSize", _, OCI_REQ)                                                              \
  F (S, U64, limit, "limit", _, OCI_REQ)

#define OCI_TYPE_oci_net_priority(F, S)                                                                      \
  F (S, STR, name, "name", _, OCI_REQ)                                                                       \
  F (S, U32, priority, "priority", _, OCI_REQ)

#define OCI_TYPE_oci_network(F, S)                                                                           \
  F (S, U32, class_id, "classID", _, OCI_OPT)                                                                \
  F (S, ARR_OBJ, priorities, "priorities", oci_net_priority, OCI_OPT)

#define OCI_TYPE_oci_rdma(F, S)                                                                              \
  F (S, U32, hca_handles, "hcaHandles", _, OCI_OPT)                                                          \
  F (S, U32, hca_objects, "hcaObjects", _, OCI_OPT)

#define OCI_TYPE_oci_resources(F, S)                                                                         \
  F (S, ARR_OBJ, devices, "devices", oci_device_cgroup, OCI_OPT)                                             \
  F (S, OBJ, memory, "memory", oci_memory, OCI_OPT)                                                          \
  F (S, OBJ, cpu, "cpu", oci_cpu, OCI_OPT)                                                                   \
  F (S, OBJ, pids, "pids", oci_pids, OCI_OPT)                                                                \
  F (S, OBJ, block_io, "blockIO", oci_block_io, OCI_OPT)                                                     \
  F (S, ARR_OBJ, hugepage_limits, "hugepageLimits", oci_hugepage_limit, OCI_OPT)                             \
  F (S, OBJ, network, "network", oci_network, OCI_OPT)                                                       \
  F (S, MAP_OBJ, rdma, "rdma", oci_rdma, OCI_OPT)                                                            \
  F (S, MAP_STR, unified, "unified", _, OCI_OPT)

#define OCI_TYPE_oci_intel_rdt(F, S)                                                                         \
  F (S, STR, clos_id, "closID", _, OCI_OPT)                                                                  \
  F (S, STR, l3_cache_schema, "l3CacheSchema", _, OCI_OPT)                                                   \
  F (S, STR, mem_bw_schema, "memBwSchema", _, OCI_OPT)                                                       \
  F (S, ARR_STR, schemata, "schemata", _, OCI_OPT)                                                           \
  F (S, BOOL, enable_cmt, "enableCMT", _, OCI_OPT)                                                           \
  F (S, BOOL, enable_mbm, "enableMBM", _, OCI_OPT)

#define OCI_TYPE_oci_seccomp_arg(F, S)                                                                       \
  F (S, U32, index, "index", _, OCI_REQ)                                                                     \
  F (S, U64, value, "value", _, OCI_REQ)                                                                     \
  F (S, U64, value_two, "valueTwo", _, OCI_OPT)                                                              \
  F (S, STR, op, "op", _, OCI_REQ)

#define OCI_TYPE_oci_syscall(F, S)                                                                           \
  F (S, ARR_STR, names, "names", _, OCI_REQ)                                                                 \
  F (S, STR, action, "action", _, OCI_REQ)                                                                   \
  F (S, U32, errno_ret, "errnoRet", _, OCI_OPT)                                                              \
  F (S, ARR_OBJ, args, "args", oci_seccomp_arg, OCI_OPT)

#define OCI_TYPE_oci_seccomp(F, S)                                                                           \
  F (S, STR, default_action, "defaultAction", _, OCI_REQ)                                                    \
  F (S, U32, default_errno_ret, "defaultErrnoRet", _, OCI_OPT)                                               \
  F (S, ARR_STR, architectures, "architectures", _, OCI_OPT)                                                 \
  F (S, ARR_STR, flags, "flags", _, OCI_OPT)                                                                 \
  F (S, STR, listener_path, "listenerPath", _, OCI_OPT)                                                      \
  F (S, STR, listener_metadata, "listenerMetadata", _, OCI_OPT)                                              \
  F (S, ARR_OBJ, syscalls, "syscalls", oci_syscall, OCI_OPT)

#define OCI_TYPE_oci_personality(F, S)                                                                       \
  F (S, STR, domain, "domain", _, OCI_REQ)                                                                   \
  F (S, ARR_STR, flags, "flags", _, OCI_OPT)

#define OCI_TYPE_oci_memory_policy(F, S)                                                                     \
  F (S, STR, mode, "mode", _, OCI_REQ)                                                                       \
  F (S, STR, nodes, "nodes", _, OCI_OPT)                                                                     \
  F (S, ARR_STR, flags, "flags", _, OCI_OPT)

#define OCI_TYPE_oci_linux(F, S)                                                                             \
  F (S, ARR_OBJ, namespaces, "namespaces", oci_namespace, OCI_OPT)                                           \
  F (S, ARR_OBJ, uid_mappings, "uidMappings", oci_id_mapping, OCI_OPT)                                       \
  F (S, ARR_OBJ, gid_mappings, "gidMappings", oci_id_mapping, OCI_OPT)                                       \
  F (S, MAP_OBJ, time_offsets, "timeOffsets", oci_time_offset, OCI_OPT)                                      \
  F (S, ARR_OBJ, devices, "devices", oci_device, OCI_OPT)                                                    \
  F (S, MAP_OBJ, net_devices, "netDevices", oci_net_device, OCI_OPT)                                         \
  F (S, STR, cgroups_path, "cgroupsPath", _, OCI_OPT)                                                        \
  F (S, STR, rootfs_propagation, "rootfsPropagation", _, OCI_OPT)                                            \
  F (S, OBJ, resources, "resources", oci_resources, OCI_OPT)                                                 \
  F (S, OBJ, intel_rdt, "intelRdt", oci_intel_rdt, OCI_OPT)                                                  \
  F (S, MAP_STR, sysctl, "sysctl", _, OCI_OPT)                                                               \
  F (S, OBJ, seccomp, "seccomp", oci_seccomp, OCI_OPT)                                                       \
  F (S, ARR_STR, masked_paths, "maskedPaths", _, OCI_OPT)                                                    \
  F (S, ARR_STR, readonly_paths, "readonlyPaths", _, OCI_OPT)                                                \
  F (S, STR, mount_label, "mountLabel", _, OCI_OPT)                                                          \
  F (S, OBJ, personality, "personality", oci_personality, OCI_OPT)                                           \
  F (S, OBJ, memory_policy, "memoryPolicy", oci_memory_policy, OCI_OPT)

#define OCI_TYPE_oci_spec(F, S)                                                                              \
  F (S, STR, oci_version, "ociVersion", _, OCI_REQ)                                                          \
  F (S, OBJ, root, "root", oci_root, OCI_OPT)                                                                \
  F (S, ARR_OBJ, mounts, "mounts", oci_mount, OCI_OPT)                                                       \
  F (S, OBJ, process, "process", oci_process, OCI_OPT)                                                       \
  F (S, STR, hostname, "hostname", _, OCI_OPT)                                                               \
  F (S, STR, domainname, "domainname", _, OCI_OPT)                                                           \
  F (S, OBJ, hooks, "hooks", oci_hooks, OCI_OPT)                                                             \
  F (S, MAP_STR, annotations, "annotations", _, OCI_OPT)                                                     \
  F (S, OBJ, linux, "linux", oci_linux, OCI_OPT)

/* ---- runtime.md: the state of a container ---- */
#define OCI_TYPE_oci_state(F, S)                                                                             \
  F (S, STR, oci_version, "ociVersion", _, OCI_REQ)                                                          \
  F (S, STR, id, "id", _, OCI_REQ)                                                                           \
  F (S, STR, status, "status", _, OCI_REQ)                                                                   \
  F (S, I32, pid, "pid", _, OCI_OPT)                                                                         \
  F (S, STR, bundle, "bundle", _, OCI_REQ)                                                                   \
  F (S, MAP_STR, annotations, "annotations", _, OCI_OPT)

/* ---- features.md ---- */
#define OCI_TYPE_oci_feature_enabled(F, S) F (S, BOOL, enabled, "enabled", _, OCI_OPT)

#define OCI_TYPE_oci_features_cgroup(F, S)                                                                   \
  F (S, BOOL, v1, "v1", _, OCI_OPT)                                                                          \
  F (S, BOOL, v2, "v2", _, OCI_OPT)                                                                          \
  F (S, BOOL, systemd, "systemd", _, OCI_OPT)                                                                \
  F (S, BOOL, systemd_user, "systemdUser", _, OCI_OPT)                                                       \
  F (S, BOOL, rdma, "rdma", _, OCI_OPT)

#define OCI_TYPE_oci_features_seccomp(F, S)                                                                  \
  F (S, BOOL, enabled, "enabled", _, OCI_OPT)                                                                \
  F (S, ARR_STR, actions, "actions", _, OCI_OPT)                                                             \
  F (S, ARR_STR, operators, "operators", _, OCI_OPT)                                                         \
  F (S, ARR_STR, archs, "archs", _, OCI_OPT)                                                                 \
  F (S, ARR_STR, known_flags, "knownFlags", _, OCI_OPT)                                                      \
  F (S, ARR_STR, supported_flags, "supportedFlags", _, OCI_OPT)

#define OCI_TYPE_oci_mount_extensions(F, S) F (S, OBJ, idmap, "idmap", oci_feature_enabled, OCI_OPT)

#define OCI_TYPE_oci_features_linux(F, S)                                                                    \
  F (S, ARR_STR, namespaces, "namespaces", _, OCI_OPT)                                                       \
  F (S, ARR_STR, capabilities, "capabilities", _, OCI_OPT)                                                   \
  F (S, OBJ, cgroup, "cgroup", oci_features_cgroup, OCI_OPT)                                                 \
  F (S, OBJ, seccomp, "seccomp", oci_features_seccomp, OCI_OPT)                                              \
  F (S, OBJ, apparmor, "apparmor", oci_feature_enabled, OCI_OPT)                                             \
  F (S, OBJ, selinux, "selinux", oci_feature_enabled, OCI_OPT)                                               \
  F (S, OBJ, intel_rdt, "intelRdt", oci_feature_enabled, OCI_OPT)                                            \
  F (S, OBJ, mount_extensions, "mountExtensions", oci_mount_extensions, OCI_OPT)

#define OCI_TYPE_oci_features(F, S)                                                                          \
  F (S, STR, oci_version_min, "ociVersionMin", _, OCI_REQ)                                                   \
  F (S, STR, oci_version_max, "ociVersionMax", _, OCI_REQ)                                                   \
  F (S, ARR_STR, hooks, "hooks", _, OCI_OPT)                                                                 \
  F (S, ARR_STR, mount_options, "mountOptions", _, OCI_OPT)                                                  \
  F (S, OBJ, linux, "linux", oci_features_linux, OCI_OPT)                                                    \
  F (S, MAP_STR, annotations, "annotations", _, OCI_OPT)

#define OCI_ALL_TYPES(T)                                                                                     \
  T (oci_root)                                                                                               \
  T (oci_id_mapping)                                                                                         \
  T (oci_mount)                                                                                              \
  T (oci_box)                                                                                                \
  T (oci_user)                                                                                               \
  T (oci_capabilities)                                                                                       \
  T (oci_rlimit)                                                                                             \
  T (oci_scheduler)                                                                                          \
  T (oci_io_priority)                                                                                        \
  T (oci_cpu_affinity)                                                                                       \
  T (oci_process)                                                                                            \
  T (oci_hook)                                                                                               \
  T (oci_hooks)                                                                                              \
  T (oci_namespace)                                                                                          \
  T (oci_time_offset)                                                                                        \
  T (oci_device)                                                                                             \
  T (oci_net_device)                                                                                         \
  T (oci_device_cgroup)                                                                                      \
  T (oci_memory)                                                                                             \
  T (oci_cpu)                                                                                                \
  T (oci_pids)                                                                                               \
  T (oci_weight_device)                                                                                      \
  T (oci_throttle_device)                                                                                    \
  T (oci_block_io)                                                                                           \
  T (oci_hugepage_limit)                                                                                     \
  T (oci_net_priority)                                                                                       \
  T (oci_network)                                                                                            \
  T (oci_rdma)                                                                                               \
  T (oci_resources)                                                                                          \
  T (oci_intel_rdt)                                                                                          \
  T (oci_seccomp_arg)                                                                                        \
  T (oci_syscall)                                                                                            \
  T (oci_seccomp)                                                                                            \
  T (oci_personality)                                                                                        \
  T (oci_memory_policy)                                                                                      \
  T (oci_linux)                                                                                              \
  T (oci_spec)                                                                                               \
  T (oci_state)                                                                                              \
  T (oci_feature_enabled)                                                                                    \
  T (oci_features_cgroup)                                                                                    \
  T (oci_features_seccomp)                                                                                   \
  T (oci_mount_extensions)                                                                                   \
  T (oci_features_linux)                                                                                     \
  T (oci_features)

OCI_ALL_TYPES (OCI_DECLARE_STRUCT)

/* Typed entry points for the two documents the runtime reads and writes. */
struct oci_spec *oci_spec_parse (const char *json, size_t len, struct oci_parse_error *ret_err);
struct oci_spec *oci_spec_free (struct oci_spec *spec);
struct oci_state *oci_state_free (struct oci_state *state);

#endif
