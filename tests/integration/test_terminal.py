"""process.terminal: --console-socket, and run in the foreground."""
import array
import os
import re
import shutil
import socket
import subprocess
import threading
import time

from harness import CFSRUN, Skip, contains, eq


def console_listener(path):
    """Accept one connection on PATH and return (thread, box) where box gets
    the received master fd."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    box = {}

    def serve():
        conn, _ = srv.accept()
        msg, fds, _, _ = socket.recv_fds(conn, 256, 1)
        box["name"] = msg.rstrip(b"\0").decode()
        box["fd"] = fds[0]
        conn.close()
        srv.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return t, box


def read_all(fd, timeout=10):
    out = b""
    end = time.time() + timeout
    while time.time() < end:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return out.decode(errors="replace")


def test_console_socket(env):
    sock = os.path.join(env.dir, "console.sock")
    t, box = console_listener(sock)
    c = env.config(["sh", "-c", "tty; stty size; test -t 0 && echo stdin-is-tty; ls -l /dev/console"])
    c["process"]["terminal"] = True
    c["process"]["consoleSize"] = {"height": 33, "width": 101}
    cid = env.new_id()
    r = env.cfs("create", "--console-socket", sock, "--bundle", env.bundle(c), cid)
    eq(r.rc, 0, "create: %r" % r)
    t.join(5)
    assert "fd" in box, "the pty master was sent"
    eq(box["name"], "/dev/pts/0", "the pty is from the container's devpts")
    eq(env.cfs("start", cid).rc, 0, "start")
    out = read_all(box["fd"])
    os.close(box["fd"])
    contains(out, "/dev/pts/0", "tty")
    contains(out, "33 101", "consoleSize")
    contains(out, "stdin-is-tty", "stdin is the terminal")
    env.wait_status(cid, "stopped")
    eq(env.cfs("delete", cid).rc, 0, "delete")


def test_console_socket_missing(env):
    c = env.config(["true"])
    c["process"]["terminal"] = True
    r = env.cfs("create", "--console-socket", os.path.join(env.dir, "nope.sock"), "--bundle", env.bundle(c),
                env.new_id())
    assert r.rc != 0 and "--console-socket" in r.err and "nope.sock" in r.err, r
    eq(os.listdir(env.root) if os.path.isdir(env.root) else [], [], "nothing left")


def test_run_foreground_terminal(env):
    if shutil.which("script") is None:
        raise Skip("script(1) is not installed")
    c = env.config(["sh", "-c", "tty; read line; echo got:$line; exit 4"])
    c["process"]["terminal"] = True
    b = env.bundle(c)
    cmd = "%s --root %s run --bundle %s %s" % (CFSRUN, env.root, b, env.new_id())
    p = subprocess.run(["script", "-qec", cmd, "/dev/null"], input="hello\n", capture_output=True, text=True,
                       timeout=30)
    contains(p.stdout, "/dev/pts/0", "the program has a terminal")
    contains(p.stdout, "got:hello", "input reaches it through the pty")
    eq(p.returncode, 4, "exit code through script")


def test_exec_tty(env):
    """exec -t, as root and as another user, in a default container and in
    one that may hold CAP_SYS_PTRACE (set up in two stages: the terminal is
    opened in the first, made the controlling one in the second)."""
    if shutil.which("script") is None:
        raise Skip("script(1) is not installed")
    for ptrace in (False, True):
        c = env.config(["sleep", "60"])
        if ptrace:
            for k in ("bounding", "effective", "permitted"):
                c["process"]["capabilities"][k].append("CAP_SYS_PTRACE")
        cid = env.new_id()
        eq(env.cfs("run", "-d", "--bundle", env.bundle(c), cid).rc, 0, "run -d")
        for user in ([], ["--user", "1000"]):
            cmd = "%s --root %s exec -t %s %s sh -c 'tty; id -u; exit 6'" % (CFSRUN, env.root, " ".join(user), cid)
            p = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, text=True, timeout=30,
                               stdin=subprocess.DEVNULL)
            what = "exec -t %s (CAP_SYS_PTRACE: %s)" % (" ".join(user), ptrace)
            contains(p.stdout, "/dev/pts/", "%s gives a terminal: %r" % (what, p.stdout))
            contains(p.stdout, "1000" if user else "0", what)
            eq(p.returncode, 6, "exit code of " + what)
        env.cfs("delete", "-f", cid)


def test_exec_console_socket(env):
    cid = env.new_id()
    eq(env.cfs("run", "-d", "--bundle", env.bundle(env.config(["sleep", "60"])), cid).rc, 0, "run -d")
    sock = os.path.join(env.dir, "exec.sock")
    t, box = console_listener(sock)
    r = env.cfs("exec", "-t", "--console-socket", sock, "-d", cid, "sh", "-c", "tty; stty size")
    eq(r.rc, 0, "exec -t -d: %r" % r)
    t.join(5)
    out = read_all(box["fd"])
    os.close(box["fd"])
    contains(out, "/dev/pts/", "tty")
    env.cfs("delete", "-f", cid)


def test_pty_owner(env):
    """The pty is the process user's, and keeps the group devpts gave it
    (gid=5, the tty group), as runc leaves it."""
    if shutil.which("script") is None:
        raise Skip("script(1) is not installed")
    c = env.config(["sh", "-c", "echo owner=$(ls -ln $(tty) | tr -s ' ' | cut -d' ' -f3,4 | tr ' ' :)"])
    c["process"]["terminal"] = True
    c["process"]["user"] = {"uid": 1000, "gid": 1000}
    assert "gid=5" in [m for m in c["mounts"] if m["destination"] == "/dev/pts"][0]["options"]
    cmd = "%s --root %s run --bundle %s %s" % (CFSRUN, env.root, env.bundle(c), env.new_id())
    p = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    m = re.search(r"owner=([0-9:]+)", p.stdout)
    eq(m and m.group(1), "1000:5", "owner and group of the pty: %r %r" % (p.stdout, p.stderr))
