package dev.sonnx.runtime.ops.training;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * The common shape of the ai.onnx.preview.training optimizers: inputs {@code (R, T, X_1..X_n,
 * G_1..G_n, S1_1..S1_n, ...)} with R the learning rate (float or double scalar), T the update count
 * (int64 scalar), X the tensors optimized, G their gradients and S their optimizer states; outputs
 * {@code (X_new_1..n, S1_new_1..n, ...)}. Each optimizer gives one elementwise rule; this class
 * checks the groups, then applies the rule to every element of every tensor, computing in double.
 */
abstract class OptimizerOp extends Operator {

    /**
     * One element's update: {@code in} holds x, g, then the states; {@code out} receives x_new then
     * the new states.
     */
    @FunctionalInterface
    interface Rule {
        void apply(double[] in, double[] out);
    }

    /** The T1 and T3 type constraints of these operators. */
    private static final Set<DataType> FLOAT_OR_DOUBLE = EnumSet.of(DataType.FLOAT, DataType.DOUBLE);

    private final String[] groupNames;
    private final int tensors;

    /** {@code groupNames}: the input groups after R and T, e.g. X, G, H. */
    OptimizerOp(Node node, String... groupNames) {
        super(node);
        this.groupNames = groupNames;
        int k = groupNames.length;
        int perTensor = node.inputCount() - 2;
        if (perTensor < k || perTensor % k != 0) {
            throw new IllegalArgumentException("inputs must be R, T and " + k + " equal groups ("
                    + String.join(", ", groupNames) + "); the node has " + node.inputCount() + " inputs");
        }
        this.tensors = perTensor / k;
        if (node.outputCount() != (k - 1) * tensors) {
            throw new IllegalArgumentException("the node updates " + tensors + " tensors, so it needs "
                    + (k - 1) * tensors + " outputs, it has " + node.outputCount());
        }
    }

    /** The element rule for learning rate {@code r} at update count {@code t}. */
    protected abstract Rule rule(double r, long t);

    @Override
    public final Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor r = required(inputs, 0);
        TypeCheck.require(r, FLOAT_OR_DOUBLE, "input R");
        if (r.size() != 1) {
            throw new IllegalArgumentException("input R (learning rate) is " + r.describe() + ", expected a scalar");
        }
        Tensor t = required(inputs, 1);
        if (t.dtype() != DataType.INT64 || t.size() != 1) {
            throw new IllegalArgumentException("input T (update count) is " + t.describe()
                    + ", expected an int64 scalar");
        }
        Rule rule = rule(r.getDouble(0), t.getLong(0));
        int k = groupNames.length;
        Value[] out = new Value[(k - 1) * tensors];
        for (int i = 0; i < tensors; i++) {
            Tensor[] in = new Tensor[k];
            for (int g = 0; g < k; g++) {
                in[g] = required(inputs, 2 + g * tensors + i);
                check(in[g], in[0], g, i);
            }
            Tensor[] res = new Tensor[k - 1];
            for (int g = 0; g < k - 1; g++) {
                res[g] = Tensor.uninitialized(in[0].dtype(), in[0].shape());
                out[g * tensors + i] = res[g];
            }
            apply(rule, in, res, ctx);
        }
        return out;
    }

    private void check(Tensor t, Tensor x, int group, int index) {
        String name = groupNames[group] + (index + 1);
        TypeCheck.require(t, FLOAT_OR_DOUBLE, "input " + name);
        if (t.dtype() != x.dtype() || !Arrays.equals(t.shape(), x.shape())) {
            throw new IllegalArgumentException("input " + name + " is " + t.describe() + ", but "
                    + groupNames[0] + (index + 1) + " is " + x.describe() + " (they must match)");
        }
    }

    /** Applies the rule elementwise, reading and writing through float32 or double views. */
    private static void apply(Rule rule, Tensor[] in, Tensor[] res, OpContext ctx) {
        int k = in.length;
        boolean single = in[0].dtype() == DataType.FLOAT;
        ctx.device().parallelFor(in[0].size(), 16, (s, e) -> {
            double[] a = new double[k];
            double[] b = new double[k - 1];
            if (single) {
                FloatBuffer[] fi = new FloatBuffer[k];
                FloatBuffer[] fo = new FloatBuffer[k - 1];
                for (int g = 0; g < k; g++) {
                    fi[g] = in[g].floats();
                }
                for (int g = 0; g < k - 1; g++) {
                    fo[g] = res[g].floats();
                }
                for (int i = s; i < e; i++) {
                    for (int g = 0; g < k; g++) {
                        a[g] = fi[g].get(i);
                    }
                    rule.apply(a, b);
                    for (int g = 0; g < k - 1; g++) {
                        fo[g].put(i, (float) b[g]);
                    }
                }
            } else {
                DoubleBuffer[] di = new DoubleBuffer[k];
                DoubleBuffer[] dout = new DoubleBuffer[k - 1];
                for (int g = 0; g < k; g++) {
                    di[g] = in[g].doubles();
                }
                for (int g = 0; g < k - 1; g++) {
                    dout[g] = res[g].doubles();
                }
                for (int i = s; i < e; i++) {
                    for (int g = 0; g < k; g++) {
                        a[g] = di[g].get(i);
                    }
                    rule.apply(a, b);
                    for (int g = 0; g < k - 1; g++) {
                        dout[g].put(i, b[g]);
                    }
                }
            }
        });
    }
}
