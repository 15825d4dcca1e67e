package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;
import java.util.List;

/**
 * Slice: along each listed axis, the elements {@code start, start+step, ...} before {@code end}.
 * Negative starts and ends count from the end of the axis; both are then clamped (to [0, dim] for
 * positive steps, to [0, dim-1] and [-1, dim-1] for negative ones), so out-of-range bounds such as
 * INT64_MAX select up to the edge. Slice-1 takes starts/ends/axes as attributes; Slice-10 and later
 * take them (and steps) as inputs. The gradient scatters the output gradient back into zeros.
 */
final class Slice extends Operator {
    private final long[] startsAttribute;
    private final long[] endsAttribute;
    private final long[] axesAttribute;

    private Slice(Node node, long[] starts, long[] ends, long[] axes) {
        super(node);
        this.startsAttribute = starts;
        this.endsAttribute = ends;
        this.axesAttribute = axes;
    }

    /** Slice-1: {@code starts}, {@code ends} (required) and {@code axes} attributes, step 1. */
    static Slice v1(Node node) {
        long[] starts = node.attributes().getLongs("starts", null);
        long[] ends = node.attributes().getLongs("ends", null);
        if (starts == null || ends == null) {
            throw new IllegalArgumentException("required attribute '" + (starts == null ? "starts" : "ends")
                    + "' is missing");
        }
        return new Slice(node, starts, ends, node.attributes().getLongs("axes", null));
    }

    /** Slice-10 and later: inputs {@code starts}, {@code ends}, {@code axes?}, {@code steps?}. */
    static Slice v10(Node node) {
        return new Slice(node, null, null, null);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        int[][] plan = plan(x.shape(), inputs);
        return outputs(map(x.shape(), plan).forward(x, null, plan[2], ctx));
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        return IndexMap.backward(g);
    }

    private static IndexMap map(int[] in, int[][] plan) {
        int[] strides = Shapes.strides(in);
        List<IndexMap.Axis> axes = new java.util.ArrayList<>(in.length);
        for (int d = 0; d < in.length; d++) {
            axes.add(IndexMap.Axis.affine(plan[2][d], plan[0][d] * strides[d], plan[1][d] * strides[d]));
        }
        return new IndexMap(axes, true);
    }

    /** Per input axis: {start}, {step}, {count} (the output shape). */
    private int[][] plan(int[] shape, Value[] inputs) {
        long[] starts;
        long[] ends;
        long[] axes;
        long[] steps = null;
        if (startsAttribute != null) {
            starts = startsAttribute;
            ends = endsAttribute;
            axes = axesAttribute;
        } else {
            starts = Args.longs(required(inputs, 1), "starts");
            ends = Args.longs(required(inputs, 2), "ends");
            axes = tensor(inputs, 3) == null ? null : Args.longs(tensor(inputs, 3), "axes");
            steps = tensor(inputs, 4) == null ? null : Args.longs(tensor(inputs, 4), "steps");
        }
        int n = starts.length;
        if (ends.length != n || axes != null && axes.length != n || steps != null && steps.length != n) {
            throw new IllegalArgumentException("starts, ends, axes and steps must have one entry each per sliced axis;"
                    + " got " + n + " starts, " + ends.length + " ends"
                    + (axes == null ? "" : ", " + axes.length + " axes")
                    + (steps == null ? "" : ", " + steps.length + " steps"));
        }
        if (axes == null) {
            if (n > shape.length) {
                throw new IllegalArgumentException(n + " starts for an input of rank " + shape.length);
            }
            axes = new long[n];
            for (int i = 0; i < n; i++) {
                axes[i] = i;
            }
        }
        int[] axis = Args.axes(axes, shape.length, "axes");
        int[] start = new int[shape.length];
        int[] step = new int[shape.length];
        int[] count = shape.clone();
        Arrays.fill(step, 1);
        for (int i = 0; i < n; i++) {
            int d = axis[i];
            long st = steps == null ? 1 : steps[i];
            if (st == 0 || st < -Integer.MAX_VALUE || st > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("steps " + Arrays.toString(steps) + " has an invalid step " + st);
            }
            long dim = shape[d];
            long s = starts[i] < 0 ? starts[i] + dim : starts[i];
            long e = ends[i] < 0 ? ends[i] + dim : ends[i];
            long c;
            if (dim == 0) {
                c = 0;
            } else if (st > 0) {
                s = Args.clamp(s, 0, dim);
                e = Args.clamp(e, 0, dim);
                c = e > s ? (e - s + st - 1) / st : 0;
            } else {
                s = Args.clamp(s, 0, dim - 1);
                e = Args.clamp(e, -1, dim - 1);
                c = s > e ? (s - e - st - 1) / -st : 0;
            }
            // a single element (or none) has no step: keep offsets small
            start[d] = c == 0 ? 0 : (int) s;
            step[d] = c <= 1 ? 1 : (int) st;
            count[d] = (int) c;
        }
        return new int[][] {start, step, count};
    }
}
