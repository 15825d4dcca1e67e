package dev.sonnx.runtime.ops.control;

import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.ops.BuildContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.Subgraph;
import dev.sonnx.runtime.tensor.Value;

/**
 * If (1, 11, 13, 16): runs {@code then_branch} or {@code else_branch}, both compiled once at prepare,
 * and returns that branch's outputs. Branches take no inputs; they read the enclosing graphs' values
 * by name. Versions differ in what may flow out: tensors (1, 11), sequences too (13), optionals too
 * (16); 11 only relaxed shape inference.
 */
final class IfOp extends Operator {
    private final Subgraph thenBranch;
    private final Subgraph elseBranch;
    private final FlowValues.Kinds kinds;

    IfOp(Node node, BuildContext build) {
        super(node);
        this.thenBranch = compile(node, build, "then_branch");
        this.elseBranch = compile(node, build, "else_branch");
        this.kinds = FlowValues.Kinds.forVersion(node.opsetVersion());
    }

    private static Subgraph compile(Node node, BuildContext build, String attribute) {
        GraphProto g = node.attributes().getGraph(attribute);
        if (g == null) {
            throw new IllegalArgumentException("required attribute '" + attribute + "' is missing");
        }
        if (g.getInputCount() != 0) {
            throw new IllegalArgumentException(attribute + " declares " + g.getInputCount()
                    + " inputs; If branches take none");
        }
        if (g.getOutputCount() != node.outputCount()) {
            throw new IllegalArgumentException(attribute + " has " + g.getOutputCount() + " outputs, the node "
                    + node.outputCount());
        }
        return build.compileSubgraph(g);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        boolean cond = FlowValues.condition(inputs[0], "input cond");
        String branch = cond ? "then_branch" : "else_branch";
        Value[] out = (cond ? thenBranch : elseBranch).run(new Value[0], ctx);
        for (int i = 0; i < out.length; i++) {
            kinds.check(out[i], branch + " output " + i, node.opsetVersion());
        }
        return out;
    }
}
