"""Hardening: the CVE classes runc met, many cycles in parallel, and a table
of hostile configs.  Each must fail cleanly or leave nothing behind."""
import concurrent.futures
import copy
import glob
import json
import os

from harness import contains, eq


def test_runtime_binary_unreachable_from_created_container(env):
    """CVE-2019-5736 class: while the init still runs cfsrun code (before
    start), no process in the container may reach /proc/1/exe."""
    cid = env.new_id()
    eq(env.cfs("create", "--bundle", env.bundle(env.config(["true"])), cid).rc, 0, "create")
    r = env.cfs("exec", cid, "sh", "-c", "readlink /proc/1/exe || echo no-readlink; "
                                         "echo x >> /proc/1/exe && echo WROTE || echo no-write; "
                                         "for f in /proc/1/fd/* /proc/1/cwd /proc/1/root; do "
                                         "readlink $f >/dev/null 2>&1 && echo REACHED $f; done; echo no-fds")
    contains(r.out, "no-readlink", "readlink /proc/1/exe is refused")
    contains(r.out, "no-write", "writing /proc/1/exe is refused")
    assert "REACHED" not in r.out and "no-fds" in r.out, "the init's fds, cwd and root are not reachable: %r" % r
    env.cfs("delete", "-f", cid)


# What a process holding CAP_SYS_PTRACE in a container tries against the
# runtime binary: an O_PATH fd to /proc/1/exe (and an O_RDONLY one) while
# the init still runs cfsrun, an open for writing at once, and once told to
# (when no process runs the binary any more) a reopen for writing through
# /proc/self/fd/N, appending one byte.  Or (scan) the host's root through
# /proc/PID/root of a process exec'd into the container while it is set
# up.  Static: the rootfs has no libc.
REACH_C = r"""
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void try_write (const char *what, const char *path)
{
  int fd = open (path, O_WRONLY | O_APPEND);
  if (fd >= 0 && write (fd, "x", 1) == 1)
    printf ("%s: WROTE\n", what);
  else
    printf ("%s: refused (%s)\n", what, strerror (errno));
  fflush (stdout);
}

/* scan FILE DIR: until DIR/stop, look for FILE (a host path the container
   does not have) through /proc/PID/root of every process in sight. */
static int scan (const char *file, const char *dir)
{
  char stop[256], path[512];
  int found = 0;

  snprintf (stop, sizeof stop, "%s/stop", dir);
  while (access (stop, F_OK) < 0)
    {
      DIR *d = opendir ("/proc");
      struct dirent *de;

      while (d && (de = readdir (d)) != NULL)
        {
          snprintf (path, sizeof path, "/proc/%s/root%s", de->d_name, file);
          if (de->d_name[0] >= '0' && de->d_name[0] <= '9' && access (path, F_OK) == 0)
            found++;
        }
      if (d)
        closedir (d);
    }
  printf ("found %d\n", found);
  return 0;
}

int main (int argc, char **argv)
{
  char link[512] = "", p[64], ready[256], go[256];
  int fds[2] = { open (argv[1], O_PATH), open (argv[1], O_RDONLY) };
  int i;

  if (strcmp (argv[1], "scan") == 0)
    return scan (argv[2], argv[3]);
  snprintf (ready, sizeof ready, "%s/ready", argv[2]);
  snprintf (go, sizeof go, "%s/go", argv[2]);
  snprintf (p, sizeof p, "/proc/self/fd/%d", fds[0]);
  if (fds[0] < 0 || readlink (p, link, sizeof link - 1) < 0)
    strcpy (link, "unreachable");
  printf ("fd: %s\n", link);
  try_write ("now", argv[1]);
  close (open (ready, O_WRONLY | O_CREAT, 0644));
  while (access (go, F_OK) < 0)
    usleep (20000);
  for (i = 0; i < 2; i++)
    if (fds[i] >= 0)
      {
        snprintf (p, sizeof p, "/proc/self/fd/%d", fds[i]);
        try_write (i ? "later via O_RDONLY fd" : "later via O_PATH fd", p);
      }
  printf ("done\n");
  return 0;
}
"""


def sha256(path):
    import hashlib
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def cfs_with(env, binary, *args):
    """env.cfs, but with another cfsrun binary (a copy the test may lose)."""
    import subprocess
    import tempfile
    # Files, not pipes: a created container keeps its stdio open.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.run([binary, "--root", env.root] + list(args), stdout=out, stderr=err, text=True,
                           timeout=30, stdin=subprocess.DEVNULL)
        out.seek(0)
        err.seek(0)
        p.stdout, p.stderr = out.read(), err.read()
    return p


def wait_file(path, timeout=10):
    import time
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path):
            return True
        time.sleep(0.02)
    return False


def reach_helper(env):
    import shutil
    import subprocess
    from harness import Skip
    out = os.path.join(env.dir, "out")
    os.makedirs(out)
    src = os.path.join(env.dir, "reach.c")
    open(src, "w").write(REACH_C)
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise Skip("no C compiler for the static helper")
    r = subprocess.run([cc, "-static", "-O2", "-o", os.path.join(out, "reach"), src], capture_output=True, text=True)
    if r.returncode != 0:
        raise Skip("cannot build a static helper: %s" % r.stderr[-200:])
    return out


def test_binary_unreachable_with_cap_sys_ptrace(env):
    """CVE-2019-5736 class, with the capability that bypasses non-dumpable:
    a process exec'd into a created (not started) container holding
    CAP_SYS_PTRACE (no user namespace) reaches /proc/1/exe, which must be a
    sealed copy: writing to it fails now and after start, through an O_PATH
    or O_RDONLY fd reopened via /proc/self/fd/N, and the binary is intact."""
    import shutil
    from harness import CFSRUN
    out = reach_helper(env)
    copy = os.path.join(env.dir, "cfsrun-copy")
    shutil.copy2(CFSRUN, copy)
    before = sha256(copy)
    c = env.config(["sleep", "30"])
    for k in ("bounding", "effective", "permitted"):
        c["process"]["capabilities"][k] += ["CAP_SYS_PTRACE", "CAP_DAC_OVERRIDE"]
    c["mounts"].append({"destination": "/out", "type": "bind", "source": out, "options": ["rbind", "rw"]})
    b = env.bundle(c, own_rootfs=True)  # the mount point /out stays out of the shared rootfs
    cid = env.new_id()
    try:
        r = cfs_with(env, copy, "create", "--bundle", b, cid)
        eq(r.returncode, 0, "create: %s" % r.stderr)
        r = cfs_with(env, copy, "exec", "--detach", cid, "sh", "-c", "/out/reach /proc/1/exe /out > /out/report 2>&1")
        eq(r.returncode, 0, "exec: %s" % r.stderr)
        assert wait_file(os.path.join(out, "ready")), "the helper ran: %r" % open(os.path.join(out, "report")).read()
        r = cfs_with(env, copy, "start", cid)
        eq(r.returncode, 0, "start: %s" % r.stderr)
        open(os.path.join(out, "go"), "w").close()
        for _ in range(500):
            if "done" in open(os.path.join(out, "report")).read():
                break
            import time
            time.sleep(0.02)
    finally:
        cfs_with(env, copy, "delete", "--force", cid)
    report = open(os.path.join(out, "report")).read()
    contains(report, "done", "the helper finished")
    eq(sha256(copy), before, "the runtime binary is unchanged (%r)" % report)
    assert "WROTE" not in report, "nothing could be written through /proc/1/exe: %r" % report
    eq(report.count("refused"), 3, "every write refused: %r" % report)
    contains(report, "fd: /memfd:cfsrun", "/proc/1/exe before start is the sealed copy")


def test_exec_setup_out_of_sight_with_cap_sys_ptrace(env):
    """A process holding CAP_SYS_PTRACE that watches /proc for `cfsrun exec`
    children never reaches the host's root through /proc/PID/root: the
    child is in the container's pid namespace only once it has entered
    every namespace and dropped what it may not keep."""
    out = reach_helper(env)
    marker = os.path.join(env.dir, "host-only-marker")
    open(marker, "w").close()
    c = env.config(["sh", "-c", "/out/reach scan %s /out > /out/scan 2>&1" % marker])
    for k in ("bounding", "effective", "permitted"):
        c["process"]["capabilities"][k] += ["CAP_SYS_PTRACE", "CAP_DAC_OVERRIDE"]
    c["mounts"].append({"destination": "/out", "type": "bind", "source": out, "options": ["rbind", "rw"]})
    cid = env.new_id()
    eq(env.cfs("run", "-d", "--bundle", env.bundle(c, own_rootfs=True), cid).rc, 0, "run -d")
    try:
        for i in range(40):
            r = env.cfs("exec", cid, "true")
            eq(r.rc, 0, "exec %d: %r" % (i, r))
        open(os.path.join(out, "stop"), "w").close()
        for _ in range(250):
            if "found" in open(os.path.join(out, "scan")).read():
                break
            import time
            time.sleep(0.02)
    finally:
        env.cfs("delete", "-f", cid)
    eq(open(os.path.join(out, "scan")).read().strip(), "found 0", "the host's root was never in reach")


def test_sealed_copy_only_when_needed(env):
    """exec re-executes from the sealed copy when the container may hold
    CAP_SYS_PTRACE, or an earlier exec gave it; a default container's
    create and exec do not pay for it."""
    import subprocess
    import time
    from harness import CFSRUN

    def exec_exe(cid):
        p = subprocess.Popen([CFSRUN, "--root", env.root, "exec", cid, "sleep", "1"], stdin=subprocess.DEVNULL)
        seen = ""
        for _ in range(50):
            try:
                seen = os.readlink("/proc/%d/exe" % p.pid)
            except OSError:
                pass
            if "memfd" in seen:
                break
            time.sleep(0.01)
        p.wait()
        return seen

    c = env.config(["sleep", "30"])
    cid = env.new_id()
    r = env.cfs("--trace", "run", "-d", "--bundle", env.bundle(c), cid)
    eq(r.rc, 0, "run -d: %r" % r)
    assert "re-exec" not in r.err and "parent phase seal" in r.err, "no re-exec for a default config: %s" % r.err
    eq(exec_exe(cid), os.path.realpath(CFSRUN), "a default exec runs from the binary")
    eq(env.cfs("exec", "--cap", "CAP_SYS_PTRACE", cid, "true").rc, 0, "exec --cap CAP_SYS_PTRACE")
    contains(exec_exe(cid), "/memfd:cfsrun", "after an exec with CAP_SYS_PTRACE, exec runs sealed")
    env.cfs("delete", "-f", cid)
    for k in ("bounding", "effective", "permitted"):
        c["process"]["capabilities"][k].append("CAP_SYS_PTRACE")
    cid = env.new_id()
    r = env.cfs("--trace", "run", "-d", "--bundle", env.bundle(c), cid)
    eq(r.rc, 0, "run -d: %r" % r)
    contains(r.err, "parent phase re-exec", "create re-executed from the sealed copy")
    contains(exec_exe(cid), "/memfd:cfsrun", "exec into a container with CAP_SYS_PTRACE runs sealed")
    env.cfs("delete", "-f", cid)


def test_cwd_and_fds_are_the_containers(env):
    """CVE-2024-21626 class: no host directory reaches the container."""
    fd = os.open("/", os.O_RDONLY)
    try:
        r = env.run(["sh", "-c", "readlink /proc/self/cwd; ls -l /proc/self/fd | grep -c -- '->'"])
    finally:
        os.close(fd)
    lines = r.out.split()
    eq(lines[0], "/", "cwd is the container's root")
    assert int(lines[1]) <= 4, "only stdio and ls's own dir fd: %r" % r


def test_many_cycles_in_parallel(env):
    b = env.bundle(env.config(["true"]))
    before = sorted(os.listdir("/proc/self/fd"))

    def cycle(i):
        cid = "par-%d-%d" % (os.getpid(), i)
        rs = [env.cfs("create", "--bundle", b, cid), env.cfs("start", cid)]
        for _ in range(200):
            st = env.cfs("state", cid)
            if '"stopped"' in st.out:
                break
        rs.append(env.cfs("delete", cid))
        return cid, [r.rc for r in rs]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(cycle, range(200)))
    bad = [(c, rcs) for c, rcs in results if rcs != [0, 0, 0]]
    eq(bad, [], "every create/start/delete succeeded")
    eq(os.listdir(env.root), [], "no state left")
    eq(glob.glob("/sys/fs/cgroup/*/cfsrun-par-%d-*" % os.getpid()), [], "no cgroup left")
    assert env.dir not in open("/proc/self/mountinfo").read(), "no mount left"
    eq(sorted(os.listdir("/proc/self/fd")), before, "no fd left open here")


def hostile_configs(base):
    """(name, mutate(config), text the error must contain)."""
    def setp(path, value):
        def f(c):
            d = c
            for k in path[:-1]:
                d = d[k]
            d[path[-1]] = value
        return f

    cases = [
        ("ociVersion number", setp(["ociVersion"], 1), "ociVersion: expected string"),
        ("ociVersion 2", setp(["ociVersion"], "2.0.0"), "ociVersion"),
        ("root string", setp(["root"], "rootfs"), "root: expected object"),
        ("root.path missing", setp(["root"], {}), "root.path: required"),
        ("root.path number", setp(["root", "path"], 5), "root.path: expected string"),
        ("root.readonly string", setp(["root", "readonly"], "yes"), "root.readonly: expected boolean"),
        ("process array", setp(["process"], []), "process: expected object"),
        ("args string", setp(["process", "args"], "sh"), "process.args: expected array"),
        ("args empty", setp(["process", "args"], []), "process.args"),
        ("args null inside", setp(["process", "args"], ["sh", None]), "process.args[1]"),
        ("cwd relative", setp(["process", "cwd"], "tmp"), "process.cwd"),
        ("cwd missing", lambda c: c["process"].pop("cwd"), "process.cwd: required"),
        ("uid negative", setp(["process", "user"], {"uid": -1, "gid": 0}), "process.user.uid"),
        ("uid huge", setp(["process", "user"], {"uid": 1 << 40, "gid": 0}), "out of range for uint32"),
        ("uid float", setp(["process", "user"], {"uid": 0.5, "gid": 0}), "non-integer"),
        ("gids not array", setp(["process", "user"], {"uid": 0, "gid": 0, "additionalGids": 5}),
         "additionalGids: expected array"),
        ("env not string", setp(["process", "env"], [1]), "process.env[0]"),
        ("env no equals", setp(["process", "env"], ["JUSTNAME"]), "process.env[0]"),
        ("oom out of range", setp(["process", "oomScoreAdj"], 99999), "process.oomScoreAdj"),
        ("rlimit unknown", setp(["process", "rlimits"], [{"type": "RLIMIT_X", "hard": 1, "soft": 1}]), "RLIMIT_X"),
        ("rlimit soft>hard", setp(["process", "rlimits"], [{"type": "RLIMIT_CORE", "hard": 1, "soft": 2}]),
         "soft limit 2 is above hard limit 1"),
        ("rlimit twice", setp(["process", "rlimits"], [{"type": "RLIMIT_CORE", "hard": 1, "soft": 1}] * 2),
         "listed twice"),
        ("cap unknown", setp(["process", "capabilities", "bounding"], ["CAP_X"]), "unknown capability `CAP_X`"),
        ("cap not string", setp(["process", "capabilities", "effective"], [7]), "capabilities.effective[0]"),
        ("terminal string", setp(["process", "terminal"], "true"), "process.terminal: expected boolean"),
        ("scheduler policy", setp(["process", "scheduler"], {"policy": "FAST"}), "unknown policy"),
        ("io class", setp(["process", "ioPriority"], {"class": "X"}), "unknown class"),
        ("apparmor", setp(["process", "apparmorProfile"], "p"), "AppArmor"),
        ("mounts object", setp(["mounts"], {}), "mounts: expected array"),
        ("mount no destination", setp(["mounts"], [{"type": "tmpfs"}]), "mounts[0].destination: required"),
        ("mount bad fs", setp(["mounts"], [{"destination": "/x", "type": "nofs", "source": "x"}]), "nofs"),
        ("mount options string", setp(["mounts"], [{"destination": "/x", "options": "ro"}]),
         "mounts[0].options: expected array"),
        ("hook no path", setp(["hooks"], {"prestart": [{}]}), "hooks.prestart[0].path: required"),
        ("hook missing", setp(["hooks"], {"createRuntime": [{"path": "/nonexistent/hook"}]}), "/nonexistent/hook"),
        ("hook timeout string", setp(["hooks"], {"poststop": [{"path": "/bin/true", "timeout": "1"}]}),
         "timeout: expected int32"),
        ("annotations array", setp(["annotations"], ["a"]), "annotations: expected object"),
        ("annotation value number", setp(["annotations"], {"a": 1}), "annotations.a"),
        ("ns unknown", setp(["linux", "namespaces"], [{"type": "mount"}, {"type": "x"}]), "unknown namespace type"),
        ("ns twice", setp(["linux", "namespaces"], [{"type": "mount"}, {"type": "mount"}]), "listed twice"),
        ("ns path relative", setp(["linux", "namespaces"], [{"type": "mount", "path": "x"}]), "absolute path"),
        ("ns path wrong type", setp(["linux", "namespaces"], [{"type": "mount"}, {"type": "uts"}, {"type": "network",
                                                              "path": "/proc/self/ns/uts"}]),
         "another type of namespace"),
        ("hostname without uts", lambda c: (setp(["hostname"], "h")(c),
                                            setp(["linux", "namespaces"], [{"type": "mount"}])(c)), "hostname"),
        ("uid map overlap", setp(["linux", "uidMappings"], [{"containerID": 0, "hostID": 1, "size": 5},
                                                          {"containerID": 2, "hostID": 100, "size": 1}]), "overlaps"),
        ("uid map size 0", setp(["linux", "uidMappings"], [{"containerID": 0, "hostID": 1, "size": 0}]),
         "size: must be greater than 0"),
        ("device type", setp(["linux", "devices"], [{"type": "z", "path": "/dev/z"}]), "not a device type"),
        ("device path ..", setp(["linux", "devices"], [{"type": "c", "path": "/dev/../etc/x", "major": 1,
                                                        "minor": 3}]), "without `..`"),
        ("device no major", setp(["linux", "devices"], [{"type": "c", "path": "/dev/x"}]), "major and minor"),
        ("sysctl host", setp(["linux", "sysctl"], {"kernel.panic": "1"}), "is not namespaced"),
        ("sysctl path", setp(["linux", "sysctl"], {"net/../x": "1"}), "is not a sysctl name"),
        ("propagation", setp(["linux", "rootfsPropagation"], "sideways"), "not a propagation type"),
        ("cgroups path ..", setp(["linux", "cgroupsPath"], "/a/../../etc"), "must not contain `..`"),
        ("memory negative", setp(["linux", "resources"], {"memory": {"limit": -2}}), "is negative"),
        ("swap below limit", setp(["linux", "resources"], {"memory": {"limit": 100, "swap": 10}}),
         "below memory.limit"),
        ("unified bad key", setp(["linux", "resources"], {"unified": {"x/y": "1"}}), "not a cgroup v2 file name"),
        ("device rule access", setp(["linux", "resources"], {"devices": [{"allow": True, "access": "rwx"}]}),
         "access"),
        ("seccomp action", setp(["linux", "seccomp"], {"defaultAction": "SCMP_ACT_MAYBE"}), "unknown seccomp action"),
        ("seccomp arch", setp(["linux", "seccomp"], {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["X"]}),
         "unknown architecture"),
        ("seccomp op", setp(["linux", "seccomp"], {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 0, "op": "LIKE"}]}]}),
         "unknown operator"),
        ("seccomp arg index", setp(["linux", "seccomp"], {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 9, "value": 0, "op": "SCMP_CMP_EQ"}]}]}),
         "is not 0..5"),
        ("seccomp names missing", setp(["linux", "seccomp"], {"defaultAction": "SCMP_ACT_ALLOW",
                                                              "syscalls": [{"action": "SCMP_ACT_ERRNO"}]}),
         "names: required"),
        ("personality", setp(["linux", "personality"], {"domain": "BSD"}), "unknown domain"),
        ("time offsets clock", setp(["linux", "timeOffsets"], {"realtime": {"secs": 1}}), "not a clock"),
        ("intelRdt", setp(["linux", "intelRdt"], {"closID": "a"}), "linux.intelRdt"),
        ("deep nesting", None, "invalid JSON"),
        ("huge number", setp(["linux", "resources"], {"pids": {"limit": 1e300}}), "non-integer"),
    ]
    return cases


def test_hostile_configs(env):
    base = env.config(["true"])
    cases = hostile_configs(base)
    assert len(cases) >= 50, len(cases)
    failures = []
    for name, mutate, text in cases:
        b = env.bundle(copy.deepcopy(base))
        if mutate is None:
            # inside an unknown member, which the decoder skips by counting
            open(os.path.join(b, "config.json"), "w").write('{"x":' + "[" * 100000)
        else:
            c = copy.deepcopy(base)
            mutate(c)
            json.dump(c, open(os.path.join(b, "config.json"), "w"))
        cid = env.new_id()
        r = env.cfs("create", "--bundle", b, cid)
        left = (os.listdir(env.root) if os.path.isdir(env.root) else []) + glob.glob("/sys/fs/cgroup/*/cfsrun-" + cid)
        if r.rc == 0 or text not in r.err or r.err.count("cfsrun:") != 1 or left:
            failures.append((name, r.rc, r.err.strip()[-200:], left))
            if r.rc == 0:
                env.cfs("delete", "-f", cid)
    eq(failures, [], "hostile configs")
