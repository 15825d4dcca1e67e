package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.onnx.SparseTensors;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.SparseTensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.ops.BuildContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpRegistry;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.Subgraph;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.HostStorage;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Turns a {@code GraphProto} into a {@link Plan}: assigns slots, checks every edge, orders the nodes,
 * creates each node's operator for its opset, folds nodes whose inputs are all constant, and computes
 * when each value dies. Errors name the graph, the node and the value.
 */
final class PlanCompiler {
    /** The longest prepare spends folding one node before leaving it to run with the graph. */
    private static final long FOLD_TIME_LIMIT_NANOS = 10_000_000_000L;

    /** Settings shared by a graph and all its nested bodies. */
    static final class Env {
        final String modelName;
        final OpRegistry registry;
        final Opsets opsets;
        final Device device;
        final boolean foldConstants;
        /** Initializers that training updates: never folded into other constants. */
        final Set<String> variables;
        /** How long folding one node may take (0: no limit). */
        final long timeLimitNanos;

        Env(String modelName, OpRegistry registry, Opsets opsets, Device device, boolean foldConstants,
            Set<String> variables, long timeLimitNanos) {
            this.modelName = modelName;
            this.registry = registry;
            this.opsets = opsets;
            this.device = device;
            this.foldConstants = foldConstants;
            this.variables = variables;
            this.timeLimitNanos = timeLimitNanos;
        }
    }

    private final Env env;
    private final GraphProto graph;
    private final String label;
    /** Names visible from enclosing graphs (for nested bodies); empty at the top level. */
    private final Set<String> outerVisible;

    private final Map<String, Integer> slotOf = new HashMap<>();
    private final List<String> slotNames = new ArrayList<>();
    private final List<Value> constants = new ArrayList<>();
    private final Set<String> outerUsed = new LinkedHashSet<>();
    /** Initializers' values taken from another plan of the same model instead of read from the graph. */
    private Map<String, Value> sharedInitializers = Map.of();
    /** How to recompute initializers that the rewrites computed ({@code ConstantRecipes}), by tensor. */
    private Map<TensorProto, HostStorage.Refill> recipes = Map.of();

    PlanCompiler(Env env, GraphProto graph, String label, Set<String> outerVisible) {
        this.env = env;
        this.graph = graph;
        this.label = label;
        this.outerVisible = outerVisible;
    }

    /**
     * Binds the graph's initializers named in {@code values} to those very values: a second plan of
     * a model in training (its unrewritten form, for cuts) then reads and updates the first plan's
     * weights and statistics rather than copies of them.
     */
    PlanCompiler sharingInitializers(Map<String, Value> values) {
        this.sharedInitializers = values;
        return this;
    }

    /**
     * Gives the storage of each initializer that has a recipe in {@code recipes} that recipe
     * ({@link HostStorage#rebuildableFrom}): its sole reader may then drop it (see
     * {@link #allowReclaimingSoleReaderConstants}) though it keeps no exact copy of its own.
     */
    PlanCompiler rebuildingFrom(Map<TensorProto, HostStorage.Refill> recipes) {
        this.recipes = recipes;
        return this;
    }

    Plan compile() {
        Set<String> initializerNames = new HashSet<>();
        for (TensorProto t : graph.getInitializerList()) {
            String name = t.getName();
            if (name.isEmpty()) {
                throw error("an initializer has no name");
            }
            if (!initializerNames.add(name)) {
                throw error("initializer '" + name + "' is defined twice");
            }
            Value shared = sharedInitializers.get(name);
            define(name, shared != null ? shared : toDevice(readInitializer(t)));
        }
        for (SparseTensorProto s : graph.getSparseInitializerList()) {
            String name = s.getValues().getName();
            if (!initializerNames.add(name)) {
                throw error("initializer '" + name + "' is defined twice");
            }
            try {
                define(name, toDevice(SparseTensors.toDense(s)));
            } catch (RuntimeException e) {
                throw error("sparse initializer '" + name + "': " + e.getMessage());
            }
        }
        List<String> inputNames = new ArrayList<>();
        List<Integer> inputSlots = new ArrayList<>();
        Set<String> seenInputs = new HashSet<>();
        for (ValueInfoProto in : graph.getInputList()) {
            String name = in.getName();
            if (!seenInputs.add(name)) {
                throw error("graph input '" + name + "' is declared twice");
            }
            inputNames.add(name);
            inputSlots.add(initializerNames.contains(name) ? slotOf.get(name) : define(name, null));
        }

        List<NodeProto> ordered = topologicalOrder();
        List<Plan.Step> steps = new ArrayList<>();
        List<Set<Integer>> implicitInputs = new ArrayList<>();
        List<String> unsupported = new ArrayList<>();
        for (NodeProto np : ordered) {
            int[] in = new int[np.getInputCount()];
            for (int i = 0; i < in.length; i++) {
                String name = np.getInput(i);
                in[i] = name.isEmpty() ? -1 : slotFor(name);
            }
            Node node;
            try {
                node = new Node(np, env.opsets.version(np.getDomain()));
            } catch (IllegalArgumentException e) {
                throw error(Labels.of(np) + ": " + e.getMessage());
            }
            OpRegistry.Factory factory = resolve(node, unsupported);
            int[] out = new int[np.getOutputCount()];
            if (factory == null) {
                for (int o = 0; o < out.length; o++) {
                    out[o] = np.getOutput(o).isEmpty() ? -1 : define(np.getOutput(o), null);
                }
                continue;
            }
            SubgraphCollector build = new SubgraphCollector(in);
            Operator op;
            try {
                op = factory.create(node, build);
            } catch (SonnxException e) {
                throw error(node.label() + ": " + e.getMessage());
            } catch (RuntimeException e) {
                throw error(node.label() + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            }
            if (env.device instanceof dev.sonnx.runtime.ops.OperatorPlacement placement) {
                op = placement.place(op);
            }
            Set<Integer> implicit = new HashSet<>();
            for (String name : build.outerNames) {
                implicit.add(slotFor(name));
            }
            for (int o = 0; o < out.length; o++) {
                out[o] = np.getOutput(o).isEmpty() ? -1 : define(np.getOutput(o), null);
            }
            Plan.Step step = new Plan.Step(op, in, out);
            if (!tryFold(step, implicit)) {
                steps.add(step);
                implicitInputs.add(implicit);
            }
        }
        if (!unsupported.isEmpty()) {
            throw new UnsupportedOperatorException(env.modelName, unsupported);
        }

        int[] outputSlots = new int[graph.getOutputCount()];
        List<String> outputNames = new ArrayList<>();
        for (int i = 0; i < outputSlots.length; i++) {
            String name = graph.getOutput(i).getName();
            if (!slotOf.containsKey(name) && !outerVisible.contains(name)) {
                throw error("graph output '" + name + "' is produced by no node, input or initializer");
            }
            outputSlots[i] = slotFor(name);
            outputNames.add(name);
        }
        Plan.Step[] stepArray = steps.toArray(new Plan.Step[0]);
        computeReleases(stepArray, implicitInputs, outputSlots);
        allowReclaimingSoleReaderConstants(stepArray, implicitInputs, outputSlots);

        String[] outerNames = outerUsed.toArray(new String[0]);
        int[] outerSlots = new int[outerNames.length];
        for (int i = 0; i < outerNames.length; i++) {
            outerSlots[i] = slotOf.get(outerNames[i]);
        }
        return new Plan(label, Map.copyOf(slotOf), slotNames.toArray(new String[0]),
                constants.toArray(new Value[0]), inputSlots.stream().mapToInt(Integer::intValue).toArray(),
                List.copyOf(inputNames), outputSlots, List.copyOf(outputNames), stepArray, outerNames, outerSlots);
    }

    // ---------------------------------------------------------------- slots

    private int define(String name, Value constant) {
        if (slotOf.containsKey(name)) {
            throw error("value '" + name + "' is defined twice (graph inputs, initializers and node outputs"
                    + " must have distinct names)");
        }
        int s = slotNames.size();
        slotOf.put(name, s);
        slotNames.add(name);
        constants.add(constant);
        return s;
    }

    /** The slot of a value read by a node: defined here, or imported from an enclosing graph. */
    private int slotFor(String name) {
        Integer s = slotOf.get(name);
        if (s != null) {
            return s;
        }
        if (outerVisible.contains(name)) {
            outerUsed.add(name);
            return define(name, null);
        }
        throw error("value '" + name + "' is used but never defined");
    }

    private Tensor readInitializer(TensorProto t) {
        try {
            Tensor value = TensorProtos.toTensor(t);
            HostStorage.Refill recipe = recipes.get(t);
            if (recipe != null && value.storage() instanceof HostStorage h) {
                h.rebuildableFrom(recipe);
            }
            return value;
        } catch (RuntimeException e) {
            throw error("initializer '" + t.getName() + "': " + e.getMessage());
        }
    }

    private Value toDevice(Tensor t) {
        // Integer and boolean constants (shapes, axes, indices) stay on the host, where the shape
        // arithmetic that reads them runs; kernels copy over the few they need as data.
        return env.device.isHost() || !t.dtype().isFloat() ? t : t.to(env.device);
    }

    // ---------------------------------------------------------------- order

    /**
     * Nodes in an order where every value is defined before use (see {@link GraphOrder}). A value
     * defined twice, a cycle or a value that nothing defines is an error naming the node.
     */
    private List<NodeProto> topologicalOrder() {
        Set<String> available = new HashSet<>(slotOf.keySet());
        available.addAll(outerVisible);
        Set<String> produced = new HashSet<>();
        for (NodeProto n : graph.getNodeList()) {
            for (String o : n.getOutputList()) {
                if (o.isEmpty()) {
                    continue;
                }
                if (!produced.add(o) || available.contains(o) && !outerVisible.contains(o)) {
                    throw error("value '" + o + "' is defined twice (" + describe(n) + " and another)");
                }
            }
        }
        GraphOrder order = GraphOrder.of(graph, available);
        // A node reading a value nothing defines explains every node waiting behind it: report it
        // first; when there is none, the nodes left wait on each other in a cycle.
        for (NodeProto stuck : order.stuck) {
            for (String in : GraphOrder.neededNames(stuck)) {
                if (!order.defined.contains(in) && !order.producer.containsKey(in)) {
                    throw error(describe(stuck) + " reads value '" + in + "', which no node, input or"
                            + " initializer defines");
                }
            }
        }
        for (NodeProto stuck : order.stuck) {
            for (String in : GraphOrder.neededNames(stuck)) {
                if (!order.defined.contains(in)) {
                    throw error(describe(stuck) + " is part of a cycle through value '" + in + "'");
                }
            }
        }
        return order.ordered;
    }

    private static String describe(NodeProto n) {
        return Labels.of(n);
    }

    // ---------------------------------------------------------------- operators

    private OpRegistry.Factory resolve(Node node, List<String> unsupported) {
        int version = node.opsetVersion();
        String domain = node.domain();
        if (version < 0) {
            unsupported.add(node.label() + ": its domain '" + domain + "' is not imported by the model");
            return null;
        }
        OpRegistry.Factory f = env.registry.resolve(domain, node.opType(), version);
        if (f == null) {
            unsupported.add(node.label() + " at opset " + (domain.isEmpty() ? "" : domain + " ") + version);
        }
        return f;
    }

    /** Runs a node at prepare time when all its inputs are constants; returns whether it did. */
    private boolean tryFold(Plan.Step step, Set<Integer> implicit) {
        if (!env.foldConstants || !step.op.deterministic() || !implicit.isEmpty()) {
            return false;
        }
        Value[] in = new Value[step.in.length];
        for (int i = 0; i < in.length; i++) {
            int s = step.in[i];
            if (s < 0) {
                continue;
            }
            if (constants.get(s) == null || env.variables.contains(slotNames.get(s))) {
                return false;
            }
            in[i] = constants.get(s);
        }
        long foldLimit = env.timeLimitNanos > 0 ? Math.min(env.timeLimitNanos, FOLD_TIME_LIMIT_NANOS)
                : FOLD_TIME_LIMIT_NANOS;
        Plan foldPlan = new Plan(label, Map.of(), new String[0], new Value[0], new int[0], List.of(),
                new int[0], List.of(), new Plan.Step[0], new String[0], new int[0]);
        Frame frame = new Frame(foldPlan, new RunOptions(env.device, false, null, new SplittableRandom(0), null,
                RunOptions.deadlineAfter(foldLimit)), null);
        Value[] out;
        try {
            out = frame.runOp(step.op, in);
        } catch (SonnxException e) {
            if (RunOptions.TimeLimitExceeded.causedIt(e)) {
                return false; // too slow to fold (a Loop of 2^63 trips...): it runs with the graph, under its limit
            }
            throw error(e.getMessage());
        }
        step.requireOutputs(out, label);
        for (int o = 0; o < step.out.length; o++) {
            if (step.out[o] >= 0) {
                constants.set(step.out[o], out[o]);
            }
        }
        return true;
    }

    /** Which slots each step can drop: those it reads for the last time that are not outputs or constants. */
    private void computeReleases(Plan.Step[] steps, List<Set<Integer>> implicitInputs, int[] outputSlots) {
        int[] lastUse = new int[slotNames.size()];
        Arrays.fill(lastUse, -1);
        for (int s = 0; s < steps.length; s++) {
            for (int slot : steps[s].in) {
                if (slot >= 0) {
                    lastUse[slot] = s;
                }
            }
            for (int slot : implicitInputs.get(s)) {
                lastUse[slot] = s;
            }
        }
        Set<Integer> keep = new HashSet<>();
        for (int o : outputSlots) {
            keep.add(o);
        }
        List<List<Integer>> releases = new ArrayList<>();
        for (int s = 0; s < steps.length; s++) {
            releases.add(new ArrayList<>());
        }
        for (int slot = 0; slot < lastUse.length; slot++) {
            if (lastUse[slot] >= 0 && !keep.contains(slot) && constants.get(slot) == null) {
                releases.get(lastUse[slot]).add(slot);
            }
        }
        for (int s = 0; s < steps.length; s++) {
            steps[s].release = releases.get(s).stream().mapToInt(Integer::intValue).toArray();
            steps[s].lastReader = lastReaders(steps[s], releases.get(s), implicitInputs.get(s));
        }
    }

    /** Which inputs of {@code step} read a slot that dies after it and that the step reads only there. */
    private static boolean[] lastReaders(Plan.Step step, List<Integer> released, Set<Integer> implicit) {
        boolean[] last = new boolean[step.in.length];
        for (int i = 0; i < step.in.length; i++) {
            int slot = step.in[i];
            if (slot < 0 || !released.contains(slot) || implicit.contains(slot)) {
                continue;
            }
            int reads = 0;
            for (int other : step.in) {
                reads += other == slot ? 1 : 0;
            }
            last[i] = reads == 1;
        }
        return last;
    }

    /**
     * Marks the storage of each constant tensor that exactly one operator input reads at run time,
     * that is no graph output and that no nested body reads: that operator may drop the plain copy
     * once it keeps the data in its own form (oneDNN's packed weights; see
     * {@link HostStorage#reclaim}). The tensor stays in the plan, so any later reader (a new input
     * shape, {@link SingaRep#initializer}) gets the contents rebuilt. Storage is counted, not slots: a
     * folded Identity or Reshape shares its input's storage. Training plans keep every constant.
     */
    private void allowReclaimingSoleReaderConstants(Plan.Step[] steps, List<Set<Integer>> implicitInputs,
                                                    int[] outputSlots) {
        if (!env.variables.isEmpty()) {
            return;
        }
        Map<HostStorage, Integer> readers = new IdentityHashMap<>();
        Set<HostStorage> kept = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Plan.Step step : steps) {
            for (int slot : step.in) {
                HostStorage h = constantStorage(slot);
                if (h != null) {
                    readers.merge(h, 1, Integer::sum);
                }
            }
        }
        for (Set<Integer> implicit : implicitInputs) {
            for (int slot : implicit) {
                HostStorage h = constantStorage(slot);
                if (h != null) {
                    kept.add(h);
                }
            }
        }
        for (int slot : outputSlots) {
            HostStorage h = constantStorage(slot);
            if (h != null) {
                kept.add(h);
            }
        }
        for (int slot = 0; slot < constants.size(); slot++) {
            // a constant in two slots (a folded view) is read through both
            HostStorage h = constantStorage(slot);
            if (h != null && readers.getOrDefault(h, 0) == 1 && !kept.contains(h)) {
                h.allowReclaim();
            }
        }
    }

    /** The host storage of the constant tensor in {@code slot}, or null. */
    private HostStorage constantStorage(int slot) {
        return slot >= 0 && constants.get(slot) instanceof Tensor t && t.storage() instanceof HostStorage h ? h : null;
    }

    private SonnxException error(String message) {
        return new SonnxException(label + ": " + message);
    }

    /** The build context a node's operator sees; it compiles bodies and notes the outer names they read. */
    private final class SubgraphCollector implements BuildContext {
        final Set<String> outerNames = new LinkedHashSet<>();
        private final int[] inputSlots;

        SubgraphCollector(int[] inputSlots) {
            this.inputSlots = inputSlots;
        }

        @Override
        public Tensor constantInput(int index) {
            if (!env.variables.isEmpty() || index >= inputSlots.length || inputSlots[index] < 0) {
                return null;
            }
            return constants.get(inputSlots[index]) instanceof Tensor t ? t : null;
        }

        @Override
        public Device device() {
            return env.device;
        }

        @Override
        public int opsetVersion(String domain) {
            return env.opsets.version(domain);
        }

        @Override
        public Subgraph compileSubgraph(GraphProto body) {
            Set<String> visible = new HashSet<>(outerVisible);
            visible.addAll(slotOf.keySet());
            String bodyLabel = label + "/" + (body.getName().isEmpty() ? "body" : body.getName());
            Plan plan = new PlanCompiler(env, body, bodyLabel, visible).compile();
            outerNames.addAll(Arrays.asList(plan.outerNames));
            return plan;
        }
    }
}
