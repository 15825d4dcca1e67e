package dev.sonnx.runtime.ops.control;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * Block copies along one axis, for any element type: slices (Scan inputs, SplitToSequence) and joins
 * (ConcatFromSequence, the stacked scan outputs of Loop and Scan). A row-major tensor seen around
 * {@code axis} is {@code outer} blocks of {@code dim * inner} elements, so every copy is a run of
 * contiguous chunks moved in bulk.
 */
final class AxisBlocks {
    /** The rough cost of copying one element, for the device's decision to split a copy across threads. */
    private static final long COPY_COST = 1;

    private AxisBlocks() {
    }

    /**
     * Elements {@code [start, start + length)} along {@code axis} of {@code t} as a new tensor; with
     * {@code keepAxis} false the axis is dropped (then {@code length} must be 1).
     */
    static Tensor slice(Tensor input, int axis, int start, int length, boolean keepAxis, Device device) {
        Tensor t = input.toHost();
        int[] shape = t.shape();
        int dim = shape[axis];
        int inner = Shapes.product(shape, axis + 1, shape.length);
        int outer = Shapes.product(shape, 0, axis);
        int[] outShape;
        if (keepAxis) {
            outShape = shape.clone();
            outShape[axis] = length;
        } else {
            outShape = new int[shape.length - 1];
            System.arraycopy(shape, 0, outShape, 0, axis);
            System.arraycopy(shape, axis + 1, outShape, axis, shape.length - axis - 1);
        }
        Tensor out = Tensor.uninitialized(t.dtype(), outShape);
        int chunk = length * inner;
        if (chunk == 0 || outer == 0) {
            return out;
        }
        if (outer == 1) {
            copy(t, start * inner, out, 0, chunk);
            return out;
        }
        device.parallelFor(outer, COPY_COST * chunk, (s, e) -> {
            for (int o = s; o < e; o++) {
                copy(t, (o * dim + start) * inner, out, o * chunk, chunk);
            }
        });
        return out;
    }

    /**
     * The tensors joined along {@code axis}: they share a type and a rank and their shapes differ at
     * most along {@code axis}. {@code what} names them in errors.
     */
    static Tensor concat(List<Tensor> parts, int axis, Device device, String what) {
        parts = onHost(parts);
        Tensor first = parts.get(0);
        int rank = first.rank();
        int total = 0;
        for (int i = 0; i < parts.size(); i++) {
            Tensor p = parts.get(i);
            checkJoinable(first, p, i, axis, what);
            total = Math.addExact(total, p.shape()[axis]);
        }
        int[] outShape = first.shape().clone();
        outShape[axis] = total;
        return join(parts, outShape, axis, rank, device);
    }

    /** The tensors, all of one type and shape, stacked along a new axis inserted at {@code axis}. */
    static Tensor stack(List<Tensor> parts, int axis, Device device, String what) {
        parts = onHost(parts);
        Tensor first = parts.get(0);
        for (int i = 1; i < parts.size(); i++) {
            Tensor p = parts.get(i);
            if (p.dtype() != first.dtype() || !Arrays.equals(p.shape(), first.shape())) {
                throw new IllegalArgumentException(what + " " + i + " is " + p.describe() + ", but " + what
                        + " 0 is " + first.describe() + " (all must have one type and shape)");
            }
        }
        int[] shape = first.shape();
        int[] outShape = new int[shape.length + 1];
        System.arraycopy(shape, 0, outShape, 0, axis);
        outShape[axis] = parts.size();
        System.arraycopy(shape, axis, outShape, axis + 1, shape.length - axis);
        // Each part is a block of extent 1 along the new axis: a concatenation of reshaped parts.
        Tensor[] reshaped = new Tensor[parts.size()];
        int[] partShape = outShape.clone();
        partShape[axis] = 1;
        for (int i = 0; i < reshaped.length; i++) {
            reshaped[i] = parts.get(i).reshape(partShape);
        }
        return join(Arrays.asList(reshaped), outShape, axis, outShape.length, device);
    }

    private static Tensor join(List<Tensor> parts, int[] outShape, int axis, int rank, Device device) {
        Tensor out = Tensor.uninitialized(parts.get(0).dtype(), outShape);
        int outer = Shapes.product(outShape, 0, axis);
        int inner = Shapes.product(outShape, axis + 1, rank);
        int outRow = outShape[axis] * inner;
        int n = parts.size();
        int[] chunk = new int[n];
        int[] offsetInRow = new int[n];
        int acc = 0;
        for (int i = 0; i < n; i++) {
            chunk[i] = parts.get(i).shape()[axis] * inner;
            offsetInRow[i] = acc;
            acc += chunk[i];
        }
        if (out.size() == 0) {
            return out;
        }
        device.parallelFor(outer, COPY_COST * outRow, (s, e) -> {
            for (int o = s; o < e; o++) {
                for (int i = 0; i < n; i++) {
                    if (chunk[i] > 0) {
                        copy(parts.get(i), o * chunk[i], out, o * outRow + offsetInRow[i], chunk[i]);
                    }
                }
            }
        });
        return out;
    }

    private static List<Tensor> onHost(List<Tensor> parts) {
        boolean host = true;
        for (Tensor p : parts) {
            host &= p.isHost();
        }
        return host ? parts : parts.stream().map(Tensor::toHost).toList();
    }

    private static void checkJoinable(Tensor first, Tensor p, int index, int axis, String what) {
        if (p.dtype() != first.dtype()) {
            throw new IllegalArgumentException(what + " " + index + " has type " + p.dtype().onnxName() + ", but "
                    + what + " 0 has " + first.dtype().onnxName());
        }
        if (p.rank() != first.rank()) {
            throw new IllegalArgumentException(what + " " + index + " has shape " + Shapes.toString(p.shape())
                    + " of another rank than " + what + " 0's " + Shapes.toString(first.shape()));
        }
        for (int d = 0; d < p.rank(); d++) {
            if (d != axis && p.shape()[d] != first.shape()[d]) {
                throw new IllegalArgumentException(what + " " + index + " has shape " + Shapes.toString(p.shape())
                        + ", which differs from " + what + " 0's " + Shapes.toString(first.shape())
                        + " outside axis " + axis);
            }
        }
    }

    /** Copies {@code n} elements, src[srcOff..] to dst[dstOff..]; both host tensors of one type. */
    static void copy(Tensor src, int srcOff, Tensor dst, int dstOff, int n) {
        if (src.dtype() == DataType.STRING) {
            System.arraycopy(src.strings(), srcOff, dst.strings(), dstOff, n);
        } else {
            int b = src.dtype().byteSize();
            dst.bytes().put(dstOff * b, src.bytes(), srcOff * b, n * b);
        }
    }
}
