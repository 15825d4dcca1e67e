#!/usr/bin/env bash
# Builds nccl-bridge (main and test classes, offline from ~/.m2) and runs the TCP ring benchmark,
# dev.sonnx.nccl.bench.AllReduceBench; arguments pass through, e.g.
#   bench/nccl/allreduce-bench.sh --sizes-mb 4,64,256 --ranks 2,4 --reps 5
#   bench/nccl/allreduce-bench.sh --skip-bandwidth --grad-sizes 1000,2000000,512
# Ranks are threads of one JVM over loopback; 256 MB among 4 ranks needs about 2 GB of direct memory.
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -o test-compile -pl nccl-bridge
exec java -Xmx1g -XX:MaxDirectMemorySize=3g \
    -cp nccl-bridge/target/classes:nccl-bridge/target/test-classes \
    dev.sonnx.nccl.bench.AllReduceBench "$@"
