package dev.sonnx.runtime.backend.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.tensor.HostStorage;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A recipe is kept only where it reads the model's own initializers: a tensor an earlier rewrite
 * computed lives in prepare's scratch memory, which is gone when a reader would call the recipe.
 */
class ConstantRecipesTest {

    @Test
    void recipesReadOnlyTheModelsOwnTensors() {
        ModelProto model = Models.addWeight(Tensor.of(new float[] {1, 2, 3}, 3));
        TensorProto own = model.getGraph().getInitializer(0);
        // equal in every field, but not the model's tensor: what a rewrite would have made
        TensorProto computedEarlier = TensorProtos.fromTensor(TensorProtos.toTensor(own), own.getName());
        TensorProto fromOwn = TensorProto.newBuilder().setName("a").build();
        TensorProto fromComputed = TensorProto.newBuilder().setName("b").build();
        HostStorage.Refill recipe = target -> { };
        Map<TensorProto, HostStorage.Refill> recipes = new IdentityHashMap<>();
        String result = ConstantRecipes.collecting(recipes, model, () -> {
            ConstantRecipes.record(fromOwn, List.of(own), recipe);
            ConstantRecipes.record(fromComputed, List.of(own, computedEarlier), recipe);
            return "done";
        });
        assertEquals("done", result);
        assertEquals(1, recipes.size());
        assertSame(recipe, recipes.get(fromOwn));
        // outside a collection, nothing is recorded anywhere
        ConstantRecipes.record(fromOwn, List.of(own), recipe);
        assertTrue(recipes.containsKey(fromOwn) && recipes.size() == 1);
    }
}
