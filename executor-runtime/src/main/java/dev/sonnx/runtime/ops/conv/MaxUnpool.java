package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.Attributes;
import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.LongBuffer;
import java.util.Arrays;

/**
 * MaxUnpool (9): scatters X into a zero tensor at the flat positions I (as MaxPool's Indices output
 * gives them). The output shape is the optional {@code output_shape} input, else
 * (in - 1) * stride + kernel - pad_begin - pad_end per spatial dimension.
 */
final class MaxUnpool extends Operator {
    private final int[] kernel;
    private final int[] strides;
    private final int[] pads;

    MaxUnpool(Node node) {
        super(node);
        Attributes a = node.attributes();
        this.kernel = a.getInts("kernel_shape", null);
        if (kernel == null) {
            throw new IllegalArgumentException("required attribute 'kernel_shape' is missing");
        }
        int r = kernel.length;
        this.strides = a.getInts("strides", null);
        this.pads = a.getInts("pads", null);
        if (strides != null && strides.length != r) {
            throw new IllegalArgumentException("attribute 'strides' has " + strides.length + " values, expected " + r);
        }
        if (pads != null && pads.length != 2 * r) {
            throw new IllegalArgumentException("attribute 'pads' has " + pads.length + " values, expected " + 2 * r);
        }
        for (int i = 0; i < r; i++) {
            if (kernel[i] <= 0 || (strides != null && strides[i] <= 0)) {
                throw new IllegalArgumentException("attributes 'kernel_shape' " + Arrays.toString(kernel)
                        + " and 'strides' " + Arrays.toString(strides) + " must be positive");
            }
        }
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Tensor idx = required(inputs, 1);
        Tensor shape = tensor(inputs, 2);
        TypeCheck.require(x, TypeCheck.FLOATS, "input X");
        TypeCheck.require(idx, java.util.EnumSet.of(DataType.INT64), "input I");
        ConvShapes.requireImage(x, "X");
        if (!Arrays.equals(x.shape(), idx.shape())) {
            throw new IllegalArgumentException("input I has shape " + Arrays.toString(idx.shape())
                    + ", expected the shape of X " + Arrays.toString(x.shape()));
        }
        int[] out = shape != null ? requested(shape, x) : inferred(x);
        Tensor y = Tensor.zeros(x.dtype(), out);
        LongBuffer ib = idx.longs();
        int n = x.size();
        long limit = y.size();
        double[] v = new double[n];
        Planes.load(x, 0, n, v);
        double[] yv = new double[y.size()];
        for (int i = 0; i < n; i++) {
            long at = ib.get(i);
            if (at < 0 || at >= limit) {
                throw new IllegalArgumentException("input I holds index " + at + " at position " + i
                        + ", outside the output of " + limit + " elements " + Arrays.toString(out));
            }
            yv[(int) at] = v[i];
        }
        Planes.store(yv, yv.length, y, 0);
        return outputs(y);
    }

    private int[] inferred(Tensor x) {
        int r = x.rank() - 2;
        checkRank(r);
        int[] out = x.shape().clone();
        for (int d = 0; d < r; d++) {
            int s = strides == null ? 1 : strides[d];
            int pb = pads == null ? 0 : pads[d];
            int pe = pads == null ? 0 : pads[d + r];
            long size = (long) (x.shape()[d + 2] - 1) * s + kernel[d] - pb - pe;
            if (size < 0 || size > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("output spatial dimension " + d + " would have size " + size);
            }
            out[d + 2] = (int) size;
        }
        return out;
    }

    private int[] requested(Tensor shape, Tensor x) {
        checkRank(x.rank() - 2);
        if (shape.rank() != 1 || shape.size() != x.rank()) {
            throw new IllegalArgumentException("input output_shape has shape " + Arrays.toString(shape.shape())
                    + ", expected [" + x.rank() + "] (the full output shape)");
        }
        int[] out = shape.toIntArray();
        if (out[0] != x.shape()[0] || out[1] != x.shape()[1]) {
            throw new IllegalArgumentException("input output_shape " + Arrays.toString(out)
                    + " must keep X's batch and channel dimensions " + x.shape()[0] + ", " + x.shape()[1]);
        }
        for (int v : out) {
            if (v < 0) {
                throw new IllegalArgumentException("input output_shape " + Arrays.toString(out)
                        + " has a negative size");
            }
        }
        return out;
    }

    private void checkRank(int r) {
        if (r != kernel.length) {
            throw new IllegalArgumentException("input X has " + r + " spatial dimensions but 'kernel_shape' has "
                    + kernel.length);
        }
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /** dX[i] = dY[I[i]]. */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] grads = new Tensor[3];
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0)) {
            return grads;
        }
        Tensor x = g.input(0);
        LongBuffer ib = g.input(1).longs();
        double[] dy = new double[gy.size()];
        Planes.load(gy, 0, dy.length, dy);
        double[] dx = new double[x.size()];
        for (int i = 0; i < dx.length; i++) {
            dx[i] = dy[(int) ib.get(i)];
        }
        Tensor gx = Tensor.zeros(x.dtype(), x.shape());
        Planes.store(dx, dx.length, gx, 0);
        grads[0] = gx;
        return grads;
    }
}
