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
import java.util.Collections;
import java.util.List;

/**
 * Scan (9, 11, 16). Inputs are N initial states then M scan inputs ({@code num_scan_inputs}); the body
 * takes the N states and one slice of each scan input (the scanned axis removed) and returns the N
 * new states and K scan-output elements. Iteration t reads index t of each scan input along its
 * {@code scan_input_axes} entry (from the end when its {@code scan_input_directions} entry is 1);
 * each scan output stacks its elements along its {@code scan_output_axes} entry, appended (0) or
 * prepended (1) per {@code scan_output_directions}. Version 11 allows negative axes; 16 only adds
 * bfloat16.
 */
final class ScanOp extends Operator {
    private final Subgraph body;
    private final GraphProto bodyProto;
    private final int states;
    private final int scanInputs;
    private final int scanOutputs;
    private final int[] inputAxes;
    private final boolean[] inputReversed;
    private final int[] outputAxes;
    private final boolean[] outputReversed;

    ScanOp(Node node, BuildContext build) {
        super(node);
        GraphProto g = node.attributes().getGraph("body");
        if (g == null) {
            throw new IllegalArgumentException("required attribute 'body' is missing");
        }
        this.scanInputs = (int) node.attributes().requireLong("num_scan_inputs");
        if (scanInputs < 1 || scanInputs > node.inputCount()) {
            throw new IllegalArgumentException("num_scan_inputs = " + scanInputs + " must be in [1, "
                    + node.inputCount() + "] (the node's input count)");
        }
        this.states = node.inputCount() - scanInputs;
        if (g.getInputCount() != states + scanInputs) {
            throw new IllegalArgumentException("body takes " + g.getInputCount() + " inputs, expected " + states
                    + " states + " + scanInputs + " scan inputs");
        }
        this.scanOutputs = g.getOutputCount() - states;
        if (scanOutputs < 0 || node.outputCount() != states + scanOutputs) {
            throw new IllegalArgumentException("body returns " + g.getOutputCount() + " outputs and the node has "
                    + node.outputCount() + "; both must be the " + states + " states followed by the scan outputs");
        }
        boolean negativeAllowed = node.opsetVersion() >= 11;
        this.inputAxes = axes(node, "scan_input_axes", scanInputs, negativeAllowed);
        this.inputReversed = directions(node, "scan_input_directions", scanInputs);
        this.outputAxes = axes(node, "scan_output_axes", scanOutputs, negativeAllowed);
        this.outputReversed = directions(node, "scan_output_directions", scanOutputs);
        this.bodyProto = g;
        this.body = build.compileSubgraph(g);
    }

    private static int[] axes(Node node, String name, int count, boolean negativeAllowed) {
        int[] a = node.attributes().getInts(name, new int[count]);
        if (a.length != count) {
            throw new IllegalArgumentException("attribute '" + name + "' has " + a.length + " entries, expected "
                    + count);
        }
        for (int v : a) {
            if (v < 0 && !negativeAllowed) {
                throw new IllegalArgumentException("attribute '" + name + "' = " + Arrays.toString(a)
                        + ": negative axes are allowed from opset 11, the model imports " + node.opsetVersion());
            }
        }
        return a;
    }

    static boolean[] directions(Node node, String name, int count) {
        int[] d = node.attributes().getInts(name, new int[count]);
        if (d.length != count) {
            throw new IllegalArgumentException("attribute '" + name + "' has " + d.length + " entries, expected "
                    + count);
        }
        boolean[] reversed = new boolean[count];
        for (int i = 0; i < count; i++) {
            if (d[i] != 0 && d[i] != 1) {
                throw new IllegalArgumentException("attribute '" + name + "' = " + Arrays.toString(d)
                        + ": each entry must be 0 (forward) or 1 (reverse)");
            }
            reversed[i] = d[i] == 1;
        }
        return reversed;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Value[] state = new Value[states];
        for (int i = 0; i < states; i++) {
            state[i] = FlowValues.tensor(inputs[i], "initial state " + i);
        }
        Tensor[] scan = new Tensor[scanInputs];
        int[] axis = new int[scanInputs];
        int length = -1;
        for (int j = 0; j < scanInputs; j++) {
            scan[j] = FlowValues.tensor(inputs[states + j], "scan input " + j).toHost();
            int rank = scan[j].rank();
            if (rank == 0) {
                throw new IllegalArgumentException("scan input " + j + " is a scalar; it needs an axis to scan");
            }
            axis[j] = normalize(inputAxes[j], rank, "scan_input_axes", j);
            int len = scan[j].shape()[axis[j]];
            if (length >= 0 && len != length) {
                throw new IllegalArgumentException("scan input " + j + " " + scan[j].describe() + " has " + len
                        + " steps along axis " + axis[j] + ", scan input 0 has " + length);
            }
            length = len;
        }

        List<List<Tensor>> outputs = new ArrayList<>(scanOutputs);
        for (int k = 0; k < scanOutputs; k++) {
            outputs.add(new ArrayList<>(length));
        }
        Value[] bodyIn = new Value[states + scanInputs];
        for (int t = 0; t < length; t++) {
            System.arraycopy(state, 0, bodyIn, 0, states);
            for (int j = 0; j < scanInputs; j++) {
                int index = inputReversed[j] ? length - 1 - t : t;
                bodyIn[states + j] = AxisBlocks.slice(scan[j], axis[j], index, 1, false, ctx.device());
            }
            Value[] out = body.run(bodyIn, ctx);
            for (int i = 0; i < states; i++) {
                state[i] = FlowValues.tensor(out[i], "body output " + i + " (state " + i + ")");
            }
            for (int k = 0; k < scanOutputs; k++) {
                outputs.get(k).add(FlowValues.tensor(out[states + k], "body output " + (states + k)
                        + " (scan output " + k + ")"));
            }
        }

        Value[] result = new Value[states + scanOutputs];
        System.arraycopy(state, 0, result, 0, states);
        for (int k = 0; k < scanOutputs; k++) {
            List<Tensor> items = outputs.get(k);
            if (items.isEmpty()) {
                FlowValues.Declared d = FlowValues.declaredTensor(bodyProto, states + k, "scan output " + k);
                result[states + k] = d.emptyWithAxis(normalize(outputAxes[k], d.dims().length + 1,
                        "scan_output_axes", k));
                continue;
            }
            if (outputReversed[k]) {
                Collections.reverse(items);
            }
            int a = normalize(outputAxes[k], items.get(0).rank() + 1, "scan_output_axes", k);
            result[states + k] = AxisBlocks.stack(items, a, ctx.device(), "scan output " + k + " of iteration");
        }
        return result;
    }

    private static int normalize(int axis, int rank, String attribute, int index) {
        if (axis < -rank || axis >= rank) {
            throw new IllegalArgumentException("attribute '" + attribute + "' entry " + index + " = " + axis
                    + " is out of range for rank " + rank);
        }
        return axis < 0 ? axis + rank : axis;
    }
}
