#!/usr/bin/env python3
"""make bench: cfsrun against crun and runc from Debian, in one run, on one
busybox bundle.  Runs alternate between runtimes so machine noise hits all
alike; medians are reported with the cfsrun/crun ratio.

Every runtime runs inside the same private mount namespace in which the
host's cgroup2 mount at /sys/fs/cgroup/unified is hidden, because Debian's
crun refuses hybrid hosts otherwise (see shared notes).  This script
re-executes itself there.

It also finds, for each runtime, the smallest memory limit at which `run`
of /bin/true starts in a cgroup of its own (cgroupsPath set, the memory
controller limiting it): what the runtime itself charges to the container
while it starts it.

Usage: bench.py [--quick] [--footprint]   (CFSRUN=path; crun and runc from PATH;
       FLOOR=path of tests/bench/floor for the kernel floor row)
       --quick: medians of 5 and 100 containers present, instead of 20 and 1000
       --footprint: only the smallest-memory-limit measurement
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CFSRUN = os.environ.get("CFSRUN", os.path.join(SRC, "cfsrun"))
QUICK = "--quick" in sys.argv
FOOTPRINT_ONLY = "--footprint" in sys.argv
N = 5 if QUICK else 20
MANY = 100 if QUICK else 1000
FLOOR = os.environ.get("FLOOR")
PAUSE = 0.3  # seconds of quiet before each `run, after pause`


def runtimes():
    rts = {"cfsrun": CFSRUN}
    for name in ("crun", "runc"):
        p = shutil.which(name)
        if p:
            rts[name] = p
    return rts


def reexec_in_private_namespace():
    if os.environ.get("CFS_BENCH_NS") == "1":
        return
    if os.path.ismount("/sys/fs/cgroup/unified"):
        cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c",
               "umount /sys/fs/cgroup/unified && exec \"$@\"", "sh", sys.executable] + sys.argv
    else:
        cmd = ["unshare", "-m", "--propagation", "private", sys.executable] + sys.argv
    os.execvpe(cmd[0], cmd, dict(os.environ, CFS_BENCH_NS="1"))


def state_base():
    """State roots on a tmpfs, where runtimes keep them in real use (/run
    is one on most hosts; here it may be the root disk).  Mounted in the
    bench's own mount namespace, so it goes away with it."""
    d = tempfile.mkdtemp(prefix="cfsrun-bench-state-")
    if os.environ.get("CFS_BENCH_NS") == "1":
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0700", "cfsrun-bench", d], check=True)
    return d


def drop_state_base(d):
    subprocess.run(["umount", d], stderr=subprocess.DEVNULL)
    shutil.rmtree(d, ignore_errors=True)


def make_bundle(base, args):
    d = os.path.join(base, "bundle-" + "-".join(a.strip("/").replace("/", "_") for a in args))
    os.makedirs(base, exist_ok=True)  # cfsrun-bundle wants the parent to exist
    subprocess.run([os.path.join(SRC, "contrib", "make-bundle"), d] + args, check=True,
                   env=dict(os.environ, CFSRUN=CFSRUN), capture_output=True)
    c = json.load(open(os.path.join(d, "config.json")))
    # The shared notes' reference config: namespaces pid, net, ipc, uts, mount.
    c["linux"]["namespaces"] = [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")]
    c["ociVersion"] = "1.0.2"  # Debian's crun 1.8 refuses newer versions
    json.dump(c, open(os.path.join(d, "config.json"), "w"))
    return d


def timed(cmd, **kw):
    # stderr to a file: a created container keeps it open, a pipe would hang
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, **kw)
        dt = time.perf_counter() - t0
        if p.returncode != 0:
            err.seek(0)
            raise RuntimeError("%s failed: %s" % (cmd, err.read().decode()[-300:]))
    return dt


def peak_rss_kb(cmd):
    """Peak RSS of the runtime process, from GNU time (apt-get install
    time): measured from Python, the fork before exec would count Python's
    own memory."""
    if not os.path.exists("/usr/bin/time"):
        return float("nan")
    with tempfile.NamedTemporaryFile("w+") as out:
        subprocess.run(["/usr/bin/time", "-o", out.name, "-f", "%M"] + cmd, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return float(out.read().strip() or "nan")


def starts_with_limit(rt, root, bundle, limit, cgname):
    """Whether `run` of BUNDLE under a memory limit of LIMIT bytes exits 0.
    The container is removed whatever happened, and so is its cgroup."""
    cfg_path = os.path.join(bundle, "config.json")
    c = json.load(open(cfg_path))
    c["linux"]["cgroupsPath"] = "/" + cgname
    c["linux"].setdefault("resources", {})["memory"] = {"limit": limit}
    json.dump(c, open(cfg_path, "w"))
    # Page cache is charged to whoever reads a page first: keep the
    # program's pages cached (by us), so only the runtime's use counts.
    with open(os.path.join(bundle, "rootfs", "bin", "busybox"), "rb") as f:
        while f.read(1 << 20):
            pass
    try:
        p = subprocess.run([rt, "--root", root, "run", "--bundle", bundle, cgname], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        ok = p.returncode == 0
    except subprocess.TimeoutExpired:
        ok = False
    subprocess.run([rt, "--root", root, "delete", "--force", cgname], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for d in [os.path.join("/sys/fs/cgroup", h, cgname) for h in os.listdir("/sys/fs/cgroup")]:
        if os.path.isdir(d):
            try:
                os.rmdir(d)
            except OSError:
                pass
    return ok


def smallest_limit(name, rt, root, bundle, tries=3):
    """Bisect, at page granularity, the smallest memory limit at which every
    one of TRIES runs of /bin/true succeeds (an OOM kill is not a fixed
    threshold: page cache and per-CPU charge batches move it a little)."""
    page = os.sysconf("SC_PAGE_SIZE")
    seq = [0]

    def works(limit):
        for _ in range(tries):
            seq[0] += 1
            if not starts_with_limit(rt, root, bundle, limit, "cfsbench-mem-%s-%d-%d" % (name, os.getpid(), seq[0])):
                return False
        return True

    lo, hi = page, 64 << 20  # lo fails (one page cannot hold a process), hi must work
    if not works(hi):
        return float("nan")
    while hi - lo > page:
        mid = (lo + hi) // 2 // page * page
        if works(mid):
            hi = mid
        else:
            lo = mid
    return hi


def footprint(rts, roots, base):
    """The smallest workable memory limit of each runtime, in KiB."""
    if not os.path.isdir("/sys/fs/cgroup/memory") and not os.path.exists("/sys/fs/cgroup/memory.max"):
        return {}
    out = {}
    for n in rts:
        b = make_bundle(os.path.join(base, "footprint-" + n), ["/bin/true"])
        out[n] = smallest_limit(n, rts[n], roots[n], b) / 1024
    return out


def main():
    reexec_in_private_namespace()
    if FOOTPRINT_ONLY:
        base = tempfile.mkdtemp(prefix="cfsrun-bench-")
        runbase = state_base()
        rts = runtimes()
        fp = footprint(rts, {n: os.path.join(runbase, "root-" + n) for n in rts}, base)
        shutil.rmtree(base, ignore_errors=True)
        drop_state_base(runbase)
        print("%-14s" % "metric" + "".join("%14s" % n for n in rts))
        print("%-14s" % "min mem limit" + "".join("%14s" % ("%.0f KiB" % fp[n]) for n in rts))
        return
    base = tempfile.mkdtemp(prefix="cfsrun-bench-")
    rts = runtimes()
    runbase = state_base()
    roots = {n: os.path.join(runbase, "root-" + n) for n in rts}
    true_b = make_bundle(base, ["/bin/true"])
    sleep_b = make_bundle(base, ["sleep", "600"])
    res = {n: {} for n in rts}
    seq = 0

    def cid():
        nonlocal seq
        seq += 1
        return "b%d" % seq

    def rt(n, *a):
        return [rts[n], "--root", roots[n]] + list(a)

    def quiet(cmd):
        subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start_once(n):
        """`start` of a created /bin/true container, timed alone."""
        c = cid()
        quiet(rt(n, "create", "--bundle", true_b, c))
        dt = timed(rt(n, "start", c))
        quiet(rt(n, "delete", "--force", c))
        return dt

    def present(n, probe, tag):
        """Samples of the latency rows with the containers now present
        (PROBE among them), added to those of TAG."""
        for row, once in (("state", lambda: timed(rt(n, "state", probe))),
                          ("list", lambda: timed(rt(n, "list"))),
                          ("list -q", lambda: timed(rt(n, "list", "-q"))),
                          ("start", lambda: start_once(n)),
                          ("run", lambda: timed(rt(n, "run", "--bundle", true_b, cid())))):
            res[n].setdefault(row + " " + tag, []).extend(once() for _ in range(N // 2 or 1))

    for metric in ("run", "run, reversed", "create", "start", "delete", "exec"):
        for n in rts:
            res[n][metric] = []
    for i in range(N):
        # A runtime that moves its process by writing cgroup.procs takes
        # the cgroup threadgroup rwsem for writing.  The first such write
        # after a quiet spell waits in rcu_sync_enter for an RCU grace
        # period that the next one then skips (sched_switch stacks: crun
        # blocked there 10 ms per run after 0.3 s pauses, 2.5 ms back to
        # back).  cfsrun never takes it.  Time `run` in both orders, so
        # that no runtime is always first.
        for n in rts:
            res[n]["run"].append(timed(rt(n, "run", "--bundle", true_b, cid())))
        for n in reversed(list(rts)):
            res[n]["run, reversed"].append(timed(rt(n, "run", "--bundle", true_b, cid())))
        for n in rts:
            c = cid()
            res[n]["create"].append(timed(rt(n, "create", "--bundle", sleep_b, c)))
            res[n]["start"].append(timed(rt(n, "start", c)))
            res[n]["exec"].append(timed(rt(n, "exec", c, "/bin/true")))
            subprocess.run(rt(n, "kill", c, "KILL"), capture_output=True)
            for _ in range(200):
                st = subprocess.run(rt(n, "state", c), capture_output=True, text=True)
                if '"stopped"' in st.stdout:
                    break
                time.sleep(0.01)
            res[n]["delete"].append(timed(rt(n, "delete", c)))
    # The same `run` in two more settings, with the RCU wait above in
    # mind: each runtime right after itself (blocks of back-to-back runs,
    # the first of each block untimed), and each after a pause, as a single
    # container start on an otherwise quiet host is.
    for n in rts:
        res[n]["run, after itself"] = []
        res[n]["run, after pause"] = []
    # The floor is sampled in the same blocks, so that a drift in the
    # machine's speed falls on it as on the runtimes.  Each block begins
    # with a pause, in which the kernel finishes tearing down the previous
    # block's containers (network namespaces and cgroups are freed by
    # workers after the process is gone, a few ms of CPU after runc's):
    # otherwise the first runs of a block pay for the runtime before it.
    floor = []
    for _ in range(4):
        for n in rts:
            time.sleep(PAUSE)
            quiet(rt(n, "run", "--bundle", true_b, cid()))
            res[n]["run, after itself"].extend(timed(rt(n, "run", "--bundle", true_b, cid()))
                                               for _ in range(N // 4 or 1))
        if FLOOR:
            time.sleep(PAUSE)
            quiet([FLOOR, os.path.join(true_b, "rootfs"), "/bin/true"])
            floor.extend(timed([FLOOR, os.path.join(true_b, "rootfs"), "/bin/true"]) for _ in range(N // 4 or 1))
    for i in range(N):
        for n in rts:
            time.sleep(PAUSE)
            res[n]["run, after pause"].append(timed(rt(n, "run", "--bundle", true_b, cid())))
    for n in rts:
        t0 = time.perf_counter()
        for _ in range(100):
            timed(rt(n, "run", "--bundle", true_b, cid()))
        res[n]["100 runs"] = [time.perf_counter() - t0]
        # One reading varies by 100-200 KB from run to run here: the median
        # of as many runs as the other rows.
        res[n]["peak RSS"] = [statistics.median(peak_rss_kb(rt(n, "run", "--bundle", true_b, cid())) for _ in range(N))]
    # state, list, start and run with no other container present, then
    # with MANY created ones, then with none again: each must stay flat.
    # The rows with none are sampled before and after, so that a drift in
    # the machine's speed falls on both sides alike.
    for n in rts:
        probe = cid()
        quiet(rt(n, "create", "--bundle", sleep_b, probe))
        present(n, probe, "@0")
        ids = [cid() for _ in range(MANY)]
        for c in ids:
            quiet(rt(n, "create", "--bundle", sleep_b, c))
        present(n, probe, "@%d" % MANY)
        present(n, probe, "@%d" % MANY)
        for c in ids:
            quiet(rt(n, "delete", "--force", c))
        present(n, probe, "@0")
        quiet(rt(n, "delete", "--force", probe))
    for n, kib in footprint(rts, roots, base).items():
        res[n]["min mem limit"] = [kib]
    shutil.rmtree(base, ignore_errors=True)
    drop_state_base(runbase)
    names = list(rts)
    print("%-16s" % "metric" + "".join("%14s" % n for n in names) + "%14s" % "cfsrun/crun")
    for metric in res["cfsrun"]:
        vals = {n: statistics.median(res[n][metric]) for n in names}
        unit = {"peak RSS": "KB", "min mem limit": "KiB"}.get(metric, "ms")
        fmt = lambda v: ("%.0f %s" % (v, unit)) if unit != "ms" else ("%.1f ms" % (v * 1000))
        ratio = vals["cfsrun"] / vals["crun"] if "crun" in vals and vals["crun"] else float("nan")
        print("%-16s" % metric + "".join("%14s" % fmt(vals[n]) for n in names) + "%14.2f" % ratio)
    print("(@N: with N other containers created and present; medians of %d)" % N)
    if floor:
        fl = statistics.median(floor)
        print("kernel floor (tests/bench/floor: clone into the same namespaces, pivot_root, /proc, exec): %.1f ms"
              % (fl * 1000))
        own = {n: statistics.median(res[n]["run, after itself"]) - fl for n in names}
        print("each runtime's own cost above it, run after itself: " +
              ", ".join("%s %.1f ms" % (n, own[n] * 1000) for n in names) +
              ("; cfsrun/crun %.2f" % (own["cfsrun"] / own["crun"]) if "crun" in own and own["crun"] > 0 else ""))


if __name__ == "__main__":
    main()
