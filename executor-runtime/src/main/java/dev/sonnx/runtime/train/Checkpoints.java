package dev.sonnx.runtime.train;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.export.SingaFrontend;
import dev.sonnx.runtime.model.SonnxModel;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.OperatorSetIdProto;
import dev.sonnx.runtime.onnx.proto.Onnx.StringStringEntryProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.opt.Optimizer;
import dev.sonnx.runtime.opt.Parameter;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training checkpoint is one ONNX file: the model as it would be exported (any runtime loads it),
 * plus the optimizer's state as extra initializers named {@code __sonnx_optimizer__/param/slot} and
 * the step count in {@code metadata_props}. One file, so writing it atomically is one rename.
 */
public final class Checkpoints {
    public static final String OPTIMIZER_PREFIX = "__sonnx_optimizer__/";
    public static final String STEP_KEY = "sonnx.step";

    private Checkpoints() {
    }

    /** The checkpoint of {@code model} after {@code step} updates, traced on {@code sample}. */
    public static ModelProto write(SonnxModel model, Optimizer optimizer, long step, Tensor sample) {
        ModelProto exported = SingaFrontend.toOnnx(model, List.of(sample), sourceOpset(model.onnxModel()));
        GraphProto.Builder g = exported.getGraph().toBuilder();
        for (Map.Entry<String, Tensor> e : optimizer.state().entrySet()) {
            g.addInitializer(TensorProtos.fromTensor(e.getValue(), OPTIMIZER_PREFIX + e.getKey()));
        }
        return exported.toBuilder().setGraph(g)
                .addMetadataProps(StringStringEntryProto.newBuilder().setKey(STEP_KEY).setValue(Long.toString(step)))
                .build();
    }

    /**
     * Loads a checkpoint into a compiled model and its optimizer: every parameter and buffer (running
     * statistics) by name, then the optimizer state. Returns the step count it was written at.
     */
    public static long restore(ModelProto checkpoint, SonnxModel model, Optimizer optimizer) {
        Map<String, TensorProto> byName = new HashMap<>();
        Map<String, Tensor> optimizerState = new LinkedHashMap<>();
        for (TensorProto t : checkpoint.getGraph().getInitializerList()) {
            if (t.getName().startsWith(OPTIMIZER_PREFIX)) {
                optimizerState.put(t.getName().substring(OPTIMIZER_PREFIX.length()), TensorProtos.toTensor(t));
            } else {
                byName.put(t.getName(), t);
            }
        }
        for (TensorProto t : model.onnxModel().getGraph().getInitializerList()) {
            TensorProto saved = byName.get(t.getName());
            Tensor current = model.singaRep().initializer(t.getName());
            if (saved != null && current != null) {
                current.copyFrom(TensorProtos.toTensor(saved).to(current.device()));
            }
        }
        for (List<Parameter> group : List.of(model.parameters(), model.buffers())) {
            for (Parameter p : group) {
                TensorProto saved = byName.get(p.name());
                if (saved == null) {
                    throw new SonnxException("checkpoint has no value for parameter '" + p.name() + "'");
                }
                p.value().copyFrom(TensorProtos.toTensor(saved).to(p.value().device()));
            }
        }
        optimizer.loadState(optimizerState);
        long step = step(checkpoint);
        optimizer.setStep((int) step);
        return step;
    }

    /** The step count a checkpoint was written at (0 for a plain model). */
    public static long step(ModelProto checkpoint) {
        for (StringStringEntryProto e : checkpoint.getMetadataPropsList()) {
            if (e.getKey().equals(STEP_KEY)) {
                return Long.parseLong(e.getValue());
            }
        }
        return 0;
    }

    /** The model without training state: what {@code sonnx export} writes from a checkpoint. */
    public static ModelProto stripTrainingState(ModelProto checkpoint) {
        GraphProto.Builder g = checkpoint.getGraph().toBuilder().clearInitializer();
        for (TensorProto t : checkpoint.getGraph().getInitializerList()) {
            if (!t.getName().startsWith(OPTIMIZER_PREFIX)) {
                g.addInitializer(t);
            }
        }
        ModelProto.Builder m = checkpoint.toBuilder().setGraph(g).clearMetadataProps();
        for (StringStringEntryProto e : checkpoint.getMetadataPropsList()) {
            if (!e.getKey().equals(STEP_KEY)) {
                m.addMetadataProps(e);
            }
        }
        return m.build();
    }

    /** Parses checkpoint bytes. */
    public static ModelProto parse(byte[] bytes) {
        return ModelIO.parse(bytes, "checkpoint", null);
    }

    static int sourceOpset(ModelProto m) {
        for (OperatorSetIdProto o : m.getOpsetImportList()) {
            if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
                return (int) Math.max(7, Math.min(21, o.getVersion()));
            }
        }
        return SingaFrontend.DEFAULT_OPSET;
    }
}
