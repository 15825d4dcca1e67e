package dev.sonnx.runtime.ops.random;

import dev.sonnx.runtime.ops.OpRegistry;

/**
 * Operators of this family: random generators. None is deterministic, so prepare never folds them;
 * a {@code seed} attribute makes a node repeat its output from run to run.
 */
public final class RandomOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
        r.add("RandomUniform", 1, (n, b) -> RandomFillOp.uniform(n, false));
        r.add("RandomNormal", 1, (n, b) -> RandomFillOp.normal(n, false));
        r.add("RandomUniformLike", 1, (n, b) -> RandomFillOp.uniform(n, true));
        r.add("RandomNormalLike", 1, (n, b) -> RandomFillOp.normal(n, true));
        r.add("Multinomial", 7, (n, b) -> new MultinomialOp(n));
        r.add("Bernoulli", 15, (n, b) -> new BernoulliOp(n));
    }
}
