package dev.sonnx.driver.ml;

import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorShapeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.DataType;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The input a features column feeds: a model's one input without an initializer, float32, fixed per row. */
public final class ModelInputs {
    private ModelInputs() {
    }

    /** The graph input that rows feed; {@code purpose} ("fine-tuning", "batch inference") names the caller in errors. */
    public static ValueInfoProto feed(ModelProto model, String purpose) {
        Set<String> initializers = new HashSet<>();
        for (TensorProto t : model.getGraph().getInitializerList()) {
            initializers.add(t.getName());
        }
        List<ValueInfoProto> feeds = model.getGraph().getInputList().stream()
                .filter(v -> !initializers.contains(v.getName())).toList();
        if (feeds.size() != 1) {
            throw new IllegalArgumentException(purpose + " feeds models with one input; this one takes " + feeds.size()
                    + " (" + String.join(", ", feeds.stream().map(ValueInfoProto::getName).toList()) + ")");
        }
        ValueInfoProto input = feeds.get(0);
        if (input.getType().getTensorType().getElemType() != DataType.FLOAT.code()) {
            throw new IllegalArgumentException("input '" + input.getName() + "' is not float32; " + purpose
                    + " feeds float32 features");
        }
        return input;
    }

    /** The per-row shape of {@link #feed}: its declared dims after the batch axis, all fixed. */
    public static int[] sampleShape(ModelProto model, String purpose) {
        ValueInfoProto input = feed(model, purpose);
        TensorShapeProto s = input.getType().getTensorType().getShape();
        int[] r = new int[Math.max(0, s.getDimCount() - 1)];
        for (int i = 1; i < s.getDimCount(); i++) {
            if (!s.getDim(i).hasDimValue()) {
                throw new IllegalArgumentException("input '" + input.getName() + "' has a symbolic dimension " + i
                        + " (" + s.getDim(i).getDimParam() + "); " + purpose + " needs fixed sample dimensions");
            }
            r[i - 1] = (int) s.getDim(i).getDimValue();
        }
        return r;
    }
}
