"""Linux config beyond the basics: seccomp, sysctl, user namespaces, root
propagation."""
import os

from harness import Skip, contains, eq


def test_seccomp_errno(env):
    c = env.config(["sh", "-c", "mkdir /tmp/x 2>&1; echo rc=$?"])
    c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
                             "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    contains(r.out, "Operation not permitted", "mkdir fails with EPERM: %r" % r)
    contains(r.out, "rc=1", "mkdir exit code")


def test_seccomp_without_no_new_privileges(env):
    c = env.config(["sh", "-c", "mkdir /tmp/x 2>&1; echo done"])
    c["process"]["noNewPrivileges"] = False
    c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
                             "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    contains(r.out, "Permission denied", "errnoRet 13 is EACCES: %r" % r)


def test_seccomp_argument_filter(env):
    # Deny personality(0xffffffff) only; other calls pass.
    c = env.config(["sh", "-c", "echo ok"])
    c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 255, "op": "SCMP_CMP_EQ"}]},
        {"names": ["this_syscall_does_not_exist"], "action": "SCMP_ACT_ERRNO"}]}
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    eq(r.out, "ok\n", "unknown syscall names are skipped: %r" % r)


def test_libseccomp_is_loaded_only_for_a_filter(env):
    """A dynamically linked cfsrun dlopen()s libseccomp when a config has
    linux.seccomp, before the container process is cloned: the created
    container's process has it mapped with a filter, and not without one.
    A static cfsrun has it linked in: no shared library is mapped at all,
    filter or not."""
    static = None
    for with_filter in (False, True):
        cid = env.new_id()
        c = env.config(["sleep", "60"])
        if with_filter:
            c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}
        eq(env.cfs("create", "--bundle", env.bundle(c), cid).rc, 0, "create")
        try:
            maps = open("/proc/%d/maps" % env.state(cid)["pid"]).read()
            if static is None:
                static = "libc.so" not in maps
            if static:
                eq([l for l in maps.splitlines() if ".so" in l], [], "libraries mapped by a static cfsrun")
            else:
                eq("libseccomp" in maps, with_filter, "libseccomp mapped with a filter: %s" % with_filter)
            if with_filter:
                eq(env.cfs("start", cid).rc, 0, "start with the filter")
                env.wait_status(cid, "running")
                # The filter works, from the library linked in or loaded.
                r = env.cfs("exec", cid, "mkdir", "/tmp/x")
                assert r.rc != 0, "mkdir under the filter: %r" % r
        finally:
            env.cfs("delete", "-f", cid)


def test_seccomp_bad_action(env):
    c = env.config(["true"])
    c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_EXPLODE"}
    r = env.cfs("create", "--bundle", env.bundle(c), env.new_id())
    assert r.rc != 0, r
    contains(r.err, "linux.seccomp.defaultAction: unknown seccomp action `SCMP_ACT_EXPLODE`")
    eq(os.listdir(env.root) if os.path.isdir(env.root) else [], [], "nothing left")


def test_sysctl(env):
    c = env.config(["cat", "/proc/sys/net/ipv4/ip_forward", "/proc/sys/kernel/shmmni"])
    c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234"}
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    eq(r.out.split(), ["1", "1234"], "sysctl values: %r" % r)
    eq(open("/proc/sys/kernel/shmmni").read().strip() != "1234", True, "the host's value is untouched")


def test_sysctl_not_namespaced(env):
    c = env.config(["true"])
    c["linux"]["sysctl"] = {"vm.swappiness": "1"}
    r = env.cfs("create", "--bundle", env.bundle(c), env.new_id())
    assert r.rc != 0, r
    contains(r.err, "linux.sysctl: `vm.swappiness` is not namespaced")


def test_sysctl_needs_namespace(env):
    c = env.config(["true"])
    c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
    c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    r = env.cfs("create", "--bundle", env.bundle(c), env.new_id())
    assert r.rc != 0, r
    contains(r.err, "needs a network namespace")


def test_user_namespace(env):
    c = env.config(["sh", "-c", "id -u; cat /proc/self/uid_map; touch /tmp/f; stat -c %u /tmp/f"])
    c["linux"]["namespaces"].append({"type": "user"})
    c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    c["root"]["readonly"] = False
    # sysfs needs a network namespace the user namespace owns: it has one here.
    b = env.bundle(c, own_rootfs=True)
    os.chown(os.path.join(b, "rootfs", "tmp"), 100000, 100000)
    r = env.cfs("run", "--bundle", b, env.new_id())
    lines = r.out.split("\n")
    eq(lines[0], "0", "root inside: %r" % r)
    eq(lines[1].split(), ["0", "100000", "65536"], "uid_map")
    eq(lines[2], "0", "file owned by root inside")
    eq(os.stat(os.path.join(b, "rootfs", "tmp", "f")).st_uid, 100000, "and by the mapped uid outside")


def test_rootfs_propagation_shared(env):
    c = env.config(["sh", "-c", "awk '$5 == \"/\"' /proc/self/mountinfo"])
    c["linux"]["rootfsPropagation"] = "rshared"
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    contains(r.out, "shared:", "root mount is shared: %r" % r)


def test_rootfs_propagation_default_private_from_host(env):
    r = env.run(["sh", "-c", "awk '$5 == \"/\"' /proc/self/mountinfo"])
    assert "shared:" not in r.out, "default root must not be shared with the host: %r" % r


def test_no_mount_namespace(env):
    """Without a mount namespace the container's mounts are made in the
    host's, under the rootfs only, and delete removes them."""
    c = env.config(["sh", "-c", "readlink /proc/self/ns/mnt; ls /bin/busybox; exec sleep 60"])
    c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] not in ("mount", "cgroup")]
    c["mounts"] = [m for m in c["mounts"] if m["destination"] in ("/proc", "/dev")]
    c["linux"]["maskedPaths"] = []
    c["linux"]["readonlyPaths"] = []
    b = env.bundle(c, own_rootfs=True)
    rootfs = os.path.join(b, "rootfs")
    cid = env.new_id()
    eq(env.cfs("run", "-d", "--bundle", b, cid).rc, 0, "run -d")
    pid = env.state(cid)["pid"]
    eq(os.readlink("/proc/%d/ns/mnt" % pid), os.readlink("/proc/self/ns/mnt"), "the host's mount namespace")
    mounts = open("/proc/self/mountinfo").read()
    contains(mounts, rootfs + "/proc", "its /proc is a host mount, under the rootfs")
    eq(env.cfs("delete", "-f", cid).rc, 0, "delete")
    assert rootfs not in open("/proc/self/mountinfo").read(), "delete removed the host mounts"


def test_no_mount_namespace_failed_create_leaves_no_mount(env):
    c = env.config(["/no/such/program"])
    c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] not in ("mount", "cgroup")]
    c["mounts"] = [m for m in c["mounts"] if m["destination"] in ("/proc",)]
    c["linux"]["maskedPaths"] = []
    c["linux"]["readonlyPaths"] = []
    b = env.bundle(c, own_rootfs=True)
    r = env.cfs("create", "--bundle", b, env.new_id())
    assert r.rc != 0, r
    assert os.path.join(b, "rootfs") not in open("/proc/self/mountinfo").read(), "no mount left on the host"


def stat_fields(text):
    return text[text.rindex(")") + 2:].split()


def test_scheduler_and_io_priority(env):
    c = env.config(["sh", "-c", "cat /proc/self/stat; ionice -p $$"])
    c["process"]["scheduler"] = {"policy": "SCHED_BATCH", "nice": 7}
    c["process"]["ioPriority"] = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    lines = r.out.splitlines()
    f = stat_fields(lines[0])
    eq(f[19 - 3], "7", "nice (field 19)")
    eq(f[41 - 3], "3", "policy SCHED_BATCH (field 41)")
    contains(lines[1], "idle", "io priority class")


def test_personality(env):
    c = env.config(["uname", "-m"])
    c["linux"]["personality"] = {"domain": "LINUX32"}
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    assert r.out.strip() in ("i686", "i386", "armv8l", "armv7l"), "32-bit personality: %r" % r


def test_time_offsets(env):
    c = env.config(["cat", "/proc/uptime"])
    c["linux"]["namespaces"].append({"type": "time"})
    c["linux"]["timeOffsets"] = {"boottime": {"secs": 86400 * 365, "nanosecs": 0}}
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    host = float(open("/proc/uptime").read().split()[0])
    inside = float(r.out.split()[0])
    assert inside - host > 86400 * 364, "boottime offset: host %s, container %s" % (host, inside)


def test_bad_process_extras(env):
    for field, value, text in [
        ("scheduler", {"policy": "SCHED_SOMETIMES"}, "process.scheduler.policy: unknown policy"),
        ("ioPriority", {"class": "IOPRIO_CLASS_BE", "priority": 9}, "process.ioPriority.priority"),
        ("apparmorProfile", "docker-default", "AppArmor is not enabled"),
        ("selinuxLabel", "system_u:system_r:container_t:s0", "SELinux is not enabled")]:
        c = env.config(["true"])
        c["process"][field] = value
        r = env.cfs("create", "--bundle", env.bundle(c), env.new_id())
        assert r.rc != 0 and text in r.err, (field, r)
    for field, value, text in [
        ("intelRdt", {"closID": "x"}, "linux.intelRdt"),
        ("personality", {"domain": "SOLARIS"}, "linux.personality.domain"),
        ("memoryPolicy", {"mode": "MPOL_BIND", "nodes": "0-x"}, "linux.memoryPolicy.nodes"),
        ("timeOffsets", {"realtime": {"secs": 1}}, "not a clock with an offset")]:
        c = env.config(["true"])
        c["linux"][field] = value
        r = env.cfs("create", "--bundle", env.bundle(c), env.new_id())
        assert r.rc != 0 and text in r.err, (field, r)


def test_memory_policy(env):
    c = env.config(["sh", "-c", "grep -c bind:0 /proc/self/numa_maps || true"])
    c["linux"]["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": "0"}
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    eq(r.rc, 0, "run: %r" % r)
    if not os.path.exists("/proc/self/numa_maps"):
        raise Skip("no NUMA on this kernel")
    assert int(r.out.split()[0]) > 0, "mappings bound to node 0: %r" % r


def test_exec_cpu_affinity(env):
    cid = env.new_id()
    eq(env.cfs("run", "-d", "--bundle", env.bundle(env.config(["sleep", "60"])), cid).rc, 0, "run -d")
    p = {"args": ["grep", "Cpus_allowed_list", "/proc/self/status"], "cwd": "/", "execCPUAffinity": {"final": "0"}}
    path = os.path.join(env.dir, "p.json")
    import json
    json.dump(p, open(path, "w"))
    r = env.cfs("exec", "-p", path, cid)
    eq(r.out.split(), ["Cpus_allowed_list:", "0"], "final affinity: %r" % r)
    env.cfs("delete", "-f", cid)


def test_seccomp_notify_agent(env):
    notify_agent_answers(env, [])


def test_seccomp_notify_wait_killable_recv(env):
    # libseccomp 2.5 cannot set this flag; cfsrun loads the filter itself.
    notify_agent_answers(env, ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "SECCOMP_FILTER_FLAG_TSYNC"])
    c = env.config(["true"])
    c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
                             "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    eq(r.rc != 0, True, "refused without a notify action")
    contains(r.err, "linux.seccomp.flags", "naming the field")


def notify_agent_answers(env, flags):
    import subprocess
    import time
    agent = os.environ.get("SECCOMP_AGENT") or os.path.join(os.path.dirname(__file__), "..", "..", "contrib",
                                                            "cfsrun-seccomp-agent")
    if not os.path.exists(agent):
        raise Skip("the contrib agent is not built")
    sock = os.path.join(env.dir, "agent.sock")
    out = open(os.path.join(env.dir, "agent.out"), "w+")
    a = subprocess.Popen([agent, sock], stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(200):
            if os.path.exists(sock):
                break
            time.sleep(0.01)
        c = env.config(["sh", "-c", "mkdir /dev/shm/x; echo rc=$?; test -d /dev/shm/x && echo made || echo faked"])
        c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": sock,
                                 "listenerMetadata": "hello-agent", "flags": flags,
                                 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}
        r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
        eq(r.out.split(), ["rc=0", "faked"], "the agent answered mkdir without running it: %r" % r)
        a.wait(timeout=10)
        out.seek(0)
        log = out.read()
        contains(log, "hello-agent", "the listener got listenerMetadata")
        contains(log, '"fds":["seccompFd"]', "and the containerProcessState")
        contains(log, "syscall mkdir", "and the notification")
    finally:
        if a.poll() is None:
            a.kill()
            a.wait()


def test_seccomp_notify_needs_listener(env):
    c = env.config(["true"])
    c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
                             "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}
    r = env.cfs("create", "--bundle", env.bundle(c), env.new_id())
    assert r.rc != 0 and "linux.seccomp.listenerPath" in r.err, r
