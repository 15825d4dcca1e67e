#!/usr/bin/env bash
# Peak resident memory (VmHWM) of sonnx against ONNX Runtime: one engine per process (bench --only),
# the two alternating process by process for --rounds rounds, so that the machine's state falls on
# both alike. Both processes load the model the same way (the benchmark's own loading counts for
# both); each runs the benchmark's warm-up and --runs timed runs. Prints every round, then the
# medians and their ratio (below 1: sonnx takes less).
#   bench/memory-compare.sh [--threads T] [--runs N] [--rounds R] [--batch B] [--java-opts "..."] model
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
zoo="${SONNX_ZOO:-$here/../shared/onnx-zoo}"
threads=2 runs=20 rounds=5 batch=1 model="" extra=""
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --java-opts) extra="$2"; shift 2 ;;   # sonnx's process only (e.g. -Dsonnx.winograd=false)
    *) model="$1"; shift ;;
  esac
done
[ -n "$model" ] || { echo "usage: $0 [--batch B] [--rounds R] [--runs N] model" >&2; exit 2; }
file="$model"
[ -f "$file" ] || file="$zoo/$model/model.onnx"
base_opts="${SONNX_JAVA_OPTS:--Xmx8g -Xss8m}"
peak() {  # engine, java options -> peak RSS in MB
  SONNX_JAVA_OPTS="$2" "$here/bin/sonnx" bench --model "$file" --batch "$batch" --threads "$threads" \
    --runs "$runs" --only "$1" 2>&1 | sed -n 's/^peak RSS: \([0-9]*\) MB$/\1/p'
}
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ours=() theirs=()
printf '%-6s %9s %9s\n' round sonnx_MB ort_MB
for ((r = 1; r <= rounds; r++)); do
  o="$(peak sonnx "$base_opts $extra")"
  t="$(peak ort "$base_opts")"
  ours+=("$o") theirs+=("$t")
  printf '%-6s %9s %9s\n' "$r" "$o" "$t"
done
mo="$(printf '%s\n' "${ours[@]}" | median)"
mt="$(printf '%s\n' "${theirs[@]}" | median)"
printf 'median %9s %9s\n' "$mo" "$mt"
awk -v o="$mo" -v t="$mt" 'BEGIN {printf "ratio sonnx/ort peak RSS: %.2f\n", o / t}'
