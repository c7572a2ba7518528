"""The lifecycle of runtime.md, seen from outside: create, start, state,
kill, delete, run, list, and the operations each state refuses."""
import glob
import json
import os
import signal
import subprocess
import time

from harness import CFSRUN, Skip, contains, eq


def marker_config(env, marker_dir):
    """A container whose program leaves a file in a host dir, then sleeps."""
    c = env.config(["sh", "-c", "touch /out/started; exec sleep 60"])
    c["mounts"].append({"destination": "/out", "type": "bind", "source": marker_dir, "options": ["rbind"]})
    return c


def test_create_start_kill_delete(env):
    out = os.path.join(env.dir, "out")
    os.mkdir(out)
    cid = env.new_id()
    b = env.bundle(marker_config(env, out))
    r = env.cfs("create", "--bundle", b, cid)
    eq(r.rc, 0, "create: %r" % r)
    st = env.state(cid)
    eq(st["status"], "created", "status after create")
    eq(st["id"], cid, "id")
    eq(st["bundle"], b, "bundle")
    assert st["pid"] > 0 and os.path.exists("/proc/%d" % st["pid"]), st
    assert st["ociVersion"].startswith("1."), st
    assert not os.path.exists(os.path.join(out, "started")), "the program ran before start"
    eq(env.cfs("start", cid).rc, 0, "start")
    end = time.time() + 5
    while not os.path.exists(os.path.join(out, "started")) and time.time() < end:
        time.sleep(0.01)
    assert os.path.exists(os.path.join(out, "started")), "the program did not run after start"
    eq(env.state(cid)["status"], "running", "status after start")
    r = env.cfs("start", cid)
    assert r.rc != 0 and "not created" in r.err, "second start must fail: %r" % r
    r = env.cfs("delete", cid)
    assert r.rc != 0 and "not stopped" in r.err, "delete of a running container must fail: %r" % r
    eq(env.state(cid)["status"], "running", "a refused delete has no effect")
    eq(env.cfs("kill", cid, "KILL").rc, 0, "kill")
    env.wait_status(cid, "stopped")
    r = env.cfs("kill", cid)
    assert r.rc != 0 and "stopped" in r.err, "kill of a stopped container must fail: %r" % r
    eq(env.cfs("delete", cid).rc, 0, "delete")
    r = env.cfs("state", cid)
    assert r.rc != 0 and "does not exist" in r.err, r


def test_delete_of_created_fails_without_force(env):
    cid = env.new_id()
    b = env.bundle(env.config(["true"]))
    eq(env.cfs("create", "--bundle", b, cid).rc, 0, "create")
    pid = env.state(cid)["pid"]
    r = env.cfs("delete", cid)
    assert r.rc != 0 and "created" in r.err, r
    eq(env.cfs("delete", "--force", cid).rc, 0, "delete --force")
    assert not os.path.exists("/proc/%d/cmdline" % pid) or open("/proc/%d/stat" % pid).read().split(") ")[1][0] in "ZX"
    eq(env.cfs("delete", "--force", cid).rc, 0, "delete --force of a deleted container succeeds")


def test_kill_default_signal_is_term(env):
    cid = env.new_id()
    c = env.config(["sh", "-c", "trap 'exit 42' TERM; while true; do sleep 0.05; done"])
    b = env.bundle(c)
    eq(env.cfs("run", "--detach", "--bundle", b, cid).rc, 0, "run -d")
    time.sleep(0.2)
    eq(env.cfs("kill", cid).rc, 0, "kill")
    env.wait_status(cid, "stopped")
    eq(env.cfs("delete", cid).rc, 0, "delete")


def test_kill_signal_forms(env):
    cid = env.new_id()
    b = env.bundle(env.config(["sleep", "60"]))
    eq(env.cfs("create", "--bundle", b, cid).rc, 0, "create")
    eq(env.cfs("start", cid).rc, 0, "start")
    for sig in ["SIGCONT", "cont", "18", "CONT"]:
        eq(env.cfs("kill", cid, sig).rc, 0, "kill " + sig)
    r = env.cfs("kill", cid, "SIGBOGUS")
    assert r.rc != 0 and "unknown signal `SIGBOGUS`" in r.err, r
    eq(env.state(cid)["status"], "running", "a bad signal has no effect")
    eq(env.cfs("kill", cid, "9").rc, 0, "kill 9")
    env.wait_status(cid, "stopped")
    eq(env.cfs("delete", cid).rc, 0, "delete")


def test_run_exit_codes(env):
    eq(env.run(["true"]).rc, 0, "true")
    eq(env.run(["sh", "-c", "exit 7"]).rc, 7, "exit 7")



def start_foreground(env, args):
    """`cfsrun run` in the background of the test, waiting until it runs."""
    cid = env.new_id()
    b = env.bundle(env.config(args))
    p = subprocess.Popen([CFSRUN, "--root", env.root, "run", "--bundle", b, cid], stdin=subprocess.DEVNULL)
    end = time.time() + 10
    while time.time() < end:
        r = env.cfs("state", cid)
        if r.rc == 0 and json.loads(r.out)["status"] == "running":
            return cid, p
        time.sleep(0.02)
    p.kill()
    raise AssertionError("container did not start")


def test_run_killed_exit_code(env):
    cid, p = start_foreground(env, ["sleep", "60"])
    eq(env.cfs("kill", cid, "KILL").rc, 0, "kill")
    eq(p.wait(timeout=10), 137, "exit code of a container killed by SIGKILL")


def test_run_forwards_signals(env):
    cid, p = start_foreground(env, ["sh", "-c", "trap 'exit 42' TERM; while true; do sleep 0.05; done"])
    time.sleep(0.2)
    p.send_signal(signal.SIGTERM)
    eq(p.wait(timeout=10), 42, "SIGTERM to `cfsrun run` reaches the container")


def test_run_removes_container(env):
    r = env.run(["echo", "hi"])
    eq(r.out, "hi\n", "output")
    eq(os.listdir(env.root), [], "state root after run")


def test_run_detach_then_delete(env):
    cid = env.new_id()
    b = env.bundle(env.config(["sleep", "60"]))
    r = env.cfs("run", "-d", "--bundle", b, cid)
    eq(r.rc, 0, "run -d: %r" % r)
    eq(env.state(cid)["status"], "running", "status")
    # The process went straight on to exec: nothing waits for a `start`.
    eq(os.path.exists(os.path.join(env.root, cid, "start.sock")), False, "start.sock")
    r = env.cfs("start", cid)
    eq(r.rc, 1, "start of a running container: %r" % r)
    contains(r.err, "it is running, not created")
    eq(env.cfs("delete", "-f", cid).rc, 0, "delete -f")
    eq(os.listdir(env.root), [], "state root")


def test_pid_file(env):
    cid = env.new_id()
    pidfile = os.path.join(env.dir, "pid")
    b = env.bundle(env.config(["sleep", "60"]))
    eq(env.cfs("create", "--pid-file", pidfile, "--bundle", b, cid).rc, 0, "create")
    eq(int(open(pidfile).read()), env.state(cid)["pid"], "pid file holds the container pid")
    eq(env.cfs("delete", "-f", cid).rc, 0, "delete")


def test_list(env):
    ids = []
    for _ in range(2):
        cid = env.new_id()
        ids.append(cid)
        eq(env.cfs("create", "--bundle", env.bundle(env.config(["true"])), cid).rc, 0, "create")
    r = env.cfs("list", "-q")
    eq(r.out.split(), sorted(ids), "list -q")
    r = env.cfs("list", "--format", "json")
    items = json.loads(r.out)
    eq(sorted(i["id"] for i in items), sorted(ids), "list json ids")
    assert all(i["status"] == "created" and i["pid"] > 0 for i in items), items
    r = env.cfs("list")
    contains(r.out.splitlines()[0], "STATUS", "table header")
    eq(len(r.out.splitlines()), 3, "table rows")
    for cid in ids:
        eq(env.cfs("delete", "-f", cid).rc, 0, "delete")
    eq(env.cfs("list", "--format", "json").out.strip(), "[]", "empty list")


def test_list_quiet_reads_no_state(env):
    """list -q names the containers that have a record without reading
    one: a record that cannot be decoded is still named (the full list,
    which must decode it, leaves it out), and a directory with no record
    is not a container."""
    ids = sorted(env.new_id() for _ in range(2))
    for cid in ids:
        eq(env.cfs("create", "--bundle", env.bundle(env.config(["true"])), cid).rc, 0, "create")
    record = os.path.join(env.root, ids[1], "state.json")
    good = open(record).read()
    os.mkdir(os.path.join(env.root, "not-a-container"))
    try:
        open(record, "w").write("{")
        eq(env.cfs("list", "-q").out.split(), ids, "list -q: both, the broken record unread")
        eq([i["id"] for i in json.loads(env.cfs("list", "--format", "json").out)], ids[:1],
           "the full list skips the record it cannot decode")
    finally:
        open(record, "w").write(good)
        os.rmdir(os.path.join(env.root, "not-a-container"))
    for cid in ids:
        eq(env.cfs("delete", "-f", cid).rc, 0, "delete")


def test_same_id_twice(env):
    cid = env.new_id()
    b = env.bundle(env.config(["sleep", "60"]))
    eq(env.cfs("create", "--bundle", b, cid).rc, 0, "create")
    r = env.cfs("create", "--bundle", b, cid)
    assert r.rc != 0 and "already exists" in r.err, r
    eq(env.state(cid)["status"], "created", "the first container is untouched")
    eq(env.cfs("delete", "-f", cid).rc, 0, "delete")


def test_state_of_exited_container_is_stopped(env):
    cid = env.new_id()
    b = env.bundle(env.config(["true"]))
    eq(env.cfs("run", "-d", "--bundle", b, cid).rc, 0, "run -d")
    # The init may stay a zombie until PID 1 reaps it: that is stopped too.
    st = env.wait_status(cid, "stopped")
    eq(st["pid"], 0, "a stopped container reports pid 0")
    eq(env.cfs("delete", cid).rc, 0, "delete")


def test_delete_kills_what_outlived_an_init_without_pid_namespace(env):
    """With no pid namespace of its own, an exec'd process outlives the
    init; delete finds the cgroup busy, kills it and removes the cgroups."""
    cid = env.new_id()
    c = env.config(["sleep", "2"])
    c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]
    b = env.bundle(c)
    pidfile = os.path.join(env.dir, cid + ".exec.pid")
    eq(env.cfs("run", "-d", "--bundle", b, cid).rc, 0, "run -d")
    eq(env.cfs("exec", "-d", "--pid-file", pidfile, cid, "sleep", "60").rc, 0, "exec -d")
    pid = int(open(pidfile).read())
    env.wait_status(cid, "stopped")
    assert os.path.exists("/proc/%d" % pid), "the exec'd process outlived the init"
    eq(env.cfs("delete", cid).rc, 0, "delete")
    for _ in range(200):
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
        except FileNotFoundError:
            break
        time.sleep(0.01)
    else:
        raise AssertionError("delete left the exec'd process %d running" % pid)
    eq(glob.glob("/sys/fs/cgroup/*/cfsrun-%s" % cid), [], "cgroups removed")


def test_annotations_in_state(env):
    cid = env.new_id()
    c = env.config(["true"])
    c["annotations"] = {"org.example.key": "value"}
    eq(env.cfs("create", "--bundle", env.bundle(c), cid).rc, 0, "create")
    eq(env.state(cid).get("annotations"), {"org.example.key": "value"}, "annotations")
    eq(env.cfs("delete", "-f", cid).rc, 0, "delete")


def test_spec(env):
    d = os.path.join(env.dir, "specdir")
    os.mkdir(d)
    eq(env.cfs("spec", "--bundle", d).rc, 0, "spec")
    c = json.load(open(os.path.join(d, "config.json")))
    eq(c["process"]["args"], ["sh"], "default args")
    assert c["process"]["terminal"] is True
    assert {"type": "mount"} in c["linux"]["namespaces"]
    r = env.cfs("spec", "--bundle", d)
    assert r.rc != 0 and "will not overwrite" in r.err, r
    d2 = os.path.join(env.dir, "specdir2")
    os.mkdir(d2)
    eq(env.cfs("spec", "--rootless", "--bundle", d2).rc, 0, "spec --rootless")
    c = json.load(open(os.path.join(d2, "config.json")))
    assert {"type": "user"} in c["linux"]["namespaces"], c["linux"]["namespaces"]
    eq(c["linux"]["uidMappings"][0]["hostID"], os.geteuid(), "maps the caller")


def test_trace_names_phases(env):
    cid = env.new_id()
    b = env.bundle(env.config(["true"]))
    r = env.cfs("--trace", "run", "--bundle", b, cid)
    eq(r.rc, 0, "run: %r" % r)
    for phase in ["validate", "state", "clone", "mounts", "pivot", "process", "created"]:
        contains(r.err, "phase " + phase, "trace")


def test_recycled_pid_is_not_the_container(env):
    # Linux 6.9+: the record names the process by its pidfs inode; before
    # that (and for records without one) by its start time: check both.
    for keep_inode in (True, False):
        cid = env.new_id()
        b = env.bundle(env.config(["sleep", "60"]))
        eq(env.cfs("create", "--bundle", b, cid).rc, 0, "create")
        path = os.path.join(env.root, cid, "state.json")
        rec = json.load(open(path))
        if keep_inode and tuple(int(x) for x in os.uname().release.split(".")[:2]) >= (6, 9):
            assert rec.get("pidfsInode"), "the record has no pidfs inode: %r" % rec
        if not keep_inode:
            rec.pop("pidfsInode", None)
        # Point the record at a live process that is not the container, as
        # a recycled pid would: its inode or start time gives it away.
        time.sleep(0.1)
        sleeper = subprocess.Popen(["sleep", "60"])
        real = rec["pid"]
        rec["pid"] = sleeper.pid
        json.dump(rec, open(path, "w"))
        how = "by pidfs inode" if keep_inode else "by start time"
        try:
            eq(env.state(cid)["status"], "stopped", "%s: a pid of another process is not the container" % how)
            listed = json.loads(env.cfs("list", "--format", "json").out)
            eq([c["status"] for c in listed if c["id"] == cid], ["stopped"], "%s: list" % how)
            r = env.cfs("kill", cid, "KILL")
            assert r.rc != 0, "kill must refuse: %r" % r
            assert sleeper.poll() is None, "the unrelated process was signalled"
        finally:
            sleeper.kill()
            sleeper.wait()
            os.kill(real, signal.SIGKILL)
        eq(env.cfs("delete", cid).rc, 0, "delete")


def test_concurrent_creates_of_one_id(env):
    cid = env.new_id()
    b = env.bundle(env.config(["sleep", "60"]))
    files = [open(os.path.join(env.dir, "err%d" % i), "w+") for i in range(6)]
    # stderr to files: the winner's container process keeps it open
    procs = [subprocess.Popen([CFSRUN, "--root", env.root, "create", "--bundle", b, cid], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=f) for f in files]
    rcs = [p.wait(timeout=30) for p in procs]
    errs = []
    for f in files:
        f.seek(0)
        errs.append(f.read())
        f.close()
    eq(rcs.count(0), 1, "exactly one create wins: %r" % errs)
    assert all("already exists" in e for rc, e in zip(rcs, errs) if rc != 0), errs
    eq(env.state(cid)["status"], "created", "the winner is intact")
    eq(env.cfs("delete", "-f", cid).rc, 0, "delete")


def test_concurrent_deletes(env):
    cid = env.new_id()
    eq(env.cfs("create", "--bundle", env.bundle(env.config(["sleep", "60"])), cid).rc, 0, "create")
    procs = [subprocess.Popen([CFSRUN, "--root", env.root, "delete", "-f", cid], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(4)]
    rcs = [p.wait(timeout=30) for p in procs]
    eq(rcs, [0, 0, 0, 0], "delete --force is safe to run at once")
    eq(os.listdir(env.root), [], "state root")


def run_with_fd3(env, args, data, extra_env=None, flags=()):
    """`cfsrun run` of ARGS with a pipe holding DATA open as fd 3."""
    b = env.bundle(env.config(args))
    r_fd, w_fd = os.pipe()
    os.write(w_fd, data)
    os.close(w_fd)
    if r_fd != 3:
        os.dup2(r_fd, 3)
        os.close(r_fd)
    try:
        return subprocess.run([CFSRUN, "--root", env.root, "run"] + list(flags) + ["--bundle", b, env.new_id()],
                              capture_output=True, text=True, pass_fds=(3,), timeout=30, stdin=subprocess.DEVNULL,
                              env=dict(os.environ, **(extra_env or {})))
    finally:
        os.close(3)


def test_preserve_fds(env):
    p = run_with_fd3(env, ["sh", "-c", "ls /proc/self/fd; cat <&3"], b"through fd 3\n", flags=("--preserve-fds", "1"))
    eq(p.returncode, 0, "run: %s" % p.stderr)
    contains(p.stdout, "through fd 3", "fd 3 reaches the container")


def test_no_pivot(env):
    r = env.cfs("run", "--no-pivot", "--bundle", env.bundle(env.config(["sh", "-c", "ls /bin/busybox; echo $$"])),
                env.new_id())
    eq(r.rc, 0, "run --no-pivot: %r" % r)
    eq(r.out.split(), ["/bin/busybox", "1"], "inside the rootfs")


def test_time_and_cgroup_namespaces(env):
    c = env.config(["sh", "-c", "readlink /proc/self/ns/time; readlink /proc/self/ns/cgroup; cat /proc/self/cgroup"])
    c["linux"]["namespaces"].append({"type": "time"})
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    lines = r.out.splitlines()
    assert lines and lines[0] != os.readlink("/proc/self/ns/time"), "new time namespace: %r" % r
    assert lines[1] != os.readlink("/proc/self/ns/cgroup"), "new cgroup namespace"
    assert all(l.endswith(":/") for l in lines[2:]), "cgroup paths are rooted at the container's: %r" % lines


def test_features(env):
    r = env.cfs("features")
    eq(r.rc, 0, "features: %r" % r)
    f = json.loads(r.out)
    eq(f["ociVersionMin"], "1.0.0", "min")
    assert f["ociVersionMax"].startswith("1."), f
    eq(sorted(f["hooks"]), sorted(["prestart", "createRuntime", "createContainer", "startContainer", "poststart",
                                   "poststop"]), "hooks")
    for o in ["ro", "rbind", "rslave", "nosuid", "strictatime"]:
        assert o in f["mountOptions"], o
    eq(sorted(f["linux"]["namespaces"]), ["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"], "ns")
    assert "CAP_SYS_ADMIN" in f["linux"]["capabilities"], f["linux"]["capabilities"]
    assert "SCMP_CMP_MASKED_EQ" in f["linux"]["seccomp"]["operators"]
    assert "SCMP_ACT_NOTIFY" in f["linux"]["seccomp"]["actions"], "notify is supported"
    assert f["linux"]["apparmor"]["enabled"] is False


def test_listen_fds(env):
    p = run_with_fd3(env, ["sh", "-c", "echo $LISTEN_FDS $LISTEN_PID; cat <&3"], b"activated\n",
                     extra_env={"LISTEN_FDS": "1", "LISTEN_PID": str(os.getpid())})
    eq(p.stdout, "1 1\nactivated\n", "socket activation is passed on: %s" % p.stderr)


def test_bash_completion(env):
    comp = os.path.join(os.path.dirname(__file__), "..", "..", "contrib", "cfsrun.bash-completion")
    script = 'source %s; COMP_WORDS=(cfsrun de); COMP_CWORD=1; _cfsrun; echo "${COMPREPLY[@]}"; ' \
             'COMP_WORDS=(cfsrun delete --f); COMP_CWORD=2; _cfsrun; echo "${COMPREPLY[@]}"' % comp
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    eq(r.stdout.split("\n")[:2], ["delete", "--force"], "completion: %r" % r.stderr)


def test_check(env):
    r = env.cfs("check", "--format", "json")
    eq(r.rc, 0, "check: %r" % r)
    items = {i["name"]: i for i in json.loads(r.out)["items"]}
    mounts = [l.split() for l in open("/proc/self/mountinfo")]
    fstype = {m[4]: m[m.index("-") + 1] for m in mounts}
    want = "v2" if fstype.get("/sys/fs/cgroup") == "cgroup2" else \
        "hybrid" if fstype.get("/sys/fs/cgroup/unified") == "cgroup2" else "v1"
    assert items["cgroup layout"]["detail"].startswith(want), (want, items["cgroup layout"])
    for m in mounts:
        if m[m.index("-") + 1] == "cgroup" and m[4].startswith("/sys/fs/cgroup/"):
            contains(items["cgroup layout"]["detail"], os.path.basename(m[4]) + "=[", "hierarchy listed")
    eq(items["pidfd"]["ok"], True, "pidfd")
    eq(items["openat2"]["ok"], True, "openat2")
    eq(items["time namespace"]["ok"], os.path.exists("/proc/self/ns/time"), "time namespace")
    eq(items["cgroup.kill"]["ok"], want == "v2", "cgroup.kill only on v2")
    for name, i in items.items():
        assert i["ok"] or i.get("fix"), "%s is not ok and has no fix" % name
    r = env.cfs("check")
    contains(r.out, "cgroup layout", "text report")


def test_a_record_larger_than_the_read_buffer(env):
    """Records are read into a 16 KiB buffer when they fit: one with 48 KiB
    of annotations is read whole, by state and by list."""
    cid = env.new_id()
    ann = {"org.test.k%02d" % i: "v" * 1024 for i in range(48)}
    c = env.config(["sleep", "60"])
    c["annotations"] = ann
    eq(env.cfs("create", "--bundle", env.bundle(c), cid).rc, 0, "create")
    try:
        eq(env.state(cid)["annotations"], ann, "every annotation comes back")
        r = env.cfs("list", "--format", "json")
        eq([e["status"] for e in json.loads(r.out) if e["id"] == cid], ["created"], "list reads it: %r" % r)
    finally:
        env.cfs("delete", "-f", cid)
