"""The systemd cgroup driver against a real systemd.  No systemd runs on
these hosts, so each test boots one: Debian's systemd as PID 1 of a
container that cfsrun itself runs, on the host's /usr and /etc (read-only),
with the host's cgroup layout (hybrid here) delegated read-write inside a
cgroup namespace.  cfsrun --systemd-cgroup then runs, inside that
container, a busybox container through it."""
import json
import os
import pwd
import shutil
import subprocess
import time

from harness import CFSRUN, Skip, contains, copy_cfsrun, eq, sh, with_fixture
from host_container import HostContainer

SYSTEMD = "/lib/systemd/systemd"


class Systemd(HostContainer):
    """A booted systemd; `cfs` runs cfsrun --systemd-cgroup inside it."""

    def __init__(self, env, unified=False):
        if not os.path.exists(SYSTEMD) or shutil.which("systemctl") is None:
            raise Skip("systemd is not installed")
        # sockets.target: enough for the manager and its bus, none of the
        # host's services.
        args = [SYSTEMD, "--unit=sockets.target", "--log-target=console", "--show-status=no"]
        if unified:
            # The host's cgroup2 half alone at /sys/fs/cgroup: a unified host.
            args = ["sh", "-c", "mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec " + " ".join(args)]
        super().__init__(env, args, env_vars=["container=cfsrun"], flags=["--systemd-cgroup"],
                         cgroup_mount=not unified)
        self.wait_running()

    def wait_running(self):
        deadline = time.time() + 30
        while time.time() < deadline:
            r = self.sh("systemctl", "is-system-running")
            if r.out.strip() in ("running", "degraded"):
                return
            time.sleep(0.1)
        raise AssertionError("systemd did not come up: %r" % (r,))

    def show(self, unit, *props):
        r = self.sh("systemctl", "show", unit, *["-p" + p for p in props])
        return dict(l.split("=", 1) for l in r.out.splitlines() if "=" in l)

with_systemd = with_fixture(Systemd)


def nested(env, args, **linux):
    cfg = env.config(args)
    cfg["linux"].update(linux)
    return env.bundle(cfg)


@with_systemd
def test_systemd_scope_limits_update_pause_delete(env, s):
    cid = env.new_id()
    unit = "cfsrun-test-%s.scope" % cid
    b = nested(env, ["sleep", "300"], cgroupsPath="system.slice:cfsrun-test:" + cid,
               resources={"memory": {"limit": 64 << 20}, "pids": {"limit": 42},
                          "devices": [{"allow": False, "access": "rwm"}]})
    r = s.cfs("create", "-b", b, cid)
    eq(r.rc, 0, "create through systemd: %r" % r)
    p = s.show(unit, "ActiveState", "ControlGroup", "MemoryLimit", "TasksMax", "Delegate", "DevicePolicy")
    eq(p.get("ActiveState"), "active", "the scope is active")
    eq(p.get("ControlGroup"), "/system.slice/" + unit, "its cgroup")
    eq((p.get("MemoryLimit"), p.get("TasksMax")), (str(64 << 20), "42"), "limits given to systemd")
    eq((p.get("Delegate"), p.get("DevicePolicy")), ("yes", "strict"), "delegated, devices strict")
    pid = json.loads(s.cfs("state", cid).out)["pid"]
    r = s.sh("cat", "/proc/%d/cgroup" % pid)
    contains(r.out, "name=systemd:/system.slice/" + unit, "the init is in the scope")
    contains(r.out, "memory:/system.slice/" + unit, "and in its memory cgroup")
    contains(r.out, "freezer:/system.slice/" + unit, "and in cfsrun's own freezer one")
    r = s.sh("cat", "/sys/fs/cgroup/memory/system.slice/%s/memory.limit_in_bytes" % unit,
             "/sys/fs/cgroup/pids/system.slice/%s/pids.max" % unit)
    eq(r.out.split(), [str(64 << 20), "42"], "the limits in the cgroup files")
    eq(s.cfs("start", cid).rc, 0, "start")
    r = s.cfs("update", "--memory", "128M", "--pids-limit", "50", cid)
    eq(r.rc, 0, "update: %r" % r)
    p = s.show(unit, "MemoryLimit", "TasksMax")
    eq((p.get("MemoryLimit"), p.get("TasksMax")), (str(128 << 20), "50"), "systemd has the new limits")
    r = s.sh("cat", "/sys/fs/cgroup/memory/system.slice/%s/memory.limit_in_bytes" % unit)
    eq(r.out.strip(), str(128 << 20), "and so do the files")
    eq(s.cfs("pause", cid).rc, 0, "pause")
    eq(json.loads(s.cfs("state", cid).out)["status"], "paused", "paused")
    eq(s.cfs("resume", cid).rc, 0, "resume")
    r = s.cfs("ps", cid)
    contains(r.out, "sleep 300", "ps lists the process")
    r = s.cfs("delete", "-f", cid)
    eq(r.rc, 0, "delete -f: %r" % r)
    r = s.sh("systemctl", "status", unit)
    contains(r.out + r.err, "could not be found", "the scope is gone")
    eq(s.cgroup_dirs("/system.slice/" + unit), [], "no cgroup of it left in any hierarchy")
    eq(s.sh("ls", "/run/cfsrun-test").out, "", "no state left")


@with_systemd
def test_systemd_default_scope_run(env, s):
    cid = env.new_id()
    unit = "cfsrun-%s.scope" % cid
    # No cgroup namespace: the program sees its place in the host's tree.
    cfg = env.config(["sh", "-c", "cat /proc/self/cgroup; exit 3"])
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "cgroup"]
    r = s.cfs("run", "-b", env.bundle(cfg), cid)
    eq(r.rc, 3, "the exit code passes through: %r" % r)
    contains(r.out, "pids:/system.slice/" + unit, "default slice system.slice, unit cfsrun-ID.scope")
    r = s.sh("systemctl", "status", unit)
    contains(r.out + r.err, "could not be found", "the scope ended with the container")
    eq(s.cgroup_dirs("/system.slice/" + unit), [], "no cgroup left")


@with_systemd
def test_systemd_bad_cgroups_path(env, s):
    for path, why in (("a:b", "not slice:prefix:name"), ("system.slice:..:x", "`..`"),
                      ("nodot:p:x", "not a systemd slice name"), ("/plain/path", "not slice:prefix:name")):
        cid = env.new_id()
        r = s.cfs("run", "-b", nested(env, ["true"], cgroupsPath=path), cid)
        eq(r.rc != 0, True, "cgroupsPath %s refused" % path)
        contains(r.err, "linux.cgroupsPath", "the error names the field")
        contains(r.err, why, "and says why")
        eq(s.sh("ls", "/run/cfsrun-test").out, "", "no state left for %s" % path)
    r = s.sh("sh", "-c", "systemctl list-units --all --plain --no-legend 'cfsrun*' | wc -l")
    eq(r.out.strip(), "0", "no unit was made")


def test_systemd_driver_without_systemd(env):
    if os.path.exists("/run/systemd/private") or os.path.exists("/run/dbus/system_bus_socket"):
        raise Skip("a systemd or system bus runs on this host")
    cid = env.new_id()
    r = env.cfs("--systemd-cgroup", "run", "-b", nested(env, ["true"]), cid)
    eq(r.rc != 0, True, "refused")
    contains(r.err, "cannot connect to systemd", "the error says systemd cannot be reached")
    contains(r.err, "drop --systemd-cgroup", "and what to do")
    eq(os.listdir(env.root) if os.path.isdir(env.root) else [], [], "no state dir left")


def is_static(path):
    """An ELF file with no program interpreter (PT_INTERP) is static."""
    with open(path, "rb") as f:
        data = f.read(65536)
    phoff, phentsize, phnum = (int.from_bytes(data[32:40], "little"), int.from_bytes(data[54:56], "little"),
                               int.from_bytes(data[56:58], "little"))
    return all(int.from_bytes(data[phoff + i * phentsize:phoff + i * phentsize + 4], "little") != 3
               for i in range(phnum))


def test_static_cfsrun_hands_systemd_commands_to_its_twin(env):
    """A static cfsrun cannot load sd-bus: with --systemd-cgroup, create and
    run go to cfsrun-dynamic beside it, from the start; without the twin
    the error names it, and nothing is left."""
    if not is_static(CFSRUN):
        raise Skip("cfsrun is dynamically linked (--disable-static-binary)")
    twin = os.path.join(os.path.dirname(CFSRUN), "cfsrun-dynamic")
    eq(is_static(twin), False, "cfsrun-dynamic is dynamically linked")
    cid = env.new_id()
    r = env.cfs("--debug", "--systemd-cgroup", "run", "-b", nested(env, ["true"]), cid)
    contains(r.err, "handing the command to %s for sd-bus" % twin, "the static binary hands over")
    eq(r.err.count("handing the command"), 1, "once: the twin runs it itself")
    eq(os.listdir(env.root) if os.path.isdir(env.root) else [], [], "no state dir left")
    # A copy without its twin: the error says what is missing.
    alone = os.path.join(env.dir, "alone")
    os.makedirs(alone)
    shutil.copy2(CFSRUN, os.path.join(alone, "cfsrun"))
    r = sh([os.path.join(alone, "cfsrun"), "--root", env.root, "--systemd-cgroup", "run", "-b",
            nested(env, ["true"]), env.new_id()])
    eq(r.returncode, 1, "refused: %r" % r)
    contains(r.stderr, "needs cfsrun-dynamic", "names the twin")
    contains(r.stderr, "/libexec/cfsrun/cfsrun-dynamic", "and where it was looked for")
    eq(os.listdir(env.root) if os.path.isdir(env.root) else [], [], "no state dir left")


def test_systemd_scope_on_a_unified_host(env):
    s = Systemd(env, unified=True)
    try:
        eq(s.sh("stat", "-f", "-c", "%T", "/sys/fs/cgroup").out.strip(), "cgroup2fs", "systemd runs unified")
        cid = env.new_id()
        unit = "cfsrun-%s.scope" % cid
        b = nested(env, ["true"], resources={"devices": [{"allow": False, "access": "rwm"}]})
        r = s.cfs("create", "-b", b, cid)
        eq(r.rc, 0, "create: %r" % r)
        p = s.show(unit, "ActiveState", "ControlGroup", "DevicePolicy")
        eq((p.get("ActiveState"), p.get("ControlGroup")), ("active", "/system.slice/" + unit), "the scope")
        eq(p.get("DevicePolicy"), "strict", "v2 device policy given to systemd")
        pid = json.loads(s.cfs("state", cid).out)["pid"]
        contains(s.sh("cat", "/proc/%d/cgroup" % pid).out, "0::/system.slice/" + unit, "the init is in the scope")
        eq(s.cfs("start", cid).rc, 0, "start")
        deadline = time.time() + 10
        while json.loads(s.cfs("state", cid).out)["status"] != "stopped" and time.time() < deadline:
            time.sleep(0.05)
        eq(s.cfs("delete", cid).rc, 0, "delete")
        contains(s.sh("systemctl", "status", unit).err, "could not be found", "the scope is gone")
        eq(s.cgroup_dirs("/system.slice/" + unit), [], "no cgroup left")
    finally:
        s.done()


def test_systemd_user_manager_rootless(env):
    """An unprivileged user's cfsrun --systemd-cgroup makes its scopes in
    that user's own systemd (user@UID.service), over the user's bus."""
    if shutil.which("useradd") is None or shutil.which("setpriv") is None:
        raise Skip("no useradd or setpriv")
    user = "cfsrun-sdu%d" % (os.getpid() % 100000)
    subprocess.run(["useradd", "-M", "-s", "/bin/sh", user], capture_output=True)
    try:
        pw = pwd.getpwnam(user)
        s = Systemd(env)
        try:
            eq(s.sh("systemctl", "start", "user@%d.service" % pw.pw_uid).rc, 0, "the user's systemd starts")
            # The binary where the user can reach it, wherever the build is.
            binary = os.path.join(env.dir, "cfsrun")
            copy_cfsrun(binary)
            os.chmod(env.dir, 0o755)

            def as_user(*args):
                return s.sh("setpriv", "--reuid", str(pw.pw_uid), "--regid", str(pw.pw_gid), "--clear-groups",
                            "env", "XDG_RUNTIME_DIR=/run/user/%d" % pw.pw_uid, binary, "--systemd-cgroup", *args)

            def bundle(args, **linux):
                c = env.config(args)
                c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] not in ("cgroup",)]
                c["linux"]["namespaces"].append({"type": "user"})
                c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": pw.pw_uid, "size": 1}]
                c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": pw.pw_gid, "size": 1}]
                c["linux"].update(linux)
                return env.bundle(c)

            cid = env.new_id()
            r = as_user("run", "-b", bundle(["sh", "-c", "id -u; cat /proc/self/cgroup"]), cid)
            eq(r.rc, 0, "rootless run through the user's systemd: %r" % r)
            eq(r.out.split()[0], "0", "root in its user namespace")
            contains(r.out, "name=systemd:/user.slice/user-%d.slice/user@%d.service/user.slice/cfsrun-%s.scope"
                     % (pw.pw_uid, pw.pw_uid, cid), "a scope of the user's manager, in its user.slice")
            r = s.sh("setpriv", "--reuid", str(pw.pw_uid), "--regid", str(pw.pw_gid), "--clear-groups", "env",
                     "XDG_RUNTIME_DIR=/run/user/%d" % pw.pw_uid, "systemctl", "--user", "status", "cfsrun-%s.scope" % cid)
            contains(r.out + r.err, "could not be found", "the scope ended with the container")
            # The user's systemd delegates no memory controller on v1.
            cid = env.new_id()
            r = as_user("run", "-b", bundle(["true"], resources={"memory": {"limit": 64 << 20}}), cid)
            eq(r.rc != 0, True, "a limit the user cannot have is refused")
            contains(r.err, "linux.resources.memory", "naming it")
            eq(s.sh("ls", "/run/user/%d/cfsrun" % pw.pw_uid).out.strip(), "", "no state left")
            s.sh("systemctl", "stop", "user@%d.service" % pw.pw_uid)
        finally:
            s.done()
    finally:
        subprocess.run(["userdel", user], capture_output=True)
