package dev.sonnx.runtime.ops.reduce;

import dev.sonnx.runtime.ops.reduce.ReduceKind.Fold;
import dev.sonnx.runtime.tensor.Device;
import java.nio.LongBuffer;
import java.util.Arrays;

/**
 * The integer reduction kernel, on int64 values (narrower integers and bool are widened first).
 * Sums and products wrap as C integer arithmetic does (a mean divides the wrapped sum, as
 * onnxruntime does; numpy would go through float64 and lose the low bits instead). For uint64, MAX
 * and MIN get their input with the sign bit flipped (so signed order is unsigned order) and flip
 * their result back.
 */
final class LongReducer implements ReduceEngine.Kernel {
    private final LongBuffer x;
    private final LongBuffer y;
    private final ReduceKind kind;
    private final int reduced;
    private final int inner;
    /** The fold of no elements: type minimum for MAX, maximum for MIN. */
    private final long identity;
    private final boolean unsigned;
    private final long flip;

    /**
     * @param identity the empty fold's value in the (possibly sign-flipped) domain the kernel reads
     * @param unsigned whether the values are uint64 bit patterns
     * @param flipped whether MAX/MIN inputs had their sign bit flipped (uint64)
     */
    LongReducer(LongBuffer x, LongBuffer y, ReducePlan plan, ReduceKind kind, long identity, boolean unsigned,
                boolean flipped) {
        this.x = x;
        this.y = y;
        this.kind = kind;
        this.reduced = plan.reduced();
        this.inner = plan.inner();
        this.identity = identity;
        this.unsigned = unsigned;
        this.flip = flipped ? Long.MIN_VALUE : 0;
    }

    @Override
    public void rows(int from, int to, Device device) {
        for (int o = from; o < to; o++) {
            int off = o * reduced;
            long acc = reduced <= ReduceEngine.CHUNK ? fold(off, off + reduced)
                    : ReduceEngine.foldChunks(device, reduced, kind.fold, identity, (s, e) -> fold(off + s, off + e));
            y.put(o, kind.finish(acc ^ flip, reduced, unsigned));
        }
    }

    /** The fold of elements [off, end). */
    private long fold(int off, int end) {
        long a = identity;
        switch (kind.fold) {
            case SUM -> {
                for (int i = off; i < end; i++) {
                    a += x.get(i);
                }
            }
            case ABS_SUM -> {
                for (int i = off; i < end; i++) {
                    a += unsigned ? x.get(i) : Math.abs(x.get(i));
                }
            }
            case SQUARE_SUM -> {
                for (int i = off; i < end; i++) {
                    long v = x.get(i);
                    a += v * v;
                }
            }
            case PROD -> {
                for (int i = off; i < end; i++) {
                    a *= x.get(i);
                }
            }
            case MAX -> {
                for (int i = off; i < end; i++) {
                    a = Math.max(a, x.get(i));
                }
            }
            case MIN -> {
                for (int i = off; i < end; i++) {
                    a = Math.min(a, x.get(i));
                }
            }
            case EXP_SUM -> throw new IllegalStateException("integer LogSumExp runs in double");
        }
        return a;
    }

    @Override
    public void columns(int o, int i0, int n, ReduceEngine.Scratch scratch) {
        long[] acc = scratch.longs;
        Arrays.fill(acc, 0, n, identity);
        int off = o * reduced * inner + i0;
        for (int r = 0; r < reduced; r++) {
            int b = off + r * inner;
            switch (kind.fold) {
                case SUM -> {
                    for (int j = 0; j < n; j++) {
                        acc[j] += x.get(b + j);
                    }
                }
                case ABS_SUM -> {
                    for (int j = 0; j < n; j++) {
                        acc[j] += unsigned ? x.get(b + j) : Math.abs(x.get(b + j));
                    }
                }
                case SQUARE_SUM -> {
                    for (int j = 0; j < n; j++) {
                        long v = x.get(b + j);
                        acc[j] += v * v;
                    }
                }
                case PROD -> {
                    for (int j = 0; j < n; j++) {
                        acc[j] *= x.get(b + j);
                    }
                }
                case MAX -> {
                    for (int j = 0; j < n; j++) {
                        acc[j] = Math.max(acc[j], x.get(b + j));
                    }
                }
                case MIN -> {
                    for (int j = 0; j < n; j++) {
                        acc[j] = Math.min(acc[j], x.get(b + j));
                    }
                }
                case EXP_SUM -> throw new IllegalStateException("integer LogSumExp runs in double");
            }
        }
        int out = o * inner + i0;
        for (int j = 0; j < n; j++) {
            y.put(out + j, kind.finish(acc[j] ^ flip, reduced, unsigned));
        }
    }
}
