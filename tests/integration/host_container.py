"""A container on the host's own /usr and /etc (read-only), with every
capability, the test directory and the binary under test at their host
paths, in its own cgroup namespace: a machine to run cfsrun in, for tests
that need a host unlike this one (a booted systemd, a cgroup v2 only
layout)."""
import os

from harness import CFSRUN

ALL_CAPS = ["CAP_" + c for c in (
    "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE "
    "NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT "
    "SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE "
    "AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ").split()]


def bind(src, dst, rw=False):
    return {"destination": dst, "type": "bind", "source": src, "options": ["rbind", "rw" if rw else "ro", "nosuid"]}


def tmpfs(dst, mode="755"):
    return {"destination": dst, "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=" + mode]}


class HostContainer:
    """Started with ARGS as its init; `sh` runs a command in it, `cfs`
    cfsrun (with FLAGS and a state root of its own)."""

    def __init__(self, env, args, env_vars=(), cgroup_mount=True, flags=(), seccomp=None):
        self.env = env
        self.id = env.new_id()
        self.flags = list(flags)
        rootfs = os.path.join(env.dir, "host-rootfs")
        for d in ("usr", "etc", "proc", "sys", "dev", "run", "tmp", "var", "root"):
            os.makedirs(os.path.join(rootfs, d))
        for link in ("bin", "lib", "lib64", "sbin"):
            os.symlink("usr/" + link, os.path.join(rootfs, link))
        itest = os.path.dirname(env.dir)
        bindir = os.path.dirname(CFSRUN)
        mounts = [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
            tmpfs("/dev/shm", "1777"),
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
        ]
        if cgroup_mount:
            # The host's layout, read-write: the container is delegated its cgroups.
            mounts.append({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                           "options": ["nosuid", "noexec", "nodev", "rw"]})
        mounts += [bind("/usr", "/usr"), bind("/etc", "/etc"), tmpfs("/run"), tmpfs("/tmp", "1777"),
                   tmpfs("/var"), bind(bindir, bindir), bind(itest, itest, rw=True)]
        cfg = {
            "ociVersion": "1.0.2",
            "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "cwd": "/", "args": args,
                        "env": ["PATH=/usr/sbin:/usr/bin"] + list(env_vars),
                        "capabilities": {k: ALL_CAPS for k in ("bounding", "effective", "permitted")}},
            "root": {"path": rootfs, "readonly": True},
            "hostname": "host-container",
            "mounts": mounts,
            "linux": {"namespaces": [{"type": t} for t in ("pid", "mount", "ipc", "uts", "cgroup", "network")]},
        }
        if seccomp:
            cfg["linux"]["seccomp"] = seccomp
        r = env.cfs("run", "-d", "-b", env.bundle(cfg), self.id)
        assert r.rc == 0, r

    def sh(self, *cmd, timeout=30):
        extra = []
        if "ASAN_OPTIONS" in os.environ:
            extra = ["--env", "ASAN_OPTIONS=" + os.environ["ASAN_OPTIONS"]]
        return self.env.cfs("exec", *extra, self.id, *cmd, timeout=timeout)

    def cfs(self, *args, timeout=30):
        return self.sh(CFSRUN, *self.flags, "--root", "/run/cfsrun-test", *args, timeout=timeout)

    def cgroup_dirs(self, path):
        """Every hierarchy's directory for cgroup PATH, as seen inside."""
        return self.sh("sh", "-c", "ls -d /sys/fs/cgroup/*%s /sys/fs/cgroup%s 2>/dev/null" % (path, path)).out.split()

    def done(self):
        self.env.cfs("delete", "-f", self.id)
