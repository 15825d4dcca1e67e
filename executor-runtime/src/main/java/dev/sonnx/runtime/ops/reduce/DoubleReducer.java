package dev.sonnx.runtime.ops.reduce;

import dev.sonnx.runtime.ops.reduce.ReduceKind.Fold;
import dev.sonnx.runtime.tensor.Device;
import java.nio.DoubleBuffer;
import java.util.Arrays;

/** The float64 reduction kernel; mirrors {@link FloatReducer}. */
final class DoubleReducer implements ReduceEngine.Kernel {
    private final DoubleBuffer x;
    private final DoubleBuffer y;
    private final ReduceKind kind;
    private final int reduced;
    private final int inner;

    DoubleReducer(DoubleBuffer x, DoubleBuffer y, ReducePlan plan, ReduceKind kind) {
        this.x = x;
        this.y = y;
        this.kind = kind;
        this.reduced = plan.reduced();
        this.inner = plan.inner();
    }

    @Override
    public void rows(int from, int to, Device device) {
        for (int o = from; o < to; o++) {
            int off = o * reduced;
            double result;
            if (kind.fold == Fold.EXP_SUM) {
                double shift = ReduceEngine.shift(foldRow(Fold.MAX, off, 0, device));
                result = kind.finish(foldRow(Fold.EXP_SUM, off, shift, device), reduced, shift);
            } else {
                result = kind.finish(foldRow(kind.fold, off, 0, device), reduced, 0);
            }
            y.put(o, result);
        }
    }

    /** The fold of the row at {@code off}; long rows by chunks (no lambda for the usual short ones). */
    private double foldRow(Fold f, int off, double shift, Device device) {
        return reduced <= ReduceEngine.CHUNK ? fold(f, off, off + reduced, shift)
                : ReduceEngine.foldChunks(device, reduced, f, (s, e) -> fold(f, off + s, off + e, shift));
    }

    /** The fold of elements [off, end). */
    private double fold(Fold f, int off, int end, double shift) {
        double a = f.identity();
        switch (f) {
            case SUM -> {
                for (int i = off; i < end; i++) {
                    a += x.get(i);
                }
            }
            case ABS_SUM -> {
                for (int i = off; i < end; i++) {
                    a += Math.abs(x.get(i));
                }
            }
            case SQUARE_SUM -> {
                for (int i = off; i < end; i++) {
                    double v = x.get(i);
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
            case EXP_SUM -> {
                for (int i = off; i < end; i++) {
                    a += Math.exp(x.get(i) - shift);
                }
            }
        }
        return a;
    }

    @Override
    public void columns(int o, int i0, int n, ReduceEngine.Scratch scratch) {
        double[] acc = scratch.acc;
        double[] shift = scratch.shift;
        int off = o * reduced * inner + i0;
        if (kind.fold == Fold.EXP_SUM) {
            accumulate(Fold.MAX, off, n, shift, null);
            for (int j = 0; j < n; j++) {
                shift[j] = ReduceEngine.shift(shift[j]);
            }
        }
        accumulate(kind.fold, off, n, acc, shift);
        int out = o * inner + i0;
        for (int j = 0; j < n; j++) {
            y.put(out + j, kind.finish(acc[j], reduced, shift[j]));
        }
    }

    /** acc[j] = fold of x[off + r * inner + j] over r, for j < n. */
    private void accumulate(Fold f, int off, int n, double[] acc, double[] shift) {
        Arrays.fill(acc, 0, n, f.identity());
        for (int r = 0; r < reduced; r++) {
            int b = off + r * inner;
            switch (f) {
                case SUM -> {
                    for (int j = 0; j < n; j++) {
                        acc[j] += x.get(b + j);
                    }
                }
                case ABS_SUM -> {
                    for (int j = 0; j < n; j++) {
                        acc[j] += Math.abs(x.get(b + j));
                    }
                }
                case SQUARE_SUM -> {
                    for (int j = 0; j < n; j++) {
                        double v = x.get(b + j);
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
                case EXP_SUM -> {
                    for (int j = 0; j < n; j++) {
                        acc[j] += Math.exp(x.get(b + j) - shift[j]);
                    }
                }
            }
        }
    }
}
