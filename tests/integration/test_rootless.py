"""cfsrun run by an unprivileged user: a test user made (and removed) here,
with subuid/subgid ranges, running `spec --rootless` bundles."""
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time

from harness import Skip, contains, copy_cfsrun, eq, with_fixture

USER = "cfsrun-rl%d" % (os.getpid() % 100000)


class Rootless:
    def __init__(self, env):
        if shutil.which("useradd") is None:
            raise Skip("no useradd")
        subprocess.run(["useradd", "-M", "-s", "/bin/sh", USER], capture_output=True)
        self.pw = pwd.getpwnam(USER)
        self.uid, self.gid = self.pw.pw_uid, self.pw.pw_gid
        self.home = os.path.join(env.dir, "rl")
        os.makedirs(self.home)
        self.run_dir = os.path.join(self.home, "xdg")
        os.makedirs(self.run_dir)
        shutil.copytree(env.rootfs, os.path.join(self.home, "rootfs"), symlinks=True)
        # A copy of the binary the user can reach, wherever the build is
        # (a checkout under a 0700 directory would stop the user).
        self.binary = os.path.join(self.home, "cfsrun")
        copy_cfsrun(self.binary)
        os.chown(self.home, self.uid, self.gid)
        os.chown(self.run_dir, self.uid, self.gid)
        os.chmod(self.run_dir, 0o700)
        self.ensure_subids()

    def ensure_subids(self):
        # usermod, not an edit of the files: it takes shadow's lock, and
        # other test modules add and remove users of their own meanwhile.
        for f, opt in (("/etc/subuid", "--add-subuids"), ("/etc/subgid", "--add-subgids")):
            text = open(f).read() if os.path.exists(f) else ""
            if not any(l.startswith(USER + ":") for l in text.splitlines()):
                first = 300000 + (os.getpid() % 1000) * 65536
                subprocess.run(["usermod", opt, "%d-%d" % (first, first + 65535), USER], capture_output=True)

    def subid_start(self, f):
        for l in open(f).read().splitlines():
            if l.startswith(USER + ":"):
                return int(l.split(":")[1])

    def cfs(self, *args, timeout=30, env_extra=None, pass_fds=()):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "XDG_RUNTIME_DIR": self.run_dir,
               "HOME": self.home}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        env.update(env_extra or {})
        # Files, not pipes: a created container keeps its stdio open.
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            p = subprocess.run([self.binary] + list(args), stdout=out, stderr=err, text=True, timeout=timeout, env=env,
                               user=self.uid, group=self.gid, extra_groups=[], stdin=subprocess.DEVNULL,
                               cwd=self.home, pass_fds=pass_fds)
            out.seek(0)
            err.seek(0)
            p.stdout, p.stderr = out.read(), err.read()
        return p

    def bundle(self, args, change=None):
        d = os.path.join(self.home, "b%d" % len(os.listdir(self.home)))
        os.makedirs(d)
        os.chown(d, self.uid, self.gid)
        r = self.cfs("spec", "--rootless", "--bundle", d)
        assert r.returncode == 0, r.stderr
        c = json.load(open(os.path.join(d, "config.json")))
        c["root"] = {"path": os.path.join(self.home, "rootfs"), "readonly": True}
        c["process"]["terminal"] = False
        c["process"]["args"] = args
        if change:
            change(c)
        json.dump(c, open(os.path.join(d, "config.json"), "w"))
        return d

    def done(self):
        state = os.path.join(self.run_dir, "cfsrun")
        left = os.listdir(state) if os.path.isdir(state) else []
        # A test that failed half-way may leave containers: remove them.
        for cid in left:
            self.cfs("delete", "--force", cid)
        for f, opt in (("/etc/subuid", "--del-subuids"), ("/etc/subgid", "--del-subgids")):
            for l in open(f).read().splitlines():
                if l.startswith(USER + ":"):
                    first, count = int(l.split(":")[1]), int(l.split(":")[2])
                    subprocess.run(["usermod", opt, "%d-%d" % (first, first + count - 1), USER], capture_output=True)
        subprocess.run(["userdel", USER], capture_output=True)
        return left


# Rootless.done() returns what it found in the user's state dir: nothing.
rootless_test = with_fixture(Rootless)


@rootless_test
def test_rootless_run(env, rl):
    r = rl.cfs("run", "--bundle", rl.bundle(["sh", "-c", "id -u; exit 3"]), "r1")
    eq(r.returncode, 3, "exit code passes through: %s" % r.stderr)
    eq(r.stdout.strip(), "0", "root inside")


@rootless_test
def test_rootless_lifecycle(env, rl):
    b = rl.bundle(["sleep", "60"])
    eq(rl.cfs("create", "--bundle", b, "l1").returncode, 0, "create")
    eq(json.loads(rl.cfs("state", "l1").stdout)["status"], "created", "created")
    eq(rl.cfs("start", "l1").returncode, 0, "start")
    st = json.loads(rl.cfs("state", "l1").stdout)
    eq(st["status"], "running", "running")
    eq(os.stat("/proc/%d" % st["pid"]).st_uid, rl.uid, "the container runs as the user on the host")
    r = rl.cfs("exec", "l1", "id", "-u")
    eq(r.stdout.strip(), "0", "exec: %s" % r.stderr)
    eq(rl.cfs("kill", "l1", "KILL").returncode, 0, "kill")
    for _ in range(200):
        if json.loads(rl.cfs("state", "l1").stdout)["status"] == "stopped":
            break
    eq(rl.cfs("delete", "l1").returncode, 0, "delete")


@rootless_test
def test_rootless_memory_limit_without_delegation(env, rl):
    def limit(c):
        c["linux"]["resources"] = {"memory": {"limit": 64 * 1024 * 1024}}
    r = rl.cfs("create", "--bundle", rl.bundle(["true"], limit), "m1")
    assert r.returncode != 0, r
    contains(r.stderr, "linux.resources.memory", "the error names the resource")
    contains(r.stderr, "no cgroup it may write", "and the reason")


@rootless_test
def test_rootless_mapping_not_owned(env, rl):
    def root_map(c):
        c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 1}]
    r = rl.cfs("run", "--bundle", rl.bundle(["true"], root_map), "n1")
    assert r.returncode != 0, r
    contains(r.stderr, "uidMappings", "names the mapping")


@rootless_test
def test_rootless_subuid_ranges(env, rl):
    if shutil.which("newuidmap") is None:
        raise Skip("uidmap is not installed")
    su, sg = rl.subid_start("/etc/subuid"), rl.subid_start("/etc/subgid")

    def ranges(c):
        c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": rl.uid, "size": 1},
                                     {"containerID": 1, "hostID": su, "size": 1000}]
        c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": rl.gid, "size": 1},
                                     {"containerID": 1, "hostID": sg, "size": 1000}]
    r = rl.cfs("run", "--bundle", rl.bundle(["cat", "/proc/self/uid_map"], ranges), "s1")
    eq(r.returncode, 0, "run: %s" % r.stderr)
    lines = [l.split() for l in r.stdout.splitlines()]
    eq(lines, [["0", str(rl.uid), "1"], ["1", str(su), "1000"]], "both ranges mapped")


@rootless_test
def test_rootless_gains_nothing(env, rl):
    """A root-owned host file bound in stays unwritable, a setuid-root binary
    gives no host privilege, the runtime binary and caller fds stay out of
    reach."""
    secret = os.path.join(env.dir, "root-owned")
    open(secret, "w").write("host\n")
    os.chmod(secret, 0o644)
    suid = os.path.join(rl.home, "rootfs", "bin", "busybox-suid")
    shutil.copy2(os.path.join(rl.home, "rootfs", "bin", "busybox"), suid)
    os.chown(suid, 0, 0)
    os.chmod(suid, 0o4755)
    open(os.path.join(rl.home, "rootfs", "secret"), "w").close()  # the mount point

    def bind(c):
        c["mounts"].append({"destination": "/secret", "type": "bind", "source": secret, "options": ["bind"]})
    b = rl.bundle(["sh", "-c", "echo x >> /secret 2>/dev/null && echo WROTE || echo refused; "
                               "[ \"$(/bin/busybox-suid id -u)\" = \"$(id -u)\" ] && echo same-uid || echo ELEVATED; "
                               "ls /proc/self/fd | wc -l"], bind)
    r = rl.cfs("run", "--bundle", b, "g1")
    lines = r.stdout.split()
    assert len(lines) == 3, "run: %r %r" % (r.stdout, r.stderr)
    eq(lines[0], "refused", "the root-owned file is not writable: %s" % r.stderr)
    eq(open(secret).read(), "host\n", "the host file is unchanged")
    assert int(lines[2]) <= 4, "no fd of the caller leaks in: %r" % lines
    # Owned by host root, which is not mapped here: the kernel ignores its
    # setuid bit, so it runs as the caller's own (container root) id.
    eq(lines[1], "same-uid", "setuid root gives no privilege")
    eq(rl.cfs("create", "--bundle", rl.bundle(["sleep", "30"]), "g2").returncode, 0, "create")
    # While the init still runs cfsrun (before start) nothing of the user's
    # may enter it at all: the runtime binary is out of reach.
    r = rl.cfs("exec", "g2", "cat", "/proc/1/exe")
    assert r.returncode != 0 and "before it is started" in r.stderr, r
    eq(rl.cfs("start", "g2").returncode, 0, "start")
    r = rl.cfs("exec", "g2", "sh", "-c", "readlink /proc/1/exe")
    eq(r.stdout.strip(), "/bin/busybox", "after start, pid 1 is the user's program: %s" % r.stderr)
    rl.cfs("delete", "-f", "g2")


def user_processes(rl):
    """Live PIDs whose real uid is the user's (the container's root maps to
    it).  Zombies are dead: a detached container's init, reparented to the
    host's pid 1, waits there to be reaped."""
    pids = []
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = dict(l.split(":", 1) for l in open("/proc/%s/status" % p) if ":" in l)
        except OSError:
            continue
        if int(status["Uid"].split()[0]) == rl.uid and not status["State"].strip().startswith("Z"):
            pids.append(int(p))
    return pids


@rootless_test
def test_rootless_runtime_binary_not_writable_from_inside(env, rl):
    """CVE-2019-5736 class, rootless: while `exec` runs cfsrun inside the
    container (stalled there, as the user), no process of the container
    may reach its /proc/PID/exe, even with the binary the user's own."""
    os.chown(rl.binary, rl.uid, rl.gid)
    before = open(rl.binary, "rb").read()
    eq(rl.cfs("run", "--detach", "--bundle", rl.bundle(["sleep", "60"]), "w1").returncode, 0, "run --detach")
    stall_env = dict({k: os.environ[k] for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS") if k in os.environ},
                     PATH="/usr/bin:/bin", XDG_RUNTIME_DIR=rl.run_dir, CFSRUN_TEST_STALL_AT="exec-child:fds")
    stalled = subprocess.Popen([rl.binary, "exec", "w1", "true"], user=rl.uid, group=rl.gid, extra_groups=[],
                               env=stall_env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        # Inside: wait for the stalled cfsrun (its cmdline is readable), then
        # try its exe, root, cwd and fds.
        r = rl.cfs("exec", "w1", "sh", "-c",
                   "for i in $(seq 100); do for p in /proc/[0-9]*; do "
                   "  grep -q w1 $p/cmdline 2>/dev/null && [ ${p#/proc/} != $$ ] && pid=${p#/proc/}; done; "
                   "  [ -n \"$pid\" ] && break; sleep 0.1; done; echo pid=$pid; "
                   "readlink /proc/$pid/exe && echo READ-EXE; echo x >> /proc/$pid/exe && echo WROTE-EXE; "
                   "for f in /proc/$pid/root /proc/$pid/cwd /proc/$pid/fd/*; do "
                   "  readlink $f >/dev/null 2>&1 && echo REACHED $f; done; echo done", timeout=30)
    finally:
        stalled.kill()
        stalled.wait()
    assert r.stdout.startswith("pid=") and r.stdout.split()[0] != "pid=", "the stalled exec was seen: %r" % r.stdout
    eq(r.stdout.split()[1:], ["done"], "nothing of the stalled cfsrun is reachable: %r %r" % (r.stdout, r.stderr))
    eq(open(rl.binary, "rb").read() == before, True, "the binary is unchanged")
    eq(rl.cfs("delete", "--force", "w1").returncode, 0, "delete --force")
    for _ in range(100):
        if not user_processes(rl):
            break
        time.sleep(0.05)
    eq(user_processes(rl), [], "the stalled exec died with the container")


@rootless_test
def test_rootless_caller_fds_do_not_leak(env, rl):
    """An fd the caller leaves open (not close-on-exec) reaches neither
    `run` nor `exec` processes."""
    secret = os.path.join(rl.home, "caller-secret")
    open(secret, "w").write("secret\n")
    fd = os.open(secret, os.O_RDONLY)
    try:
        os.set_inheritable(fd, True)
        script = "ls -l /proc/self/fd/ | grep -c caller-secret"
        r = rl.cfs("run", "--bundle", rl.bundle(["sh", "-c", script]), "f1", pass_fds=(fd,))
        eq(r.stdout.split(), ["0"], "run: the caller's fd %d is not inside: %r" % (fd, r.stderr))
        eq(rl.cfs("run", "--detach", "--bundle", rl.bundle(["sleep", "60"]), "f2", pass_fds=(fd,)).returncode, 0,
           "run --detach")
        r = rl.cfs("exec", "f2", "sh", "-c", script, pass_fds=(fd,))
        eq(r.stdout.split(), ["0"], "exec: the caller's fd %d is not inside: %r" % (fd, r.stderr))
        r = rl.cfs("exec", "f2", "sh", "-c", "for p in /proc/[0-9]*; do ls -l $p/fd/ 2>/dev/null; done "
                                             "| grep -c caller-secret", pass_fds=(fd,))
        eq(r.stdout.strip(), "0", "no process of the container holds it")
        rl.cfs("delete", "--force", "f2")
    finally:
        os.close(fd)


@rootless_test
def test_rootless_init(env, rl):
    """The built-in init as an unprivileged user: it runs from the sealed
    copy, reaps, and can be entered by exec once started."""
    b = rl.bundle(["sh", "-c", "for i in $(seq 20); do (sleep 0.1 &) ; done; exec sleep 30"])
    eq(rl.cfs("run", "-d", "--init", "--bundle", b, "i1").returncode, 0, "run -d --init")
    time.sleep(0.5)
    r = rl.cfs("exec", "i1", "sh", "-c", "readlink /proc/1/exe; cat /proc/[0-9]*/stat | awk '{print $3}' | grep -c Z")
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("/memfd:cfsrun"), "exec into the init: %r %r" % (r.stdout, r.stderr)
    eq(lines[1], "0", "the orphans were reaped")
    rl.cfs("delete", "-f", "i1")


@rootless_test
def test_rootless_mounts_the_kernel_refuses(env, rl):
    """What a user namespace does not allow gets what it does: sysfs
    without a network namespace of its own is the host's /sys bound in,
    with the flags asked for; devpts with gid=5, which is not mapped, is
    mounted without it; the `spec --rootless` /sys keeps nosuid."""
    flags = "grep ' /sys ' /proc/self/mounts | cut -d' ' -f4; grep ' /dev/pts ' /proc/self/mounts | wc -l; " \
            "ls /sys/class >/dev/null && echo class"
    r = rl.cfs("run", "--bundle", rl.bundle(["sh", "-c", flags]), "k1")
    eq(r.returncode, 0, "spec --rootless: %s" % r.stderr)
    assert {"ro", "nosuid", "nodev", "noexec"} <= set(r.stdout.split()[0].split(",")), \
        "spec --rootless binds /sys read-only, nosuid, nodev, noexec: %r" % r.stdout

    def sysfs_and_gid(c):
        for m in c["mounts"]:
            if m["destination"] == "/sys":
                m.update(type="sysfs", source="sysfs", options=["nosuid", "noexec", "nodev", "ro"])
            if m["destination"] == "/dev/pts":
                m["options"].append("gid=5")
        assert not any(n["type"] == "network" for n in c["linux"]["namespaces"])
    r = rl.cfs("run", "--bundle", rl.bundle(["sh", "-c", flags], sysfs_and_gid), "k2")
    eq(r.returncode, 0, "sysfs without a network namespace, devpts gid=5: %s" % r.stderr)
    out = r.stdout.split()
    assert {"ro", "nosuid", "nodev", "noexec"} <= set(out[0].split(",")), "the flags asked for: %r" % out
    eq(out[1:], ["1", "class"], "/dev/pts is mounted, /sys has the host's classes")


@rootless_test
def test_rootless_mapping_outside_ranges(env, rl):
    """A mapping that starts in the user's range but runs past its end."""
    if shutil.which("newuidmap") is None:
        raise Skip("uidmap is not installed")
    su = rl.subid_start("/etc/subuid")
    size = [int(l.split(":")[2]) for l in open("/etc/subuid").read().splitlines() if l.startswith(USER + ":")][0]

    def past_end(c):
        c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": rl.uid, "size": 1},
                                     {"containerID": 1, "hostID": su + size - 10, "size": 100}]
    r = rl.cfs("run", "--bundle", rl.bundle(["true"], past_end), "o1")
    assert r.returncode != 0, r
    contains(r.stderr, "newuidmap refused the mappings of linux.uidMappings", "names the tool and the field")
    contains(r.stderr, "/etc/subuid", "and where the ranges are")
    eq(user_processes(rl), [], "no process left")


@rootless_test
def test_rootless_uidmap_missing(env, rl):
    """Mappings beyond the user's own id need newuidmap: where it cannot be
    found (a PATH without it, as on a host without the uidmap package) the
    error says so and what to install."""
    empty = os.path.join(rl.home, "empty-path")
    os.makedirs(empty)
    su, sg = rl.subid_start("/etc/subuid"), rl.subid_start("/etc/subgid")

    def ranges(c):
        c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": rl.uid, "size": 1},
                                     {"containerID": 1, "hostID": su, "size": 10}]
        c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": rl.gid, "size": 1},
                                     {"containerID": 1, "hostID": sg, "size": 10}]
    r = rl.cfs("run", "--bundle", rl.bundle(["true"], ranges), "u1", env_extra={"PATH": empty})
    assert r.returncode != 0, r
    contains(r.stderr, "need newuidmap, which is not installed", "names the tool")
    contains(r.stderr, "apt-get install uidmap", "and the package")
    eq(user_processes(rl), [], "no process left")


@rootless_test
def test_rootless_root_not_writable(env, rl):
    """--root in a directory the user may not write: a clear error naming
    it, and nothing made there."""
    locked = os.path.join(env.dir, "root-owned")
    os.makedirs(locked)
    os.chmod(locked, 0o755)
    state = os.path.join(locked, "state")
    r = rl.cfs("--root", state, "run", "--bundle", rl.bundle(["true"]), "p1")
    assert r.returncode != 0, r
    contains(r.stderr, state, "names the state root")
    contains(r.stderr, "Permission denied", "and why")
    eq(os.listdir(locked), [], "nothing made")
    eq(user_processes(rl), [], "no process left")
