package dev.sonnx.runtime.cuda;

import static org.bytedeco.cuda.global.cudart.cudaMemcpy2DAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToDevice;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * Concat of float32 tensors: each input is one 2-D copy (its rows of dim(axis)*inner elements into
 * the output's wider rows), and backward copies the same blocks back out.
 */
final class CudaConcat extends CudaOp {
    private final long axisAttribute;

    CudaConcat(Operator cpu, CudaDevice device) {
        super(cpu, device);
        this.axisAttribute = cpu.node().attributes().getLong("axis", 1);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        if (inputs.length == 0 || !allFloat32(inputs, inputs.length)) {
            return onHost(inputs, ctx);
        }
        Tensor first = required(inputs, 0);
        int rank = first.rank();
        if (rank == 0 || axisAttribute < -rank || axisAttribute >= rank) {
            return onHost(inputs, ctx);   // the CPU operator words the error
        }
        int axis = (int) (axisAttribute < 0 ? axisAttribute + rank : axisAttribute);
        int[] outShape = first.shape().clone();
        outShape[axis] = 0;
        for (Value v : inputs) {
            Tensor t = (Tensor) v;
            if (t == null || t.rank() != rank) {
                return onHost(inputs, ctx);
            }
            for (int k = 0; k < rank; k++) {
                if (k != axis && t.dim(k) != first.dim(k)) {
                    return onHost(inputs, ctx);
                }
            }
            outShape[axis] += t.dim(axis);
        }
        Tensor y = device.uninitialized(DataType.FLOAT, outShape);
        long outer = Shapes.product(outShape, 0, axis);
        long inner = Shapes.product(outShape, axis + 1, rank);
        long outRow = outShape[axis] * inner * 4L;
        long offset = 0;
        for (Value v : inputs) {
            Tensor t = device.on((Tensor) v);
            long row = t.dim(axis) * inner * 4L;
            copy2d(address(y) + offset, outRow, address(t), row, row, outer);
            offset += row;
        }
        return outputs(y);
    }

    private void copy2d(long dst, long dstPitch, long src, long srcPitch, long width, long height) {
        if (width == 0 || height == 0) {
            return;
        }
        Cuda.check(cudaMemcpy2DAsync(new DevicePointer(dst), dstPitch, new DevicePointer(src), srcPitch, width, height,
                cudaMemcpyDeviceToDevice, device.stream()), "cudaMemcpy2DAsync (Concat)");
    }

    @Override
    protected void deviceBackward(BackwardContext g, Tensor gy, Tensor[] r) {
        int rank = gy.rank();
        int axis = (int) (axisAttribute < 0 ? axisAttribute + rank : axisAttribute);
        long outer = Shapes.product(gy.shape(), 0, axis);
        long inner = Shapes.product(gy.shape(), axis + 1, rank);
        long outRow = gy.dim(axis) * inner * 4L;
        long offset = 0;
        for (int i = 0; i < r.length; i++) {
            Tensor x = g.input(i);
            long row = x.dim(axis) * inner * 4L;
            if (g.needsGrad(i)) {
                Tensor gx = device.uninitialized(DataType.FLOAT, x.shape());
                copy2d(address(gx), row, address(gy) + offset, outRow, row, outer);
                r[i] = gx;
            }
            offset += row;
        }
    }
}
