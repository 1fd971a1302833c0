"""The trials of a campaign: trial i's workload, fault model, target and seeds are a function of
(spec, campaign seed, i) only — not of the shard, the worker or the order trials run in — so a
shard, a resumed run and a replay all run the same trial i (docs/fault-campaigns.md, "Trials").
"""
import hashlib
import random

from spec import CODE_MODELS


def trial_seed(campaign_seed, i):
    """Trial i's own seed: 63 bits of SHA-256 over the campaign seed and i."""
    h = hashlib.sha256(f"keel-trial:{campaign_seed}:{i}".encode()).digest()
    return int.from_bytes(h[:8], "little") >> 1


def shard_ids(trials, shard):
    """The trial ids of shard (i, n), 0 <= i < n: every n-th id from i."""
    i, n = shard
    return range(i, trials, n)


def _weighted(rng, table):
    names = [k for k, v in table.items() if v["weight"] > 0]
    return rng.choices(names, weights=[table[k]["weight"] for k in names])[0]


class Trial:
    """One trial: what to run and, for a fault trial, the inject line's words (after `inject`)."""

    def __init__(self, id, seed, kind, workload, model, cell, region, words):
        self.id, self.seed, self.kind = id, seed, kind
        self.workload, self.model, self.cell, self.region = workload, model, cell, region
        self.words = words

    def inject_line(self):
        return "inject " + " ".join(self.words) if self.words else ""


def make_trial(spec, i, functions, regions):
    """Trial i of spec. functions(cell): the cell's function names (for exception and loop
    faults without a list in the spec); regions(cell): the regions the cell has bytes in (a
    fault goes to one of the model's regions the cell has; text if it has none of them)."""
    seed = trial_seed(spec.seed, i)
    rng = random.Random(seed)
    control = rng.random() < spec.controls
    if spec.fixed:  # fixed trials, in turn (a control when the draw says so)
        f = spec.fixed[i % len(spec.fixed)]
        if control:
            return Trial(i, seed, "control", f["workload"], "none", "", "", [])
        words = f["inject"].split()
        cell = words[2] if words[0] == "ipc" else words[1]
        region = ""
        if "--region" in words[:-1]:
            region = words[words.index("--region") + 1]
        elif f["model"] not in ("alloc", "ipc"):
            region = "text"
        return Trial(i, seed, "fault", f["workload"], f["model"], cell, region, words)
    workload = _weighted(rng, spec.workloads)
    w = spec.workloads[workload]
    if control:
        return Trial(i, seed, "control", workload, "none", "", "", [])
    models = {k: m for k, m in spec.models.items() if workload in m["workloads"]}
    if not models or not any(m["weight"] > 0 for m in models.values()):
        return Trial(i, seed, "control", workload, "none", "", "", [])
    model = _weighted(rng, models)
    m = spec.models[model]
    cell = rng.choice(w["cells"])
    fseed = rng.getrandbits(63)
    region = ""
    if model in CODE_MODELS:
        have = [r for r in m["regions"] if r in regions(cell)] or ["text"]
        region = rng.choice(have)
        words = [model, cell, "--region", region]
        if model in ("exception", "loop"):
            fns = m["functions"].get(workload) or functions(cell)
            if not fns:
                raise ValueError(f"cell {cell} has no functions for {model} faults")
            words += ["--at", rng.choice(sorted(fns))]
        else:
            words += ["--seed", str(fseed)]
        if model == "word":
            words += ["--value", rng.choice(m["values"])]
    elif model == "alloc":
        words = ["alloc", cell, "--seed", str(fseed)]
    else:
        kind = rng.choice(m["kinds"])
        words = ["ipc", kind, cell, "--side", rng.choice(m["sides"]), "--nth",
                 str(rng.randint(m["nth"][0], m["nth"][1])), "--seed", str(fseed)]
        if kind == "delay":
            words += ["--delay-us", str(m["delay_us"])]
        model = "ipc"
    return Trial(i, seed, "fault", workload, model, cell, region, words)
