"""`cfsrun check`: the report of this host, checked against /proc and /sys,
and each branch of it on a fake host tree (CFSRUN_CHECK_SYSROOT, test-only):
cgroup layouts v1, v2, hybrid and none, delegation writable or not for the
caller, subuid/subgid present or absent, newuidmap/newgidmap present or
absent, each with its fix."""
import json
import os
import pwd
import shutil
import subprocess

from harness import CFSRUN, contains, eq

V1 = [("cpu,cpuacct", "cpu,cpuacct"), ("memory", "memory"), ("pids", "pids"), ("devices", "devices"),
      ("systemd", "name=systemd")]


def free_uid():
    for uid in range(64100 + os.getpid() % 500, 65000):
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
    raise AssertionError("no free uid")


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def fake_host(env, layout, owner=None, subuid=(), subgid=(), tools=("newuidmap", "newgidmap")):
    """A host tree: /proc/self/{mountinfo,cgroup}, the cgroup hierarchies
    with the caller's cgroup /user.slice in each (owned by OWNER when given,
    else root), /proc/sys, /etc/subuid, /etc/subgid and TOOLS in /usr/bin."""
    root = os.path.join(env.dir, "host-%s-%d" % (layout, len(os.listdir(env.dir))))
    mounts = ["20 1 0:20 / / rw,relatime - ext4 /dev/vda rw", "21 20 0:5 / /proc rw - proc proc rw"]
    cgroup, dirs = [], []
    if layout in ("v1", "hybrid"):
        mounts.append("22 20 0:21 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755")
        for i, (name, opts) in enumerate(V1):
            mounts.append("%d 22 0:%d / /sys/fs/cgroup/%s rw,nosuid - cgroup cgroup rw,%s" % (30 + i, 30 + i, name, opts))
            cgroup.append("%d:%s:/user.slice" % (len(V1) - i, opts))
            dirs.append("sys/fs/cgroup/%s/user.slice" % name)
    if layout == "hybrid":
        mounts.append("40 22 0:40 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate")
        write(os.path.join(root, "sys/fs/cgroup/unified/cgroup.controllers"), "\n")
        cgroup.append("0::/user.slice")
        dirs.append("sys/fs/cgroup/unified/user.slice")
    if layout == "v2":
        mounts.append("22 20 0:21 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate")
        write(os.path.join(root, "sys/fs/cgroup/cgroup.controllers"), "cpuset cpu io memory pids\n")
        cgroup.append("0::/user.slice")
        dirs.append("sys/fs/cgroup/user.slice")
    write(os.path.join(root, "proc/self/mountinfo"), "\n".join(mounts) + "\n")
    write(os.path.join(root, "proc/self/cgroup"), "\n".join(cgroup) + "\n" if cgroup else "0::/\n")
    write(os.path.join(root, "proc/sys/user/max_user_namespaces"), "15000\n")
    write(os.path.join(root, "proc/sys/kernel/unprivileged_userns_clone"), "1\n")
    write(os.path.join(root, "etc/subuid"), "".join(l + "\n" for l in subuid))
    write(os.path.join(root, "etc/subgid"), "".join(l + "\n" for l in subgid))
    for t in tools:
        write(os.path.join(root, "usr/bin", t), "#!/bin/sh\n", 0o755)
    for d in dirs:
        os.makedirs(os.path.join(root, d))
        if owner is not None:
            os.chown(os.path.join(root, d), owner, owner)
    for dirpath, dirnames, _ in os.walk(root):
        os.chmod(dirpath, 0o755)
    return root


def check(env, root, uid=None):
    """`cfsrun check --format json` on ROOT, as UID (default root): items by
    name, and the text report."""
    binary = CFSRUN
    if uid is not None:
        # A copy the user can reach (the build tree may not be).
        binary = os.path.join(env.dir, "cfsrun-check")
        if not os.path.exists(binary):
            shutil.copy2(CFSRUN, binary)
            os.chmod(binary, 0o755)
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CFSRUN_CHECK_SYSROOT": root}
    kw = dict(user=uid, group=uid, extra_groups=[]) if uid is not None else {}
    out = []
    for fmt in ("json", "text"):
        p = subprocess.run([binary, "--root", os.path.join(env.dir, "state"), "check", "--format", fmt],
                           capture_output=True, text=True, env=e, stdin=subprocess.DEVNULL, **kw)
        eq(p.returncode, 0, "check --format %s: %s" % (fmt, p.stderr))
        out.append(p.stdout)
    items = {i["name"]: i for i in json.loads(out[0])["items"]}
    for name, i in items.items():
        assert i["ok"] or i.get("fix"), "%s is not ok and has no fix" % name
        contains(out[1], name, "the text report has %s" % name)
    return items, out[1]


def test_check_layout_v1(env):
    items, text = check(env, fake_host(env, "v1"))
    lay = items["cgroup layout"]
    eq(lay["ok"], True, "v1 works")
    assert lay["detail"].startswith("v1 (legacy): "), lay
    for name, opts in V1:
        contains(lay["detail"], "%s=[%s]" % (name, opts), "hierarchy %s" % name)
    eq((items["cgroup.kill"]["ok"], items["clone3 into cgroup"]["ok"]), (False, False), "no v2 features on v1")
    contains(items["cgroup.kill"]["fix"], "cgroup v2", "fix")


def test_check_layout_v2(env):
    items, _ = check(env, fake_host(env, "v2"))
    lay = items["cgroup layout"]
    eq(lay["ok"], True, "v2 works")
    eq(lay["detail"], "v2 (unified): cgroup=[cpuset cpu io memory pids]", "v2 and its controllers")
    eq(items["cgroup.kill"]["ok"], True, "cgroup.kill on v2")
    eq(items["cgroup delegation"]["ok"], True, "root may write its cgroup")


def test_check_layout_hybrid(env):
    items, _ = check(env, fake_host(env, "hybrid"))
    lay = items["cgroup layout"]
    assert lay["ok"] and lay["detail"].startswith("hybrid (v1 plus cgroup2 at /sys/fs/cgroup/unified): "), lay
    contains(lay["detail"], "memory=[memory]", "v1 half")
    contains(lay["detail"], "unified=[]", "v2 half, with no controllers")
    eq(items["cgroup.kill"]["ok"], False, "no cgroup.kill on hybrid")


def test_check_no_cgroups(env):
    items, text = check(env, fake_host(env, "none"))
    lay, dlg = items["cgroup layout"], items["cgroup delegation"]
    eq((lay["ok"], dlg["ok"]), (False, False), "nothing works without cgroups")
    contains(lay["detail"], "no cgroup filesystem is mounted", "why")
    contains(lay["fix"], "mount -t cgroup2 none /sys/fs/cgroup", "fix")
    contains(text, "fix: mount cgroup2 at /sys/fs/cgroup", "the fix in the text report")


def test_check_delegation_for_an_unprivileged_caller(env):
    uid = free_uid()
    for layout in ("v1", "v2", "hybrid"):
        items, _ = check(env, fake_host(env, layout), uid=uid)
        d = items["cgroup delegation"]
        eq(d["ok"], False, "%s: root-owned cgroups are not delegated to uid %d" % (layout, uid))
        contains(d["detail"], "uid %d cannot write its own cgroup" % uid, "detail")
        contains(d["fix"], "delegate a cgroup subtree to this user", "fix")
        items, _ = check(env, fake_host(env, layout, owner=uid), uid=uid)
        d = items["cgroup delegation"]
        eq((d["ok"], d["detail"]), (True, "uid %d can create cgroups under its own" % uid),
           "%s: the caller's own cgroup is delegated" % layout)
        assert "fix" not in d, d


def test_check_subids(env):
    uid = free_uid()
    line = "%d:200000:65536" % uid
    cases = [((line,), (line,), True, "present for uid %d" % uid),
             ((), (), False, "missing from /etc/subuid and /etc/subgid for uid %d" % uid),
             ((line,), (), False, "/etc/subgid has none for uid %d" % uid),
             ((), (line,), False, "/etc/subuid has none for uid %d" % uid),
             (("someone-else:100000:65536",), ("someone-else:100000:65536",), False, "missing")]
    for subuid, subgid, ok, detail in cases:
        items, _ = check(env, fake_host(env, "v2", subuid=subuid, subgid=subgid), uid=uid)
        s = items["subuid/subgid ranges"]
        eq(s["ok"], ok, "subuid %s subgid %s" % (subuid, subgid))
        contains(s["detail"], detail, "detail")
        if not ok:
            eq(s["fix"], "add the line `%d:100000:65536` to /etc/subuid and /etc/subgid" % uid, "fix for a uid")
    # A named user is matched by name, and the fix names the user.
    items, _ = check(env, fake_host(env, "v2"))
    eq(items["subuid/subgid ranges"]["fix"], "usermod --add-subuids 100000-165535 --add-subgids 100000-165535 root",
       "fix for root")
    items, _ = check(env, fake_host(env, "v2", subuid=("root:100000:65536",), subgid=("root:100000:65536",)))
    eq((items["subuid/subgid ranges"]["ok"], items["subuid/subgid ranges"]["detail"]), (True, "present for root"),
       "root's ranges by name")


def test_check_uidmap_tools(env):
    for tools, ok, detail in ((("newuidmap", "newgidmap"), True, "installed"), ((), False, "not installed"),
                              (("newuidmap",), False, "newgidmap is not installed"),
                              (("newgidmap",), False, "newuidmap is not installed")):
        items, _ = check(env, fake_host(env, "v2", tools=tools))
        t = items["newuidmap/newgidmap"]
        eq((t["ok"], t["detail"]), (ok, detail), "tools %s" % (tools,))
        if not ok:
            eq(t["fix"], "apt-get install uidmap", "fix")


def test_check_host_report_matches_proc_and_sys(env):
    """No sysroot: the report is this host's, as /proc and /sys say."""
    p = subprocess.run([CFSRUN, "check", "--format", "json"], capture_output=True, text=True)
    eq(p.returncode, 0, "check: %s" % p.stderr)
    items = {i["name"]: i for i in json.loads(p.stdout)["items"]}
    mounts = [l.split() for l in open("/proc/self/mountinfo")]
    fstype = {m[4]: m[m.index("-") + 1] for m in mounts}
    v2 = fstype.get("/sys/fs/cgroup") == "cgroup2"
    want = "v2" if v2 else "hybrid" if fstype.get("/sys/fs/cgroup/unified") == "cgroup2" else "v1"
    assert items["cgroup layout"]["detail"].startswith(want), (want, items["cgroup layout"])
    for m in mounts:
        if m[m.index("-") + 1] == "cgroup" and m[4].startswith("/sys/fs/cgroup/"):
            contains(items["cgroup layout"]["detail"], os.path.basename(m[4]) + "=[", "hierarchy listed")
    eq(items["cgroup delegation"]["ok"], True, "root may write its cgroups")
    maxns = int(open("/proc/sys/user/max_user_namespaces").read())
    contains(items["user namespaces"]["detail"], "max_user_namespaces=%d" % maxns, "max_user_namespaces")
    eq(items["user namespaces"]["ok"], maxns > 0, "user namespaces")

    def has(f):
        return os.path.exists(f) and any(l.split(":")[0] in ("root", "0") for l in open(f).read().splitlines())
    eq(items["subuid/subgid ranges"]["ok"], has("/etc/subuid") and has("/etc/subgid"), "subids of root")
    eq(items["newuidmap/newgidmap"]["ok"], bool(shutil.which("newuidmap") and shutil.which("newgidmap")), "tools")
    eq(items["seccomp"]["ok"], os.path.exists("/proc/sys/kernel/seccomp/actions_avail"), "seccomp")
    eq(items["cgroup.kill"]["ok"], v2, "cgroup.kill only on v2")
    eq(items["time namespace"]["ok"], os.path.exists("/proc/self/ns/time"), "time namespace")
    eq(items["AppArmor"]["ok"], os.path.exists("/sys/module/apparmor/parameters/enabled")
       and open("/sys/module/apparmor/parameters/enabled").read().strip() == "Y", "AppArmor")
    eq(items["SELinux"]["ok"], os.path.exists("/sys/fs/selinux/enforce"), "SELinux")
