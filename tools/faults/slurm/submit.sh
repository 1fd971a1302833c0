#!/bin/bash
# submit.sh: submit a fault campaign to Slurm as N shards and their merge.
#
#   tools/faults/slurm/submit.sh N SPEC OUT [runner args]
#
# Submits campaign.sbatch as a job array 0..N-1 (task I runs `tools/keel faults run --spec SPEC
# --out OUT/shard-I --shard I/N [runner args]`), then `campaign.sbatch --merge OUT N` depending
# on it (afterok: it runs once every task exited 0, into OUT/merged; it is dropped if one fails).
# Prints the two job ids, "ARRAY MERGE". Relative SPEC and OUT are relative to the current
# directory. KEEL_SBATCH_ARGS: more sbatch options for both jobs (split on blanks), e.g.
# "-p long -c 2". The jobs find the repository through KEEL_ROOT, set here.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "submit.sh: $*" >&2; exit 2; }
case ${1:-} in  # the header above, without the shebang and #SBATCH lines
  -h|--help) sed -n '2,/^set -euo/{/^#SBATCH/d;/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; exit 0 ;;
esac
[ $# -ge 3 ] || die "usage: submit.sh N SPEC OUT [runner args]"
[[ $1 =~ ^[1-9][0-9]*$ ]] || die "N must be a positive number of shards, not '$1'"
n=$1 spec=$2 out=$3
shift 3
[ -f "$spec" ] || die "no spec file $spec"
read -r -a extra <<<"${KEEL_SBATCH_ARGS:-}"
export KEEL_ROOT=${KEEL_ROOT:-$(cd "$here/../../.." && pwd)}

# Build once here: the array's tasks use the build as it is (many tasks building one directory
# at once would race).
[ -n "${KEEL_FAULTS_CMD:-}" ] || "$KEEL_ROOT/tools/keel" build >&2

array=$(sbatch --parsable "${extra[@]}" --array="0-$((n - 1))" \
        "$here/campaign.sbatch" "$spec" "$out" "$@")
array=${array%%;*}  # "id;cluster" on a federation
merge=$(sbatch --parsable "${extra[@]}" --job-name=keel-faults-merge \
        --dependency="afterok:$array" --kill-on-invalid-dep=yes \
        "$here/campaign.sbatch" --merge "$out" "$n")
echo "$array ${merge%%;*}"
