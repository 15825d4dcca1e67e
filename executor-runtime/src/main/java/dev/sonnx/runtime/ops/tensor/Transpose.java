package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Transpose: output axis d is input axis {@code perm[d]} (default: the axes reversed). The
 * permutation is first reduced to its essentials (size-1 axes dropped, input-neighbour axes that
 * stay neighbours merged): when nothing moves the output is a view; when the innermost axis moves,
 * 4-byte types (float32, int32) take a cache-blocked tile transpose; otherwise rows are copied
 * through an {@link IndexMap}. The gradient is the output gradient transposed back.
 */
final class Transpose extends Operator {
    /** The permutation attribute; null for the default reversal. */
    private final int[] perm;

    Transpose(Node node) {
        super(node);
        this.perm = node.attributes().getInts("perm", null);
        if (perm != null) {
            boolean[] seen = new boolean[perm.length];
            for (int p : perm) {
                if (p < 0 || p >= perm.length || seen[p]) {
                    throw new IllegalArgumentException("attribute 'perm' " + Arrays.toString(perm)
                            + " is not a permutation of 0.." + (perm.length - 1));
                }
                seen[p] = true;
            }
        }
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        return outputs(transpose(x, permFor(x.rank()), ctx.device()));
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0)) {
            return new Tensor[1];
        }
        int[] p = permFor(gy.rank());
        int[] inverse = new int[p.length];
        for (int d = 0; d < p.length; d++) {
            inverse[p[d]] = d;
        }
        return new Tensor[] {transpose(gy, inverse, g.device())};
    }

    private int[] permFor(int rank) {
        if (perm == null) {
            int[] p = new int[rank];
            for (int d = 0; d < rank; d++) {
                p[d] = rank - 1 - d;
            }
            return p;
        }
        if (perm.length != rank) {
            throw new IllegalArgumentException("attribute 'perm' " + Arrays.toString(perm) + " has " + perm.length
                    + " axes, the input has rank " + rank);
        }
        return perm;
    }

    static Tensor transpose(Tensor x, int[] p, Device device) {
        int[] in = x.shape();
        int[] outShape = new int[p.length];
        for (int d = 0; d < p.length; d++) {
            outShape[d] = in[p[d]];
        }
        Collapsed c = Collapsed.of(in, p);
        int m = c.perm.length;
        if (m <= 1 || x.size() == 0) {
            return x.reshape(outShape);
        }
        if (c.perm[m - 1] != m - 1 && x.dtype().byteSize() == 4) {
            return BlockedTranspose.run(x, c.shape, c.perm, outShape, device);
        }
        int[] strides = Shapes.strides(c.shape);
        List<IndexMap.Axis> axes = new ArrayList<>(m);
        for (int d = 0; d < m; d++) {
            axes.add(IndexMap.Axis.affine(c.shape[c.perm[d]], 0, strides[c.perm[d]]));
        }
        return new IndexMap(axes, true).gather(x, null, outShape, device);
    }

    /** A permutation with size-1 axes dropped and axes that move together merged. */
    record Collapsed(int[] shape, int[] perm) {
        static Collapsed of(int[] shape, int[] perm) {
            // input axes kept (size > 1), in output order
            List<Integer> order = new ArrayList<>();
            for (int p : perm) {
                if (shape[p] != 1) {
                    order.add(p);
                }
            }
            // groups of consecutive input axes that are also consecutive in the output
            List<int[]> groups = new ArrayList<>(); // {first input axis, merged size}
            int prev = -2;
            for (int p : order) {
                if (!groups.isEmpty() && nextKept(shape, prev) == p) {
                    groups.get(groups.size() - 1)[1] *= shape[p];
                } else {
                    groups.add(new int[] {p, shape[p]});
                }
                prev = p;
            }
            // the collapsed input axes are the groups sorted by their first input axis
            int n = groups.size();
            Integer[] byInput = new Integer[n];
            for (int i = 0; i < n; i++) {
                byInput[i] = i;
            }
            Arrays.sort(byInput, (a, b) -> Integer.compare(groups.get(a)[0], groups.get(b)[0]));
            int[] cShape = new int[n];
            int[] rankOf = new int[n];
            for (int k = 0; k < n; k++) {
                cShape[k] = groups.get(byInput[k])[1];
                rankOf[byInput[k]] = k;
            }
            int[] cPerm = new int[n];
            for (int i = 0; i < n; i++) {
                cPerm[i] = rankOf[i];
            }
            return new Collapsed(cShape, cPerm);
        }

        /** The next input axis after {@code axis} that is not of size 1. */
        private static int nextKept(int[] shape, int axis) {
            int a = axis + 1;
            while (a < shape.length && shape[a] == 1) {
                a++;
            }
            return a;
        }
    }
}
