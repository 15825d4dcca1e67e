package dev.sonnx.nccl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * All-reduce of fp32 gradients carried as fp16, halving the bytes on the wire (SINGA's
 * {@code synchHalf}, used by {@code DistOpt.backward_and_update_half}): encode fp32 to fp16 (rounded
 * to nearest even, optionally clipped first), all-reduce the fp16 values, decode the result back into
 * the fp32 buffer. Clipping bounds what a single rank can contribute, which matters because fp16
 * overflows to infinity beyond ±65504.
 *
 * <p>The fp16 staging buffer is planned once for the largest bucket; nothing is allocated per call.
 */
public final class Fp16AllReduce {

    /** A clip bound that leaves every value as it is. */
    public static final float NO_CLIPPING = Float.POSITIVE_INFINITY;

    private final ByteBuffer halves;

    /** Plans the staging for all-reduces of at most {@code maxElements} elements. */
    public Fp16AllReduce(int maxElements) {
        if (maxElements < 0 || maxElements > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException("cannot stage " + maxElements + " fp16 elements in one buffer");
        }
        this.halves = ByteBuffer.allocateDirect(maxElements * 2).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Replaces {@code count} fp32 elements of {@code fp32} by their all-reduce carried in fp16. Each
     * value is first clipped to [-clipBound, clipBound] ({@link #NO_CLIPPING} for none).
     */
    public void allReduce(Communicator communicator, ByteBuffer fp32, int count, ReduceOp op, float clipBound) {
        if (count > halves.capacity() / 2) {
            throw new IllegalArgumentException("planned for " + halves.capacity() / 2 + " elements, got " + count);
        }
        encode(fp32, halves, count, clipBound);
        communicator.allReduce(halves, count, ElementType.FLOAT16, op);
        decode(halves, fp32, count);
    }

    /** fp32 to fp16, element by element, clipping to ±clipBound first. Buffers are read little-endian by index. */
    public static void encode(ByteBuffer fp32, ByteBuffer fp16, int count, float clipBound) {
        if (!(clipBound > 0)) {
            throw new IllegalArgumentException("the clip bound must be positive, got " + clipBound);
        }
        Buffers.requireElements("the fp32 buffer", fp32, count, 4);
        Buffers.requireElements("the fp16 buffer", fp16, count, 2);
        ByteBuffer source = Buffers.littleEndian(fp32);
        ByteBuffer target = Buffers.littleEndian(fp16);
        for (int i = 0; i < count; i++) {
            // min/max keep NaN, so a diverged gradient stays visible after clipping
            float clipped = Math.max(-clipBound, Math.min(clipBound, source.getFloat(i << 2)));
            target.putShort(i << 1, Float16.fromFloat(clipped));
        }
    }

    /** fp16 back to fp32 (exact). */
    public static void decode(ByteBuffer fp16, ByteBuffer fp32, int count) {
        Buffers.requireElements("the fp16 buffer", fp16, count, 2);
        Buffers.requireElements("the fp32 buffer", fp32, count, 4);
        ByteBuffer source = Buffers.littleEndian(fp16);
        ByteBuffer target = Buffers.littleEndian(fp32);
        for (int i = 0; i < count; i++) {
            target.putFloat(i << 2, Float16.toFloat(source.getShort(i << 1)));
        }
    }
}
