package dev.sonnx.runtime.ops.control;

import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.ops.BuildContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.Subgraph;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Loop (1, 11, 13, 16). Inputs {@code (M?, cond?, v_initial...)}; the body takes
 * {@code (iteration_num, cond_in, v_in...)} and returns {@code (cond_out, v_out..., scan...)}. The node
 * returns the N final loop-carried values, then the K scan outputs, each the per-iteration tensors
 * stacked along a new first axis.
 *
 * <p>The loop runs while {@code i < M} (M omitted: no bound) and the condition holds, the condition
 * starting from input {@code cond} (omitted: true) and then taken from the body's {@code cond_out},
 * as onnxruntime and the ONNX reference evaluator do. Loop-carried values may be tensors (1, 11),
 * sequences (13) and optionals (16); scan outputs are tensors. With no iteration the carried values
 * are the initial ones and each scan output is empty, shaped [0, body's declared dims].
 */
final class LoopOp extends Operator {
    private static final Tensor TRUE = Tensor.of(new boolean[] {true});

    private final Subgraph body;
    private final GraphProto bodyProto;
    private final int carried;
    private final int scans;
    private final FlowValues.Kinds kinds;

    LoopOp(Node node, BuildContext build) {
        super(node);
        GraphProto g = node.attributes().getGraph("body");
        if (g == null) {
            throw new IllegalArgumentException("required attribute 'body' is missing");
        }
        if (node.inputCount() < 2) {
            throw new IllegalArgumentException("Loop takes inputs (M, cond, v_initial...), with empty names for an"
                    + " omitted M or cond; the node lists " + node.inputCount());
        }
        this.carried = node.inputCount() - 2;
        if (g.getInputCount() != carried + 2) {
            throw new IllegalArgumentException("body takes " + g.getInputCount() + " inputs; with " + carried
                    + " loop-carried values it must take " + (carried + 2)
                    + " (iteration_num, cond, the loop-carried values)");
        }
        if (g.getOutputCount() < carried + 1) {
            throw new IllegalArgumentException("body returns " + g.getOutputCount() + " outputs; it must return"
                    + " cond and the " + carried + " loop-carried values, then any scan outputs");
        }
        this.scans = g.getOutputCount() - 1 - carried;
        if (node.outputCount() != carried + scans) {
            throw new IllegalArgumentException("the node has " + node.outputCount() + " outputs, the body returns "
                    + carried + " loop-carried values and " + scans + " scan outputs");
        }
        this.bodyProto = g;
        this.body = build.compileSubgraph(g);
        this.kinds = FlowValues.Kinds.forVersion(node.opsetVersion());
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        long maxTrips = inputs[0] == null ? Long.MAX_VALUE : FlowValues.count(inputs[0], "input M");
        Value cond = inputs[1] == null ? TRUE : inputs[1];
        boolean keepGoing = FlowValues.condition(cond, "input cond");

        Value[] state = new Value[carried];
        for (int i = 0; i < carried; i++) {
            state[i] = inputs[2 + i];
            if (state[i] == null) {
                throw new IllegalArgumentException("loop-carried input " + i + " (node input " + (2 + i)
                        + ") is missing");
            }
            kinds.check(state[i], "loop-carried input " + i, node.opsetVersion());
        }
        List<List<Tensor>> scanned = new ArrayList<>(scans);
        for (int k = 0; k < scans; k++) {
            scanned.add(new ArrayList<>());
        }

        Value[] bodyIn = new Value[carried + 2];
        for (long i = 0; i < maxTrips && keepGoing; i++) {
            bodyIn[0] = Tensor.scalar(i);
            bodyIn[1] = cond;
            System.arraycopy(state, 0, bodyIn, 2, carried);
            Value[] out = body.run(bodyIn, ctx);
            cond = out[0];
            keepGoing = FlowValues.condition(cond, "body output cond (iteration " + i + ")");
            for (int v = 0; v < carried; v++) {
                kinds.check(out[1 + v], "body output " + (1 + v), node.opsetVersion());
                state[v] = out[1 + v];
            }
            for (int k = 0; k < scans; k++) {
                scanned.get(k).add(FlowValues.tensor(out[1 + carried + k], "scan output " + k
                        + " (iteration " + i + ")"));
            }
        }

        Value[] result = new Value[carried + scans];
        System.arraycopy(state, 0, result, 0, carried);
        for (int k = 0; k < scans; k++) {
            List<Tensor> items = scanned.get(k);
            result[carried + k] = items.isEmpty()
                    ? FlowValues.declaredTensor(bodyProto, 1 + carried + k, "scan output " + k).emptyWithAxis(0)
                    : AxisBlocks.stack(items, 0, ctx.device(), "scan output " + k + " of iteration");
        }
        return result;
    }
}
