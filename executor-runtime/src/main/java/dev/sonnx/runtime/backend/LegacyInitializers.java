package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import java.util.HashSet;
import java.util.Set;

/**
 * Models before IR version 4 list every initializer among the graph's inputs too: the IR then had
 * no other way to declare a value, so exporters of opsets 7 and 8 wrote each weight as an input
 * with a default. sonnx reads those initializers as constants, as ONNX Runtime does for such models
 * (its {@code Graph::CanOverrideInitializer} is {@code ir_version >= 4}). Read as feeds that a run
 * might replace, they would keep every weight out of the rewrites at prepare (Conv + BatchNorm
 * folding, activation fusion, channels-last regions): torchvision's SqueezeNet 1.0 exported at
 * opset 7 ran in 15.6 ms against ONNX Runtime's 8.5.
 */
final class LegacyInitializers {
    /** The first IR version whose initializers need not be graph inputs. */
    static final long SEPARATE_INITIALIZERS = 4;

    private LegacyInitializers() {
    }

    /**
     * {@code model} without the graph inputs that name its initializers, when its IR version is
     * below 4 and it has any; else {@code model} itself.
     */
    static ModelProto asConstants(ModelProto model) {
        GraphProto g = model.getGraph();
        if (model.getIrVersion() >= SEPARATE_INITIALIZERS || g.getInitializerCount() == 0) {
            return model;
        }
        Set<String> initializers = new HashSet<>();
        for (TensorProto t : g.getInitializerList()) {
            initializers.add(t.getName());
        }
        GraphProto.Builder b = g.toBuilder().clearInput();
        for (ValueInfoProto in : g.getInputList()) {
            if (!initializers.contains(in.getName())) {
                b.addInput(in);
            }
        }
        if (b.getInputCount() == g.getInputCount()) {
            return model;
        }
        return model.toBuilder().setGraph(b).build();
    }
}
