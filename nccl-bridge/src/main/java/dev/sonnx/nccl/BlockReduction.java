package dev.sonnx.nccl;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * Combines a block received from the left neighbour into the local block, element by element: one
 * hop of the ring's reduce-scatter. Both buffers are read little-endian by absolute index, so the
 * callers' positions and limits stay untouched.
 *
 * <p>The operation and element type are chosen once per collective ({@link #configure}); the loops
 * below are one per (type, operation) so that the JIT sees a tight loop with no switch inside.
 * AVERAGE sums on every hop but the last, where it divides, so each value is divided once and only by
 * the rank that owns it after the reduce-scatter.
 *
 * <p>FLOAT32, the gradients' type, is combined in {@code float[]} scratch: bulk copies in and out and
 * a plain array loop, which the JIT vectorizes; that is about twice as fast as element-wise buffer
 * access, whose index checks keep it scalar. The scratch holds one chunk and is allocated once.
 */
final class BlockReduction {

    private ElementType type;
    private ReduceOp op;
    private int worldSize;

    private final float[] localScratch;
    private final float[] receivedScratch;
    private final BufferViews views = new BufferViews();

    /** {@code maxBytes}: the most bytes one {@link #accumulate} call combines (the ring's chunk). */
    BlockReduction(int maxBytes) {
        this.localScratch = new float[maxBytes / 4];
        this.receivedScratch = new float[maxBytes / 4];
    }

    void configure(ElementType type, ReduceOp op, int worldSize) {
        this.type = type;
        this.op = op;
        this.worldSize = worldSize;
    }

    /**
     * local[localOffset ..] = combine(local, received[receivedOffset ..]) for {@code bytes} bytes;
     * {@code lastHop} turns sums into averages for {@link ReduceOp#AVERAGE}.
     */
    void accumulate(ByteBuffer local, int localOffset, ByteBuffer received, int receivedOffset, int bytes,
                    boolean lastHop) {
        int count = bytes / type.bytes();
        boolean divide = lastHop && op == ReduceOp.AVERAGE;
        boolean max = op == ReduceOp.MAX;
        switch (type) {
            case FLOAT32 -> float32(local, localOffset, received, receivedOffset, count, divide);
            case FLOAT16 -> {
                if (max) {
                    maxFloat16(local, localOffset, received, receivedOffset, count);
                } else {
                    sumFloat16(local, localOffset, received, receivedOffset, count, divide ? worldSize : 1);
                }
            }
            case INT32 -> {
                if (max) {
                    maxInt32(local, localOffset, received, receivedOffset, count);
                } else if (divide) {
                    sumInt32ThenDivide(local, localOffset, received, receivedOffset, count, worldSize);
                } else {
                    sumInt32(local, localOffset, received, receivedOffset, count);
                }
            }
            case INT64 -> {
                if (max) {
                    maxInt64(local, localOffset, received, receivedOffset, count);
                } else if (divide) {
                    sumInt64ThenDivide(local, localOffset, received, receivedOffset, count, worldSize);
                } else {
                    sumInt64(local, localOffset, received, receivedOffset, count);
                }
            }
            case UINT8 -> {
                if (max) {
                    maxUint8(local, localOffset, received, receivedOffset, count);
                } else {
                    sumUint8(local, localOffset, received, receivedOffset, count, divide ? worldSize : 1);
                }
            }
        }
    }

    private void float32(ByteBuffer local, int localOffset, ByteBuffer received, int receivedOffset, int count,
                         boolean divide) {
        FloatBuffer mine = views.floats(local);
        FloatBuffer theirs = views.floats(received);
        float[] a = localScratch;
        float[] b = receivedScratch;
        float divisor = worldSize;
        for (int done = 0; done < count; ) {
            int n = Math.min(count - done, a.length);
            int localIndex = (localOffset >> 2) + done;
            mine.get(localIndex, a, 0, n);
            theirs.get((receivedOffset >> 2) + done, b, 0, n);
            if (op == ReduceOp.MAX) {
                for (int i = 0; i < n; i++) {
                    a[i] = Math.max(a[i], b[i]);
                }
            } else if (divide) {
                // divides rather than multiplies by 1/n, so the average is the correctly rounded sum / n
                for (int i = 0; i < n; i++) {
                    a[i] = (a[i] + b[i]) / divisor;
                }
            } else {
                for (int i = 0; i < n; i++) {
                    a[i] += b[i];
                }
            }
            mine.put(localIndex, a, 0, n);
            done += n;
        }
    }

    /** Sums in float32 and rounds back to fp16 once per hop, as NCCL's ring rounds each hop's fp16 sum. */
    private static void sumFloat16(ByteBuffer a, int ao, ByteBuffer b, int bo, int n, int divisor) {
        float d = divisor;
        for (int i = 0; i < n; i++) {
            int k = i << 1;
            float sum = Float16.toFloat(a.getShort(ao + k)) + Float16.toFloat(b.getShort(bo + k));
            a.putShort(ao + k, Float16.fromFloat(divisor == 1 ? sum : sum / d));
        }
    }

    private static void maxFloat16(ByteBuffer a, int ao, ByteBuffer b, int bo, int n) {
        for (int i = 0; i < n; i++) {
            int k = i << 1;
            float max = Math.max(Float16.toFloat(a.getShort(ao + k)), Float16.toFloat(b.getShort(bo + k)));
            a.putShort(ao + k, Float16.fromFloat(max));
        }
    }

    /** Integer sums wrap around like NCCL's. */
    private static void sumInt32(ByteBuffer a, int ao, ByteBuffer b, int bo, int n) {
        for (int i = 0; i < n; i++) {
            int k = i << 2;
            a.putInt(ao + k, a.getInt(ao + k) + b.getInt(bo + k));
        }
    }

    /** The integer average truncates toward zero, as Java's division does. */
    private static void sumInt32ThenDivide(ByteBuffer a, int ao, ByteBuffer b, int bo, int n, int divisor) {
        for (int i = 0; i < n; i++) {
            int k = i << 2;
            a.putInt(ao + k, (a.getInt(ao + k) + b.getInt(bo + k)) / divisor);
        }
    }

    private static void maxInt32(ByteBuffer a, int ao, ByteBuffer b, int bo, int n) {
        for (int i = 0; i < n; i++) {
            int k = i << 2;
            a.putInt(ao + k, Math.max(a.getInt(ao + k), b.getInt(bo + k)));
        }
    }

    private static void sumInt64(ByteBuffer a, int ao, ByteBuffer b, int bo, int n) {
        for (int i = 0; i < n; i++) {
            int k = i << 3;
            a.putLong(ao + k, a.getLong(ao + k) + b.getLong(bo + k));
        }
    }

    private static void sumInt64ThenDivide(ByteBuffer a, int ao, ByteBuffer b, int bo, int n, int divisor) {
        for (int i = 0; i < n; i++) {
            int k = i << 3;
            a.putLong(ao + k, (a.getLong(ao + k) + b.getLong(bo + k)) / divisor);
        }
    }

    private static void maxInt64(ByteBuffer a, int ao, ByteBuffer b, int bo, int n) {
        for (int i = 0; i < n; i++) {
            int k = i << 3;
            a.putLong(ao + k, Math.max(a.getLong(ao + k), b.getLong(bo + k)));
        }
    }

    private static void sumUint8(ByteBuffer a, int ao, ByteBuffer b, int bo, int n, int divisor) {
        for (int i = 0; i < n; i++) {
            int sum = ((a.get(ao + i) & 0xff) + (b.get(bo + i) & 0xff)) & 0xff;
            a.put(ao + i, (byte) (sum / divisor));
        }
    }

    private static void maxUint8(ByteBuffer a, int ao, ByteBuffer b, int bo, int n) {
        for (int i = 0; i < n; i++) {
            a.put(ao + i, (byte) Math.max(a.get(ao + i) & 0xff, b.get(bo + i) & 0xff));
        }
    }
}
