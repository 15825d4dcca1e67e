package dev.sonnx.runtime.ops.control;

import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.ops.BuildContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.Subgraph;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.SequenceValue;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * SequenceMap-17: runs {@code body} once per item of {@code input_sequence}. The body's inputs match
 * the node's: item i of each sequence input (all of one length), and each tensor input whole. Each
 * body output is gathered into one output sequence.
 */
final class SequenceMapOp extends Operator {
    private final Subgraph body;
    private final DataType[] declaredTypes;

    SequenceMapOp(Node node, BuildContext build) {
        super(node);
        GraphProto g = node.attributes().getGraph("body");
        if (g == null) {
            throw new IllegalArgumentException("required attribute 'body' is missing");
        }
        if (g.getInputCount() != node.inputCount()) {
            throw new IllegalArgumentException("body takes " + g.getInputCount() + " inputs, the node gives "
                    + node.inputCount());
        }
        if (g.getOutputCount() != node.outputCount()) {
            throw new IllegalArgumentException("body returns " + g.getOutputCount() + " outputs, the node has "
                    + node.outputCount());
        }
        // Element types of empty results come from the body's declarations.
        this.declaredTypes = new DataType[g.getOutputCount()];
        for (int i = 0; i < declaredTypes.length; i++) {
            int code = g.getOutput(i).getType().getTensorType().getElemType();
            declaredTypes[i] = code == 0 ? null : DataType.fromCode(code);
        }
        this.body = build.compileSubgraph(g);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        SequenceValue first = SequenceOps.sequence(inputs[0], "input input_sequence");
        int length = first.size();
        for (int i = 1; i < inputs.length; i++) {
            if (inputs[i] instanceof SequenceValue s && s.size() != length) {
                throw new IllegalArgumentException("additional input " + i + " is a sequence of " + s.size()
                        + " items, input_sequence has " + length);
            }
            if (inputs[i] == null) {
                throw new IllegalArgumentException("additional input " + i + " is missing");
            }
        }
        int outs = node.outputCount();
        List<List<Tensor>> results = new ArrayList<>(outs);
        for (int o = 0; o < outs; o++) {
            results.add(new ArrayList<>(length));
        }
        Value[] bodyIn = new Value[inputs.length];
        for (int item = 0; item < length; item++) {
            for (int i = 0; i < inputs.length; i++) {
                bodyIn[i] = inputs[i] instanceof SequenceValue s ? s.get(item) : inputs[i];
            }
            Value[] out = body.run(bodyIn, ctx);
            for (int o = 0; o < outs; o++) {
                results.get(o).add(FlowValues.tensor(out[o], "body output " + o + " (item " + item + ")"));
            }
        }
        Value[] r = new Value[outs];
        for (int o = 0; o < outs; o++) {
            List<Tensor> items = results.get(o);
            DataType type = items.isEmpty() ? declaredTypes[o] : items.get(0).dtype();
            for (Tensor t : items) {
                if (t.dtype() != type) {
                    throw new IllegalArgumentException("body output " + o + " has type " + t.dtype().onnxName()
                            + " for one item and " + type.onnxName() + " for another");
                }
            }
            r[o] = new SequenceValue(type, items);
        }
        return r;
    }
}
