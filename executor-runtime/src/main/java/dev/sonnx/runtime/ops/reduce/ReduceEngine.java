package dev.sonnx.runtime.ops.reduce;

import dev.sonnx.runtime.ops.reduce.ReduceKind.Fold;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;

/**
 * The one reduction engine behind the ten Reduce operators (and the gradients that need a
 * reduction): regroups the input when the plan asks, then runs a kernel for the input's numeric
 * domain (float32, float64, int64) over {@code outer x reduced x inner}. With inner = 1 each output
 * is a fold of one contiguous row; otherwise outputs are computed in blocks of adjacent columns,
 * each input row of a block adding into an accumulator array, so memory is read in order.
 */
public final class ReduceEngine {
    /** Columns per block: accumulators stay in L1 and a block is enough work to schedule. */
    static final int BLOCK = 512;
    /**
     * Rows longer than this fold as chunks of this many elements, combined in order: the chunks of
     * a long row can run in parallel, and results do not depend on the thread count.
     */
    static final int CHUNK = 1 << 14;

    private ReduceEngine() {
    }

    /** One domain's kernel: whole rows when inner = 1, column blocks otherwise. */
    interface Kernel {
        /** Outputs {@code [from, to)} when inner = 1 (long rows split their chunks on {@code device}). */
        void rows(int from, int to, Device device);

        /** Outputs {@code o * inner + [i0, i0 + n)}, n <= BLOCK. */
        void columns(int o, int i0, int n, Scratch scratch);
    }

    /** Per-thread accumulators for column blocks. */
    static final class Scratch {
        final double[] acc = new double[BLOCK];
        final double[] shift = new double[BLOCK];
        final long[] longs = new long[BLOCK];
    }

    /** A fold of elements [from, to) of one row, relative to the row's start. */
    @FunctionalInterface
    interface RangeFold {
        double fold(int from, int to);
    }

    /** {@link RangeFold} for integers. */
    @FunctionalInterface
    interface LongRangeFold {
        long fold(int from, int to);
    }

    /** Folds a row of n elements chunk by chunk (see {@link #CHUNK}); partials combine by {@code f}. */
    static double foldChunks(Device device, int n, Fold f, RangeFold body) {
        if (n <= CHUNK) {
            return body.fold(0, n);
        }
        int chunks = (n - 1) / CHUNK + 1;
        double[] partial = new double[chunks];
        device.parallelFor(chunks, CHUNK, (s, e) -> {
            for (int c = s; c < e; c++) {
                partial[c] = body.fold(c * CHUNK, Math.min(n, (c + 1) * CHUNK));
            }
        });
        double acc = partial[0];
        for (int c = 1; c < chunks; c++) {
            double p = partial[c];
            acc = switch (f) {
                case PROD -> acc * p;
                case MAX -> Math.max(acc, p);
                case MIN -> Math.min(acc, p);
                default -> acc + p;
            };
        }
        return acc;
    }

    /** {@link #foldChunks} for integers; {@code identity} is the empty fold. */
    static long foldChunks(Device device, int n, Fold f, long identity, LongRangeFold body) {
        if (n <= CHUNK) {
            return body.fold(0, n);
        }
        int chunks = (n - 1) / CHUNK + 1;
        long[] partial = new long[chunks];
        device.parallelFor(chunks, CHUNK, (s, e) -> {
            for (int c = s; c < e; c++) {
                partial[c] = body.fold(c * CHUNK, Math.min(n, (c + 1) * CHUNK));
            }
        });
        long acc = identity;
        for (long p : partial) {
            acc = switch (f) {
                case PROD -> acc * p;
                case MAX -> Math.max(acc, p);
                case MIN -> Math.min(acc, p);
                default -> acc + p;
            };
        }
        return acc;
    }

    /** The LogSumExp shift for a maximum: itself, or 0 when infinite (so no inf - inf appears). */
    static double shift(double max) {
        return Double.isInfinite(max) ? 0 : max;
    }

    /** Reduces {@code x} as {@code plan} says; the result has x's type and the plan's output shape. */
    public static Tensor reduce(Tensor x, ReducePlan plan, ReduceKind kind, Device device) {
        Tensor src = plan.needsCopy() ? regroup(x, plan, device) : x;
        DataType t = x.dtype();
        int[] outShape = plan.outShape();
        // the kernels assign every output element (outer x inner of them)
        switch (t) {
            case FLOAT -> {
                Tensor out = Tensor.uninitialized(DataType.FLOAT, outShape);
                run(plan, device, new FloatReducer(src.floats(), out.floats(), plan, kind));
                return out;
            }
            case DOUBLE -> {
                Tensor out = Tensor.uninitialized(DataType.DOUBLE, outShape);
                run(plan, device, new DoubleReducer(src.doubles(), out.doubles(), plan, kind));
                return out;
            }
            case FLOAT16, BFLOAT16 -> {
                Tensor wide = convert(src, DataType.FLOAT);
                Tensor out = Tensor.uninitialized(DataType.FLOAT, outShape);
                run(plan, device, new FloatReducer(wide.floats(), out.floats(), plan, kind));
                return convert(out, t);
            }
            default -> {
                if (!t.isInteger() && t != DataType.BOOL) {
                    throw new IllegalArgumentException(kind.opType() + " does not reduce " + t.onnxName());
                }
                return reduceIntegers(src, plan, kind, device);
            }
        }
    }

    private static Tensor reduceIntegers(Tensor src, ReducePlan plan, ReduceKind kind, Device device) {
        DataType t = src.dtype();
        if (kind == ReduceKind.LOG_SUM_EXP) {
            // exp of integers is not an integer: reduce in double, truncate back as a cast does.
            Tensor out = Tensor.uninitialized(DataType.DOUBLE, plan.outShape());
            run(plan, device, new DoubleReducer(convert(src, DataType.DOUBLE).doubles(), out.doubles(), plan, kind));
            return convert(out, t);
        }
        boolean u64 = t == DataType.UINT64;
        boolean flip = u64 && (kind == ReduceKind.MAX || kind == ReduceKind.MIN);
        Tensor wide = t == DataType.INT64 || (u64 && !flip) ? src : widen(src, flip);
        long identity = switch (kind) {
            case MAX -> flip ? Long.MIN_VALUE : minOf(t);
            case MIN -> flip ? Long.MAX_VALUE : maxOf(t);
            case PROD -> 1;
            default -> 0;
        };
        Tensor out = Tensor.uninitialized(DataType.INT64, plan.outShape());
        run(plan, device, new LongReducer(wide.longs(), out.longs(), plan, kind, identity, u64, flip));
        return t == DataType.INT64 ? out : convert(out, t);
    }

    private static void run(ReducePlan plan, Device device, Kernel kernel) {
        int outer = plan.outer();
        int inner = plan.inner();
        long cost = Math.max(1, plan.reduced());
        if (inner == 1) {
            device.parallelFor(outer, cost, (s, e) -> kernel.rows(s, e, device));
            return;
        }
        int blocks = (inner + BLOCK - 1) / BLOCK;
        device.parallelFor(outer * blocks, cost * Math.min(inner, BLOCK), (s, e) -> {
            Scratch scratch = new Scratch();
            for (int task = s; task < e; task++) {
                int o = task / blocks;
                int i0 = (task % blocks) * BLOCK;
                kernel.columns(o, i0, Math.min(BLOCK, inner - i0), scratch);
            }
        });
    }

    /**
     * Copies x into the plan's group order. The last group never moves, so each run of
     * {@code groupShape[last]} elements copies as one block of bytes.
     */
    private static Tensor regroup(Tensor x, ReducePlan plan, Device device) {
        int[] g = plan.groupShape();
        int[] order = plan.groupOrder();
        int k = g.length;
        int run = g[k - 1];
        int[] srcStrides = Shapes.strides(g);
        int[] dims = new int[k - 1];
        int[] strides = new int[k - 1];
        for (int j = 0; j < k - 1; j++) {
            dims[j] = g[order[j]];
            strides[j] = srcStrides[order[j]];
        }
        Tensor out = Tensor.uninitialized(x.dtype(), x.shape());
        int es = x.dtype().byteSize();
        ByteBuffer src = x.bytes();
        ByteBuffer dst = out.bytes();
        int runs = run == 0 ? 0 : x.size() / run;
        device.parallelFor(runs, run, (s, e) -> {
            for (int r = s; r < e; r++) {
                int rem = r;
                int off = 0;
                for (int j = k - 2; j >= 0; j--) {
                    off += (rem % dims[j]) * strides[j];
                    rem /= dims[j];
                }
                dst.put(r * run * es, src, off * es, run * es);
            }
        });
        return out;
    }

    /** A copy of x with another element type (values converted as Tensor.setDouble/setLong do). */
    static Tensor convert(Tensor x, DataType to) {
        Tensor out = Tensor.uninitialized(to, x.shape());
        int n = x.size();
        if (to.isFloat() || !x.dtype().isInteger() && x.dtype() != DataType.BOOL) {
            for (int i = 0; i < n; i++) {
                out.setDouble(i, x.getDouble(i));
            }
        } else {
            for (int i = 0; i < n; i++) {
                out.setLong(i, x.getLong(i));
            }
        }
        return out;
    }

    /** Integers (and bool) as int64 values; {@code flip} flips the sign bit (uint64 order as signed). */
    private static Tensor widen(Tensor x, boolean flip) {
        Tensor out = Tensor.uninitialized(DataType.INT64, x.shape());
        var o = out.longs();
        long f = flip ? Long.MIN_VALUE : 0;
        for (int i = 0, n = x.size(); i < n; i++) {
            o.put(i, x.getLong(i) ^ f);
        }
        return out;
    }

    /** The smallest value of an integer type (bool: false). */
    static long minOf(DataType t) {
        return switch (t) {
            case INT8 -> Byte.MIN_VALUE;
            case INT16 -> Short.MIN_VALUE;
            case INT32 -> Integer.MIN_VALUE;
            case INT64 -> Long.MIN_VALUE;
            default -> 0;
        };
    }

    /** The largest value of an integer type (bool: true; uint64 as its bit pattern). */
    static long maxOf(DataType t) {
        return switch (t) {
            case INT8 -> Byte.MAX_VALUE;
            case INT16 -> Short.MAX_VALUE;
            case INT32 -> Integer.MAX_VALUE;
            case INT64 -> Long.MAX_VALUE;
            case UINT8 -> 0xff;
            case UINT16 -> 0xffff;
            case UINT32 -> 0xffffffffL;
            case UINT64 -> -1L;
            case BOOL -> 1;
            default -> throw new IllegalArgumentException("no integer maximum for " + t.onnxName());
        };
    }
}
