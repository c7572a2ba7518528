"""Memory limits at start: a container process the OOM killer kills while
cfsrun creates or starts it, or while `run` waits for it, is reported as
INIT_OOM_KILLED (from memory.oom_control or memory.events), and cfsrun's own
footprint in the container's cgroup is small enough for a 256 KiB limit."""
import glob
import json
import os
import subprocess
import time

from harness import CFSRUN, Skip, contains, eq


def need_memory_controller():
    v2 = "/sys/fs/cgroup/cgroup.controllers"
    if not os.path.isdir("/sys/fs/cgroup/memory") and not (os.path.exists(v2) and "memory" in open(v2).read()):
        raise Skip("no memory controller")


def limited(env, args, limit, **changes):
    c = env.config(args, **changes)
    c["linux"]["cgroupsPath"] = "/cfsrun-test-mem-" + env.ids[-1]
    c["linux"].setdefault("resources", {})["memory"] = {"limit": limit}
    return env.bundle(c)


def no_cgroup_left(cid):
    return glob.glob("/sys/fs/cgroup/*/cfsrun-test-mem-" + cid)


def last_error(log):
    return json.loads([l for l in open(log).read().splitlines() if '"level":"error"' in l][-1])


def test_oom_during_create(env):
    """A limit far below what setting up the container takes."""
    need_memory_controller()
    cid = env.new_id()
    log = os.path.join(env.dir, "log.json")
    r = env.cfs("--log", log, "--log-format", "json", "create", "--bundle", limited(env, ["true"], 48 << 10), cid)
    eq(r.rc, 1, "create fails: %r" % r)
    contains(r.err, "the process of container `%s` was killed by the OOM killer during create: its memory limit "
             "of 48 KiB (linux.resources.memory.limit) is too small for it" % cid, "the cause")
    eq(r.err.count("cfsrun:"), 1, "one message")
    e = last_error(log)
    eq((e["code"], e["path"]), ("INIT_OOM_KILLED", "linux.resources.memory.limit"), "code and field")
    eq(no_cgroup_left(cid), [], "cgroup removed")


def test_oom_during_start(env):
    """exec copies the program's arguments into the new process: 1.2 MB of
    them do not fit a 512 KiB limit, which the set-up itself fits."""
    need_memory_controller()
    cid = env.new_id()
    b = limited(env, ["/bin/true"] + ["a" * 100000] * 12, 512 << 10)
    eq(env.cfs("create", "--bundle", b, cid).rc, 0, "create fits the limit")
    log = os.path.join(env.dir, "log.json")
    r = env.cfs("--log", log, "--log-format", "json", "start", cid)
    eq(r.rc, 1, "start fails: %r" % r)
    contains(r.err, "killed by the OOM killer during start: its memory limit of 512 KiB", "the cause")
    eq(last_error(log)["code"], "INIT_OOM_KILLED", "code")
    eq(env.state(cid)["status"], "stopped", "the container stopped")
    eq(env.cfs("delete", cid).rc, 0, "delete")
    eq(no_cgroup_left(cid), [], "cgroup removed")


def test_oom_while_run_waits(env):
    """A program that allocates far more than its limit at once: `run`
    keeps its status (137) and says why it died."""
    need_memory_controller()
    cid = env.new_id()
    log = os.path.join(env.dir, "log.json")
    b = limited(env, ["sh", "-c", "x=$(head -c 16000000 /dev/zero | tr '\\0' a); echo survived"], 4 << 20)
    r = env.cfs("--log", log, "--log-format", "json", "run", "--bundle", b, cid)
    eq(r.rc, 137, "the program's status: %r" % r)
    assert "survived" not in r.out, r
    contains(r.err, "the process of container `%s` was killed by the OOM killer while it ran: its memory limit "
             "of 4 MiB" % cid, "the cause")
    eq(last_error(log)["code"], "INIT_OOM_KILLED", "code")
    eq(no_cgroup_left(cid), [], "cgroup removed")


def test_sigkill_that_is_not_oom_is_not_reported_as_oom(env):
    need_memory_controller()
    cid = env.new_id()
    b = limited(env, ["sleep", "30"], 64 << 20)
    p = subprocess.Popen([CFSRUN, "--root", env.root, "run", "--bundle", b, cid], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(500):
        if '"running"' in env.cfs("state", cid).out:
            break
        time.sleep(0.01)
    eq(env.cfs("kill", cid, "KILL").rc, 0, "kill")
    out, err = p.communicate(timeout=30)
    eq(p.returncode, 137, "status of a SIGKILLed program")
    eq(err, "", "no OOM error for a plain SIGKILL")


def test_256k_memory_limit_runs_true(env):
    """cfsrun's own memory charged to the container while it starts it fits
    in 256 KiB with /bin/true (busybox) (`make bench` bisects the least)."""
    need_memory_controller()
    if "ASAN_OPTIONS" in os.environ:
        raise Skip("the sanitizer build's own memory use is not cfsrun's")
    # Page cache is charged to whoever reads a page first: read the
    # rootfs's busybox now, so the container is charged only its own use.
    with open(os.path.join(env.rootfs, "bin", "busybox"), "rb") as f:
        while f.read(1 << 20):
            pass
    for i in range(3):
        cid = env.new_id()
        r = env.cfs("run", "--bundle", limited(env, ["/bin/true"], 256 << 10), cid)
        eq(r.rc, 0, "run %d of /bin/true under a 256 KiB limit: %r" % (i, r))
        eq(no_cgroup_left(cid), [], "cgroup removed")
