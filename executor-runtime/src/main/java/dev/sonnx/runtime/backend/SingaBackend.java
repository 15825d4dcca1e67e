package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.backend.passes.InferencePasses;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.ops.OpRegistry;
import dev.sonnx.runtime.tensor.Device;
import java.nio.file.Path;
import java.util.Set;

/**
 * The entry point SINGA's {@code sonnx} users know: {@code prepare} an ONNX model on a device and
 * get a {@link SingaRep} to run. Everything that depends only on the model happens here, once.
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
        Opsets opsets = ModelValidator.check(model, name);
        ModelProto inlined = FunctionInliner.inline(model, name);
        // Inference only: training updates the parameters that the rewrites merge.
        boolean fuse = options.foldConstants && options.variables.isEmpty();
        ModelProto optimized = fuse ? InferencePasses.apply(inlined) : inlined;
        PlanCompiler.Env env = new PlanCompiler.Env(name, OpRegistry.standard(),
                opsets.with(optimized.getOpsetImportList()), device, options.foldConstants, options.variables);
        Plan plan = new PlanCompiler(env, optimized.getGraph(), "model " + name, Set.of()).compile();
        java.util.function.Supplier<Plan> unfused = optimized == inlined ? () -> plan
                : () -> new PlanCompiler(env, inlined.getGraph(), "model " + name, Set.of()).compile();
        return new SingaRep(name, model, device, plan, unfused);
    }

    /** Settings of {@link #prepare}. */
    public static final class PrepareOptions {
        public static final PrepareOptions DEFAULTS = new PrepareOptions(null, true, Set.of());

        final String name;
        final boolean foldConstants;
        final Set<String> variables;

        private PrepareOptions(String name, boolean foldConstants, Set<String> variables) {
            this.name = name;
            this.foldConstants = foldConstants;
            this.variables = variables;
        }

        /** How error messages name the model (its file, usually). */
        public PrepareOptions named(String modelName) {
            return new PrepareOptions(modelName, foldConstants, variables);
        }

        /** Whether nodes whose inputs are all constants run once at prepare. */
        public PrepareOptions foldConstants(boolean fold) {
            return new PrepareOptions(name, fold, variables);
        }

        /** Initializers that training will update, so prepare never folds them into constants. */
        public PrepareOptions variables(Set<String> names) {
            return new PrepareOptions(name, foldConstants, Set.copyOf(names));
        }
    }
}
