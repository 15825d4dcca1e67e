package dev.sonnx.runtime.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The test build's safety net for {@link Tensor#uninitialized}: with {@code sonnx.poisonUninitialized}
 * (set by the surefire configuration) memory for overwriting starts as all-ones bits, pooled or not,
 * so any kernel that skips an element produces NaN (or -1) in the conformance cases instead of a zero
 * that a recycled block happened to hold. Zeroed allocations stay zero.
 */
class UninitializedMemoryTest {
    @Test
    void memoryForOverwritingIsPoisonedInTests() {
        assertTrue(Boolean.getBoolean("sonnx.poisonUninitialized"), "surefire sets sonnx.poisonUninitialized");
        Tensor outside = Tensor.uninitialized(DataType.FLOAT, 3, 5);
        for (int i = 0; i < 15; i++) {
            assertTrue(Float.isNaN(outside.floats().get(i)), "unpooled memory for overwriting holds NaN");
        }
        Arena arena = new Arena(false);
        try (Arena.Scope scope = arena.enter()) {
            // a block that held zeros and a one goes back to the pool, then serves the next request
            Tensor used = Tensor.zeros(DataType.FLOAT, 1237);
            used.floats().put(7, 1f);
            arena.retain(used);
            arena.release(used);
            Tensor pooled = Tensor.uninitialized(DataType.INT32, 1237);
            for (int i = 0; i < 1237; i++) {
                assertEquals(-1, pooled.ints().get(i), "pooled memory for overwriting holds all-ones bits");
            }
            arena.retain(pooled);
            arena.release(pooled);
            Tensor zeroed = Tensor.zeros(DataType.FLOAT, 1237);
            for (int i = 0; i < 1237; i++) {
                assertEquals(0f, zeroed.floats().get(i), "zeroed memory stays zero");
            }
        } finally {
            arena.close();
        }
    }
}
