#!/usr/bin/env bash
# Spark GPU discovery script (spark.executor.resource.gpu.discoveryScript): prints the GPUs this
# executor may use as {"name":"gpu","addresses":["0","1",...]}. Honours CUDA_VISIBLE_DEVICES when a
# resource manager has narrowed the visible devices; prints an empty list on a machine without GPUs.
set -euo pipefail
addresses=()
if [ -n "${CUDA_VISIBLE_DEVICES:-}" ]; then
  IFS=',' read -r -a visible <<< "$CUDA_VISIBLE_DEVICES"
  # CUDA renumbers visible devices from 0 inside the process.
  for ((i = 0; i < ${#visible[@]}; i++)); do addresses+=("$i"); done
elif command -v nvidia-smi > /dev/null 2>&1; then
  while IFS= read -r index; do
    addresses+=("$(echo "$index" | tr -d ' ')")
  done < <(nvidia-smi --query-gpu=index --format=csv,noheader 2> /dev/null || true)
fi
printf '{"name":"gpu","addresses":['
for ((i = 0; i < ${#addresses[@]}; i++)); do
  [ "$i" -gt 0 ] && printf ','
  printf '"%s"' "${addresses[$i]}"
done
printf ']}\n'
