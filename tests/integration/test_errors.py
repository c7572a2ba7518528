"""Bad input: every failure names its cause, exits non-zero and leaves
nothing behind (the harness checks the state root and mounts after each)."""
import json
import os

import bad_programs
from harness import contains, eq


def assert_clean_failure(env, r, *parts):
    assert r.rc != 0, "must fail: %r" % r
    for p in parts:
        contains(r.err, p, "error message")
    eq(r.err.count("cfsrun:"), 1, "printed once")
    if os.path.isdir(env.root):
        eq(os.listdir(env.root), [], "state root after the failure")


def test_wrong_type_names_json_path(env):
    c = env.config(["sh"])
    c["process"]["args"] = ["sh", 1]
    r = env.cfs("create", "--bundle", env.bundle(c), env.new_id())
    assert_clean_failure(env, r, "config.json: process.args[1]: expected string, got number")


def test_malformed_json(env):
    b = env.bundle(env.config(["sh"]))
    open(os.path.join(b, "config.json"), "w").write("{\"ociVersion\": ")
    r = env.cfs("create", "--bundle", b, env.new_id())
    assert_clean_failure(env, r, "config.json", "invalid JSON")


def test_missing_config(env):
    d = os.path.join(env.dir, "empty")
    os.mkdir(d)
    r = env.cfs("create", "--bundle", d, env.new_id())
    assert_clean_failure(env, r, "config.json", "No such file")


def test_missing_bundle(env):
    r = env.cfs("create", "--bundle", "/nonexistent/bundle", env.new_id())
    assert_clean_failure(env, r, "/nonexistent/bundle")


def test_missing_rootfs(env):
    c = env.config(["sh"])
    c["root"]["path"] = "/nonexistent/rootfs"
    r = env.cfs("create", "--bundle", env.bundle(c), env.new_id())
    assert_clean_failure(env, r, "root.path", "/nonexistent/rootfs")


def test_missing_executable(env):
    r = env.cfs("create", "--bundle", env.bundle(env.config(["/no/such/program"])), env.new_id())
    assert_clean_failure(env, r, "/no/such/program", "not found")


def test_executable_not_in_path(env):
    r = env.cfs("run", "--bundle", env.bundle(env.config(["nosuchcmd"])), env.new_id())
    assert_clean_failure(env, r, "`nosuchcmd` not found in $PATH")


def run_script(env, text):
    """`cfsrun run` of an executable /script.sh holding TEXT."""
    b = env.bundle(env.config(["/script.sh"]), own_rootfs=True)
    path = os.path.join(b, "rootfs", "script.sh")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)
    return env.cfs("run", "--bundle", b, env.new_id())


def test_crlf_shebang(env):
    assert_clean_failure(env, run_script(env, "#!/bin/sh\r\necho hi\r\n"), "carriage return")


def test_missing_interpreter(env):
    assert_clean_failure(env, run_script(env, "#!/usr/bin/python9\nprint(1)\n"), "/usr/bin/python9", "missing")


def test_exec_causes_named(env):
    """A missing ELF interpreter, another architecture, a CRLF #! line."""
    b = env.bundle(env.config(["true"]), own_rootfs=True)
    for name, words in bad_programs.write(os.path.join(b, "rootfs", "bin")):
        cfg = json.load(open(os.path.join(b, "config.json")))
        cfg["process"]["args"] = ["/bin/" + name]
        json.dump(cfg, open(os.path.join(b, "config.json"), "w"))
        r = env.cfs("run", "--bundle", b, env.new_id())
        assert_clean_failure(env, r, "/bin/" + name, *words)


def test_not_executable(env):
    c = env.config(["/etc/passwd"])
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    assert_clean_failure(env, r, "/etc/passwd", "Permission denied")


def test_unknown_namespace(env):
    c = env.config(["sh"])
    c["linux"]["namespaces"].append({"type": "spaceship"})
    r = env.cfs("create", "--bundle", env.bundle(c), env.new_id())
    assert_clean_failure(env, r, "unknown namespace type `spaceship`")


def test_bad_namespace_path(env):
    c = env.config(["sh"])
    c["linux"]["namespaces"] = [n if n["type"] != "network" else {"type": "network", "path": "/proc/self/ns/ipc"}
                                for n in c["linux"]["namespaces"]]
    r = env.cfs("create", "--bundle", env.bundle(c), env.new_id())
    assert_clean_failure(env, r, "another type of namespace", "/proc/self/ns/ipc")


def test_unknown_capability(env):
    c = env.config(["sh"])
    c["process"]["capabilities"]["bounding"].append("CAP_TELEPORT")
    r = env.cfs("create", "--bundle", env.bundle(c), env.new_id())
    assert_clean_failure(env, r, "unknown capability `CAP_TELEPORT`")


def test_rlimit_above_hard_limit(env):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    c = env.config(["true"])
    c["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": hard + 1000, "hard": hard + 1000}]
    r = env.cfs("create", "--bundle", env.bundle(c), env.new_id())
    if r.rc == 0:
        env.cfs("delete", "-f", env.ids[-1])
        from harness import Skip
        raise Skip("this host lets root raise RLIMIT_NOFILE past its hard limit")
    assert_clean_failure(env, r, "RLIMIT_NOFILE", str(hard + 1000), str(hard))


def test_mount_failure_cleans_up(env):
    c = env.config(["true"])
    c["mounts"].append({"destination": "/mnt", "type": "nosuchfs", "source": "none"})
    r = env.cfs("create", "--bundle", env.bundle(c), env.new_id())
    assert_clean_failure(env, r, "mounts[", "nosuchfs", "/mnt")


def test_invalid_ids(env):
    b = env.bundle(env.config(["true"]))
    for bad in ["a/b", "..", "x y"]:
        r = env.cfs("create", "--bundle", b, bad)
        assert_clean_failure(env, r, "container id")


def test_unknown_id(env):
    for cmd in [["state"], ["start"], ["kill"], ["delete"]]:
        r = env.cfs(*(cmd + ["nosuchcontainer"]))
        assert r.rc != 0 and "container `nosuchcontainer` does not exist" in r.err, (cmd, r)
    eq(env.cfs("delete", "--force", "nosuchcontainer").rc, 0, "delete --force of an unknown id")


def test_usage_errors(env):
    for args, part in [(["create"], "missing container id"), (["bogus"], "unknown command `bogus`"),
                       (["create", "--nope", "x"], "unknown option `--nope`"), (["--nope"], "unknown global option"),
                       (["--log-format", "xml", "list"], "--log-format")]:
        r = env.cfs(*args)
        assert r.rc != 0 and part in r.err, (args, r)


def test_json_log(env):
    log = os.path.join(env.dir, "log.json")
    c = env.config(["sh"])
    c["process"]["args"] = ["sh", 1]
    r = env.cfs("--log", log, "--log-format", "json", "create", "--bundle", env.bundle(c), env.new_id())
    assert r.rc != 0
    line = json.loads(open(log).read().splitlines()[-1])
    eq(line["level"], "error", "level")
    eq(line["code"], "CONFIG_INVALID", "code")
    eq(line["path"], "process.args[1]", "path")
    contains(line["msg"], "expected string, got number", "msg")
    assert "time" in line


def test_terminal_without_console_socket(env):
    c = env.config(["sh"])
    c["process"]["terminal"] = True
    r = env.cfs("create", "--bundle", env.bundle(c), env.new_id())
    assert_clean_failure(env, r, "process.terminal", "--console-socket")
