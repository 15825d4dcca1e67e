package dev.sonnx.bench;

import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorShapeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model exported for batch 1 rewritten to take any batch, for benchmarks at larger batches. Both
 * engines run the same rewritten model, so the comparison stays fair; a graph that still hard-codes
 * the batch somewhere fails in both.
 *
 * <p>The rewrite: the first dimension of every fed input, and of every graph output where it is 1,
 * becomes the symbol {@code batch}; the graph's value_info goes (its shapes say batch 1, and the
 * engines infer them again); and where the inputs were fixed at batch 1, a Reshape whose constant
 * target shape starts with 1 gets 0 there instead ("copy the input's first dimension", ONNX's Reshape
 * without allowzero). PyTorch's exporter writes such shapes for attention's head split and merge
 * (bert-squad-mini: [1, 64, 4, 32] and [1, 64, 128]); their input's first dimension is the batch.
 */
final class FreeBatch {
    /** The rewritten model and how many Reshape shapes it changed. */
    record Result(ModelProto model, int reshapes) {
    }

    private FreeBatch() {
    }

    static Result of(ModelProto model, List<ValueInfoProto> fed) {
        Set<String> fedNames = new HashSet<>();
        boolean fixedAtOne = false;
        for (ValueInfoProto v : fed) {
            fedNames.add(v.getName());
            TensorShapeProto s = v.getType().getTensorType().getShape();
            fixedAtOne |= s.getDimCount() > 0 && s.getDim(0).hasDimValue() && s.getDim(0).getDimValue() == 1;
        }
        GraphProto.Builder g = model.getGraph().toBuilder();
        for (int i = 0; i < g.getInputCount(); i++) {
            if (fedNames.contains(g.getInput(i).getName())) {
                g.setInput(i, withSymbolicBatch(g.getInput(i), false));
            }
        }
        for (int i = 0; i < g.getOutputCount(); i++) {
            g.setOutput(i, withSymbolicBatch(g.getOutput(i), true));
        }
        g.clearValueInfo();
        int reshapes = fixedAtOne ? freeReshapes(g) : 0;
        return new Result(model.toBuilder().setGraph(g).build(), reshapes);
    }

    /** {@code v} with its first dimension the symbol {@code batch} (where it was 1, if {@code onlyOne}). */
    private static ValueInfoProto withSymbolicBatch(ValueInfoProto v, boolean onlyOne) {
        if (!v.getType().hasTensorType() || v.getType().getTensorType().getShape().getDimCount() == 0) {
            return v;
        }
        TensorShapeProto.Dimension first = v.getType().getTensorType().getShape().getDim(0);
        if (onlyOne && !(first.hasDimValue() && first.getDimValue() == 1)) {
            return v;
        }
        ValueInfoProto.Builder b = v.toBuilder();
        b.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder().getDimBuilder(0).clearDimValue()
                .setDimParam("batch");
        return b.build();
    }

    /** Rewrites the constant Reshape shapes that start with 1 to start with 0; returns how many. */
    private static int freeReshapes(GraphProto.Builder g) {
        Set<String> targets = new HashSet<>();
        for (NodeProto n : g.getNodeList()) {
            boolean allowZero = n.getAttributeList().stream()
                    .anyMatch(a -> a.getName().equals("allowzero") && a.getI() != 0);
            if (n.getOpType().equals("Reshape") && n.getDomain().isEmpty() && n.getInputCount() == 2 && !allowZero) {
                targets.add(n.getInput(1));
            }
        }
        Map<String, Integer> uses = new HashMap<>();
        g.getNodeList().forEach(n -> n.getInputList().forEach(in -> uses.merge(in, 1, Integer::sum)));
        int changed = 0;
        for (int i = 0; i < g.getInitializerCount(); i++) {
            TensorProto t = g.getInitializer(i);
            TensorProto freed = targets.contains(t.getName()) && uses.get(t.getName()) == 1 ? freed(t) : null;
            if (freed != null) {
                g.setInitializer(i, freed);
                changed++;
            }
        }
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto n = g.getNode(i);
            if (!n.getOpType().equals("Constant") || n.getOutputCount() != 1 || !targets.contains(n.getOutput(0))
                    || uses.get(n.getOutput(0)) != 1) {
                continue;
            }
            for (int a = 0; a < n.getAttributeCount(); a++) {
                AttributeProto attr = n.getAttribute(a);
                TensorProto freed = attr.getName().equals("value") && attr.hasT() ? freed(attr.getT()) : null;
                if (freed != null) {
                    g.setNode(i, n.toBuilder().setAttribute(a, attr.toBuilder().setT(freed)).build());
                    changed++;
                }
            }
        }
        return changed;
    }

    /** A shape constant [1, ...] as [0, ...]; null when it does not start with 1. */
    private static TensorProto freed(TensorProto shape) {
        if (shape.getDataType() != TensorProto.DataType.INT64_VALUE || shape.getDimsCount() != 1) {
            return null;
        }
        long[] dims = TensorProtos.toTensor(shape).toLongArray();
        if (dims.length < 2 || dims[0] != 1) {
            return null;
        }
        dims[0] = 0;
        return TensorProtos.fromTensor(Tensor.of(dims, dims.length), shape.getName());
    }
}
