#!/usr/bin/env python3
"""Every relative link in README.md and docs/ resolves inside the repository.

A link [text](target) or <a href="target"> whose target is not a URL must name a file or folder
that exists, inside the repository (a clone has nothing beside it), and a #fragment must name a
heading of the linked Markdown file (GitHub's anchor rule: lower case, punctuation dropped,
spaces to hyphens). Links inside code blocks and code spans are not links.

    doclinks_test.py --source DIR
"""
import argparse
import os
import re
import sys

LINK_RE = re.compile(r"(?<!\!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|<a\s+href=\"([^\"]+)\"")
IMAGE_RE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def strip_code(text):
    """The text without fenced code blocks and code spans (kept as blank lines: numbers stay)."""
    out, fenced = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            out.append("")
            continue
        out.append("" if fenced else re.sub(r"`[^`]*`", "", line))
    return out


def anchor(heading):
    h = heading.strip().lower()
    h = re.sub(r"[^\w\- ]", "", h)  # keeps letters, digits, _, -, space
    return h.replace(" ", "-")


def anchors_of(path, cache):
    if path not in cache:
        names, seen = set(), {}
        with open(path, encoding="utf-8") as f:
            for line in strip_code(f.read()):
                m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
                if m:
                    a = anchor(m.group(1))
                    n = seen.get(a, 0)
                    seen[a] = n + 1
                    names.add(a if n == 0 else f"{a}-{n}")
        cache[path] = names
    return cache[path]


def markdown_files(src):
    yield os.path.join(src, "README.md")
    for root, dirs, files in os.walk(os.path.join(src, "docs")):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".md"):
                yield os.path.join(root, name)


def check(src):
    failures, cache, count = [], {}, 0
    root = os.path.realpath(src)
    for md in markdown_files(src):
        rel_md = os.path.relpath(md, src)
        with open(md, encoding="utf-8") as f:
            lines = strip_code(f.read())
        for n, line in enumerate(lines, 1):
            targets = [a or b for a, b in LINK_RE.findall(line)] + IMAGE_RE.findall(line)
            for target in targets:
                if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                    continue
                count += 1
                path, _, frag = target.partition("#")
                dest = os.path.realpath(os.path.join(os.path.dirname(md), path or os.path.basename(md)))
                where = f"{rel_md}:{n}: link '{target}'"
                if dest != root and not dest.startswith(root + os.sep):
                    failures.append(f"{where} leaves the repository")
                elif not os.path.exists(dest):
                    failures.append(f"{where}: no such file in the repository")
                elif frag and dest.endswith(".md") and frag not in anchors_of(dest, cache):
                    failures.append(f"{where}: {os.path.relpath(dest, root)} has no heading "
                                    f"'#{frag}'")
    return failures, count


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    failures, count = check(args.source)
    for f in failures:
        print("FAIL:", f)
    if count == 0:
        print("FAIL: no links found at all: the scan is broken")
        return 1
    print(f"{count} relative links checked, {len(failures)} broken")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
