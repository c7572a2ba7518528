"""A Podman of the test's own, for test_images and test_rest: everything it
reads or writes is under the test's temp dir.  containers.conf (cfsrun as
the runtime, cgroupfs, file events, k8s-file logs, no network),
storage.conf and registries.conf, --root/--runroot/--tmpdir, the network
config dir, XDG_CONFIG_HOME and HOME, and cfsrun's state root: the runtime
path Podman is given is a two-line script running the built cfsrun with
--root, because Podman 4.3 does not pass --runtime-flag on to the `podman
container cleanup` that conmon runs when a container exits.

done() removes the containers, resets and unmounts the store, deletes what
cfsrun still holds, and removes Podman's empty conmon cgroups."""
import glob
import os
import shutil
import subprocess

from harness import CFSRUN, Skip


class PrivatePodman:
    def __init__(self, env, need=("podman",)):
        for tool in need:
            if shutil.which(tool) is None:
                raise Skip("%s is not installed" % tool)
        self.dir = d = os.path.join(env.dir, "podman")
        self.paths = {k: os.path.join(d, k) for k in ("storage", "run", "tmp", "net", "state", "config", "home")}
        for p in self.paths.values():
            os.makedirs(p)
        self.events_log = os.path.join(d, "events.log")
        self.runtime = os.path.join(d, "cfsrun")
        with open(self.runtime, "w") as f:
            f.write('#!/bin/sh\nexec "%s" --root "%s" "$@"\n' % (CFSRUN, self.paths["state"]))
        os.chmod(self.runtime, 0o755)
        conf = os.path.join(d, "containers.conf")
        with open(conf, "w") as f:
            f.write('[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n'
                    'log_driver = "k8s-file"\nnetns = "none"\n'
                    '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n'
                    'events_logfile_path = "%s"\nruntime = "cfsrun"\n'
                    '[engine.runtimes]\ncfsrun = ["%s"]\n' % (self.events_log, self.runtime))
        storage = os.path.join(d, "storage.conf")
        with open(storage, "w") as f:
            f.write('[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "%s"\n'
                    % (self.paths["storage"], self.paths["run"]))
        registries = os.path.join(d, "registries.conf")
        with open(registries, "w") as f:
            f.write("unqualified-search-registries = []\n")
        self.env = dict(os.environ, CONTAINERS_CONF=conf, CONTAINERS_STORAGE_CONF=storage,
                        CONTAINERS_REGISTRIES_CONF=registries, XDG_CONFIG_HOME=self.paths["config"],
                        HOME=self.paths["home"])
        self.env.pop("XDG_RUNTIME_DIR", None)
        self.flags = ["--root", self.paths["storage"], "--runroot", self.paths["run"], "--tmpdir", self.paths["tmp"],
                      "--network-config-dir", self.paths["net"], "--cgroup-manager=cgroupfs",
                      "--events-backend=file"]

    def podman(self, *args, timeout=60):
        return subprocess.run(["podman"] + self.flags + list(args), capture_output=True, text=True, timeout=timeout,
                              env=self.env, stdin=subprocess.DEVNULL)

    def storage_ref(self, name):
        """NAME in this store, as skopeo names it."""
        return "containers-storage:[overlay@%s+%s]%s" % (self.paths["storage"], self.paths["run"], name)

    def done(self):
        self.podman("rm", "-a", "-f")
        self.podman("system", "reset", "-f")
        subprocess.run(["umount", "-R", self.paths["storage"]], capture_output=True)
        # What cfsrun still holds (a test that failed half-way): its delete
        # removes the container's cgroups too.
        for cid in os.listdir(self.paths["state"]):
            subprocess.run([CFSRUN, "--root", self.paths["state"], "delete", "--force", cid], capture_output=True)
        for d in glob.glob("/sys/fs/cgroup/*/libpod_parent/conmon") + glob.glob("/sys/fs/cgroup/*/libpod_parent"):
            try:
                os.rmdir(d)
            except OSError:
                pass
