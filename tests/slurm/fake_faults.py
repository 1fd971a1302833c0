"""A stand-in for `tools/keel faults` in the Slurm job-array test (KEEL_FAULTS_CMD): records what
each job asked for instead of running a campaign.

  fake_faults.py run --spec SPEC --out DIR --shard I/N [args]   writes DIR/shard.json: its
      arguments and the job-array variables; exits 1 if KEEL_FAKE_FAIL_SHARD is I
  fake_faults.py merge OUT DIR...   writes OUT/merged.json: the shard.json of each DIR, in order
"""
import argparse
import json
import os
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run")
    run.add_argument("--spec", required=True)
    run.add_argument("--out", required=True)
    run.add_argument("--shard", required=True)
    merge = sub.add_parser("merge")
    merge.add_argument("out")
    merge.add_argument("shards", nargs="+")
    args, rest = ap.parse_known_args()  # the runner's other options, recorded as they came
    if args.cmd == "merge" and rest:
        ap.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.cmd == "run":
        os.makedirs(args.out)  # a shard runs once: an existing directory is an error
        env = {k: v for k, v in os.environ.items() if k.startswith("SLURM_ARRAY_")}
        with open(os.path.join(args.out, "shard.json"), "w") as f:
            json.dump({"shard": args.shard, "spec": args.spec, "out": args.out,
                       "rest": rest, "env": env}, f)
        if os.environ.get("KEEL_FAKE_FAIL_SHARD") == args.shard.split("/")[0]:
            print(f"fake_faults: shard {args.shard} fails, as asked", file=sys.stderr)
            return 1
        return 0
    os.makedirs(args.out)
    shards = []
    for d in args.shards:
        with open(os.path.join(d, "shard.json")) as f:
            shards.append(dict(json.load(f), dir=d))
    with open(os.path.join(args.out, "merged.json"), "w") as f:
        json.dump({"shards": shards}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
