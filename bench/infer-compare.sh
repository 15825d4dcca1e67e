#!/usr/bin/env bash
# Inference latency of sonnx against ONNX Runtime on the zoo models, batch 1 and 8, in one process per
# model and batch (the two engines alternate run by run), after a warm-up that lasts until the JIT has
# been quiet for 2 s. Prints one line per case: the medians, their ratio, the JIT's compile time
# during the timed runs (far above zero: the warm-up was too short) and the largest difference
# between the two engines' outputs (a ratio means something only where they agree).
#   bench/infer-compare.sh [--threads T] [--runs N] [--warmup W] [models...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
zoo="${SONNX_ZOO:-$here/../shared/onnx-zoo}"
threads=2 runs=30 warmup=5 batches="1 8"
models=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --batches) batches="$2"; shift 2 ;;
    *) models+=("$1"); shift ;;
  esac
done
[ ${#models[@]} -gt 0 ] || models=(resnet18 mobilenetv2 tinyyolov2 gpt2-mini bert-squad-mini)
printf '%-16s %5s %10s %10s %7s %7s %10s\n' model batch sonnx_ms ort_ms ratio jit_ms max_diff
for m in "${models[@]}"; do
  for b in $batches; do
    out="$("$here/bin/sonnx" bench --model "$zoo/$m/model.onnx" --batch "$b" --threads "$threads" \
      --runs "$runs" --warmup "$warmup" --compare 2>&1)" || { printf '%-16s %5s  failed: %s\n' "$m" "$b" \
      "$(echo "$out" | grep -m1 -E 'Exception|Error' | sed 's/^[^:]*: //' | cut -c1-150)"; continue; }
    ours="$(echo "$out" | sed -n 's/^sonnx inference: median \([0-9.]*\) ms.*/\1/p')"
    ort="$(echo "$out" | sed -n 's/^onnxruntime inference: median \([0-9.]*\) ms.*/\1/p')"
    ratio="$(echo "$out" | sed -n 's/^ratio sonnx\/ort: //p')"
    jit="$(echo "$out" | sed -n 's/^JIT compilation during the timed runs: \([0-9]*\) ms/\1/p')"
    diff="$(echo "$out" | sed -n 's/^outputs: max |sonnx - ort| \([^ ]*\) .*/\1/p')"
    printf '%-16s %5s %10s %10s %7s %7s %10s\n' "$m" "$b" "$ours" "$ort" "$ratio" "$jit" "$diff"
  done
done
