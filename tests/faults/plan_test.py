#!/usr/bin/python3
"""tools/faults/plan.py: trial i is a function of (spec, seed, i) alone, whatever the shard; the
shards of N partition 0..N-1; controls take their share of the trials; fixed trials come in
turn. The plan is seeded, so every count below is exact for these seeds (no statistics that can
flake): a change of the plan's draws shows up as a changed count here, not as a rare failure."""
import os
import sys
import unittest

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SOURCE, "tools", "faults"))
import plan  # noqa: E402
import spec  # noqa: E402

STANDARD = os.path.join(SOURCE, "docs", "results", "standard.toml")
KNOWN = os.path.join(SOURCE, "tests", "faults", "known.toml")


# What CellMeta reads with cellinfo in a real run; fixed here (the plan only picks among them).
def functions(cell):
    return [f"{cell}_main", f"{cell}_step", "helper"]


def regions(cell):
    return ["text", "rodata"] if cell != "wl_demo" else ["text"]


def trial(s, i):
    return vars(plan.make_trial(s, i, functions, regions))


class SameTrialWhateverTheShard(unittest.TestCase):
    def test_shards_plan_the_trials_of_the_whole(self):
        s = spec.load(STANDARD)
        whole = {i: trial(s, i) for i in range(300)}
        for n in (2, 3, 7):
            for k in range(n):
                for i in plan.shard_ids(300, (k, n)):
                    self.assertEqual(trial(s, i), whole[i], f"trial {i} in shard {k}/{n}")

    def test_a_trial_alone_or_out_of_order_is_the_same(self):
        s = spec.load(STANDARD)
        forward = [trial(s, i) for i in range(100)]
        backward = [trial(s, i) for i in reversed(range(100))][::-1]
        self.assertEqual(forward, backward)
        self.assertEqual(trial(s, 57), forward[57])

    def test_the_seed_changes_the_plan(self):
        s = spec.load(STANDARD)
        a = [trial(s, i) for i in range(50)]
        s.seed += 1
        b = [trial(s, i) for i in range(50)]
        self.assertNotEqual([t["seed"] for t in a], [t["seed"] for t in b])
        self.assertNotEqual([t["words"] for t in a], [t["words"] for t in b])

    def test_trial_seeds_are_distinct_and_63_bits(self):
        seeds = [plan.trial_seed(20261205, i) for i in range(10000)]
        self.assertEqual(len(set(seeds)), len(seeds))
        self.assertTrue(all(0 <= x < 2**63 for x in seeds))


class Shards(unittest.TestCase):
    def test_shards_partition_the_ids(self):
        for trials in (1, 2, 7, 100, 101, 10000):
            for n in range(1, 9):
                seen = []
                sizes = []
                for k in range(n):
                    ids = list(plan.shard_ids(trials, (k, n)))
                    seen += ids
                    sizes.append(len(ids))
                self.assertEqual(sorted(seen), list(range(trials)), f"{trials} trials, {n}")
                self.assertEqual(len(seen), len(set(seen)), f"{trials} trials in {n}: overlap")
                self.assertLessEqual(max(sizes) - min(sizes), 1, f"{trials} trials in {n}")


class Controls(unittest.TestCase):
    def count(self, s, trials=10000):
        kinds = [plan.make_trial(s, i, functions, regions) for i in range(trials)]
        return sum(1 for t in kinds if t.kind == "control"), kinds

    def test_controls_take_their_share(self):
        s = spec.load(STANDARD)
        # Exact counts of this seed, each within a few standard deviations of share x 10,000.
        for share, lo, hi in ((0.0, 0, 0), (0.03, 240, 360), (0.15, 1380, 1620),
                              (0.5, 4800, 5200)):
            s.controls = share
            n, ts = self.count(s)
            self.assertTrue(lo <= n <= hi, f"controls {share}: {n} of 10000")
            for t in ts:
                if t.kind == "control":
                    self.assertEqual((t.model, t.cell, t.region, t.words, t.inject_line()),
                                     ("none", "", "", [], ""))

    def test_models_and_workloads_follow_the_spec(self):
        s = spec.load(STANDARD)
        _, ts = self.count(s, 3000)
        for t in ts:
            if t.kind == "control":
                continue
            self.assertIn(t.model, s.models)
            self.assertIn(t.workload, s.models[t.model]["workloads"])
            self.assertEqual(t.cell, s.workloads[t.workload]["cells"][0])
            self.assertEqual(t.words[0], t.model)
            if t.model in ("nop", "branch", "exception", "loop"):
                self.assertEqual(t.region, "text")
            elif t.model in ("bitflip", "word"):
                self.assertIn(t.region, regions(t.cell))
            else:
                self.assertEqual(t.region, "")
            if t.model in ("exception", "loop"):
                self.assertIn(t.words[t.words.index("--at") + 1], functions(t.cell))
        # Weighted: bitflip (weight 3) comes more often than exception (weight 1).
        by = {m: sum(1 for t in ts if t.model == m) for m in s.models}
        self.assertGreater(by["bitflip"], 2 * by["exception"])
        self.assertTrue(all(by[m] > 0 for m in s.models), by)


class Fixed(unittest.TestCase):
    def test_fixed_trials_in_turn(self):
        s = spec.load(KNOWN)
        ts = [plan.make_trial(s, i, functions, regions) for i in range(600)]
        controls = 0
        for t in ts:
            f = s.fixed[t.id % len(s.fixed)]
            self.assertEqual(t.workload, f["workload"], t.id)
            if t.kind == "control":
                controls += 1
                self.assertEqual((t.model, t.words), ("none", []))
                continue
            self.assertEqual(t.inject_line(), "inject " + f["inject"], t.id)
            self.assertEqual(t.model, f["model"])
        self.assertTrue(40 <= controls <= 140, f"{controls} controls of 600 at 0.15")

    def test_fixed_trial_targets(self):
        s = spec.load(KNOWN)
        got = [(t.cell, t.region) for t in (plan.make_trial(s, i, functions, regions)
                                            for i in range(14)) if t.kind == "fault"]
        want = [("wl_storm", "rodata"), ("wl_storm", ""), ("wl_storm", "text"),
                ("wl_pipeline", "text"), ("cmd_workload", "text"), ("wl_pingpong", "")]
        self.assertEqual(set(got), set(want))


if __name__ == "__main__":
    unittest.main()
