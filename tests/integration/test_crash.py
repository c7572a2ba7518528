"""Crash-safe cleanup: cfsrun SIGKILLed at each phase of create, start,
exec and delete (CFSRUN_TEST_KILL_AT=WHO:PHASE), then `delete --force`,
twice, leaves no state, cgroup, mount or process; and every wait for
another process is bounded (CFSRUN_TEST_STALL_AT makes one stuck)."""
import glob
import json
import os
import time

from harness import contains, eq

# `cfsrun create`, and the container process it clones.
CREATE_PHASES = ["validate", "seal", "connect", "cgroup-plan", "state", "cgroup", "prepare", "clone", "idmaps", "oom", "cgroup-enter",
                 "hooks", "container", "created"]
CREATE_CHILD_PHASES = ["cgroup", "join", "rootfs", "mounts", "devices", "sysctl", "masks", "cwd", "hooks", "pivot",
                       "readonly", "terminal", "uts", "process"]
# `cfsrun start`, and the container process once `start` has connected.
START_PHASES = ["open", "connect", "exec", "record", "poststart"]
CHILD_START_PHASES = ["wait-start", "start-hooks", "fds", "lsm", "seccomp", "seccomp-notify"]
EXEC_PHASES = ["load", "enter", "fork", "exec", "pid-file"]
EXEC_CHILD_PHASES = ["cgroup", "join", "terminal", "process", "fds", "lsm", "seccomp"]
DELETE_PHASES = ["kill", "cgroup", "state", "poststop"]


def procs_with(marker):
    """Pids whose command line has MARKER (each case has its own)."""
    found = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if marker in open("/proc/%s/cmdline" % p, "rb").read().decode(errors="replace"):
                    found.append(int(p))
            except OSError:
                pass
    return found


def leftovers(env, cid, marker):
    left = []
    if os.path.isdir(env.root) and cid in os.listdir(env.root):
        left.append("state dir")
    left += glob.glob("/sys/fs/cgroup/*/cfsrun-" + cid) + glob.glob("/sys/fs/cgroup/*/*/" + cid)
    left += ["mount " + l.split()[4] for l in open("/proc/self/mountinfo") if env.dir in l.split()[4]]
    # A killed process takes a moment to be reaped by its parent (init).
    for _ in range(100):
        pids = procs_with(marker)
        if not pids:
            break
        time.sleep(0.02)
    left += ["process %d" % p for p in pids]
    return left


def bundle_for(env, marker, **hooks):
    c = env.config(["sh", "-c", "sleep 600; : " + marker])
    c["hooks"] = hooks or {"createRuntime": [{"path": "/bin/true"}], "startContainer": [{"path": "/bin/true"}],
                           "poststart": [{"path": "/bin/true"}], "poststop": [{"path": "/bin/true"}]}
    return env.bundle(c)


def cfs_env(env, *args, kill_at=None, stall_at=None, timeout_ms=None):
    e = dict(os.environ)
    if kill_at:
        e["CFSRUN_TEST_KILL_AT"] = kill_at
    if stall_at:
        e["CFSRUN_TEST_STALL_AT"] = stall_at
    if timeout_ms:
        e["CFSRUN_TEST_SYNC_TIMEOUT_MS"] = str(timeout_ms)
    return env.cfs(*args, env=e)


def delete_twice(env, cid):
    d1, d2 = env.cfs("delete", "--force", cid), env.cfs("delete", "--force", cid)
    return [] if d1.rc == 0 and d2.rc == 0 else ["delete --force: %r then %r" % (d1, d2)]


def each_crash_point(groups, case):
    """CASE(who, phase) for every phase of every (who, phases) of GROUPS:
    the problems each reports, with where it crashed."""
    failures = []
    for who, phases in groups:
        for phase in phases:
            problems = case(who, phase)
            if problems:
                failures.append((who, phase, problems))
    return failures


def test_crash_at_every_phase_of_create_then_delete_force(env):
    def case(who, phase):
        cid = env.new_id()
        b = bundle_for(env, cid, createRuntime=[{"path": "/bin/true"}])
        c = cfs_env(env, "create", "--bundle", b, cid, kill_at="%s:%s" % (who, phase))
        problems = ["create did not crash: %r" % c] if c.rc == 0 else []
        # Until it execs, the container process has cfsrun's command line,
        # which names the id.
        return problems + delete_twice(env, cid) + leftovers(env, cid, cid)

    failures = each_crash_point((("parent", CREATE_PHASES), ("child", CREATE_CHILD_PHASES)), case)
    eq(failures, [], "crash during create, then delete --force")


def test_crash_at_every_phase_of_start_then_delete_force(env):
    def case(who, phase):
        cid, marker = env.new_id(), "crash-start-%s-%s-%d" % (who, phase, os.getpid())
        b = bundle_for(env, marker)
        c = cfs_env(env, "create", "--bundle", b, cid, kill_at="child:" + phase if who == "child" else None)
        if c.rc != 0:
            return ["create failed: %s" % c.err]
        s = cfs_env(env, "start", cid, kill_at="start:" + phase if who == "start" else None)
        problems = []
        if who == "start" and s.rc != -9:
            problems.append("start did not die at %s: %r" % (phase, s))
        if who == "child" and env.state(cid)["status"] != "stopped":
            problems.append("the container process did not die at %s" % phase)
        return problems + delete_twice(env, cid) + leftovers(env, cid, marker)

    failures = each_crash_point((("start", START_PHASES), ("child", CHILD_START_PHASES)), case)
    eq(failures, [], "crash during start, then delete --force")


def test_crash_at_every_phase_of_exec_then_delete_force(env):
    def case(who, phase):
        cid, marker = env.new_id(), "crash-exec-%s-%s-%d" % (who, phase, os.getpid())
        r = env.cfs("run", "--detach", "--bundle", bundle_for(env, marker), cid)
        if r.rc != 0:
            return ["run failed: %s" % r.err]
        pidfile = os.path.join(env.dir, "exec-%s-%s.pid" % (who, phase))
        x = cfs_env(env, "exec", "--detach", "--pid-file", pidfile, cid, "sh", "-c",
                    "sleep 600; : %s-exec" % marker, kill_at="%s:%s" % (who, phase))
        problems = []
        if who == "exec" and x.rc != -9:
            problems.append("exec did not die at %s: %r" % (phase, x))
        if who == "exec-child" and procs_with(marker + "-exec"):
            problems.append("the exec'd process did not die at %s" % phase)
        return problems + delete_twice(env, cid) + leftovers(env, cid, marker)

    failures = each_crash_point((("exec", EXEC_PHASES), ("exec-child", EXEC_CHILD_PHASES)), case)
    eq(failures, [], "crash during exec, then delete --force")


def test_crash_at_every_phase_of_delete_then_delete_again(env):
    def case(who, phase):
        cid, marker = env.new_id(), "crash-delete-%s-%d" % (phase, os.getpid())
        r = env.cfs("run", "--detach", "--bundle", bundle_for(env, marker), cid)
        if r.rc != 0:
            return ["run failed: %s" % r.err]
        d = cfs_env(env, "delete", "--force", cid, kill_at="%s:%s" % (who, phase))
        problems = [] if d.rc == -9 else ["delete did not die at %s: %r" % (phase, d)]
        return problems + delete_twice(env, cid) + leftovers(env, cid, marker)

    failures = each_crash_point((("delete", DELETE_PHASES),), case)
    eq(failures, [], "crash during delete, then delete --force")


def json_log_error(path):
    return json.loads([l for l in open(path).read().splitlines() if '"error"' in l][-1])


def test_stuck_container_process_times_out_create(env):
    """The container process stuck in its mounts: create gives up after the
    bound, naming that process and the message it waited for, and leaves
    nothing behind."""
    cid, marker = env.new_id(), "stall-create-%d" % os.getpid()
    log = os.path.join(env.dir, "log.json")
    t0 = time.time()
    r = cfs_env(env, "--log", log, "--log-format", "json", "create", "--bundle", bundle_for(env, marker), cid,
                stall_at="child:mounts", timeout_ms=1000)
    took = time.time() - t0
    assert r.rc != 0, "create must fail: %r" % r
    contains(r.err, "the container process (pid ", "names the stuck process")
    contains(r.err, "did not answer within 1 s (waiting for `create-hooks`)", "names the wait")
    eq(json_log_error(log)["code"], "TIMEOUT", "code")
    assert took < 10, "bounded: took %.1f s" % took
    eq(leftovers(env, cid, marker), [], "nothing left after the timeout")


def test_stuck_container_process_times_out_start(env):
    cid, marker = env.new_id(), "stall-start-%d" % os.getpid()
    eq(cfs_env(env, "create", "--bundle", bundle_for(env, marker, poststop=[]), cid, stall_at="child:fds").rc, 0,
       "create")
    t0 = time.time()
    r = cfs_env(env, "start", cid, timeout_ms=1000)
    assert r.rc != 0 and time.time() - t0 < 10, r
    contains(r.err, "the process of container `%s` did not answer within 1 s (waiting for exec of the program)"
             % cid, "start names what it waited for")
    eq(delete_twice(env, cid) + leftovers(env, cid, marker), [], "delete --force cleans up after it")


def test_stuck_exec_process_times_out_exec(env):
    cid, marker = env.new_id(), "stall-exec-%d" % os.getpid()
    eq(env.cfs("run", "--detach", "--bundle", bundle_for(env, marker, poststop=[]), cid).rc, 0, "run")
    t0 = time.time()
    r = cfs_env(env, "exec", cid, "sh", "-c", ": %s-exec" % marker, stall_at="exec-child:process", timeout_ms=1000)
    assert r.rc != 0 and time.time() - t0 < 10, r
    contains(r.err, "the process exec'd into container `%s` (pid " % cid, "exec names the stuck process")
    contains(r.err, "did not answer within 1 s (waiting for its exec)", "and the wait")
    # The stuck process was killed by exec, not left in the container.
    eq(procs_with(marker + "-exec"), [], "no stuck exec process")
    eq(delete_twice(env, cid) + leftovers(env, cid, marker), [], "delete --force")


def test_stuck_lock_holder_times_out_and_is_named(env):
    """A command stuck while it holds a container's lock (here: this test
    holds it) makes the next one fail after the bound, naming the holder."""
    import fcntl
    cid, marker = env.new_id(), "stall-lock-%d" % os.getpid()
    eq(env.cfs("run", "--detach", "--bundle", bundle_for(env, marker, poststop=[]), cid).rc, 0, "run")
    fd = os.open(os.path.join(env.root, cid), os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        t0 = time.time()
        r = cfs_env(env, "delete", "--force", cid, timeout_ms=400)
        took = time.time() - t0
    finally:
        os.close(fd)
    eq(r.rc, 1, "delete fails while the lock is held: %r" % r)
    contains(r.err, "container `%s` is still locked by another cfsrun command (pid %d) after 2 s" % (cid, os.getpid()),
             "names the holder")
    assert 1.5 < took < 10, "bounded: %.1f s" % took
    eq(delete_twice(env, cid) + leftovers(env, cid, marker), [], "delete once the lock is free")
