package dev.sonnx.nccl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Groups many small fp32 gradient tensors into contiguous buckets so that one collective serves many
 * tensors (a collective's fixed cost, a ring round trip, dwarfs the transfer of a small tensor).
 * Planned once for the fixed list of tensor sizes of a model, in the order gradients are produced,
 * and reused every step: the fused buffers are allocated here and nothing is allocated per step.
 *
 * <p>The grouping is SINGA's ({@code DistOpt.backward_and_update}): a tensor larger than the
 * threshold is its own bucket and is reduced in place, without a copy; smaller tensors join the open
 * bucket, which closes as soon as its size exceeds the threshold (so a bucket holds fewer than twice
 * the threshold elements); what is open at the end is the last bucket. Buckets are numbered in the
 * order SINGA issues their collectives.
 *
 * <p>An instance owns its fused buffers: each rank plans its own, and uses it from one thread.
 */
public final class FusedBuckets {

    /** SINGA's default threshold, in elements: 2 Mi floats, 8 MiB. */
    public static final int SINGA_THRESHOLD = 2_097_152;

    private final int[] tensorSizes;
    /** Per bucket: the tensors it holds, in order. */
    private final int[][] bucketTensors;
    /** Per bucket: each tensor's element offset in the fused buffer. */
    private final int[][] tensorOffsets;
    private final int[] bucketElements;
    /** Per bucket: the fused buffer (little-endian fp32), or null for a tensor reduced in place. */
    private final ByteBuffer[] fusedBuffers;

    private FusedBuckets(int[] tensorSizes, List<int[]> buckets, boolean[] fused) {
        this.tensorSizes = tensorSizes;
        int count = buckets.size();
        this.bucketTensors = buckets.toArray(new int[0][]);
        this.tensorOffsets = new int[count][];
        this.bucketElements = new int[count];
        long fusedElements = 0;
        for (int b = 0; b < count; b++) {
            int[] tensors = bucketTensors[b];
            tensorOffsets[b] = new int[tensors.length];
            int elements = 0;
            for (int j = 0; j < tensors.length; j++) {
                tensorOffsets[b][j] = elements;
                elements += tensorSizes[tensors[j]];
            }
            bucketElements[b] = elements;
            if (fused[b]) {
                fusedElements += elements;
            }
        }
        // one allocation holds every fused bucket: each bucket gets its own slice, so buckets can be
        // packed while an earlier one is still being reduced
        if (fusedElements * 4 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("the fused buckets would hold " + fusedElements
                    + " elements, more than one buffer can; lower the threshold");
        }
        ByteBuffer all = ByteBuffer.allocateDirect((int) fusedElements * 4);
        this.fusedBuffers = new ByteBuffer[count];
        int offset = 0;
        for (int b = 0; b < count; b++) {
            if (fused[b]) {
                int bytes = bucketElements[b] * 4;
                fusedBuffers[b] = all.slice(offset, bytes).order(ByteOrder.LITTLE_ENDIAN);
                offset += bytes;
            }
        }
    }

    /**
     * Plans the buckets for tensors of {@code tensorSizes} elements (in the order their gradients
     * are produced) with SINGA's grouping rule and {@code threshold} in elements.
     */
    public static FusedBuckets plan(int[] tensorSizes, int threshold) {
        if (threshold < 1) {
            throw new IllegalArgumentException("threshold must be at least one element, got " + threshold);
        }
        List<int[]> buckets = new ArrayList<>();
        List<Boolean> fused = new ArrayList<>();
        List<Integer> open = new ArrayList<>();
        long openElements = 0;
        for (int t = 0; t < tensorSizes.length; t++) {
            int size = tensorSizes[t];
            if (size < 0) {
                throw new IllegalArgumentException("tensor " + t + " has a negative size " + size);
            }
            if (size > threshold) {
                buckets.add(new int[] {t});
                fused.add(false);
                continue;
            }
            open.add(t);
            openElements += size;
            if (openElements > threshold) {
                buckets.add(open.stream().mapToInt(Integer::intValue).toArray());
                fused.add(true);
                open.clear();
                openElements = 0;
            }
        }
        if (!open.isEmpty()) {
            buckets.add(open.stream().mapToInt(Integer::intValue).toArray());
            fused.add(true);
        }
        boolean[] fusedFlags = new boolean[fused.size()];
        for (int b = 0; b < fusedFlags.length; b++) {
            fusedFlags[b] = fused.get(b);
        }
        return new FusedBuckets(tensorSizes.clone(), buckets, fusedFlags);
    }

    public int tensorCount() {
        return tensorSizes.length;
    }

    public int bucketCount() {
        return bucketTensors.length;
    }

    /** False for a tensor above the threshold, which is reduced in place rather than copied. */
    public boolean isFused(int bucket) {
        return fusedBuffers[bucket] != null;
    }

    public int elements(int bucket) {
        return bucketElements[bucket];
    }

    /** The tensors of {@code bucket}, in the order they sit in its fused buffer. */
    public int[] tensors(int bucket) {
        return bucketTensors[bucket].clone();
    }

    /** The fused buffer of {@code bucket} (little-endian fp32); only for fused buckets. */
    public ByteBuffer fusedBuffer(int bucket) {
        requireFused(bucket);
        return fusedBuffers[bucket];
    }

    /** Copies the bucket's tensors (of all tensors, indexed like the planned sizes) into its fused buffer. */
    public void pack(int bucket, ByteBuffer[] tensors) {
        requireFused(bucket);
        requireTensors(tensors);
        int[] members = bucketTensors[bucket];
        ByteBuffer fusedBuffer = fusedBuffers[bucket];
        for (int j = 0; j < members.length; j++) {
            ByteBuffer tensor = requireTensor(tensors, members[j]);
            fusedBuffer.put(tensorOffsets[bucket][j] * 4, tensor, 0, tensorSizes[members[j]] * 4);
        }
    }

    /** Copies the bucket's fused buffer back into its tensors. */
    public void unpack(int bucket, ByteBuffer[] tensors) {
        requireFused(bucket);
        requireTensors(tensors);
        int[] members = bucketTensors[bucket];
        ByteBuffer fusedBuffer = fusedBuffers[bucket];
        for (int j = 0; j < members.length; j++) {
            ByteBuffer tensor = requireTensor(tensors, members[j]);
            tensor.put(0, fusedBuffer, tensorOffsets[bucket][j] * 4, tensorSizes[members[j]] * 4);
        }
    }

    /** Packs, reduces and unpacks one bucket; a bucket of one large tensor is reduced in place. */
    public void reduce(int bucket, ByteBuffer[] tensors, BucketReduction reduction) {
        if (isFused(bucket)) {
            pack(bucket, tensors);
            reduction.reduce(bucket, fusedBuffers[bucket], bucketElements[bucket]);
            unpack(bucket, tensors);
        } else {
            requireTensors(tensors);
            reduction.reduce(bucket, tensors[bucketTensors[bucket][0]], bucketElements[bucket]);
        }
    }

    /** Reduces every bucket, in order. */
    public void reduceAll(ByteBuffer[] tensors, BucketReduction reduction) {
        for (int b = 0; b < bucketTensors.length; b++) {
            reduce(b, tensors, reduction);
        }
    }

    /** All-reduces every tensor in fp32 with one collective per bucket (SINGA's fused all-reduce). */
    public void allReduce(Communicator communicator, ByteBuffer[] tensors, ReduceOp op) {
        for (int b = 0; b < bucketTensors.length; b++) {
            allReduce(b, communicator, tensors, op);
        }
    }

    /** All-reduces the tensors of one bucket in fp32. */
    public void allReduce(int bucket, Communicator communicator, ByteBuffer[] tensors, ReduceOp op) {
        if (isFused(bucket)) {
            pack(bucket, tensors);
            communicator.allReduce(fusedBuffers[bucket], bucketElements[bucket], ElementType.FLOAT32, op);
            unpack(bucket, tensors);
        } else {
            requireTensors(tensors);
            communicator.allReduce(tensors[bucketTensors[bucket][0]], bucketElements[bucket], ElementType.FLOAT32, op);
        }
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("FusedBuckets[");
        for (int b = 0; b < bucketTensors.length; b++) {
            text.append(b == 0 ? "" : ", ").append(isFused(b) ? "fused" : "direct")
                    .append(Arrays.toString(bucketTensors[b])).append('=').append(bucketElements[b]);
        }
        return text.append(']').toString();
    }

    private void requireFused(int bucket) {
        if (fusedBuffers[bucket] == null) {
            throw new IllegalArgumentException("bucket " + bucket + " holds tensor " + bucketTensors[bucket][0]
                    + " alone (larger than the threshold): it is reduced in place and has no fused buffer");
        }
    }

    /** Tensor {@code t}, checked against its planned size; a view when the caller's limit is not its capacity. */
    private ByteBuffer requireTensor(ByteBuffer[] tensors, int t) {
        if (4L * tensorSizes[t] > tensors[t].capacity()) {
            throw new IllegalArgumentException("tensor " + t + " holds " + tensors[t].capacity()
                    + " bytes, planned for " + tensorSizes[t] + " floats");
        }
        return Buffers.littleEndian(tensors[t]);
    }

    private void requireTensors(ByteBuffer[] tensors) {
        if (tensors.length != tensorSizes.length) {
            throw new IllegalArgumentException("planned for " + tensorSizes.length + " tensors, got " + tensors.length);
        }
    }
}
