"""The REST API: Podman's API service with cfsrun as its OCI runtime, driven
with curl over a Unix socket the test owns.  The service has a store and
settings of the test's own (private_podman.py), is stopped by the PID the
test started, and its store is reset and unmounted.  Skipped where podman,
conmon or curl is missing, and in the sanitizer build (Podman does not
pass ASAN_OPTIONS on)."""
import json
import os
import shutil
import signal
import subprocess
import time

from harness import CFSRUN, SRC, Skip, contains, eq, with_fixture
from private_podman import PrivatePodman

IMG = "localhost/cfsrun-test-busybox"
API = "http://d/v1.41"  # the Docker-compatible endpoints
LIBPOD = "http://d/v4.0.0/libpod"


class Service(PrivatePodman):
    """A Podman API service on a socket in ENV's temp dir."""

    def __init__(self, env, socket_activate=None):
        if "ASAN_OPTIONS" in os.environ:
            raise Skip("not under the sanitizer build")
        super().__init__(env, need=("podman", "conmon", "curl"))
        self.sock = os.path.join(self.dir, "api.sock")
        self.proc = None
        try:
            tar = os.path.join(self.dir, "rootfs.tar")
            subprocess.run(["tar", "-C", env.rootfs, "-cf", tar, "."], check=True)
            r = self.podman("import", tar, IMG)
            assert r.returncode == 0, "podman import: %s" % r.stderr
            self.start(socket_activate)
        except BaseException:
            self.done()
            raise

    def start(self, socket_activate):
        if socket_activate:
            # As systemd starts it from a .socket unit: the listening socket
            # is fd 3, LISTEN_FDS=1, and the service is given no URI.
            # It passes on only the variables named with -E.
            keep = ["PATH", "HOME", "XDG_CONFIG_HOME"] + [k for k in self.env if k.startswith("CONTAINERS_")]
            cmd = ["systemd-socket-activate", "-l", self.sock] + [a for k in keep for a in ("-E", k)] + \
                socket_activate
        else:
            cmd = ["podman"] + self.flags + ["system", "service", "--time=0", "unix://" + self.sock]
        self.log = open(os.path.join(self.dir, "service.log"), "w")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, env=self.env)
        end = time.time() + 20
        while time.time() < end:
            if self.proc.poll() is not None:
                raise AssertionError("the API service exited: %s" % open(self.log.name).read()[-2000:])
            if os.path.exists(self.sock) and self.get("http://d/_ping") == (200, b"OK"):
                return
            time.sleep(0.05)
        raise AssertionError("the API service did not answer on %s" % self.sock)

    def call(self, method, url, body=None, timeout=30):
        """(HTTP status, body bytes) of one request over the socket."""
        cmd = ["curl", "-s", "-S", "-g", "--unix-socket", self.sock, "-X", method, "-o", "-", "-w", "\n%{http_code}",
               "--max-time", str(timeout)]
        if body is not None:
            cmd += ["-H", "Content-Type: application/json", "--data-binary", json.dumps(body)]
        r = subprocess.run(cmd + [url], capture_output=True, timeout=timeout + 5)
        out, _, code = r.stdout.rpartition(b"\n")
        return int(code or 0), out

    def get(self, url):
        return self.call("GET", url)

    def json(self, method, url, body=None, want=200):
        code, out = self.call(method, url, body)
        eq(code, want, "%s %s: %r" % (method, url, out[:300]))
        return json.loads(out) if out.strip() else None

    def stop_service(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        self.proc = None

    def done(self):
        if self.proc and self.proc.poll() is None:
            code, out = self.get(LIBPOD + "/containers/json?all=true")
            if code == 200:
                for c in json.loads(out):
                    self.call("DELETE", "%s/containers/%s?force=true" % (API, c["Id"]))
        self.stop_service()
        PrivatePodman.done(self)


with_service = with_fixture(Service)


def demux(stream):
    """The Docker log stream (8-byte frame headers: 1 stdout, 2 stderr)."""
    out = {1: b"", 2: b""}
    while len(stream) >= 8:
        kind, size = stream[0], int.from_bytes(stream[4:8], "big")
        out[kind] = out.get(kind, b"") + stream[8:8 + size]
        stream = stream[8 + size:]
    return out[1].decode(), out[2].decode()


def create(s, name, cmd):
    r = s.json("POST", "%s/containers/create?name=%s" % (API, name), {"Image": IMG, "Cmd": cmd,
                                                                       "HostConfig": {"NetworkMode": "none"}}, 201)
    return r["Id"]


def libpod_list(s):
    return {c["Names"][0]: c for c in s.json("GET", LIBPOD + "/containers/json?all=true")}


def cfsrun_state(s, cid):
    """The container as cfsrun records it, in the test's state root."""
    r = subprocess.run([CFSRUN, "--root", s.paths["state"], "state", cid], capture_output=True, text=True)
    return json.loads(r.stdout) if r.returncode == 0 else None


@with_service
def test_rest_create_start_wait_logs_remove(env, s):
    """The Docker-compatible flow of a container that exits on its own:
    create, start, wait (exit code), logs (stdout and stderr apart), the
    libpod list, remove, and cfsrun's state of it gone."""
    cid = create(s, "rest1", ["sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"])
    eq(libpod_list(s)["rest1"]["State"], "created", "listed as created")
    eq(s.call("POST", "%s/containers/%s/start" % (API, cid))[0], 204, "start")
    eq(s.json("POST", "%s/containers/%s/wait" % (API, cid))["StatusCode"], 3, "wait: the exit code")
    code, logs = s.get("%s/containers/%s/logs?stdout=1&stderr=1" % (API, cid))
    eq((code, demux(logs)), (200, ("to-stdout\n", "to-stderr\n")), "logs")
    c = libpod_list(s)["rest1"]
    eq((c["Id"], c["State"], c["ExitCode"], c["Image"]), (cid, "exited", 3, IMG + ":latest"), "libpod list")
    eq(s.call("DELETE", "%s/containers/%s" % (API, cid))[0], 204, "remove")
    eq(libpod_list(s), {}, "the list after remove")
    eq(cfsrun_state(s, cid), None, "cfsrun's state is gone")


@with_service
def test_rest_stop_running_container(env, s):
    """stop with a timeout sends the stop signal through cfsrun kill: the
    container's TERM trap runs and it exits 0; a container that ignores
    TERM (pid 1 without a handler) is killed after the timeout."""
    cid = create(s, "rest2", ["sh", "-c", "trap 'echo got-term; exit 0' TERM; echo up; "
                              "while :; do sleep 0.1; done"])
    eq(s.call("POST", "%s/containers/%s/start" % (API, cid))[0], 204, "start")
    st = s.json("GET", "%s/containers/%s/json" % (API, cid))["State"]
    eq((st["Status"], st["Running"]), ("running", True), "inspect")
    cs = cfsrun_state(s, cid)
    eq((cs["status"], cs["pid"]), ("running", st["Pid"]), "cfsrun runs it, with the pid Podman reports")
    eq(libpod_list(s)["rest2"]["State"], "running", "listed as running")
    eq(s.call("POST", "%s/containers/%s/stop?t=10" % (API, cid))[0], 204, "stop")
    eq(s.json("POST", "%s/containers/%s/wait" % (API, cid))["StatusCode"], 0, "exit code after the TERM trap")
    out, _ = demux(s.get("%s/containers/%s/logs?stdout=1" % (API, cid))[1])
    eq(out, "up\ngot-term\n", "logs show the signal arrived")

    cid2 = create(s, "rest3", ["sleep", "300"])
    eq(s.call("POST", "%s/containers/%s/start" % (API, cid2))[0], 204, "start")
    t0 = time.time()
    eq(s.call("POST", "%s/containers/%s/stop?t=1" % (API, cid2))[0], 204, "stop")
    eq(s.json("POST", "%s/containers/%s/wait" % (API, cid2))["StatusCode"], 137, "SIGKILL after the timeout")
    assert time.time() - t0 < 10, "stop took %.1f s" % (time.time() - t0)
    for c in (cid, cid2):
        eq(s.call("DELETE", "%s/containers/%s" % (API, c))[0], 204, "remove")
    eq(libpod_list(s), {}, "the list after remove")


def container_events(s, since):
    """The container events since SINCE, as (name, action).  `until` ends
    the stream a second from now: one already past races Podman 4.3's file
    reader, which may then stop before it has read anything."""
    code, out = s.get("%s/events?since=%d&until=%d" % (API, since, int(time.time()) + 1))
    eq(code, 200, "events")
    evs = [json.loads(l) for l in out.decode().splitlines() if l.strip()]
    return [(e["Actor"]["Attributes"].get("name"), e["Action"]) for e in evs if e["Type"] == "container"]


def one_run(s, name, cmd):
    cid = create(s, name, cmd)
    eq(s.call("POST", "%s/containers/%s/start" % (API, cid))[0], 204, "start")
    s.json("POST", "%s/containers/%s/wait" % (API, cid))
    eq(s.call("DELETE", "%s/containers/%s" % (API, cid))[0], 204, "remove")


def next_second():
    time.sleep(1.05 - (time.time() % 1))
    return int(time.time())


@with_service
def test_rest_events_are_the_history_of_runs(env, s):
    """/events?since=..&until=.. replays what happened, in order, and ends:
    two runs, the second in a later second; a window from before the first
    shows both, one from between them only the second."""
    t0 = int(time.time())
    one_run(s, "ev1", ["sh", "-c", "exit 5"])
    t1 = next_second()
    one_run(s, "ev2", ["true"])
    history = [ev for ev in container_events(s, t0) if ev[1] != "cleanup"]
    run = ["create", "init", "start", "die", "remove"]
    got = {n: [a for m, a in history if m == n] for n in ("ev1", "ev2")}
    eq(got, {"ev1": run, "ev2": run}, "the history of both runs")
    eq([n for n, _ in history], ["ev1"] * 5 + ["ev2"] * 5, "in order")
    later = container_events(s, t1)
    eq(sorted({n for n, _ in later}), ["ev2"], "since the second run")
    # The same history as the libpod events, with the exit code.
    code, out = s.get("%s/events?stream=false&since=%d&filters=%s" % (LIBPOD, t0, '{"event":["died"]}'))
    died = [json.loads(l) for l in out.decode().splitlines() if l.strip()]
    eq([(e["Actor"]["Attributes"]["name"], e["Actor"]["Attributes"]["containerExitCode"]) for e in died],
       [("ev1", "5"), ("ev2", "0")], "died events carry the exit codes")


@with_service
def test_rest_images_and_errors(env, s):
    """/images/json is the image list; an unknown container or image is a
    404 with a JSON message that names it."""
    imgs = s.json("GET", "http://d/v1.41/images/json")
    eq([i["RepoTags"] for i in imgs], [[IMG + ":latest"]], "the Docker image list")
    lp = s.json("GET", LIBPOD + "/images/json")
    eq([i["Names"] for i in lp], [[IMG + ":latest"]], "the libpod image list")
    eq(s.json("GET", LIBPOD + "/images/%s/exists" % IMG.replace("/", "%2F"), want=204), None, "exists")
    for method, url in (("GET", "%s/containers/no-such-ctr/json" % API),
                        ("POST", "%s/containers/no-such-ctr/start" % API),
                        ("POST", "%s/containers/no-such-ctr/stop" % API),
                        ("POST", "%s/containers/no-such-ctr/wait" % API),
                        ("GET", "%s/containers/no-such-ctr/logs?stdout=1" % API),
                        ("DELETE", "%s/containers/no-such-ctr" % API),
                        ("GET", LIBPOD + "/containers/no-such-ctr/json")):
        err = s.json(method, url, want=404)
        contains(err["message"], "no such container", "%s %s says why" % (method, url))
        # Podman 4.3's wait says only that, without the name.
        if not url.endswith("/wait"):
            contains(err["message"], "no-such-ctr", "%s %s names the container" % (method, url))
    err = s.json("POST", API + "/containers/create", {"Image": "localhost/no-such-image"}, want=404)
    contains(err["message"], "localhost/no-such-image", "create names the image")
    contains(err["message"], "image not known", "and why")
    eq(libpod_list(s), {}, "nothing half-made")


UNITS = ("cfsrun-podman.socket", "cfsrun-podman.service")


def test_systemd_units(env):
    """contrib's socket and service units: systemd-analyze verify accepts
    them, and the service's command, given its socket as systemd would
    (fd 3, LISTEN_FDS), serves the API with cfsrun as the runtime (here
    with the test's private store and the built cfsrun)."""
    if shutil.which("systemd-analyze") is None or shutil.which("systemd-socket-activate") is None:
        raise Skip("systemd-analyze or systemd-socket-activate is missing")
    d = os.path.join(env.dir, "units")
    os.makedirs(d)
    for u in UNITS:
        shutil.copy(os.path.join(SRC, "contrib", u), d)
    r = subprocess.run(["systemd-analyze", "verify"] + [os.path.join(d, u) for u in UNITS], capture_output=True,
                       text=True, timeout=60)
    eq((r.returncode, r.stdout + r.stderr), (0, ""), "systemd-analyze verify")
    unit = open(os.path.join(d, UNITS[1])).read()
    execstart = [l.split("=", 1)[1].split() for l in unit.splitlines() if l.startswith("ExecStart=")]
    eq(len(execstart), 1, "one ExecStart")
    cmd = execstart[0]
    i = cmd.index("system")
    eq(cmd[i:i + 2], ["system", "service"], "it runs podman system service")
    assert not any(a.startswith("unix:") or a.startswith("tcp:") for a in cmd), "the socket comes from the unit"
    rt = cmd.index("--runtime")
    eq(cmd[rt + 1], "/usr/local/sbin/cfsrun", "cfsrun, as make install puts it")
    sock = open(os.path.join(d, UNITS[0])).read()
    contains(sock, "ListenStream=", "the socket unit listens")
    s = None
    try:
        # The test's store flags go before the unit's own, and the unit's
        # runtime path becomes the test's cfsrun (with its state root).
        s = ActivatedService(env, lambda svc: [cmd[0]] + svc.flags + cmd[1:rt + 1] + [svc.runtime] + cmd[rt + 2:])
        v = s.json("GET", "http://d/v1.41/version")
        names = [c["Name"] for c in v["Components"]]
        contains(names, "OCI Runtime (%s)" % s.runtime, "the runtime behind the activated service")
        cid = create(s, "act1", ["echo", "activated"])
        eq(s.call("POST", "%s/containers/%s/start" % (API, cid))[0], 204, "start")
        eq(s.json("POST", "%s/containers/%s/wait" % (API, cid))["StatusCode"], 0, "wait")
        eq(demux(s.get("%s/containers/%s/logs?stdout=1" % (API, cid))[1])[0], "activated\n", "logs")
        eq(s.call("DELETE", "%s/containers/%s" % (API, cid))[0], 204, "remove")
        eq(os.listdir(s.paths["state"]), [], "cfsrun's state is gone")
    finally:
        if s:
            s.done()


class ActivatedService(Service):
    """The service started through systemd-socket-activate, its command made
    by MAKE_CMD(service)."""

    def __init__(self, env, make_cmd):
        self.make_cmd = make_cmd
        super().__init__(env, socket_activate=True)

    def start(self, socket_activate):
        Service.start(self, self.make_cmd(self))
