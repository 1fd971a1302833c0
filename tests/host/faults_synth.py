"""Synthetic trial rows for the tests of tools/faults/results.py and report.py."""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools",
                                "faults"))
import results  # noqa: E402

MODELS = ("bitflip", "word", "nop", "branch", "alloc")
WORKLOADS = ("storm", "pingpong", "ramfs")
FAULT_OUTCOMES = ("not_activated", "masked", "recovered", "detected_failed", "hang", "crash",
                  "sdc")


def row(trial, **fields):
    """A valid fault row for trial id TRIAL, with FIELDS overriding the defaults."""
    base = {"id": trial, "seed": 1000 + trial, "kind": "fault", "workload": "storm",
            "model": "bitflip", "cell": "storm", "region": "text", "offset": 16,
            "symbol": "storm_main", "address": 0xffff800000271632, "old": "0f", "new": "0e",
            "activated": True, "activated_ns": 1200, "outcome": "masked", "step": "",
            "recovery_us": None, "digest": "d1", "golden": "d1", "exit": "workload done",
            "duration_ms": 250.0, "log": ""}
    base.update(fields)
    return base


def control(trial, **fields):
    base = dict(kind="control", model="none", cell="", region="", offset=None, symbol="",
                address=None, old="", new="", activated=None, activated_ns=None,
                outcome="no_effect")
    base.update(fields)
    return row(trial, **base)


def campaign(n, seed=7):
    """N varied rows (every 20th a control), the same for the same seed."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        if i % 20 == 0:
            rows.append(control(i, workload=WORKLOADS[i % 3], duration_ms=rng.uniform(100, 400)))
            continue
        outcome = rng.choice(FAULT_OUTCOMES)
        recovered = outcome == "recovered"
        rows.append(row(i, seed=rng.getrandbits(62), model=rng.choice(MODELS),
                        workload=rng.choice(WORKLOADS), outcome=outcome,
                        activated=outcome != "not_activated",
                        step=rng.choice(("restart", "reload_cell", "reload_dependents"))
                        if recovered else ("give_up" if outcome == "detected_failed" else ""),
                        recovery_us=round(rng.uniform(50, 5000), 3) if recovered else None,
                        duration_ms=round(rng.uniform(100, 400), 3)))
    return rows


def manifest(trials, shard="0/1", shard_trials=None, **fields):
    base = dict(image_hash="img0", qemu_hash="qemu0", qemu_version="QEMU emulator 7.2.0",
                spec_hash="spec0", seed=7, trials=trials, shard=shard, shard_trials=shard_trials,
                tool_version="test", created="2025-01-02T03:04:05Z")
    base.update(fields)
    return results.new_manifest(**base)
