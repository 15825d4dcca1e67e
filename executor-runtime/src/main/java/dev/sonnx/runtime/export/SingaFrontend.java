package dev.sonnx.runtime.export;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.autograd.Autograd;
import dev.sonnx.runtime.autograd.Tape;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.model.ExportTrace;
import dev.sonnx.runtime.model.SonnxModel;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.OperatorSetIdProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorShapeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TypeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.ops.SyntheticNodes;
import dev.sonnx.runtime.opt.Parameter;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Writes models back to ONNX (SINGA's {@code sonnx.to_onnx}). An imported model keeps its nodes,
 * names and structure, with its initializers at their current (trained) values and the graph cut
 * where its forward cuts it; nodes of layers added in code follow as ordinary ONNX nodes. Every node
 * is written for the target opset (11 by default, 7 to 21).
 */
public final class SingaFrontend {
    public static final String PRODUCER = "sonnx";
    public static final String PRODUCER_VERSION = "0.1.0";
    public static final int DEFAULT_OPSET = 11;

    private SingaFrontend() {
    }

    /** Exports {@code model} as its forward computes it on {@code sampleInputs}, at {@code opset}. */
    public static ModelProto toOnnx(SonnxModel model, List<Tensor> sampleInputs, int opset) {
        checkOpset(opset);
        ExportTrace trace = new ExportTrace();
        List<Tensor> outputs;
        Tape tape;
        model.setExportTrace(trace);
        try (Autograd.Session s = Autograd.record(false, model.device(), new SplittableRandom(0))) {
            outputs = model.forward(sampleInputs.toArray(new Tensor[0]));
            tape = s.tape();
        } finally {
            model.setExportTrace(null);
        }
        SingaRep rep = model.singaRep();
        Map<Tensor, String> names = new IdentityHashMap<>(trace.graphValues());
        for (Tensor[] feed : trace.feeds()) {
            for (int i = 0; i < feed.length; i++) {
                names.put(feed[i], rep.inputNames().get(i));
            }
        }
        for (Parameter p : model.parameters()) {
            names.putIfAbsent(p.value(), p.name());
        }
        for (Parameter p : model.buffers()) {
            names.putIfAbsent(p.value(), p.name());
        }
        Exporter e = new Exporter(opset, names, model.onnxModel(), new HashSet<>(rep.inputNames()));
        List<Tape.Entry> layerEntries = new ArrayList<>();
        for (int i = 0; i < tape.size(); i++) {
            if (!trace.isGraphEntry(i)) {
                layerEntries.add(tape.entries().get(i));
            }
        }
        e.probed.putAll(rep.probeTypes());
        e.addEntries(layerEntries, outputs);
        for (Tensor t : outputs) {
            String graphName = trace.graphValues().get(t);
            if (graphName != null) {
                e.neededFromGraph.add(graphName);
            }
        }
        e.addGraphNodes(rep);
        return e.build(outputs);
    }

    /**
     * Exports a prepared model as it stands (its current initializer values), all its outputs, at
     * {@code opset}: what {@code sonnx export} writes. Needs no sample input.
     */
    public static ModelProto toOnnx(SingaRep rep, int opset) {
        checkOpset(opset);
        Exporter e = new Exporter(opset, new IdentityHashMap<>(), rep.model(), new HashSet<>(rep.inputNames()));
        e.neededFromGraph.addAll(rep.outputNames());
        e.probed.putAll(rep.probeTypes());
        e.addGraphNodes(rep);
        return e.buildNamed(rep.model().getGraph().getOutputList());
    }

    /**
     * SINGA's {@code to_onnx(inputs, outputs)} for a computation recorded on the current thread's tape
     * (layers applied inside an {@link Autograd} session): the operators between {@code inputs} and
     * {@code outputs} become nodes, every other tensor they read becomes an initializer ({@code names}
     * may name them, e.g. parameters).
     */
    public static ModelProto toOnnx(List<Tensor> inputs, List<Tensor> outputs, Map<Tensor, String> names, int opset) {
        Tape tape = Autograd.tape();
        if (tape == null) {
            throw new SonnxException("toOnnx(inputs, outputs) exports what the current Autograd session recorded;"
                    + " run the forward pass inside Autograd.record(...)");
        }
        checkOpset(opset);
        Map<Tensor, String> all = new IdentityHashMap<>(names);
        for (int i = 0; i < inputs.size(); i++) {
            all.putIfAbsent(inputs.get(i), "input" + (inputs.size() == 1 ? "" : "_" + i));
        }
        Set<String> feedNames = new HashSet<>();
        for (Tensor t : inputs) {
            feedNames.add(all.get(t));
        }
        Exporter e = new Exporter(opset, all, null, feedNames);
        e.addEntries(tape.entries(), outputs);
        e.addFeeds(inputs);
        return e.build(outputs);
    }

    private static void checkOpset(int opset) {
        if (opset < 7 || opset > 21) {
            throw new SonnxException("export opset " + opset + " is outside the supported range 7 to 21");
        }
    }

    /** The IR version that ONNX pairs with an opset (the oldest that can carry it). */
    static long irVersionFor(int opset) {
        if (opset <= 8) {
            return 3;
        }
        if (opset <= 9) {
            return 4;
        }
        if (opset <= 10) {
            return 5;
        }
        if (opset <= 11) {
            return 6;
        }
        if (opset <= 14) {
            return 7;
        }
        if (opset <= 18) {
            return 8;
        }
        if (opset <= 20) {
            return 9;
        }
        return 10;
    }

    /** Builds one exported graph. */
    private static final class Exporter {
        private final int opset;
        private final Map<Tensor, String> names;
        private final ModelProto source;
        private final List<NodeProto> nodes = new ArrayList<>();
        private final Map<String, TensorProto> initializers = new LinkedHashMap<>();
        private final List<TensorProto> converterConstants = new ArrayList<>();
        private final List<ValueInfoProto> inputs = new ArrayList<>();
        private final Set<String> usedNames = new HashSet<>();
        /** Names the added nodes read that the imported graph must provide. */
        private final Set<String> neededFromGraph = new HashSet<>();
        /** Names of the graph inputs (never initializers) and of values added nodes produce. */
        private final Set<String> feedNames;
        private final Set<String> produced = new HashSet<>();
        /** Types and ranks of graph values seen in a sample run (conversions that depend on them). */
        private final Map<String, SingaRep.Probed> probed = new HashMap<>();

        Exporter(int opset, Map<Tensor, String> names, ModelProto source, Set<String> feedNames) {
            this.opset = opset;
            this.names = names;
            this.source = source;
            this.feedNames = feedNames;
            usedNames.addAll(names.values());
        }

        /** Nodes for the tape entries on a path to {@code outputs}, in tape order. */
        void addEntries(List<Tape.Entry> entries, List<Tensor> outputs) {
            Set<Tensor> wanted = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            wanted.addAll(outputs);
            boolean[] keep = new boolean[entries.size()];
            for (int i = entries.size() - 1; i >= 0; i--) {
                Tape.Entry en = entries.get(i);
                for (Value v : en.outputs()) {
                    if (v instanceof Tensor t && wanted.contains(t) && !names.containsKey(t)) {
                        keep[i] = true;
                    }
                }
                if (keep[i]) {
                    for (Value v : en.inputs()) {
                        if (v instanceof Tensor t) {
                            wanted.add(t);
                        }
                    }
                }
            }
            List<NodeProto> emitted = new ArrayList<>();
            for (int i = 0; i < entries.size(); i++) {
                if (keep[i]) {
                    emitted.add(node(entries.get(i)));
                }
            }
            for (NodeProto n : emitted) {
                nodes.add(OpsetConverter.convert(n, SyntheticNodes.OPSET, opset, constants()));
            }
        }

        private NodeProto node(Tape.Entry en) {
            NodeProto proto = en.op().node().proto();
            String base = proto.getName().isEmpty() ? proto.getOpType().toLowerCase(java.util.Locale.ROOT)
                    : proto.getName();
            String nodeName = unique(base);
            NodeProto.Builder b = proto.toBuilder().setName(nodeName).clearInput().clearOutput();
            Value[] in = en.inputs();
            for (int i = 0; i < in.length; i++) {
                if (!(in[i] instanceof Tensor t)) {
                    b.addInput("");
                    continue;
                }
                String name = names.get(t);
                if (name == null) {
                    name = unique(nodeName + "_in" + i);
                    names.put(t, name);
                    initializers.put(name, TensorProtos.fromTensor(t, name));
                } else if (isGraphName(name)) {
                    neededFromGraph.add(name);
                } else if (!feedNames.contains(name) && !initializers.containsKey(name) && !produced.contains(name)) {
                    // a named parameter or buffer of a layer: its current value becomes an initializer
                    initializers.put(name, TensorProtos.fromTensor(t, name));
                }
                b.addInput(name);
            }
            Value[] out = en.outputs();
            for (int o = 0; o < out.length; o++) {
                if (out[o] instanceof Tensor t) {
                    String name = unique(nodeName + "_out" + o);
                    names.put(t, name);
                    produced.add(name);
                    b.addOutput(name);
                } else {
                    b.addOutput("");
                }
            }
            return b.build();
        }

        private boolean isGraphName(String name) {
            if (source == null) {
                return false;
            }
            for (NodeProto n : source.getGraph().getNodeList()) {
                if (n.getOutputList().contains(name)) {
                    return true;
                }
            }
            for (ValueInfoProto v : source.getGraph().getInputList()) {
                if (v.getName().equals(name)) {
                    return true;
                }
            }
            return false;
        }

        /** The imported graph's nodes that compute what the added nodes and the outputs read. */
        void addGraphNodes(SingaRep rep) {
            GraphProto g = source.getGraph();
            Deque<String> pending = new ArrayDeque<>(neededFromGraph);
            Set<String> needed = new HashSet<>(neededFromGraph);
            Map<String, NodeProto> producer = new HashMap<>();
            for (NodeProto n : g.getNodeList()) {
                for (String o : n.getOutputList()) {
                    producer.put(o, n);
                }
            }
            Set<NodeProto> keep = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            while (!pending.isEmpty()) {
                NodeProto n = producer.get(pending.pop());
                if (n == null || !keep.add(n)) {
                    continue;
                }
                for (String in : n.getInputList()) {
                    if (!in.isEmpty() && needed.add(in)) {
                        pending.push(in);
                    }
                }
                n.getAttributeList().forEach(a -> {
                    if (a.hasG()) {
                        a.getG().getNodeList().forEach(inner -> inner.getInputList().forEach(name -> {
                            if (needed.add(name)) {
                                pending.push(name);
                            }
                        }));
                    }
                });
            }
            int from = sourceOpset();
            List<NodeProto> graphNodes = new ArrayList<>();
            for (NodeProto n : g.getNodeList()) {
                if (keep.contains(n)) {
                    graphNodes.add(n);
                }
            }
            for (TensorProto t : g.getInitializerList()) {
                if (needed.contains(t.getName())) {
                    Tensor current = rep.initializer(t.getName());
                    initializers.put(t.getName(), current != null ? TensorProtos.fromTensor(current, t.getName()) : t);
                }
            }
            List<NodeProto> converted = new ArrayList<>();
            OpsetConverter.Constants graphConstants = OpsetConverter.constantsOf(initializers, graphNodes,
                    converterConstants, probed);
            for (NodeProto n : graphNodes) {
                converted.add(OpsetConverter.convert(n, from, opset, graphConstants));
            }
            nodes.addAll(0, converted);
            for (ValueInfoProto in : g.getInputList()) {
                if (needed.contains(in.getName()) && !initializers.containsKey(in.getName())) {
                    inputs.add(in);
                }
            }
        }

        /** Graph inputs for a computation without an imported graph. */
        void addFeeds(List<Tensor> feeds) {
            for (Tensor t : feeds) {
                inputs.add(valueInfo(names.get(t), t, false));
            }
        }

        private int sourceOpset() {
            for (OperatorSetIdProto o : source.getOpsetImportList()) {
                if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
                    return (int) o.getVersion();
                }
            }
            return opset;
        }

        private OpsetConverter.Constants constants() {
            return OpsetConverter.constantsOf(initializers, nodes, converterConstants, probed);
        }

        ModelProto build(List<Tensor> outputs) {
            GraphProto.Builder g = GraphProto.newBuilder()
                    .setName(source != null && !source.getGraph().getName().isEmpty() ? source.getGraph().getName()
                            : "sonnx");
            g.addAllNode(nodes);
            g.addAllInitializer(initializers.values());
            g.addAllInitializer(converterConstants);
            g.addAllInput(inputs);
            if (irVersionFor(opset) < 4) {
                // IR 3 has no constants apart from graph inputs: each initializer is an input too
                for (TensorProto t : g.getInitializerList()) {
                    g.addInput(valueInfo(t));
                }
            }
            boolean dynamicBatch = inputs.stream().anyMatch(SingaFrontend::hasSymbolicBatch);
            for (Tensor t : outputs) {
                String name = names.get(t);
                ValueInfoProto original = source == null ? null : source.getGraph().getOutputList().stream()
                        .filter(v -> v.getName().equals(name)).findFirst().orElse(null);
                g.addOutput(original != null ? original : valueInfo(name, t, dynamicBatch));
            }
            ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(irVersionFor(opset))
                    .setProducerName(PRODUCER).setProducerVersion(PRODUCER_VERSION)
                    .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                    .setGraph(g);
            if (source != null) {
                for (OperatorSetIdProto o : source.getOpsetImportList()) {
                    if (!o.getDomain().isEmpty() && !o.getDomain().equals("ai.onnx")) {
                        m.addOpsetImport(o);
                    }
                }
                m.addAllFunctions(source.getFunctionsList());
                m.setDocString(source.getDocString());
            }
            return m.build();
        }

        /** The model with graph outputs given by their declarations. */
        ModelProto buildNamed(List<ValueInfoProto> outputs) {
            ModelProto m = build(List.of());
            return m.toBuilder().setGraph(m.getGraph().toBuilder().addAllOutput(outputs)).build();
        }

        private String unique(String base) {
            String name = base;
            for (int i = 1; !usedNames.add(name); i++) {
                name = base + "_" + i;
            }
            return name;
        }
    }

    private static boolean hasSymbolicBatch(ValueInfoProto v) {
        return v.hasType() && v.getType().hasTensorType() && v.getType().getTensorType().hasShape()
                && v.getType().getTensorType().getShape().getDimCount() > 0
                && !v.getType().getTensorType().getShape().getDim(0).hasDimValue();
    }

    /** The declaration of an initializer as a graph input: its type and shape. */
    private static ValueInfoProto valueInfo(TensorProto t) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long d : t.getDimsList()) {
            shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(t.getName()).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(t.getDataType()).setShape(shape))).build();
    }

    /** A tensor's type; with {@code dynamicBatch} its first dimension is the symbol N. */
    private static ValueInfoProto valueInfo(String name, Tensor t, boolean dynamicBatch) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (int i = 0; i < t.rank(); i++) {
            shape.addDim(i == 0 && dynamicBatch ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(t.shape()[i]));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(t.dtype().code()).setShape(shape))).build();
    }
}
