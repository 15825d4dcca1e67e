package dev.sonnx.runtime.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Finite-difference gradient checks: for L = sum(w * op(x)) with fixed random weights w, compares
 * {@link Operator#backward} with central differences (L(x + h) - L(x - h)) / 2h on every element of
 * the chosen inputs. Run in float64 where the operator allows it, so the comparison is tight.
 */
public final class GradCheck {
    private final Operator op;
    private boolean training;
    private double eps = 1e-6;
    private double atol = 1e-6;
    private double rtol = 1e-4;

    private GradCheck(Operator op) {
        this.op = op;
    }

    public static GradCheck of(Operator op) {
        return new GradCheck(op);
    }

    /** Runs forward in training mode (BatchNormalization with batch statistics, Dropout...). */
    public GradCheck training(boolean t) {
        this.training = t;
        return this;
    }

    /** Step and tolerances (defaults suit float64; use e.g. 1e-2 / 1e-3 / 1e-2 for float32). */
    public GradCheck tolerance(double step, double absTol, double relTol) {
        this.eps = step;
        this.atol = absTol;
        this.rtol = relTol;
        return this;
    }

    /** Checks the gradients of the inputs at positions {@code wrt}; other inputs are held constant. */
    public void check(Tensor[] inputs, int... wrt) {
        TestContext ctx = new TestContext(training);
        Value[] out = op.forward(inputs, ctx);
        SplittableRandom rnd = new SplittableRandom(7);
        Tensor[] weights = new Tensor[out.length];
        for (int o = 0; o < out.length; o++) {
            if (out[o] == null || !(out[o] instanceof Tensor t) || !t.dtype().isFloat()) {
                continue;
            }
            weights[o] = Tensor.zeros(t.dtype(), t.shape());
            for (int i = 0; i < t.size(); i++) {
                weights[o].setDouble(i, rnd.nextDouble(-1, 1));
            }
        }
        boolean[] needs = new boolean[inputs.length];
        for (int w : wrt) {
            needs[w] = true;
        }
        Tensor[] grads = op.backward(new BackwardContext(inputs, out, weights, needs, ctx.saved, ctx));
        for (int w : wrt) {
            Tensor x = inputs[w];
            assertNotNull(grads[w], op.node().opType() + ": no gradient for input " + w);
            assertTrue(Arrays.equals(grads[w].shape(), x.shape()), op.node().opType() + ": gradient of input " + w
                    + " has shape " + Arrays.toString(grads[w].shape()) + ", input " + Arrays.toString(x.shape()));
            for (int i = 0; i < x.size(); i++) {
                double orig = x.getDouble(i);
                x.setDouble(i, orig + eps);
                double lp = loss(inputs, weights);
                x.setDouble(i, orig - eps);
                double lm = loss(inputs, weights);
                x.setDouble(i, orig);
                double numeric = (lp - lm) / (2 * eps);
                double analytic = grads[w].getDouble(i);
                assertEquals(numeric, analytic, atol + rtol * Math.abs(numeric),
                        op.node().opType() + ": d/d input" + w + "[" + i + "]");
            }
        }
    }

    private double loss(Tensor[] inputs, Tensor[] weights) {
        Value[] out = op.forward(inputs, new TestContext(training));
        double l = 0;
        for (int o = 0; o < out.length; o++) {
            if (weights[o] == null) {
                continue;
            }
            Tensor t = out[o].asTensor();
            for (int i = 0; i < t.size(); i++) {
                l += weights[o].getDouble(i) * t.getDouble(i);
            }
        }
        return l;
    }

    /** A float64 tensor of uniform random values in [lo, hi). */
    public static Tensor random(long seed, double lo, double hi, int... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(DataType.DOUBLE, shape);
        for (int i = 0; i < t.size(); i++) {
            t.setDouble(i, r.nextDouble(lo, hi));
        }
        return t;
    }
}
