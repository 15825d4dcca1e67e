package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * Unique: the distinct elements of the flattened input, or with {@code axis} the distinct slices
 * along it (compared element by element in row-major order), sorted ascending ({@code sorted}=1,
 * default) or in order of first occurrence. Outputs: Y, the distinct items; indices, where each
 * first occurs; inverse_indices, which item of Y each input item is; counts. Items are ordered by
 * a stable sort, so equal items keep their input order and the first of each run is its first
 * occurrence. Floats order numerically with -0 equal to 0 and NaN last (all NaNs equal).
 */
final class Unique extends Operator {
    private final boolean sorted;
    private final Long axis;

    Unique(Node node) {
        super(node);
        long s = node.attributes().getLong("sorted", 1);
        if (s != 0 && s != 1) {
            throw new IllegalArgumentException("attribute 'sorted' must be 0 or 1, got " + s);
        }
        this.sorted = s == 1;
        this.axis = node.attributes().has("axis") ? node.attributes().getLong("axis", 0) : null;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        int[] shape = axis == null ? new int[] {x.size()} : x.shape();
        int a = axis == null ? 0 : Args.axis(axis, x.rank(), "attribute 'axis'");
        int n = shape[a];
        Items items = new Items(x, shape, a);
        int[] order = new int[n];
        for (int j = 0; j < n; j++) {
            order[j] = j;
        }
        StableSort.sort(order, items::compare);

        // runs of equal items in sorted order: the first of each is its first occurrence
        int[] groupOf = new int[n];
        int[] first = new int[n];
        int[] count = new int[n];
        int groups = 0;
        for (int r = 0; r < n; r++) {
            if (r == 0 || items.compare(order[r - 1], order[r]) != 0) {
                first[groups++] = order[r];
            }
            groupOf[order[r]] = groups - 1;
            count[groups - 1]++;
        }
        // output position of each group: sorted order, or order of first occurrence
        int[] rank = new int[groups];
        if (sorted) {
            for (int g = 0; g < groups; g++) {
                rank[g] = g;
            }
        } else {
            int[] byFirst = new int[groups];
            for (int g = 0; g < groups; g++) {
                byFirst[g] = g;
            }
            StableSort.sort(byFirst, (p, q) -> Integer.compare(first[p], first[q]));
            for (int k = 0; k < groups; k++) {
                rank[byFirst[k]] = k;
            }
        }
        int[] picks = new int[groups];
        long[] indices = new long[groups];
        long[] counts = new long[groups];
        for (int g = 0; g < groups; g++) {
            picks[rank[g]] = first[g];
            indices[rank[g]] = first[g];
            counts[rank[g]] = count[g];
        }
        long[] inverse = new long[n];
        for (int j = 0; j < n; j++) {
            inverse[j] = rank[groupOf[j]];
        }
        int[] yShape = shape.clone();
        yShape[a] = groups;
        Tensor y = Gather.alongAxis(shape, a, picks, true).gather(x, null, yShape, ctx.device());
        Value[] out = new Value[Math.max(1, node.outputCount())];
        out[0] = y;
        set(out, 1, Tensor.of(indices, groups));
        set(out, 2, Tensor.of(inverse, n));
        set(out, 3, Tensor.of(counts, groups));
        return out;
    }

    private void set(Value[] out, int i, Tensor t) {
        if (i < out.length && node.hasOutput(i)) {
            out[i] = t;
        }
    }

    /** The input's items (elements, or slices along the axis) as comparable keys, one block per item. */
    private static final class Items {
        private final int length;
        private final int width;
        private final double[] doubles;
        private final long[] longs;
        private final String[] strings;
        private final boolean unsigned;

        Items(Tensor x, int[] shape, int a) {
            int n = shape[a];
            int inner = Shapes.product(shape, a + 1, shape.length);
            int outer = Shapes.product(shape, 0, a);
            DataType t = x.dtype();
            this.length = outer * inner;
            this.width = t == DataType.COMPLEX64 || t == DataType.COMPLEX128 ? 2 : 1;
            this.unsigned = t == DataType.UINT64;
            boolean fp = t.isFloat() || width == 2;
            this.doubles = fp ? new double[n * length * width] : null;
            this.strings = t == DataType.STRING ? new String[n * length] : null;
            this.longs = !fp && strings == null ? new long[n * length] : null;
            if (!fp && strings == null && !t.isInteger() && t != DataType.BOOL) {
                throw new IllegalArgumentException("input 'X' has type " + t.onnxName() + ", which Unique does not accept");
            }
            // item j's block holds its elements in row-major order of the other axes
            for (int j = 0, k = 0; j < n; j++) {
                for (int o = 0; o < outer; o++) {
                    for (int i = 0; i < inner; i++, k++) {
                        int e = (o * n + j) * inner + i;
                        if (strings != null) {
                            strings[k] = x.getString(e);
                        } else if (longs != null) {
                            longs[k] = x.getLong(e);
                        } else if (width == 2) {
                            boolean c64 = t == DataType.COMPLEX64;
                            doubles[2 * k] = key(c64 ? x.bytes().getFloat(8 * e) : x.bytes().getDouble(16 * e));
                            doubles[2 * k + 1] = key(c64 ? x.bytes().getFloat(8 * e + 4)
                                    : x.bytes().getDouble(16 * e + 8));
                        } else {
                            doubles[k] = key(x.getDouble(e));
                        }
                    }
                }
            }
        }

        /** -0 becomes 0 so the two compare equal. */
        private static double key(double v) {
            return v == 0 ? 0.0 : v;
        }

        int compare(int p, int q) {
            int m = length * width;
            for (int k = 0; k < m; k++) {
                int c;
                if (doubles != null) {
                    c = Double.compare(doubles[p * m + k], doubles[q * m + k]);
                } else if (longs != null) {
                    long u = longs[p * m + k];
                    long v = longs[q * m + k];
                    c = unsigned ? Long.compareUnsigned(u, v) : Long.compare(u, v);
                } else {
                    c = compareCodePoints(strings[p * m + k], strings[q * m + k]);
                }
                if (c != 0) {
                    return c;
                }
            }
            return 0;
        }

        /** Strings by Unicode code point (as numpy orders them), not by UTF-16 unit. */
        private static int compareCodePoints(String s, String t) {
            int i = 0;
            int j = 0;
            while (i < s.length() && j < t.length()) {
                int a = s.codePointAt(i);
                int b = t.codePointAt(j);
                if (a != b) {
                    return Integer.compare(a, b);
                }
                i += Character.charCount(a);
                j += Character.charCount(b);
            }
            return Boolean.compare(i < s.length(), j < t.length());
        }
    }
}
