package dev.sonnx.runtime.ops.image;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * CenterCropPad (18): brings each listed axis (all by default) to the length {@code shape} gives,
 * cropping or zero-padding around the center; an odd difference puts the extra element at the end
 * (the crop starts at {@code (in - out) / 2}, padding before is {@code (out - in) / 2}). Any type.
 */
final class CenterCropPad extends Operator {
    private final int[] axesAttr;

    CenterCropPad(Node node) {
        super(node);
        this.axesAttr = node.attributes().getInts("axes", null);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Tensor shapeT = required(inputs, 1);
        int[] out = outputShape(x, shapeT);
        Tensor y = Tensor.zeros(x.dtype(), out);
        copyOverlap(x, y);
        return outputs(y);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /** Cropping and padding only move elements: the gradient moves them back (padding gets none). */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] r = new Tensor[2];
        Tensor gy = g.gradOutput(0);
        if (gy != null && g.needsGrad(0)) {
            r[0] = Tensor.zeros(gy.dtype(), g.input(0).shape());
            copyOverlap(gy, r[0]);
        }
        return r;
    }

    private int[] outputShape(Tensor x, Tensor shapeT) {
        if (shapeT.dtype() != DataType.INT32 && shapeT.dtype() != DataType.INT64) {
            throw new IllegalArgumentException("input shape has type " + shapeT.dtype().onnxName()
                    + ", expected int32 or int64");
        }
        int rank = x.rank();
        int[] axes;
        if (axesAttr == null) {
            axes = new int[rank];
            for (int i = 0; i < rank; i++) {
                axes[i] = i;
            }
        } else {
            axes = new int[axesAttr.length];
            boolean[] seen = new boolean[rank];
            for (int i = 0; i < axes.length; i++) {
                axes[i] = Shapes.axis(axesAttr[i], rank);
                if (seen[axes[i]]) {
                    throw new IllegalArgumentException("attribute 'axes' repeats axis " + axesAttr[i]);
                }
                seen[axes[i]] = true;
            }
        }
        long[] sizes = shapeT.toLongArray();
        if (sizes.length != axes.length) {
            throw new IllegalArgumentException("input shape has " + sizes.length + " values; expected " + axes.length
                    + " (one per " + (axesAttr == null ? "dimension of the input" : "axis in 'axes'") + ")");
        }
        int[] out = x.shape().clone();
        for (int i = 0; i < axes.length; i++) {
            if (sizes[i] < 0 || sizes[i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("input shape[" + i + "] = " + sizes[i] + " is out of range");
            }
            out[axes[i]] = (int) sizes[i];
        }
        Shapes.size(out);
        return out;
    }

    /** Copies the centered overlap of two tensors of the same rank (either may be the larger). */
    static void copyOverlap(Tensor from, Tensor to) {
        int rank = from.rank();
        int[] a = from.shape();
        int[] b = to.shape();
        int[] len = new int[rank];
        int[] fromStart = new int[rank];
        int[] toStart = new int[rank];
        for (int d = 0; d < rank; d++) {
            len[d] = Math.min(a[d], b[d]);
            fromStart[d] = a[d] > b[d] ? (a[d] - b[d]) / 2 : 0;
            toStart[d] = b[d] > a[d] ? (b[d] - a[d]) / 2 : 0;
            if (len[d] == 0) {
                return;
            }
        }
        StridedCopy copy = new StridedCopy(from, to);
        if (rank == 0) {
            copy.copy(0, 1, 0, 1, 1);
            return;
        }
        int[] fs = Shapes.strides(a);
        int[] ts = Shapes.strides(b);
        int rows = Shapes.product(len, 0, rank - 1);
        int[] idx = new int[rank];
        for (int row = 0; row < rows; row++) {
            int rem = row;
            int fo = fromStart[rank - 1];
            int to2 = toStart[rank - 1];
            for (int d = rank - 2; d >= 0; d--) {
                idx[d] = rem % len[d];
                rem /= len[d];
                fo += (fromStart[d] + idx[d]) * fs[d];
                to2 += (toStart[d] + idx[d]) * ts[d];
            }
            copy.copy(fo, 1, to2, 1, len[rank - 1]);
        }
    }
}
