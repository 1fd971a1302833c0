#!/usr/bin/env python3
"""Every #include of the source tree keeps to the include layers of tests/layers.txt.

Scans each .c, .h and .S file under the components' directories (kernel/, loader/, tasking/,
inject/, cells/, tools/, tests/), resolves each #include "..." and #include <keel/...> to a file
of the tree the way the build's include paths would, and checks the pair (including file,
included file) against the rules of layers.txt: the first rule whose two patterns match decides,
and an include no rule allows is refused. A "..." include that names no file of the tree is an
error too (a rule cannot judge it) unless layers.txt names it as generated; <...> includes outside keel/ are the C library's and are not checked.

    layers_test.py --source DIR [--rules FILE]

Exit 0 when every include is allowed, 1 with one line per broken rule (file:line: what, which
rule) otherwise, 2 on a malformed rules file.
"""
import argparse
import fnmatch
import os
import re
import sys

COMPONENTS = ("kernel", "loader", "tasking", "inject", "cells", "tools", "tests")
SUFFIXES = (".c", ".h", ".S")
CLOSE = {"<": ">", '"': '"'}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
# Where a header named with <keel/...> can live: the components' public include directories.
INCLUDE_DIRS = ("kernel/include", "loader/include", "tasking/include", "inject/include",
                "cells/include")
# Where a "..." header is looked up after the including file's own directory: the including
# component's root, the public include directories, then the other roots the build puts on some
# include path (a component's root, tests/host for the tests' helpers, the source root).
ROOTS = ("kernel", "loader", "tasking", "inject", "cells", "tests/host", "tools", ".")


class Rule:
    def __init__(self, verdict, source, target, line):
        self.verdict, self.source, self.target, self.line = verdict, source, target, line

    def matches(self, source, target):
        return fnmatch.fnmatchcase(source, self.source) and fnmatch.fnmatchcase(target, self.target)

    def __str__(self):
        return f"{self.verdict} {self.source} {self.target} (layers.txt:{self.line})"


def read_rules(path):
    """The rules in order, and the names of generated headers."""
    rules, generated = [], set()
    with open(path, encoding="utf-8") as f:
        for number, text in enumerate(f, 1):
            words = text.split("#", 1)[0].split()
            if not words:
                continue
            if len(words) == 2 and words[0] == "generated":
                generated.add(words[1])
                continue
            if len(words) != 3 or words[0] not in ("allow", "deny"):
                sys.exit(f"{path}:{number}: want 'allow|deny <file pattern> <header pattern>' or 'generated <name>'")
            rules.append(Rule(words[0], words[1], words[2], number))
    if not rules:
        sys.exit(f"{path}: no rules")
    return rules, generated


def sources(root):
    for component in COMPONENTS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, component)):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith(SUFFIXES):
                    yield os.path.relpath(os.path.join(dirpath, name), root)


def resolve(root, including, bracket, name):
    """The tree-relative path of the header, or None (a system header, or not in the tree)."""
    if bracket == "<":
        if not name.startswith("keel/"):
            return None
        places = INCLUDE_DIRS
    else:
        own = including.split("/", 1)[0]
        places = (os.path.dirname(including), own) + INCLUDE_DIRS + ROOTS
    for place in places:
        candidate = os.path.normpath(os.path.join(place, name))
        if os.path.isfile(os.path.join(root, candidate)):
            return candidate
    return None


def kind(header):
    """What the header is, for the messages: public, kernel-facing or private, and whose."""
    parts = header.split("/")
    if len(parts) > 3 and parts[1:3] == ["include", "keel"]:
        return f"{parts[0]}'s kernel-facing header" if parts[3] == "core" else f"{parts[0]}'s public header"
    return f"{parts[0]}'s private header"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", required=True, help="the source tree")
    parser.add_argument("--rules", help="the rules (default: <source>/tests/layers.txt)")
    args = parser.parse_args()
    root = os.path.abspath(args.source)
    rules, generated = read_rules(args.rules or os.path.join(root, "tests", "layers.txt"))

    problems, checked = [], 0
    for path in sources(root):
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
        for number, text in enumerate(lines, 1):
            m = INCLUDE_RE.match(text)
            if not m:
                continue
            bracket, name = m.groups()
            shown = bracket + name + CLOSE[bracket]
            header = resolve(root, path, bracket, name)
            if header is None:
                if bracket == '"' and name not in generated:
                    problems.append(f"{path}:{number}: #include {shown}: no such file in the tree")
                continue
            checked += 1
            rule = next((r for r in rules if r.matches(path, header)), None)
            if rule is not None and rule.verdict == "allow":
                continue
            why = f"refused by rule: {rule}" if rule else "no rule allows it"
            problems.append(f"{path}:{number}: #include {shown} is {header}, {kind(header)}: {why}")

    for p in problems:
        print(p)
    if problems:
        print(f"layers: {len(problems)} include(s) break tests/layers.txt", file=sys.stderr)
        return 1
    if checked == 0:
        print("layers: no includes found: is --source the tree?", file=sys.stderr)
        return 1
    print(f"layers: {checked} includes keep to {len(rules)} rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
