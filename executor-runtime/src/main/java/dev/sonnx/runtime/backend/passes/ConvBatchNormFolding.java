package dev.sonnx.runtime.backend.passes;

import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Inference-time rewrite of Conv -> BatchNormalization into one Conv: with s = scale / sqrt(var + eps),
 * W' = W * s (per output channel) and b' = (b - mean) * s + bias. Applies only when every weight and
 * statistic is a float32 initializer, the Conv's output feeds nothing but the BatchNormalization, and
 * the BatchNormalization is in inference form (one output, no training_mode).
 */
public final class ConvBatchNormFolding {
    private ConvBatchNormFolding() {
    }

    public static ModelProto apply(ModelProto model) {
        GraphProto g = model.getGraph();
        Map<String, TensorProto> inits = new LinkedHashMap<>();
        for (TensorProto t : g.getInitializerList()) {
            inits.put(t.getName(), t);
        }
        Set<String> graphInputs = new HashSet<>();
        for (ValueInfoProto v : g.getInputList()) {
            graphInputs.add(v.getName());
        }
        Set<String> graphOutputs = new HashSet<>();
        for (ValueInfoProto v : g.getOutputList()) {
            graphOutputs.add(v.getName());
        }
        Map<String, Integer> uses = new HashMap<>();
        for (NodeProto n : g.getNodeList()) {
            for (String in : n.getInputList()) {
                uses.merge(in, 1, Integer::sum);
            }
        }
        Map<String, NodeProto> convByOutput = new HashMap<>();
        for (NodeProto n : g.getNodeList()) {
            if (n.getOpType().equals("Conv") && n.getDomain().isEmpty() && n.getOutputCount() == 1) {
                convByOutput.put(n.getOutput(0), n);
            }
        }
        Map<NodeProto, NodeProto> replace = new HashMap<>();
        Set<NodeProto> drop = new HashSet<>();
        Set<String> consumedInits = new HashSet<>();
        int folded = 0;
        for (NodeProto bn : g.getNodeList()) {
            if (!bn.getOpType().equals("BatchNormalization") || !bn.getDomain().isEmpty()
                    || bn.getOutputCount() != 1 || intAttr(bn, "training_mode", 0) != 0 || bn.getInputCount() != 5) {
                continue;
            }
            NodeProto conv = convByOutput.get(bn.getInput(0));
            if (conv == null || uses.getOrDefault(conv.getOutput(0), 0) != 1 || graphOutputs.contains(conv.getOutput(0))
                    || conv.getInputCount() < 2) {
                continue;
            }
            List<String> params = List.of(conv.getInput(1), bn.getInput(1), bn.getInput(2), bn.getInput(3),
                    bn.getInput(4));
            boolean constant = params.stream().allMatch(p -> isFloatInit(inits, p) && !graphInputs.contains(p));
            boolean hasBias = conv.getInputCount() > 2 && !conv.getInput(2).isEmpty();
            if (!constant || hasBias && (!isFloatInit(inits, conv.getInput(2)) || graphInputs.contains(conv.getInput(2)))) {
                continue;
            }
            // W is read where it is (foldWeights), not copied: only its shape is needed here; a W whose
            // data does not match its shape is left to the plan compiler, which names it
            TensorProto wProto = inits.get(conv.getInput(1));
            long count = TensorProtos.elementCount(wProto);
            if (wProto.getDimsCount() < 1 || wProto.getDims(0) <= 0 || count > Integer.MAX_VALUE
                    || !holdsFloats(wProto, count)) {
                continue;
            }
            int[] wShape = wProto.getDimsList().stream().mapToInt(Long::intValue).toArray();
            Tensor scale = TensorProtos.toTensor(inits.get(bn.getInput(1)));
            Tensor bias = TensorProtos.toTensor(inits.get(bn.getInput(2)));
            Tensor mean = TensorProtos.toTensor(inits.get(bn.getInput(3)));
            Tensor var = TensorProtos.toTensor(inits.get(bn.getInput(4)));
            int out = wShape[0];
            if (scale.size() != out || bias.size() != out || mean.size() != out || var.size() != out) {
                continue;
            }
            float eps = floatAttr(bn, "epsilon", 1e-5f);
            Tensor b = hasBias ? TensorProtos.toTensor(inits.get(conv.getInput(2))) : Tensor.zeros(DataType.FLOAT, out);
            Tensor w2 = Tensor.zeros(DataType.FLOAT, wShape);
            Tensor b2 = Tensor.zeros(DataType.FLOAT, out);
            TensorProto scaleProto = inits.get(bn.getInput(1));
            TensorProto varProto = inits.get(bn.getInput(4));
            int per = (int) (count / out);
            foldWeights(wProto, scaleProto, varProto, eps, out, per, w2.bytes());
            for (int c = 0; c < out; c++) {
                double s = channelScale(scale.getDouble(c), var.getDouble(c), eps);
                b2.setDouble(c, (b.getDouble(c) - mean.getDouble(c)) * s + bias.getDouble(c));
            }
            String wName = unique(inits, conv.getInput(1) + "_bnfolded");
            String bName = unique(inits, (hasBias ? conv.getInput(2) : conv.getOutput(0) + "_bias") + "_bnfolded");
            // views of w2 and b2, which live as long as the arena of the rewrites (prepare's scratch)
            TensorProto wView = TensorProtos.view(w2, wName);
            inits.put(wName, wView);
            inits.put(bName, TensorProtos.view(b2, bName));
            // W' is recomputed from the model's own tensors where a reader dropped it (see ConstantRecipes)
            ConstantRecipes.record(wView, List.of(wProto, scaleProto, varProto),
                    target -> foldWeights(wProto, scaleProto, varProto, eps, out, per, target));
            consumedInits.add(conv.getInput(1));
            consumedInits.addAll(params.subList(1, 5));
            if (hasBias) {
                consumedInits.add(conv.getInput(2));
            }
            NodeProto.Builder fused = conv.toBuilder().clearInput().addInput(conv.getInput(0)).addInput(wName)
                    .addInput(bName).clearOutput().addOutput(bn.getOutput(0));
            replace.put(conv, fused.build());
            drop.add(bn);
            folded++;
        }
        if (folded == 0) {
            return model;
        }
        GraphProto.Builder out = g.toBuilder().clearNode().clearInitializer();
        for (NodeProto n : g.getNodeList()) {
            if (!drop.contains(n)) {
                out.addNode(replace.getOrDefault(n, n));
            }
        }
        Set<String> stillUsed = new HashSet<>();
        for (NodeProto n : out.getNodeList()) {
            stillUsed.addAll(n.getInputList());
            n.getAttributeList().forEach(a -> {
                if (a.hasG()) {
                    stillUsed.addAll(dev.sonnx.runtime.backend.GraphScopes.freeNames(a.getG()));
                }
            });
        }
        stillUsed.addAll(graphOutputs);
        for (TensorProto t : inits.values()) {
            if (!consumedInits.contains(t.getName()) || stillUsed.contains(t.getName()) || graphInputs.contains(t.getName())) {
                out.addInitializer(t);
            }
        }
        return model.toBuilder().setGraph(out).build();
    }

    /** s = scale / sqrt(var + eps), in double: one expression for the weights and the bias alike. */
    private static double channelScale(double scale, double var, float eps) {
        return scale / Math.sqrt(var + eps);
    }

    /**
     * W' = W * s, output channel by output channel ({@code per} weights each), into {@code target} as
     * little-endian floats, reading the float32 initializers W, scale and var where they are (raw
     * bytes or float_data) rather than copying them: the same arithmetic whenever it runs, so that
     * a recomputation gives the first result bit for bit.
     */
    static void foldWeights(TensorProto w, TensorProto scale, TensorProto var, float eps, int out, int per,
                            ByteBuffer target) {
        FloatsOf weights = new FloatsOf(w);
        FloatsOf scales = new FloatsOf(scale);
        FloatsOf variances = new FloatsOf(var);
        for (int c = 0; c < out; c++) {
            double s = channelScale(scales.get(c), variances.get(c), eps);
            for (int k = 0, i = c * per; k < per; k++, i++) {
                target.putFloat(4 * i, (float) (weights.get(i) * s));
            }
        }
    }

    /** The values of a float32 initializer, read in place (raw little-endian bytes or float_data). */
    private static final class FloatsOf {
        private final TensorProto proto;
        private final ByteBuffer raw;

        FloatsOf(TensorProto proto) {
            this.proto = proto;
            this.raw = proto.getRawData().isEmpty() ? null
                    // sliced: a wrapped buffer may start past its position 0, where absolute reads count from
                    : proto.getRawData().asReadOnlyByteBuffer().slice().order(ByteOrder.LITTLE_ENDIAN);
        }

        double get(int i) {
            return raw != null ? raw.getFloat(4 * i) : proto.getFloatData(i);
        }
    }

    /** Whether float32 initializer {@code t} holds {@code count} values in its raw bytes or float_data. */
    private static boolean holdsFloats(TensorProto t, long count) {
        return t.getDataLocation() != TensorProto.DataLocation.EXTERNAL
                && (t.getRawData().isEmpty() ? t.getFloatDataCount() == count : t.getRawData().size() == 4 * count);
    }

    private static boolean isFloatInit(Map<String, TensorProto> inits, String name) {
        TensorProto t = inits.get(name);
        return t != null && t.getDataType() == DataType.FLOAT.code();
    }

    private static String unique(Map<String, TensorProto> inits, String base) {
        String name = base;
        for (int i = 1; inits.containsKey(name); i++) {
            name = base + "_" + i;
        }
        return name;
    }

    private static long intAttr(NodeProto n, String name, long def) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getI();
            }
        }
        return def;
    }

    private static float floatAttr(NodeProto n, String name, float def) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getF();
            }
        }
        return def;
    }
}
