#!/usr/bin/python3
"""tools/faults/report.py: the Wilson interval, the summary, summary.md, outcomes.png and the
progress line."""
import contextlib
import io
import json
import os
import random
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faults_synth as synth  # noqa: E402
from faults_synth import results  # noqa: E402
import report  # noqa: E402  (on the path through faults_synth)


def pct1(interval):
    return tuple(round(100 * x, 1) for x in interval)


class WilsonTest(unittest.TestCase):
    def test_known_values(self):
        self.assertEqual(pct1(report.wilson(428, 617)), (65.6, 72.9))
        self.assertEqual(pct1(report.wilson(1, 2)), (9.5, 90.5))
        self.assertEqual(pct1(report.wilson(0, 10)), (0.0, 27.8))
        self.assertEqual(pct1(report.wilson(10, 10)), (72.2, 100.0))

    def test_the_edges_are_exact(self):
        self.assertEqual(report.wilson(0, 0), (0.0, 1.0))
        self.assertEqual(report.wilson(0, 5)[0], 0.0)
        self.assertEqual(report.wilson(5, 5)[1], 1.0)
        lo, hi = report.wilson(3, 1000)
        self.assertTrue(0.0 < lo < 0.003 < hi < 1.0)
        with self.assertRaises(ValueError):
            report.wilson(3, 2)


def small_campaign():
    """Rows whose summary is worked out by hand in SummaryTest."""
    r, c = synth.row, synth.control
    rows = [
        c(0, workload="storm", duration_ms=100.0),
        c(1, workload="ramfs", duration_ms=100.0),
        r(2, outcome="recovered", step="restart", recovery_us=100.0, duration_ms=200.0),
        r(3, outcome="recovered", step="reload_cell", recovery_us=300.0, duration_ms=200.0),
        r(4, outcome="crash", duration_ms=200.0),
        r(5, outcome="masked", duration_ms=200.0),
        r(6, outcome="not_activated", activated=False, duration_ms=200.0),
    ]
    nop = dict(model="nop", workload="ramfs", duration_ms=100.0)
    rows += [r(7, outcome="sdc", **nop), r(8, outcome="hang", **nop),
             r(9, outcome="detected_failed", step="give_up", **nop),
             r(10, outcome="recovered", step="restart", recovery_us=200.0, **nop),
             r(11, outcome="runner_error", activated=None, **nop)]
    return rows


class SummaryTest(unittest.TestCase):
    def setUp(self):
        m = synth.manifest(12)
        m["wall_s"] = 1.8
        self.s = report.summarize(m, small_campaign())

    def test_counts(self):
        s = self.s
        self.assertEqual(s["trials"], 12)
        self.assertTrue(s["complete"])
        self.assertEqual({o: v["count"] for o, v in s["outcomes"].items() if v["count"]},
                         {"no_effect": 2, "not_activated": 1, "masked": 1, "recovered": 3,
                          "detected_failed": 1, "hang": 1, "crash": 1, "sdc": 1,
                          "runner_error": 1})
        self.assertEqual(list(s["outcomes"]), list(results.OUTCOMES))
        self.assertEqual(list(s["by_model"]), ["bitflip", "none", "nop"])
        self.assertEqual(s["by_model"]["bitflip"]["trials"], 5)
        self.assertEqual(s["by_model"]["bitflip"]["outcomes"]["recovered"],
                         {"count": 2, "pct": 40.0})
        self.assertEqual(s["by_workload"]["ramfs"]["trials"], 6)
        self.assertEqual(s["by_model_workload"]["nop"]["ramfs"]["outcomes"]["sdc"],
                         {"count": 1, "pct": 20.0})
        self.assertEqual(s["by_model_workload"]["none"]["storm"]["trials"], 1)

    def test_recovery(self):
        s = self.s
        self.assertEqual((s["manifested"], s["recovered"]), (7, 3))
        overall = s["recovery"]["overall"]
        lo, hi = report.wilson(3, 7)
        self.assertEqual(overall, {"k": 3, "n": 7, "pct": 42.86, "lo": round(100 * lo, 2),
                                   "hi": round(100 * hi, 2)})
        self.assertEqual(s["recovery"]["by_model"]["bitflip"]["n"], 3)
        self.assertEqual(s["recovery"]["by_model"]["nop"]["k"], 1)
        self.assertEqual(s["recovery"]["by_model"]["none"]["n"], 0)
        self.assertIsNone(s["recovery"]["by_model"]["none"]["pct"])
        self.assertEqual(s["recovery"]["by_workload"]["storm"]["k"], 2)
        self.assertEqual({k: v["count"] for k, v in s["ladder"].items()},
                         {"restart": 2, "reload_cell": 1, "reload_dependents": 0})
        self.assertEqual(s["recovery_us"], {"n": 3, "median": 200.0, "p99": 300.0})
        # Fault trials less the runner error: 9, of which one not activated.
        self.assertEqual((s["activation"]["k"], s["activation"]["n"]), (8, 9))

    def test_validity_and_throughput(self):
        s = self.s
        self.assertEqual(s["controls"], {"count": 2, "all_no_effect": True})
        self.assertEqual(s["runner_errors"], 1)
        self.assertFalse(s["valid"])
        self.assertEqual(s["invalid_reasons"], ["1 runner error"])
        self.assertEqual(s["throughput"]["wall_trials_per_hour"], 24000.0)
        # One worker: 12 trials in 1.7 s of trials' own time (5 x 200 ms + 7 x 100 ms).
        self.assertEqual(s["throughput"]["worker_trials_per_hour"],
                         round(3600e3 * 12 / 1700.0, 1))

    def test_controls_decide_validity(self):
        rows = [r for r in small_campaign() if r["outcome"] != "runner_error"]
        self.assertTrue(report.summarize(synth.manifest(12), rows)["valid"])
        rows[1] = synth.control(1, outcome="crash")
        s = report.summarize(synth.manifest(12), rows)
        self.assertEqual((s["valid"], s["controls"]["all_no_effect"]), (False, False))
        self.assertEqual(s["invalid_reasons"],
                         ["control trials that were not no_effect: 1 crash"])
        s = report.summarize(synth.manifest(12), [r for r in rows if r["kind"] == "fault"])
        self.assertFalse(s["valid"])
        self.assertIn("no control trials", s["invalid_reasons"][0])

    def test_nearest_rank(self):
        values = list(range(1, 201))
        self.assertEqual(report.nearest_rank(values, 0.99), 198)
        self.assertEqual(report.nearest_rank([5.0], 0.99), 5.0)


class RenderTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="faults_report_")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def campaign(self, name, rows, trials=None):
        d = os.path.join(self.tmp, name)
        with results.Campaign.open(d, synth.manifest(trials or len(rows))) as c:
            for r in rows:
                c.append(r)
        m = results.read_manifest(d)
        m["wall_s"] = 36.0  # the same wall time for both runs: the rest is from the rows
        results.write_manifest(d, m)
        return d

    def file(self, d, name):
        with open(os.path.join(d, name), "rb") as f:
            return f.read()

    def test_summary_md_and_json_are_the_same_for_the_same_rows(self):
        rows = synth.campaign(200)
        a = self.campaign("a", rows)
        shuffled = list(rows)
        random.Random(5).shuffle(shuffled)
        b = self.campaign("b", shuffled)
        sa, sb = report.render(a), report.render(b)
        self.assertEqual(sa, sb)
        for name in (report.SUMMARY_MD, report.SUMMARY_JSON, results.CSV):
            self.assertEqual(self.file(a, name), self.file(b, name), name)
        self.assertEqual(json.loads(self.file(a, report.SUMMARY_JSON)), sa)

    def test_summary_md_says_the_headline(self):
        d = self.campaign("c", small_campaign())
        report.render(d)
        md = self.file(d, report.SUMMARY_MD).decode()
        lo, hi = (round(100 * x, 1) for x in report.wilson(3, 7))
        self.assertIn("12 trials, 1,200 trials/hour", md)
        self.assertIn(f"**42.9% [{lo}%, {hi}%]** (3 recovered of 7 manifested", md)
        self.assertIn("**INVALID**: 1 runner error.", md)
        self.assertIn("| nop | ramfs | 5 | 0 (0.0%) | 0 (0.0%) | 0 (0.0%) | 1 (20.0%) | "
                      "1 (20.0%) | 1 (20.0%) | 0 (0.0%) | 1 (20.0%) | 1 (20.0%) |", md)
        self.assertIn("| **all** |  | 12 | 2 (16.7%) | 1 (8.3%) |", md)
        self.assertIn("| bitflip | 5 | 3 | 2 | 66.7% [", md)
        self.assertIn("| restart | 2 | 66.7% |", md)
        self.assertIn("median 200.0 us, p99 300.0 us", md)
        self.assertIn("- Control trials: 2, all no_effect.", md)

    def test_an_incomplete_campaign_says_so(self):
        d = self.campaign("c", synth.campaign(30), trials=40)
        md = report.markdown(report.render(d))
        self.assertIn("30 trials (incomplete: 30 of 40)", md)

    def test_outcomes_png_is_written(self):
        d = self.campaign("c", synth.campaign(100))
        report.render(d)
        png = self.file(d, report.OUTCOMES_PNG)
        self.assertTrue(png.startswith(b"\x89PNG\r\n\x1a\n"))
        self.assertGreater(len(png), 10000)
        self.assertFalse(os.path.exists(os.path.join(d, report.OUTCOMES_PNG + ".tmp.png")))

    def test_the_command_line(self):
        d = self.campaign("c", synth.campaign(20))
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            self.assertEqual(report.main([]), 2)
            self.assertEqual(report.main([os.path.join(self.tmp, "nothing")]), 1)
            self.assertEqual(report.main([d]), 0)
        self.assertIn("no manifest.json", out.getvalue())
        self.assertTrue(os.path.exists(os.path.join(d, report.SUMMARY_MD)))


class ProgressTest(unittest.TestCase):
    def test_progress_line(self):
        counts = {"recovered": 30, "masked": 60, "crash": 10, "hang": 0}
        self.assertEqual(report.progress_line(counts, 36.0, 100, 1000),
                         "100/1000 (10.0%) | masked 60 | recovered 30 | crash 10 | "
                         "10,000 trials/h | ETA 5m24s")

    def test_a_resumed_session_counts_only_its_own_trials(self):
        self.assertEqual(report.progress_line({"masked": 600}, 360.0, 600, 1000, done_before=500),
                         "600/1000 (60.0%) | masked 600 | 1,000 trials/h | ETA 24m00s")
        self.assertEqual(report.progress_line({}, 3.0, 0, 200000),
                         "0/200000 (0.0%) | - trials/h | ETA -")
        self.assertEqual(report.progress_line({"masked": 1}, 36.0, 1, 100000),
                         "1/100000 (0.0%) | masked 1 | 100 trials/h | ETA 999h59m")


if __name__ == "__main__":
    unittest.main()
