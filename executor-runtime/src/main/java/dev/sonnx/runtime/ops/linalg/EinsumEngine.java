package dev.sonnx.runtime.ops.linalg;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;

/**
 * Evaluates a labelled tensor contraction. Each operand first takes its diagonals (repeated labels),
 * sums away labels used nowhere else and stretches size-1 (broadcast) dimensions; then operands are
 * contracted left to right, each pair as one batched matrix product over (shared kept labels) x (labels
 * of the left operand) x (summed shared labels) x (labels of the right operand). Operands already in
 * such an order (batched matmuls, attention scores) go to BLAS as they are, transposed by flag.
 * Computes in float32 (float, float16, bfloat16), float64, or int64 for integers (wrapped at the end).
 */
final class EinsumEngine {
    private final int[] sizes;
    private final DataType computeType;
    private final Device device;

    /** An intermediate: a dense tensor whose axes carry {@code labels} (all distinct). */
    private record Term(Tensor data, int[] labels) {
    }

    private EinsumEngine(int[] sizes, DataType computeType, Device device) {
        this.sizes = sizes;
        this.computeType = computeType;
        this.device = device;
    }

    static DataType computeType(DataType t) {
        return t.isInteger() ? DataType.INT64 : MatrixKernels.computeType(t);
    }

    /**
     * The contraction of {@code inputs}, whose axes carry {@code labels}, onto {@code out} (labels each
     * of size {@code sizes[label]}), as a tensor of {@code outType}.
     */
    static Tensor evaluate(Tensor[] inputs, int[][] labels, int[] out, int[] sizes, DataType outType, Device device) {
        EinsumEngine e = new EinsumEngine(sizes, computeType(outType), device);
        // later[l]: how many of the output and the operands not yet consumed use label l
        int[] later = new int[sizes.length];
        for (int l : out) {
            later[l]++;
        }
        for (int[] ls : labels) {
            for (int l : distinct(ls)) {
                later[l]++;
            }
        }
        Term cur = null;
        for (int i = 0; i < inputs.length; i++) {
            for (int l : distinct(labels[i])) {
                later[l]--;
            }
            int[] needed = later.clone();
            if (cur != null) {
                for (int l : cur.labels) {
                    needed[l]++;
                }
            }
            Term t = e.prepare(inputs[i], labels[i], needed);
            cur = cur == null ? t : e.contract(cur, t, later);
        }
        return e.finish(cur, out, outType);
    }

    /**
     * Operand {@code x} (axes labelled {@code ls}) as a term with distinct labels: diagonals taken,
     * labels nothing else needs ({@code needed[l] == 0}) summed away, broadcast axes stretched.
     */
    private Term prepare(Tensor x, int[] ls, int[] needed) {
        int[] st = Shapes.strides(x.shape());
        int[] uniq = distinct(ls);
        int[] stride = new int[uniq.length];
        boolean plain = uniq.length == ls.length && x.dtype() == computeType;
        for (int a = 0; a < ls.length; a++) {
            int u = indexOf(uniq, ls[a]);
            stride[u] += st[a];
            if (x.shape()[a] != sizes[ls[a]]) {
                stride[u] = 0;      // a size-1 axis broadcast against the label's size elsewhere
                plain = false;
            }
        }
        int kept = 0;
        for (int l : uniq) {
            if (needed[l] > 0) {
                kept++;
            }
        }
        if (plain && kept == uniq.length) {
            return new Term(x, uniq);
        }
        int[] keptLabels = new int[kept];
        int[] keptStrides = new int[kept];
        int[] sumLabels = new int[uniq.length - kept];
        int[] sumStrides = new int[uniq.length - kept];
        int k = 0;
        int s = 0;
        for (int u = 0; u < uniq.length; u++) {
            if (needed[uniq[u]] > 0) {
                keptLabels[k] = uniq[u];
                keptStrides[k++] = stride[u];
            } else {
                sumLabels[s] = uniq[u];
                sumStrides[s++] = stride[u];
            }
        }
        return new Term(gather(x, dims(keptLabels), keptStrides, dims(sumLabels), sumStrides, computeType),
                keptLabels);
    }

    /**
     * The product of two terms, keeping the labels that later operands or the output use
     * ({@code uses[l] > 0}) and summing the others.
     */
    private Term contract(Term a, Term b, int[] uses) {
        a = sumUnshared(a, b.labels, uses);
        b = sumUnshared(b, a.labels, uses);
        int[] batch = filter(a.labels, b.labels, true, uses, true);
        int[] contracted = filter(a.labels, b.labels, true, uses, false);
        int[] left = filter(a.labels, b.labels, false, uses, true);
        int[] right = filter(b.labels, a.labels, false, uses, true);

        boolean transA = false;
        if (!Arrays.equals(a.labels, concat(batch, left, contracted))) {
            if (Arrays.equals(a.labels, concat(batch, contracted, left))) {
                transA = true;
            } else {
                a = arrange(a, concat(batch, left, contracted));
            }
        }
        boolean transB = false;
        if (!Arrays.equals(b.labels, concat(batch, contracted, right))) {
            if (Arrays.equals(b.labels, concat(batch, right, contracted))) {
                transB = true;
            } else {
                b = arrange(b, concat(batch, contracted, right));
            }
        }
        int count = product(batch);
        int m = product(left);
        int n = product(right);
        int k = product(contracted);
        int[] outLabels = concat(batch, left, right);
        Tensor c = Tensor.uninitialized(computeType, dims(outLabels));
        int[] aOffs = new int[count];
        int[] bOffs = new int[count];
        int[] cOffs = new int[count];
        for (int i = 0; i < count; i++) {
            aOffs[i] = i * m * k;
            bOffs[i] = i * k * n;
            cOffs[i] = i * m * n;
        }
        if (computeType == DataType.INT64) {
            long[] cl = new long[c.size()];
            MatrixKernels.longBatched(device, transA, transB, m, n, k, longs(a.data), aOffs, longs(b.data), bOffs,
                    cl, cOffs, count);
            c.longs().put(0, cl);
        } else {
            MatrixKernels.batched(device, transA, transB, m, n, k, 1, a.data, aOffs, b.data, bOffs, 0, c, cOffs,
                    true, count);
        }
        return new Term(c, outLabels);
    }

    /** Sums away labels of {@code t} that the other term lacks and nothing later needs. */
    private Term sumUnshared(Term t, int[] other, int[] uses) {
        int keep = 0;
        for (int l : t.labels) {
            if (uses[l] > 0 || indexOf(other, l) >= 0) {
                keep++;
            }
        }
        if (keep == t.labels.length) {
            return t;
        }
        int[] order = new int[keep];
        int n = 0;
        for (int l : t.labels) {
            if (uses[l] > 0 || indexOf(other, l) >= 0) {
                order[n++] = l;
            }
        }
        return arrange(t, order);
    }

    /** The result in the output's label order and type. */
    private Tensor finish(Term t, int[] out, DataType outType) {
        if (Arrays.equals(t.labels, out) && t.data.dtype() == outType) {
            return t.data.reshape(dims(out));
        }
        return arrange(t, out, outType).data;
    }

    private Term arrange(Term t, int[] order) {
        return arrange(t, order, computeType);
    }

    /** Term {@code t} transposed to {@code order}, summed over its labels not in {@code order}. */
    private Term arrange(Term t, int[] order, DataType type) {
        int[] st = Shapes.strides(t.data.shape());
        int[] keptStrides = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            int a = indexOf(t.labels, order[i]);
            if (a < 0) {
                throw new IllegalStateException("label " + order[i] + " missing from an intermediate");
            }
            keptStrides[i] = st[a];
        }
        int[] sumLabels = new int[t.labels.length - order.length];
        int[] sumStrides = new int[sumLabels.length];
        int s = 0;
        for (int a = 0; a < t.labels.length; a++) {
            if (indexOf(order, t.labels[a]) < 0) {
                sumLabels[s] = t.labels[a];
                sumStrides[s++] = st[a];
            }
        }
        return new Term(gather(t.data, dims(order), keptStrides, dims(sumLabels), sumStrides, type), order);
    }

    // ------------------------------------------------------------------ strided copy with sums

    @FunctionalInterface
    private interface DoubleReader {
        double get(int i);
    }

    @FunctionalInterface
    private interface LongReader {
        long get(int i);
    }

    /**
     * A new dense tensor of {@code type} and shape {@code dims}: element (i1..in) is the sum over the
     * {@code sumDims} index space of {@code src[sum of index * stride]}.
     */
    private Tensor gather(Tensor src, int[] dims, int[] strides, int[] sumDims, int[] sumStrides, DataType type) {
        Tensor out = Tensor.uninitialized(type, dims);
        int count = out.size();
        int inner = Shapes.size(sumDims);
        if (count == 0) {
            return out;
        }
        if (type.isInteger()) {
            LongReader rd = longReader(src);
            LongBuffer lo = type == DataType.INT64 ? out.longs() : null;
            int[] offs = Shapes.offsets(sumDims, sumStrides);
            walk(dims, strides, count, inner, (i, base) -> {
                long acc = 0;
                for (int off : offs) {
                    acc += rd.get(base + off);
                }
                if (lo != null) {
                    lo.put(i, acc);
                } else {
                    out.setLong(i, acc);
                }
            });
        } else {
            DoubleReader rd = doubleReader(src);
            FloatBuffer fo = type == DataType.FLOAT ? out.floats() : null;
            DoubleBuffer dout = type == DataType.DOUBLE ? out.doubles() : null;
            int[] offs = Shapes.offsets(sumDims, sumStrides);
            walk(dims, strides, count, inner, (i, base) -> {
                double acc = 0;
                for (int off : offs) {
                    acc += rd.get(base + off);
                }
                if (fo != null) {
                    fo.put(i, (float) acc);
                } else if (dout != null) {
                    dout.put(i, acc);
                } else {
                    out.setDouble(i, acc);
                }
            });
        }
        return out;
    }

    @FunctionalInterface
    private interface ElementBody {
        void at(int index, int srcOffset);
    }

    /** Calls {@code body} for each output index with its source offset, ranges split across threads. */
    private void walk(int[] dims, int[] strides, int count, int inner, ElementBody body) {
        device.parallelFor(count, inner + 1L, (start, end) -> {
            int[] idx = new int[dims.length];
            int off = 0;
            int rem = start;
            for (int d = dims.length - 1; d >= 0; d--) {
                idx[d] = rem % dims[d];
                rem /= dims[d];
                off += idx[d] * strides[d];
            }
            for (int i = start; i < end; i++) {
                body.at(i, off);
                for (int d = dims.length - 1; d >= 0; d--) {
                    off += strides[d];
                    if (++idx[d] < dims[d]) {
                        break;
                    }
                    off -= strides[d] * dims[d];
                    idx[d] = 0;
                }
            }
        });
    }

    private static DoubleReader doubleReader(Tensor t) {
        switch (t.dtype()) {
            case FLOAT: {
                FloatBuffer b = t.floats();
                return b::get;
            }
            case DOUBLE: {
                DoubleBuffer b = t.doubles();
                return b::get;
            }
            default:
                return t::getDouble;
        }
    }

    private static LongReader longReader(Tensor t) {
        if (t.dtype() == DataType.INT64) {
            LongBuffer b = t.longs();
            return b::get;
        }
        return t::getLong;
    }

    private static long[] longs(Tensor t) {
        long[] r = new long[t.size()];
        t.longs().get(0, r);
        return r;
    }

    // ------------------------------------------------------------------ label lists

    private int[] dims(int[] labels) {
        int[] d = new int[labels.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = sizes[labels[i]];
        }
        return d;
    }

    private int product(int[] labels) {
        int p = 1;
        for (int l : labels) {
            p *= sizes[l];
        }
        return p;
    }

    /**
     * Labels of {@code from} (in its order) that are ({@code inOther}) or are not in {@code other}, and
     * that are ({@code kept}) or are not still used later.
     */
    private static int[] filter(int[] from, int[] other, boolean inOther, int[] uses, boolean kept) {
        int[] r = new int[from.length];
        int n = 0;
        for (int l : from) {
            boolean shared = indexOf(other, l) >= 0;
            boolean used = uses[l] > 0;
            if (shared == inOther && (!shared || used == kept)) {
                r[n++] = l;
            }
        }
        return Arrays.copyOf(r, n);
    }

    static int[] distinct(int[] labels) {
        int[] r = new int[labels.length];
        int n = 0;
        next:
        for (int l : labels) {
            for (int i = 0; i < n; i++) {
                if (r[i] == l) {
                    continue next;
                }
            }
            r[n++] = l;
        }
        return Arrays.copyOf(r, n);
    }

    static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        return -1;
    }

    private static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) {
            n += p.length;
        }
        int[] r = new int[n];
        int o = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, r, o, p.length);
            o += p.length;
        }
        return r;
    }
}
