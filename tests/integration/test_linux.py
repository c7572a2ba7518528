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
