#!/usr/bin/env python3
"""The Linux reference, measured now on this machine's QEMU: Debian's Linux kernel with a
busybox initramfs, booted with the QEMU settings of Keel's benchmarks, timing the operations
that match Keel's benchmarks (docs/benchmarking-linux.md):

  boot_to_prompt       QEMU start -> the shell prompt on the serial console (host clock; boot.py's
                       host_to_prompt_ms)                                                     ms
  kernel_entry_to_init CLOCK_BOOTTIME read by the first command of /init (guest)               ms
  module_load          init_module() of an empty module (loader.py: load)                     us
  module_unload        delete_module() of it (loader.py: unload)                              us
  livepatch            insmod of a one-function livepatch until its transition is complete
                       (swap.py: whole swap)                                                  us
  yield_pingpong       sched_yield between two threads, per switch (tasks.py: switch)          us
  spawn_join           pthread_create + pthread_join of an empty thread (tasks.py: spawn_join) us
  pipe_roundtrip       one byte there and back over two pipes between two threads
                       (tasks.py: rv_rtt / async_rtt)                                          us
  spawn_join_x         spawn_join, the thread created pinned to CPU 1 (tasks.py: spawn_join_x) us
  pipe_roundtrip_x     pipe_roundtrip, the echo thread on CPU 1 (tasks.py: rv_rtt_x)           us
  stop_machine         stop_machine() of an empty function, timed in the kernel by keel_stop.ko
                       (swap.py: world_stop, `cpus --stop`)                                    us

The guest has the CPUs of every benchmark VM (KEEL_TEST_SMP, tools/keel bench --smp N; 2 by
default); the measuring thread runs on CPU 0, and the *_x figures, which need a second CPU, are
measured only with 2 or more (X_METRICS).

The parts come from Debian: the kernel image is the linux-image-<ver>-amd64-unsigned package
matching the installed linux-headers-amd64 (fetched with apt-get download and unpacked under
BUILD/linux-ref, never installed), the modules are built with kbuild against those headers,
busybox from busybox-static, the guest program (tools/bench/linux/lbench.c) with the host's cc
-static. tools/keel setup installs the packages.

    linux.py --build build [--runs N] [--boots B] [--out FILE] [--json] [--quiet-boot]

Prints a table (median, p99, min, runs) and writes JSON (default BUILD/bench/linux.json); --json
prints the JSON instead of the table. Exits non-zero, printing "linux benchmark: FAILED: <why>",
when a figure could not be measured. measure() is the same as a function (no side effects at
import).
"""
import argparse
import json
import math
import os
import re
import shutil
import stat
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "linux")
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "qemu"))
from keelvm import GuestError, KeelVM, default_smp, smp_args  # noqa: E402

# name -> (unit, what); every one is in measure()'s result or measure() raises.
METRICS = {
    "boot_to_prompt": ("ms", "QEMU start -> shell prompt (host clock)"),
    "kernel_entry_to_init": ("ms", "kernel entry -> /init's first command (CLOCK_BOOTTIME)"),
    "module_load": ("us", "init_module of an empty module"),
    "module_unload": ("us", "delete_module of it"),
    "livepatch": ("us", "livepatch insmod -> transition complete"),
    "yield_pingpong": ("us", "sched_yield ping-pong, per switch"),
    "spawn_join": ("us", "pthread_create + pthread_join"),
    "pipe_roundtrip": ("us", "1-byte round trip over two pipes"),
    "spawn_join_x": ("us", "pthread_create + pthread_join, the thread on CPU 1"),
    "pipe_roundtrip_x": ("us", "1-byte round trip over two pipes, the echo thread on CPU 1"),
    "stop_machine": ("us", "stop_machine() of an empty function (in the kernel)"),
}
GUEST_METRICS = ("module_load", "module_unload", "livepatch", "yield_pingpong", "spawn_join",
                 "pipe_roundtrip", "spawn_join_x", "pipe_roundtrip_x", "stop_machine")
# Measured only when the guest has 2 or more CPUs (the partner thread on CPU 1).
X_METRICS = ("spawn_join_x", "pipe_roundtrip_x")
MODULES = ("keel_hello", "keel_lp", "keel_stop")
PROMPT = "linux-ref# "
MEMORY = "256M"  # KeelVM's default, the memory of every Keel benchmark VM
QEMU_EXTRA = ["-nic", "none"]
# Kernel command lines. panic=-1: a panic reboots, and -no-reboot turns that into QEMU's exit.
BASE_CMDLINE = "console=ttyS0 panic=-1"
DEFAULT_RUNS = 200
DEFAULT_BOOTS = 7


class LinuxRefError(Exception):
    """A part of the Linux reference is missing or a figure could not be measured."""


def _log(msg):
    print(f"linux: {msg}", file=sys.stderr, flush=True)


def _run(cmd, what, cwd=None):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if p.returncode != 0:
        raise LinuxRefError(f"{what} failed ({' '.join(cmd)}):\n{p.stdout[-3000:]}")
    return p.stdout


def _newer(target, *sources):
    """True if target exists and is newer than every source."""
    if not os.path.exists(target):
        return False
    t = os.path.getmtime(target)
    return all(os.path.getmtime(s) < t for s in sources)


# --- the Debian parts -----------------------------------------------------------------------

def _dpkg_field(package, field):
    p = subprocess.run(["dpkg-query", "-W", "-f", f"${{Status}}\t${{{field}}}", package],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    status, _, value = p.stdout.partition("\t")
    return value if p.returncode == 0 and "install ok installed" in status else None


def headers():
    """(kernel release, Debian package version, headers dir) of the installed
    linux-headers-amd64."""
    dep = _dpkg_field("linux-headers-amd64", "Depends")
    m = re.search(r"linux-headers-(\S+-amd64)", dep or "")
    if not m:
        raise LinuxRefError("linux-headers-amd64 is not installed (run tools/keel setup, which "
                            "installs the Debian packages the Linux reference needs)")
    release = m.group(1)
    pkgver = _dpkg_field(f"linux-headers-{release}", "Version")
    hdir = f"/usr/src/linux-headers-{release}"
    if not pkgver or not os.path.isdir(hdir):
        raise LinuxRefError(f"linux-headers-{release} is not installed (tools/keel setup)")
    with open(os.path.join(hdir, "include", "generated", "utsrelease.h")) as f:
        uts = re.search(r'UTS_RELEASE "([^"]+)"', f.read())
    if not uts or uts.group(1) != release:
        raise LinuxRefError(f"{hdir} builds for {uts and uts.group(1)}, not {release}")
    return release, pkgver, hdir


def bzimage_version(path):
    """The version string a bzImage carries (boot protocol: kernel_version at 0x20e)."""
    with open(path, "rb") as f:
        data = f.read(0x10000)
    if data[0x202:0x206] != b"HdrS":
        raise LinuxRefError(f"{path} is not a bzImage")
    off = int.from_bytes(data[0x20e:0x210], "little") + 0x200
    return data[off:data.index(b"\0", off)].decode("ascii", "replace")


def fetch_kernel(cache, release, pkgver):
    """Debian's kernel image for release at pkgver, unpacked under cache (once): the path of the
    unpacked boot/ directory."""
    dest = os.path.join(cache, f"image-{release}-{pkgver}")
    boot = os.path.join(dest, "boot")
    vmlinuz = os.path.join(boot, f"vmlinuz-{release}")
    if os.path.exists(os.path.join(dest, ".complete")):
        return boot
    pkg = f"linux-image-{release}-unsigned"
    _log(f"fetching Debian's kernel: apt-get download {pkg}={pkgver} (about 70 MB, once) "
         f"into {cache}")
    os.makedirs(cache, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="fetch-", dir=cache)
    try:
        p = subprocess.run(["apt-get", "download", f"{pkg}={pkgver}"], cwd=tmp,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        debs = [f for f in os.listdir(tmp) if f.endswith(".deb")]
        if p.returncode != 0 or not debs:
            raise LinuxRefError(
                f"cannot download {pkg}={pkgver} (the kernel image matching the installed "
                f"linux-headers-{release}):\n{p.stdout.strip()[-1500:]}\n"
                "It needs a Debian mirror: when offline, copy that package's .deb into "
                f"{cache} by hand and unpack it with: dpkg-deb -x <deb> {dest} && "
                f"touch {dest}/.complete. If the mirror no longer has {pkgver}, bring the "
                "headers up to date: apt-get update && apt-get install linux-headers-amd64.")
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        # Only ./boot (vmlinuz, config): the benchmark needs no module of the package.
        _run(["sh", "-c", 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" ./boot', "sh",
              os.path.join(tmp, debs[0]), dest], f"unpacking {debs[0]}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not os.path.exists(vmlinuz):
        raise LinuxRefError(f"{pkg} has no boot/vmlinuz-{release}")
    open(os.path.join(dest, ".complete"), "w").close()
    return boot


def check_image(boot, release, pkgver):
    """The image must be exactly the headers' kernel (the modules' vermagic) and have
    CONFIG_LIVEPATCH; returns the image's version string."""
    version = bzimage_version(os.path.join(boot, f"vmlinuz-{release}"))
    if not version.startswith(release + " ") or f" {pkgver} " not in version + " ":
        raise LinuxRefError(f"kernel version mismatch: the image is '{version}', the headers "
                            f"are {release} {pkgver}; the modules would not load (vermagic)")
    with open(os.path.join(boot, f"config-{release}")) as f:
        config = f.read()
    if not re.search(r"^CONFIG_LIVEPATCH=y$", config, re.M):
        raise LinuxRefError(f"Debian's {release} has no CONFIG_LIVEPATCH=y: the livepatch "
                            "figure is unavailable with this kernel")
    return version


def build_modules(cache, release, hdir):
    """The MODULES (keel_hello.ko, keel_lp.ko, keel_stop.ko), built with kbuild in cache/modules
    (a copy of the sources: kbuild writes next to them). Returns {name: path}."""
    mdir = os.path.join(cache, "modules")
    os.makedirs(mdir, exist_ok=True)
    for name in ("Kbuild",) + tuple(m + ".c" for m in MODULES):
        src, dst = os.path.join(SRC, name), os.path.join(mdir, name)
        if not os.path.exists(dst) or open(src, "rb").read() != open(dst, "rb").read():
            shutil.copyfile(src, dst)
    _run(["make", "-C", hdir, f"M={mdir}", "modules"], "building the modules with kbuild")
    kos = {}
    for name in MODULES:
        ko = os.path.join(mdir, name + ".ko")
        with open(ko, "rb") as f:
            m = re.search(rb"vermagic=(\S+)", f.read())
        if not m or m.group(1).decode() != release:
            raise LinuxRefError(f"{ko}: vermagic {m and m.group(1)}, not {release}")
        kos[name] = ko
    return kos


def build_lbench(cache):
    out = os.path.join(cache, "lbench")
    src = os.path.join(SRC, "lbench.c")
    if not _newer(out, src):
        tmp = f"{out}.tmp{os.getpid()}"
        _run(["cc", "-O2", "-Wall", "-static", "-pthread", "-o", tmp, src],
             "building the guest program (cc -static; needs libc6-dev)")
        _run(["strip", tmp], "strip")
        os.replace(tmp, out)
    return out


def busybox():
    path = "/bin/busybox"
    owner = subprocess.run(["dpkg-query", "-S", path], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True).stdout
    if "busybox-static" not in owner:
        raise LinuxRefError(f"{path} is not busybox-static's (run tools/keel setup)")
    applets = _run([path, "--list"], "busybox --list").split()
    return path, applets


def _cpio_entry(name, mode, data=b"", ino=1, rdev=(0, 0)):
    """One newc entry (cpio -H newc): header, name, data, each padded to 4 bytes."""
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    hdr = b"070701" + b"".join(b"%08X" % v for v in fields)
    out = hdr + name.encode() + b"\0"
    out += b"\0" * (-len(out) % 4) + data
    return out + b"\0" * (-len(out) % 4)


def build_initramfs(outdir, lbench, kos):
    """An uncompressed newc cpio: /init, busybox (and a link per applet), lbench, the modules."""
    bb, applets = busybox()
    files = [("init", 0o100755, open(os.path.join(SRC, "init"), "rb").read()),
             ("bin/busybox", 0o100755, open(bb, "rb").read()),
             ("bin/lbench", 0o100755, open(lbench, "rb").read())]
    files += [(f"lib/modules/keel/{n}.ko", 0o100644, open(p, "rb").read())
              for n, p in sorted(kos.items())]
    dirs = ["bin", "dev", "proc", "sys", "lib", "lib/modules", "lib/modules/keel"]
    out = bytearray()
    ino = 1
    for d in dirs:
        out += _cpio_entry(d, stat.S_IFDIR | 0o755, ino=ino)
        ino += 1
    for name, mode, data in files:
        out += _cpio_entry(name, mode, data, ino)
        ino += 1
    for a in applets:
        if a != "busybox":
            out += _cpio_entry(f"bin/{a}", stat.S_IFLNK | 0o777, b"busybox", ino)
            ino += 1
    # The kernel opens /dev/console for init's stdin/out/err before devtmpfs is mounted.
    out += _cpio_entry("dev/console", stat.S_IFCHR | 0o600, ino=ino, rdev=(5, 1))
    out += _cpio_entry("TRAILER!!!", 0, ino=0)
    path = os.path.join(outdir, "initramfs.cpio")
    with open(path + ".tmp", "wb") as f:
        f.write(out)
    os.replace(path + ".tmp", path)
    return path


def build_iso(out, vmlinuz, initrd, cmdline):
    """A GRUB ISO booting Linux, the way tools/mkiso.sh makes Keel's (same GRUB, same serial
    settings, no menu delay), so both boot through SeaBIOS, GRUB and the CD-ROM alike."""
    work = tempfile.mkdtemp(prefix="linux-iso-")
    try:
        os.makedirs(os.path.join(work, "iso", "boot", "grub"))
        shutil.copyfile(vmlinuz, os.path.join(work, "iso", "boot", "vmlinuz"))
        shutil.copyfile(initrd, os.path.join(work, "iso", "boot", "initrd.cpio"))
        with open(os.path.join(work, "iso", "boot", "grub", "grub.cfg"), "w") as f:
            f.write("set timeout=0\nset default=0\nserial --unit=0 --speed=115200\n"
                    "terminal_input serial console\nterminal_output serial console\n"
                    f'menuentry "Linux" {{\n    linux /boot/vmlinuz {cmdline}\n'
                    "    initrd /boot/initrd.cpio\n    boot\n}\n")
        _run(["grub-mkrescue", "-o", out + ".tmp", os.path.join(work, "iso")], "grub-mkrescue")
        os.replace(out + ".tmp", out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def qemu_version(qemu="qemu-system-x86_64"):
    out = _run([qemu, "--version"], "qemu --version")
    m = re.search(r"version (\S+(?: \([^)]*\))?)", out)
    return m.group(1) if m else out.splitlines()[0]


def prepare(build_dir, workdir, quiet_boot=False):
    """Fetch and build every part (the Debian parts, modules and lbench cached in
    build_dir/linux-ref; the initramfs in workdir); returns a dict of paths and versions."""
    cache = os.path.join(os.path.abspath(build_dir), "linux-ref")
    release, pkgver, hdir = headers()
    boot = fetch_kernel(cache, release, pkgver)
    version = check_image(boot, release, pkgver)
    kos = build_modules(cache, release, hdir)
    lbench = build_lbench(cache)
    initrd = build_initramfs(workdir, lbench, kos)
    return {"cache": cache, "release": release, "pkgver": pkgver, "version": version,
            "vmlinuz": os.path.join(boot, f"vmlinuz-{release}"), "initrd": initrd,
            "prompt_cmdline": BASE_CMDLINE + (" quiet" if quiet_boot else "")
            + " lbench_mode=prompt"}


# --- the runs -------------------------------------------------------------------------------

def _vm(iso, workdir):
    return KeelVM(None, iso=iso, memory=MEMORY, workdir=workdir, extra_args=QEMU_EXTRA)


def boot_run(iso, workdir):
    """One boot to the prompt: (QEMU start -> prompt in ns, CLOCK_BOOTTIME at init in ns),
    timed like tools/bench/boot.py's prompt_run."""
    with _vm(iso, workdir) as vm:
        t0 = time.monotonic_ns()
        vm.start()
        m = vm.expect(r"LINUX_INIT_BOOTTIME_NS (\d+)\n", timeout=180)
        vm.expect(re.escape(PROMPT), timeout=60)
        t_prompt = time.monotonic_ns()
    return t_prompt - t0, int(m.group(1))


def bench_run(iso, workdir, runs):
    """One boot that runs lbench; the parsed LINUX_BENCH_JSON object."""
    with _vm(iso, workdir) as vm:
        vm.start()
        # With a second CPU a livepatch transition completes at klp's next retry, about 1 s
        # after it starts (every task must pass a safe point): allow for that in each round.
        per_round = 0.6 + (1.5 if default_smp() > 1 else 0)
        m = vm.expect(r"LINUX_BENCH_JSON (\{.*\})\n", timeout=180 + runs * per_round)
        vm.expect(r"LINUX_BENCH_STATUS 0\b", timeout=30)
        vm.wait_exit(timeout=60)
        tail = vm.tail(30)
    try:
        return json.loads(m.group(1))
    except ValueError as e:
        raise LinuxRefError(f"the guest's LINUX_BENCH_JSON line is not valid JSON ({e}); "
                            f"the guest's output ends:\n{tail}")


def summary(samples_ns, unit):
    """median, p99 (nearest rank), min in unit, and the number of runs."""
    if not samples_ns or min(samples_ns) <= 0:
        raise LinuxRefError("no positive sample")
    div = {"us": 1e3, "ms": 1e6}[unit]
    s = sorted(samples_ns)
    p99 = s[max(0, math.ceil(0.99 * len(s)) - 1)]
    return {"median": statistics.median(s) / div, "p99": p99 / div, "min": s[0] / div,
            "runs": len(s), "unit": unit}


def expected(smp):
    """The figures of METRICS a guest with smp CPUs measures: all but X_METRICS with one."""
    return [name for name in METRICS if smp >= 2 or name not in X_METRICS]


def measure(build_dir, workdir, runs=DEFAULT_RUNS, boots=DEFAULT_BOOTS, quiet_boot=False):
    """Measure every figure of METRICS on Debian's Linux in this machine's QEMU (with one CPU,
    all but X_METRICS), the guest with default_smp() CPUs, as every Keel benchmark VM.

    build_dir: Keel's build directory (the parts are cached in build_dir/linux-ref);
    workdir: scratch space of the VMs; runs: rounds of each in-guest operation; boots: boots to
    the prompt. Returns {"metrics": {name: {"median", "p99", "min", "runs", "unit"}},
    "kernel": release, "qemu": version, "smp": CPUs, ...}; raises LinuxRefError (or
    keelvm.GuestError) with the reason when a figure could not be measured."""
    if runs < 1 or boots < 1:
        raise ValueError("runs and boots must be at least 1")
    smp = default_smp()
    os.makedirs(workdir, exist_ok=True)
    parts = prepare(build_dir, workdir, quiet_boot)
    isodir = workdir
    prompt_iso = build_iso(os.path.join(isodir, "prompt.iso"), parts["vmlinuz"], parts["initrd"],
                           parts["prompt_cmdline"])
    # The in-guest rounds with the console at warnings (quiet): the kernel's notices about
    # each module and livepatch are then not printed on the serial port inside the timings.
    run_cmdline = f"{BASE_CMDLINE} quiet lbench_mode=run lbench_rounds={runs}"
    run_iso = build_iso(os.path.join(isodir, "run.iso"), parts["vmlinuz"], parts["initrd"],
                        run_cmdline)
    prompt_ns, init_ns = [], []
    for i in range(boots):
        _log(f"boot {i + 1}/{boots} to the prompt")
        p, b = boot_run(prompt_iso, workdir)
        prompt_ns.append(p)
        init_ns.append(b)
    _log(f"in-guest benchmarks, {runs} rounds each")
    guest = bench_run(run_iso, workdir, runs)
    metrics = {"boot_to_prompt": summary(prompt_ns, "ms"),
               "kernel_entry_to_init": summary(init_ns, "ms")}
    errors = []
    if guest.get("cpus") != smp:
        errors.append(f"the guest sees {guest.get('cpus')} CPUs, QEMU was given {smp}")
    for name in GUEST_METRICS:
        g = guest.get("metrics", {}).get(name)
        if name not in expected(smp):
            if not g or "skipped" not in g:
                errors.append(f"{name}: measured with {smp} CPU, expected skipped: {g}")
            continue
        if not g or "error" in g or "skipped" in g or not g.get("samples_ns"):
            errors.append(f"{name}: " + (g.get("error") or g.get("skipped") or "no samples"
                                         if g else "missing from the guest result"))
            continue
        try:
            metrics[name] = summary(g["samples_ns"], METRICS[name][0])
        except LinuxRefError as e:
            errors.append(f"{name}: {e}")
    if errors:
        raise LinuxRefError("not measured: " + "; ".join(errors))
    return {"benchmark": "linux", "metrics": metrics, "kernel": parts["release"],
            "kernel_version": parts["version"], "debian_package": parts["pkgver"],
            "qemu": qemu_version(), "memory": MEMORY,
            "qemu_args": f"-m {MEMORY} -cdrom <GRUB ISO> -boot d -serial stdio -display none "
                         "-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 "
                         "-monitor none " + " ".join(QEMU_EXTRA) +
                         f" {' '.join(smp_args(smp))} (TCG; lbench's measuring thread on CPU 0,"
                         " the *_x partner threads on CPU 1)",
            "cmdline": {"boot": parts["prompt_cmdline"], "bench": run_cmdline},
            "smp": smp, "clocksource": guest.get("clocksource"), "tsc_hz": guest.get("tsc_hz"),
            # The yield partner's rounds while the measuring thread did `rounds` yields.
            "yield_partner_rounds": guest.get("yield_partner_rounds"),
            "rounds": runs, "boots": boots}


def print_table(result):
    print(f"Linux reference: Debian {result['kernel_version'].split(' ')[0]} "
          f"({result['debian_package']}), QEMU {result['qemu']}, TCG, -m {result['memory']}, "
          f"-smp {result['smp']}, clocksource {result['clocksource']}")
    print(f"  {'metric':21} {'median':>11} {'p99':>11} {'min':>11} {'runs':>5}  what")
    for name, (unit, what) in METRICS.items():
        s = result["metrics"].get(name)
        if s is None:
            print(f"  {name:21} {'-':>11} {'-':>11} {'-':>11} {'-':>5}  {what} (needs 2 CPUs: "
                  "--smp 2)")
            continue
        print(f"  {name:21} {s['median']:9.1f}{unit} {s['p99']:9.1f}{unit} {s['min']:9.1f}{unit}"
              f" {s['runs']:5d}  {what}")


def main():
    ap = argparse.ArgumentParser(description="the Linux reference for Keel's benchmarks")
    ap.add_argument("--build", required=True, help="Keel's build directory")
    ap.add_argument("--runs", type=int, default=DEFAULT_RUNS,
                    help=f"rounds of each in-guest operation (default {DEFAULT_RUNS})")
    ap.add_argument("--boots", type=int, default=DEFAULT_BOOTS,
                    help=f"boots to the prompt (default {DEFAULT_BOOTS})")
    ap.add_argument("--out", help="JSON output (default: BUILD/bench/linux.json)")
    ap.add_argument("--json", action="store_true", help="print the JSON instead of the table")
    ap.add_argument("--quiet-boot", action="store_true",
                    help="boot to the prompt with 'quiet' (console at warnings; default: the "
                         "kernel's default console level, like Keel's default loglevel=info)")
    args = ap.parse_args()
    if not 1 <= args.runs <= 100000 or args.boots < 1:
        ap.error("--runs must be 1..100000 and --boots at least 1")
    out = args.out or os.path.join(args.build, "bench", "linux.json")
    workdir = os.path.join(os.path.dirname(os.path.abspath(out)), "linux-work")
    try:
        result = measure(args.build, workdir, args.runs, args.boots, args.quiet_boot)
    except (LinuxRefError, GuestError) as e:
        print(f"linux benchmark: FAILED: {e}", file=sys.stderr)
        print("linux benchmark: FAILED")
        return 1
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
        print(f"linux benchmark: JSON written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
