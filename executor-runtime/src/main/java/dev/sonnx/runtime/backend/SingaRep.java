package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.autograd.Autograd;
import dev.sonnx.runtime.autograd.Tape;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.Arena;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.DirectMemory;
import dev.sonnx.runtime.tensor.HostStorage;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * A prepared model: its plan, its weights on the device. {@link #run} only executes the plan; it is
 * safe to call from several threads at once.
 */
public final class SingaRep {
    private final String name;
    private final ModelProto model;
    private final Device device;
    private final Plan plan;
    /**
     * Compiled on the first cut whose values the optimized plan fused away (inference rewrites), or on
     * the first recorded run.
     */
    private volatile Plan unfusedPlan;
    private final java.util.function.Supplier<Plan> unfusedCompiler;
    /**
     * Whether recorded runs may use {@link #plan}: its rewrites keep every operator differentiable
     * and every initializer itself (a model prepared for training), unlike the inference fusions.
     */
    private final boolean planRecords;
    /** Graph inputs the caller feeds (those without an initializer), in graph order. */
    private final List<ValueInfoProto> feeds;
    private final Map<String, Integer> feedPosition;
    private volatile boolean checkFeedShapes = true;

    /** How long one run may take, in nanoseconds (0: no limit). */
    private final long timeLimitNanos;
    /** The plan's shape arithmetic kept per input shapes (inference on the host), or null. */
    private final ShapeSpecialisation shapeArithmetic;

    SingaRep(String name, ModelProto model, Device device, Plan plan, java.util.function.Supplier<Plan> unfused,
             long timeLimitNanos, boolean specialiseShapes, boolean planRecords) {
        this.name = name;
        this.planRecords = planRecords;
        this.shapeArithmetic = specialiseShapes && device.isHost() ? ShapeSpecialisation.of(plan) : null;
        this.timeLimitNanos = timeLimitNanos;
        this.model = model;
        this.device = device;
        this.plan = plan;
        this.unfusedCompiler = unfused;
        Set<String> initializers = new HashSet<>();
        for (TensorProto t : model.getGraph().getInitializerList()) {
            initializers.add(t.getName());
        }
        List<ValueInfoProto> f = new ArrayList<>();
        for (ValueInfoProto in : model.getGraph().getInputList()) {
            if (!initializers.contains(in.getName())) {
                f.add(in);
            }
        }
        this.feeds = Collections.unmodifiableList(f);
        Map<String, Integer> pos = new LinkedHashMap<>();
        for (int i = 0; i < plan.inputNames.size(); i++) {
            pos.put(plan.inputNames.get(i), i);
        }
        this.feedPosition = pos;
    }

    public String name() {
        return name;
    }

    /** The operator types the inference plan runs, in order (tests of what prepare rewrote). */
    List<String> plannedOperators() {
        List<String> r = new ArrayList<>();
        for (Plan.Step s : plan.steps) {
            r.add(s.op.node().opType());
        }
        return r;
    }

    /** How many input shape sets have their shape arithmetic kept (0 where the plan has none). */
    int specialisedShapes() {
        return shapeArithmetic == null ? 0 : shapeArithmetic.kept();
    }

    public ModelProto model() {
        return model;
    }

    public Device device() {
        return device;
    }

    /** The inputs a caller feeds, in order (graph inputs without an initializer). */
    public List<ValueInfoProto> inputs() {
        return feeds;
    }

    public List<String> inputNames() {
        return feeds.stream().map(ValueInfoProto::getName).toList();
    }

    public List<String> outputNames() {
        return plan.outputNames;
    }

    public List<ValueInfoProto> outputs() {
        return model.getGraph().getOutputList();
    }

    /** Number of graph nodes (what {@code lastLayers} counts). */
    public int nodeCount() {
        return model.getGraph().getNodeCount();
    }

    /**
     * Whether feeds must have the declared ranks and fixed dimensions (default). Element types are
     * always checked. Test suites whose data disagrees with their own declarations turn this off.
     */
    public void setCheckFeedShapes(boolean check) {
        this.checkFeedShapes = check;
    }

    // ---------------------------------------------------------------- running

    /** Runs the whole graph on tensors fed in input order; returns the graph outputs. */
    public List<Tensor> run(List<Tensor> inputs) {
        return asTensors(runValues(new ArrayList<>(inputs), -1, false, null, null));
    }

    /**
     * Runs the graph up to a cut, as SINGA does: {@code lastLayers = -1} is the full graph, {@code -2}
     * leaves out the last node, and so on ({@code n > 0} runs the first n nodes); returns the outputs
     * of the last node run.
     */
    public List<Tensor> run(List<Tensor> inputs, int lastLayers) {
        return asTensors(runValues(new ArrayList<>(inputs), lastLayers, false, null, null));
    }

    /** Runs with inputs by name (any graph input, including those with a default initializer). */
    public Map<String, Value> run(Map<String, ? extends Value> namedInputs) {
        Value[] in = new Value[plan.inputNames.size()];
        for (Map.Entry<String, ? extends Value> e : namedInputs.entrySet()) {
            Integer p = feedPosition.get(e.getKey());
            if (p == null) {
                throw new SonnxException("model " + name + " has no input named '" + e.getKey() + "' (inputs: "
                        + String.join(", ", inputNames()) + ")");
            }
            in[p] = e.getValue();
        }
        Value[] out = execute(in, -1, false, null, null);
        Map<String, Value> r = new LinkedHashMap<>();
        for (int i = 0; i < out.length; i++) {
            r.put(plan.outputNames.get(i), out[i]);
        }
        return r;
    }

    /**
     * The general form: values (tensors, sequences, optionals) in feed order, an optional cut, training
     * mode, a tape to record on for backward, and a random source (null: seeded from the clock).
     */
    public List<Value> runValues(List<? extends Value> inputs, int lastLayers, boolean training, Tape tape,
                                 RandomGenerator random) {
        if (inputs.size() != feeds.size()) {
            throw new SonnxException("model " + name + " takes " + feeds.size() + " inputs ("
                    + String.join(", ", inputNames()) + "), given " + inputs.size());
        }
        Value[] in = new Value[plan.inputNames.size()];
        for (int i = 0; i < feeds.size(); i++) {
            in[feedPosition.get(feeds.get(i).getName())] = inputs.get(i);
        }
        return List.of(execute(in, lastLayers, training, tape, random));
    }

    private Value[] execute(Value[] in, int lastLayers, boolean training, Tape tape, RandomGenerator random) {
        if (device.runsOneAtATime()) {
            synchronized (device) {
                return executeNamed(in, lastLayers, training, tape, random);
            }
        }
        return executeNamed(in, lastLayers, training, tape, random);
    }

    private Value[] executeNamed(Value[] in, int lastLayers, boolean training, Tape tape, RandomGenerator random) {
        try {
            return executeChecked(in, lastLayers, training, tape, random);
        } catch (SonnxException e) {
            // node errors name the node; the model's name makes them useful in a cluster's logs
            String prefix = "model " + name;
            throw e.getMessage() != null && e.getMessage().startsWith(prefix) ? e
                    : new SonnxException(prefix + ": " + e.getMessage(), e);
        }
    }

    private Value[] executeChecked(Value[] in, int lastLayers, boolean training, Tape tape,
                                   RandomGenerator random) {
        for (ValueInfoProto declared : model.getGraph().getInputList()) {
            int p = feedPosition.get(declared.getName());
            if (in[p] != null || plan.constants[plan.inputSlots[p]] == null) {
                FeedChecker.check(name, declared, in[p], checkFeedShapes);
            }
        }
        Arena arena = newArena(tape);
        RunOptions options = new RunOptions(device, training, tape,
                random != null ? random : new SplittableRandom(System.nanoTime()), arena,
                RunOptions.deadlineAfter(timeLimitNanos));
        try {
            Value[] out = runPlan(in, lastLayers, options);
            if (arena != null) {
                for (Value v : out) {
                    arena.escape(v);
                }
            }
            return out;
        } finally {
            if (arena != null && tape == null) {
                arena.close();
            }
            // the run that packs the weights frees their plain copies (see ConstantWeights)
            DirectMemory.trim();
        }
    }

    /**
     * A run's memory: pooled and recycled as values die when nothing records; when a tape records,
     * recycled only when the training step that owns the tape ends (the tape reads every value until
     * backward is done). Without a step to tie it to, a recorded run uses fresh memory.
     */
    private static Arena newArena(Tape tape) {
        if (tape == null) {
            return new Arena(false);
        }
        Autograd.Session session = Autograd.current();
        if (session == null || session.tape() != tape) {
            return null;
        }
        Arena arena = new Arena(true);
        session.onClose(arena::close);
        return arena;
    }

    private Value[] runPlan(Value[] in, int lastLayers, RunOptions options) {
        if (lastLayers == -1 || lastLayers >= nodeCount()) {
            // a recorded run differentiates the model's own operators, not the fused ones
            Plan p = options.tape != null && !planRecords ? unfused() : plan;
            Frame frame = new Frame(p, options, null);
            p.bindInputs(frame, on(in));
            // inference runs only: a training-mode run need not compute what an inference run does
            if (p == plan && shapeArithmetic != null && !options.training) {
                shapeArithmetic.prepare(frame, p.inputSlots);
            }
            p.execute(frame, p.steps.length);
            if (frame.recorder != null) {
                frame.recorder.finish();
            }
            return ShapeSpecialisation.detached(frame, p.collect(frame, p.outputSlots));
        }
        int keep = lastLayers < 0 ? nodeCount() + lastLayers + 1 : lastLayers;
        if (keep <= 0) {
            throw new SonnxException("model " + name + ": lastLayers = " + lastLayers + " cuts all "
                    + nodeCount() + " nodes");
        }
        List<String> targets = outputNamesAt(lastLayers);
        Plan p = (options.tape == null || planRecords) && targets.stream().allMatch(plan.slotOf::containsKey)
                ? plan : unfused();
        int[] slots = targets.stream().mapToInt(p.slotOf::get).toArray();
        Frame frame = new Frame(p, options, null);
        p.bindInputs(frame, on(in));
        p.executeUntil(frame, slots);
        return p.collect(frame, slots);
    }

    /** A tensor value's element type and rank, as a sample run saw them. */
    public record Probed(DataType dtype, int rank) {
    }

    /**
     * The element type and rank of every tensor value, from one run on sample feeds (zeros; symbolic
     * dimensions 1), for rewrites that depend on them (opset conversion). Empty when the feeds cannot
     * be made up; without the values after a node that fails on zeros.
     */
    public Map<String, Probed> probeTypes() {
        List<Value> feeds = new ArrayList<>();
        for (ValueInfoProto in : this.feeds) {
            Tensor sample = SampleFeeds.zeros(in);
            if (sample == null) {
                return Map.of();
            }
            feeds.add(sample);
        }
        Value[] in = new Value[plan.inputNames.size()];
        for (int i = 0; i < this.feeds.size(); i++) {
            in[feedPosition.get(this.feeds.get(i).getName())] = feeds.get(i);
        }
        Plan p = unfused();
        Frame frame = new Frame(p, new RunOptions(device, false, null, new SplittableRandom(0), null,
                RunOptions.deadlineAfter(timeLimitNanos)), null);
        Map<String, Probed> probed = new java.util.HashMap<>();
        try {
            p.bindInputs(frame, on(in));
            for (int s = 0; s < p.steps.length; s++) {
                p.execute(frame, s, s + 1);
                for (int slot : p.steps[s].out) {
                    if (slot >= 0 && frame.slots[slot] instanceof Tensor t) {
                        probed.put(p.slotNames[slot], new Probed(t.dtype(), t.rank()));
                    }
                }
            }
        } catch (RuntimeException e) {
            return probed;
        }
        for (int slot = 0; slot < p.slotNames.length; slot++) {
            if (frame.slots[slot] instanceof Tensor t) {
                probed.putIfAbsent(p.slotNames[slot], new Probed(t.dtype(), t.rank()));
            }
        }
        return probed;
    }

    /** The names of what {@link #run(List, int)} returns for a cut: the graph outputs or the last node's. */
    public List<String> outputNamesAt(int lastLayers) {
        if (lastLayers == -1 || lastLayers >= nodeCount()) {
            return plan.outputNames;
        }
        int keep = lastLayers < 0 ? nodeCount() + lastLayers + 1 : lastLayers;
        return model.getGraph().getNode(keep - 1).getOutputList().stream().filter(s -> !s.isEmpty()).toList();
    }

    private Plan unfused() {
        Plan p = unfusedPlan;
        if (p == null) {
            synchronized (this) {
                p = unfusedPlan;
                if (p == null) {
                    p = unfusedCompiler.get();
                    unfusedPlan = p;
                }
            }
        }
        return p;
    }

    /** Feeds moved to this model's device. */
    private Value[] on(Value[] in) {
        if (device.isHost()) {
            return in;
        }
        Value[] r = in.clone();
        for (int i = 0; i < r.length; i++) {
            // integer feeds (token ids, masks) stay on the host with the shape arithmetic; kernels
            // that take them as data copy them over
            if (r[i] instanceof Tensor t && t.dtype().isFloat()) {
                r[i] = t.to(device);
            }
        }
        return r;
    }

    private static List<Tensor> asTensors(List<Value> values) {
        List<Tensor> r = new ArrayList<>(values.size());
        for (Value v : values) {
            r.add(v.asTensor());
        }
        return r;
    }

    /**
     * The float initializers that feed a differentiable input of some operator, in file order: what
     * training updates. BatchNormalization's running statistics, shapes, indices and settings are
     * not among them (their operators say those inputs take no gradient), nor are scalars: exporters
     * write the constants of an expression (the 1e-5 of a decomposed LayerNorm, the sqrt(d) of
     * attention) as rank-0 initializers, while weights have at least one dimension.
     */
    public List<String> trainableInitializers() {
        Set<String> feedsGradient = new HashSet<>();
        for (Plan.Step step : plan.steps) {
            if (!step.op.differentiable()) {
                continue;
            }
            for (int i = 0; i < step.in.length; i++) {
                int slot = step.in[i];
                if (slot >= 0 && plan.constants[slot] instanceof Tensor t && t.dtype().isFloat() && t.rank() > 0
                        && step.op.differentiableInput(i)) {
                    feedsGradient.add(plan.slotNames[slot]);
                }
            }
        }
        List<String> names = new ArrayList<>();
        for (TensorProto t : model.getGraph().getInitializerList()) {
            if (feedsGradient.contains(t.getName())) {
                names.add(t.getName());
            }
        }
        return names;
    }

    /** The float initializers of the model, which training must never fold into other constants. */
    public static Set<String> floatInitializers(ModelProto model) {
        Set<String> names = new HashSet<>();
        for (TensorProto t : model.getGraph().getInitializerList()) {
            int code = t.getDataType();
            if (code == 1 || code == 10 || code == 11 || code == 16) {
                names.add(t.getName());
            }
        }
        return names;
    }

    /** The plan's constant {@code name} as it stands, without {@link #initializer}'s pinning (for tests). */
    Tensor planConstant(String constantName) {
        Integer s = plan.slotOf.get(constantName);
        return s == null || !(plan.constants[s] instanceof Tensor t) ? null : t;
    }

    /**
     * The current value of an initializer (a weight), on the device; null when there is none. The
     * plan no longer drops its plain copy once an operator keeps it packed (the caller may read it
     * at any time): where one did already, the contents are rebuilt now.
     */
    public Tensor initializer(String initializerName) {
        Integer s = plan.slotOf.get(initializerName);
        if (s == null || !(plan.constants[s] instanceof Tensor t)) {
            return null;
        }
        if (t.storage() instanceof HostStorage h) {
            h.pin();
        }
        return t;
    }
}
