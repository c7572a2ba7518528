"""What the container process sees from inside."""
import os
import time

from harness import Skip, contains, eq


def test_hostname_and_domainname(env):
    r = env.run(["sh", "-c", "hostname; cat /proc/sys/kernel/domainname"], hostname="box1", domainname="example.org")
    eq(r.out, "box1\nexample.org\n", "uts")


def test_pid_namespace_shows_only_container(env):
    r = env.run(["sh", "-c", "echo $$; ls /proc | grep -E '^[0-9]+$'"])
    pids = [int(p) for p in r.out.split()]
    eq(pids[0], 1, "the program is pid 1")
    assert max(pids[1:]) < 10 and os.getpid() not in pids[1:] or max(pids[1:]) < 10, "pids seen: %s" % pids


def test_proc_and_dev(env):
    r = env.run(["sh", "-c", "grep -c ' /proc proc ' /proc/self/mounts; stat -c '%t,%T %a' /dev/null; "
                             "readlink /dev/ptmx; readlink /dev/fd; echo x > /dev/null && echo writable"])
    eq(r.out.split("\n")[:5], ["1", "1,3 666", "pts/ptmx", "/proc/self/fd", "writable"], "proc and /dev: %r" % r)


def test_user_groups_env_cwd_umask(env):
    c = env.config(["sh", "-c", "id -u; id -g; id -G; echo $FOO; pwd; umask"])
    c["process"]["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [5, 2000], "umask": 23}
    c["process"]["env"].append("FOO=bar baz")
    c["process"]["cwd"] = "/tmp"
    cid = env.new_id()
    r = env.cfs("run", "--bundle", env.bundle(c), cid)
    eq(r.rc, 0, "run: %r" % r)
    lines = r.out.split("\n")
    eq(lines[0], "1000", "uid")
    eq(lines[1], "1001", "gid")
    eq(sorted(lines[2].split()), ["1001", "2000", "5"], "groups")
    eq(lines[3], "bar baz", "env")
    eq(lines[4], "/tmp", "cwd")
    eq(lines[5], "0027", "umask")


def test_missing_cwd_is_made(env):
    """A process.cwd the rootfs lacks (an image's WorkingDir) is made, as
    runc does: before the root turns read-only and the user switches, owned
    by root, mode 0755; a cwd that is a file is an error naming it."""
    c = env.config(["sh", "-c", "pwd; stat -c '%u %a' . /srv"])
    c["process"]["user"] = {"uid": 1000, "gid": 1000}
    c["process"]["cwd"] = "/srv/app/sub"
    b = env.bundle(c, own_rootfs=True)
    c = __import__("json").load(open(os.path.join(b, "config.json")))
    eq(c["root"], {"path": "rootfs", "readonly": True}, "a read-only root")
    r = env.cfs("run", "--bundle", b, env.new_id())
    eq((r.rc, r.out), (0, "/srv/app/sub\n0 755\n0 755\n"), "cwd made: %r" % r)
    c = env.config(["true"])
    c["process"]["cwd"] = "/etc/passwd"
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    assert r.rc != 0, r
    contains(r.err, "process.cwd", "names the field")
    contains(r.err, "/etc/passwd", "and the path")


def test_env_is_exactly_the_config(env):
    c = env.config(["env"])
    c["process"]["env"] = ["ONLY=1", "PATH=/bin"]
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    eq(sorted(r.out.split()), ["ONLY=1", "PATH=/bin"], "environment")


def cap_mask(names):
    bits = {"CAP_CHOWN": 0, "CAP_KILL": 5, "CAP_NET_BIND_SERVICE": 10, "CAP_SYS_ADMIN": 21, "CAP_AUDIT_WRITE": 29}
    return sum(1 << bits[n] for n in names)


def test_capabilities(env):
    c = env.config(["sh", "-c", "grep -E '^Cap(Bnd|Eff|Prm|Inh|Amb)' /proc/self/status"])
    c["process"]["capabilities"] = {"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"],
                                    "permitted": ["CAP_KILL", "CAP_CHOWN"], "inheritable": ["CAP_KILL"],
                                    "ambient": ["CAP_KILL"]}
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    got = dict((l.split(":")[0], int(l.split()[1], 16)) for l in r.out.splitlines())
    eq(got["CapBnd"], cap_mask(["CAP_KILL", "CAP_CHOWN"]), "bounding")
    eq(got["CapAmb"], cap_mask(["CAP_KILL"]), "ambient")
    eq(got["CapInh"], cap_mask(["CAP_KILL"]), "inheritable")
    # root keeps permitted through exec; ambient adds to it for non-root
    eq(got["CapPrm"] & cap_mask(["CAP_SYS_ADMIN"]), 0, "no CAP_SYS_ADMIN")


def test_capabilities_non_root_user(env):
    c = env.config(["sh", "-c", "grep -E '^Cap(Eff|Prm)' /proc/self/status"])
    c["process"]["user"] = {"uid": 1000, "gid": 1000}
    c["process"]["capabilities"] = {"bounding": ["CAP_NET_BIND_SERVICE"], "effective": ["CAP_NET_BIND_SERVICE"],
                                    "permitted": ["CAP_NET_BIND_SERVICE"], "inheritable": ["CAP_NET_BIND_SERVICE"],
                                    "ambient": ["CAP_NET_BIND_SERVICE"]}
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    got = dict((l.split(":")[0], int(l.split()[1], 16)) for l in r.out.splitlines())
    eq(got["CapEff"], cap_mask(["CAP_NET_BIND_SERVICE"]), "ambient caps survive exec for uid 1000")


def test_no_new_privileges(env):
    r = env.run(["grep", "NoNewPrivs", "/proc/self/status"])
    eq(r.out.split(), ["NoNewPrivs:", "1"], "default spec sets it")


def test_rlimits(env):
    c = env.config(["sh", "-c", "ulimit -n; ulimit -Hn"])
    c["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 777}]
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    eq(r.out.split(), ["512", "777"], "nofile")


def test_readonly_root(env):
    r = env.run(["sh", "-c", "touch /x 2>/dev/null && echo wrote || echo refused; touch /dev/shm/y && echo tmpfs-ok"])
    eq(r.out.split(), ["refused", "tmpfs-ok"], "readonly root")


def test_writable_root(env):
    c = env.config(["sh", "-c", "echo data > /newfile && cat /newfile"])
    b = env.bundle(c, own_rootfs=True)
    c["root"]["readonly"] = False
    import json
    json.dump(c, open(os.path.join(b, "config.json"), "w"))
    r = env.cfs("run", "--bundle", b, env.new_id())
    eq(r.out, "data\n", "write to root: %r" % r)


def test_oom_score_adj(env):
    c = env.config(["cat", "/proc/self/oom_score_adj"])
    c["process"]["oomScoreAdj"] = 500
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    eq(r.out.strip(), "500", "oom_score_adj")


def test_namespaces_are_new(env):
    r = env.run(["sh", "-c", "for n in pid net ipc uts mnt cgroup; do readlink /proc/self/ns/$n; done"])
    mine = [os.readlink("/proc/self/ns/" + n) for n in ["pid", "net", "ipc", "uts", "mnt", "cgroup"]]
    inside = r.out.split()
    eq(len(inside), 6, "namespaces read: %r" % r)
    for a, b in zip(mine, inside):
        assert a != b, "namespace %s is the host's" % a


def test_join_namespace_by_path(env):
    first = env.new_id()
    eq(env.cfs("run", "-d", "--bundle", env.bundle(env.config(["sleep", "60"])), first).rc, 0, "first")
    pid = env.state(first)["pid"]
    c = env.config(["readlink", "/proc/self/ns/net"])
    c["linux"]["namespaces"] = [n if n["type"] != "network" else {"type": "network", "path": "/proc/%d/ns/net" % pid}
                                for n in c["linux"]["namespaces"]]
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    eq(r.out.strip(), os.readlink("/proc/%d/ns/net" % pid), "joined the first container's network namespace")
    eq(env.cfs("delete", "-f", first).rc, 0, "delete")


def test_no_host_fd_reaches_container(env):
    # An fd open in cfsrun's caller must not appear in the container.
    fd = os.open("/", os.O_RDONLY)
    try:
        r = env.run(["ls", "/proc/self/fd"])
    finally:
        os.close(fd)
    eq(sorted(r.out.split()), ["0", "1", "2", "3"], "fds in the container (3 is ls's own dir fd)")


def test_masked_and_readonly_paths(env):
    r = env.run(["sh", "-c", "cat /proc/kcore | wc -c; ls /sys/firmware | wc -l; "
                             "echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo wrote || echo ro"])
    eq(r.out.split(), ["0", "0", "ro"], "masked and read-only paths: %r" % r)


def test_cgroup_mount_shows_own_cgroup(env):
    r = env.run(["sh", "-c", "ls /sys/fs/cgroup | sort | tr '\\n' ' '"])
    for ctrl in ["memory", "pids", "cpu"]:
        assert ctrl in r.out.split(), "cgroup v1 hierarchy %s in %r" % (ctrl, r)


def test_linux_devices(env):
    c = env.config(["sh", "-c", "stat -c '%F %t:%T %a %u:%g' /dev/fuse /dev/mydir/null2; ls /dev | grep -c '^null$'"])
    c["linux"]["devices"] = [
        {"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 0o600, "uid": 1000, "gid": 1001},
        {"type": "c", "path": "/dev/mydir/null2", "major": 1, "minor": 3, "fileMode": 0o640},
        {"type": "c", "path": "/dev/null", "major": 1, "minor": 3, "fileMode": 0o666}]
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    lines = r.out.splitlines()
    eq(lines[0], "character special file a:e5 600 1000:1001", "fuse device: %r" % r)
    eq(lines[1], "character special file 1:3 640 0:0", "device in a new directory")
    eq(lines[2], "1", "a default device listed in the config is made once")


def test_capability_outside_our_bounding_set(env):
    bnd = int([l for l in open("/proc/self/status") if l.startswith("CapBnd")][0].split()[1], 16)
    if bnd & (1 << 24):
        raise Skip("CAP_SYS_RESOURCE is in this host's bounding set")
    c = env.config(["grep", "CapEff", "/proc/self/status"])
    c["process"]["capabilities"] = {k: ["CAP_KILL", "CAP_SYS_RESOURCE"] for k in
                                    ["bounding", "effective", "permitted"]}
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    eq(r.rc, 0, "runs with what can be granted: %r" % r)
    contains(r.err, "`CAP_SYS_RESOURCE` is not in cfsrun's own bounding set, ignoring")
    eq(int(r.out.split()[1], 16), 1 << 5, "CAP_KILL only")


def test_ignored_and_blocked_signals_do_not_reach_the_program(env):
    """Signals the caller ignores survive exec, and so does its signal mask:
    the container process resets both (it reads which are ignored from
    /proc/self/status), so the program starts with none; 32 and 33 too,
    which glibc's sigaction will not touch (ignored with the raw system
    call here, on x86-64)."""
    import ctypes
    import platform
    import signal
    import subprocess
    from harness import CFSRUN

    class KernelSigaction(ctypes.Structure):
        _fields_ = [("handler", ctypes.c_ulong), ("flags", ctypes.c_ulong), ("restorer", ctypes.c_ulong),
                    ("mask", ctypes.c_uint64)]

    def caller():
        for s in (signal.SIGUSR1, signal.SIGPIPE, signal.SIGHUP, signal.SIGTERM):
            signal.signal(s, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2, signal.SIGINT})
        if platform.machine() == "x86_64":
            ign = KernelSigaction(handler=1)  # SIG_IGN
            for s in (32, 33):
                ctypes.CDLL(None, use_errno=True).syscall(13, s, ctypes.byref(ign), None, 8)  # rt_sigaction

    b = env.bundle(env.config(["grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"]))
    p = subprocess.run([CFSRUN, "--root", env.root, "run", "--bundle", b, env.new_id()], preexec_fn=caller,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    eq(p.returncode, 0, "run: %s" % p.stderr)
    got = dict(l.split(":\t") for l in p.stdout.splitlines())
    eq(got, {"SigIgn": "0000000000000000", "SigBlk": "0000000000000000"}, "the program's ignored and blocked signals")
