"""Rootless Podman on cfsrun: a test user made here (and removed, with its
home, runtime dir, Podman store and processes), with subuid/subgid ranges,
runs Podman with `--runtime` a copy of cfsrun, and the same commands with
runc where that is installed: the outputs must match.

No systemd or logind runs here, so the test makes XDG_RUNTIME_DIR itself
(0700, the user's).  Podman: cgroupfs, file events, no network, native
overlay storage (kernel 6.x mounts overlay in a user namespace).  Podman
runs its runtime as root of the user namespace it made from the user's
ranges: cfsrun keeps its state in $XDG_RUNTIME_DIR/cfsrun, and makes no
cgroup (the user has none it may write on this v1 host; Podman itself drops
limits there, "Resource limits are not supported and ignored on cgroups V1
rootless systems")."""
import json
import os
import pwd
import resource
import shutil
import signal
import subprocess
import tempfile
import time

from harness import Skip, contains, copy_cfsrun, eq

USER = "cfsrun-rlp%d" % (os.getpid() % 100000)
# Far above test_rootless.py's ranges (300000 + k * 65536, k < 1000).
SUBID_FIRST = 200000000 + (os.getpid() % 1000) * 65536
SUBID_SIZE = 65536
IMG = "localhost/cfsrun-rlp-busybox"


class RootlessPodman:
    def __init__(self, env, locked_mount=None):
        for tool in ("podman", "conmon", "newuidmap", "newgidmap", "useradd", "usermod"):
            if shutil.which(tool) is None:
                raise Skip("%s is not installed" % tool)
        if "ASAN_OPTIONS" in os.environ:
            # Podman does not pass ASAN_OPTIONS on to the runtime it starts.
            raise Skip("not under the sanitizer build")
        self.env = env
        self.locked = self.uid = None
        self.home = os.path.join(env.dir, "rlp")
        os.makedirs(self.home)
        # Podman wants a runroot of at most 50 characters: the runtime dir
        # is a short one of the test's own, not under the test's dir.
        self.xdg = tempfile.mkdtemp(prefix="cfsrun-rlp-", dir="/tmp")
        try:
            self.setup(env, locked_mount)
        except BaseException:
            self.done()
            raise

    def setup(self, env, locked_mount):
        # No ranges from login.defs: the ones below, in a range of our own.
        r = subprocess.run(["useradd", "-M", "-s", "/bin/sh", "-d", self.home, "-K", "SUB_UID_COUNT=0",
                            "-K", "SUB_GID_COUNT=0", USER], capture_output=True, text=True)
        assert r.returncode == 0, "useradd %s: %s" % (USER, r.stderr)
        self.pw = pwd.getpwnam(USER)
        self.uid, self.gid = self.pw.pw_uid, self.pw.pw_gid
        span = "%d-%d" % (SUBID_FIRST, SUBID_FIRST + SUBID_SIZE - 1)
        r = subprocess.run(["usermod", "--add-subuids", span, "--add-subgids", span, USER],
                           capture_output=True, text=True)
        assert r.returncode == 0, "usermod: %s" % r.stderr
        os.makedirs(os.path.join(self.home, ".config", "containers"))
        for d in (self.home, self.xdg):
            os.chmod(d, 0o700)
        # A copy of the binary the user can reach, wherever the build is.
        self.runtime = os.path.join(self.home, "cfsrun")
        copy_cfsrun(self.runtime)
        nofile = min(4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
        nproc = min(4096, resource.getrlimit(resource.RLIMIT_NPROC)[1])
        self.conf = os.path.join(self.home, "containers.conf")
        with open(self.conf, "w") as f:
            f.write('[containers]\ndefault_ulimits = ["nofile=%d:%d", "nproc=%d:%d"]\n'
                    'log_driver = "k8s-file"\nnetns = "none"\n'
                    '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n'
                    'events_logfile_path = "%s"\n' % (nofile, nofile, nproc, nproc,
                                                      os.path.join(self.home, "events.log")))
        self.storage, self.runroot = os.path.join(self.home, "storage"), os.path.join(self.xdg, "containers")
        # Podman 4.3 reads a rootless user's storage.conf from here only.
        with open(os.path.join(self.home, ".config", "containers", "storage.conf"), "w") as f:
            f.write('[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "%s"\n'
                    % (self.storage, self.runroot))
        self.registries = os.path.join(self.home, "registries.conf")
        with open(self.registries, "w") as f:
            f.write("unqualified-search-registries = []\n")
        tar = os.path.join(self.home, "rootfs.tar")
        subprocess.run(["tar", "-C", env.rootfs, "-cf", tar, "."], check=True)
        for top in (self.home, self.xdg):
            for dirpath, dirs, files in os.walk(top):
                for n in [dirpath] + [os.path.join(dirpath, x) for x in files]:
                    os.chown(n, self.uid, self.gid)
        if locked_mount:
            # Before Podman's first command: its user and mount namespace,
            # kept by its pause process, is a copy of the host's mounts then.
            self.locked = os.path.join(env.dir, "locked")
            os.makedirs(self.locked)
            subprocess.run(["mount", "-t", "tmpfs", "-o", locked_mount + ",mode=755", "tmpfs", self.locked],
                           check=True)
            open(os.path.join(self.locked, "f"), "w").write("data\n")
        r = self.podman("import", tar, IMG)
        assert r.returncode == 0, "podman import: %s" % r.stderr

    def user_env(self):
        return {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": self.home,
                "USER": USER, "XDG_RUNTIME_DIR": self.xdg, "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
                "CONTAINERS_CONF": self.conf, "CONTAINERS_REGISTRIES_CONF": self.registries}

    def as_user(self, args, timeout=60):
        # Files, not pipes: a detached container keeps conmon's stdio open.
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            p = subprocess.run(args, stdout=out, stderr=err, text=True, timeout=timeout, env=self.user_env(),
                               user=self.uid, group=self.gid, extra_groups=[], stdin=subprocess.DEVNULL,
                               cwd=self.home)
            out.seek(0)
            err.seek(0)
            p.stdout, p.stderr = out.read(), err.read()
        return p

    def podman(self, *args, runtime=None, timeout=60):
        flags = ["--root", self.storage, "--runroot", self.runroot, "--cgroup-manager=cgroupfs",
                 "--events-backend=file", "--storage-driver=overlay"]
        if runtime:
            flags += ["--runtime", runtime]
        return self.as_user(["podman"] + flags + list(args), timeout=timeout)

    def runtimes(self):
        """cfsrun first, then runc to compare with, where it is installed."""
        runc = shutil.which("runc")
        return [self.runtime] + ([runc] if runc else [])

    def state_dir(self):
        d = os.path.join(self.xdg, "cfsrun")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def processes(self):
        """Live PIDs whose real uid is the user's or in its ranges."""
        pids = []
        if self.uid is None:
            return pids
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                status = dict(l.split(":", 1) for l in open("/proc/%s/status" % p) if ":" in l)
            except OSError:
                continue
            # A zombie is dead already, waiting for the host's pid 1.
            uid, zombie = int(status["Uid"].split()[0]), status["State"].strip().startswith("Z")
            if (uid == self.uid or SUBID_FIRST <= uid < SUBID_FIRST + SUBID_SIZE) and not zombie:
                pids.append(int(p))
        return pids

    def done(self):
        """Remove every trace; returns what cfsrun's state dir still held."""
        left = self.state_dir()
        if self.uid is not None:
            try:
                self.podman("rm", "-a", "-f", "-t", "0", runtime=self.runtime)
                self.podman("system", "reset", "-f")
            except subprocess.TimeoutExpired:
                pass
        # Podman's pause process (catatonit), conmons, containers: by PID.
        for _ in range(50):
            pids = self.processes()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        if self.locked:
            subprocess.run(["umount", self.locked], capture_output=True)
        span = "%d-%d" % (SUBID_FIRST, SUBID_FIRST + SUBID_SIZE - 1)
        subprocess.run(["usermod", "--del-subuids", span, "--del-subgids", span, USER], capture_output=True)
        subprocess.run(["userdel", USER], capture_output=True)
        shutil.rmtree(self.home, ignore_errors=True)
        shutil.rmtree(self.xdg, ignore_errors=True)
        return left


def rootless_podman_test(locked_mount=None):
    def wrap(fn):
        def wrapper(env):
            p = RootlessPodman(env, locked_mount)
            try:
                fn(env, p)
            finally:
                left = p.done()
            eq(left, [], "nothing left in cfsrun's state dir")
            for f in ("/etc/subuid", "/etc/subgid", "/etc/passwd"):
                assert not any(l.startswith(USER + ":") for l in open(f)), "%s still names %s" % (f, USER)
            assert not os.path.exists(p.home), "the user's home is removed"
            assert not os.path.exists(p.xdg), "its runtime dir is removed"
        wrapper.__name__ = fn.__name__
        return wrapper
    return wrap


def same_for_each(p, args, what):
    """ARGS under every runtime: cfsrun's result, checked equal to runc's."""
    results = []
    for rt in p.runtimes():
        r = p.podman(*args, runtime=rt)
        results.append((r.returncode, r.stdout))
        eq(r.returncode, results[0][0], "%s: exit code under %s: %s" % (what, rt, r.stderr))
        eq(r.stdout, results[0][1], "%s: output under %s (cfsrun gave %r): %s" % (what, rt, results[0][1], r.stderr))
    return results[0]


@rootless_podman_test(locked_mount="nosuid,nodev,noexec,noatime")
def test_rootless_podman_run(env, p):
    rc, out = same_for_each(p, ["run", "--rm", "--network=none", IMG, "echo", "hi"], "run --rm")
    eq((rc, out), (0, "hi\n"), "podman run --rm echo hi")
    rc, _ = same_for_each(p, ["run", "--rm", "--network=none", IMG, "sh", "-c", "exit 7"], "exit code")
    eq(rc, 7, "the exit code passes through")
    # Root of Podman's user namespace: the user's uid, then its ranges.
    rc, out = same_for_each(p, ["run", "--rm", "--network=none", IMG, "cat", "/proc/self/uid_map"], "uid_map")
    eq([l.split() for l in out.splitlines()], [["0", str(p.uid), "1"], ["1", str(SUBID_FIRST), str(SUBID_SIZE)]],
       "the container runs in the user's own ranges")
    rc, out = same_for_each(p, ["run", "--rm", "--network=none", "--user", "1000", IMG, "id"], "--user 1000")
    eq((rc, out), (0, "uid=1000(1000) gid=0(root) groups=0(root)\n"), "--user 1000")
    rc, out = same_for_each(p, ["run", "--rm", "--network=none", "--read-only", IMG, "sh", "-c",
                                "touch /x 2>/dev/null && echo wrote || echo refused; touch /tmp/x && echo tmp; "
                                "grep ' / ' /proc/self/mounts | cut -d' ' -f4 | cut -d, -f1"], "--read-only")
    eq((rc, out), (0, "refused\ntmp\nro\n"), "--read-only: / is read-only, /tmp a tmpfs")
    # A terminal: the pty is the process user's, the group devpts gave it (tty).
    for user in ("0", "1000:1000"):
        rc, out = same_for_each(p, ["run", "--rm", "-t", "--network=none", "--user", user, IMG, "sh", "-c",
                                    "ls -ln $(tty) | tr -s ' ' | cut -d' ' -f3,4"], "-t as " + user)
        eq((rc, out.strip()), (0, "%s 5" % user.split(":")[0]), "-t as %s: the pty's owner" % user)
    # A host mount with flags the kernel locks in a user namespace, bound
    # read-only: the remount must keep them.
    rc, out = same_for_each(p, ["run", "--rm", "--network=none", "-v", p.locked + ":/l:ro", IMG, "sh", "-c",
                                "cat /l/f; grep ' /l ' /proc/self/mounts | cut -d' ' -f4"], "locked bind")
    eq(rc, 0, "a bind of a nosuid,nodev,noexec,noatime mount, read-only")
    lines = out.split()
    eq(lines[0], "data", "its file is readable")
    eq(set(lines[1].split(",")) >= {"ro", "nosuid", "nodev", "noexec", "noatime"}, True,
       "read-only, and the locked flags kept: %s" % lines[1])


@rootless_podman_test()
def test_rootless_podman_detach_exec_stop_rm(env, p):
    for rt in p.runtimes():
        name = "rlp-%s" % os.path.basename(rt)
        # A program that exits on SIGTERM, so stop needs no SIGKILL.
        r = p.podman("run", "-d", "--name", name, "--network=none", IMG, "sh", "-c",
                     "trap 'exit 0' TERM; while :; do sleep 0.1; done", runtime=rt)
        eq(r.returncode, 0, "run -d under %s: %s" % (rt, r.stderr))
        cid = r.stdout.strip()
        if rt == p.runtime:
            eq(p.state_dir(), [cid], "cfsrun's state is in $XDG_RUNTIME_DIR/cfsrun")
            eq(os.stat(os.path.join(p.xdg, "cfsrun", cid)).st_uid, p.uid, "owned by the user")
            # Podman gives no limits here, and cfsrun makes no cgroup.
            cfg = json.load(open(os.path.join(p.storage, "overlay-containers", cid, "userdata", "config.json")))
            eq({k: v for k, v in cfg["linux"].get("resources", {}).items() if k != "devices"}, {},
               "Podman's config asks for no limits")
            cg = open("/proc/%s/cgroup" % json.loads(
                p.podman("inspect", "--format", "{{json .State.Pid}}", cid).stdout)).read()
            assert cid not in cg, "no cgroup of the container's: %s" % cg
        r = p.podman("exec", name, "sh", "-c", "echo in; id -u; tr '\\0' ' ' </proc/1/cmdline; echo", runtime=rt)
        eq((r.returncode, r.stdout), (0, "in\n0\nsh -c trap 'exit 0' TERM; while :; do sleep 0.1; done \n"),
           "exec under %s: %s" % (rt, r.stderr))
        r = p.podman("exec", "--user", "1000", name, "id", "-u", runtime=rt)
        eq((r.returncode, r.stdout), (0, "1000\n"), "exec --user 1000 under %s: %s" % (rt, r.stderr))
        r = p.podman("exec", name, "sh", "-c", "exit 4", runtime=rt)
        eq(r.returncode, 4, "exec's exit code under %s" % rt)
        r = p.podman("top", name, "user", "pid", "args", runtime=rt)
        eq(r.returncode, 0, "top under %s: %s" % (rt, r.stderr))
        rows = [l.split(None, 2) for l in r.stdout.splitlines()]
        eq(rows[0], ["USER", "PID", "COMMAND"], "top's header")
        contains([row[:2] for row in rows[1:]], ["root", "1"], "top lists pid 1 as root")
        t0 = time.time()
        r = p.podman("stop", "-t", "10", name, runtime=rt)
        eq(r.returncode, 0, "stop under %s: %s" % (rt, r.stderr))
        assert time.time() - t0 < 8, "SIGTERM stopped it, under %s" % rt
        r = p.podman("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name, runtime=rt)
        eq(r.stdout.strip(), "exited 0", "stopped by SIGTERM under %s" % rt)
        r = p.podman("rm", name, runtime=rt)
        eq(r.returncode, 0, "rm under %s: %s" % (rt, r.stderr))
        eq(p.podman("ps", "-a", "-q").stdout, "", "no container left under %s" % rt)
        eq(p.state_dir(), [], "cfsrun's state dir is empty after rm")


@rootless_podman_test()
def test_rootless_podman_userns_root_limits(env, p):
    """cfsrun run by root of Podman's user namespace (`podman unshare`), as
    Podman runs it: a config with no limits runs without a cgroup; one with
    a memory limit fails naming it, and leaves nothing; --systemd-cgroup
    asks the user's systemd."""
    b = os.path.join(p.home, "bundle")
    os.makedirs(b)
    shutil.copytree(env.rootfs, os.path.join(b, "rootfs"), symlinks=True)
    c = env.config(["sh", "-c", "id -u; cat /proc/self/uid_map | wc -l"])
    c["root"] = {"path": "rootfs", "readonly": True}
    json.dump(c, open(os.path.join(b, "config.json"), "w"))
    c["linux"]["resources"] = {"memory": {"limit": 64 * 1024 * 1024}}
    json.dump(c, open(os.path.join(b, "limit.json"), "w"))
    for f in ("", "config.json", "limit.json"):
        os.chown(os.path.join(b, f), p.uid, p.gid)
    r = p.podman("unshare", p.runtime, "run", "--bundle", b, "u1")
    eq((r.returncode, r.stdout), (0, "0\n2\n"), "root of the user namespace, in the user's ranges: %s" % r.stderr)
    eq(p.state_dir(), [], "state in $XDG_RUNTIME_DIR/cfsrun, removed")
    r = p.podman("unshare", "sh", "-c", 'cp "$1/limit.json" "$1/config.json" && exec "$2" run --bundle "$1" u2', "-",
                 b, p.runtime)
    assert r.returncode != 0, r
    contains(r.stderr, "linux.resources.memory", "the error names the resource")
    contains(r.stderr, "root of a user namespace", "and who asks")
    contains(r.stderr, "no cgroup it may write", "and the reason")
    eq(p.state_dir(), [], "nothing left behind")
    for d in ("memory", "pids", "cpu"):
        assert not os.path.exists("/sys/fs/cgroup/%s/cfsrun-u2" % d), "no cgroup left"
    # Podman's --cgroup-manager=systemd passes --systemd-cgroup: that root's
    # systemd is the user's instance (there is none on this host).
    r = p.podman("unshare", p.runtime, "--systemd-cgroup", "run", "--bundle", b, "u3")
    assert r.returncode != 0, r
    contains(r.stderr, "cannot connect to systemd through the user's bus", "the user's systemd, not the host's")
    eq(p.state_dir(), [], "nothing left behind")
