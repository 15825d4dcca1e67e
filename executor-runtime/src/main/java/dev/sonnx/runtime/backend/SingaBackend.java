package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.backend.passes.ConstantRecipes;
import dev.sonnx.runtime.backend.passes.OwnParameters;
import dev.sonnx.runtime.backend.passes.InferencePasses;
import dev.sonnx.runtime.backend.passes.TrainingPasses;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.ops.OpRegistry;
import dev.sonnx.runtime.tensor.Arena;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.DirectMemory;
import dev.sonnx.runtime.tensor.HostStorage;
import dev.sonnx.runtime.tensor.Value;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The entry point SINGA's {@code sonnx} users know: {@code prepare} an ONNX model on a device and
 * get a {@link SingaRep} to run. Everything that depends only on the model happens here, once.
 * Whatever the model holds, prepare returns a rep or throws a {@link SonnxException} (or an
 * {@link dev.sonnx.runtime.onnx.OnnxFormatException} from loading) that names the model and the part.
 */
public final class SingaBackend {
    private SingaBackend() {
    }

    public static SingaRep prepare(ModelProto model, Device device) {
        return prepare(model, device, PrepareOptions.DEFAULTS);
    }

    public static SingaRep prepare(ModelProto model, String device) {
        return prepare(model, Device.parse(device), PrepareOptions.DEFAULTS);
    }

    /** Loads the file (external data beside it) and prepares it. */
    public static SingaRep prepare(Path modelFile, Device device) {
        ModelProto model = ModelIO.load(modelFile);
        return prepare(model, device, PrepareOptions.DEFAULTS.named(modelFile.toString()));
    }

    public static SingaRep prepare(ModelProto model, Device device, PrepareOptions options) {
        String name = options.name != null ? options.name
                : model.getGraph().getName().isEmpty() ? "(unnamed)" : "'" + model.getGraph().getName() + "'";
        try {
            return compile(model, device, options, name);
        } catch (StackOverflowError e) {
            throw new SonnxException("model " + name + ": stack overflow while preparing it (graphs, functions"
                    + " or types nested too deeply)", e);
        } catch (OutOfMemoryError e) {
            throw new SonnxException("model " + name + ": out of memory while preparing it (" + e.getMessage()
                    + ")", e);
        }
    }

    private static SingaRep compile(ModelProto model, Device device, PrepareOptions options, String name) {
        Opsets opsets = ModelValidator.check(model, name);
        // IR 3's weights are graph inputs too: constants here, as in ONNX Runtime
        model = LegacyInitializers.asConstants(model);
        boolean trains = !options.variables.isEmpty();
        if (trains) {
            // each convolution and normalization trains its own parameters and statistics, also where
            // the file merged equal ones; the rep's model (what export writes) is the separated one
            ModelProto separated = OwnParameters.separate(model);
            if (separated != model) {
                // the copies are variables as the merged values were
                Set<String> variables = new HashSet<>(SingaRep.floatInitializers(separated));
                variables.removeAll(SingaRep.floatInitializers(model));
                variables.addAll(options.variables);
                options = options.variables(variables);
                model = separated;
            }
        }
        ModelProto inlined = FunctionInliner.inline(model, name);
        TypeInference.check(inlined, opsets, name);
        // Inference only: training updates the parameters that the rewrites merge.
        boolean fuse = options.foldConstants && !trains;
        Plan plan;
        Supplier<Plan> unfused;
        // The rewrites' tensors (folded weights) live in this arena, and the rewritten model's
        // initializers are views of them: they go back to the system once the plan has its copies.
        try (Arena rewrites = Arena.scratch()) {
            // how to recompute the weights the rewrites compute, from the model's own tensors
            Map<TensorProto, HostStorage.Refill> recipes = new IdentityHashMap<>();
            // constants are folded on the CPU, whatever device runs the model
            ModelProto optimized = fuse ? optimize(inlined, rewrites, recipes, device, new PlanCompiler.Env(name,
                    options.registry, opsets.with(inlined.getOpsetImportList()), CpuDevice.get(), true, Set.of(),
                    options.timeLimitNanos)) : inlined;
            if (trains && device.isHost() && options.trainingLayouts) {
                optimized = TrainingPasses.apply(inlined);
            }
            // The rewrites may add dev.sonnx nodes, whose domain the model does not import.
            PlanCompiler.Env env = new PlanCompiler.Env(name, options.registry,
                    opsets.with(optimized.getOpsetImportList()), device, options.foldConstants, options.variables,
                    options.timeLimitNanos);
            Plan compiled = new PlanCompiler(env, optimized.getGraph(), "model " + name, Set.of())
                    .rebuildingFrom(recipes).compile();
            // a model in training shares its weights between the rewritten plan and the model's own
            Map<String, Value> shared = trains ? initializers(compiled, inlined) : Map.of();
            plan = compiled;
            unfused = optimized == inlined ? () -> compiled
                    : () -> new PlanCompiler(env, inlined.getGraph(), "model " + name, Set.of())
                            .sharingInitializers(shared).compile();
        }
        // the rewrites' scratch memory went back to malloc; have malloc give its pages back too
        DirectMemory.trim();
        // shape arithmetic is kept across runs only where nothing updates the constants it may read
        return new SingaRep(name, model, device, plan, unfused, options.timeLimitNanos, fuse, trains);
    }

    /** The values {@code plan} holds for {@code model}'s initializers, by name. */
    private static Map<String, Value> initializers(Plan plan, ModelProto model) {
        Map<String, Value> r = new HashMap<>();
        for (TensorProto t : model.getGraph().getInitializerList()) {
            Integer slot = plan.slotOf.get(t.getName());
            if (slot != null && plan.constants[slot] != null) {
                r.put(t.getName(), plan.constants[slot]);
            }
        }
        return r;
    }

    /**
     * The inference rewrites, their tensors (folded weights) allocated in {@code rewrites}: they end
     * up as views in the rewritten model, whose compiled plan takes its own copies; the arena then
     * gives their memory back to the system, rather than leaving it to a collection of the old
     * generation (twice the model's weights, for a network of Conv + BatchNormalization). How to
     * recompute each such tensor from the model's own goes into {@code recipes}.
     */
    private static ModelProto optimize(ModelProto model, Arena rewrites, Map<TensorProto, HostStorage.Refill> recipes,
                                       Device device, PlanCompiler.Env folding) {
        try (Arena.Scope ignored = rewrites.enter()) {
            // the rewrites see the small values computed from constants (pads, shapes) as initializers
            ModelProto m = ConstantPrefolding.apply(model, folding);
            // The fusions into sonnx's own CPU operators (oneDNN post-ops, channels-last regions)
            // are for the CPU; a GPU gets the rewrites that keep standard ONNX operators.
            return ConstantRecipes.collecting(recipes, model,
                    () -> device.isHost() ? InferencePasses.apply(m) : InferencePasses.applyPortable(m));
        }
    }

    /** Settings of {@link #prepare}. */
    public static final class PrepareOptions {
        /**
         * The settings prepare uses unless told otherwise; the run time limit comes from the system
         * property {@code sonnx.maxRunMillis} (default 0: none), so that a cluster can bound every run.
         */
        public static final PrepareOptions DEFAULTS = new PrepareOptions(null, true, Set.of(), null,
                timeLimitFromProperty());

        final String name;
        final boolean foldConstants;
        final Set<String> variables;
        final OpRegistry registry;
        final long timeLimitNanos;
        /**
         * Whether a model prepared for training (with variables) on the CPU gets the training
         * rewrites ({@link TrainingPasses}); the system property {@code sonnx.trainingLayouts=false}
         * turns them off.
         */
        final boolean trainingLayouts;

        private PrepareOptions(String name, boolean foldConstants, Set<String> variables, OpRegistry registry,
                               long timeLimitNanos) {
            this(name, foldConstants, variables, registry, timeLimitNanos,
                    !"false".equals(System.getProperty("sonnx.trainingLayouts")));
        }

        private PrepareOptions(String name, boolean foldConstants, Set<String> variables, OpRegistry registry,
                               long timeLimitNanos, boolean trainingLayouts) {
            this.name = name;
            this.foldConstants = foldConstants;
            this.variables = variables;
            this.registry = registry != null ? registry : OpRegistry.standard();
            this.timeLimitNanos = timeLimitNanos;
            this.trainingLayouts = trainingLayouts;
        }

        /** {@code sonnx.maxRunMillis} in nanoseconds; 0 when unset, not positive or not a number. */
        static long timeLimitFromProperty() {
            long millis = Long.getLong("sonnx.maxRunMillis", 0);
            return millis <= 0 ? 0 : Math.min(millis, Long.MAX_VALUE / 1_000_000L) * 1_000_000L;
        }

        /** How error messages name the model (its file, usually). */
        public PrepareOptions named(String modelName) {
            return new PrepareOptions(modelName, foldConstants, variables, registry, timeLimitNanos, trainingLayouts);
        }

        /** Whether nodes whose inputs are all constants run once at prepare. */
        public PrepareOptions foldConstants(boolean fold) {
            return new PrepareOptions(name, fold, variables, registry, timeLimitNanos, trainingLayouts);
        }

        /** Initializers that training will update, so prepare never folds them into constants. */
        public PrepareOptions variables(Set<String> names) {
            return new PrepareOptions(name, foldConstants, Set.copyOf(names), registry, timeLimitNanos, trainingLayouts);
        }

        /** Whether a model prepared for training on the CPU gets the training rewrites (default: yes). */
        public PrepareOptions trainingLayouts(boolean rewrite) {
            return new PrepareOptions(name, foldConstants, variables, registry, timeLimitNanos, rewrite);
        }

        /** The operators to build nodes with (default: {@link OpRegistry#standard()}). */
        public PrepareOptions registry(OpRegistry operators) {
            return new PrepareOptions(name, foldConstants, variables, operators, timeLimitNanos, trainingLayouts);
        }

        /**
         * The longest a run (and each node folded at prepare) may take; checked between steps, so a run
         * ends with an error at the step after the limit. Zero means no limit (the default, unless the
         * system property {@code sonnx.maxRunMillis} sets one); a run also stops when its thread is
         * interrupted.
         */
        public PrepareOptions timeLimit(Duration limit) {
            if (limit.isNegative()) {
                throw new IllegalArgumentException("time limit " + limit + " is negative");
            }
            long nanos;
            try {
                nanos = limit.toNanos();
            } catch (ArithmeticException e) {
                nanos = 0; // longer than 292 years: no limit
            }
            return new PrepareOptions(name, foldConstants, variables, registry, nanos, trainingLayouts);
        }
    }
}
