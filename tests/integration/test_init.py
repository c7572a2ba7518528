"""The built-in init (--init, annotation run.oci.cfsrun.init): PID 1 reaps
orphans, forwards signals to the program and exits with its status, and
keeps the runtime binary out of reach; without it, PID 1 is the program."""
import hashlib
import os
import shutil
import subprocess
import tempfile
import time

from harness import CFSRUN, contains, eq

ANNOTATION = "run.oci.cfsrun.init"
# 50 orphans: each subshell exits at once, leaving its sleep to PID 1.
ORPHANS = "for i in $(seq 50); do (sleep 0.2 &) ; done"
# The state letter of every process in the container (field 3 of stat).
ZOMBIES = "cat /proc/[0-9]*/stat | awk '{print $3}' | grep -c Z"


def with_init(env, args, **changes):
    c = env.config(args, **changes)
    c["annotations"] = {ANNOTATION: "true"}
    return c


def test_init_reaps_orphans_and_keeps_the_exit_status(env):
    """The annotation: 50 orphans are reaped before the program looks, and
    run returns the program's exit code."""
    r = env.cfs("run", "--bundle", env.bundle(with_init(env, ["sh", "-c", "%s; sleep 1; echo zombies=$(%s); "
                                                                        "exit 7" % (ORPHANS, ZOMBIES)])),
                env.new_id())
    eq(r.rc, 7, "run returns the program's status: %r" % r)
    eq(r.out.strip(), "zombies=0", "no zombie left in the container")


def zombies_seen_by_exec(env, init):
    """A program that execs sleep (which reaps nothing) after leaving 50
    orphans: the zombies as a process exec'd into the container sees them."""
    cid = env.new_id()
    b = env.bundle(env.config(["sh", "-c", "%s; exec sleep 5" % ORPHANS]))
    eq(env.cfs("create", "--bundle", b, *(["--init"] if init else []) + [cid]).rc, 0, "create")
    eq(env.cfs("start", cid).rc, 0, "start")
    time.sleep(0.8)
    r = env.cfs("exec", cid, "sh", "-c", ZOMBIES + "; cat /proc/1/cmdline | tr '\\0' ' '")
    env.cfs("delete", "-f", cid)
    return r.out.split("\n", 1)


def test_init_flag_reaps_what_the_program_does_not(env):
    n, pid1 = zombies_seen_by_exec(env, init=True)
    eq(n, "0", "with --init, no zombie")
    eq(pid1.strip(), "cfsrun-init", "PID 1 is the init")
    n, pid1 = zombies_seen_by_exec(env, init=False)
    eq(n, "50", "without it, the orphans stay zombies of PID 1, the program")
    eq(pid1.strip(), "sleep 5", "without it, PID 1 is the program")


def run_in_background(env, config, *flags):
    cid = env.new_id()
    out = tempfile.TemporaryFile("w+")
    p = subprocess.Popen([CFSRUN, "--root", env.root, "run", "--bundle", env.bundle(config)] + list(flags) + [cid],
                         stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    end = time.time() + 10
    while time.time() < end and env.cfs("state", cid).rc != 0:
        time.sleep(0.02)
    env.wait_status(cid, "running")
    return cid, p, out


def finish(p, out):
    rc = p.wait(timeout=20)
    out.seek(0)
    text = out.read()
    out.close()
    return rc, text


def test_init_forwards_signals(env):
    """Signals `cfsrun kill` sends to the container's init pid reach the
    program, which traps them."""
    script = ("for s in HUP INT USR1 USR2 WINCH; do trap \"echo got-$s\" $s; done; "
              "trap 'echo got-TERM; exit 3' TERM; echo ready; while :; do sleep 0.05; done")
    cid, p, out = run_in_background(env, env.config(["sh", "-c", script]), "--init")
    time.sleep(0.3)
    for sig in ("HUP", "INT", "USR1", "USR2", "WINCH"):
        eq(env.cfs("kill", cid, sig).rc, 0, "kill %s" % sig)
        time.sleep(0.2)
    eq(env.cfs("kill", cid, "TERM").rc, 0, "kill TERM")
    rc, text = finish(p, out)
    eq(rc, 3, "the program's trap set the status: %r" % text)
    eq(text.split(), ["ready", "got-HUP", "got-INT", "got-USR1", "got-USR2", "got-WINCH", "got-TERM"],
       "every signal reached the program")


def test_init_exit_status_of_a_killed_program(env):
    """sleep has no handler: as PID 1 it ignores TERM; behind the init, TERM
    kills it and run returns 128+15, as tini does."""
    cid, p, out = run_in_background(env, with_init(env, ["sleep", "100"]))
    eq(env.cfs("kill", cid, "TERM").rc, 0, "kill TERM")
    eq(finish(p, out)[0], 143, "128+SIGTERM")
    cid, p, out = run_in_background(env, env.config(["sleep", "100"]))
    env.cfs("kill", cid, "TERM")
    time.sleep(0.3)
    eq(p.poll(), None, "without the init, PID 1 ignores TERM")
    env.cfs("kill", cid, "KILL")
    eq(finish(p, out)[0], 137, "128+SIGKILL")


def test_init_keeps_the_binary_out_of_reach(env):
    """/proc/1/exe is the sealed copy, which cannot be written, directly or
    through a held fd; the init shows nothing of the runtime's command line
    or environment; the binary is unchanged."""
    copy = os.path.join(env.dir, "cfsrun-copy")
    shutil.copy2(CFSRUN, copy)
    before = hashlib.sha256(open(copy, "rb").read()).hexdigest()
    script = ("readlink /proc/1/exe; (echo x >> /proc/1/exe) 2>/dev/null && echo WROTE || echo refused; "
              "exec 3< /proc/1/exe; (echo x >> /proc/self/fd/3) 2>/dev/null && echo WROTE || echo refused; "
              "tr '\\0' ' ' < /proc/1/cmdline; echo; tr '\\0' '\\n' < /proc/1/environ | grep -c CFS_TEST_HOST; "
              "ls /proc/1/fd | wc -l")
    c = with_init(env, ["sh", "-c", script])
    for k in ("bounding", "effective", "permitted"):
        c["process"]["capabilities"][k].append("CAP_DAC_OVERRIDE")
    with tempfile.TemporaryFile("w+") as out:
        p = subprocess.run([copy, "--root", env.root, "run", "--bundle", env.bundle(c), env.new_id()], stdout=out,
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=30,
                           env=dict(os.environ, CFS_TEST_HOST="host-only"))
        out.seek(0)
        lines = [l.strip() for l in out.read().splitlines()]
    eq(p.returncode, 0, "run: %r" % lines)
    assert lines[0].startswith("/memfd:cfsrun"), "/proc/1/exe is the sealed copy: %r" % lines
    eq(lines[1:3], ["refused", "refused"], "no write to /proc/1/exe, directly or through fd 3")
    eq(lines[3:5], ["cfsrun-init", "0"], "the runtime's argv and environment are wiped")
    eq(lines[5], "3", "the init holds stdio only")
    eq(hashlib.sha256(open(copy, "rb").read()).hexdigest(), before, "the runtime binary is unchanged")


def test_init_with_state_ps_exec(env):
    """state's pid is the init; ps lists it and the program; exec enters the
    container through it; delete --force stops both."""
    cid = env.new_id()
    eq(env.cfs("run", "-d", "--init", "--bundle", env.bundle(env.config(["sleep", "30"])), cid).rc, 0, "run -d")
    st = env.state(cid)
    eq(st["status"], "running", "state")
    eq(open("/proc/%d/cmdline" % st["pid"]).read().strip("\0"), "cfsrun-init", "state's pid is the init")
    r = env.cfs("ps", cid)
    contains(r.out, "cfsrun-init", "ps lists the init")
    contains(r.out, "sleep 30", "ps lists the program")
    r = env.cfs("exec", cid, "sh", "-c", "readlink /proc/self/ns/pid; cat /proc/2/cmdline")
    eq(r.out.split("\n")[0], os.readlink("/proc/%d/ns/pid" % st["pid"]), "exec joins the init's namespaces")
    contains(r.out, "sleep", "the program is pid 2")
    eq(env.cfs("delete", "-f", cid).rc, 0, "delete -f")


def test_init_exec_error_reaches_start(env):
    """The program's exec fails in the init's child: the error still reaches
    `start` (and run), named, and nothing is left."""
    bad = os.path.join(env.dir, "not-a-program")
    open(bad, "w").write("plain text, no #! line\n")
    os.chmod(bad, 0o755)
    c = with_init(env, ["/bad"])
    c["mounts"].append({"destination": "/bad", "type": "bind", "source": bad, "options": ["bind", "ro"]})
    # Its own rootfs: the mount point made for /bad must not stay in the shared one.
    r = env.cfs("run", "--bundle", env.bundle(c, own_rootfs=True), env.new_id())
    assert r.rc != 0, r
    contains(r.err, "process.args[0]: not an executable format", "the exec error, named")


def test_init_annotation_checked(env):
    c = env.config(["true"])
    c["annotations"] = {ANNOTATION: "yes"}
    r = env.cfs("create", "--bundle", env.bundle(c), env.new_id())
    assert r.rc != 0, r
    contains(r.err, "annotations.run.oci.cfsrun.init: `yes` is not `true` or `false`", "named")
    c["annotations"] = {ANNOTATION: "false"}
    r = env.cfs("run", "--bundle", env.bundle(c), env.new_id())
    eq(r.rc, 0, "false is accepted: %r" % r)
