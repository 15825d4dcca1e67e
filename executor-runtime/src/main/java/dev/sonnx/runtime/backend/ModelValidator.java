package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.OperatorSetIdProto;
import java.util.Set;

/** Checks at load what does not need the graph compiled: IR version and opset imports. */
public final class ModelValidator {
    /** The newest IR version whose files sonnx reads (IR 11: ONNX 1.18). */
    public static final long MAX_IR_VERSION = 11;

    private static final Set<String> KNOWN_DOMAINS = Set.of("", "ai.onnx", "ai.onnx.ml",
            "ai.onnx.preview.training", "com.microsoft");

    private ModelValidator() {
    }

    /** The model's opsets, after checking its IR version and imports; errors name the model. */
    public static Opsets check(ModelProto model, String name) {
        long ir = model.getIrVersion();
        if (!model.hasIrVersion() || ir <= 0) {
            throw new SonnxException("model " + name + " has no IR version (ir_version = " + ir + ")");
        }
        if (ir > MAX_IR_VERSION) {
            throw new SonnxException("model " + name + " has IR version " + ir + "; sonnx reads up to "
                    + MAX_IR_VERSION);
        }
        for (OperatorSetIdProto o : model.getOpsetImportList()) {
            String d = Opsets.normalize(o.getDomain());
            boolean localFunctions = model.getFunctionsList().stream().anyMatch(f -> f.getDomain().equals(d));
            if (!KNOWN_DOMAINS.contains(d) && !localFunctions) {
                throw new SonnxException("model " + name + " imports unknown operator domain '" + o.getDomain()
                        + "' (version " + o.getVersion() + ")");
            }
            if (d.isEmpty() && (o.getVersion() < 1 || o.getVersion() > Opsets.MAX_ONNX_OPSET)) {
                throw new SonnxException("model " + name + " imports ONNX opset " + o.getVersion()
                        + "; sonnx supports opsets 1 to " + Opsets.MAX_ONNX_OPSET);
            }
        }
        Opsets opsets = new Opsets(model.getOpsetImportList(), ir);
        if (opsets.all().isEmpty()) {
            throw new SonnxException("model " + name + " imports no operator set");
        }
        return opsets;
    }
}
