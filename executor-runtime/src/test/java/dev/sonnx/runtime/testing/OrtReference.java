package dev.sonnx.runtime.testing;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** ONNX Runtime as an independent consumer of the files sonnx writes (test scope only). */
public final class OrtReference {
    private OrtReference() {
    }

    /** Loads {@code model} in ONNX Runtime (graph optimizations off) and runs it on float/int64 feeds. */
    public static List<Tensor> run(ModelProto model, List<String> inputNames, List<Tensor> inputs) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            try (OrtSession session = env.createSession(model.toByteArray(), opts)) {
                Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
                try {
                    for (int i = 0; i < inputs.size(); i++) {
                        feeds.put(inputNames.get(i), toOrt(env, inputs.get(i)));
                    }
                    try (OrtSession.Result result = session.run(feeds)) {
                        List<Tensor> out = new ArrayList<>();
                        for (Map.Entry<String, OnnxValue> e : result) {
                            out.add(fromOrt((OnnxTensor) e.getValue()));
                        }
                        return out;
                    }
                } finally {
                    feeds.values().forEach(OnnxTensor::close);
                }
            }
        } catch (OrtException e) {
            throw new AssertionError("ONNX Runtime refused the model: " + e.getMessage(), e);
        }
    }

    private static OnnxTensor toOrt(OrtEnvironment env, Tensor t) throws OrtException {
        long[] shape = new long[t.rank()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = t.shape()[i];
        }
        return switch (t.dtype()) {
            case FLOAT -> OnnxTensor.createTensor(env, t.floats(), shape);
            case DOUBLE -> OnnxTensor.createTensor(env, t.doubles(), shape);
            case INT64 -> OnnxTensor.createTensor(env, t.longs(), shape);
            case INT32 -> OnnxTensor.createTensor(env, t.ints(), shape);
            default -> throw new IllegalArgumentException("feed type " + t.dtype() + " not wired for ORT");
        };
    }

    private static Tensor fromOrt(OnnxTensor o) {
        long[] s = o.getInfo().getShape();
        int[] shape = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            shape[i] = (int) s[i];
        }
        ByteBuffer bytes = o.getByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        DataType type = switch (o.getInfo().type) {
            case FLOAT -> DataType.FLOAT;
            case DOUBLE -> DataType.DOUBLE;
            case INT64 -> DataType.INT64;
            case INT32 -> DataType.INT32;
            case BOOL -> DataType.BOOL;
            default -> throw new IllegalArgumentException("ORT output type " + o.getInfo().type);
        };
        Tensor t = Tensor.zeros(type, shape);
        t.bytes().put(0, bytes, 0, t.size() * type.byteSize());
        return t;
    }
}
