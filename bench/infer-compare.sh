#!/usr/bin/env bash
# Inference latency of sonnx against ONNX Runtime on the zoo models, batch 1 and 8, in one process per
# model and batch (the two engines alternate run by run), after a warm-up that lasts until the JIT has
# been quiet for 2 s. Prints one line per case: the medians, their ratio, the JIT's compile time
# during the timed runs (far above zero: the warm-up was too short) and the largest difference
# between the two engines' outputs (a ratio means something only where they agree).
#
# --separate R: each engine in a process of its own (bench --only), the two alternating process by
# process for R rounds (the first engine changes every round); prints the medians of the processes'
# medians. In one process each engine's run starts in the caches the other's run left (and the
# other's threads may still be waking or falling asleep); a server runs one engine, run after run.
# The outputs are then compared in one short process of both.
#   bench/infer-compare.sh [--threads T] [--runs N] [--warmup W] [--separate R] [models...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
zoo="${SONNX_ZOO:-$here/../shared/onnx-zoo}"
threads=2 runs=30 warmup=5 batches="1 8" separate=0
models=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --batches) batches="$2"; shift 2 ;;
    --separate) separate="$2"; shift 2 ;;
    *) models+=("$1"); shift ;;
  esac
done
[ ${#models[@]} -gt 0 ] || models=(resnet18 mobilenetv2 tinyyolov2 gpt2-mini bert-squad-mini)
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# one bench process: model, batch, runs, extra options -> its whole output (the error's line on failure)
bench() {
  local text
  if text="$("$here/bin/sonnx" bench --model "$zoo/$1/model.onnx" --batch "$2" --threads "$threads" \
      --runs "$3" --warmup "$warmup" "${@:4}" 2>&1)"; then
    echo "$text"
  else
    echo "failed: $(grep -m1 -E 'Exception|Error' <<<"$text" | sed 's/^[^:]*: //' | cut -c1-150)"
  fi
}
field() { sed -n "s/$1/\1/p"; }
printf '%-16s %5s %10s %10s %7s %7s %10s\n' model batch sonnx_ms ort_ms ratio jit_ms max_diff
for m in "${models[@]}"; do
  for b in $batches; do
    if [ "$separate" -gt 0 ]; then
      ours=() theirs=() jit=0
      for ((r = 0; r < separate; r++)); do
        order=(sonnx ort)
        [ $((r % 2)) -eq 1 ] && order=(ort sonnx)
        for e in "${order[@]}"; do
          out="$(bench "$m" "$b" "$runs" --only "$e")"
          label=sonnx
          [ "$e" = ort ] && label=onnxruntime   # how bench names the engine in its median's line
          ms="$(field "^$label inference: median \([0-9.]*\) ms.*" <<<"$out")"
          [ -n "$ms" ] || { printf '%-16s %5s  %s\n' "$m" "$b" "$(grep -m1 -E 'failed|Exception|Error' <<<"$out")"; continue 3; }
          if [ "$e" = sonnx ]; then ours+=("$ms"); else theirs+=("$ms"); fi
          jit=$((jit + $(field '^JIT compilation during the timed runs: \([0-9]*\) ms' <<<"$out")))
        done
      done
      mo="$(printf '%s\n' "${ours[@]}" | median)"
      mt="$(printf '%s\n' "${theirs[@]}" | median)"
      ratio="$(awk -v o="$mo" -v t="$mt" 'BEGIN {printf "%.2f", o / t}')"
      diff="$(bench "$m" "$b" 1 --compare --warmup-seconds 0 | field '^outputs: max |sonnx - ort| \([^ ]*\) .*')"
      printf '%-16s %5s %10s %10s %7s %7s %10s\n' "$m" "$b" "$mo" "$mt" "$ratio" "$jit" "$diff"
      printf '%-16s %5s   rounds: sonnx %s; ort %s\n' '' '' "${ours[*]}" "${theirs[*]}"
      continue
    fi
    out="$(bench "$m" "$b" "$runs" --compare)"
    case "$out" in failed:*) printf '%-16s %5s  %s\n' "$m" "$b" "$out"; continue ;; esac
    ours="$(field '^sonnx inference: median \([0-9.]*\) ms.*' <<<"$out")"
    ort="$(field '^onnxruntime inference: median \([0-9.]*\) ms.*' <<<"$out")"
    ratio="$(field '^ratio sonnx\/ort: \(.*\)' <<<"$out")"
    jit="$(field '^JIT compilation during the timed runs: \([0-9]*\) ms' <<<"$out")"
    diff="$(field '^outputs: max |sonnx - ort| \([^ ]*\) .*' <<<"$out")"
    printf '%-16s %5s %10s %10s %7s %7s %10s\n' "$m" "$b" "$ours" "$ort" "$ratio" "$jit" "$diff"
  done
done
