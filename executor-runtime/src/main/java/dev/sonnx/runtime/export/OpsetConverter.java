package dev.sonnx.runtime.export;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.ops.OpRegistry;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites nodes between ONNX opsets 7 to 21 where the form of an operator changed: attributes that
 * became inputs (Squeeze/Unsqueeze/ReduceSum axes and Split's split at 13, Dropout's ratio at 12,
 * the other reductions' axes at 18) and semantics that changed (Softmax family at 13, convertible
 * when the axis is the last); the forms that changed up to opset 11 are {@link LegacyForms}', and
 * attributes that later opsets added are {@link AddedAttributes}'. Constant inputs that must become
 * attributes are read from the initializers; anything that cannot be expressed at the target is
 * refused with the node's name.
 */
final class OpsetConverter {
    private static final Set<String> AXES_AT_13 = Set.of("Squeeze", "Unsqueeze", "ReduceSum");
    private static final Set<String> AXES_AT_18 = Set.of("ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
            "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare");
    private static final Set<String> SOFTMAX_FAMILY = Set.of("Softmax", "LogSoftmax", "Hardmax");

    /** Where converted nodes put the constants they create, and where they read constant inputs. */
    interface Constants {
        /** The value of an initializer or Constant output, or null when the value is computed. */
        Tensor constant(String name);

        /** Adds an initializer and returns its name. */
        String add(String suggestedName, Tensor value);

        /** The rank of a value when known (from a sample run), else -1. */
        default int rank(String name) {
            return -1;
        }

        /** The element type of a value when known (from a sample run), else null. */
        default DataType dtype(String name) {
            return null;
        }
    }

    private OpsetConverter() {
    }

    /** {@code node} (written for opset {@code from}) rewritten for opset {@code to}. */
    static NodeProto convert(NodeProto node, int from, int to, Constants constants) {
        return withConvertedBodies(convertNode(node, from, to, constants), from, to, constants);
    }

    /** {@code n} with the nodes of its bodies (If's branches, Loop's and Scan's bodies) converted too. */
    private static NodeProto withConvertedBodies(NodeProto n, int from, int to, Constants outer) {
        if (n.getAttributeList().stream().noneMatch(a -> a.hasG() || a.getGraphsCount() > 0)) {
            return n;
        }
        NodeProto.Builder b = n.toBuilder().clearAttribute();
        for (AttributeProto a : n.getAttributeList()) {
            AttributeProto.Builder converted = a.toBuilder();
            if (a.hasG()) {
                converted.setG(convertBody(a.getG(), from, to, outer));
            }
            for (int i = 0; i < a.getGraphsCount(); i++) {
                converted.setGraphs(i, convertBody(a.getGraphs(i), from, to, outer));
            }
            b.addAttribute(converted);
        }
        return b.build();
    }

    /**
     * A body's nodes converted: its own initializers and Constant nodes are its constants, then the
     * enclosing scope's; constants the conversion adds go to the main graph, which bodies may read.
     */
    private static GraphProto convertBody(GraphProto body, int from, int to, Constants outer) {
        Map<String, TensorProto> own = new HashMap<>();
        body.getInitializerList().forEach(t -> own.put(t.getName(), t));
        Constants local = constantsOf(own, body.getNodeList(), new ArrayList<>(), Map.of());
        Constants scoped = new Constants() {
            @Override
            public Tensor constant(String name) {
                Tensor t = local.constant(name);
                return t != null ? t : outer.constant(name);
            }

            @Override
            public String add(String suggestedName, Tensor value) {
                return outer.add(suggestedName, value);
            }

            @Override
            public int rank(String name) {
                return outer.rank(name);
            }

            @Override
            public DataType dtype(String name) {
                DataType t = local.dtype(name);
                return t != null ? t : outer.dtype(name);
            }
        };
        GraphProto.Builder b = body.toBuilder().clearNode();
        for (NodeProto n : body.getNodeList()) {
            b.addNode(convert(n, from, to, scoped));
        }
        return b.build();
    }

    private static NodeProto convertNode(NodeProto node, int from, int to, Constants constants) {
        if (!node.getDomain().isEmpty() && !node.getDomain().equals("ai.onnx")) {
            return node;
        }
        String op = node.getOpType();
        NodeProto n = node;
        if (AXES_AT_13.contains(op)) {
            n = moveBetweenAttributeAndInput(n, "axes", 1, from, to, 13, constants);
        } else if (AXES_AT_18.contains(op)) {
            n = moveBetweenAttributeAndInput(n, "axes", 1, from, to, 18, constants);
        } else if (op.equals("Split")) {
            n = moveBetweenAttributeAndInput(n, "split", 1, from, to, 13, constants);
            if (to >= 18 && from < 18 && n.getInputCount() < 2) {
                throw refuse(n, to, "Split without sizes needs num_outputs at opset 18");
            }
        } else if (SOFTMAX_FAMILY.contains(op)) {
            n = softmaxAxis(n, from, to, constants);
        } else if (op.equals("Dropout")) {
            n = dropout(n, from, to, constants);
        } else if (op.equals("BatchNormalization")) {
            if (to < 14 && intAttr(n, "training_mode", 0) != 0) {
                throw refuse(n, to, "training_mode=1 exists only from opset 14");
            }
            n = LegacyForms.batchNormSpatial(withoutAttribute(n, "training_mode"), from, to);
        } else if (op.equals("Clip")) {
            n = LegacyForms.clip(n, from, to, constants);
        } else if (op.equals("Pad")) {
            n = LegacyForms.pad(n, from, to, constants);
        } else if (op.equals("Slice")) {
            n = LegacyForms.slice(n, from, to, constants);
        } else if (op.equals("TopK")) {
            n = LegacyForms.topK(n, from, to, constants);
        } else if (op.equals("Upsample") || op.equals("Resize")) {
            n = LegacyForms.resample(n, from, to, constants);
        } else if (op.equals("Scatter") || op.equals("ScatterElements")) {
            n = LegacyForms.scatter(n, from, to);
        } else if (op.equals("Gemm")) {
            n = LegacyForms.gemmBias(n, to, constants);
        } else if (op.equals("Constant")) {
            n = LegacyForms.constant(n, to);
        }
        if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
            return n;
        }
        n = AddedAttributes.forOpset(n, to);
        if (OpRegistry.standard().resolvedVersion("", n.getOpType(), to) < 0) {
            throw refuse(n, to, n.getOpType() + " does not exist at that opset");
        }
        return n;
    }

    /** Moves a list attribute to input {@code index} (or back) across version {@code change}. */
    static NodeProto moveBetweenAttributeAndInput(NodeProto n, String name, int index, int from, int to,
                                                          int change, Constants constants) {
        if (from < change && to >= change) {
            AttributeProto a = attribute(n, name);
            if (a == null) {
                return n;
            }
            long[] values = a.getIntsList().stream().mapToLong(Long::longValue).toArray();
            return withInput(withoutAttribute(n, name), index,
                    constants.add(nodeId(n) + "_" + name, Tensor.of(values, values.length)));
        }
        if (from >= change && to < change) {
            Tensor v = constantInput(n, index, to, name, constants);
            if (v == null) {
                return n;
            }
            NodeProto.Builder b = withoutInput(n, index).toBuilder();
            AttributeProto.Builder a = AttributeProto.newBuilder().setName(name)
                    .setType(AttributeProto.AttributeType.INTS);
            for (long x : v.toLongArray()) {
                a.addInts(x);
            }
            return b.addAttribute(a).build();
        }
        return n;
    }

    /**
     * Opset 13 applies the Softmax family along one axis; before it, the input was flattened to 2-D at
     * the axis (default 1). The two agree when the axis is the last one, which is what exporters write.
     */
    private static NodeProto softmaxAxis(NodeProto n, int from, int to, Constants constants) {
        boolean crossing = from < 13 && to >= 13 || from >= 13 && to < 13;
        if (!crossing) {
            return n;
        }
        long axis = intAttr(n, "axis", from < 13 ? 1 : -1);
        int rank = constants.rank(n.getInput(0));
        if (axis != -1 && !(rank > 0 && axis == rank - 1)) {
            throw refuse(n, to, "axis " + axis + (rank > 0 ? " of a rank-" + rank + " input" : " (input rank unknown)")
                    + " means different things before and after opset 13; only the last axis converts");
        }
        return n;
    }

    private static NodeProto dropout(NodeProto n, int from, int to, Constants constants) {
        if (from >= 12 && to < 12) {
            if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) {
                Tensor mode = constants.constant(n.getInput(2));
                if (mode == null || mode.getBool(0)) {
                    throw refuse(n, to, "a training_mode input exists only from opset 12");
                }
            }
            float ratio = 0.5f;
            if (n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
                Tensor r = constants.constant(n.getInput(1));
                if (r == null) {
                    throw refuse(n, to, "its ratio input is computed; opset " + to + " needs a constant attribute");
                }
                ratio = r.getFloat(0);
            }
            NodeProto.Builder b = n.toBuilder().clearInput().addInput(n.getInput(0));
            return b.addAttribute(AttributeProto.newBuilder().setName("ratio")
                    .setType(AttributeProto.AttributeType.FLOAT).setF(ratio)).build();
        }
        if (from < 12 && to >= 12) {
            AttributeProto a = attribute(n, "ratio");
            NodeProto.Builder b = withoutAttribute(n, "ratio").toBuilder();
            if (a != null) {
                b.addInput(constants.add(nodeId(n) + "_ratio", Tensor.scalar(a.getF())));
            }
            return b.build();
        }
        return n;
    }

    /** {@code n} with input {@code index} set to {@code name} (empty inputs filling any gap before it). */
    static NodeProto withInput(NodeProto n, int index, String name) {
        NodeProto.Builder b = n.toBuilder();
        while (b.getInputCount() < index) {
            b.addInput("");
        }
        if (b.getInputCount() == index) {
            b.addInput(name);
        } else {
            b.setInput(index, name);
        }
        return b.build();
    }

    /** {@code n} without input {@code index} (and the empty inputs that then end its list). */
    static NodeProto withoutInput(NodeProto n, int index) {
        if (n.getInputCount() <= index) {
            return n;
        }
        List<String> inputs = new ArrayList<>(n.getInputList());
        inputs.remove(index);
        while (!inputs.isEmpty() && inputs.get(inputs.size() - 1).isEmpty()) {
            inputs.remove(inputs.size() - 1);
        }
        return n.toBuilder().clearInput().addAllInput(inputs).build();
    }

    /**
     * The constant value of input {@code index} ({@code what}, for the error), null when the input is
     * absent; refused when it is computed, since opset {@code to} needs it as an attribute.
     */
    static Tensor constantInput(NodeProto n, int index, int to, String what, Constants constants) {
        if (n.getInputCount() <= index || n.getInput(index).isEmpty()) {
            return null;
        }
        Tensor v = constants.constant(n.getInput(index));
        if (v == null) {
            throw refuse(n, to, "its " + what + " input '" + n.getInput(index) + "' is computed, not constant,"
                    + " and opset " + to + " needs it as an attribute");
        }
        return v;
    }

    static AttributeProto attribute(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a;
            }
        }
        return null;
    }

    static long intAttr(NodeProto n, String name, long def) {
        AttributeProto a = attribute(n, name);
        return a == null ? def : a.getI();
    }

    static NodeProto withoutAttribute(NodeProto n, String name) {
        NodeProto.Builder b = n.toBuilder().clearAttribute();
        for (AttributeProto a : n.getAttributeList()) {
            if (!a.getName().equals(name)) {
                b.addAttribute(a);
            }
        }
        return b.build();
    }

    static String nodeId(NodeProto n) {
        return !n.getName().isEmpty() ? n.getName() : n.getOutput(0);
    }

    static SonnxException refuse(NodeProto n, int to, String why) {
        return new SonnxException("cannot export node '" + nodeId(n) + "' (" + n.getOpType() + ") at opset " + to
                + ": " + why);
    }

    /** The constants of a node list: initializers and Constant nodes' values, by output name. */
    static Constants constantsOf(Map<String, TensorProto> initializers, List<NodeProto> nodes,
                                 List<TensorProto> added, Map<String, SingaRep.Probed> probed) {
        return new Constants() {
            @Override
            public int rank(String name) {
                SingaRep.Probed p = probed.get(name);
                return p == null ? -1 : p.rank();
            }

            @Override
            public DataType dtype(String name) {
                SingaRep.Probed p = probed.get(name);
                if (p != null) {
                    return p.dtype();
                }
                TensorProto t = initializers.get(name);
                return t == null ? null : DataType.fromCode(t.getDataType());
            }

            @Override
            public Tensor constant(String name) {
                TensorProto t = initializers.get(name);
                if (t != null) {
                    return TensorProtos.toTensor(t);
                }
                for (NodeProto n : nodes) {
                    if (n.getOpType().equals("Constant") && n.getOutputCount() == 1 && n.getOutput(0).equals(name)) {
                        AttributeProto v = attribute(n, "value");
                        return v == null ? null : TensorProtos.toTensor(v.getT());
                    }
                }
                for (TensorProto a : added) {
                    if (a.getName().equals(name)) {
                        return TensorProtos.toTensor(a);
                    }
                }
                return null;
            }

            @Override
            public String add(String suggestedName, Tensor value) {
                String name = suggestedName;
                for (int i = 1; initializers.containsKey(name) || containsName(added, name); i++) {
                    name = suggestedName + "_" + i;
                }
                added.add(TensorProtos.fromTensor(value, name));
                return name;
            }
        };
    }

    private static boolean containsName(List<TensorProto> list, String name) {
        for (TensorProto t : list) {
            if (t.getName().equals(name)) {
                return true;
            }
        }
        return false;
    }
}
