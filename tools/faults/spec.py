"""A campaign's spec: a TOML file naming the workloads, the fault models and their targets, the
trial count, the seed and the timeouts (docs/fault-campaigns.md, "The spec"). load() checks
every key and value and refuses a bad spec with a message that names the file, the key and what
is wrong; nothing runs before the whole spec is valid.
"""
import hashlib
import tomllib

# Workloads the guest's `workload` command knows, with the cell each runs in.
WORKLOAD_CELLS = {"storm": "wl_storm", "pingpong": "wl_pingpong", "pipeline": "wl_pipeline",
                  "ramfs": "wl_ramfs", "demo": "wl_demo"}
CODE_MODELS = ("bitflip", "word", "nop", "branch", "exception", "loop")
MODELS = CODE_MODELS + ("alloc", "ipc")
REGIONS = ("text", "rodata", "data")
TEXT_ONLY = ("nop", "branch", "exception", "loop")
VALUES = ("random", "zero", "ones")
IPC_KINDS = ("drop", "dup", "corrupt", "delay", "badptr", "pagefault")
IPC_SIDES = ("send", "recv")

CAMPAIGN_KEYS = {"name", "seed", "trials", "controls", "trial_timeout_s", "boot_timeout_s",
                 "memory", "cpu_budget_ms", "fail_stop"}
WORKLOAD_KEYS = {"seed", "rounds", "weight", "cells"}
MODEL_KEYS = {"weight", "regions", "values", "workloads", "kinds", "sides", "nth", "delay_us",
              "functions"}


class SpecError(Exception):
    """A spec that cannot run; str() is the message for the user."""


class Spec:
    """The checked spec: campaign settings, workloads and models as plain dicts."""

    def __init__(self, path, text, doc):
        self.path = path
        self.text = text
        self.hash = hashlib.sha256(text.encode()).hexdigest()
        c = doc["campaign"]
        self.name = c.get("name", "campaign")
        self.seed = c["seed"]
        self.trials = c["trials"]
        self.controls = c.get("controls", 0.03)
        self.trial_timeout_s = c.get("trial_timeout_s", 30.0)
        self.boot_timeout_s = c.get("boot_timeout_s", 60.0)
        self.memory = c.get("memory", "128M")
        self.cpu_budget_ms = c.get("cpu_budget_ms", 250)
        self.fail_stop = c.get("fail_stop", True)
        self.workloads = doc["workloads"]
        self.models = doc["models"]
        self.fixed = doc.get("fixed", [])


def _fail(path, where, why):
    raise SpecError(f"{path}: {where}: {why}")


def _int(path, where, v, lo, hi):
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        _fail(path, where, f"want an integer {lo}..{hi}, not {v!r}")
    return v


def _number(path, where, v, lo, hi):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
        _fail(path, where, f"want a number {lo}..{hi}, not {v!r}")
    return float(v)


def _words(path, where, v, allowed):
    if not isinstance(v, list) or not v or not all(isinstance(w, str) for w in v):
        _fail(path, where, f"want a non-empty list of words, not {v!r}")
    for w in v:
        if w not in allowed:
            _fail(path, where, f"unknown '{w}' (want {', '.join(allowed)})")
    if len(set(v)) != len(v):
        _fail(path, where, "a word is listed twice")
    return v


def _keys(path, where, table, allowed):
    if not isinstance(table, dict):
        _fail(path, where, "want a table")
    for k in table:
        if k not in allowed:
            _fail(path, f"{where}.{k}", f"unknown key (want {', '.join(sorted(allowed))})")


def _check_workloads(path, doc):
    ws = doc.get("workloads")
    if not isinstance(ws, dict) or not ws:
        _fail(path, "workloads", "want at least one [workloads.NAME] table")
    for name, w in ws.items():
        where = f"workloads.{name}"
        if name not in WORKLOAD_CELLS:
            _fail(path, where, f"no such workload (the guest has {', '.join(WORKLOAD_CELLS)})")
        _keys(path, where, w, WORKLOAD_KEYS)
        w["seed"] = _int(path, f"{where}.seed", w.get("seed", 1), 0, 2**63 - 1)
        w["rounds"] = _int(path, f"{where}.rounds", w.get("rounds", 8), 1, 100000)
        w["weight"] = _number(path, f"{where}.weight", w.get("weight", 1), 0, 1e6)
        cells = w.get("cells", [WORKLOAD_CELLS[name]])
        if not isinstance(cells, list) or not cells or not all(
                isinstance(c, str) and c and len(c) < 32 and c.replace("_", "a").isalnum()
                for c in cells):
            _fail(path, f"{where}.cells", f"want a list of cell names, not {cells!r}")
        w["cells"] = cells
    if not any(w["weight"] > 0 for w in ws.values()):
        _fail(path, "workloads", "every weight is 0")


def _check_model(path, name, m, workloads):
    where = f"models.{name}"
    _keys(path, where, m, MODEL_KEYS)
    m["weight"] = _number(path, f"{where}.weight", m.get("weight", 1), 0, 1e6)
    m["workloads"] = _words(path, f"{where}.workloads", m.get("workloads", list(workloads)),
                            list(workloads))
    if name in CODE_MODELS:
        default = ["text"] if name in TEXT_ONLY else list(REGIONS)
        m["regions"] = _words(path, f"{where}.regions", m.get("regions", default), REGIONS)
        if name in TEXT_ONLY and m["regions"] != ["text"]:
            _fail(path, f"{where}.regions", f"{name} needs code: regions = [\"text\"]")
    elif "regions" in m:
        _fail(path, f"{where}.regions", f"{name} faults have no region")
    if name == "word":
        m["values"] = _words(path, f"{where}.values", m.get("values", list(VALUES)), VALUES)
    elif "values" in m:
        _fail(path, f"{where}.values", "values are for word faults only")
    if name in ("exception", "loop"):
        fns = m.get("functions", {})
        _keys(path, f"{where}.functions", fns, set(workloads))
        m["functions"] = fns
    elif "functions" in m:
        _fail(path, f"{where}.functions", "functions are for exception and loop faults only")
    if name == "ipc":
        m["kinds"] = _words(path, f"{where}.kinds", m.get("kinds", list(IPC_KINDS)), IPC_KINDS)
        m["sides"] = _words(path, f"{where}.sides", m.get("sides", list(IPC_SIDES)), IPC_SIDES)
        nth = m.get("nth", [1, 8])
        if (not isinstance(nth, list) or len(nth) != 2 or
                _int(path, f"{where}.nth", nth[0], 1, 10**9) > _int(path, f"{where}.nth", nth[1],
                                                                    1, 10**9)):
            _fail(path, f"{where}.nth", f"want [low, high] with 1 <= low <= high, not {nth!r}")
        m["nth"] = nth
        m["delay_us"] = _int(path, f"{where}.delay_us", m.get("delay_us", 20000), 1, 10**7)
    else:
        for k in ("kinds", "sides", "nth", "delay_us"):
            if k in m:
                _fail(path, f"{where}.{k}", "for ipc faults only")


def parse(text, path="<spec>"):
    """The checked Spec of TOML text; SpecError if anything is wrong."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{path}: not valid TOML: {e}") from None
    for k in doc:
        if k not in ("campaign", "workloads", "models", "fixed"):
            _fail(path, k, "unknown table (want campaign, workloads, models, fixed)")
    c = doc.get("campaign")
    if c is None:
        _fail(path, "campaign", "missing: want a [campaign] table with seed and trials")
    _keys(path, "campaign", c, CAMPAIGN_KEYS)
    for k in ("seed", "trials"):
        if k not in c:
            _fail(path, f"campaign.{k}", "missing")
    _int(path, "campaign.seed", c["seed"], 0, 2**63 - 1)
    _int(path, "campaign.trials", c["trials"], 1, 10**7)
    _number(path, "campaign.controls", c.get("controls", 0.03), 0, 0.5)
    _number(path, "campaign.trial_timeout_s", c.get("trial_timeout_s", 30), 1, 3600)
    _number(path, "campaign.boot_timeout_s", c.get("boot_timeout_s", 60), 5, 3600)
    _int(path, "campaign.cpu_budget_ms", c.get("cpu_budget_ms", 250), 0, 60000)
    if not isinstance(c.get("fail_stop", True), bool):
        _fail(path, "campaign.fail_stop", f"want true or false, not {c['fail_stop']!r}")
    mem = c.get("memory", "128M")
    if not isinstance(mem, str) or not mem[:-1].isdigit() or mem[-1] not in "MG":
        _fail(path, "campaign.memory", f"want a size like \"128M\", not {mem!r}")
    name = c.get("name", "campaign")
    if not isinstance(name, str) or not name:
        _fail(path, "campaign.name", "want a non-empty string")
    _check_workloads(path, doc)
    fixed = doc.get("fixed", [])
    if not isinstance(fixed, list) or not all(isinstance(f, dict) for f in fixed):
        _fail(path, "fixed", "want [[fixed]] tables")
    for n, f in enumerate(fixed):
        _keys(path, f"fixed[{n}]", f, {"workload", "inject", "model"})
        if f.get("workload") not in doc["workloads"]:
            _fail(path, f"fixed[{n}].workload", f"want one of the spec's workloads, not "
                  f"{f.get('workload')!r}")
        words = f.get("inject")
        if not isinstance(words, str) or len(words.split()) < 2:
            _fail(path, f"fixed[{n}].inject", "want the words after `inject`, e.g. "
                  "\"exception wl_storm --at wl_storm_main\"")
        f["model"] = words.split()[0] if words.split()[0] in MODELS else f.get("model", "")
        if f["model"] not in MODELS:
            _fail(path, f"fixed[{n}].inject", f"unknown fault model '{words.split()[0]}'")
    doc["fixed"] = fixed
    if fixed:  # fixed trials only: no random models needed
        doc.setdefault("models", {})
    ms = doc.get("models")
    if fixed and not ms:
        ms = {}
    elif not isinstance(ms, dict) or not ms:
        _fail(path, "models", "want at least one [models.NAME] table")
    for name, m in ms.items():
        if name not in MODELS:
            _fail(path, f"models.{name}", f"no such fault model (want {', '.join(MODELS)})")
        _check_model(path, name, m, doc["workloads"])
    if not fixed and not any(m["weight"] > 0 for m in ms.values()):
        _fail(path, "models", "every weight is 0")
    return Spec(path, text, doc)


def load(path):
    """The checked Spec of the file at path; SpecError if it cannot be read or is wrong."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError(f"{path}: cannot read the spec: {e}") from None
    return parse(text, path)
