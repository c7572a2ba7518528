"""cfsrun exec: a new process in a running container."""
import json
import os
import time

from harness import contains, eq


def running(env, **changes):
    cid = env.new_id()
    c = env.config(["sleep", "60"], **changes)
    b = env.bundle(c)
    eq(env.cfs("run", "-d", "--bundle", b, cid).rc, 0, "run -d")
    return cid


def test_exec_exit_code_and_output(env):
    cid = running(env)
    r = env.cfs("exec", cid, "sh", "-c", "echo out; exit 5")
    eq((r.rc, r.out), (5, "out\n"), "exec: %r" % r)
    env.cfs("delete", "-f", cid)


def test_exec_joins_every_namespace(env):
    cid = running(env)
    pid = env.state(cid)["pid"]
    r = env.cfs("exec", cid, "sh", "-c", "for n in pid net ipc uts mnt cgroup; do readlink /proc/self/ns/$n; done")
    want = [os.readlink("/proc/%d/ns/%s" % (pid, n)) for n in ["pid", "net", "ipc", "uts", "mnt", "cgroup"]]
    eq(r.out.split(), want, "namespaces of the exec'd process")
    r = env.cfs("exec", cid, "sh", "-c", "echo $$; hostname; ls /")
    assert int(r.out.split()[0]) < 100, "pid in the container's pid namespace: %r" % r
    contains(r.out, "bin", "sees the container's root")
    env.cfs("delete", "-f", cid)


def test_exec_options(env):
    cid = running(env)
    r = env.cfs("exec", "--env", "X=1", "-e", "PATH=/bin", "--cwd", "/tmp", "--user", "1000:1001",
                "--additional-gids", "5,6", cid, "sh", "-c", "echo $X $PATH; pwd; id -u; id -g; id -G")
    eq(r.out.split("\n")[:5], ["1 /bin", "/tmp", "1000", "1001", "1001 5 6"], "exec options: %r" % r)
    env.cfs("delete", "-f", cid)


def test_exec_process_json(env):
    cid = running(env)
    p = {"args": ["sh", "-c", "echo $FROMJSON; pwd; exit 3"], "cwd": "/dev", "env": ["FROMJSON=yes"],
         "user": {"uid": 0, "gid": 0}}
    path = os.path.join(env.dir, "process.json")
    json.dump(p, open(path, "w"))
    r = env.cfs("exec", "--process", path, cid)
    eq((r.rc, r.out), (3, "yes\n/dev\n"), "exec -p: %r" % r)
    env.cfs("delete", "-f", cid)


def test_exec_keeps_container_security(env):
    c_seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
                 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
    cid = env.new_id()
    c = env.config(["sleep", "60"])
    c["linux"]["seccomp"] = c_seccomp
    eq(env.cfs("run", "-d", "--bundle", env.bundle(c), cid).rc, 0, "run -d")
    r = env.cfs("exec", cid, "sh", "-c", "mkdir /dev/shm/x 2>&1; grep -E 'CapBnd|NoNewPrivs' /proc/self/status")
    contains(r.out, "Operation not permitted", "the container's seccomp filter applies")
    contains(r.out, "NoNewPrivs:\t1", "no_new_privs from the config")
    bnd = int([l for l in r.out.splitlines() if l.startswith("CapBnd")][0].split()[1], 16)
    eq(bnd & (1 << 21), 0, "no CAP_SYS_ADMIN in the bounding set")
    r = env.cfs("exec", "--cap", "CAP_SYS_ADMIN", cid, "grep", "CapBnd", "/proc/self/status")
    assert int(r.out.split()[1], 16) & (1 << 21), "--cap adds a capability: %r" % r
    env.cfs("delete", "-f", cid)


def test_exec_detach_and_pid_file(env):
    cid = running(env)
    pidfile = os.path.join(env.dir, "exec.pid")
    r = env.cfs("exec", "-d", "--pid-file", pidfile, cid, "sleep", "30")
    eq(r.rc, 0, "exec -d: %r" % r)
    pid = int(open(pidfile).read())
    eq(open("/proc/%d/cmdline" % pid).read().split("\0")[0], "sleep", "the detached process runs")
    env.cfs("delete", "-f", cid)


def test_exec_errors(env):
    r = env.cfs("exec", "nosuch", "true")
    assert r.rc != 0 and "does not exist" in r.err, r
    cid = env.new_id()
    eq(env.cfs("run", "-d", "--bundle", env.bundle(env.config(["true"])), cid).rc, 0, "run -d")
    env.wait_status(cid, "stopped")
    r = env.cfs("exec", cid, "true")
    assert r.rc != 0 and "it is stopped" in r.err, r
    env.cfs("delete", "-f", cid)
    cid = running(env)
    r = env.cfs("exec", cid, "/no/such/binary")
    assert r.rc != 0 and "/no/such/binary" in r.err, r
    r = env.cfs("exec", cid)
    assert r.rc != 0 and "give a command" in r.err, r
    r = env.cfs("exec", "--user", "abc", cid, "true")
    assert r.rc != 0 and "--user" in r.err, r
    env.cfs("delete", "-f", cid)


def test_exec_into_created_container(env):
    cid = env.new_id()
    eq(env.cfs("create", "--bundle", env.bundle(env.config(["sleep", "60"])), cid).rc, 0, "create")
    r = env.cfs("exec", cid, "echo", "early")
    eq((r.rc, r.out), (0, "early\n"), "exec before start")
    eq(env.state(cid)["status"], "created", "still created")
    env.cfs("delete", "-f", cid)
