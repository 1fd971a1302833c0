"""A throwaway single-node Slurm cluster on this machine, for tests of the job-array scripts.

    from minicluster import MiniCluster
    with MiniCluster() as mc:                         # munged, slurmctld, slurmd; node idle
        job = mc.sbatch(["--array=0-3", script, spec, out])
        states = mc.wait(job, timeout=120)            # {"1234_0": ("COMPLETED", "0:0"), ...}
        mc.run(["squeue"])                            # any Slurm client, on this cluster
    # daemons stopped (and every process of theirs), temp dir removed, even on an exception

Everything lives in one fresh temp dir (munge key, socket, slurm.conf, state, spool, logs); the
daemons run in the foreground as children of this process (killed with it: PR_SET_PDEATHSIG),
on ports outside the kernel's ephemeral range that were free a moment before (tried again with
new ones if a port was taken meanwhile). Nothing outside the temp dir is written, /etc included:
clients find the cluster through SLURM_CONF in mc.env, which every Slurm command run through mc
(and every job, which inherits the submitter's environment) carries. mc.env also marks the
cluster's processes (KEEL_MINICLUSTER=<temp dir>): stop() kills whatever carries it, so keep it
out of os.environ. Needs root (SlurmUser=root, munged's key owned by its user) and Debian's slurm-wlm and
munge packages. No accounting: finished jobs are seen in slurmctld's memory (MinJobAge).

Every wait is bounded and fails with the tail of the daemons' logs (ClusterError).
Run it directly (`minicluster.py --help`) to bring a cluster up by hand.
"""
import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from childproc import die_with_parent  # noqa: E402

POLL = 0.2  # how often a wait looks again (a polling period, not a wait)
PORT_ATTEMPTS = 3  # bring-ups tried when a port was taken meanwhile
MARKER = "KEEL_MINICLUSTER"  # env var naming the temp dir, in every process of the cluster
FINAL_STATES = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED",
                "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE"}


class ClusterError(Exception):
    """The cluster did not come up, a command failed or a wait ran out; the message says which
    and includes the daemons' log tails."""


def _free_ports(count):
    """count distinct TCP ports that are free now, below the ephemeral range (so an outgoing
    connection of another process cannot take one before the daemon binds it)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    rng = random.Random()
    ports = []
    for _ in range(1000):
        port = rng.randrange(10000, low)
        if port in ports:
            continue
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("", port))
            except OSError:
                continue
        ports.append(port)
        if len(ports) == count:
            return ports
    raise ClusterError(f"no {count} free TCP ports found below {low}")


def _mem_mb():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    return 1024


def cluster_pids(root):
    """Pids of every live process whose environment carries MARKER=root: the daemons, the
    slurmstepds and the jobs' processes (a job inherits the submitter's environment)."""
    needle = f"{MARKER}={root}".encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:  # gone, or a kernel thread
            continue
        if needle in env:
            found.append(int(name))
    return found


class MiniCluster:
    """A single-node Slurm cluster in a fresh temp dir; a context manager (start() / stop())."""

    def __init__(self, cpus=None, up_timeout=60, keep=False):
        self.cpus = cpus or os.cpu_count() or 1
        self.up_timeout = up_timeout
        self.keep = keep  # leave the temp dir for a post-mortem (the daemons are still stopped)
        self.root = None
        self.env = None
        self.node = "keel-node"
        self.procs = {}
        self.timings = {}  # seconds: "up" (start() to node idle), "down" (stop())

    # ---- bring-up ---------------------------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def start(self):
        if os.geteuid() != 0:
            raise ClusterError("the mini cluster needs root (SlurmUser=root, munged's key)")
        for tool in ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "sinfo", "scontrol"):
            if shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None:
                raise ClusterError(f"{tool} not found: install Debian's slurm-wlm and munge")
        began = time.monotonic()
        for attempt in range(1, PORT_ATTEMPTS + 1):
            # Short path under /tmp: slurmstepd and munged put unix sockets in it (108 bytes).
            self.root = tempfile.mkdtemp(prefix="keel-slurm-", dir="/tmp")
            try:
                self._write_files()
                self._start_munged()
                self._start_slurm()
                self._wait_idle()
                break
            except ClusterError as e:
                self.stop()
                # A port taken between _free_ports() and the daemon's bind: again, new ports.
                if "Address already in use" not in str(e) or attempt == PORT_ATTEMPTS:
                    raise
            except BaseException:
                self.stop()
                raise
        self.timings["up"] = time.monotonic() - began

    def _write_files(self):
        # munged wants its socket's directories searchable by all (clients of any user).
        os.chmod(self.root, 0o755)
        os.mkdir(self.path("munge"), 0o755)
        for d in ("state", "spool", "log"):
            os.mkdir(self.path(d), 0o700)
        self.env = dict(os.environ, SLURM_CONF=self.path("slurm.conf"), **{MARKER: self.root})
        self.env["PATH"] = self.env.get("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        # Slurm clients prefer these over the conf; an outer job's values would mislead them.
        for k in ("SLURM_CONF_SERVER", "SLURM_CLUSTERS", "SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID"):
            self.env.pop(k, None)
        self._check(["mungekey", "--create", "--keyfile", self.path("munge", "munge.key")])
        os.chmod(self.path("munge", "munge.key"), 0o400)
        open(self.path("plugstack.conf"), "w").close()  # not /etc/slurm/plugstack.conf
        ctld_port, slurmd_port = _free_ports(2)
        host = socket.gethostname().split(".")[0]
        conf = f"""# The mini cluster of tools/faults/slurm/minicluster.py (removed with it).
ClusterName=keelmini
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={self.path("munge", "munge.sock")}
CredType=cred/munge
StateSaveLocation={self.path("state")}
SlurmdSpoolDir={self.path("spool")}
SlurmctldPidFile={self.path("slurmctld.pid")}
SlurmdPidFile={self.path("slurmd.pid")}
SlurmdLogFile={self.path("log", "slurmd.log")}
PlugStackConfig={self.path("plugstack.conf")}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
# Start batch jobs at once (default: up to 3 s later, to batch them).
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
MinJobAge=600
SlurmdTimeout=300
NodeName={self.node} NodeHostname={host} NodeAddr=127.0.0.1 CPUs={self.cpus} \
RealMemory={max(_mem_mb() // 2, 1)} State=UNKNOWN
PartitionName=keel Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""
        with open(self.path("slurm.conf"), "w") as f:
            f.write(conf)

    def _spawn(self, name, argv):
        log = open(self.path("log", f"{name}.out"), "wb")
        parent = os.getpid()
        try:
            self.procs[name] = subprocess.Popen(
                argv, env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=self.root, preexec_fn=lambda: die_with_parent(parent))
        finally:
            log.close()

    def _start_munged(self):
        m = self.path("munge")
        self._spawn("munged", ["munged", "--foreground", f"--socket={m}/munge.sock",
                               f"--key-file={m}/munge.key", f"--pid-file={m}/munged.pid",
                               f"--log-file={self.path('log', 'munged.log')}",
                               f"--seed-file={m}/munged.seed"])
        self._wait(lambda: os.path.exists(f"{m}/munge.sock"), self.up_timeout,
                   "munged to create its socket")

    def _start_slurm(self):
        conf = self.path("slurm.conf")
        self._spawn("slurmctld", ["slurmctld", "-D", "-c", "-f", conf])
        self._wait(lambda: self._quiet(["scontrol", "ping"], "UP"), self.up_timeout,
                   "slurmctld to answer `scontrol ping`")
        self._spawn("slurmd", ["slurmd", "-D", "-f", conf, "-N", self.node])

    def _wait_idle(self):
        self._wait(lambda: self._quiet(["sinfo", "-h", "-N", "-o", "%t"], "idle", exact=True),
                   self.up_timeout, f"node {self.node} to be idle in sinfo")

    # ---- use --------------------------------------------------------------------------------

    def run(self, argv, check=True, timeout=30, env=None, cwd=None):
        """Run a Slurm client (or any command, e.g. a submit script) with the cluster's
        environment plus env, in cwd; its standard output. A job inherits that environment and
        (unless told otherwise) writes its slurm-*.out into cwd."""
        try:
            r = subprocess.run(argv, env=dict(self.env, **(env or {})), cwd=cwd,
                               capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ClusterError(f"{' '.join(argv)}: no answer in {timeout} s{self.logs()}")
        if check and r.returncode != 0:
            raise ClusterError(f"{' '.join(argv)} failed ({r.returncode}): "
                               f"{r.stderr.strip()}{self.logs()}")
        return r.stdout

    def sbatch(self, args, env=None, cwd=None):
        """Submit (sbatch --parsable ARGS) with the extra environment env, from cwd; the job
        id (str)."""
        out = self.run(["sbatch", "--parsable"] + list(args), env=env, cwd=cwd)
        return out.strip().split(";")[0]

    def states(self, job):
        """{job id or array task (12_3): (JobState, ExitCode)} of job, while slurmctld knows it
        (a pending array's not-yet-split tasks show as one entry, 12_[1-3])."""
        out = self.run(["scontrol", "-o", "show", "job", job], check=False)
        found = {}
        for line in out.splitlines():
            f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
            if "JobId" not in f:
                continue
            key = f["JobId"]
            if "ArrayTaskId" in f:
                key = f"{f.get('ArrayJobId', key)}_{f['ArrayTaskId']}"
            found[key] = (f.get("JobState", "?"), f.get("ExitCode", "?"))
        return found

    def wait(self, job, timeout=120):
        """Wait until every task of job (plain or array) is in a final state; their states."""
        last = {}

        def done():
            last.clear()
            last.update(self.states(job))
            return bool(last) and all(s in FINAL_STATES and "[" not in k
                                      for k, (s, _) in last.items())
        self._wait(done, timeout, lambda: f"job {job} to finish (last seen: {last})")
        return dict(last)

    # ---- teardown ---------------------------------------------------------------------------

    def stop(self, timeout=20):
        """Stop the daemons and every process of the cluster, then remove the temp dir."""
        if self.root is None:
            return
        began = time.monotonic()
        # slurmd first (it ends its steps), then the controller, then munge.
        for name in ("slurmd", "slurmctld", "munged"):
            p = self.procs.get(name)
            if p is None or p.poll() is not None:
                continue
            p.terminate()
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout)
        # Anything left of the cluster (a slurmstepd or a job's process after a failure).
        deadline = time.monotonic() + timeout
        while True:
            left = cluster_pids(self.root)
            if not left or time.monotonic() > deadline:
                break
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(POLL)
        if left:
            raise ClusterError(f"processes of the cluster survived SIGKILL: {left}")
        if self.keep:
            print(f"minicluster: kept {self.root}", file=sys.stderr)
        else:
            shutil.rmtree(self.root, ignore_errors=True)
        self.root = None
        self.timings["down"] = time.monotonic() - began

    # ---- helpers ----------------------------------------------------------------------------

    def _check(self, argv):
        r = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise ClusterError(f"{' '.join(argv)} failed ({r.returncode}): {r.stderr.strip()}")

    def _quiet(self, argv, want, exact=False):
        """Whether argv succeeds and prints want (a word, or exactly want with exact)."""
        try:
            r = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired:
            return False
        out = r.stdout.strip()
        return r.returncode == 0 and (out == want if exact else want in out)

    def _wait(self, cond, timeout, what):
        """Poll cond() until it holds; what (a string, or a function giving one at the end)
        names the wait in the error."""
        deadline = time.monotonic() + timeout
        while not cond():
            for name, p in self.procs.items():
                if p.poll() is not None:
                    raise ClusterError(f"{name} exited ({p.returncode}) while waiting for "
                                       f"{what() if callable(what) else what}{self.logs()}")
            if time.monotonic() > deadline:
                raise ClusterError(f"timed out after {timeout} s waiting for "
                                   f"{what() if callable(what) else what}{self.logs()}")
            time.sleep(POLL)

    def logs(self, lines=15):
        """The tail of every daemon log, for an error message."""
        if self.root is None:
            return ""
        text = ""
        names = sorted(os.listdir(self.path("log")))
        for name in names:
            if name.endswith(".out") and name[:-4] + ".log" in names:
                continue  # the same lines as the log file
            try:
                with open(self.path("log", name), errors="replace") as f:
                    tail = f.readlines()[-lines:]
            except OSError:
                continue
            if tail:
                text += f"\n--- {name} (last {len(tail)} lines)\n" + "".join(tail)
        return text


def main():
    ap = argparse.ArgumentParser(
        description="Bring up a single-node Slurm cluster in a temp dir, run COMMAND against it "
                    "(SLURM_CONF set), then tear it down. Without COMMAND: print how to reach "
                    "it and wait for Ctrl-C.")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs) at the end")
    ap.add_argument("--timeout", type=float, default=60, help="bring-up bound in seconds")
    ap.add_argument("command", nargs=argparse.REMAINDER, help="command to run on the cluster")
    args = ap.parse_args()
    try:
        with MiniCluster(up_timeout=args.timeout, keep=args.keep) as mc:
            print(f"minicluster: up in {mc.timings['up']:.1f} s, "
                  f"SLURM_CONF={mc.env['SLURM_CONF']}", file=sys.stderr)
            if args.command:
                return subprocess.run(args.command, env=mc.env).returncode
            try:
                signal.pause()
            except KeyboardInterrupt:
                return 0
    except ClusterError as e:
        print(f"minicluster: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
