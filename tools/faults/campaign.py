"""tools/keel faults: fault-injection campaigns against Keel in QEMU (docs/fault-campaigns.md).

usage:
  faults run --spec SPEC --out DIR [--trials N] [--jobs J] [--seed S] [--shard I/N] [--build B]
      Run (or resume) the campaign of SPEC into DIR. --trials and --seed override the spec's;
      --shard I/N runs every N-th trial from I (0 <= I < N), for merging later; --jobs: QEMU
      workers (default: the number of CPUs). Resuming refuses a changed image, QEMU or spec.
  faults report DIR
      Re-render trials.csv, trials.sqlite, summary.json, summary.md and outcomes.png.
  faults replay DIR TRIAL [--build B]
      Run trial TRIAL of DIR's campaign again (same seed, same image), print its whole shell
      transcript and whether the outcome is the recorded one (exit 1 if not).
  faults merge OUT DIR...
      Merge the shards DIR... of one campaign into OUT and report it.

Exit status: 0 done, 1 refused or failed (the message says why), 2 usage.
"""
import argparse
import hashlib
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import plan  # noqa: E402
import report  # noqa: E402
import results  # noqa: E402
import spec as specmod  # noqa: E402
import trial as trialmod  # noqa: E402
import vm  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
QEMU = "qemu-system-x86_64"
# Fault reports stay off the console (a report costs milliseconds of serial output per fault);
# the console shows warnings and up, the fault log everything. hz=1000: the shell notices a
# command's end within a tick, not ten ms (twice the trials per hour, measured).
CMDLINE = "faultreports=log loglevel=warn hz=1000"
SPEC_COPY, GOLDEN, LOGS = "spec.toml", "golden.json", "logs"
KEEP_LOGS = ("recovered", "detected_failed", "hang", "crash", "sdc", "runner_error")
MAX_WORKER_RESTARTS = 3  # per trial: a trial that kills QEMU this often is a runner error


class RunnerError(Exception):
    """The runner cannot go on; str() is the message for the user."""


def sha256_file(path, h=None):
    h = h or hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h


def image_hash(build):
    """The image a trial runs: the kernel, every boot module (content and name) and the
    command line."""
    h = hashlib.sha256(CMDLINE.encode())
    sha256_file(os.path.join(build, "keel.elf"), h)
    for m in vm.image_modules(build):  # "PATH=NAME": the object and its name in the image
        path, _, name = m.partition("=")
        h.update((name or os.path.basename(path)).encode() + b"\0")
        try:
            sha256_file(path, h)
        except OSError as e:
            raise RunnerError(f"cannot read boot module {path}: {e}") from None
    return h.hexdigest()


def qemu_identity():
    exe = shutil.which(QEMU)
    if not exe:
        raise RunnerError(f"{QEMU} is not installed (tools/keel setup installs it)")
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
    return sha256_file(exe).hexdigest(), version.splitlines()[0] if version else "?"


def cell_object(build, cell):
    """The cell's object in the image (build/image/cells/CELL@V.o, the boot image's version)."""
    mods = " ".join(vm.image_modules(build))
    d = os.path.join(build, "image", "cells")
    cands = sorted(f for f in os.listdir(d) if f.startswith(cell + "@") and f.endswith(".o"))
    inimage = [f for f in cands if f in mods]
    if not (inimage or cands):
        raise RunnerError(f"no object of cell '{cell}' in {d}: is it a cell of this build?")
    return os.path.join(d, (inimage or cands)[-1])


class CellMeta:
    """What the plan needs of a cell, read with cellinfo (C, libelf): its functions (the
    .text.NAME sections) and which regions it has bytes in."""

    def __init__(self, build):
        self.build, self.cache = build, {}

    def _info(self, cell):
        if cell not in self.cache:
            tool = os.path.join(self.build, "tools", "cellinfo")
            out = subprocess.run([tool, "--json", cell_object(self.build, cell)],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                raise RunnerError(f"cellinfo {cell}: {out.stderr.strip() or out.stdout[:200]}")
            info = json.loads(out.stdout)[0]
            fns, sizes = [], {"text": 0, "rodata": 0, "data": 0}
            for s in info["sections"]:
                if s.get("region") in sizes:
                    sizes[s["region"]] += s["size"]
                if s["name"].startswith(".text.") and s["size"] > 0 and "A" in s["flags"]:
                    fns.append(s["name"][len(".text."):])
            self.cache[cell] = (sorted(fns), sizes)
        return self.cache[cell]

    def functions(self, cell):
        return self._info(cell)[0]

    def regions(self, cell):
        return [r for r, n in self._info(cell)[1].items() if n > 0]


def trials_of(spec, meta, ids):
    return [plan.make_trial(spec, i, meta.functions, meta.regions) for i in ids]


# ---- workers ---------------------------------------------------------------------------------

def start_worker(build, spec, workdir, iso):
    """A worker at the golden point: booted, every workload of the spec run once (its cells
    loaded, its digest read), the fault log cleared, snapshot taken. Returns (worker, golden)."""
    w = vm.Worker(build, workdir, memory=spec.memory, cmdline=CMDLINE, iso=iso,
                  boot_timeout=spec.boot_timeout_s)
    try:
        w.start()
        if spec.cpu_budget_ms:  # a task running this long without blocking is a hang (a loop)
            out, ok = w.run(f"watchdog budget {spec.cpu_budget_ms}")
            if not ok:
                raise RunnerError(f"watchdog budget {spec.cpu_budget_ms} refused: {out}")
        golden = {}
        for name in sorted(spec.workloads):
            out, _ = w.run(trialmod.workload_line(spec, name), timeout=spec.trial_timeout_s)
            m = trialmod.classify.DIGEST.search(out)
            if not m:
                raise RunnerError(f"the golden run of workload {name} printed no digest:\n{out}")
            golden[name] = m.group(4)
        out, _ = w.run("faults --clear")
        out, _ = w.run("faults")
        if out.strip() != "no faults":
            raise RunnerError(f"the golden runs left faults in the log:\n{out}")
        w.savevm(trialmod.GOLDEN_SNAPSHOT)
        return w, golden
    except BaseException:
        w.close()
        raise


def check_golden(directory, golden):
    """The campaign's golden digests: written at its start, the same for every worker and every
    resumed session (else the image or the guest is not deterministic: refused)."""
    path = os.path.join(directory, GOLDEN)
    if os.path.exists(path):
        with open(path) as f:
            old = json.load(f)
        if old != golden:
            raise RunnerError(f"golden digests differ from the campaign's ({path}): {old} now "
                              f"{golden}")
    else:
        results.write_atomic(path, (json.dumps(golden, indent=1, sort_keys=True) + "\n").encode())


class Progress:
    def __init__(self, total, done_before, counts):
        self.total, self.done_before, self.counts = total, done_before, counts
        self.done = done_before
        self.start = time.monotonic()
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def add(self, outcome, final=False):
        if outcome:
            self.counts[outcome] = self.counts.get(outcome, 0) + 1
            self.done += 1
        now = time.monotonic()
        if not (final or self.tty or now - self.last >= 10.0):
            return
        self.last = now
        line = report.progress_line(self.counts, now - self.start, self.done, self.total,
                                    self.done_before)
        print(("\r" + line + "\033[K") if self.tty else line, end="\n" if final or not self.tty
              else "", file=sys.stderr, flush=True)


def run_campaign(args):
    spec = specmod.load(args.spec)
    if args.trials is not None:
        spec.trials = args.trials
    if args.seed is not None:
        spec.seed = args.seed
    shard = results.parse_shard(args.shard)
    build = os.path.abspath(args.build)
    meta = CellMeta(build)
    ids = list(plan.shard_ids(spec.trials, shard))
    # Plan every trial before anything runs: a spec that cannot be planned is refused whole.
    trials = {t.id: t for t in trials_of(spec, meta, ids)}
    qhash, qversion = qemu_identity()
    # --trials/--seed are part of the identity through the manifest's own fields.
    manifest = results.new_manifest(image_hash(build), qhash, qversion, spec.hash, spec.seed,
                                    spec.trials, shard=f"{shard[0]}/{shard[1]}",
                                    shard_trials=len(ids), tool_version="keel-faults 1")
    camp = results.Campaign.open(args.out, manifest)
    try:
        if not os.path.exists(os.path.join(args.out, SPEC_COPY)):
            results.write_atomic(os.path.join(args.out, SPEC_COPY), spec.text.encode())
        os.makedirs(os.path.join(args.out, LOGS), exist_ok=True)
        pending = [i for i in ids if i not in camp.done]
        counts = {}
        for row in results.read_rows(args.out):
            counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
        if camp.torn_bytes:
            print(f"faults: dropped a torn last line ({camp.torn_bytes} bytes) of a killed run",
                  file=sys.stderr)
        print(f"faults: {spec.name}: {len(ids)} trials in shard {shard[0]}/{shard[1]}, "
              f"{len(ids) - len(pending)} done, {len(pending)} to run, {args.jobs} worker(s)",
              file=sys.stderr)
        if pending:
            run_pending(args, spec, build, camp, [trials[i] for i in pending],
                        Progress(len(ids), len(ids) - len(pending), counts))
    finally:
        camp.close()
    summary = report.render(args.out)
    print_summary(args.out, summary)
    return 0


def run_pending(args, spec, build, camp, pending, progress):
    work = os.path.join(args.out, ".work")
    os.makedirs(work, exist_ok=True)
    iso = vm.make_image(build, os.path.join(work, "keel.iso"), CMDLINE)
    todo = queue.Queue()
    for t in pending:
        todo.put(t)
    lock = threading.Lock()
    errors = []
    stop = threading.Event()

    def record(row, transcript):
        if row["outcome"] in KEEP_LOGS:
            rel = os.path.join(LOGS, f"{row['id']}.log")
            with open(os.path.join(args.out, rel), "w") as f:
                f.write("\n".join(transcript) + "\n")
            row["log"] = rel
        with lock:
            camp.append(row)
            progress.add(row["outcome"])

    def worker_loop(n):
        w = None
        try:
            w, golden = start_worker(build, spec, work, iso)
            with lock:
                check_golden(args.out, golden)
            while not stop.is_set():
                try:
                    t = todo.get_nowait()
                except queue.Empty:
                    return
                for attempt in range(MAX_WORKER_RESTARTS + 1):
                    transcript = [f"# trial {t.id} seed {t.seed}: {t.kind} {t.model} "
                                  f"{t.inject_line()} / {t.workload}"]
                    try:
                        row = trialmod.run(w, spec, t, golden, transcript)
                        break
                    except vm.VMError as e:  # QEMU died or its monitor failed: a new worker
                        transcript.append(f"(runner: worker lost: {e})")
                        w.close()
                        w = None
                        if attempt == MAX_WORKER_RESTARTS:
                            row = trialmod.runner_error_row(t, golden, str(e).splitlines()[0])
                            break
                        w, golden = start_worker(build, spec, work, iso)
                        with lock:
                            check_golden(args.out, golden)
                record(row, transcript)
        except Exception as e:  # noqa: BLE001 - reported, and the campaign stops cleanly
            with lock:
                errors.append(f"worker {n}: {e}")
            stop.set()
        finally:
            if w is not None:
                w.close()

    threads = [threading.Thread(target=worker_loop, args=(n,), daemon=True)
               for n in range(max(1, args.jobs))]
    for th in threads:
        th.start()
    try:
        for th in threads:
            while th.is_alive():
                th.join(0.5)
    except KeyboardInterrupt:
        stop.set()
        for th in threads:
            th.join(60)
        raise RunnerError("interrupted: run the same command again to resume") from None
    progress.add(None, final=True)
    shutil.rmtree(work, ignore_errors=True)
    if errors:
        raise RunnerError("; ".join(errors) + " (the trials run so far are kept: run again to "
                          "resume)")


def print_summary(directory, s):
    rec = s["recovery"]["overall"]
    rate = (f"{rec['pct']:.1f}% [{rec['lo']:.1f}, {rec['hi']:.1f}] ({rec['k']} of {rec['n']})"
            if rec["pct"] is not None else "- (nothing manifested)")
    print(f"faults: {s['trials']} trials; recovery rate of manifested faults {rate}; "
          f"{'valid' if s['valid'] else 'INVALID: ' + '; '.join(s.get('invalid_reasons', []))}")
    print(f"faults: {os.path.join(directory, 'summary.md')}")


# ---- replay, report, merge ---------------------------------------------------------------------

def replay(args):
    manifest = results.read_manifest(args.dir)
    rows = {r["id"]: r for r in results.read_rows(args.dir)}
    if args.trial not in rows:
        raise RunnerError(f"trial {args.trial} is not in {args.dir} (ids 0..{manifest['trials'] - 1}"
                          ", run ones only)")
    spec = specmod.load(os.path.join(args.dir, SPEC_COPY))
    spec.trials, spec.seed = manifest["trials"], manifest["seed"]
    build = os.path.abspath(args.build)
    if image_hash(build) != manifest["image_hash"]:
        raise RunnerError(f"{build} is not the image the campaign ran (image hash differs): "
                          "replay needs the same image")
    t = plan.make_trial(spec, args.trial, CellMeta(build).functions, CellMeta(build).regions)
    work = os.path.join(args.dir, ".replay")
    os.makedirs(work, exist_ok=True)
    iso = vm.make_image(build, os.path.join(work, "keel.iso"), CMDLINE)
    w, golden = start_worker(build, spec, work, iso)
    transcript = [f"# trial {t.id} seed {t.seed}: {t.kind} {t.model} {t.inject_line()} / "
                  f"{t.workload}"]
    try:
        row = trialmod.run(w, spec, t, golden, transcript)
    finally:
        w.close()
        shutil.rmtree(work, ignore_errors=True)
    print("\n".join(transcript))
    old = rows[args.trial]
    same = (row["outcome"], row["step"]) == (old["outcome"], old["step"])
    print(f"replay: trial {t.id}: {row['outcome']}{' ' + row['step'] if row['step'] else ''}; "
          f"recorded {old['outcome']}{' ' + old['step'] if old['step'] else ''}: "
          f"{'the same' if same else 'DIFFERENT'}")
    return 0 if same else 1


def merge(out, dirs):
    """results.merge, then the shards' spec copy, golden digests and kept logs: the merged
    campaign replays like a one-shard one, and its rows' log paths hold."""
    results.merge(out, dirs)
    for name in (SPEC_COPY, GOLDEN):
        if os.path.exists(os.path.join(dirs[0], name)):
            shutil.copyfile(os.path.join(dirs[0], name), os.path.join(out, name))
    for d in dirs:
        for row in results.read_rows(d):
            if row["log"] and os.path.exists(os.path.join(d, row["log"])):
                os.makedirs(os.path.dirname(os.path.join(out, row["log"])), exist_ok=True)
                shutil.copyfile(os.path.join(d, row["log"]), os.path.join(out, row["log"]))


def main(argv):
    p = argparse.ArgumentParser(prog="tools/keel faults", description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n", 2)[2])
    sub = p.add_subparsers(dest="cmd", required=True)
    default_build = os.environ.get("KEEL_BUILD_DIR", os.path.join(ROOT, "build"))
    r = sub.add_parser("run", help="run or resume a campaign")
    r.add_argument("--spec", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--trials", type=int)
    r.add_argument("--seed", type=int)
    r.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    r.add_argument("--shard", default="0/1")
    r.add_argument("--build", default=default_build)
    rp = sub.add_parser("report", help="re-render a campaign's summary")
    rp.add_argument("dir")
    rr = sub.add_parser("replay", help="run one trial again and show its transcript")
    rr.add_argument("dir")
    rr.add_argument("trial", type=int)
    rr.add_argument("--build", default=default_build)
    m = sub.add_parser("merge", help="merge the shards of a campaign")
    m.add_argument("out")
    m.add_argument("dirs", nargs="+")
    args = p.parse_args(argv)
    try:
        if args.cmd == "run":
            if args.trials is not None and not 1 <= args.trials <= 10**7:
                raise RunnerError("--trials wants 1..10000000")
            if args.jobs < 1 or args.jobs > 64:
                raise RunnerError("--jobs wants 1..64")
            return run_campaign(args)
        if args.cmd == "report":
            print_summary(args.dir, report.render(args.dir))
            return 0
        if args.cmd == "replay":
            return replay(args)
        merge(args.out, args.dirs)
        print_summary(args.out, report.render(args.out))
        return 0
    except (RunnerError, specmod.SpecError, results.CampaignError, vm.VMError, ValueError) as e:
        print(f"faults: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
