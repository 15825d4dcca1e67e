package dev.sonnx.driver.rank;

import dev.sonnx.runtime.model.SonnxModel;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.opt.Parameter;
import dev.sonnx.runtime.opt.Optimizer;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.train.Checkpoints;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Exports a fine-tuned model with the weights of the layers added in code. {@code SingaFrontend}
 * names a new layer's parameters in the nodes it writes ({@code head.W}) but leaves them out of the
 * initializers, so the file would not load (and a checkpoint could not be restored): this adds every
 * parameter or buffer that a node reads and nothing defines.
 */
final class LayerExport {
    private LayerExport() {
    }

    /** {@link Checkpoints#write}, completed with the added layers' parameters. */
    static ModelProto checkpoint(SonnxModel model, Optimizer optimizer, long step, Tensor sample) {
        return withLayerParameters(Checkpoints.write(model, optimizer, step, sample), model);
    }

    static ModelProto withLayerParameters(ModelProto exported, SonnxModel model) {
        GraphProto g = exported.getGraph();
        Set<String> defined = new HashSet<>();
        g.getInitializerList().forEach(t -> defined.add(t.getName()));
        g.getInputList().forEach(v -> defined.add(v.getName()));
        Set<String> read = new HashSet<>();
        for (NodeProto n : g.getNodeList()) {
            defined.addAll(n.getOutputList());
            read.addAll(n.getInputList());
        }
        GraphProto.Builder b = g.toBuilder();
        boolean added = false;
        for (List<Parameter> group : List.of(model.parameters(), model.buffers())) {
            for (Parameter p : group) {
                if (read.contains(p.name()) && defined.add(p.name())) {
                    TensorProto t = TensorProtos.fromTensor(p.value().toHost(), p.name());
                    b.addInitializer(t);
                    added = true;
                }
            }
        }
        return added ? exported.toBuilder().setGraph(b).build() : exported;
    }
}
