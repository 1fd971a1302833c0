#!/usr/bin/python3
"""A real fault campaign as a Slurm job array: tests/faults/known.toml submitted with
tools/faults/slurm/submit.sh as 4 shards (each task boots its own QEMU worker through
`tools/keel faults --no-build run`) and their merge, on a single-node Slurm this test brings up
and tears down. The merged campaign's rows (measured times aside) are those of a local
one-shard run of the same spec; no process of the cluster and no QEMU is left at the end.

    campaign_slurm_test.py --build DIR
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SOURCE, "tools", "faults", "slurm"))
sys.path.insert(0, os.path.join(SOURCE, "tools", "faults"))
from minicluster import ClusterError, MiniCluster, cluster_pids  # noqa: E402
import results  # noqa: E402

SHARDS = 4
KNOWN = os.path.join(SOURCE, "tests", "faults", "known.toml")
RUNNER_ARGS = ["--jobs", "1"]  # a task has one CPU (campaign.sbatch's default)
LOCAL_TIMEOUT = 150  # a local run of known.toml takes ~12 s on 2 workers


class Failure(Exception):
    pass


def check(cond, what, detail=""):
    if not cond:
        raise Failure(what + ("\n" + detail if detail else ""))


def job_outputs(work):
    """The jobs' slurm-*.out files, for a failure message."""
    text = ""
    for name in sorted(os.listdir(work)):
        if name.startswith("slurm-") and name.endswith(".out"):
            with open(os.path.join(work, name), errors="replace") as f:
                text += f"\n--- {name}\n{f.read()}"
    return text


def comparable_rows(directory):
    return [results.comparable(r)
            for r in sorted(results.read_rows(directory, torn_ok=False), key=lambda r: r["id"])]


def qemus_under(path):
    """Pids of live QEMUs whose command line names path (their overlays are under it)."""
    found = []
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read()
        except (OSError, ValueError):
            continue
        if b"qemu-system" in cmdline and path.encode() in cmdline:
            found.append(int(name))
    return found


def build_type(build):
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return ""


def local_run(build, out):
    began = time.monotonic()
    p = subprocess.run(["/usr/bin/python3", os.path.join(SOURCE, "tools", "faults", "campaign.py"),
                        "run", "--spec", KNOWN, "--out", out, "--jobs", "2", "--build", build],
                       capture_output=True, text=True, timeout=LOCAL_TIMEOUT,
                       env=dict(os.environ, MPLBACKEND="Agg"))
    check(p.returncode == 0, f"the local run failed ({p.returncode})", p.stdout + p.stderr)
    print(f"local run: {time.monotonic() - began:.1f} s")
    return comparable_rows(out)


def submit_env(build):
    """The environment of submit.sh and so of the jobs (sbatch passes it on): the runner is
    `tools/keel faults --no-build` on this build. submit.sh first runs `tools/keel build` on it:
    a no-op on an up-to-date build configured as tools/keel configures (RelWithDebInfo). Another
    build type would be reconfigured and rebuilt whole, so then KEEL_FAULTS_CMD names the very
    command campaign.sbatch runs by default, which skips submit.sh's build."""
    env = {"KEEL_ROOT": SOURCE, "KEEL_BUILD_DIR": build, "MPLBACKEND": "Agg"}
    if build_type(build) != "RelWithDebInfo":
        env["KEEL_FAULTS_CMD"] = f"{SOURCE}/tools/keel faults --no-build"
        print(f"{build} is not RelWithDebInfo: submit.sh's build skipped (KEEL_FAULTS_CMD)")
    return env


def case_array_equals_local(mc, work, build, want):
    began = time.monotonic()
    ids = mc.run([os.path.join(SOURCE, "tools/faults/slurm/submit.sh"), str(SHARDS), KNOWN,
                  "out"] + RUNNER_ARGS, env=submit_env(build), cwd=work, timeout=240).split()
    check(len(ids) == 2, f"submit.sh printed {ids}, not 'ARRAY MERGE'")
    array, merge = ids
    print(f"submit.sh (its build included): {time.monotonic() - began:.1f} s")
    states = mc.wait(array, timeout=200)
    print(f"{SHARDS}-task array: {time.monotonic() - began:.1f} s")
    merged = mc.wait(merge, timeout=60)
    print(f"then the merge: {time.monotonic() - began:.1f} s")
    want_states = {f"{array}_{i}": ("COMPLETED", "0:0") for i in range(SHARDS)}
    check(states == want_states, f"array states {states}, want {want_states}", job_outputs(work))
    check(merged == {merge: ("COMPLETED", "0:0")}, f"merge job: {merged}", job_outputs(work))
    for i in range(SHARDS):
        shard = os.path.join(work, "out", f"shard-{i}")
        manifest = results.read_manifest(shard)
        check(manifest["shard"] == f"{i}/{SHARDS}", f"shard-{i} is shard {manifest['shard']}")
        ids_i = sorted(r["id"] for r in results.read_rows(shard, torn_ok=False))
        check(ids_i == list(range(i, manifest["trials"], SHARDS)),
              f"shard {i}/{SHARDS} ran trials {ids_i}")
    out = os.path.join(work, "out", "merged")
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    check(summary["valid"] and summary["complete"], "the merged campaign is not valid and "
          "complete", json.dumps(summary, indent=1))
    got = comparable_rows(out)
    check(got == want, "the array's merged rows differ from the local run's",
          "\n".join(f"{json.dumps(g)}\n  local {json.dumps(w)}" for g, w in zip(got, want)
                    if g != w) + f"\n({len(got)} rows merged, {len(want)} local)")
    outcomes = {}
    for r in got:
        outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
    print(f"merged: {len(got)} trials, {outcomes}, the same as the local run")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", required=True, help="the build directory (built)")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    if os.geteuid() != 0:
        print("SKIP: the mini Slurm cluster needs root (SlurmUser=root)", file=sys.stderr)
        return 77  # SKIP_RETURN_CODE in tests/faults/faults.cmake
    # The real runner, not a stand-in: no KEEL_FAULTS_CMD from outside reaches the jobs.
    os.environ.pop("KEEL_FAULTS_CMD", None)
    work = tempfile.mkdtemp(prefix="keel-slurm-campaign-")
    root = None
    try:
        want = local_run(build, os.path.join(work, "local"))
        with MiniCluster() as mc:
            root = mc.root
            print(f"cluster up: {mc.timings['up']:.1f} s")
            case_array_equals_local(mc, work, build, want)
        print(f"teardown: {mc.timings['down']:.1f} s")
        check(not cluster_pids(root), f"processes of the cluster left: {cluster_pids(root)}")
        check(not os.path.exists(root), f"{root} left after teardown")
        check(not qemus_under(work), f"QEMUs left: {qemus_under(work)}")
    except (Failure, ClusterError) as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
