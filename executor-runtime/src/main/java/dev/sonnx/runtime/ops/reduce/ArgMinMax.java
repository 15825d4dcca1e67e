package dev.sonnx.runtime.ops.reduce;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Set;

/**
 * ArgMax and ArgMin along one axis, as int64 indices. Ties go to the first index, or the last with
 * {@code select_last_index} (opset 12). NaN counts as beyond every number, as in numpy: the first
 * NaN of a line wins. Lines are scanned in blocks of adjacent columns, so memory is read in order.
 */
final class ArgMinMax extends Operator {
    private static final int BLOCK = 512;

    private final boolean max;
    private final Set<DataType> allowed;
    private final int axisAttribute;
    private final boolean keepdims;
    private final boolean selectLast;

    ArgMinMax(Node node, boolean max, Set<DataType> allowed) {
        super(node);
        this.max = max;
        this.allowed = allowed;
        var a = node.attributes();
        this.axisAttribute = a.getInt("axis", 0);
        this.keepdims = a.getInt("keepdims", 1) != 0;
        this.selectLast = a.getInt("select_last_index", 0) != 0;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, allowed, "input 'data'");
        int rank = x.rank();
        if (axisAttribute < -Math.max(rank, 1) || axisAttribute >= Math.max(rank, 1)) {
            throw new IllegalArgumentException("attribute 'axis' = " + axisAttribute + " is out of range for rank "
                    + rank);
        }
        int axis = rank == 0 ? 0 : axisAttribute < 0 ? axisAttribute + rank : axisAttribute;
        AxisLayout layout = AxisLayout.around(x.shape(), axis);
        Tensor out = Tensor.uninitialized(DataType.INT64, outShape(x.shape(), axis));
        if (out.size() == 0) {
            return outputs(out);
        }
        if (layout.length() == 0) {
            throw new IllegalArgumentException(node.opType() + " over axis " + axis + " of input 'data' with shape "
                    + java.util.Arrays.toString(x.shape()) + ": the axis is empty");
        }
        LongBuffer idx = out.longs();
        int blocks = (layout.inner() + BLOCK - 1) / BLOCK;
        Scan scan = x.dtype() == DataType.FLOAT ? new FloatScan(x.floats())
                : x.dtype().isFloat() ? new DoubleScan(DoubleArrays.of(x)) : new LongScan(x);
        ctx.device().parallelFor(layout.outer() * blocks, (long) layout.length() * Math.min(BLOCK, layout.inner()),
                (s, e) -> scan.range(layout, blocks, s, e, idx));
        return outputs(out);
    }

    private int[] outShape(int[] shape, int axis) {
        if (shape.length == 0) {
            return shape;
        }
        if (keepdims) {
            int[] s = shape.clone();
            s[axis] = 1;
            return s;
        }
        int[] s = new int[shape.length - 1];
        for (int d = 0, k = 0; d < shape.length; d++) {
            if (d != axis) {
                s[k++] = shape[d];
            }
        }
        return s;
    }

    /** Finds the winning indices of column blocks {@code [s, e)} (block t: outer t / blocks). */
    private abstract static class Scan {
        abstract void range(AxisLayout l, int blocks, int s, int e, LongBuffer idx);
    }

    private final class FloatScan extends Scan {
        private final FloatBuffer x;

        FloatScan(FloatBuffer x) {
            this.x = x;
        }

        @Override
        void range(AxisLayout l, int blocks, int s, int e, LongBuffer idx) {
            int inner = l.inner();
            float[] best = new float[BLOCK];
            int[] at = new int[BLOCK];
            for (int t = s; t < e; t++) {
                int o = t / blocks;
                int i0 = (t % blocks) * BLOCK;
                int n = Math.min(BLOCK, inner - i0);
                int base = l.base(o, i0);
                for (int j = 0; j < n; j++) {
                    best[j] = x.get(base + j);
                    at[j] = 0;
                }
                for (int k = 1; k < l.length(); k++) {
                    int b = base + k * inner;
                    for (int j = 0; j < n; j++) {
                        float v = x.get(b + j);
                        float w = best[j];
                        boolean nan = v != v;
                        boolean better = (max ? v > w : v < w) || nan && w == w;
                        if (better || selectLast && (v == w || nan && w != w)) {
                            best[j] = v;
                            at[j] = k;
                        }
                    }
                }
                int out = o * inner + i0;
                for (int j = 0; j < n; j++) {
                    idx.put(out + j, at[j]);
                }
            }
        }
    }

    /** float64, float16 and bfloat16 (widened). */
    private final class DoubleScan extends Scan {
        private final double[] x;

        DoubleScan(double[] x) {
            this.x = x;
        }

        @Override
        void range(AxisLayout l, int blocks, int s, int e, LongBuffer idx) {
            int inner = l.inner();
            double[] best = new double[BLOCK];
            int[] at = new int[BLOCK];
            for (int t = s; t < e; t++) {
                int o = t / blocks;
                int i0 = (t % blocks) * BLOCK;
                int n = Math.min(BLOCK, inner - i0);
                int base = l.base(o, i0);
                for (int j = 0; j < n; j++) {
                    best[j] = x[base + j];
                    at[j] = 0;
                }
                for (int k = 1; k < l.length(); k++) {
                    int b = base + k * inner;
                    for (int j = 0; j < n; j++) {
                        double v = x[b + j];
                        double w = best[j];
                        boolean nan = v != v;
                        boolean better = (max ? v > w : v < w) || nan && w == w;
                        if (better || selectLast && (v == w || nan && w != w)) {
                            best[j] = v;
                            at[j] = k;
                        }
                    }
                }
                int out = o * inner + i0;
                for (int j = 0; j < n; j++) {
                    idx.put(out + j, at[j]);
                }
            }
        }
    }

    /** Integers as int64; uint64 with the sign bit flipped so that signed order is unsigned order. */
    private final class LongScan extends Scan {
        private final long[] x;

        LongScan(Tensor t) {
            long flip = t.dtype() == DataType.UINT64 ? Long.MIN_VALUE : 0;
            this.x = t.toLongArray();
            for (int i = 0; i < x.length; i++) {
                x[i] ^= flip;
            }
        }

        @Override
        void range(AxisLayout l, int blocks, int s, int e, LongBuffer idx) {
            int inner = l.inner();
            long[] best = new long[BLOCK];
            int[] at = new int[BLOCK];
            for (int t = s; t < e; t++) {
                int o = t / blocks;
                int i0 = (t % blocks) * BLOCK;
                int n = Math.min(BLOCK, inner - i0);
                int base = l.base(o, i0);
                for (int j = 0; j < n; j++) {
                    best[j] = x[base + j];
                    at[j] = 0;
                }
                for (int k = 1; k < l.length(); k++) {
                    int b = base + k * inner;
                    for (int j = 0; j < n; j++) {
                        long v = x[b + j];
                        long w = best[j];
                        if ((max ? v > w : v < w) || selectLast && v == w) {
                            best[j] = v;
                            at[j] = k;
                        }
                    }
                }
                int out = o * inner + i0;
                for (int j = 0; j < n; j++) {
                    idx.put(out + j, at[j]);
                }
            }
        }
    }
}
