package dev.sonnx.nccl;

import java.nio.ByteBuffer;

/**
 * Which parameters are averaged across ranks at each step of SINGA's partial update
 * ({@code DistOpt.backward_and_partial_update}): every rank updates all its parameters locally from
 * its own gradients, then all-reduces one partition of the parameters and divides it by the world
 * size; the partitions take turns, round robin, so each parameter is averaged once every
 * {@link #partitionCount()} steps and a step moves about 1/partitionCount of the model.
 *
 * <p>The partitions are SINGA's: the buckets of {@link FusedBuckets} for the parameter sizes in the
 * order the gradients are produced (a parameter above the threshold is a partition alone; smaller
 * ones are grouped until a group exceeds the threshold). Step 0 averages partition 0, as SINGA's
 * first call averages its first partition. The partitions do not depend on the world size; the world
 * size only divides the sum, through {@link ReduceOp#AVERAGE}. Each rank plans its own schedule
 * (it owns the fused buffers of its partitions).
 */
public final class PartialUpdateSchedule {

    private final FusedBuckets partitions;

    private PartialUpdateSchedule(FusedBuckets partitions) {
        this.partitions = partitions;
    }

    /** Plans the partitions of parameters of {@code parameterSizes} elements, with SINGA's grouping threshold. */
    public static PartialUpdateSchedule plan(int[] parameterSizes, int threshold) {
        return new PartialUpdateSchedule(FusedBuckets.plan(parameterSizes, threshold));
    }

    public int partitionCount() {
        return partitions.bucketCount();
    }

    /** The partition averaged at {@code step} (counted from 0). */
    public int partitionAt(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("steps count from 0, got " + step);
        }
        return (int) (step % partitions.bucketCount());
    }

    /** The parameters of {@code partition}, by index in the planned sizes. */
    public int[] parameters(int partition) {
        return partitions.tensors(partition);
    }

    /** Elements of {@code partition}: what one step's all-reduce carries. */
    public int elements(int partition) {
        return partitions.elements(partition);
    }

    /**
     * Averages, across ranks, the parameters of the partition due at {@code step} (after the local
     * update); the other parameters stay as each rank updated them. One collective per step.
     */
    public void averageStep(long step, Communicator communicator, ByteBuffer[] parameters) {
        partitions.allReduce(partitionAt(step), communicator, parameters, ReduceOp.AVERAGE);
    }
}
