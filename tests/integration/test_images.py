"""From images to containers with contrib/cfsrun-bundle: an image built
locally with `podman build` (FROM scratch, the busybox rootfs, ENV, WORKDIR,
USER, LABEL, ENTRYPOINT, CMD) in a private store, read from every place
skopeo reads, unpacked with umoci, and run with cfsrun; bundles from a
rootfs tarball or directory and from busybox; layered bundles sharing one
base; bad input.  Tests skip when skopeo, umoci or podman is missing."""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time

from harness import CFSRUN, SRC, Skip, contains, eq, with_fixture
from private_podman import PrivatePodman

TOOL = os.path.join(SRC, "contrib", "cfsrun-bundle")
IMAGE = "localhost/cfsrun-test-image"
CONTAINERFILE = """FROM scratch
ADD rootfs.tar /
ENV GREETING="hello from the image" PATH=/bin:/usr/bin
WORKDIR /srv/app
USER 1234:2345
LABEL org.example.purpose=cfsrun-test
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo cmd-ran; id -u; id -g; pwd; echo \\"$GREETING\\""]
"""
# What the image's own command prints inside the container.
IMAGE_OUTPUT = ["cmd-ran", "1234", "2345", "/srv/app", "hello from the image"]


def need(*tools):
    for t in tools:
        if shutil.which(t) is None:
            raise Skip("%s is not installed" % t)


def tool(*args, env=None, **kw):
    e = dict(os.environ, CFSRUN=CFSRUN)
    e.update(env or {})
    return subprocess.run([TOOL] + list(args), capture_output=True, text=True, timeout=120, env=e,
                          stdin=subprocess.DEVNULL, **kw)


def made(r, what):
    assert r.returncode == 0 and r.stderr == "", "%s: %r" % (what, r)


class Image:
    """IMAGE built in a private store, and saved as an oci-archive, a
    docker-archive and an OCI layout directory: each source skopeo reads."""

    def __init__(self, env):
        need("skopeo", "umoci")
        self.store = PrivatePodman(env)
        try:
            ctx = os.path.join(env.dir, "context")
            os.makedirs(ctx)
            subprocess.run(["tar", "-C", env.rootfs, "-cf", os.path.join(ctx, "rootfs.tar"), "."], check=True)
            with open(os.path.join(ctx, "Containerfile"), "w") as f:
                f.write(CONTAINERFILE)
            r = self.store.podman("build", "-q", "-t", IMAGE, ctx)
            assert r.returncode == 0, "podman build: %s" % r.stderr
            self.dir = os.path.join(env.dir, "images")
            os.makedirs(self.dir)
            self.refs = {"containers-storage": self.store.storage_ref(IMAGE)}
            for fmt, name in (("oci-archive", "image.oci.tar"), ("docker-archive", "image.docker.tar"),
                              ("oci-dir", "image.oci")):
                path = os.path.join(self.dir, name)
                r = self.store.podman("save", "-q", "--format", fmt, "-o", path, IMAGE)
                assert r.returncode == 0, "podman save %s: %s" % (fmt, r.stderr)
                self.refs[fmt] = ("oci:" if fmt == "oci-dir" else fmt + ":") + path
        except BaseException:
            self.store.done()
            raise

    def done(self):
        self.store.done()


with_image = with_fixture(Image)


def run_bundle(env, b, timeout=30):
    cid = env.new_id()
    return env.cfs("run", "--bundle", b, cid, timeout=timeout)


@with_image
def test_image_bundle_from_every_source(env, img):
    """cfsrun-bundle makes a bundle of the image from Podman's store, an
    oci-archive, a docker-archive and an OCI layout; cfsrun runs the image's
    Entrypoint and Cmd as its User, in its WorkingDir (made by cfsrun: a
    FROM scratch build does not make it), with its Env, as seen from
    inside; its Labels are annotations."""
    for kind, ref in sorted(img.refs.items()):
        b = os.path.join(env.dir, "from-" + kind)
        made(tool("image", ref, b), "cfsrun-bundle image %s" % ref)
        r = run_bundle(env, b)
        eq((r.rc, r.out.splitlines(), r.err), (0, IMAGE_OUTPUT, ""), "run of the %s bundle" % kind)
        c = json.load(open(os.path.join(b, "config.json")))
        eq(c["annotations"].get("org.example.purpose"), "cfsrun-test", "%s: the label" % kind)
        contains(c["process"]["env"], "GREETING=hello from the image", "%s: the env" % kind)
        eq(c["process"]["terminal"], False, "%s: no terminal" % kind)
    r = tool("image", img.store.storage_ref("localhost/no-such-image"), os.path.join(env.dir, "nothing"))
    eq(r.returncode, 1, "an image not in the store")
    contains(r.stderr, "localhost/no-such-image", "names the image")
    contains(r.stderr, "does not resolve to an image", "says why")
    assert not os.path.exists(os.path.join(env.dir, "nothing")), "no bundle left"


@with_image
def test_image_bundle_options(env, img):
    """COMMAND replaces the image's Cmd (its Entrypoint stays), --entrypoint
    replaces the Entrypoint, and --hostname, --read-only and --env act as
    seen from inside."""
    ref = img.refs["oci-archive"]
    b = os.path.join(env.dir, "opts")
    made(tool("image", "--hostname", "web1", "--read-only", "-e", "EXTRA=set", "-e", "GREETING=overridden", ref, b,
              "hostname; touch /x 2>&1; echo $EXTRA $GREETING; pwd"), "options")
    r = run_bundle(env, b)
    lines = r.out.splitlines()
    eq(lines[0], "web1", "--hostname: %r" % r)
    contains(lines[1], "Read-only file system", "--read-only")
    eq(lines[2:], ["set overridden", "/srv/app"], "--env, and the image's WorkingDir kept")
    b2 = os.path.join(env.dir, "entry")
    made(tool("image", "--entrypoint", "/bin/echo", ref, b2, "from", "echo"), "--entrypoint")
    r = run_bundle(env, b2)
    eq((r.rc, r.out), (0, "from echo\n"), "--entrypoint with a command")
    r = tool("image", "--entrypoint", "", ref, os.path.join(env.dir, "none"))
    eq(r.returncode, 1, "no Entrypoint and no Cmd")
    contains(r.stderr, "no command to run", "says so")
    assert not os.path.exists(os.path.join(env.dir, "none")), "no bundle left"


@with_image
def test_umoci_config_runs_unchanged(env, img):
    """umoci's own config.json (process.terminal on, the image's user, a
    missing WorkingDir) runs under cfsrun as umoci wrote it, on a terminal
    from script(1), and cfsrun leaves the file as it was."""
    need("script")
    b = os.path.join(env.dir, "umoci-bundle")
    layout = img.refs["oci-dir"][len("oci:"):]
    r = subprocess.run(["umoci", "unpack", "--image", layout + ":" + IMAGE + ":latest", b], capture_output=True,
                       text=True)
    eq(r.returncode, 0, "umoci unpack: %s" % r.stderr)
    config = os.path.join(b, "config.json")
    before = hashlib.sha256(open(config, "rb").read()).hexdigest()
    eq(json.load(open(config))["process"]["terminal"], True, "umoci asks for a terminal")
    cid = env.new_id()
    cmd = "%s --root %s run --bundle %s %s" % (CFSRUN, env.root, b, cid)
    # script's stdin stays open and silent: at EOF it would write a ^@
    # into the terminal, and so into the output.
    with tempfile.TemporaryFile("w+") as out:
        p = subprocess.Popen(["script", "-qec", cmd, "/dev/null"], stdin=subprocess.PIPE, stdout=out,
                             stderr=subprocess.STDOUT, text=True)
        try:
            rc = p.wait(timeout=60)
        finally:
            p.stdin.close()
            if p.poll() is None:
                p.kill()
                p.wait()
        out.seek(0)
        lines = out.read().splitlines()
    eq((rc, [l.rstrip("\r") for l in lines]), (0, IMAGE_OUTPUT), "the image's command on a terminal")
    eq(hashlib.sha256(open(config, "rb").read()).hexdigest(), before, "config.json unchanged")


def test_rootfs_tarball_directory_and_busybox(env):
    """The other sources: a rootfs tarball (plain and gzipped) and a
    directory are copied into the bundle; busybox makes its own rootfs."""
    tar = os.path.join(env.dir, "rootfs.tar")
    subprocess.run(["tar", "-C", env.rootfs, "-cf", tar, "."], check=True)
    subprocess.run(["sh", "-c", "gzip -c '%s' > '%s.gz'" % (tar, tar)], check=True)
    for src in (tar, tar + ".gz", env.rootfs):
        b = os.path.join(env.dir, "b-" + os.path.basename(src))
        made(tool("rootfs", "--hostname", "fromfs", src, b, "sh", "-c", "hostname; echo > /made-here; ls /"),
             "rootfs %s" % src)
        r = run_bundle(env, b)
        eq(r.rc, 0, "run: %r" % r)
        eq(r.out.split()[0], "fromfs", "hostname")
        contains(r.out.split(), "made-here", "a rootfs of its own")
        assert os.path.exists(os.path.join(b, "rootfs", "made-here")), "written in the bundle's copy"
        assert not os.path.exists(os.path.join(env.rootfs, "made-here")), "not in the source"
    b = os.path.join(env.dir, "bb")
    made(tool("busybox", "--read-only", b, "sh", "-c", "echo busybox-ran; touch /x 2>&1"), "busybox")
    r = run_bundle(env, b)
    lines = r.out.splitlines()
    eq(lines[0], "busybox-ran", "busybox: %r" % r)
    contains(lines[1], "Read-only file system", "--read-only")


def test_rootless_image_bundle(env):
    """--rootless, run by an unprivileged user: the tool (skopeo, umoci
    --rootless) makes the bundle as that user, mapping the user to root and
    its subordinate ids to the rest, and the user's cfsrun runs the image's
    command as the image's User 1234:2345."""
    need("skopeo", "umoci", "podman", "useradd", "newuidmap")
    from test_rootless import Rootless
    rl = Rootless(env)
    img = None
    try:
        img = Image(env)
        archive = os.path.join(rl.home, "image.oci.tar")
        shutil.copy(img.refs["oci-archive"][len("oci-archive:"):], archive)
        os.chmod(archive, 0o644)
        mytool = os.path.join(rl.home, "cfsrun-bundle")
        shutil.copy(TOOL, mytool)
        os.chmod(mytool, 0o755)
        tmp = os.path.join(rl.home, "tmp")
        os.makedirs(tmp)
        os.chown(tmp, rl.uid, rl.gid)
        b = os.path.join(rl.home, "rootless-bundle")
        env_user = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": rl.home, "XDG_RUNTIME_DIR": rl.run_dir,
                    "TMPDIR": tmp, "CFSRUN": rl.binary}
        r = subprocess.run([mytool, "image", "--rootless", "oci-archive:" + archive, b], capture_output=True,
                           text=True, timeout=120, env=env_user, user=rl.uid, group=rl.gid, extra_groups=[],
                           stdin=subprocess.DEVNULL, cwd=rl.home)
        made(r, "cfsrun-bundle image --rootless as %s" % rl.pw.pw_name)
        c = json.load(open(os.path.join(b, "config.json")))
        eq(c["linux"]["uidMappings"][0], {"containerID": 0, "hostID": rl.uid, "size": 1}, "the user is root")
        eq(os.stat(os.path.join(b, "rootfs", "bin", "busybox")).st_uid, rl.uid, "unpacked as the user")
        r = rl.cfs("run", "--bundle", b, "rl-image")
        eq((r.returncode, r.stdout.splitlines()), (0, IMAGE_OUTPUT), "the user's container: %s" % r.stderr)
    finally:
        if img:
            img.done()
        rl.done()


def overlay_of(pid):
    """The super options of the overlay at the root of PID's mounts."""
    for line in open("/proc/%d/mountinfo" % pid):
        a = line.split()
        if a[4] == "/":
            sep = a.index("-")
            return a[sep + 1], a[sep + 3]
    return None, None


def test_layered_bundles_share_one_base(env):
    """Ten containers from one base at once: each bundle's root is an overlay
    with the base's root as its lower layer (no copy: /bin/busybox inside
    has the base's inode, and no bundle has a copy of it), each writes to its
    own upper layer (a new file and a changed /etc/passwd), the base stays
    as it was; the base cannot be removed while layered on, a layer not while
    its container runs, and after removal nothing is left."""
    base = os.path.join(env.dir, "base")
    made(tool("busybox", base), "the base")
    lower = os.path.join(base, "rootfs")
    lower_ino = os.stat(os.path.join(lower, "bin", "busybox")).st_ino
    passwd = open(os.path.join(lower, "etc", "passwd")).read()
    n = 10
    bundles, ids = [], []
    try:
        for i in range(n):
            b = os.path.join(env.dir, "layer%d" % i)
            made(tool("layer", "--hostname", "layer%d" % i, base, b, "sh", "-c",
                      "hostname > /mine; echo extra:x:7:7::/:/bin/sh >> /etc/passwd; "
                      "stat -c %i /bin/busybox > /ino; exec sleep 60"), "layer %d" % i)
            bundles.append(b)
        for b in bundles:
            cid = env.new_id()
            r = env.cfs("create", "--bundle", b, cid)
            eq(r.rc, 0, "create: %r" % r)
            ids.append(cid)
        for cid in ids:
            eq(env.cfs("start", cid).rc, 0, "start")
        end = time.time() + 20
        while time.time() < end and not all(os.path.exists(os.path.join(b, "upper", "ino")) and
                                            os.path.getsize(os.path.join(b, "upper", "ino")) for b in bundles):
            time.sleep(0.05)
        for i, (b, cid) in enumerate(zip(bundles, ids)):
            eq(env.state(cid)["status"], "running", "all ten run at once")
            fstype, opts = overlay_of(env.state(cid)["pid"])
            eq(fstype, "overlay", "the container's root is an overlay")
            contains(opts.split(","), "lowerdir=" + lower, "its lower layer is the base's root")
            contains(opts.split(","), "upperdir=" + os.path.join(b, "upper"), "its upper layer is its own")
            up = os.path.join(b, "upper")
            eq(open(os.path.join(up, "mine")).read(), "layer%d\n" % i, "its own write, in its own upper")
            eq(int(open(os.path.join(up, "ino")).read()), lower_ino, "/bin/busybox is the base's file")
            assert not os.path.exists(os.path.join(up, "bin", "busybox")), "not copied"
            contains(open(os.path.join(up, "etc", "passwd")).read(), "extra:x:7:7", "a changed file is copied up")
            others = [os.path.join(o, "upper", "mine") for o in bundles if o != b]
            eq({open(o).read() for o in others} & {"layer%d\n" % i}, set(), "no other layer has it")
        eq(open(os.path.join(lower, "etc", "passwd")).read(), passwd, "the base is unchanged")
        assert not os.path.exists(os.path.join(lower, "mine")), "nothing written to the base"
        r = tool("remove", base)
        eq(r.returncode, 1, "the base is in use")
        contains(r.stderr, "the base of layered bundles still mounted", "says why")
        r = tool("remove", bundles[0])
        eq(r.returncode, 1, "a layer whose container runs")
        # Every process on the layer is named; the container's init among them.
        contains(r.stderr, "a container still runs on it (pid ", "says why")
        pids = r.stderr.split("(pid ")[1].split(")")[0].split(", ")
        contains(pids, str(env.state(ids[0])["pid"]), "names the container's pid")
    finally:
        for cid in ids:
            env.cfs("delete", "--force", cid)
    r = tool("remove", *bundles)
    eq((r.returncode, r.stderr), (0, ""), "remove the layers")
    for b in bundles:
        assert not os.path.exists(b), "%s removed" % b
    with open("/proc/self/mountinfo") as f:
        left = [l.split()[4] for l in f if env.dir in l.split()[4]]
    eq(left, [], "no overlay mounted")
    made(tool("remove", base), "then the base")
    assert not os.path.exists(base), "base removed"


def test_bad_image_input(env):
    """An image that does not exist and corrupt archives: a clear error
    naming the reference and why, and no bundle left behind."""
    need("skopeo", "umoci")
    junk = os.path.join(env.dir, "junk.tar")
    with open(junk, "wb") as f:
        f.write(os.urandom(4096))
    cases = [
        ("oci-archive:/nonexistent/image.tar", "no such file or directory"),
        ("oci:/nonexistent/layout", "no such file or directory"),
        ("oci-archive:" + junk, "invalid tar header"),
        ("docker-archive:" + junk, "invalid tar header"),
        ("no-transport", "not a transport:reference"),
    ]
    for i, (ref, why) in enumerate(cases):
        b = os.path.join(env.dir, "bad%d" % i)
        r = tool("image", ref, b)
        eq(r.returncode, 1, "%s: %r" % (ref, r))
        contains(r.stderr, "image `%s`" % ref, "names the image")
        contains(r.stderr, why, "%s: says why" % ref)
        assert not os.path.exists(b), "%s: no bundle left" % ref
    eq(sorted(os.listdir(env.dir)), ["junk.tar"], "nothing half-made anywhere")


def test_bad_bundle_input(env):
    """A bundle directory that already exists (left as it was), a corrupt
    or missing rootfs, a layer on what is not a bundle, removing what is
    not a bundle: each a clear error, nothing made or removed."""
    existing = os.path.join(env.dir, "existing")
    os.makedirs(existing)
    open(os.path.join(existing, "keep"), "w").write("mine")
    r = tool("busybox", existing)
    eq(r.returncode, 1, "an existing bundle dir")
    contains(r.stderr, "bundle `%s`: already exists" % existing, "names it and why")
    eq(os.listdir(existing), ["keep"], "left as it was")
    junk = os.path.join(env.dir, "junk.tar")
    with open(junk, "wb") as f:
        f.write(os.urandom(4096))
    for src, why in ((junk, "does not look like a tar archive"), ("/nonexistent/rootfs", "no such file")):
        b = os.path.join(env.dir, "b")
        r = tool("rootfs", src, b)
        eq(r.returncode, 1, "rootfs %s: %r" % (src, r))
        contains(r.stderr, "rootfs `%s`" % src, "names the rootfs")
        contains(r.stderr, why, "says why")
        assert not os.path.exists(b), "no bundle left"
    r = tool("layer", existing, os.path.join(env.dir, "l"))
    eq(r.returncode, 1, "layer on a non-bundle")
    contains(r.stderr, "base `%s`: not a bundle" % existing, "says why")
    assert not os.path.exists(os.path.join(env.dir, "l")), "no layer left"
    r = tool("remove", existing)
    eq(r.returncode, 1, "remove of a non-bundle")
    contains(r.stderr, "not a bundle", "says why")
    eq(os.listdir(existing), ["keep"], "not removed")
    r = tool("busybox", os.path.join(env.dir, "no", "parent"))
    contains(r.stderr, "its parent directory does not exist", "a missing parent")
    eq(sorted(os.listdir(env.dir)), ["existing", "junk.tar"], "nothing half-made anywhere")


def test_interrupted_leaves_nothing(env):
    """SIGTERM while the bundle is being made (here: while the tool waits
    for a `busybox --list` that hangs): the half-made bundle is removed,
    the tool's child ends, and the tool says so."""
    slow = os.path.join(env.dir, "slow-busybox")
    with open(slow, "w") as f:
        f.write("#!/bin/sh\necho $$ > %s/child.pid\nexec sleep 60\n" % env.dir)
    os.chmod(slow, 0o755)
    b = os.path.join(env.dir, "bundle")
    p = subprocess.Popen([TOOL, "busybox", b], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=dict(os.environ, CFSRUN=CFSRUN, BUSYBOX=slow))
    pidfile = os.path.join(env.dir, "child.pid")
    try:
        end = time.time() + 20
        while time.time() < end and not (os.path.exists(pidfile) and os.path.getsize(pidfile)):
            time.sleep(0.02)
        assert os.path.isdir(b), "the bundle is being made"
        child = int(open(pidfile).read())
        p.send_signal(15)
        _, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    eq(p.returncode, 1, "exit status")
    contains(err, "interrupted by signal 15: nothing was made", "says so")
    assert not os.path.exists(b), "no bundle left"
    assert not os.path.exists("/proc/%d" % child) or open("/proc/%d/stat" % child).read().split()[2] == "Z", \
        "the tool's child ended"
