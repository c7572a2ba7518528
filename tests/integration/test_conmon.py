"""conmon driving cfsrun directly, as CRI-O and Podman do: conmon runs
`cfsrun create`, the test starts the container, conmon logs its output and
writes its exit code."""
import os
import shutil
import subprocess
import time

from harness import CFSRUN, Skip, contains, eq


def test_conmon_create_start_exit(env):
    if shutil.which("conmon") is None:
        raise Skip("conmon is not installed")
    d = os.path.join(env.dir, "conmon")
    for sub in ("exit", "sock"):
        os.makedirs(os.path.join(d, sub))
    cid = env.new_id()
    b = env.bundle(env.config(["sh", "-c", "echo from-conmon; exit 3"]))
    log = os.path.join(d, "ctr.log")
    cmd = ["conmon", "--cid", cid, "--cuuid", cid, "--name", cid, "--runtime", CFSRUN, "--runtime-arg", "--root",
           "--runtime-arg", env.root, "--bundle", b, "--container-pidfile", os.path.join(d, "pid"),
           "--conmon-pidfile", os.path.join(d, "conmon.pid"), "--log-path", log, "--exit-dir",
           os.path.join(d, "exit"), "--socket-dir-path", os.path.join(d, "sock"), "--sync"]
    mon = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(500):
            if os.path.exists(os.path.join(d, "pid")):
                break
            time.sleep(0.01)
        st = env.state(cid)
        eq(st["status"], "created", "conmon's create")
        eq(int(open(os.path.join(d, "pid")).read()), st["pid"], "conmon got the pid from --pid-file")
        eq(env.cfs("start", cid).rc, 0, "start")
        mon.wait(timeout=20)
        exit_file = os.path.join(d, "exit", cid)
        eq(open(exit_file).read().strip(), "3", "conmon saw the exit code")
        contains(open(log).read(), "stdout F from-conmon", "conmon logged the output")
    finally:
        if mon.poll() is None:
            mon.kill()
            mon.wait()
        env.cfs("delete", "-f", cid)
