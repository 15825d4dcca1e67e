package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.onnx.proto.Onnx.TensorShapeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;

/** Made-up feeds for a model input: zeros of its declared type, symbolic dimensions taken as 1. */
public final class SampleFeeds {
    private SampleFeeds() {
    }

    /** Zeros shaped as {@code input} declares; null when the input is not a tensor of known type and rank. */
    public static Tensor zeros(ValueInfoProto input) {
        if (!input.getType().hasTensorType() || !input.getType().getTensorType().hasShape()) {
            return null;
        }
        int code = input.getType().getTensorType().getElemType();
        if (code == 0) {
            return null;
        }
        TensorShapeProto s = input.getType().getTensorType().getShape();
        int[] shape = new int[s.getDimCount()];
        for (int i = 0; i < shape.length; i++) {
            long d = s.getDim(i).hasDimValue() ? s.getDim(i).getDimValue() : 1;
            if (d < 0 || d > 1 << 20) {
                return null;
            }
            shape[i] = (int) d;
        }
        try {
            return Tensor.zeros(DataType.fromCode(code), shape);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
