"""Podman with cfsrun as its runtime: a private store and a local image
(no registry), cgroupfs, no network.  Skipped where Podman is missing."""
import glob
import os
import shutil
import subprocess

import bad_programs
from harness import CFSRUN, Skip, contains, eq, with_fixture

CONF = """[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
"""


class Podman:
    def __init__(self, env):
        if shutil.which("podman") is None or shutil.which("conmon") is None:
            raise Skip("podman or conmon is not installed")
        if "ASAN_OPTIONS" in os.environ:
            # Podman does not pass ASAN_OPTIONS on to the runtime it starts.
            raise Skip("not under the sanitizer build")
        self.dir = os.path.join(env.dir, "podman")
        os.makedirs(self.dir)
        self.conf = os.path.join(self.dir, "containers.conf")
        open(self.conf, "w").write(CONF)
        tar = os.path.join(self.dir, "rootfs.tar")
        subprocess.run(["tar", "-C", env.rootfs, "-cf", tar, "."], check=True)
        r = self.run("import", tar, "localhost/cfsrun-test-busybox")
        assert r.returncode == 0, r.stderr

    def run(self, *args, timeout=60, **kw):
        cmd = ["podman", "--root", os.path.join(self.dir, "storage"), "--runroot", os.path.join(self.dir, "run"),
               "--runtime", CFSRUN, "--cgroup-manager=cgroupfs", "--events-backend=file"] + list(args)
        env = dict(os.environ, CONTAINERS_CONF=self.conf)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                              stdin=kw.pop("stdin", subprocess.DEVNULL), **kw)

    def done(self):
        self.run("rm", "-a", "-f")
        self.run("system", "reset", "-f")
        subprocess.run(["umount", "-R", os.path.join(self.dir, "storage")], capture_output=True)
        # Podman's own cgroups for conmon (the containers' are cfsrun's and
        # already gone); removed when empty.
        for d in glob.glob("/sys/fs/cgroup/*/libpod_parent/conmon") + glob.glob("/sys/fs/cgroup/*/libpod_parent"):
            try:
                os.rmdir(d)
            except OSError:
                pass


with_podman = with_fixture(Podman)


IMG = "localhost/cfsrun-test-busybox"


@with_podman
def test_podman_run_rm(env, p):
    r = p.run("run", "--rm", "--network=none", IMG, "echo", "hi")
    eq((r.returncode, r.stdout), (0, "hi\n"), "podman run: %s" % r.stderr)
    r = p.run("run", "--rm", "--network=none", IMG, "sh", "-c", "exit 7")
    eq(r.returncode, 7, "exit code")


@with_podman
def test_podman_detach_exec_stop_rm(env, p):
    r = p.run("run", "-d", "--name", "pt1", "--network=none", "--memory", "64m", "--pids-limit", "42", IMG,
              "sleep", "300")
    eq(r.returncode, 0, "run -d: %s" % r.stderr)
    r = p.run("exec", "pt1", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/pids/pids.max")
    eq(r.stdout.split(), [str(64 * 1024 * 1024), "42"], "limits through podman: %s" % r.stderr)
    r = p.run("inspect", "pt1", "--format", "{{.OCIRuntime}}")
    eq(r.stdout.strip(), CFSRUN, "inspect names cfsrun")
    r = p.run("top", "pt1")
    contains(r.stdout, "sleep 300", "podman top")
    eq(p.run("pause", "pt1").returncode, 0, "pause")
    eq(p.run("inspect", "pt1", "--format", "{{.State.Status}}").stdout.strip(), "paused", "paused")
    eq(p.run("unpause", "pt1").returncode, 0, "unpause")
    eq(p.run("stop", "-t", "1", "pt1").returncode, 0, "stop")
    eq(p.run("rm", "pt1").returncode, 0, "rm")


@with_podman
def test_podman_security_options(env, p):
    r = p.run("run", "--rm", "--network=none", "--user", "1000", "--read-only", "--cap-drop", "all", IMG, "sh", "-c",
              "id -u; touch /x 2>&1; grep CapEff /proc/self/status")
    lines = r.stdout.splitlines()
    eq(lines[0], "1000", "--user: %s" % r.stderr)
    contains(lines[1], "Read-only file system", "--read-only")
    eq(lines[2].split(), ["CapEff:", "0000000000000000"], "--cap-drop all")


@with_podman
def test_podman_kill(env, p):
    eq(p.run("run", "-d", "--name", "pk", "--network=none", IMG, "sleep", "300").returncode, 0, "run -d")
    r = p.run("kill", "pk")
    eq(r.returncode, 0, "kill: %s" % r.stderr)
    r = p.run("wait", "pk")
    eq(r.stdout.strip(), "137", "killed by SIGKILL: %s" % r.stderr)
    p.run("rm", "pk")


@with_podman
def test_podman_missing_command_error(env, p):
    r = p.run("run", "--rm", "--network=none", IMG, "/no/such/cmd")
    assert r.returncode != 0, r
    contains(r.stderr, "/no/such/cmd", "the cause reaches the Podman user")


@with_podman
def test_podman_exec_causes_reach_the_user(env, p):
    d = os.path.join(env.dir, "bad")
    os.makedirs(d)
    for name, words in bad_programs.write(d):
        r = p.run("run", "--rm", "--network=none", "-v", d + ":/bad:ro", IMG, "/bad/" + name)
        assert r.returncode != 0, r
        for w in words:
            contains(r.stderr, w, "podman run /bad/%s: the cause reaches the user" % name)


@with_podman
def test_podman_tty(env, p):
    if shutil.which("script") is None:
        raise Skip("no script(1)")
    cmd = " ".join(["podman", "--root", os.path.join(p.dir, "storage"), "--runroot", os.path.join(p.dir, "run"),
                    "--runtime", CFSRUN, "--cgroup-manager=cgroupfs", "--events-backend=file", "run", "--rm", "-it",
                    "--network=none", IMG, "sh", "-c", "'sleep 1; tty; exit 3'"])
    r = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, CONTAINERS_CONF=p.conf), stdin=subprocess.DEVNULL)
    contains(r.stdout, "/dev/pts/0", "podman run -it gets a terminal")
    eq(r.returncode, 3, "exit code")
