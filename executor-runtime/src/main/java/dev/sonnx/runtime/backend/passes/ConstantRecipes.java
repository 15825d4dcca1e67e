package dev.sonnx.runtime.backend.passes;

import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.tensor.HostStorage;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * How to rebuild, exactly, the initializers that the inference rewrites compute from the model's own
 * (Conv + BatchNormalization's folded weights), recorded while the rewrites run. The plan compiler
 * hands each recipe to the storage of its constant ({@link HostStorage#rebuildableFrom}), so that an
 * operator that keeps the weights only in a form it cannot turn back (Winograd's U, which rounds
 * them) may still let the plain copy go: a later reader gets it recomputed, bit for bit, from the
 * model's tensors, which the prepared model holds anyway.
 *
 * <p>Recipes are keyed by the computed tensor itself, not its name: a later rewrite that transforms
 * the tensor makes a new one, which then has no recipe (and keeps its contents) rather than the
 * wrong one.
 */
public final class ConstantRecipes {
    private static final ThreadLocal<Collecting> COLLECTING = new ThreadLocal<>();

    /** Where recipes go, and the tensors a recipe may read: the model's own, which outlive the rewrites. */
    private record Collecting(Map<TensorProto, HostStorage.Refill> into, Set<TensorProto> stable) {
    }

    private ConstantRecipes() {
    }

    /**
     * Runs {@code rewrites} of {@code source} on this thread, recording into {@code into} the recipes
     * of the tensors they compute from {@code source}'s own initializers.
     */
    public static <T> T collecting(Map<TensorProto, HostStorage.Refill> into, ModelProto source,
                                   Supplier<T> rewrites) {
        Set<TensorProto> stable = Collections.newSetFromMap(new IdentityHashMap<>());
        stable.addAll(source.getGraph().getInitializerList());
        Collecting outer = COLLECTING.get();
        COLLECTING.set(new Collecting(into, stable));
        try {
            return rewrites.get();
        } finally {
            if (outer == null) {
                COLLECTING.remove();
            } else {
                COLLECTING.set(outer);
            }
        }
    }

    /**
     * Records that {@code recipe}, reading only {@code inputs}, rebuilds {@code computed}'s contents
     * exactly; nothing when no one collects, or when an input is not one of the model's own
     * initializers: a tensor that an earlier rewrite computed (a folded Constant node) is a view of
     * prepare's scratch memory, gone once the plan is compiled.
     */
    static void record(TensorProto computed, List<TensorProto> inputs, HostStorage.Refill recipe) {
        Collecting c = COLLECTING.get();
        if (c != null && c.stable.containsAll(inputs)) {
            c.into.put(computed, recipe);
        }
    }
}
