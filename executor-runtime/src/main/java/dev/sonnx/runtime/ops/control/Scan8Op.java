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
import java.util.Arrays;
import java.util.List;

/**
 * Scan-8, the batched form. Inputs {@code (sequence_lens?, N initial states, M scan inputs)}: axis 0
 * of every state and scan input is the batch, axis 1 of every scan input the sequence. Each batch
 * entry runs its own recurrence over its first {@code sequence_lens[b]} steps (all steps when
 * omitted), in reverse for scan inputs whose {@code directions} entry is 1. Outputs are the final
 * states stacked over the batch and the scan outputs shaped [batch, max_sequence_length, ...], the
 * steps past an entry's length left zero (the spec leaves them undefined).
 */
final class Scan8Op extends Operator {
    private final Subgraph body;
    private final GraphProto bodyProto;
    private final int states;
    private final int scanInputs;
    private final int scanOutputs;
    private final boolean[] reversed;

    Scan8Op(Node node, BuildContext build) {
        super(node);
        GraphProto g = node.attributes().getGraph("body");
        if (g == null) {
            throw new IllegalArgumentException("required attribute 'body' is missing");
        }
        this.scanInputs = (int) node.attributes().requireLong("num_scan_inputs");
        if (scanInputs < 1 || scanInputs > node.inputCount() - 1) {
            throw new IllegalArgumentException("num_scan_inputs = " + scanInputs + " must be in [1, "
                    + (node.inputCount() - 1) + "] (inputs after sequence_lens)");
        }
        this.states = node.inputCount() - 1 - scanInputs;
        if (g.getInputCount() != states + scanInputs) {
            throw new IllegalArgumentException("body takes " + g.getInputCount() + " inputs, expected " + states
                    + " states + " + scanInputs + " scan inputs");
        }
        this.scanOutputs = g.getOutputCount() - states;
        if (scanOutputs < 0 || node.outputCount() != states + scanOutputs) {
            throw new IllegalArgumentException("body returns " + g.getOutputCount() + " outputs and the node has "
                    + node.outputCount() + "; both must be the " + states + " states followed by the scan outputs");
        }
        this.reversed = ScanOp.directions(node, "directions", scanInputs);
        this.bodyProto = g;
        this.body = build.compileSubgraph(g);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor[] scan = new Tensor[scanInputs];
        int batch = -1;
        int maxLength = -1;
        for (int j = 0; j < scanInputs; j++) {
            Tensor s = FlowValues.tensor(inputs[1 + states + j], "scan input " + j).toHost();
            if (s.rank() < 2) {
                throw new IllegalArgumentException("scan input " + j + " is " + s.describe()
                        + "; Scan-8 needs [batch, sequence, ...]");
            }
            if (j > 0 && (s.shape()[0] != batch || s.shape()[1] != maxLength)) {
                throw new IllegalArgumentException("scan input " + j + " is " + s.describe() + ", scan input 0 has"
                        + " batch " + batch + " and sequence length " + maxLength);
            }
            batch = s.shape()[0];
            maxLength = s.shape()[1];
            // Viewed as [batch * sequence, ...], step t of entry b is row b * maxLength + t.
            int[] rows = new int[s.rank() - 1];
            rows[0] = batch * maxLength;
            System.arraycopy(s.shape(), 2, rows, 1, s.rank() - 2);
            scan[j] = s.reshape(rows);
        }
        Tensor[] initial = new Tensor[states];
        for (int i = 0; i < states; i++) {
            initial[i] = FlowValues.tensor(inputs[1 + i], "initial state " + i).toHost();
            if (initial[i].rank() < 1 || initial[i].shape()[0] != batch) {
                throw new IllegalArgumentException("initial state " + i + " is " + initial[i].describe()
                        + "; its first axis must be the batch of " + batch);
            }
        }
        int[] lengths = lengths(inputs[0], batch, maxLength);

        List<Tensor>[] finalStates = lists(states);
        Tensor[][][] elements = new Tensor[scanOutputs][batch][];
        Value[] bodyIn = new Value[states + scanInputs];
        for (int b = 0; b < batch; b++) {
            Value[] state = new Value[states];
            for (int i = 0; i < states; i++) {
                state[i] = AxisBlocks.slice(initial[i], 0, b, 1, false, ctx.device());
            }
            int n = lengths[b];
            for (int k = 0; k < scanOutputs; k++) {
                elements[k][b] = new Tensor[n];
            }
            for (int t = 0; t < n; t++) {
                System.arraycopy(state, 0, bodyIn, 0, states);
                for (int j = 0; j < scanInputs; j++) {
                    int step = reversed[j] ? n - 1 - t : t;
                    bodyIn[states + j] = AxisBlocks.slice(scan[j], 0, b * maxLength + step, 1, false, ctx.device());
                }
                Value[] out = body.run(bodyIn, ctx);
                for (int i = 0; i < states; i++) {
                    state[i] = FlowValues.tensor(out[i], "body output " + i + " (state " + i + ")");
                }
                for (int k = 0; k < scanOutputs; k++) {
                    elements[k][b][t] = FlowValues.tensor(out[states + k], "body output " + (states + k)
                            + " (scan output " + k + ")").toHost();
                }
            }
            for (int i = 0; i < states; i++) {
                finalStates[i].add(state[i].asTensor());
            }
        }

        Value[] result = new Value[states + scanOutputs];
        for (int i = 0; i < states; i++) {
            result[i] = batch == 0 ? initial[i]
                    : AxisBlocks.stack(finalStates[i], 0, ctx.device(), "final state " + i + " of batch entry");
        }
        for (int k = 0; k < scanOutputs; k++) {
            result[states + k] = assemble(elements[k], batch, maxLength, k);
        }
        return result;
    }

    private static int[] lengths(Value v, int batch, int maxLength) {
        int[] lengths = new int[batch];
        if (v == null) {
            Arrays.fill(lengths, maxLength);
            return lengths;
        }
        Tensor t = FlowValues.tensor(v, "input sequence_lens").toHost();
        if (!t.dtype().isInteger() || t.rank() != 1 || t.size() != batch) {
            throw new IllegalArgumentException("input sequence_lens is " + t.describe() + ", expected int64[" + batch
                    + "]");
        }
        for (int b = 0; b < batch; b++) {
            long len = t.getLong(b);
            if (len < 0 || len > maxLength) {
                throw new IllegalArgumentException("sequence_lens[" + b + "] = " + len + " is outside [0, "
                        + maxLength + "]");
            }
            lengths[b] = (int) len;
        }
        return lengths;
    }

    /** Scan output k as [batch, maxLength, element...], steps past each entry's length zero. */
    private Tensor assemble(Tensor[][] perBatch, int batch, int maxLength, int k) {
        Tensor first = null;
        for (Tensor[] steps : perBatch) {
            if (steps.length > 0) {
                first = steps[0];
                break;
            }
        }
        if (first == null) {
            FlowValues.Declared d = FlowValues.declaredTensor(bodyProto, states + k, "scan output " + k);
            return Tensor.zeros(d.dtype(), withPrefix(batch, maxLength, d.dims()));
        }
        int[] elementShape = first.shape();
        Tensor out = Tensor.zeros(first.dtype(), withPrefix(batch, maxLength, elementShape));
        int size = first.size();
        for (int b = 0; b < batch; b++) {
            Tensor[] steps = perBatch[b];
            for (int t = 0; t < steps.length; t++) {
                Tensor e = steps[t];
                if (e.dtype() != first.dtype() || !Arrays.equals(e.shape(), elementShape)) {
                    throw new IllegalArgumentException("scan output " + k + " is " + e.describe() + " at batch entry "
                            + b + " step " + t + " but " + first.describe() + " before; every step must agree");
                }
                AxisBlocks.copy(e, 0, out, (b * maxLength + t) * size, size);
            }
        }
        return out;
    }

    private static int[] withPrefix(int batch, int maxLength, int[] elementShape) {
        int[] shape = new int[elementShape.length + 2];
        shape[0] = batch;
        shape[1] = maxLength;
        System.arraycopy(elementShape, 0, shape, 2, elementShape.length);
        return shape;
    }

    @SuppressWarnings("unchecked")
    private static List<Tensor>[] lists(int n) {
        List<Tensor>[] r = new List[n];
        for (int i = 0; i < n; i++) {
            r[i] = new ArrayList<>();
        }
        return r;
    }
}
