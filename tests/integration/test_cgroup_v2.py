"""cgroup v2 code paths on a hybrid host: cfsrun runs inside a container
whose /sys/fs/cgroup is the cgroup2 hierarchy alone (the host's v2 half,
in a cgroup namespace), so it sees a unified host.  There: the eBPF device
filter, the v2 freezer and cgroup.kill, and removal."""
import json
import time

from harness import contains, eq, with_fixture
from host_container import HostContainer


class UnifiedHost(HostContainer):
    def __init__(self, env):
        super().__init__(env, ["sh", "-c", "mount -t cgroup2 cgroup2 /sys/fs/cgroup && touch /run/ready && "
                                           "exec sleep 3600"], cgroup_mount=False)
        deadline = time.time() + 10
        while self.sh("test", "-e", "/run/ready").rc != 0:
            assert time.time() < deadline, "the unified host did not come up"
            time.sleep(0.05)
        r = self.sh("stat", "-f", "-c", "%T", "/sys/fs/cgroup")
        eq(r.out.strip(), "cgroup2fs", "a unified layout inside")


with_unified = with_fixture(UnifiedHost)


def run_in(env, h, script, devices, caps=("CAP_MKNOD",)):
    cid = env.new_id()
    cfg = env.config(["sh", "-c", script])
    cfg["linux"]["resources"] = {"devices": devices}
    for k in ("bounding", "effective", "permitted"):
        cfg["process"]["capabilities"][k] += list(caps)
    cfg["mounts"].append({"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["dev"]})
    return h.cfs("run", "-b", env.bundle(cfg), cid), cid


@with_unified
def test_v2_device_filter_denies_what_the_rules_deny(env, h):
    deny_all = [{"allow": False, "access": "rwm"}]
    r, cid = run_in(env, h, "mknod /scratch/mem c 1 1 && echo made; echo x > /dev/null && echo null-ok; "
                            "head -c 1 /dev/zero | wc -c", deny_all)
    eq(r.rc, 0, "run: %r" % r)
    contains(r.err, "Operation not permitted", "mknod of a device the rules deny fails")
    eq("made" in r.out, False, "no device node was made")
    contains(r.out, "null-ok", "/dev/null, a default device, is usable")
    contains(r.out, "1", "/dev/zero is readable")
    eq(h.cgroup_dirs("/cfsrun-" + cid), [], "its cgroup is removed")
    # Allowed to make it, not to read it: the filter tells access types apart.
    r, _ = run_in(env, h, "mknod /scratch/mem c 1 1 && echo made; head -c 1 /scratch/mem && echo read",
                  deny_all + [{"allow": True, "type": "c", "major": 1, "minor": 1, "access": "m"}])
    contains(r.out, "made", "mknod allowed by an `m` rule")
    eq("read" in r.out, False, "reading it is still denied")
    contains(r.err, "Operation not permitted", "with EPERM")
    # A later rule wins over an earlier one, as in v1.
    r, _ = run_in(env, h, "mknod /scratch/mem c 1 1 && echo made",
                  [{"allow": True, "type": "c", "major": 1, "access": "m"},
                   {"allow": False, "type": "c", "major": 1, "minor": 1, "access": "m"}])
    eq("made" in r.out, False, "the later deny wins: %r" % r)


@with_unified
def test_v2_freezer_kill_all_and_removal(env, h):
    cid = env.new_id()
    cfg = env.config(["sh", "-c", "sleep 300 & sleep 301 & wait"])
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "pid"]
    r = h.cfs("--debug", "run", "-d", "-b", env.bundle(cfg), cid)
    eq(r.rc, 0, "run -d: %r" % r)
    cg = "/sys/fs/cgroup/cfsrun-%s" % cid
    contains(r.err, "cloned into " + cg, "born in its cgroup (clone3 CLONE_INTO_CGROUP), not moved")
    eq(h.cfs("pause", cid).rc, 0, "pause")
    eq(json.loads(h.cfs("state", cid).out)["status"], "paused", "paused through cgroup.freeze")
    contains(h.sh("cat", cg + "/cgroup.events").out, "frozen 1", "the kernel says frozen")
    eq(h.cfs("resume", cid).rc, 0, "resume")
    contains(h.sh("cat", cg + "/cgroup.events").out, "frozen 0", "thawed")
    eq(len(h.sh("cat", cg + "/cgroup.procs").out.split()), 3, "sh and two sleeps in the cgroup")
    eq(h.cfs("kill", "--all", cid, "KILL").rc, 0, "kill --all")
    deadline = time.time() + 10
    while h.sh("cat", cg + "/cgroup.procs").out.strip() and time.time() < deadline:
        time.sleep(0.05)
    eq(h.sh("cat", cg + "/cgroup.procs").out.strip(), "", "every process is gone, outside a pid namespace too")
    eq(h.cfs("delete", cid).rc, 0, "delete")
    eq(h.cgroup_dirs("/cfsrun-" + cid), [], "the cgroup is removed")
