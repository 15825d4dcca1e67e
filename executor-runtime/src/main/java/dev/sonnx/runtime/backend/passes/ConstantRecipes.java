package dev.sonnx.runtime.backend.passes;

import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.tensor.HostStorage;
import java.util.Map;
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
    private static final ThreadLocal<Map<TensorProto, HostStorage.Refill>> COLLECTING = new ThreadLocal<>();

    private ConstantRecipes() {
    }

    /** Runs {@code rewrites} on this thread, recording the recipes of the tensors they compute into {@code into}. */
    public static <T> T collecting(Map<TensorProto, HostStorage.Refill> into, Supplier<T> rewrites) {
        Map<TensorProto, HostStorage.Refill> outer = COLLECTING.get();
        COLLECTING.set(into);
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

    /** Records that {@code recipe} rebuilds {@code computed}'s contents exactly (nothing when no one collects). */
    static void record(TensorProto computed, HostStorage.Refill recipe) {
        Map<TensorProto, HostStorage.Refill> into = COLLECTING.get();
        if (into != null) {
            into.put(computed, recipe);
        }
    }
}
