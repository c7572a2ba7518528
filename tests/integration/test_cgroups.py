"""cgroups on this host's layout: limits read back from the cgroup files,
update, pause/resume, ps, events, kill --all, and cleanup."""
import glob
import json
import os
import time

import subprocess

from harness import CFSRUN, Skip, contains, eq


def cg(env, cid, controller, f):
    """The value of F in the container's cgroup of CONTROLLER."""
    path = "/sys/fs/cgroup/%s/cfsrun-%s/%s" % (controller, cid, f)
    return open(path).read().strip()


def running(env, **linux):
    cid = env.new_id()
    c = env.config(["sleep", "60"])
    c["linux"].update(linux)
    eq(env.cfs("run", "-d", "--bundle", env.bundle(c), cid).rc, 0, "run -d")
    return cid


def test_memory_and_pids_limits(env):
    cid = running(env, resources={"memory": {"limit": 64 * 1024 * 1024}, "pids": {"limit": 42},
                                  "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0"}})
    eq(cg(env, cid, "memory", "memory.limit_in_bytes"), str(64 * 1024 * 1024), "memory limit")
    eq(cg(env, cid, "pids", "pids.max"), "42", "pids limit")
    eq(cg(env, cid, "cpu", "cpu.shares"), "512", "cpu shares")
    eq(cg(env, cid, "cpu", "cpu.cfs_quota_us"), "50000", "cpu quota")
    eq(cg(env, cid, "cpuset", "cpuset.cpus"), "0", "cpuset")
    pid = env.state(cid)["pid"]
    contains(open("/proc/%d/cgroup" % pid).read(), "memory:/cfsrun-%s" % cid, "the process is in it")
    eq(env.cfs("delete", "-f", cid).rc, 0, "delete -f")
    eq(glob.glob("/sys/fs/cgroup/*/cfsrun-%s" % cid), [], "delete removes every cgroup it made")


def test_limits_seen_from_inside(env):
    c = env.config(["sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max"])
    c["linux"]["resources"] = {"memory": {"limit": 32 * 1024 * 1024}, "pids": {"limit": 17}}
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    eq(r.out.split(), [str(32 * 1024 * 1024), "17"], "the container sees its own cgroup: %r" % r)


def test_pids_limit_is_enforced(env):
    c = env.config(["sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 5 & done 2>&1; wait; echo done"])
    c["linux"]["resources"] = {"pids": {"limit": 4}}
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    assert "fork" in r.out.lower() or "resource" in r.out.lower() or "can't" in r.out.lower(), r


def test_update(env):
    cid = running(env, resources={"memory": {"limit": 64 * 1024 * 1024}, "pids": {"limit": 42}})
    eq(env.cfs("update", "--memory", "128M", "--pids-limit", "100", "--cpu-shares", "256", cid).rc, 0, "update")
    eq(cg(env, cid, "memory", "memory.limit_in_bytes"), str(128 * 1024 * 1024), "new memory limit")
    eq(cg(env, cid, "pids", "pids.max"), "100", "new pids limit")
    eq(cg(env, cid, "cpu", "cpu.shares"), "256", "new shares")
    res = os.path.join(env.dir, "res.json")
    json.dump({"pids": {"limit": 7}}, open(res, "w"))
    eq(env.cfs("update", "-r", res, cid).rc, 0, "update -r")
    eq(cg(env, cid, "pids", "pids.max"), "7", "limit from the resources file")
    r = env.cfs("update", "--memory", "lots", cid)
    assert r.rc != 0 and "--memory `lots`" in r.err, r
    env.cfs("delete", "-f", cid)


def test_pause_resume(env):
    cid = running(env)
    eq(env.cfs("pause", cid).rc, 0, "pause")
    eq(env.state(cid)["status"], "paused", "state after pause")
    eq(cg(env, cid, "freezer", "freezer.state"), "FROZEN", "freezer")
    r = env.cfs("exec", cid, "true")
    assert r.rc != 0 and "paused" in r.err, r
    r = env.cfs("pause", cid)
    assert r.rc != 0, "pausing twice fails: %r" % r
    eq(env.cfs("resume", cid).rc, 0, "resume")
    eq(env.state(cid)["status"], "running", "state after resume")
    r = env.cfs("resume", cid)
    assert r.rc != 0 and "not paused" in r.err, r
    eq(env.cfs("pause", cid).rc, 0, "pause again")
    eq(env.cfs("delete", "-f", cid).rc, 0, "delete -f of a paused container")
    eq(glob.glob("/sys/fs/cgroup/*/cfsrun-%s" % cid), [], "cgroups removed")


def test_ps(env):
    cid = running(env)
    env.cfs("exec", "-d", cid, "sleep", "30")
    r = env.cfs("ps", "--format", "json", cid)
    pids = json.loads(r.out)
    eq(len(pids), 2, "init and the exec'd process: %r" % r)
    assert env.state(cid)["pid"] in pids
    r = env.cfs("ps", cid)
    lines = r.out.splitlines()
    contains(lines[0], "PID", "header")
    eq(len(lines), 3, "two processes: %r" % r)
    env.cfs("delete", "-f", cid)


def test_events_stats(env):
    cid = running(env, resources={"memory": {"limit": 64 * 1024 * 1024}, "pids": {"limit": 42}})
    r = env.cfs("events", "--stats", cid)
    ev = json.loads(r.out)
    eq(ev["type"], "stats", "type")
    eq(ev["id"], cid, "id")
    eq(ev["data"]["memory"]["usage"]["limit"], 64 * 1024 * 1024, "memory limit")
    assert ev["data"]["memory"]["usage"]["usage"] > 0, ev
    eq(ev["data"]["pids"]["current"], 1, "pids")
    eq(ev["data"]["pids"]["limit"], 42, "pids limit")
    assert ev["data"]["cpu"]["usage"]["total"] > 0, ev
    env.cfs("delete", "-f", cid)


def test_events_oom_as_it_happens(env):
    cid = env.new_id()
    # Waits for the go-ahead file, then grows a shell variable past the limit.
    flag = os.path.join(env.dir, "go")
    c = env.config(["sh", "-c", "while [ ! -e /go/go ]; do sleep 0.05; done; "
                                "x=$(head -c 100000000 /dev/zero | tr '\\0' a); sleep 60"])
    c["linux"]["resources"] = {"memory": {"limit": 16 << 20, "swap": 16 << 20}}
    c["mounts"].append({"destination": "/go", "type": "bind", "source": env.dir, "options": ["rbind", "ro"]})
    eq(env.cfs("run", "-d", "--bundle", env.bundle(c), cid).rc, 0, "run -d")
    out = open(os.path.join(env.dir, "events.out"), "w+")
    ev = subprocess.Popen([CFSRUN, "--root", env.root, "events", "--interval", "0.2", cid], stdout=out,
                          stderr=subprocess.STDOUT)
    try:
        # The first stats line comes after the OOM watch is registered.
        deadline = time.time() + 30
        while time.time() < deadline and '"stats"' not in (out.seek(0) or out.read()):
            time.sleep(0.02)
        open(flag, "w").close()
        deadline, lines = time.time() + 30, []
        while time.time() < deadline:
            out.seek(0)
            lines = [json.loads(l) for l in out.read().splitlines() if l.strip()]
            if any(l.get("type") == "oom" for l in lines):
                break
            time.sleep(0.05)
        eq([l for l in lines if l.get("type") == "oom"][:1], [{"type": "oom", "id": cid}],
           "an oom event, as runc's (events printed: %s)" % [l.get("type") for l in lines])
        # The notice comes as the OOM killer starts; the kill is counted after.
        kills = lambda: int(cg(env, cid, "memory", "memory.oom_control").split("oom_kill ")[1].split()[0])
        while kills() < 1 and time.time() < deadline:
            time.sleep(0.02)
        eq(kills() >= 1, True, "the kernel counted a kill")
    finally:
        ev.kill()
        ev.wait()
        out.close()
    env.cfs("delete", "-f", cid)


def test_events_stream_ends_with_the_container(env):
    cid = running(env)
    ev = subprocess.Popen([CFSRUN, "--root", env.root, "events", "--interval", "0.1", cid], stdout=subprocess.PIPE,
                          text=True)
    first = ev.stdout.readline()
    eq(json.loads(first)["type"], "stats", "stats every interval")
    env.cfs("kill", cid, "KILL")
    eq(ev.wait(timeout=10), 0, "events ends when the container stops")
    env.cfs("delete", "-f", cid)


def test_kill_all(env):
    cid = running(env)
    env.cfs("exec", "-d", cid, "sleep", "30")
    pids = json.loads(env.cfs("ps", "--format", "json", cid).out)
    eq(env.cfs("kill", "--all", cid, "KILL").rc, 0, "kill --all")
    env.wait_status(cid, "stopped")
    time.sleep(0.1)
    for p in pids:
        st = open("/proc/%d/stat" % p).read().split(") ")[1][0] if os.path.exists("/proc/%d/stat" % p) else "X"
        assert st in "ZX", "process %d survived kill --all" % p
    eq(env.cfs("delete", cid).rc, 0, "delete")


def test_exec_joins_cgroup(env):
    cid = running(env)
    r = env.cfs("exec", cid, "cat", "/proc/self/cgroup")
    contains(r.out, "pids:/", "cgroup inside: %r" % r)
    pid = env.state(cid)["pid"]
    r2 = env.cfs("exec", cid, "sh", "-c", "grep -qx $$ /sys/fs/cgroup/pids/cgroup.procs && grep -qx 1 "
                                          "/sys/fs/cgroup/pids/cgroup.procs && echo shared")
    eq(r2.out.strip(), "shared", "init and the exec'd process share the cgroup: %r" % r2)
    env.cfs("delete", "-f", cid)


def test_every_process_is_in_every_hierarchy(env):
    """The container process moves itself into its v1 cgroups (a thread
    that moves itself skips the kernel's migration lock) and is cloned into
    its cgroup2 one: from outside, the created container's process and an
    exec'd one are in the container's cgroup in every hierarchy, the v2 half
    too, and so is a createContainer hook the container process forked."""
    cid = env.new_id()
    hook_out, pid_file = os.path.join(env.dir, "hook-cgroup"), os.path.join(env.dir, "exec.pid")
    c = env.config(["sleep", "60"])
    c["hooks"] = {"createContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "cat /proc/self/cgroup > " + hook_out]}]}
    eq(env.cfs("create", "--bundle", env.bundle(c), cid).rc, 0, "create")
    hierarchies = [l for l in open("/proc/self/cgroup").read().splitlines() if l]
    try:
        pid = env.state(cid)["pid"]
        r = env.cfs("exec", "--detach", "--pid-file", pid_file, cid, "sleep", "60")
        eq(r.rc, 0, "exec -d: %r" % r)
        for who, p in (("init", pid), ("exec", int(open(pid_file).read()))):
            lines = [l for l in open("/proc/%d/cgroup" % p).read().splitlines() if l]
            eq(len(lines), len(hierarchies), "%s: a line per hierarchy" % who)
            for l in lines:
                assert l.endswith(":/cfsrun-" + cid), "%s is not in its cgroup in every hierarchy: %r" % (who, lines)
        # The hook runs in the container's cgroup namespace, rooted at its cgroup.
        hook = [l for l in open(hook_out).read().splitlines() if l]
        eq(len(hook), len(hierarchies), "hook: a line per hierarchy")
        for l in hook:
            assert l.endswith(":/"), "the hook is not in the container's cgroup: %r" % hook
    finally:
        env.cfs("delete", "-f", cid)


def test_cgroups_path(env):
    cid = env.new_id()
    c = env.config(["sleep", "60"])
    c["linux"]["cgroupsPath"] = "/cfsrun-test-%s/inner" % cid
    eq(env.cfs("run", "-d", "--bundle", env.bundle(c), cid).rc, 0, "run -d")
    pid = env.state(cid)["pid"]
    contains(open("/proc/%d/cgroup" % pid).read(), "pids:/cfsrun-test-%s/inner" % cid, "absolute cgroupsPath")
    eq(env.cfs("delete", "-f", cid).rc, 0, "delete")
    eq(glob.glob("/sys/fs/cgroup/*/cfsrun-test-%s" % cid), [], "both levels removed")


def test_cgroup_bad_input(env):
    for res, text in [({"memory": {"limit": -5}}, "linux.resources.memory.limit: -5 is negative"),
                      ({"unified": {"memory.high": "1"}}, "no cgroup v2 `memory` controller"),
                      ({"unified": {"nodot": "1"}}, "is not a cgroup v2 file name"),
                      ({"devices": [{"allow": True, "type": "x"}]}, "linux.resources.devices[0].type")]:
        c = env.config(["true"])
        c["linux"]["resources"] = res
        cid = env.new_id()
        r = env.cfs("create", "--bundle", env.bundle(c), cid)
        assert r.rc != 0 and text in r.err, (res, r)
        eq(glob.glob("/sys/fs/cgroup/*/cfsrun-%s" % cid), [], "no cgroup left for %s" % res)
    c = env.config(["true"])
    c["linux"]["cgroupsPath"] = "/a/../../b"
    r = env.cfs("create", "--bundle", env.bundle(c), env.new_id())
    assert r.rc != 0 and "must not contain `..`" in r.err, r


def test_hugetlb_on_the_v2_half(env):
    if not os.path.exists("/sys/fs/cgroup/unified/cgroup.controllers") or \
            "hugetlb" not in open("/sys/fs/cgroup/unified/cgroup.controllers").read():
        raise Skip("no hugetlb controller on a v2 half here")
    cid = running(env, resources={"hugepageLimits": [{"pageSize": "2MB", "limit": 4 * 1024 * 1024}]})
    eq(cg(env, cid, "unified", "hugetlb.2MB.max"), str(4 * 1024 * 1024), "hugetlb limit on the v2 half")
    env.cfs("delete", "-f", cid)


def test_devices_cgroup(env):
    c = env.config(["sh", "-c", "head -c1 /dev/zero >/dev/null && echo zero-ok; "
                                "cat /sys/fs/cgroup/devices/devices.list"])
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    contains(r.out, "zero-ok", "default devices are allowed")
    assert "a *:* rwm" not in r.out, "deny-all took effect: %r" % r
    contains(r.out, "c 1:5 rwm", "allow list")


def test_exec_into_sub_cgroup(env):
    cid = running(env)
    for ctrl in ("pids", "memory"):
        os.mkdir("/sys/fs/cgroup/%s/cfsrun-%s/sub" % (ctrl, cid))
    try:
        r = env.cfs("exec", "--cgroup", "sub", cid, "cat", "/proc/self/cgroup")
        contains(r.out, "pids:/sub", "exec --cgroup joins the sub-cgroup: %r" % r)
        r = env.cfs("exec", "--cgroup", "../x", cid, "true")
        assert r.rc != 0 and "without `..`" in r.err, r
        r = env.cfs("exec", "--cgroup", "missing", cid, "true")
        assert r.rc != 0 and "--cgroup `missing`" in r.err, r
    finally:
        env.cfs("kill", "--all", cid, "KILL")
        env.wait_status(cid, "stopped")
        for ctrl in ("pids", "memory"):
            d = "/sys/fs/cgroup/%s/cfsrun-%s/sub" % (ctrl, cid)
            for _ in range(200):
                try:
                    os.rmdir(d)
                    break
                except OSError:
                    time.sleep(0.01)
    eq(env.cfs("delete", "-f", cid).rc, 0, "delete")
