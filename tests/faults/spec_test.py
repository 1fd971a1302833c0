#!/usr/bin/python3
"""tools/faults/spec.py: a valid spec parses with its defaults; every refusal is a SpecError whose
message names the file and the key (or the TOML position) and says what is wrong."""
import os
import sys
import tempfile
import unittest

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SOURCE, "tools", "faults"))
import spec  # noqa: E402

PATH = "camp.toml"  # the name parse() is given: every message must carry it
BASE = """[campaign]
seed = 1
trials = 10
[workloads.storm]
[workloads.pingpong]
[models.bitflip]
"""


class Valid(unittest.TestCase):
    def test_minimal_spec_gets_the_documented_defaults(self):
        s = spec.parse(BASE, PATH)
        self.assertEqual((s.seed, s.trials, s.name), (1, 10, "campaign"))
        self.assertEqual((s.controls, s.trial_timeout_s, s.boot_timeout_s), (0.03, 30.0, 60.0))
        self.assertEqual((s.memory, s.cpu_budget_ms, s.fail_stop), ("128M", 250, True))
        self.assertEqual(s.workloads["storm"], {"seed": 1, "rounds": 8, "weight": 1.0,
                                                "cells": ["wl_storm"]})
        self.assertEqual(s.models["bitflip"]["regions"], ["text", "rodata", "data"])
        self.assertEqual(s.models["bitflip"]["workloads"], ["storm", "pingpong"])
        self.assertEqual(s.fixed, [])

    def test_the_repository_specs_parse(self):
        std = spec.load(os.path.join(SOURCE, "docs", "results", "standard.toml"))
        self.assertEqual((std.name, std.trials, std.controls), ("standard", 10000, 0.03))
        self.assertEqual(set(std.models), set(spec.MODELS))
        self.assertEqual(std.models["ipc"]["workloads"], ["pingpong", "pipeline"])
        self.assertEqual(std.models["nop"]["regions"], ["text"])
        known = spec.load(os.path.join(SOURCE, "tests", "faults", "known.toml"))
        self.assertEqual(len(known.fixed), 6)
        self.assertEqual([f["model"] for f in known.fixed],
                         ["bitflip", "alloc", "exception", "bitflip", "loop", "ipc"])
        self.assertEqual(known.models, {})  # fixed trials need no [models]

    def test_hash_is_of_the_text(self):
        a, b = spec.parse(BASE, PATH), spec.parse(BASE + "# a comment\n", PATH)
        self.assertNotEqual(a.hash, b.hash)
        self.assertEqual(a.hash, spec.parse(BASE, "other.toml").hash)

    def test_ipc_and_word_options(self):
        s = spec.parse(BASE + '[models.word]\nvalues = ["zero"]\n[models.ipc]\nkinds = ["drop"]\n'
                       'sides = ["recv"]\nnth = [2, 5]\ndelay_us = 7\n', PATH)
        self.assertEqual(s.models["word"]["values"], ["zero"])
        self.assertEqual((s.models["ipc"]["kinds"], s.models["ipc"]["sides"]), (["drop"], ["recv"]))
        self.assertEqual((s.models["ipc"]["nth"], s.models["ipc"]["delay_us"]), ([2, 5], 7))


class Refused(unittest.TestCase):
    def refused(self, text, *words):
        """The SpecError of text; its message starts with the file and holds every word."""
        with self.assertRaises(spec.SpecError) as cm:
            spec.parse(text, PATH)
        msg = str(cm.exception)
        self.assertTrue(msg.startswith(PATH + ": "), msg)
        for w in words:
            self.assertIn(w, msg)
        return msg

    def test_bad_toml(self):
        self.refused("[campaign\nseed = 1\n", "not valid TOML", "line 1")

    def test_missing_campaign(self):
        self.refused("[workloads.storm]\n[models.bitflip]\n", "campaign: missing",
                     "[campaign]")

    def test_missing_seed_and_trials(self):
        self.refused(BASE.replace("seed = 1\n", ""), "campaign.seed: missing")
        self.refused(BASE.replace("trials = 10\n", ""), "campaign.trials: missing")

    def test_bad_campaign_values(self):
        for old, new, key in (("seed = 1", "seed = -1", "campaign.seed"),
                              ("trials = 10", "trials = 0", "campaign.trials"),
                              ("trials = 10", 'trials = "10"', "campaign.trials"),
                              ("trials = 10", "trials = 10\ncontrols = 0.9", "campaign.controls"),
                              ("trials = 10", "trials = 10\nfail_stop = 1", "campaign.fail_stop"),
                              ("trials = 10", 'trials = 10\nmemory = "lots"', "campaign.memory")):
            with self.subTest(new=new):
                self.refused(BASE.replace(old, new), key + ":")

    def test_unknown_workload(self):
        self.refused(BASE.replace("storm", "nosuch"), "workloads.nosuch: no such workload",
                     "storm, pingpong")

    def test_unknown_model(self):
        self.refused(BASE.replace("bitflip", "flipflop"), "models.flipflop: no such fault model",
                     "bitflip, word")

    def test_unknown_keys(self):
        self.refused(BASE.replace("trials = 10", "trials = 10\ntrails = 3"),
                     "campaign.trails: unknown key", "trials")
        self.refused(BASE + "weigth = 2\n", "models.bitflip.weigth: unknown key")
        self.refused(BASE.replace("[workloads.storm]", "[workloads.storm]\nround = 3"),
                     "workloads.storm.round: unknown key", "rounds")
        self.refused("[extra]\n" + BASE, "extra: unknown table")

    def test_bad_region_for_nop(self):
        self.refused(BASE + '[models.nop]\nregions = ["data"]\n', "models.nop.regions",
                     "nop needs code")
        self.refused(BASE + 'regions = ["heap"]\n', "models.bitflip.regions", "unknown 'heap'")
        self.refused(BASE + '[models.alloc]\nregions = ["text"]\n', "models.alloc.regions",
                     "no region")

    def test_values_on_a_non_word_model(self):
        self.refused(BASE + 'values = ["zero"]\n', "models.bitflip.values",
                     "for word faults only")
        self.refused(BASE + '[models.word]\nvalues = ["half"]\n', "models.word.values",
                     "unknown 'half'")

    def test_ipc_keys_on_another_model(self):
        for key, value in (("kinds", '["drop"]'), ("sides", '["send"]'), ("nth", "[1, 2]"),
                           ("delay_us", "5")):
            with self.subTest(key=key):
                self.refused(BASE + f"{key} = {value}\n", f"models.bitflip.{key}",
                             "for ipc faults only")
        self.refused(BASE + "[models.ipc]\nnth = [5, 2]\n", "models.ipc.nth", "low <= high")

    def test_model_workloads_must_be_the_specs(self):
        self.refused(BASE + 'workloads = ["pipeline"]\n', "models.bitflip.workloads",
                     "unknown 'pipeline'")

    def test_no_models_without_fixed(self):
        self.refused(BASE.replace("[models.bitflip]\n", ""), "models:", "[models.NAME]")

    def test_bad_fixed_entries(self):
        ok = '[[fixed]]\nworkload = "storm"\ninject = "bitflip wl_storm --seed 1"\n'
        spec.parse(BASE + ok, PATH)  # the good one, for contrast
        self.refused(BASE + ok.replace('"storm"', '"pipeline"'), "fixed[0].workload",
                     "'pipeline'")
        self.refused(BASE + ok.replace('workload = "storm"\n', ""), "fixed[0].workload")
        self.refused(BASE + ok + ok.replace("bitflip wl_storm --seed 1", "bitflip"),
                     "fixed[1].inject", "the words after `inject`")
        self.refused(BASE + ok.replace("bitflip", "zap"), "fixed[0].inject",
                     "unknown fault model 'zap'")
        self.refused(BASE + ok + "when = 3\n", "fixed[0].when: unknown key")
        self.refused("fixed = [1]\n" + BASE, "fixed:", "[[fixed]] tables")


class Load(unittest.TestCase):
    def test_unreadable_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            missing = os.path.join(tmp, "none.toml")
            with self.assertRaises(spec.SpecError) as cm:
                spec.load(missing)
            self.assertIn(f"{missing}: cannot read the spec", str(cm.exception))
            binary = os.path.join(tmp, "bin.toml")
            with open(binary, "wb") as f:
                f.write(b"\xff\xfe[campaign]\n")
            with self.assertRaises(spec.SpecError) as cm:
                spec.load(binary)
            self.assertIn(binary, str(cm.exception))


if __name__ == "__main__":
    unittest.main()
