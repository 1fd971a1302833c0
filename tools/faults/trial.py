"""One trial on a worker (docs/fault-campaigns.md, "A trial"): from the golden snapshot, arm the
fault (`inject ...`), run the workload, read the fault's status and the fault log, classify —
then the worker goes back to the snapshot for the next trial. Every step is bounded: a line
that does not come back is a hang, a panic or reset a crash (vm.py), and the worker is restored
either way.
"""
import time

import classify
import vm

GOLDEN_SNAPSHOT = "golden"
LINE_TIMEOUT = 20.0  # inject, status and faults: bounded, short


def workload_line(spec, workload):
    w = spec.workloads[workload]
    return (f"workload run {workload} --seed {w['seed']} --rounds {w['rounds']}"
            + (" --fail-stop" if spec.fail_stop else ""))


def blank_row(trial, golden):
    return {"id": trial.id, "seed": trial.seed, "kind": trial.kind, "workload": trial.workload,
            "model": trial.model, "cell": trial.cell, "region": trial.region, "offset": None,
            "symbol": "", "address": None, "old": "", "new": "", "activated": None,
            "activated_ns": None, "outcome": "runner_error", "step": "", "recovery_us": None,
            "digest": "", "golden": golden[trial.workload], "exit": "", "duration_ms": 0.0,
            "log": ""}


def runner_error_row(trial, golden, why):
    """The row of a trial the runner could not run (e.g. it took QEMU down again and again)."""
    row = blank_row(trial, golden)
    row["exit"] = why[:200]
    return row


def run(worker, spec, trial, golden, transcript):
    """Trial's row (dict, the schema of results.py but id/log filled by the caller). golden:
    {workload: digest}. transcript: a list the shell exchange is appended to (the trial's
    log)."""
    t0 = time.monotonic()
    row = blank_row(trial, golden)

    def line(text, timeout=LINE_TIMEOUT):
        transcript.append(f"keel> {text}")
        out, _ = worker.run(text, timeout=timeout)
        transcript.append(out)
        return out

    crashed = hung = False
    workload_text = status = faults = ""
    # Back to the golden point: a failure here is the worker's, not the trial's (VMError, Hang
    # included, goes to the caller, which starts a new worker and runs the trial again).
    worker.loadvm(GOLDEN_SNAPSHOT)
    worker.sync()
    try:
        if trial.kind == "fault":
            out = line(trial.inject_line())
            p = classify.proof(out)
            if p is None:
                row["exit"] = "inject refused: " + out.splitlines()[0][:200] if out else "inject"
                return _done(row, t0)
            row.update({k: p[k] for k in ("region", "address", "symbol", "offset", "old", "new")})
            row["region"] = p["region"] if trial.region else ""
        workload_text = line(workload_line(spec, trial.workload), spec.trial_timeout_s)
        if trial.kind == "fault":
            status = line("inject status")
        faults = line("faults")
    except vm.Hang:
        hung = True
        transcript.append("(runner: no prompt within the timeout)")
    except vm.Crash as e:
        crashed = True
        transcript.append(f"(runner: {e.reason})\n{e}")
        row["exit"] = e.reason
    if trial.kind == "fault" and not hung and not crashed:
        activated, ns, details = classify.activation(status)
        row["activated"], row["activated_ns"] = activated, ns
        row.update(details)
    rows = classify.fault_rows(faults)
    outcome, step, digest, why = classify.classify(trial.kind, workload_text, rows,
                                                   golden[trial.workload], row["activated"],
                                                   crashed=crashed, hung=hung)
    row.update({"outcome": outcome, "step": step, "digest": digest,
                "recovery_us": classify.recovery_us(rows) if outcome == "recovered" else None})
    if not row["exit"]:
        row["exit"] = why
    return _done(row, t0)


def _done(row, t0):
    row["duration_ms"] = round((time.monotonic() - t0) * 1000.0, 3)
    return row
