package dev.sonnx.nccl.bench;

import dev.sonnx.nccl.Communicator;
import dev.sonnx.nccl.Fp16AllReduce;
import dev.sonnx.nccl.FusedBuckets;
import dev.sonnx.nccl.PartialUpdateSchedule;
import dev.sonnx.nccl.ReduceOp;
import dev.sonnx.nccl.SparseExchange;
import dev.sonnx.nccl.TcpOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Bytes each rank sends per training step in each of SINGA's distributed modes, measured on a TCP
 * ring (the communicator's byte counter, so padding and count exchanges are included), for gradients
 * of given sizes fused with SINGA's default threshold.
 */
final class ModeTraffic {

    /** One mode's traffic: mean, least and most bytes a rank sent per step. */
    record Row(String mode, double meanBytes, long fewestBytes, long mostBytes, String note) {
    }

    /** What one rank does in one step of a mode. */
    private interface StepRunner {
        void step(int step);
    }

    private static final int POOL = 1 << 20;

    private final int[] sizes;
    private final int worldSize;
    private final int sparseSteps;
    private final float gradientStd;
    private final float spars;
    private final TcpOptions options;

    ModeTraffic(int[] sizes, int worldSize, int sparseSteps, float gradientStd, float spars, TcpOptions options) {
        this.sizes = sizes;
        this.worldSize = worldSize;
        this.sparseSteps = sparseSteps;
        this.gradientStd = gradientStd;
        this.spars = spars;
        this.options = options;
    }

    List<Row> measure() {
        int partitions = PartialUpdateSchedule.plan(sizes, FusedBuckets.SINGA_THRESHOLD).partitionCount();
        List<Row> rows = new ArrayList<>();
        rows.add(run("fp32", 2, "fused all-reduce", (comm, grads, buckets) -> step ->
                buckets.allReduce(comm, grads, ReduceOp.SUM)));
        rows.add(run("fp16", 2, "fused, fp16 on the wire", (comm, grads, buckets) -> {
            Fp16AllReduce half = new Fp16AllReduce(largestBucket(buckets));
            return step -> buckets.reduceAll(grads, (b, fp32, n) ->
                    half.allReduce(comm, fp32, n, ReduceOp.SUM, Fp16AllReduce.NO_CLIPPING));
        }));
        rows.add(run("partialUpdate", partitions, "one of " + partitions + " partitions per step, a full cycle",
                (comm, params, buckets) -> {
                    PartialUpdateSchedule schedule = PartialUpdateSchedule.plan(sizes, FusedBuckets.SINGA_THRESHOLD);
                    return step -> schedule.averageStep(step, comm, params);
                }));
        rows.add(run("sparseTopK", sparseSteps, "spars " + spars + ", corr, " + sparseSteps + " steps",
                sparse(true, spars)));
        rows.add(run("sparseThreshold", sparseSteps, "|g| >= " + spars + ", corr, gradients N(0, " + gradientStd
                + "^2), " + sparseSteps + " steps", sparse(false, spars)));
        return rows;
    }

    private interface ModeSetup {
        StepRunner prepare(Communicator comm, ByteBuffer[] gradients, FusedBuckets buckets);
    }

    private ModeSetup sparse(boolean topK, float sparsity) {
        return (comm, grads, buckets) -> {
            SparseExchange exchange = new SparseExchange();
            ByteBuffer[] residuals = new ByteBuffer[buckets.bucketCount()];
            for (int b = 0; b < residuals.length; b++) {
                residuals[b] = floats(buckets.elements(b));
            }
            float[] pool = gaussianPool(comm.rank());
            return step -> {
                fill(grads, pool, step); // fresh gradients every step; the residual carries over
                buckets.reduceAll(grads, (b, fp32, n) ->
                        exchange.exchange(comm, fp32, n, topK, sparsity, true, residuals[b], fp32));
            };
        };
    }

    private Row run(String mode, int steps, String note, ModeSetup setup) {
        List<long[]> perRank = Ranks.run(worldSize, options, comm -> {
            FusedBuckets buckets = FusedBuckets.plan(sizes, FusedBuckets.SINGA_THRESHOLD);
            ByteBuffer[] gradients = new ByteBuffer[sizes.length];
            for (int t = 0; t < sizes.length; t++) {
                gradients[t] = floats(sizes[t]);
            }
            fill(gradients, gaussianPool(comm.rank()), 0);
            StepRunner runner = setup.prepare(comm, gradients, buckets);
            long[] bytes = new long[steps];
            for (int step = 0; step < steps; step++) {
                long before = comm.bytesSent();
                runner.step(step);
                bytes[step] = comm.bytesSent() - before;
            }
            return bytes;
        });
        long fewest = Long.MAX_VALUE;
        long most = 0;
        double total = 0;
        for (long[] rank : perRank) {
            for (long bytes : rank) {
                fewest = Math.min(fewest, bytes);
                most = Math.max(most, bytes);
                total += bytes;
            }
        }
        return new Row(mode, total / (worldSize * (double) steps), fewest, most, note);
    }

    private float[] gaussianPool(int rank) {
        SplittableRandom random = new SplittableRandom(1_000 + rank);
        float[] pool = new float[POOL];
        for (int i = 0; i < POOL; i++) {
            // Box-Muller: SplittableRandom has no nextGaussian in Java 17
            double u = 1 - random.nextDouble();
            double v = random.nextDouble();
            pool[i] = (float) (gradientStd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
        }
        return pool;
    }

    /** Gradients drawn from the pool at a step-dependent stride, so that steps differ. */
    private static void fill(ByteBuffer[] gradients, float[] pool, int step) {
        int at = step * 7_919;
        for (ByteBuffer gradient : gradients) {
            for (int i = 0; i < gradient.capacity() / 4; i++) {
                gradient.putFloat(4 * i, pool[at++ & (POOL - 1)]);
            }
        }
    }

    private static int largestBucket(FusedBuckets buckets) {
        int largest = 0;
        for (int b = 0; b < buckets.bucketCount(); b++) {
            largest = Math.max(largest, buckets.elements(b));
        }
        return largest;
    }

    private static ByteBuffer floats(int count) {
        return ByteBuffer.allocateDirect(4 * count).order(ByteOrder.LITTLE_ENDIAN);
    }
}
