package dev.sonnx.runtime.model;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.SplittableRandom;

/** Parameter initialization, PyTorch's defaults: uniform in +-1/sqrt(fan_in) for weights and biases. */
final class Initializers {
    private Initializers() {
    }

    static Tensor uniform(SplittableRandom random, double bound, int... shape) {
        Tensor t = Tensor.zeros(DataType.FLOAT, shape);
        var f = t.floats();
        for (int i = 0; i < t.size(); i++) {
            f.put(i, (float) random.nextDouble(-bound, bound));
        }
        return t;
    }

    static Tensor filled(float value, int... shape) {
        Tensor t = Tensor.zeros(DataType.FLOAT, shape);
        var f = t.floats();
        for (int i = 0; i < t.size(); i++) {
            f.put(i, value);
        }
        return t;
    }
}
