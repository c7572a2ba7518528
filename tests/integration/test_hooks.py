"""The six hooks: order, namespace, state on stdin, env, args, timeout,
and what each failure does."""
import json
import os
import time

from harness import contains, eq

BUSYBOX_SH = None


def hook(env, log, name, extra=""):
    """A hook that appends NAME, its status from stdin and its mount ns."""
    sh = os.path.join(env.rootfs, "bin", "sh")
    return {"path": sh, "args": ["sh", "-c",
            "read -r s; st=$(echo \"$s\" | sed 's/.*\"status\":\"\\([a-z]*\\)\".*/\\1/'); "
            "echo %s $st $(readlink /proc/self/ns/mnt) $HOOKVAR >> %s %s" % (name, log, extra)],
            "env": ["HOOKVAR=v-%s" % name, "PATH=/bin"]}


def test_all_hooks_in_order(env):
    log = os.path.join(env.dir, "hooks.log")
    c = env.config(["true"])
    c["mounts"].append({"destination": "/log", "type": "bind", "source": env.dir, "options": ["rbind"]})
    c["hooks"] = {k: [hook(env, log, k)] for k in
                  ["prestart", "createRuntime", "createContainer", "poststart", "poststop"]}
    # startContainer runs inside the container: its path resolves there.
    c["hooks"]["startContainer"] = [{"path": "/bin/sh", "args": ["sh", "-c",
                                     "read -r s; echo startContainer $(readlink /proc/self/ns/mnt) >> /log/hooks.log"]}]
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    eq(r.rc, 0, "run: %r" % r)
    lines = [l.split() for l in open(log).read().splitlines()]
    eq([l[0] for l in lines], ["prestart", "createRuntime", "createContainer", "startContainer", "poststart",
                               "poststop"], "order")
    host_mnt = os.readlink("/proc/self/ns/mnt")
    by = {l[0]: l for l in lines}
    eq(by["prestart"][1], "created", "prestart status")
    eq(by["createRuntime"][1], "creating", "createRuntime status")
    eq(by["poststart"][1], "running", "poststart status")
    eq(by["poststop"][1], "stopped", "poststop status")
    for k in ["prestart", "createRuntime", "poststart", "poststop"]:
        eq(by[k][2], host_mnt, "%s runs in the runtime's mount namespace" % k)
        eq(by[k][3], "v-" + k, "%s gets its env" % k)
    assert by["createContainer"][2] != host_mnt, "createContainer runs in the container's mount namespace"
    eq(by["startContainer"][1], by["createContainer"][2], "startContainer too")


def test_hook_state_is_json(env):
    out = os.path.join(env.dir, "state.json")
    c = env.config(["true"])
    c["annotations"] = {"a": "b"}
    c["hooks"] = {"createRuntime": [{"path": os.path.join(env.rootfs, "bin", "sh"),
                                     "args": ["sh", "-c", "cat > %s" % out]}]}
    cid = env.new_id()
    eq(env.cfs("run", "--bundle", env.bundle(c), cid).rc, 0, "run")
    st = json.load(open(out))
    eq(st["id"], cid, "id")
    assert st["pid"] > 0, st
    eq(st["annotations"], {"a": "b"}, "annotations")


def test_failing_create_runtime_hook_aborts_create(env):
    c = env.config(["true"])
    c["hooks"] = {"createRuntime": [{"path": os.path.join(env.rootfs, "bin", "sh"),
                                     "args": ["sh", "-c", "echo broken hook >&2; exit 3"]}]}
    r = env.cfs("create", "--bundle", env.bundle(c), env.new_id())
    assert r.rc != 0, r
    contains(r.err, "hooks.createRuntime[0]")
    contains(r.err, "exited with status 3: broken hook")
    eq(os.listdir(env.root), [], "nothing left")


def test_missing_hook_binary(env):
    c = env.config(["true"])
    c["hooks"] = {"prestart": [{"path": "/no/such/hook"}]}
    r = env.cfs("create", "--bundle", env.bundle(c), env.new_id())
    assert r.rc != 0, r
    contains(r.err, "/no/such/hook")
    eq(os.listdir(env.root), [], "nothing left")


def test_hook_timeout(env):
    c = env.config(["true"])
    c["hooks"] = {"createContainer": [{"path": os.path.join(env.rootfs, "bin", "sleep"), "args": ["sleep", "30"],
                                       "timeout": 1}]}
    t0 = time.time()
    r = env.cfs("create", "--bundle", env.bundle(c), env.new_id())
    assert r.rc != 0, r
    assert time.time() - t0 < 10, "the timeout was not honoured"
    contains(r.err, "killed after its timeout of 1 s")
    eq(os.listdir(env.root), [], "nothing left")


def test_failing_start_container_hook_fails_start(env):
    c = env.config(["true"])
    c["hooks"] = {"startContainer": [{"path": "/bin/false"}]}
    cid = env.new_id()
    eq(env.cfs("create", "--bundle", env.bundle(c), cid).rc, 0, "create")
    r = env.cfs("start", cid)
    assert r.rc != 0, r
    contains(r.err, "hooks.startContainer[0]")
    env.wait_status(cid, "stopped")
    eq(env.cfs("delete", cid).rc, 0, "delete")


def test_failing_start_container_hook_fails_run(env):
    """`run` has no start.sock: the error comes back over the sync socket."""
    c = env.config(["true"])
    c["hooks"] = {"startContainer": [{"path": "/bin/false"}]}
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    eq(r.rc, 1, "run: %r" % r)
    contains(r.err, "hooks.startContainer[0]")
    eq(os.listdir(env.root), [], "nothing left")


def test_long_start_container_error_reaches_run_whole(env):
    """An error longer than a page still comes back whole over run's
    message socket (each read has room for the largest message)."""
    long_path = "/no-such-dir/" + "d" * 200 + "/" + "/".join(["x" * 200] * 19) + "/hook"
    c = env.config(["true"])
    c["hooks"] = {"startContainer": [{"path": long_path}]}
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    eq(r.rc, 1, "run: %r" % r)
    assert len(r.err) > 4096, len(r.err)
    contains(r.err, long_path)
    contains(r.err, "hooks.startContainer[0]")
    eq(os.listdir(env.root), [], "nothing left")


def test_failing_poststop_hook_is_a_warning(env):
    log = os.path.join(env.dir, "after")
    c = env.config(["true"])
    c["hooks"] = {"poststop": [{"path": "/bin/false"}, {"path": os.path.join(env.rootfs, "bin", "touch"),
                                                        "args": ["touch", log]}]}
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    eq(r.rc, 0, "run succeeds: %r" % r)
    contains(r.err, "warning")
    assert os.path.exists(log), "the next poststop hook still ran"
