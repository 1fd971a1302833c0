"""The results store of a fault campaign: one directory per campaign (or shard of one).

    manifest.json   what the campaign is (image, QEMU and spec hashes, seed, trial count, shard)
                    and its bookkeeping (created time, tool version, wall time so far)
    trials.jsonl    one trial row per line, append-only, flushed and fsynced per row
    trials.csv      the same rows, regenerated from trials.jsonl by export()
    trials.sqlite   the same rows as table `trials`, regenerated from trials.jsonl by export()

The trial row's fields, types and order are defined once, in FIELDS; every writer takes its
columns from there. A row is written as canonical JSON (FIELDS order, no spaces, ASCII), so the
same row always has the same bytes: merge() of shards gives byte for byte the rows of a one-shard
run, in id order. Measured times (MEASURED: host wall time, guest clock readings) differ from run
to run; comparable() drops them for comparing two real runs of the same trials.

Shards are named "I/N" with 0 <= I < N; an unsharded run is "0/1", a merged campaign "all".
The manifest's identity (IDENTITY + SHARD_KEYS: format, image_hash, qemu_hash, qemu_version,
spec_hash, seed, trials, shard, shard_trials) must match to resume; created, tool_version and
wall_s (seconds of running so far, summed over resumed sessions) are bookkeeping.
"""
import csv
import io
import json
import math
import os
import sqlite3
import time
from collections import namedtuple

FORMAT = 1  # of manifest.json and the row; a campaign of another format is not resumed
MANIFEST, TRIALS, CSV, SQLITE = "manifest.json", "trials.jsonl", "trials.csv", "trials.sqlite"

# kind: int (an SQL INTEGER: signed 64-bit), addr (an int shown as "0x%016x" TEXT in csv and
# sqlite: kernel addresses such as 0xffff8000... do not fit a signed 64-bit INTEGER), float
# (REAL), bool (INTEGER 0/1), str (TEXT). nullable: null allowed (csv: empty field).
Field = namedtuple("Field", "name kind nullable")
FIELDS = (
    Field("id", "int", False),
    Field("seed", "int", False),
    Field("kind", "str", False),
    Field("workload", "str", False),
    Field("model", "str", False),
    Field("cell", "str", False),
    Field("region", "str", False),
    Field("offset", "int", True),
    Field("symbol", "str", False),
    Field("address", "addr", True),
    Field("old", "str", False),
    Field("new", "str", False),
    Field("activated", "bool", True),
    Field("activated_ns", "int", True),
    Field("outcome", "str", False),
    Field("step", "str", False),
    Field("recovery_us", "float", True),
    Field("digest", "str", False),
    Field("golden", "str", False),
    Field("exit", "str", False),
    Field("duration_ms", "float", False),
    Field("log", "str", False),
)
NAMES = tuple(f.name for f in FIELDS)
SQL_TYPES = {"int": "INTEGER", "addr": "TEXT", "float": "REAL", "bool": "INTEGER", "str": "TEXT"}
# Fields that are measurements of time: they differ between two runs of the same trial.
MEASURED = ("activated_ns", "recovery_us", "duration_ms")

KINDS = ("fault", "control")
# In the order reports list them: the benign ones first, the runner's own failure last.
OUTCOMES = ("no_effect", "not_activated", "masked", "recovered", "detected_failed", "hang",
            "crash", "sdc", "runner_error")
MANIFESTED = ("recovered", "detected_failed", "hang", "crash", "sdc")
STEPS = ("restart", "reload_cell", "reload_dependents", "give_up", "")

# What makes two manifests the same campaign: resuming or merging across a change of any of
# these would mix trials of different campaigns.
IDENTITY = ("format", "image_hash", "qemu_hash", "qemu_version", "spec_hash", "seed", "trials")
SHARD_KEYS = ("shard", "shard_trials")
INT64 = (-(1 << 63), (1 << 63) - 1)
WALL_SAVE_S = 10.0  # how often append() saves the wall time so far into the manifest


class CampaignError(Exception):
    """Bad input or a directory this campaign cannot use; the message says what and why."""


# ---- rows ----------------------------------------------------------------------------------

def _check_value(field, value):
    """The value of one field in its canonical Python type; CampaignError if it is not one."""
    if value is None:
        if field.nullable:
            return None
        raise CampaignError(f"field {field.name} is null, and may not be")
    kind = field.kind
    if kind == "bool":
        if isinstance(value, bool):
            return value
    elif kind in ("int", "addr"):
        if isinstance(value, int) and not isinstance(value, bool):
            if kind == "int" and not INT64[0] <= value <= INT64[1]:
                raise CampaignError(f"field {field.name} = {value} does not fit a signed 64-bit "
                                    "integer (an sqlite INTEGER)")
            if kind == "addr" and not 0 <= value < (1 << 64):
                raise CampaignError(f"field {field.name} = {value} is not a 64-bit address")
            return value
    elif kind == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise CampaignError(f"field {field.name} = {value} is not a finite number")
            return float(value)
    elif isinstance(value, str):
        return value
    raise CampaignError(f"field {field.name} = {value!r} is not of type {kind}")


def normalize_row(row):
    """The row with exactly FIELDS, in their order and canonical types; CampaignError naming the
    first problem (missing or unknown field, wrong type, unknown kind/outcome/step)."""
    if not isinstance(row, dict):
        raise CampaignError(f"a trial row is a JSON object, not {type(row).__name__}")
    missing = [n for n in NAMES if n not in row]
    unknown = sorted(k for k in row if k not in NAMES)
    if missing or unknown:
        what = []
        if missing:
            what.append("missing " + ", ".join(missing))
        if unknown:
            what.append("unknown " + ", ".join(unknown))
        raise CampaignError(f"trial row {row.get('id', '?')}: " + "; ".join(what))
    try:
        out = {f.name: _check_value(f, row[f.name]) for f in FIELDS}
    except CampaignError as e:
        raise CampaignError(f"trial row {row.get('id', '?')}: {e}") from None
    for name, allowed in (("kind", KINDS), ("outcome", OUTCOMES), ("step", STEPS)):
        if out[name] not in allowed:
            raise CampaignError(f"trial row {out['id']}: {name} {out[name]!r} is not one of "
                                + ", ".join(repr(a) for a in allowed))
    if out["id"] < 0:
        raise CampaignError(f"trial row {out['id']}: a negative id")
    if out["outcome"] == "no_effect" and out["kind"] != "control":
        raise CampaignError(f"trial row {out['id']}: outcome no_effect is for control trials "
                            "only (a fault trial is not_activated or masked)")
    return out


def row_line(row):
    """The canonical bytes of a row in trials.jsonl, newline included."""
    text = json.dumps(normalize_row(row), separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)
    return (text + "\n").encode("ascii")


def comparable(row):
    """The row without its measured times, for comparing two real runs of the same trial."""
    return {k: v for k, v in row.items() if k not in MEASURED}


def _parse_lines(data, where, torn_ok):
    """(rows, good_length): rows of trials.jsonl bytes; good_length excludes a torn last line
    (bytes after the last newline: a runner killed mid-write), allowed only when torn_ok."""
    end = data.rfind(b"\n") + 1
    if end < len(data) and not torn_ok:
        raise CampaignError(f"{where}: the last line is torn (the run was interrupted); "
                            "resume it with run first")
    rows, seen = [], {}
    for number, line in enumerate(data[:end].split(b"\n")[:-1], 1):
        try:
            row = normalize_row(json.loads(line))
        except (ValueError, CampaignError) as e:
            raise CampaignError(f"{where} line {number}: {e}") from None
        if row["id"] in seen:
            raise CampaignError(f"{where} line {number}: trial {row['id']} is already on line "
                                f"{seen[row['id']]}")
        seen[row["id"]] = number
        rows.append(row)
    return rows, end


def read_rows(directory, torn_ok=True):
    """The rows of DIRECTORY/trials.jsonl in file order. A torn last line is skipped (a running
    or killed campaign) unless torn_ok is False, when it is an error."""
    path = os.path.join(directory, TRIALS)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    return _parse_lines(data, path, torn_ok)[0]


# ---- manifest ------------------------------------------------------------------------------

def parse_shard(text):
    """(I, N) of a shard name "I/N", 0 <= I < N; CampaignError otherwise."""
    try:
        i, n = (int(part) for part in str(text).split("/"))
    except ValueError:
        raise CampaignError(f"shard {text!r} is not I/N (e.g. 2/4)") from None
    if not 0 <= i < n:
        raise CampaignError(f"shard {text!r}: I/N needs 0 <= I < N")
    return i, n


def new_manifest(image_hash, qemu_hash, qemu_version, spec_hash, seed, trials, shard="0/1",
                 shard_trials=None, tool_version="", created=None):
    """The manifest of a new campaign. shard_trials: how many trials this shard runs (all of
    them when unsharded); merge() checks every shard has them all. created: an ISO 8601 UTC
    time (default now)."""
    for name, value in (("image_hash", image_hash), ("qemu_hash", qemu_hash),
                        ("qemu_version", qemu_version), ("spec_hash", spec_hash)):
        if not isinstance(value, str) or not value:
            raise CampaignError(f"manifest: {name} must be a non-empty string")
    if not isinstance(seed, int) or not isinstance(trials, int) or trials < 1:
        raise CampaignError("manifest: seed must be an integer and trials a positive integer")
    i, n = parse_shard(shard)
    if shard_trials is None:
        if n != 1:
            raise CampaignError("manifest: a shard of several needs its shard_trials count")
        shard_trials = trials
    if not isinstance(shard_trials, int) or not 0 <= shard_trials <= trials:
        raise CampaignError(f"manifest: shard_trials {shard_trials!r} is not in 0..{trials}")
    if created is None:
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {"format": FORMAT, "image_hash": image_hash, "qemu_hash": qemu_hash,
            "qemu_version": qemu_version, "spec_hash": spec_hash, "seed": seed,
            "trials": trials, "shard": f"{i}/{n}", "shard_trials": shard_trials,
            "created": created, "tool_version": tool_version, "wall_s": 0.0}


def _differences(old, new, keys):
    return [f"{k} was {old.get(k)!r}, now {new.get(k)!r}" for k in keys if old.get(k) != new.get(k)]


def write_atomic(path, data):
    """Write bytes to PATH through a temporary file and a rename: readers see old or new."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(os.path.dirname(path) or ".")


def _fsync_dir(directory):
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_manifest(directory, manifest):
    write_atomic(os.path.join(directory, MANIFEST),
                  (json.dumps(manifest, indent=2) + "\n").encode())


def read_manifest(directory):
    path = os.path.join(directory, MANIFEST)
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except FileNotFoundError:
        raise CampaignError(f"{directory}: no {MANIFEST}: not a campaign directory") from None
    except ValueError as e:
        raise CampaignError(f"{path}: not valid JSON ({e})") from None
    missing = [k for k in IDENTITY + SHARD_KEYS if k not in manifest]
    if not isinstance(manifest, dict) or missing:
        raise CampaignError(f"{path}: not a campaign manifest (missing {', '.join(missing)})")
    return manifest


# ---- one campaign directory, being run -------------------------------------------------------

class Campaign:
    """A campaign directory opened for running: open() creates it or resumes it, append() adds
    one trial row durably, close() saves the wall time. `done` holds the ids already run."""

    def __init__(self, directory, manifest, rows, torn_bytes):
        self.directory = directory
        self.manifest = manifest
        self.done = {row["id"] for row in rows}
        self.torn_bytes = torn_bytes  # length of the torn last line dropped by open(), or 0
        self._file = open(os.path.join(directory, TRIALS), "ab")
        self._start = time.monotonic()
        self._wall_base = float(manifest.get("wall_s", 0.0))
        self._saved = self._start

    @classmethod
    def open(cls, directory, manifest):
        """Start the campaign of MANIFEST (from new_manifest) in DIRECTORY, or resume it there.
        Refused (CampaignError, nothing changed) when DIRECTORY holds another campaign: a
        different hash, seed, trial count or shard; or files but no manifest."""
        manifest = dict(manifest)
        if os.path.exists(directory) and not os.path.isdir(directory):
            raise CampaignError(f"{directory} exists and is not a directory")
        if os.path.exists(os.path.join(directory, MANIFEST)):
            old = read_manifest(directory)
            changed = _differences(old, manifest, IDENTITY + SHARD_KEYS)
            if changed:
                raise CampaignError(f"{directory} holds another campaign, so it cannot be "
                                    "resumed: " + "; ".join(changed)
                                    + ". Use a new output directory.")
            path = os.path.join(directory, TRIALS)
            data = b""
            if os.path.exists(path):
                with open(path, "rb") as f:
                    data = f.read()
            rows, good = _parse_lines(data, path, torn_ok=True)
            for row in rows:
                if row["id"] >= old["trials"]:
                    raise CampaignError(f"{path}: trial {row['id']} is outside the campaign's "
                                        f"{old['trials']} trials")
            if good < len(data):
                with open(path, "r+b") as f:
                    f.truncate(good)
                    f.flush()
                    os.fsync(f.fileno())
            return cls(directory, old, rows, len(data) - good)
        if os.path.isdir(directory) and os.listdir(directory):
            raise CampaignError(f"{directory} is not empty and holds no {MANIFEST}: choose a new "
                                "or empty output directory")
        os.makedirs(directory, exist_ok=True)
        write_manifest(directory, manifest)
        return cls(directory, manifest, [], 0)

    def append(self, row):
        """Add one trial row: validated, written as one line, flushed and fsynced before this
        returns. A duplicate or out-of-range id is refused and nothing is written."""
        line = row_line(row)
        trial = row["id"]
        if trial in self.done:
            raise CampaignError(f"trial {trial} is already in {self.directory}/{TRIALS}")
        if trial >= self.manifest["trials"]:
            raise CampaignError(f"trial {trial} is outside the campaign's "
                                f"{self.manifest['trials']} trials")
        self._file.write(line)
        self._file.flush()
        os.fsync(self._file.fileno())
        self.done.add(trial)
        if time.monotonic() - self._saved >= WALL_SAVE_S:
            self._save_wall()

    def _save_wall(self):
        now = time.monotonic()
        self.manifest["wall_s"] = round(self._wall_base + (now - self._start), 3)
        write_manifest(self.directory, self.manifest)
        self._saved = now

    def close(self):
        """Save the wall time of this session (added to earlier sessions') in the manifest."""
        if self._file.closed:
            return
        self._file.close()
        self._save_wall()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---- exports -------------------------------------------------------------------------------

def _text(field, value):
    """A value as text in a csv cell."""
    if value is None:
        return ""
    if field.kind == "bool":
        return "1" if value else "0"
    if field.kind == "addr":
        return f"0x{value:016x}"
    if field.kind == "float":
        return repr(value)
    return str(value)


def _sql(field, value):
    """A value as stored in the sqlite table."""
    if value is None:
        return None
    if field.kind == "bool":
        return int(value)
    if field.kind == "addr":
        return f"0x{value:016x}"
    return value


def from_text(field, text):
    """The value of a csv cell or sqlite column back in the row's type (tests, readers)."""
    if text is None or text == "" and field.nullable:
        return None
    if field.kind == "str":
        return text
    if field.kind == "bool":
        return bool(int(text))
    if field.kind == "addr":
        return int(text, 16)
    return float(text) if field.kind == "float" else int(text)


def csv_bytes(rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(NAMES)
    for row in rows:
        writer.writerow([_text(f, row[f.name]) for f in FIELDS])
    return out.getvalue().encode("utf-8")


def _sqlite_file(path, rows):
    columns = []
    for f in FIELDS:
        column = f'"{f.name}" {SQL_TYPES[f.kind]}'
        if f.name == "id":
            column += " PRIMARY KEY"
        elif not f.nullable:
            column += " NOT NULL"
        columns.append(column)
    if os.path.exists(path):
        os.unlink(path)
    db = sqlite3.connect(path)
    try:
        db.execute("CREATE TABLE trials (" + ", ".join(columns) + ")")
        for name in ("outcome", "model", "workload"):
            db.execute(f'CREATE INDEX trials_{name} ON trials ("{name}")')
        marks = ", ".join("?" for _ in FIELDS)
        db.executemany(f"INSERT INTO trials VALUES ({marks})",
                       ([_sql(f, row[f.name]) for f in FIELDS] for row in rows))
        db.commit()
    finally:
        db.close()


def export(directory):
    """Regenerate trials.csv and trials.sqlite from trials.jsonl (rows in id order), each
    written under a temporary name and renamed into place."""
    rows = sorted(read_rows(directory), key=lambda r: r["id"])
    write_atomic(os.path.join(directory, CSV), csv_bytes(rows))
    path = os.path.join(directory, SQLITE)
    _sqlite_file(path + ".tmp", rows)
    os.replace(path + ".tmp", path)
    _fsync_dir(directory)
    return len(rows)


# ---- merging shards ------------------------------------------------------------------------

def _ranges(ids):
    """"3, 7-9, 12" for sorted ids; long lists shortened."""
    parts, start, prev = [], None, None
    for i in ids:
        if start is None:
            start = prev = i
        elif i == prev + 1:
            prev = i
        else:
            parts.append(f"{start}-{prev}" if prev > start else str(start))
            start = prev = i
    if start is not None:
        parts.append(f"{start}-{prev}" if prev > start else str(start))
    return ", ".join(parts[:10]) + (f", ... ({len(ids)} in all)" if len(parts) > 10 else "")


def merge(out_dir, shard_dirs):
    """Merge the shard directories of one campaign into OUT_DIR, a new campaign directory whose
    trials.jsonl holds every shard's rows in id order (the same bytes as the shards' lines) and
    whose manifest says shard "all"; then export() it. Refused (CampaignError, nothing written)
    unless the shards are one campaign (same identity), each shard I/N appears exactly once,
    every shard is complete and their ids are disjoint and cover the campaign."""
    if not shard_dirs:
        raise CampaignError("merge: no shard directories given")
    if os.path.exists(out_dir) and (not os.path.isdir(out_dir) or os.listdir(out_dir)):
        raise CampaignError(f"merge: {out_dir} exists and is not an empty directory")
    shards = []
    for d in shard_dirs:
        manifest = read_manifest(d)
        if manifest["shard"] == "all":
            raise CampaignError(f"merge: {d} is already a merged campaign, not a shard")
        i, n = parse_shard(manifest["shard"])
        shards.append((d, manifest, i, n))
    first_dir, first = shards[0][0], shards[0][1]
    for d, manifest, _, _ in shards[1:]:
        changed = [f"{k} is {first.get(k)!r} in {first_dir} but {manifest.get(k)!r} in {d}"
                   for k in IDENTITY if first.get(k) != manifest.get(k)]
        if changed:
            raise CampaignError("merge: the shards are not of one campaign: " + "; ".join(changed))
    by_index = {}
    for d, manifest, i, n in shards:
        if n != shards[0][3]:
            raise CampaignError(f"merge: {d} is shard {i}/{n} but {first_dir} is one of "
                                f"{shards[0][3]}")
        if i in by_index:
            raise CampaignError(f"merge: shard {i}/{n} is given twice ({by_index[i]} and {d})")
        by_index[i] = d
    n = shards[0][3]
    missing = [f"{i}/{n}" for i in range(n) if i not in by_index]
    if missing:
        raise CampaignError("merge: shard " + ", ".join(missing) + " missing")
    owner, rows = {}, []
    for d, manifest, i, n in shards:
        shard_rows = read_rows(d, torn_ok=False)
        if len(shard_rows) != manifest["shard_trials"]:
            raise CampaignError(f"merge: shard {i}/{n} ({d}) is incomplete: "
                                f"{len(shard_rows)} of its {manifest['shard_trials']} trials; "
                                "resume it with run first")
        for row in shard_rows:
            if row["id"] in owner:
                raise CampaignError(f"merge: trial {row['id']} is in both shard {owner[row['id']]}"
                                    f" and shard {i}/{n} ({d})")
            owner[row["id"]] = f"{i}/{n}"
        rows.extend(shard_rows)
    trials = first["trials"]
    outside = sorted(t for t in owner if t >= trials)
    absent = sorted(set(range(trials)) - set(owner))
    if outside or absent:
        what = (["missing " + _ranges(absent)] if absent else []) + \
            (["outside " + _ranges(outside)] if outside else [])
        raise CampaignError(f"merge: the shards' trials are not the campaign's 0..{trials - 1}: "
                            + "; ".join(what))
    rows.sort(key=lambda r: r["id"])
    merged = {k: first[k] for k in IDENTITY}
    merged.update({
        "shard": "all", "shard_trials": trials,
        "created": min(m.get("created", "") for _, m, _, _ in shards),
        "tool_version": ", ".join(sorted({m.get("tool_version", "") for _, m, _, _ in shards})),
        # Shards run side by side (a Slurm array): the campaign took as long as the longest.
        "wall_s": max(float(m.get("wall_s", 0.0)) for _, m, _, _ in shards),
        "shards": [{"shard": m["shard"], "created": m.get("created", ""),
                    "wall_s": m.get("wall_s", 0.0), "tool_version": m.get("tool_version", "")}
                   for _, m, _, _ in sorted(shards, key=lambda s: s[2])],
    })
    os.makedirs(out_dir, exist_ok=True)
    write_atomic(os.path.join(out_dir, TRIALS), b"".join(row_line(r) for r in rows))
    write_manifest(out_dir, merged)
    export(out_dir)
    return merged
