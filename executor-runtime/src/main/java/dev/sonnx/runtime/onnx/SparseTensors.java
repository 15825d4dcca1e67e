package dev.sonnx.runtime.onnx;

import dev.sonnx.runtime.onnx.proto.Onnx.SparseTensorProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;

/** Sparse tensors (sparse initializers and Constant's sparse_value) made dense. */
public final class SparseTensors {
    private SparseTensors() {
    }

    /**
     * Dense form of a sparse tensor: values of shape [NNZ] at indices given either linearized ([NNZ])
     * or as coordinates ([NNZ, rank]); every other element is zero (empty string for strings).
     */
    public static Tensor toDense(SparseTensorProto s) {
        int[] shape = Shapes.fromLongs(s.getDimsList().stream().mapToLong(Long::longValue).toArray());
        Tensor values = TensorProtos.toTensor(s.getValues());
        Tensor indices = TensorProtos.toTensor(s.getIndices());
        int nnz = values.size();
        Tensor dense = Tensor.zeros(values.dtype(), shape);
        int total = dense.size();
        int[] strides = Shapes.strides(shape);
        boolean coordinates = indices.rank() == 2;
        if (coordinates && (indices.dim(0) != nnz || indices.dim(1) != shape.length)
                || !coordinates && indices.size() != nnz) {
            throw new OnnxFormatException("sparse tensor '" + s.getValues().getName() + "': indices "
                    + indices.describe() + " do not match " + nnz + " values of rank " + shape.length);
        }
        for (int i = 0; i < nnz; i++) {
            long at = 0;
            if (coordinates) {
                for (int d = 0; d < shape.length; d++) {
                    long c = indices.getLong(i * shape.length + d);
                    if (c < 0 || c >= shape[d]) {
                        throw new OnnxFormatException("sparse tensor index " + c + " out of range for dimension "
                                + shape[d]);
                    }
                    at += c * strides[d];
                }
            } else {
                at = indices.getLong(i);
            }
            if (at < 0 || at >= total) {
                throw new OnnxFormatException("sparse tensor index " + at + " out of range for " + total + " elements");
            }
            if (values.dtype() == DataType.STRING) {
                dense.setString((int) at, values.getString(i));
            } else {
                copyElement(values, i, dense, (int) at);
            }
        }
        return dense;
    }

    private static void copyElement(Tensor src, int i, Tensor dst, int j) {
        int w = src.dtype().byteSize();
        for (int b = 0; b < w; b++) {
            dst.bytes().put(j * w + b, src.bytes().get(i * w + b));
        }
    }
}
