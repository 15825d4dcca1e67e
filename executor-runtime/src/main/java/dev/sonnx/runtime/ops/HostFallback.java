package dev.sonnx.runtime.ops;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.tensor.DeviceAllocator;
import dev.sonnx.runtime.tensor.OptionalValue;
import dev.sonnx.runtime.tensor.SequenceValue;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A node with no kernel of its own on a device such as {@code cuda:N}: its CPU operator runs on host
 * copies of the inputs (as ONNX Runtime's CUDA provider hands such nodes to its CPU provider).
 * Floating-point results go back to the device; integer and boolean results (shapes, indices, masks)
 * stay on the host, where the shape arithmetic that consumes them runs. Backward runs the CPU
 * backward the same way.
 */
public final class HostFallback extends StandInOperator {
    /**
     * Operators that never touch element data, only shapes: they run as they are, on device tensors
     * too (Reshape and its kin return views sharing storage; Shape and Size read dims).
     */
    private static final Set<String> SHAPE_ONLY = Set.of("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity",
            "Shape", "Size");

    private final DeviceAllocator device;

    public HostFallback(Operator cpu, DeviceAllocator device) {
        super(cpu);
        this.device = device;
    }

    /**
     * Whether a node runs as it is on any device: the shape-only operators, and control flow (its
     * bodies are plans of their own, placed node by node).
     */
    public static boolean runsAsIs(Operator op) {
        String domain = op.node().domain();
        if ((domain.isEmpty() || domain.equals("ai.onnx")) && SHAPE_ONLY.contains(op.node().opType())) {
            return true;
        }
        for (AttributeProto a : op.node().proto().getAttributeList()) {
            if (a.hasG() || a.getGraphsCount() > 0) {
                return true;
            }
        }
        return false;
    }

    /** The node as it runs on {@code device} when that device has no kernel for it. */
    public static Operator place(Operator op, DeviceAllocator device) {
        return runsAsIs(op) ? op : new HostFallback(op, device);
    }

    /** Whether a backward's saved state comes from a forward that ran here (on the host). */
    public static boolean ranForward(Object saved) {
        return saved instanceof Saved;
    }

    /** What the CPU operator saved, with the host values it saw. */
    private record Saved(Object cpuSaved, Value[] hostInputs, Value[] hostOutputs) {
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Map<Tensor, Tensor> originals = new IdentityHashMap<>();
        Value[] host = new Value[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            host[i] = toHost(inputs[i], originals);
        }
        HostContext hostCtx = new HostContext(ctx, originals);
        Value[] out = cpu.forward(host, hostCtx);
        Value[] placed = new Value[out.length];
        for (int o = 0; o < out.length; o++) {
            placed[o] = toDevice(out[o]);
        }
        if (ctx.recording() && cpu.differentiable()) {
            ctx.saveForBackward(new Saved(hostCtx.saved(), host, out));
        }
        return placed;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        Saved saved = (Saved) g.saved();
        Tensor[] gradOut = new Tensor[saved.hostOutputs.length];
        for (int o = 0; o < gradOut.length; o++) {
            Tensor t = g.gradOutput(o);
            gradOut[o] = t == null ? null : t.toHost();
        }
        boolean[] needs = new boolean[g.inputCount()];
        for (int i = 0; i < needs.length; i++) {
            needs[i] = g.needsGrad(i);
        }
        OpContext hostCtx = new HostContext(g.context(), new IdentityHashMap<>());
        Tensor[] grads = cpu.backward(new BackwardContext(saved.hostInputs, saved.hostOutputs, gradOut, needs,
                saved.cpuSaved, hostCtx));
        Tensor[] r = new Tensor[grads.length];
        for (int i = 0; i < grads.length; i++) {
            Tensor input = g.input(i);
            // the gradient lives where its input lives (the tape keys gradients by those tensors)
            r[i] = grads[i] == null ? null : input != null && !input.isHost() ? grads[i].to(input.device()) : grads[i];
        }
        return r;
    }

    private static Value toHost(Value v, Map<Tensor, Tensor> originals) {
        if (v instanceof Tensor t) {
            if (t.isHost()) {
                return t;
            }
            Tensor h = t.toHost();
            originals.put(h, t);
            return h;
        }
        if (v instanceof SequenceValue s) {
            List<Value> items = new ArrayList<>();
            for (Value item : s.items()) {
                items.add(toHost(item, originals));
            }
            return new SequenceValue(s.elementType(), items);
        }
        if (v instanceof OptionalValue o && o.value() != null) {
            return OptionalValue.of(toHost(o.value(), originals));
        }
        return v;
    }

    private Value toDevice(Value v) {
        if (v instanceof Tensor t) {
            return t.dtype().isFloat() && t.isHost() ? t.to(device) : t;
        }
        return v;
    }

    /** The run's context as the CPU operator sees it: the host device, and state writes mapped back. */
    private static final class HostContext extends SavingContext {
        private final Map<Tensor, Tensor> originals;

        HostContext(OpContext run, Map<Tensor, Tensor> originals) {
            super(run);
            this.originals = originals;
        }

        @Override
        public dev.sonnx.runtime.tensor.Device device() {
            return CpuDevice.get();
        }

        @Override
        public void assignState(Tensor state, Tensor value) {
            Tensor original = originals.get(state);
            run().assignState(original != null ? original : state, value);
        }
    }
}
