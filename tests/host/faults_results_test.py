#!/usr/bin/python3
"""tools/faults/results.py: the trial row, resuming, manifests, exports and merging shards."""
import csv
import json
import os
import random
import sqlite3
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faults_synth as synth  # noqa: E402
from faults_synth import results  # noqa: E402


def read(path):
    with open(path, "rb") as f:
        return f.read()


def run(directory, manifest, rows):
    """A campaign run that appends ROWS (in the given order) and closes."""
    with results.Campaign.open(directory, manifest) as c:
        for r in rows:
            c.append(r)
    return directory


def snapshot(directory):
    """Every file of DIRECTORY and its bytes: to show a refusal changed nothing."""
    if not os.path.exists(directory):
        return None
    return {name: read(os.path.join(directory, name)) for name in sorted(os.listdir(directory))}


class Tmp(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="faults_results_")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)


class RowTest(unittest.TestCase):
    def test_canonical_line_is_schema_order_whatever_the_dict_order(self):
        r = synth.row(3, duration_ms=12)
        shuffled = dict(reversed(list(r.items())))
        line = results.row_line(shuffled)
        self.assertEqual(line, results.row_line(r))
        self.assertEqual(list(json.loads(line)), list(results.NAMES))
        self.assertEqual(json.loads(line)["duration_ms"], 12.0)  # a float field stays a float
        self.assertTrue(line.endswith(b"}\n") and line.count(b"\n") == 1)

    def test_comparable_drops_only_the_measured_times(self):
        r = synth.row(3, outcome="recovered", step="restart", recovery_us=12.5)
        self.assertEqual(set(r) - set(results.comparable(r)),
                         {"duration_ms", "recovery_us", "activated_ns"})

    def test_bad_rows_are_refused_with_the_reason(self):
        cases = [
            ({k: v for k, v in synth.row(1).items() if k != "model"}, "missing model"),
            (dict(synth.row(1), colour="red"), "unknown colour"),
            (synth.row(1, outcome="fine"), "outcome 'fine'"),
            (synth.row(1, kind="other"), "kind 'other'"),
            (synth.row(1, step="retry"), "step 'retry'"),
            (synth.row(1, activated=1), "activated"),
            (synth.row(1, id=True), "field id"),
            (synth.row(1, seed=1 << 63), "signed 64-bit"),
            (synth.row(1, duration_ms=None), "duration_ms is null"),
            (synth.row(1, duration_ms=float("nan")), "not a finite"),
            (synth.row(1, outcome="no_effect"), "control trials only"),
            (synth.row(-1), "negative id"),
        ]
        for bad, reason in cases:
            with self.subTest(reason=reason):
                with self.assertRaisesRegex(results.CampaignError, reason):
                    results.row_line(bad)


class ResumeTest(Tmp):
    def test_a_torn_last_line_is_dropped_and_the_done_ids_reported(self):
        d = self.path("c")
        rows = synth.campaign(10)
        run(d, synth.manifest(10), rows[:6])
        whole = read(self.path("c", results.TRIALS))
        with open(self.path("c", results.TRIALS), "ab") as f:
            f.write(results.row_line(rows[6])[:40])  # a runner killed mid-write
        with results.Campaign.open(d, synth.manifest(10)) as c:
            self.assertEqual(c.done, set(range(6)))
            self.assertEqual(c.torn_bytes, 40)
            self.assertEqual(read(self.path("c", results.TRIALS)), whole)
            for r in rows[6:]:
                c.append(r)
        self.assertEqual(results.read_rows(d, torn_ok=False),
                         [results.normalize_row(r) for r in rows])

    def test_read_rows_skips_a_torn_line_without_changing_the_file(self):
        d = run(self.path("c"), synth.manifest(10), synth.campaign(3))
        with open(self.path("c", results.TRIALS), "ab") as f:
            f.write(b'{"id":3,')
        before = snapshot(d)
        self.assertEqual(len(results.read_rows(d)), 3)
        with self.assertRaisesRegex(results.CampaignError, "torn"):
            results.read_rows(d, torn_ok=False)
        self.assertEqual(snapshot(d), before)

    def test_a_duplicate_id_is_refused(self):
        d = self.path("c")
        rows = synth.campaign(4)
        with results.Campaign.open(d, synth.manifest(4)) as c:
            c.append(rows[0])
            before = read(self.path("c", results.TRIALS))
            with self.assertRaisesRegex(results.CampaignError, "trial 0 is already"):
                c.append(rows[0])
            with self.assertRaisesRegex(results.CampaignError, "outside the campaign"):
                c.append(synth.row(4))
            self.assertEqual(read(self.path("c", results.TRIALS)), before)
        with open(self.path("c", results.TRIALS), "ab") as f:
            f.write(results.row_line(rows[0]))
        with self.assertRaisesRegex(results.CampaignError, "line 2: trial 0 is already on line 1"):
            results.Campaign.open(d, synth.manifest(4))

    def test_wall_time_adds_up_across_sessions(self):
        d = run(self.path("c"), synth.manifest(4), [])
        m = results.read_manifest(d)
        m["wall_s"] = 100.0
        results.write_manifest(d, m)
        run(d, synth.manifest(4), [])
        self.assertGreaterEqual(results.read_manifest(d)["wall_s"], 100.0)


class ManifestTest(Tmp):
    def test_reopening_another_campaign_is_refused_naming_what_changed(self):
        d = run(self.path("c"), synth.manifest(10, shard="0/2", shard_trials=5),
                synth.campaign(2))
        before = snapshot(d)
        changes = [dict(image_hash="img1"), dict(qemu_hash="qemu1"), dict(spec_hash="spec1"),
                   dict(qemu_version="QEMU 8"), dict(seed=8), dict(trials=11),
                   dict(shard="1/2"), dict(shard_trials=6)]
        for change in changes:
            (key, value), = change.items()
            fields = dict(dict(shard="0/2", shard_trials=5), **change)
            with self.subTest(key=key):
                with self.assertRaisesRegex(results.CampaignError,
                                            f"another campaign.*{key} was .*, now {value!r}"):
                    results.Campaign.open(d, synth.manifest(fields.pop("trials", 10), **fields))
                self.assertEqual(snapshot(d), before)
        # Bookkeeping is not identity: another creation time or tool resumes.
        with results.Campaign.open(d, synth.manifest(10, shard="0/2", shard_trials=5,
                                                     created="2030-01-01T00:00:00Z",
                                                     tool_version="new")) as c:
            self.assertEqual(c.done, {0, 1})
            self.assertEqual(c.manifest["created"], "2025-01-02T03:04:05Z")

    def test_a_directory_with_other_files_is_refused(self):
        os.makedirs(self.path("c"))
        with open(self.path("c", "notes.txt"), "w") as f:
            f.write("mine")
        with self.assertRaisesRegex(results.CampaignError, "not empty and holds no manifest"):
            results.Campaign.open(self.path("c"), synth.manifest(3))
        self.assertEqual(os.listdir(self.path("c")), ["notes.txt"])

    def test_bad_manifests_are_refused(self):
        for fields, reason in ((dict(shard="2/2", shard_trials=1), "0 <= I < N"),
                               (dict(shard="a/b", shard_trials=1), "not I/N"),
                               (dict(shard="0/2"), "needs its shard_trials"),
                               (dict(spec_hash=""), "spec_hash")):
            with self.subTest(reason=reason):
                with self.assertRaisesRegex(results.CampaignError, reason):
                    synth.manifest(3, **fields)


class ExportTest(Tmp):
    def test_csv_and_sqlite_hold_the_rows_of_trials_jsonl(self):
        rows = synth.campaign(50)
        random.Random(1).shuffle(rows)
        d = run(self.path("c"), synth.manifest(50), rows)
        self.assertEqual(results.export(d), 50)
        expect = sorted(results.read_rows(d), key=lambda r: r["id"])
        self.assertEqual(len(expect), 50)

        with open(self.path("c", results.CSV), newline="") as f:
            table = list(csv.reader(f))
        self.assertEqual(tuple(table[0]), results.NAMES)
        got = [{f.name: results.from_text(f, cell) for f, cell in zip(results.FIELDS, line)}
               for line in table[1:]]
        self.assertEqual(got, expect)

        db = sqlite3.connect(self.path("c", results.SQLITE))
        try:
            types = {name: kind for _, name, kind, *_ in db.execute("PRAGMA table_info(trials)")}
            self.assertEqual(types["id"], "INTEGER")
            self.assertEqual(types["recovery_us"], "REAL")
            self.assertEqual(types["activated"], "INTEGER")
            self.assertEqual(types["outcome"], "TEXT")
            self.assertEqual(tuple(types), results.NAMES)
            indexed = {r[0] for r in db.execute("SELECT name FROM sqlite_master "
                                                "WHERE type = 'index'")}
            self.assertTrue({"trials_outcome", "trials_model", "trials_workload"} <= indexed)
            self.assertEqual(db.execute("SELECT DISTINCT typeof(activated) FROM trials "
                                        "WHERE kind = 'fault'").fetchall(), [("integer",)])
            stored = db.execute("SELECT * FROM trials ORDER BY id").fetchall()
        finally:
            db.close()
        got = [{f.name: results.from_text(f, v) if f.kind in ("bool", "addr") else v
                for f, v in zip(results.FIELDS, line)} for line in stored]
        self.assertEqual(got, expect)
        self.assertEqual([n for n in os.listdir(d) if n.endswith(".tmp")], [])


def shard_of(trial, n):
    """A seeded, deterministic assignment of trials to shards 0..n-1."""
    return random.Random(trial * 7919 + 7).randrange(n)


class MergeTest(Tmp):
    N, SHARDS = 60, 3

    def make_shards(self, rows=None, n=None, skip=(), prefix="shard"):
        rows = synth.campaign(self.N) if rows is None else rows
        n = n or self.SHARDS
        dirs = []
        for i in range(n):
            mine = [r for r in rows if shard_of(r["id"], n) == i]
            random.Random(i).shuffle(mine)  # parallel workers finish out of order
            d = self.path(f"{prefix}{i}")
            if i not in skip:
                run(d, synth.manifest(self.N, shard=f"{i}/{n}", shard_trials=len(mine)), mine)
            dirs.append(d)
        return dirs

    def test_merged_shards_equal_a_one_shard_run_byte_for_byte(self):
        rows = synth.campaign(self.N)
        whole = list(rows)
        random.Random(99).shuffle(whole)
        one = run(self.path("one"), synth.manifest(self.N), whole)
        merged = results.merge(self.path("merged"), self.make_shards(rows))
        one_merged = results.merge(self.path("one_merged"), [one])
        jsonl = read(self.path("merged", results.TRIALS))
        self.assertEqual(jsonl, read(self.path("one_merged", results.TRIALS)))
        lines = read(os.path.join(one, results.TRIALS)).splitlines(keepends=True)
        self.assertEqual(jsonl, b"".join(sorted(lines, key=lambda b: json.loads(b)["id"])))
        self.assertEqual([r["id"] for r in results.read_rows(self.path("merged"))],
                         list(range(self.N)))
        self.assertEqual(merged["shard"], "all")
        self.assertEqual(one_merged["shard"], "all")
        self.assertEqual(len(merged["shards"]), self.SHARDS)
        for name in (results.CSV, results.SQLITE):
            self.assertTrue(os.path.getsize(self.path("merged", name)) > 0)
        self.assertEqual(read(self.path("merged", results.CSV)),
                         read(self.path("one_merged", results.CSV)))

    def refused(self, dirs, reason, out="merged"):
        before = [snapshot(d) for d in dirs]
        with self.assertRaisesRegex(results.CampaignError, reason):
            results.merge(self.path(out), dirs)
        self.assertFalse(os.path.exists(self.path(out)) and os.listdir(self.path(out)))
        self.assertEqual([snapshot(d) for d in dirs], before)

    def test_mismatched_campaigns_are_refused(self):
        dirs = self.make_shards()
        m = results.read_manifest(dirs[1])
        m["spec_hash"] = "spec9"
        results.write_manifest(dirs[1], m)
        self.refused(dirs, "not of one campaign: spec_hash is 'spec0' in .*shard0 but 'spec9'")

    def test_a_missing_shard_is_refused(self):
        self.refused(self.make_shards()[:2], r"shard 2/3 missing")

    def test_a_duplicate_shard_is_refused(self):
        dirs = self.make_shards()
        self.refused([dirs[0], dirs[1], dirs[0]], r"shard 0/3 is given twice")

    def test_shards_of_different_counts_are_refused(self):
        dirs = self.make_shards()
        other = self.make_shards(n=2, prefix="half")
        self.refused([other[0], dirs[2]], r"is shard 2/3 but .* is one of 2")

    def test_an_incomplete_shard_is_refused(self):
        dirs = self.make_shards()
        m = results.read_manifest(dirs[2])
        m["shard_trials"] += 1
        results.write_manifest(dirs[2], m)
        self.refused(dirs, r"shard 2/3 .* is incomplete: \d+ of its \d+ trials")

    def test_a_torn_shard_is_refused(self):
        dirs = self.make_shards()
        with open(os.path.join(dirs[0], results.TRIALS), "ab") as f:
            f.write(b'{"id":')
        self.refused(dirs, "torn")

    def test_overlapping_ids_are_refused(self):
        rows = synth.campaign(self.N)
        dirs = self.make_shards(rows, skip=(2,))
        mine = [r for r in rows if shard_of(r["id"], 3) == 2]
        stolen = results.read_rows(dirs[0])[0]
        run(dirs[2], synth.manifest(self.N, shard="2/3", shard_trials=len(mine)),
            mine[:-1] + [stolen])
        self.refused(dirs, rf"trial {stolen['id']} is in both shard 0/3 and shard 2/3")

    def test_ids_not_covering_the_campaign_are_refused(self):
        rows = synth.campaign(self.N)
        dirs = self.make_shards(rows, skip=(2,))
        mine = [r for r in rows if shard_of(r["id"], 3) == 2]
        run(dirs[2], synth.manifest(self.N, shard="2/3", shard_trials=len(mine) - 1), mine[1:])
        self.refused(dirs, rf"not the campaign's 0..59: missing {mine[0]['id']}$")

    def test_an_output_directory_in_use_is_refused(self):
        dirs = self.make_shards()
        os.makedirs(self.path("merged"))
        with open(self.path("merged", "x"), "w") as f:
            f.write("x")
        with self.assertRaisesRegex(results.CampaignError, "not an empty directory"):
            results.merge(self.path("merged"), dirs)
        self.assertEqual(os.listdir(self.path("merged")), ["x"])

    def test_a_merged_campaign_is_not_a_shard(self):
        merged = results.merge(self.path("merged"), self.make_shards())
        self.assertEqual(merged["shard"], "all")
        self.refused([self.path("merged")], "already a merged campaign", out="again")


if __name__ == "__main__":
    unittest.main()
