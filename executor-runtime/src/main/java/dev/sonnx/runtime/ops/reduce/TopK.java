package dev.sonnx.runtime.ops.reduce;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.Set;

/**
 * TopK: the k largest (or, from opset 11, smallest) elements along an axis with their indices,
 * best first; equal values keep index order (the lower index first). k is an attribute at opset 1
 * and an input from 10. Each line is scanned once with a heap of the k best seen so far; values are
 * compared as order-preserving int64 keys, so every type shares one selection (NaN ranks above
 * every number, as numpy's sort puts it last).
 */
final class TopK extends Operator {
    private final Set<DataType> allowed;
    private final int axisAttribute;
    private final boolean largest;
    /** The k attribute (opset 1); -1 when k is an input. */
    private final long kAttribute;

    TopK(Node node, Set<DataType> allowed, boolean kIsInput) {
        super(node);
        this.allowed = allowed;
        var a = node.attributes();
        this.axisAttribute = a.getInt("axis", -1);
        this.largest = a.getInt("largest", 1) != 0;
        // sorted = 0 leaves the order unspecified; best first is one valid order, so it is ignored.
        if (kIsInput) {
            this.kAttribute = -1;
        } else {
            this.kAttribute = a.requireLong("k");
            if (kAttribute < 0) {
                throw new IllegalArgumentException("attribute 'k' = " + kAttribute + " must be >= 0");
            }
        }
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        if (!allowed.contains(x.dtype())) {
            throw new IllegalArgumentException("input 'X' has type " + x.dtype().onnxName()
                    + ", which TopK-" + node.opsetVersion() + " does not accept");
        }
        int rank = x.rank();
        if (rank == 0) {
            throw new IllegalArgumentException("input 'X' is a scalar; TopK needs rank >= 1");
        }
        if (axisAttribute < -rank || axisAttribute >= rank) {
            throw new IllegalArgumentException("attribute 'axis' = " + axisAttribute
                    + " is out of range for input 'X' of rank " + rank);
        }
        int axis = axisAttribute < 0 ? axisAttribute + rank : axisAttribute;
        long k = kAttribute >= 0 ? kAttribute : kInput(required(inputs, 1));
        if (k > x.shape()[axis]) {
            throw new IllegalArgumentException("k = " + k + " is larger than axis " + axis + " of input 'X' "
                    + Arrays.toString(x.shape()));
        }
        AxisLayout in = AxisLayout.around(x.shape(), axis);
        int[] outShape = x.shape().clone();
        outShape[axis] = (int) k;
        Tensor values = Tensor.uninitialized(x.dtype(), outShape);
        Tensor indices = Tensor.uninitialized(DataType.INT64, outShape);
        select(x, in, (int) k, values, indices, ctx);
        if (ctx.recording()) {
            ctx.saveForBackward(new Saved(in, (int) k));
        }
        return outputs(values, indices);
    }

    private static long kInput(Tensor kt) {
        if (kt.dtype() != DataType.INT64 || kt.size() != 1 || kt.rank() > 1) {
            throw new IllegalArgumentException("input 'K' must be a 1-element int64 tensor, got " + kt.describe());
        }
        long k = kt.getLong(0);
        if (k < 0) {
            throw new IllegalArgumentException("input 'K' = " + k + " must be >= 0");
        }
        return k;
    }

    private void select(Tensor x, AxisLayout in, int k, Tensor values, Tensor indices, OpContext ctx) {
        int len = in.length();
        int inner = in.inner();
        int lines = in.lines();
        if (k == 0 || lines == 0) {
            return;
        }
        DataType t = x.dtype();
        FloatBuffer xf = t == DataType.FLOAT ? x.floats() : null;
        int es = t.byteSize();
        ByteBuffer src = x.bytes();
        ByteBuffer dst = values.bytes();
        LongBuffer idx = indices.longs();
        ctx.device().parallelFor(lines, (long) len * 4, (s, e) -> {
            long[] keys = new long[len];
            long[] heapKeys = new long[k];
            int[] heapIdx = new int[k];
            for (int line = s; line < e; line++) {
                int first = in.lineStart(line);
                for (int j = 0, p = first; j < len; j++, p += inner) {
                    long key = xf != null ? key(xf.get(p)) : key(x, p);
                    keys[j] = largest ? key : ~key;
                }
                best(keys, len, k, heapKeys, heapIdx);
                int outFirst = (line / inner) * k * inner + line % inner;
                for (int j = 0, q = outFirst; j < k; j++, q += inner) {
                    int from = first + heapIdx[j] * inner;
                    dst.put(q * es, src, from * es, es);
                    idx.put(q, heapIdx[j]);
                }
            }
        });
    }

    /** A long whose signed order is the numeric order of v (-0 as 0, NaN above +infinity). */
    static long key(double v) {
        if (v != v) {
            return Long.MAX_VALUE;
        }
        long bits = Double.doubleToRawLongBits(v == 0 ? 0.0 : v);
        return bits ^ ((bits >> 63) & Long.MAX_VALUE);
    }

    private static long key(Tensor x, int p) {
        DataType t = x.dtype();
        if (t.isFloat()) {
            return key(x.getDouble(p));
        }
        long v = x.getLong(p);
        return t == DataType.UINT64 ? v ^ Long.MIN_VALUE : v;
    }

    /**
     * Leaves in {@code heapIdx[0..k)} the positions of the k largest keys, largest first, the lower
     * position first among equal keys. A heap whose root is the worst of the k best so far: later
     * positions only enter by being strictly larger than it, which keeps ties in index order.
     */
    static void best(long[] keys, int len, int k, long[] heapKeys, int[] heapIdx) {
        int size = 0;
        for (int j = 0; j < len; j++) {
            long key = keys[j];
            if (size < k) {
                // sift up the new entry
                int c = size++;
                while (c > 0) {
                    int p = (c - 1) >>> 1;
                    if (!worse(key, j, heapKeys[p], heapIdx[p])) {
                        break;
                    }
                    heapKeys[c] = heapKeys[p];
                    heapIdx[c] = heapIdx[p];
                    c = p;
                }
                heapKeys[c] = key;
                heapIdx[c] = j;
            } else if (key > heapKeys[0]) {
                siftDown(heapKeys, heapIdx, size, key, j);
            }
        }
        // Pop the worst to the back until the heap is empty: best first.
        for (int end = size - 1; end > 0; end--) {
            long key = heapKeys[end];
            int at = heapIdx[end];
            long rootKey = heapKeys[0];
            int rootIdx = heapIdx[0];
            siftDown(heapKeys, heapIdx, end, key, at);
            heapKeys[end] = rootKey;
            heapIdx[end] = rootIdx;
        }
    }

    /** Places (key, at) at the root of a heap of {@code size} entries and sifts it down. */
    private static void siftDown(long[] heapKeys, int[] heapIdx, int size, long key, int at) {
        int c = 0;
        while (true) {
            int l = 2 * c + 1;
            if (l >= size) {
                break;
            }
            int r = l + 1;
            int w = r < size && worse(heapKeys[r], heapIdx[r], heapKeys[l], heapIdx[l]) ? r : l;
            if (!worse(heapKeys[w], heapIdx[w], key, at)) {
                break;
            }
            heapKeys[c] = heapKeys[w];
            heapIdx[c] = heapIdx[w];
            c = w;
        }
        heapKeys[c] = key;
        heapIdx[c] = at;
    }

    /** Whether (ka, ia) ranks after (kb, ib): a smaller key, or an equal key at a later position. */
    private static boolean worse(long ka, int ia, long kb, int ib) {
        return ka < kb || ka == kb && ia > ib;
    }

    /** What backward needs: the input's layout along the axis and k. */
    private record Saved(AxisLayout in, int k) {
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /** The values' gradient goes back to the positions they were taken from; the rest get zero. */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] grads = new Tensor[node.inputCount()];
        Tensor gv = g.gradOutput(0);
        Tensor x = g.input(0);
        if (gv == null || !g.needsGrad(0) || !x.dtype().isFloat()) {
            return grads;
        }
        Saved saved = (Saved) g.saved();
        AxisLayout in = saved.in();
        int k = saved.k();
        int inner = in.inner();
        LongBuffer indices = g.output(1).longs();
        double[] gs = DoubleArrays.of(gv);
        double[] gx = new double[x.size()];
        for (int o = 0; o < in.outer(); o++) {
            for (int j = 0; j < k; j++) {
                for (int i = 0; i < inner; i++) {
                    int q = (o * k + j) * inner + i;
                    gx[in.base(o, i) + (int) indices.get(q) * inner] = gs[q];
                }
            }
        }
        grads[0] = DoubleArrays.toTensor(gx, x.dtype(), x.shape());
        return grads;
    }
}
