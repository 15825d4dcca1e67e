package dev.sonnx.runtime.ops.linalg;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;
import java.util.Set;

/**
 * Einsum (12): the equation is parsed at prepare; each run binds it to the operands' shapes and
 * contracts them ({@link EinsumEngine}). The gradient of an operand is itself an einsum: the output
 * gradient contracted with the other operands onto the operand's labels, then spread onto its
 * diagonals (repeated labels) and along the labels it summed alone.
 */
final class Einsum extends Operator {
    private static final Set<DataType> TYPES = TypeCheck.union(TypeCheck.INTEGERS,
            Set.of(DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16));

    private final EinsumEquation equation;

    Einsum(Node node) {
        super(node);
        String text = node.attributes().getString("equation", null);
        if (text == null) {
            throw new IllegalArgumentException("required attribute 'equation' is missing");
        }
        this.equation = EinsumEquation.parse(text);
        if (equation.inputCount() != node.inputCount()) {
            throw new IllegalArgumentException("equation '" + equation + "' has " + equation.inputCount()
                    + " terms but the node has " + node.inputCount() + " inputs");
        }
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor[] xs = operands(inputs);
        EinsumEquation.Bound b = equation.bind(shapes(xs));
        return outputs(EinsumEngine.evaluate(xs, b.inputs(), b.output(), b.sizes(), xs[0].dtype(), ctx.device()));
    }

    private Tensor[] operands(Value[] inputs) {
        Tensor[] xs = new Tensor[inputs.length];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = required(inputs, i);
        }
        if (xs.length == 0) {
            throw new IllegalArgumentException("Einsum needs at least one input");
        }
        TypeCheck.require(xs[0], TYPES, "input 0");
        TypeCheck.same(xs);
        return xs;
    }

    private static int[][] shapes(Tensor[] xs) {
        int[][] s = new int[xs.length][];
        for (int i = 0; i < xs.length; i++) {
            s[i] = xs[i].shape();
        }
        return s;
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        int n = g.inputCount();
        Tensor[] r = new Tensor[n];
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.input(0).dtype().isFloat()) {
            return r;
        }
        Tensor[] xs = new Tensor[n];
        for (int i = 0; i < n; i++) {
            xs[i] = g.input(i);
        }
        EinsumEquation.Bound b = equation.bind(shapes(xs));
        for (int i = 0; i < n; i++) {
            if (g.needsGrad(i)) {
                r[i] = gradient(i, xs, gy, b, g);
            }
        }
        return r;
    }

    /** d loss / d xs[i]: gy contracted with the other operands onto xs[i]'s labels, then spread out. */
    private static Tensor gradient(int i, Tensor[] xs, Tensor gy, EinsumEquation.Bound b, BackwardContext g) {
        int n = xs.length;
        Tensor[] ops = new Tensor[n];
        int[][] labels = new int[n][];
        ops[0] = gy;
        labels[0] = b.output();
        for (int j = 0, o = 1; j < n; j++) {
            if (j != i) {
                ops[o] = xs[j];
                labels[o++] = b.inputs()[j];
            }
        }
        Tensor x = xs[i];
        int[] mine = b.inputs()[i];
        // Labels of x that reach the output or other operands at their full size; the rest (summed in x
        // alone, or size 1 in x and broadcast) get the gradient's sum, which broadcasting spreads back.
        boolean[] elsewhere = new boolean[b.sizes().length];
        for (int o = 0; o < n; o++) {
            for (int l : labels[o]) {
                elsewhere[l] = true;
            }
        }
        int[] uniq = EinsumEngine.distinct(mine);
        int[] onto = new int[uniq.length];
        int count = 0;
        for (int l : uniq) {
            int axis = EinsumEngine.indexOf(mine, l);
            if (elsewhere[l] && x.shape()[axis] == b.sizes()[l]) {
                onto[count++] = l;
            }
        }
        onto = Arrays.copyOf(onto, count);
        Tensor grad = EinsumEngine.evaluate(ops, labels, onto, b.sizes(), x.dtype(), g.device());
        if (Arrays.equals(onto, mine)) {
            return grad;     // no diagonal, nothing broadcast: the contraction is the gradient
        }
        return spread(grad, onto, x, mine);
    }

    /**
     * dx[index] = grad[index's labels in {@code onto}] where every repeated label of x agrees (its
     * diagonal), 0 elsewhere; labels of x not in {@code onto} broadcast.
     */
    private static Tensor spread(Tensor grad, int[] onto, Tensor x, int[] mine) {
        int rank = mine.length;
        int[] gradStrides = Shapes.strides(grad.shape());
        int[] step = new int[rank];
        int[] firstAxis = new int[rank];
        for (int a = 0; a < rank; a++) {
            firstAxis[a] = EinsumEngine.indexOf(mine, mine[a]);
            int p = EinsumEngine.indexOf(onto, mine[a]);
            step[a] = p >= 0 && firstAxis[a] == a ? gradStrides[p] : 0;
        }
        Tensor dx = Tensor.uninitialized(x.dtype(), x.shape());
        int[] idx = new int[rank];
        int[] shape = x.shape();
        int off = 0;
        for (int e = 0; e < dx.size(); e++) {
            boolean onDiagonal = true;
            for (int a = 0; a < rank; a++) {
                if (idx[a] != idx[firstAxis[a]]) {
                    onDiagonal = false;
                    break;
                }
            }
            dx.setDouble(e, onDiagonal ? grad.getDouble(off) : 0);
            for (int a = rank - 1; a >= 0; a--) {
                off += step[a];
                if (++idx[a] < shape[a]) {
                    break;
                }
                off -= step[a] * shape[a];
                idx[a] = 0;
            }
        }
        return dx;
    }
}
