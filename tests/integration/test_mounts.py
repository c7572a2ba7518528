"""Mount options beyond the basics: recursive attributes, nosymfollow,
tmpcopyup, idmapped mounts, and bind mounts of files."""
import os
import subprocess

from harness import Skip, contains, eq, with_fixture
from host_container import HostContainer


def test_recursive_read_only(env):
    src = os.path.join(env.dir, "src")
    os.makedirs(os.path.join(src, "sub"))
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", os.path.join(src, "sub")], check=True)
    try:
        c = env.config(["sh", "-c", "touch /data/a 2>/dev/null && echo top-rw || echo top-ro; "
                                    "touch /data/sub/b 2>/dev/null && echo sub-rw || echo sub-ro"])
        c["mounts"].append({"destination": "/data", "type": "bind", "source": src, "options": ["rbind", "ro"]})
        r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
        eq(r.out.split(), ["top-ro", "sub-rw"], "ro is not recursive: %r" % r)
        c["mounts"][-1]["options"] = ["rbind", "rro"]
        r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
        eq(r.out.split(), ["top-ro", "sub-ro"], "rro is: %r" % r)
    finally:
        subprocess.run(["umount", os.path.join(src, "sub")])


def test_nosymfollow(env):
    src = os.path.join(env.dir, "links")
    os.makedirs(src)
    open(os.path.join(src, "target"), "w").write("reached\n")
    os.symlink("target", os.path.join(src, "link"))
    c = env.config(["sh", "-c", "cat /l/link 2>/dev/null || echo refused"])
    c["mounts"].append({"destination": "/l", "type": "bind", "source": src, "options": ["bind", "nosymfollow"]})
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    eq(r.out.strip(), "refused", "symlinks are not followed: %r" % r)


def test_tmpcopyup(env):
    c = env.config(["sh", "-c", "cat /etc/passwd | head -1; touch /etc/new && echo writable"])
    c["mounts"].append({"destination": "/etc", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]})
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    eq(r.out.split("\n")[:2], ["root:x:0:0:root:/root:/bin/sh", "writable"], "tmpcopyup: %r" % r)
    assert not os.path.exists(os.path.join(env.rootfs, "etc", "new")), "the rootfs is untouched"


def test_idmapped_mount(env):
    src = os.path.join(env.dir, "owned")
    os.makedirs(src)
    f = os.path.join(src, "file")
    open(f, "w").write("x")  # owned by root on disk
    c = env.config(["stat", "-c", "%u:%g", "/idm/file"])
    c["mounts"].append({"destination": "/idm", "type": "bind", "source": src, "options": ["bind", "idmap"],
                        "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
                        "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]})
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    if "cannot be idmapped" in r.err:
        raise Skip("this filesystem has no idmapped mounts")
    # On-disk ids are mapped as a user namespace with these mappings would
    # see them: 0 on disk is host 1000, the container's root in a userns
    # with the same mapping.
    eq(r.out.strip(), "1000:1000", "on-disk 0 shows as 1000 through the idmapped mount: %r" % r)


def test_bind_mount_of_a_file(env):
    f = os.path.join(env.dir, "hostfile")
    open(f, "w").write("from the host\n")
    c = env.config(["cat", "/etc/hostfile"])
    c["mounts"].append({"destination": "/etc/hostfile", "type": "bind", "source": f, "options": ["bind", "ro"]})
    b = env.bundle(c, own_rootfs=True)
    r = env.cfs("run", "--bundle", b, env.new_id())
    eq(r.out, "from the host\n", "file bind mount: %r" % r)


def test_symlinked_destination_stays_inside(env):
    """A destination that is a symlink to a host path resolves inside the
    rootfs: nothing is mounted on the host."""
    outside = os.path.join(env.dir, "outside")
    os.makedirs(outside)
    c = env.config(["true"])
    c["root"]["readonly"] = False
    c["mounts"].append({"destination": "/evil", "type": "tmpfs", "source": "tmpfs"})
    b = env.bundle(c, own_rootfs=True)
    os.symlink(outside, os.path.join(b, "rootfs", "evil"))
    r = env.cfs("run", "--bundle", b, env.new_id())
    eq(r.rc, 0, "run: %r" % r)
    assert outside not in open("/proc/self/mountinfo").read(), "a mount reached the host path"
    assert os.path.isdir(os.path.join(b, "rootfs", outside.lstrip("/"))), "it was made inside the rootfs instead"


def test_overlay_mount(env):
    lower, upper, work = (os.path.join(env.dir, d) for d in ("lower", "upper", "work"))
    for d in (lower, upper, work):
        os.makedirs(d)
    open(os.path.join(lower, "base"), "w").write("from lower\n")
    c = env.config(["sh", "-c", "cat /ov/base; echo new > /ov/added"])
    c["mounts"].append({"destination": "/ov", "type": "overlay", "source": "overlay",
                        "options": ["lowerdir=" + lower, "upperdir=" + upper, "workdir=" + work]})
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    eq(r.out, "from lower\n", "overlay read: %r" % r)
    eq(open(os.path.join(upper, "added")).read(), "new\n", "writes land in the upper layer")
    assert not os.path.exists(os.path.join(lower, "added")), "the lower layer is untouched"


MASK_SCRIPT = ("ls /proc/sys/kernel | wc -l; ls /proc/sys/vm | wc -l; "
               "touch /proc/sys/kernel/x 2>/dev/null && echo mask-rw || echo mask-ro; "
               "stat -c %t:%T /proc/version /proc/cmdline; cat /proc/version | wc -c; "
               "touch /data/a 2>/dev/null && echo top-rw || echo top-ro; "
               "touch /data/sub/b 2>/dev/null && echo sub-rw || echo sub-ro")


def masks_config(env):
    """Two masked directories and two masked files (so the second of each
    is laid the way the first was not), and a read-only path with a mount
    under it."""
    c = env.config(["sh", "-c", MASK_SCRIPT])
    c["mounts"] += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs"},
                    {"destination": "/data/sub", "type": "tmpfs", "source": "tmpfs"}]
    c["linux"]["maskedPaths"] = ["/proc/sys/kernel", "/proc/sys/vm", "/proc/version", "/proc/cmdline",
                                 "/no/such/path"]
    c["linux"]["readonlyPaths"] = ["/data", "/proc/sys"]
    return c


def test_masked_and_readonly_paths_in_full(env):
    r = env.cfs("run", "--bundle", env.bundle(masks_config(env)), env.new_id())
    eq(r.rc, 0, "run: %r" % r)
    eq(r.out.split(), ["0", "0", "mask-ro", "1:3", "1:3", "0", "top-ro", "sub-ro"],
       "masked dirs empty and read-only, masked files /dev/null, read-only paths read-only all through")


class NoMountApiHost(HostContainer):
    """A host whose kernel (as a seccomp filter makes it seem) has no
    open_tree, move_mount, fsopen or mount_setattr: Linux before 5.2."""

    def __init__(self, env):
        calls = ["open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "mount_setattr"]
        super().__init__(env, ["sleep", "3600"], seccomp={
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": calls, "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]})


@with_fixture(NoMountApiHost)
def test_masked_and_readonly_paths_without_mount_api(env, h):
    r = h.cfs("run", "--bundle", env.bundle(masks_config(env)), env.new_id())
    eq(r.rc, 0, "run: %r" % r)
    # mount(2) can make only the top of a read-only path read-only.
    eq(r.out.split(), ["0", "0", "mask-ro", "1:3", "1:3", "0", "top-ro", "sub-rw"],
       "masks laid by mount(2) on a kernel without the mount API")


@with_fixture(NoMountApiHost)
def test_cgroup_view_without_mount_api(env, h):
    cid = env.new_id()
    c = env.config(["sh", "-c", "grep -c ':memory:/$' /proc/self/cgroup; ls /sys/fs/cgroup/memory | "
                                "grep -c '^memory.limit_in_bytes$'; mkdir /sys/fs/cgroup/x 2>/dev/null || echo ro"])
    r = h.cfs("run", "--bundle", env.bundle(c), cid)
    eq(r.rc, 0, "run: %r" % r)
    eq(r.out.split(), ["1", "1", "ro"], "the v1 view laid by mount(2): its own memory cgroup, read-only")
