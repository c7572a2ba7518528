#!/usr/bin/env python3
"""make bench: cfsrun against crun and runc from Debian, in one run, on one
busybox bundle.  Runs alternate between runtimes so machine noise hits all
alike; medians are reported with the cfsrun/crun ratio.

Every runtime runs inside the same private mount namespace in which the
host's cgroup2 mount at /sys/fs/cgroup/unified is hidden, because Debian's
crun refuses hybrid hosts otherwise (see shared notes).  This script
re-executes itself there.

Usage: bench.py [--quick]   (CFSRUN=path; crun and runc from PATH)
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
N = 5 if QUICK else 20
MANY = 100 if QUICK else 1000


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


def make_bundle(base, args):
    d = os.path.join(base, "bundle-" + "-".join(a.strip("/").replace("/", "_") for a in args))
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


def main():
    reexec_in_private_namespace()
    base = tempfile.mkdtemp(prefix="cfsrun-bench-")
    rts = runtimes()
    # State roots on tmpfs, where runtimes keep them in real use (/run):
    # on a disk, each atomic rename of a record would wait for a flush.
    runbase = tempfile.mkdtemp(prefix="cfsrun-bench-", dir="/run" if os.path.isdir("/run") else None)
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

    for metric in ("run", "create", "start", "delete", "exec"):
        for n in rts:
            res[n][metric] = []
    for i in range(N):
        for n in rts:
            res[n]["run"].append(timed(rt(n, "run", "--bundle", true_b, cid())))
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
    for n in rts:
        t0 = time.perf_counter()
        for _ in range(100):
            timed(rt(n, "run", "--bundle", true_b, cid()))
        res[n]["100 runs"] = [time.perf_counter() - t0]
        res[n]["peak RSS"] = [statistics.median(peak_rss_kb(rt(n, "run", "--bundle", true_b, cid())) for _ in range(5))]
    # state, list and start latency with MANY created containers present.
    for n in rts:
        ids = []
        for _ in range(MANY):
            c = cid()
            subprocess.run(rt(n, "create", "--bundle", sleep_b, c), stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ids.append(c)
        res[n]["state@%d" % MANY] = [statistics.median(timed(rt(n, "state", ids[0])) for _ in range(N))]
        res[n]["list@%d" % MANY] = [statistics.median(timed(rt(n, "list")) for _ in range(N))]
        res[n]["run@%d" % MANY] = [statistics.median(timed(rt(n, "run", "--bundle", true_b, cid())) for _ in range(N))]
        for c in ids:
            subprocess.run(rt(n, "delete", "--force", c), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    shutil.rmtree(base, ignore_errors=True)
    shutil.rmtree(runbase, ignore_errors=True)
    names = list(rts)
    print("%-14s" % "metric" + "".join("%14s" % n for n in names) + "%14s" % "cfsrun/crun")
    for metric in res["cfsrun"]:
        vals = {n: statistics.median(res[n][metric]) for n in names}
        unit = "KB" if metric == "peak RSS" else "ms"
        fmt = lambda v: ("%.0f %s" % (v, unit)) if unit == "KB" else ("%.1f ms" % (v * 1000))
        ratio = vals["cfsrun"] / vals["crun"] if "crun" in vals and vals["crun"] else float("nan")
        print("%-14s" % metric + "".join("%14s" % fmt(vals[n]) for n in names) + "%14.2f" % ratio)


if __name__ == "__main__":
    main()
