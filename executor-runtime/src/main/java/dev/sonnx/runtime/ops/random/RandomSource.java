package dev.sonnx.runtime.ops.random;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.tensor.Device;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Where a random operator draws from: with a {@code seed} attribute, a generator made from the seed
 * afresh on every run (so a seeded node gives the same output each time and concurrent runs do not
 * share state); without one, the run's generator ({@link OpContext#random()}).
 *
 * <p>Large outputs are filled in fixed blocks (of {@link #BLOCK} elements by default), each from its own
 * generator seeded by one draw from the source, so blocks can be filled in parallel and the result
 * does not depend on how many threads there are.
 */
final class RandomSource {
    static final int BLOCK = 1 << 14;

    /** One block of an output: elements [start, end) drawn from {@code random}. */
    @FunctionalInterface
    interface BlockBody {
        void fill(int start, int end, SplittableRandom random);
    }

    private final boolean seeded;
    private final long seed;

    private RandomSource(boolean seeded, long seed) {
        this.seeded = seeded;
        this.seed = seed;
    }

    static RandomSource of(Node node) {
        if (!node.attributes().has("seed")) {
            return new RandomSource(false, 0);
        }
        float s = node.attributes().getFloat("seed", 0f);
        // The seed is a float attribute: its bits tell 0.5 from 0, which a cast to long would not.
        return new RandomSource(true, Float.floatToIntBits(s));
    }

    boolean seeded() {
        return seeded;
    }

    /** The generator for one run of the node. */
    RandomGenerator generator(OpContext ctx) {
        return seeded ? new SplittableRandom(seed) : ctx.random();
    }

    /** Fills {@code count} elements block by block, blocks in parallel. */
    void fill(int count, long costPerElement, OpContext ctx, BlockBody body) {
        fill(count, BLOCK, costPerElement, ctx, body);
    }

    /** Fills {@code count} items (elements, rows...) in blocks of {@code block}, blocks in parallel. */
    void fill(int count, int block, long costPerItem, OpContext ctx, BlockBody body) {
        RandomGenerator g = generator(ctx);
        int blocks = (count + block - 1) / block;
        long[] seeds = new long[blocks];
        for (int b = 0; b < blocks; b++) {
            seeds[b] = g.nextLong();
        }
        Device device = ctx.device();
        device.parallelFor(blocks, costPerItem * block, (s, e) -> {
            for (int b = s; b < e; b++) {
                int start = b * block;
                body.fill(start, Math.min(count, start + block), new SplittableRandom(seeds[b]));
            }
        });
    }
}
