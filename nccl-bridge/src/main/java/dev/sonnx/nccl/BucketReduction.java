package dev.sonnx.nccl;

import java.nio.ByteBuffer;

/**
 * What {@link FusedBuckets#reduce} does with each bucket: an all-reduce in fp32, one in fp16 through
 * {@link Fp16AllReduce}, a {@link SparseExchange}... It works in place on {@code count} fp32
 * elements of {@code fp32}, which is the fused buffer of the bucket or, for a tensor above the
 * threshold, the tensor itself.
 */
@FunctionalInterface
public interface BucketReduction {

    void reduce(int bucket, ByteBuffer fp32, int count);
}
