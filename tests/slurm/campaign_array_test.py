"""The Slurm scripts of fault campaigns on a real single-node Slurm (tools/faults/slurm/): a
4-task job array of campaign.sbatch through submit.sh runs shard I/4 in task I and then the
merge of the four; a failing shard drops the merge; an array that is not 0..N-1 is refused.
tests/slurm/fake_faults.py stands in for `tools/keel faults` (KEEL_FAULTS_CMD). At the end no
process of the cluster is left and its temp dir is gone.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SOURCE, "tools", "faults", "slurm"))
from minicluster import MiniCluster, cluster_pids  # noqa: E402

SHARDS = 4
RUNNER_ARGS = ["--trials", "40", "--seed", "7"]


class Failure(Exception):
    pass


def check(cond, what, work=None):
    if not cond:
        raise Failure(what + (job_outputs(work) if work else ""))


def job_outputs(work):
    """The jobs' slurm-*.out files, for a failure message."""
    text = ""
    for name in sorted(os.listdir(work)):
        if name.startswith("slurm-") and name.endswith(".out"):
            with open(os.path.join(work, name), errors="replace") as f:
                text += f"\n--- {name}\n{f.read()}"
    return text


def submit(mc, work, out, env):
    ids = mc.run([os.path.join(SOURCE, "tools/faults/slurm/submit.sh"), str(SHARDS), "spec.toml",
                  out] + RUNNER_ARGS, env=env, cwd=work).split()
    check(len(ids) == 2, f"submit.sh printed {ids}, not 'ARRAY MERGE'")
    return ids


def case_shards_and_merge(mc, work, env):
    began = time.monotonic()
    array, merge = submit(mc, work, "out", env)
    states = mc.wait(array, timeout=120)
    print(f"{SHARDS}-task array: {time.monotonic() - began:.1f} s")
    merged = mc.wait(merge, timeout=60)
    print(f"then the merge: {time.monotonic() - began:.1f} s")
    want = {f"{array}_{i}": ("COMPLETED", "0:0") for i in range(SHARDS)}
    check(states == want, f"array states {states}, want {want}", work)
    check(merged == {merge: ("COMPLETED", "0:0")}, f"merge job: {merged}", work)
    shards = []
    for i in range(SHARDS):
        with open(os.path.join(work, "out", f"shard-{i}", "shard.json")) as f:
            got = json.load(f)
        shards.append(got)
        env_i = got.pop("env")
        check(got == {"shard": f"{i}/{SHARDS}", "spec": "spec.toml", "out": f"out/shard-{i}",
                      "rest": RUNNER_ARGS}, f"task {i} ran with {got}", work)
        check(env_i.get("SLURM_ARRAY_TASK_ID") == str(i)
              and env_i.get("SLURM_ARRAY_TASK_COUNT") == str(SHARDS),
              f"task {i} had the array variables {env_i}", work)
    with open(os.path.join(work, "out", "merged", "merged.json")) as f:
        got = json.load(f)["shards"]
    check([s["dir"] for s in got] == [f"out/shard-{i}" for i in range(SHARDS)],
          f"merge saw {[s['dir'] for s in got]}", work)
    check([{k: v for k, v in s.items() if k not in ("dir", "env")} for s in got] == shards,
          "merge did not read the shards' own files", work)


def case_failed_shard_drops_merge(mc, work, env):
    array, merge = submit(mc, work, "fail", dict(env, KEEL_FAKE_FAIL_SHARD="2"))
    states = mc.wait(array, timeout=120)
    check(states.get(f"{array}_2") == ("FAILED", "1:0")
          and all(states.get(f"{array}_{i}") == ("COMPLETED", "0:0") for i in (0, 1, 3)),
          f"array with shard 2 failing: {states}", work)
    merged = mc.wait(merge, timeout=60)
    check(merged.get(merge, ("?",))[0] == "CANCELLED", f"merge after a failed shard: {merged}",
          work)
    check(not os.path.exists(os.path.join(work, "fail", "merged")), "the merge ran", work)


def case_bad_array_refused(mc, work, env):
    # Straight to sbatch (the documented way, with KEEL_ROOT), an array 1..2 instead of 0..1.
    job = mc.sbatch(["--array=1-2", os.path.join(SOURCE, "tools/faults/slurm/campaign.sbatch"),
                     "spec.toml", "bad"], env=dict(env, KEEL_ROOT=SOURCE), cwd=work)
    states = mc.wait(job, timeout=120)
    check(sorted(states.values()) == [("FAILED", "2:0")] * 2, f"array 1-2: {states}", work)
    check(not os.path.exists(os.path.join(work, "bad")), "array 1-2 made its OUT", work)
    for task in states:
        with open(os.path.join(work, f"slurm-{task}.out")) as f:
            check("the array must be 0-<N-1> with step 1" in f.read(),
                  f"task {task}: no clear refusal", work)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: the mini Slurm cluster needs root (SlurmUser=root)", file=sys.stderr)
        return 77  # SKIP_RETURN_CODE in tests/slurm/slurm.cmake
    work = tempfile.mkdtemp(prefix="keel-slurm-test-")
    root = None
    try:
        with open(os.path.join(work, "spec.toml"), "w") as f:
            f.write("# not read: fake_faults.py stands in for the runner\n")
        env = {"KEEL_FAULTS_CMD": f"/usr/bin/python3 {SOURCE}/tests/slurm/fake_faults.py"}
        with MiniCluster() as mc:
            root = mc.root
            print(f"cluster up: {mc.timings['up']:.1f} s")
            case_shards_and_merge(mc, work, env)
            case_failed_shard_drops_merge(mc, work, env)
            case_bad_array_refused(mc, work, env)
        print(f"teardown: {mc.timings['down']:.1f} s")
        left = cluster_pids(root)
        check(not left, f"processes of the cluster left after teardown: {left}")
        check(not os.path.exists(root), f"{root} left after teardown")
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
