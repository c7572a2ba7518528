"""Integration test harness: drives the built cfsrun binary as root against
busybox bundles made by contrib/make-bundle, and prints TAP.

Each test is a function `test_*` in a tests/integration/test_*.py module,
taking a `Env` and raising AssertionError (or any exception) to fail, or
Skip to skip.  Every test runs with its own --root; after each test the
harness checks that nothing was left behind (state dirs, mounts, processes).
"""
import glob
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CFSRUN = os.environ.get("CFSRUN", os.path.join(SRC, "cfsrun"))


class Skip(Exception):
    pass


def copy_cfsrun(path):
    """CFSRUN copied to PATH, with cfsrun-dynamic beside it when the build
    has one (a static cfsrun runs it for --systemd-cgroup)."""
    shutil.copy2(CFSRUN, path)
    os.chmod(path, 0o755)
    twin = os.path.join(os.path.dirname(CFSRUN), "cfsrun-dynamic")
    if os.path.exists(twin):
        shutil.copy2(twin, os.path.join(os.path.dirname(path), "cfsrun-dynamic"))
    return path


def sh(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


class Result:
    def __init__(self, p):
        self.rc, self.out, self.err = p.returncode, p.stdout, p.stderr

    def __repr__(self):
        return "rc=%d out=%r err=%r" % (self.rc, self.out, self.err)


class Env:
    """One test's world: a state root, a scratch dir, and bundle makers."""

    def __init__(self, base, rootfs):
        self.dir = tempfile.mkdtemp(prefix="t-", dir=base)
        os.chmod(self.dir, 0o755)  # reachable by mapped users in a user namespace
        self.root = os.path.join(self.dir, "state")
        self.rootfs = rootfs
        self.ids = []
        self.bundles = 0

    def cfs(self, *args, timeout=30, input=None, env=None, root=True):
        cmd = [CFSRUN] + (["--root", self.root] if root else []) + list(args)
        # Files, not pipes: a detached container keeps its stdio open, and a
        # pipe would then never reach EOF.
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            p = subprocess.run(cmd, stdout=out, stderr=err, text=True, timeout=timeout, input=input, env=env,
                               stdin=None if input is not None else subprocess.DEVNULL)
            out.seek(0)
            err.seek(0)
            p.stdout, p.stderr = out.read(), err.read()
        return Result(p)

    def config(self, args, **changes):
        """The default config (cfsrun spec) with terminal off and ARGS."""
        c = json.loads(SPEC_JSON)
        c["process"]["terminal"] = False
        c["process"]["args"] = args
        c["root"] = {"path": self.rootfs, "readonly": True}
        for k, v in changes.items():
            c[k] = v
        return c

    def bundle(self, config, own_rootfs=False):
        self.bundles += 1
        d = os.path.join(self.dir, "bundle%d" % self.bundles)
        os.makedirs(d)
        if own_rootfs:
            shutil.copytree(self.rootfs, os.path.join(d, "rootfs"), symlinks=True)
            config["root"]["path"] = "rootfs"
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(config, f)
        return d

    def run(self, args, **changes):
        """`cfsrun run` ARGS in a fresh bundle; returns the Result."""
        cid = self.new_id()
        b = self.bundle(self.config(args, **changes))
        return self.cfs("run", "--bundle", b, cid)

    def new_id(self):
        global ID_COUNTER
        ID_COUNTER += 1
        # Unique across tests: cgroups are named after ids and are global.
        cid = "c%d-%d" % (os.getpid(), ID_COUNTER)
        self.ids.append(cid)
        return cid

    def state(self, cid):
        r = self.cfs("state", cid)
        assert r.rc == 0, "state %s failed: %r" % (cid, r)
        return json.loads(r.out)

    def wait_status(self, cid, want, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            st = self.state(cid)
            if st["status"] == want:
                return st
            time.sleep(0.02)
        raise AssertionError("container %s did not become %s: %r" % (cid, want, st))

    def cleanup(self):
        """Delete what the test left, and report it as a leak."""
        leaks = []
        for cid in self.ids:
            r = self.cfs("state", cid)
            if r.rc == 0:
                leaks.append("container " + cid)
                self.cfs("delete", "--force", cid)
        if os.path.isdir(self.root) and os.listdir(self.root):
            leaks.append("state dirs %s" % os.listdir(self.root))
        for cid in self.ids:
            for d in glob.glob("/sys/fs/cgroup/*/cfsrun-%s" % cid) + glob.glob("/sys/fs/cgroup/*/*/%s" % cid):
                leaks.append("cgroup " + d)
                subprocess.run(["rmdir", d], capture_output=True)
        with open("/proc/self/mountinfo") as f:
            for line in f:
                if self.dir in line.split()[4]:
                    leaks.append("mount " + line.split()[4])
        for m in [l for l in leaks if l.startswith("mount ")]:
            subprocess.run(["umount", "-R", "-l", m[6:]], capture_output=True)
        if not leaks:
            shutil.rmtree(self.dir, ignore_errors=True)
        return leaks


def with_fixture(make):
    """Decorator: the test gets MAKE(env) as its second argument, and the
    fixture's done() runs whatever the test does.  A done() that returns a
    list names what the fixture found left behind: the test fails unless
    it is empty."""
    def decorate(fn):
        def wrapper(env):
            f = make(env)
            try:
                fn(env, f)
            finally:
                left = f.done()
            if isinstance(left, list):
                eq(left, [], "left behind (%s)" % type(f).__name__)
        wrapper.__name__ = fn.__name__
        return wrapper
    return decorate


def eq(got, want, what=""):
    assert got == want, "%s: got %r, want %r" % (what, got, want)


def contains(text, part, what=""):
    assert part in text, "%s: %r not in %r" % (what, part, text)


SPEC_JSON = None
ID_COUNTER = 0


def make_base(base):
    global SPEC_JSON
    b = os.path.join(base, "base")
    r = sh([os.path.join(SRC, "contrib", "make-bundle"), b], env=dict(os.environ, CFSRUN=CFSRUN))
    if r.returncode != 0:
        raise RuntimeError("make-bundle failed: " + r.stderr)
    SPEC_JSON = open(os.path.join(b, "config.json")).read()
    return os.path.join(b, "rootfs")


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP integration tests need root")
        return 0
    # Test modules import `harness`: let them get this module, not a copy
    # (a second copy would have its own Skip class).
    sys.modules.setdefault("harness", sys.modules[__name__])
    base = tempfile.mkdtemp(prefix="cfsrun-itest-")
    os.chmod(base, 0o755)
    rootfs = make_base(base)
    here = os.path.dirname(os.path.abspath(__file__))
    only = sys.argv[1:]
    tests = []
    for name in sorted(os.listdir(here)):
        if not (name.startswith("test_") and name.endswith(".py")):
            continue
        spec = importlib.util.spec_from_file_location(name[:-3], os.path.join(here, name))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for attr in sorted(dir(mod), key=lambda a: getattr(getattr(mod, a), "__code__", None) and getattr(mod, a).__code__.co_firstlineno or 0):
            fn = getattr(mod, attr)
            if attr.startswith("test_") and callable(fn):
                if not only or any(o in attr or o in name for o in only):
                    tests.append(("%s:%s" % (name[:-3], attr), fn))
    print("1..%d" % len(tests))
    failed = 0
    for n, (name, fn) in enumerate(tests, 1):
        env = Env(base, rootfs)
        status, detail = "ok", ""
        try:
            fn(env)
        except Skip as e:
            detail = " # SKIP %s" % e
        except Exception:
            status = "not ok"
            detail = "\n" + "".join("#   " + l + "\n" for l in traceback.format_exc().splitlines())
        leaks = env.cleanup()
        if leaks and status == "ok" and "SKIP" not in detail:
            status, detail = "not ok", "\n#   left behind: %s\n" % leaks
        if status != "ok":
            failed += 1
        print("%s %d - %s%s" % (status, n, name, detail.rstrip("\n")), flush=True)
    shutil.rmtree(base, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
