package dev.sonnx.runtime.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.google.protobuf.ByteString;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.OperatorSetIdProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorShapeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TypeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.ops.OpRegistry;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Structure-aware mutations for fuzzing: takes one of the seed models (valid ONNX) and changes what a
 * hostile or broken exporter could change while keeping the protobuf well formed: operator types,
 * domains and opsets, attributes (values, types, names), declared types and dims, initializers,
 * edges (rewired, omitted, duplicated), nodes (removed, duplicated) and bodies. Byte-level fuzzing
 * mostly exercises the protobuf parser; this reaches prepare's checks and the kernels.
 */
final class ModelMutator {
    private static final String SEEDS = "ModelFuzzTestInputs/prepareAndRun";
    private static final List<ModelProto> SEED_MODELS = loadSeeds();
    private static final String[] OP_TYPES = opTypes();
    private static final String[] ATTRIBUTES = {"axis", "axes", "perm", "keepdims", "to", "shape", "group",
        "kernel_shape", "pads", "strides", "dilations", "value", "alpha", "beta", "transA", "transB", "epsilon",
        "mode", "body", "then_branch", "else_branch", "split", "starts", "ends", "seed", "dtype", "k", "largest",
        "num_scan_inputs", "scan_input_axes", "allowzero", "direction", "hidden_size", "auto_pad", "ceil_mode"};
    private static final long[] DIMS = {0, 1, 2, 3, 4, 7, 64, 1 << 16, Integer.MAX_VALUE, -1, -7, 1L << 40,
        Long.MAX_VALUE, Long.MIN_VALUE};

    private ModelMutator() {
    }

    /** A mutated seed model, serialized. */
    static byte[] mutate(FuzzedDataProvider d) {
        ModelProto.Builder m = SEED_MODELS.get(d.consumeInt(0, SEED_MODELS.size() - 1)).toBuilder();
        int mutations = d.consumeInt(1, 6);
        for (int i = 0; i < mutations && d.remainingBytes() > 0; i++) {
            mutateOnce(m, d);
        }
        return m.build().toByteArray();
    }

    private static void mutateOnce(ModelProto.Builder m, FuzzedDataProvider d) {
        GraphProto.Builder g = m.getGraphBuilder();
        int what = d.consumeInt(0, 15);
        switch (what) {
            case 0 -> m.setOpsetImport(0, OperatorSetIdProto.newBuilder().setVersion(d.consumeInt(-1, 25)));
            case 1 -> m.setIrVersion(d.consumeInt(-1, 13));
            case 2 -> g.addInput(valueInfo(d, pickName(g, d)));
            case 3 -> g.addValueInfo(valueInfo(d, pickName(g, d)));
            case 4 -> g.addOutput(valueInfo(d, pickName(g, d)));
            case 5 -> g.addInitializer(tensor(d, pickName(g, d)));
            case 6 -> {
                if (g.getInputCount() > 0) {
                    g.setInput(d.consumeInt(0, g.getInputCount() - 1), valueInfo(d, pickName(g, d)));
                }
            }
            case 7 -> {
                if (g.getInitializerCount() > 0) {
                    g.setInitializer(d.consumeInt(0, g.getInitializerCount() - 1), tensor(d, pickName(g, d)));
                }
            }
            default -> {
                if (g.getNodeCount() == 0) {
                    g.addNode(NodeProto.newBuilder().setOpType(d.pickValue(OP_TYPES)).addInput(pickName(g, d))
                            .addOutput("n" + d.consumeInt(0, 9)));
                    return;
                }
                int k = d.consumeInt(0, g.getNodeCount() - 1);
                mutateNode(g, k, what, d);
            }
        }
    }

    private static void mutateNode(GraphProto.Builder g, int k, int what, FuzzedDataProvider d) {
        NodeProto.Builder n = g.getNodeBuilder(k);
        switch (what) {
            case 8 -> n.setOpType(d.pickValue(OP_TYPES));
            case 9 -> n.setDomain(d.pickValue(new String[] {"", "ai.onnx", "ai.onnx.ml", "com.microsoft", "x"}));
            case 10 -> n.addAttribute(attribute(d, d.pickValue(ATTRIBUTES)));
            case 11 -> {
                if (n.getAttributeCount() > 0) {
                    int a = d.consumeInt(0, n.getAttributeCount() - 1);
                    n.setAttribute(a, attribute(d, n.getAttribute(a).getName()));
                }
            }
            case 12 -> {
                String name = pickName(g, d);
                if (n.getInputCount() > 0 && d.consumeBoolean()) {
                    n.setInput(d.consumeInt(0, n.getInputCount() - 1), name);
                } else {
                    n.addInput(name);
                }
            }
            case 13 -> {
                if (n.getOutputCount() > 0 && d.consumeBoolean()) {
                    n.setOutput(d.consumeInt(0, n.getOutputCount() - 1), pickName(g, d));
                } else {
                    n.addOutput(d.consumeBoolean() ? "" : "o" + d.consumeInt(0, 9));
                }
            }
            case 14 -> g.removeNode(k);
            default -> g.addNode(n.build().toBuilder().setName("copy" + d.consumeInt(0, 9)));
        }
    }

    /** Element values worth trying: edges of ranges, signs, NaN and infinities. */
    private static final double[] VALUES = {0, 1, -1, 2, 3, -2, 0.5, -0.0, 7, 1e30, -1e30, Double.NaN,
        Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Integer.MAX_VALUE, Long.MIN_VALUE, 1 << 20};
    private static final String[] STRINGS = {"", "a", "abc", "A b", "\u0000", "\u00e9t\u00e9", "1.5"};

    /** Writes fuzzer-chosen values into a (zero-filled) feed, as far as the input lasts. */
    static void fill(Tensor t, FuzzedDataProvider d) {
        for (int i = 0; i < t.size() && d.remainingBytes() > 0; i++) {
            if (t.dtype() == DataType.STRING) {
                t.setString(i, d.pickValue(STRINGS));
            } else if (t.dtype() == DataType.BOOL) {
                t.setBool(i, d.consumeBoolean());
            } else if (t.dtype().isFloat()) {
                t.setDouble(i, d.pickValue(VALUES));
            } else if (t.dtype().isInteger()) {
                double v = d.pickValue(VALUES);
                t.setLong(i, Double.isNaN(v) ? 0 : (long) v);
            } else {
                return; // complex and float8 feeds stay zero
            }
        }
    }

    /** A name the graph already uses (so edges meet), the empty name, or a new one. */
    private static String pickName(GraphProto.Builder g, FuzzedDataProvider d) {
        Set<String> names = new LinkedHashSet<>();
        g.getInputList().forEach(v -> names.add(v.getName()));
        g.getInitializerList().forEach(t -> names.add(t.getName()));
        g.getNodeList().forEach(n -> names.addAll(n.getOutputList()));
        g.getOutputList().forEach(v -> names.add(v.getName()));
        names.add("");
        names.add("fresh" + d.consumeInt(0, 3));
        return d.pickValue(names.toArray(new String[0]));
    }

    private static ValueInfoProto valueInfo(FuzzedDataProvider d, String name) {
        TypeProto.Tensor.Builder t = TypeProto.Tensor.newBuilder().setElemType(d.consumeInt(0, 22));
        if (d.consumeBoolean()) {
            TensorShapeProto.Builder s = t.getShapeBuilder();
            int rank = d.consumeInt(0, 5);
            for (int i = 0; i < rank; i++) {
                s.addDim(d.consumeBoolean() ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
                        : TensorShapeProto.Dimension.newBuilder().setDimValue(d.pickValue(DIMS)));
            }
        }
        TypeProto type = TypeProto.newBuilder().setTensorType(t).build();
        if (d.consumeInt(0, 4) == 0) {
            type = d.consumeBoolean()
                    ? TypeProto.newBuilder().setSequenceType(TypeProto.Sequence.newBuilder().setElemType(type)).build()
                    : TypeProto.newBuilder().setOptionalType(TypeProto.Optional.newBuilder().setElemType(type)).build();
        }
        return ValueInfoProto.newBuilder().setName(name).setType(type).build();
    }

    private static TensorProto tensor(FuzzedDataProvider d, String name) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(d.consumeInt(0, 22));
        int rank = d.consumeInt(0, 4);
        for (int i = 0; i < rank; i++) {
            t.addDims(d.consumeBoolean() ? d.consumeInt(0, 4) : d.pickValue(DIMS));
        }
        switch (d.consumeInt(0, 3)) {
            case 0 -> t.setRawData(ByteString.copyFrom(d.consumeBytes(d.consumeInt(0, 64))));
            case 1 -> {
                int n = d.consumeInt(0, 16);
                for (int i = 0; i < n; i++) {
                    t.addInt64Data(d.consumeLong());
                }
            }
            case 2 -> {
                int n = d.consumeInt(0, 16);
                for (int i = 0; i < n; i++) {
                    t.addFloatData(d.consumeFloat());
                }
            }
            default -> {
                int n = d.consumeInt(0, 16);
                for (int i = 0; i < n; i++) {
                    t.addInt32Data(d.consumeInt());
                }
            }
        }
        return t.build();
    }

    private static AttributeProto attribute(FuzzedDataProvider d, String name) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name);
        switch (d.consumeInt(0, 6)) {
            case 0 -> a.setType(AttributeProto.AttributeType.INT).setI(d.consumeBoolean() ? d.consumeInt(-4, 24)
                    : d.consumeLong());
            case 1 -> {
                a.setType(AttributeProto.AttributeType.INTS);
                int n = d.consumeInt(0, 8);
                for (int i = 0; i < n; i++) {
                    a.addInts(d.consumeBoolean() ? d.consumeInt(-4, 8) : d.pickValue(DIMS));
                }
            }
            case 2 -> a.setType(AttributeProto.AttributeType.FLOAT).setF(d.consumeFloat());
            case 3 -> a.setType(AttributeProto.AttributeType.STRING)
                    .setS(ByteString.copyFromUtf8(d.consumeString(16)));
            case 4 -> a.setType(AttributeProto.AttributeType.TENSOR).setT(tensor(d, ""));
            case 5 -> a.setType(AttributeProto.AttributeType.GRAPH)
                    .setG(SEED_MODELS.get(d.consumeInt(0, SEED_MODELS.size() - 1)).getGraph());
            default -> {
                // a type with no value set, or a type number proto does not know
                AttributeProto.AttributeType t = AttributeProto.AttributeType.forNumber(d.consumeInt(0, 14));
                a.setType(t == null ? AttributeProto.AttributeType.UNDEFINED : t);
            }
        }
        return a.build();
    }

    private static List<ModelProto> loadSeeds() {
        URL url = ModelMutator.class.getResource(SEEDS);
        if (url == null) {
            throw new IllegalStateException("seed models not found on the class path: " + SEEDS);
        }
        List<ModelProto> seeds = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".onnx")).sorted().toList()) {
                seeds.add(ModelProto.parseFrom(Files.readAllBytes(f)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        return List.copyOf(seeds);
    }

    /** Every operator sonnx registers, plus a few it does not know. */
    private static String[] opTypes() {
        Set<String> ops = new LinkedHashSet<>();
        for (String op : OpRegistry.standard().operatorNames()) {
            ops.add(op.contains(".") ? op.substring(op.lastIndexOf('.') + 1) : op);
        }
        SEED_MODELS.forEach(m -> m.getGraph().getNodeList().forEach(n -> ops.add(n.getOpType())));
        ops.add("NoSuchOp");
        ops.add("");
        return ops.toArray(new String[0]);
    }
}
