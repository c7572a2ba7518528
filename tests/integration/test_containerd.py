"""containerd with cfsrun through the runc shim (ctr run --runc-binary): a
private containerd (own root, state and socket under the test's dir),
stopped by its PID.  The image comes from Podman (oci-archive)."""
import os
import shutil
import subprocess
import time

import bad_programs
from harness import CFSRUN, Skip, contains, eq, with_fixture

CONFIG = """version = 2
root = "{d}/root"
state = "{d}/state"
[grpc]
  address = "{d}/containerd.sock"
[ttrpc]
  address = "{d}/containerd.sock.ttrpc"
[debug]
  address = "{d}/debug.sock"
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  disable_cgroup = true
[plugins."io.containerd.internal.v1.opt"]
  path = "{d}/opt"
"""


class Containerd:
    def __init__(self, env):
        for tool in ("containerd", "ctr", "containerd-shim-runc-v2", "podman"):
            if shutil.which(tool) is None:
                raise Skip("%s is not installed" % tool)
        if "ASAN_OPTIONS" in os.environ:
            raise Skip("not under the sanitizer build")
        self.dir = os.path.join(env.dir, "ctrd")
        os.makedirs(self.dir)
        conf = os.path.join(self.dir, "config.toml")
        open(conf, "w").write(CONFIG.format(d=self.dir))
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(["containerd", "--config", conf], stdout=self.log, stderr=self.log)
        sock = os.path.join(self.dir, "containerd.sock")
        for _ in range(500):
            if os.path.exists(sock):
                break
            time.sleep(0.01)
        self.sock = sock
        self.import_image(env)

    def import_image(self, env):
        from test_podman import Podman, IMG
        p = Podman(env)
        try:
            archive = os.path.join(self.dir, "img.tar")
            r = p.run("save", "--format", "oci-archive", "-o", archive, IMG)
            assert r.returncode == 0, r.stderr
        finally:
            p.done()
        r = self.ctr("images", "import", "--base-name", IMG, archive)
        assert r.returncode == 0, r.stderr
        self.image = IMG + ":latest"

    def ctr(self, *args, timeout=60):
        return subprocess.run(["ctr", "-a", self.sock] + list(args), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def done(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        mounts = [l.split()[4] for l in open("/proc/self/mountinfo") if self.dir in l.split()[4]]
        for m in sorted(mounts, reverse=True):
            subprocess.run(["umount", "-l", m], capture_output=True)


with_containerd = with_fixture(Containerd)


@with_containerd
def test_ctr_run_exec_ps_kill(env, c):
    r = c.ctr("run", "--rm", "--runc-binary", CFSRUN, c.image, "c1", "echo", "hi")
    eq((r.returncode, r.stdout), (0, "hi\n"), "ctr run: %s" % r.stderr)
    eq(c.ctr("run", "-d", "--runc-binary", CFSRUN, c.image, "c2", "sleep", "300").returncode, 0, "run -d")
    r = c.ctr("task", "exec", "--exec-id", "e1", "c2", "sh", "-c", "echo in-exec; exit 4")
    eq((r.returncode, r.stdout), (4, "in-exec\n"), "task exec")
    r = c.ctr("task", "ps", "c2")
    eq(len(r.stdout.splitlines()), 2, "task ps lists the init: %r" % r.stdout)
    eq(c.ctr("task", "kill", "-s", "SIGKILL", "c2").returncode, 0, "task kill")
    for _ in range(100):
        if "STOPPED" in c.ctr("task", "ls").stdout:
            break
        time.sleep(0.05)
    contains(c.ctr("task", "ls").stdout, "STOPPED", "stopped")
    c.ctr("task", "rm", "c2")
    eq(c.ctr("container", "rm", "c2").returncode, 0, "container rm")


@with_containerd
def test_ctr_exec_causes_reach_the_user(env, c):
    d = os.path.join(env.dir, "bad")
    os.makedirs(d)
    for i, (name, words) in enumerate(bad_programs.write(d)):
        r = c.ctr("run", "--rm", "--runc-binary", CFSRUN, "--mount",
                  "type=bind,src=%s,dst=/bad,options=rbind:ro" % d, c.image, "bad%d" % i, "/bad/" + name)
        assert r.returncode != 0, r
        for w in words:
            contains(r.stderr, w, "ctr run /bad/%s: the cause reaches the user" % name)
        c.ctr("container", "rm", "bad%d" % i)


@with_containerd
def test_ctr_error_reaches_user(env, c):
    r = c.ctr("run", "--rm", "--runc-binary", CFSRUN, c.image, "c3", "/no/such/cmd")
    assert r.returncode != 0, r
    contains(r.stderr, "executable not found inside the container: `/no/such/cmd`", "cfsrun's message via the shim")
