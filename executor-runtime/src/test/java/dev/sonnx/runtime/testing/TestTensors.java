package dev.sonnx.runtime.testing;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.SplittableRandom;

/** Test inputs. */
public final class TestTensors {
    private TestTensors() {
    }

    /** A float32 tensor of values drawn uniformly from [-1, 1), the same for the same seed. */
    public static Tensor random(long seed, int... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(DataType.FLOAT, shape);
        for (int i = 0; i < t.size(); i++) {
            t.setFloat(i, (float) r.nextDouble(-1, 1));
        }
        return t;
    }

    /** Values in [0.5, 1.5): scales and variances of normalisations, the same for the same seed. */
    public static Tensor positive(long seed, int... shape) {
        Tensor t = random(seed, shape);
        for (int i = 0; i < t.size(); i++) {
            t.setFloat(i, 0.5f + Math.abs(t.getFloat(i)));
        }
        return t;
    }
}
