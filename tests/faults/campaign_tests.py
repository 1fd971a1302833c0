#!/usr/bin/python3
"""QEMU tests of the fault-campaign runner (tools/faults/campaign.py) on tests/faults/known.toml,
whose trials' outcomes are known by construction: a run classifies each as its comment says and
writes every output; a run killed with SIGKILL resumes to the rows of an uninterrupted run; two
shards merge to them; a trial replays the same; bad specs are refused and create nothing.

    campaign_tests.py --build DIR [--workdir DIR] CASE...
    campaign_tests.py --list
"""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tests", "qemu"))
sys.path.insert(0, os.path.join(SOURCE, "tools", "faults"))
from checks import check  # noqa: E402
from keelvm import run_cases  # noqa: E402
import results  # noqa: E402

CAMPAIGN = os.path.join(SOURCE, "tools", "faults", "campaign.py")
KNOWN = os.path.join(HERE, "known.toml")
TRIALS = 14  # known.toml's
# known.toml's [[fixed]] in order: fault trial i is fixed[i % 6] and comes out as its comment says.
FIXED = [("not_activated", ""), ("recovered", "restart"), ("recovered", "reload_cell"),
         ("sdc", ""), ("hang", ""), ("masked", "")]
RUN_TIMEOUT = 150  # one run of known.toml takes ~12 s on 2 workers (its hang trial alone 6 s)
POLL = 0.05  # how often a wait looks again (a polling period, not a wait)


def faults(build, *args, timeout=RUN_TIMEOUT):
    """`campaign.py ARGS` (run and replay on BUILD): the CompletedProcess, text captured."""
    argv = ["/usr/bin/python3", CAMPAIGN] + list(args)
    if args[0] in ("run", "replay"):
        argv += ["--build", build]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, MPLBACKEND="Agg"))


def said(p):
    return f"exit {p.returncode}\n--- stdout\n{p.stdout}\n--- stderr\n{p.stderr}"


def run_known(build, out, *more):
    p = faults(build, "run", "--spec", KNOWN, "--out", out, "--jobs", "2", *more)
    check(p.returncode == 0, f"run into {out} failed", said(p))
    return p


def comparable_rows(directory):
    """The rows of directory in id order, without their measured times."""
    return [results.comparable(r)
            for r in sorted(results.read_rows(directory, torn_ok=False), key=lambda r: r["id"])]


def files_of(directory):
    """Every file under directory and its bytes: to show a refusal changed nothing."""
    got = {}
    for top, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(top, name)
            with open(path, "rb") as f:
                got[os.path.relpath(path, directory)] = f.read()
    return got


def scratch(workdir):
    """A fresh directory for one case (a case's earlier run may have left one)."""
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    return workdir


def qemus_using(path):
    """Pids of live processes whose command line names path (a worker's overlay is in it)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if path.encode() in cmdline and b"qemu-system" in cmdline:
            found.append(int(name))
    return found


def wait_for(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while not cond():
        check(time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}")
        time.sleep(POLL)


def case_known_outcomes(build, workdir):
    """Every trial of known.toml classifies as its comment says (controls: no_effect); the
    campaign is valid and complete; trials.csv, trials.sqlite, summary.md and outcomes.png are
    written with the rows; the logs of the kept outcomes are there."""
    d = os.path.join(scratch(workdir), "run")
    run_known(build, d)
    rows = sorted(results.read_rows(d, torn_ok=False), key=lambda r: r["id"])
    check([r["id"] for r in rows] == list(range(TRIALS)), f"ids {[r['id'] for r in rows]}")
    seen = set()
    for r in rows:
        got = (r["outcome"], r["step"])
        want = ("no_effect", "") if r["kind"] == "control" else FIXED[r["id"] % len(FIXED)]
        check(got == want, f"trial {r['id']} ({r['kind']} {r['model']} on {r['workload']}): "
              f"{got}, want {want}", json.dumps(r, indent=1))
        seen.add(want)
        if r["outcome"] in ("recovered", "hang", "sdc"):
            check(r["log"] == f"logs/{r['id']}.log" and os.path.isfile(os.path.join(d, r["log"])),
                  f"trial {r['id']}: no log kept ({r['log']!r})")
        else:
            check(r["log"] == "", f"trial {r['id']} ({r['outcome']}) kept a log")
        check((r["recovery_us"] is not None) == (r["outcome"] == "recovered"),
              f"trial {r['id']}: recovery_us {r['recovery_us']} for {r['outcome']}")
        if r["outcome"] not in ("hang", "sdc"):
            check(r["digest"] == r["golden"], f"trial {r['id']}: digest {r['digest']} not golden")
    check(seen == set(FIXED) | {("no_effect", "")}, f"outcomes seen: {sorted(seen)}")
    with open(os.path.join(d, "summary.json")) as f:
        summary = json.load(f)
    check(summary["valid"] and summary["complete"] and summary["trials"] == TRIALS,
          "summary.json: not a valid complete campaign of 14", json.dumps(summary, indent=1))
    for name in ("trials.csv", "summary.md", "outcomes.png"):
        check(os.path.getsize(os.path.join(d, name)) > 0, f"{name} missing or empty")
    with open(os.path.join(d, "outcomes.png"), "rb") as f:
        check(f.read(8) == b"\x89PNG\r\n\x1a\n", "outcomes.png is not a PNG")
    with open(os.path.join(d, "trials.csv")) as f:
        check(len(f.read().splitlines()) == TRIALS + 1, "trials.csv: not a header and 14 rows")
    db = sqlite3.connect(os.path.join(d, "trials.sqlite"))
    try:
        got = db.execute("SELECT id, kind, outcome, step FROM trials ORDER BY id").fetchall()
    finally:
        db.close()
    check(got == [(r["id"], r["kind"], r["outcome"], r["step"]) for r in rows],
          f"trials.sqlite rows {got}")


def case_resume(build, workdir):
    """A run killed with SIGKILL (its process group: the workers' QEMUs die with it, none is
    left) after 4 rows resumes to the rows of an uninterrupted run; run on a complete directory
    does nothing and says so; another seed or spec into it is refused and changes nothing."""
    top = scratch(workdir)
    ref = os.path.join(top, "ref")
    run_known(build, ref)
    d = os.path.join(top, "killed")
    with open(os.path.join(top, "killed.err"), "w") as err:
        p = subprocess.Popen(["/usr/bin/python3", CAMPAIGN, "run", "--spec", KNOWN, "--out", d,
                              "--jobs", "2", "--build", build], stdout=err, stderr=err,
                             start_new_session=True)
    try:
        def rows_so_far():
            try:
                with open(os.path.join(d, "trials.jsonl"), "rb") as f:
                    return f.read().count(b"\n")
            except FileNotFoundError:
                return 0
        wait_for(lambda: rows_so_far() >= 4 or p.poll() is not None, RUN_TIMEOUT,
                 "4 rows in trials.jsonl")
        check(p.poll() is None, f"the run ended (exit {p.returncode}) before it was killed")
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(30)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(30)
    wait_for(lambda: not qemus_using(d), 30, f"the killed run's QEMUs to end: {qemus_using(d)}")
    before = len(results.read_rows(d))  # a torn last line is not a row
    check(4 <= before < TRIALS, f"{before} rows when killed: not an interrupted run")

    again = run_known(build, d)
    check(f"{before} done, {TRIALS - before} to run" in again.stderr,
          f"the resumed run did not say it resumes after {before} rows", said(again))
    check(comparable_rows(d) == comparable_rows(ref),
          "the resumed campaign's rows differ from an uninterrupted run's",
          "\n".join(json.dumps(r) for r in comparable_rows(d)))

    done = files_of(d)
    # Workers live in DIR/.work (made before the first boot): a file in its place makes a run
    # that starts any fail, and is left alone by one that starts none.
    blocker = os.path.join(d, ".work")
    with open(blocker, "w") as f:
        f.write("no workers for a complete campaign\n")
    third = run_known(build, d)
    check(f"{TRIALS} done, 0 to run" in third.stderr, "a complete run did not say so",
          said(third))
    check(os.path.isfile(blocker), "a complete run started workers")
    os.unlink(blocker)
    check(files_of(d)["trials.jsonl"] == done["trials.jsonl"], "a complete run changed its rows")

    done = files_of(d)
    other = faults(build, "run", "--spec", KNOWN, "--out", d, "--jobs", "2", "--seed", "6")
    check(other.returncode == 1 and "holds another campaign, so it cannot be resumed: seed was "
          "5, now 6" in other.stderr, "another seed into a campaign's dir was not refused",
          said(other))
    changed = os.path.join(top, "changed.toml")
    with open(KNOWN) as f, open(changed, "w") as g:
        g.write(f.read() + "# one more line: another spec\n")
    other = faults(build, "run", "--spec", changed, "--out", d, "--jobs", "2")
    check(other.returncode == 1 and "spec_hash was" in other.stderr,
          "another spec into a campaign's dir was not refused", said(other))
    check(files_of(d) == done, "a refused run changed the campaign's files")


def case_shards(build, workdir):
    """Shards 0/2 and 1/2, run side by side, merge into the rows of a one-shard run, in id
    order; the merged campaign keeps the shards' logs."""
    top = scratch(workdir)
    ref = os.path.join(top, "ref")
    run_known(build, ref)
    procs = []
    for i in range(2):
        argv = ["/usr/bin/python3", CAMPAIGN, "run", "--spec", KNOWN, "--out",
                os.path.join(top, f"shard-{i}"), "--jobs", "1", "--shard", f"{i}/2",
                "--build", build]
        procs.append(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True))
    for i, p in enumerate(procs):
        try:
            out = p.communicate(timeout=RUN_TIMEOUT)[0]
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise AssertionError(f"shard {i}/2 did not finish in {RUN_TIMEOUT} s")
        check(p.returncode == 0, f"shard {i}/2 failed ({p.returncode})", out)
    merged = os.path.join(top, "merged")
    p = faults(build, "merge", merged, os.path.join(top, "shard-0"), os.path.join(top, "shard-1"))
    check(p.returncode == 0, "merge failed", said(p))
    rows = [results.comparable(r) for r in results.read_rows(merged, torn_ok=False)]
    check(rows == comparable_rows(ref), "the merged rows (in file order) are not the one-shard "
          "run's in id order", "\n".join(json.dumps(r) for r in rows))
    check(results.read_manifest(merged)["shard"] == "all", "the merged manifest's shard")
    for r in rows:
        if r["log"]:
            check(os.path.isfile(os.path.join(merged, r["log"])), f"merged: no {r['log']}")


def case_replay(build, workdir):
    """`replay DIR 2` (known.toml's reload_cell trial) prints its whole transcript and "the
    same", exit 0; a recorded outcome that differs is reported DIFFERENT, exit 1."""
    d = os.path.join(scratch(workdir), "run")
    run_known(build, d, "--trials", "3")
    p = faults(build, "replay", d, "2")
    check(p.returncode == 0, "replay of trial 2 failed", said(p))
    for line in ("keel> inject exception wl_storm --at wl_storm_main",
                 "keel> workload run storm --seed 1 --rounds 8 --fail-stop",
                 "keel> inject status", "keel> faults",
                 "replay: trial 2: recovered reload_cell; recorded recovered reload_cell: "
                 "the same"):
        check(line in p.stdout.splitlines(), f"replay printed no line {line!r}", said(p))
    check(any(" reload_cell " in line for line in p.stdout.splitlines()),
          "the transcript has no fault log with the reload", said(p))
    path = os.path.join(d, "trials.jsonl")
    with open(path) as f:
        text = f.read()
    check(text.count('"step":"reload_cell"') == 1, "trial 2's row is not the reload", text)
    with open(path, "w") as f:
        f.write(text.replace('"step":"reload_cell"', '"step":"restart"'))
    p = faults(build, "replay", d, "2")
    check(p.returncode == 1 and "recorded recovered restart: DIFFERENT" in p.stdout,
          "a replay that differs from the record was not reported", said(p))
    p = faults(build, "replay", d, "7")
    check(p.returncode == 1 and "trial 7 is not in" in p.stderr, "replay of a trial not run",
          said(p))


def case_refusals(build, workdir):
    """A corrupt spec, a missing spec, an unknown workload, a workload whose cell the image
    lacks and a bad shard are refused with exit 1 and a clear message, and --out is not
    created."""
    top = scratch(workdir)
    with open(KNOWN) as f:
        known = f.read()
    specs = {
        "corrupt": ("[campaign\nseed = 5\n", "corrupt.toml: not valid TOML"),
        "nosuch": (known.replace("[workloads.pingpong]", "[workloads.nosuch]"),
                   "nosuch.toml: workloads.nosuch: no such workload"),
        "nocell": (known.split("[[fixed]]")[0].split("[workloads.storm]")[0]
                   + '[workloads.storm]\ncells = ["wl_nosuch"]\n[models.bitflip]\n',
                   "no object of cell 'wl_nosuch'"),
    }
    for name, (text, message) in specs.items():
        path = os.path.join(top, f"{name}.toml")
        with open(path, "w") as f:
            f.write(text)
        out = os.path.join(top, f"out-{name}")
        p = faults(build, "run", "--spec", path, "--out", out)
        check(p.returncode == 1 and message in p.stderr, f"{name} spec: not refused with "
              f"{message!r}", said(p))
        check(not os.path.exists(out), f"{name} spec: {out} was created")
    out = os.path.join(top, "out-missing")
    p = faults(build, "run", "--spec", os.path.join(top, "none.toml"), "--out", out)
    check(p.returncode == 1 and "none.toml: cannot read the spec" in p.stderr,
          "a missing spec file was not refused", said(p))
    p = faults(build, "run", "--spec", KNOWN, "--out", out, "--shard", "2/2")
    check(p.returncode == 1 and "I/N needs 0 <= I < N" in p.stderr, "shard 2/2 not refused",
          said(p))
    check(not os.path.exists(out), f"{out} was created")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
