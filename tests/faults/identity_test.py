#!/usr/bin/python3
"""The campaign's identity (tools/faults/campaign.py): the image hash covers the kernel, every
boot module's content and name, and the command line — so resuming or replaying on another image
is refused — and a missing module is a clear error."""
import os
import sys
import tempfile
import unittest

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SOURCE, "tools", "faults"))
import campaign  # noqa: E402


class ImageHash(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.build = self.dir.name
        os.makedirs(os.path.join(self.build, "image", "cells"))
        self.write("keel.elf", b"kernel")
        self.write("image/cells/a@1.o", b"cell a")
        self.write("image/cells/b@1.o", b"cell b")
        self.mods("modules.txt", ["a@1.o"])
        self.mods("test-modules.txt", ["b@1.o"])

    def tearDown(self):
        self.dir.cleanup()

    def write(self, rel, data):
        with open(os.path.join(self.build, rel), "wb") as f:
            f.write(data)

    def mods(self, name, cells):
        lines = [f"{self.build}/image/cells/{c}={c}\n" for c in cells]
        with open(os.path.join(self.build, "image", name), "w") as f:
            f.writelines(lines)

    def test_every_part_counts(self):
        base = campaign.image_hash(self.build)
        self.assertEqual(campaign.image_hash(self.build), base, "not deterministic")
        for rel, data in (("image/cells/a@1.o", b"cell A"), ("image/cells/b@1.o", b"cell B"),
                          ("keel.elf", b"kernel 2")):
            with open(os.path.join(self.build, rel), "rb") as f:
                old = f.read()
            self.write(rel, data)
            self.assertNotEqual(campaign.image_hash(self.build), base, f"{rel}'s bytes ignored")
            self.write(rel, old)
        self.assertEqual(campaign.image_hash(self.build), base)
        self.mods("test-modules.txt", [])
        self.assertNotEqual(campaign.image_hash(self.build), base, "a module dropped unseen")

    def test_a_missing_module_is_an_error(self):
        os.remove(os.path.join(self.build, "image", "cells", "b@1.o"))
        with self.assertRaisesRegex(campaign.RunnerError, r"cannot read boot module .*b@1\.o"):
            campaign.image_hash(self.build)


if __name__ == "__main__":
    unittest.main()
