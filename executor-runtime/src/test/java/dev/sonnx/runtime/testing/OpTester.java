package dev.sonnx.runtime.testing;

import dev.sonnx.runtime.onnx.Attrs;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.ops.BuildContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpRegistry;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.Subgraph;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * Builds one operator from the standard registry, the way prepare does, and runs it directly:
 * {@code OpTester.of("Conv", 11).attr("pads", 1, 1, 1, 1).inputs(2).build()}.
 */
public final class OpTester {
    private final NodeProto.Builder node;
    private final int opset;

    private OpTester(String opType, String domain, int opset) {
        this.node = NodeProto.newBuilder().setOpType(opType).setDomain(domain).setName("test_" + opType);
        this.opset = opset;
    }

    public static OpTester of(String opType, int opset) {
        return new OpTester(opType, "", opset);
    }

    public static OpTester of(String domain, String opType, int opset) {
        return new OpTester(opType, domain, opset);
    }

    /** Declares {@code n} inputs named x0..x(n-1) and one output y0 unless {@link #outputs} says more. */
    public OpTester inputs(int n) {
        node.clearInput();
        for (int i = 0; i < n; i++) {
            node.addInput("x" + i);
        }
        return this;
    }

    /** Declares inputs by name; an empty name is an omitted optional input. */
    public OpTester inputs(String... names) {
        node.clearInput();
        for (String n : names) {
            node.addInput(n);
        }
        return this;
    }

    public OpTester outputs(int n) {
        node.clearOutput();
        for (int i = 0; i < n; i++) {
            node.addOutput("y" + i);
        }
        return this;
    }

    public OpTester attr(String name, long value) {
        node.addAttribute(Attrs.of(name, value));
        return this;
    }

    public OpTester attr(String name, float value) {
        node.addAttribute(Attrs.of(name, value));
        return this;
    }

    public OpTester attr(String name, String value) {
        node.addAttribute(Attrs.of(name, value));
        return this;
    }

    public OpTester attrStrings(String name, String... values) {
        node.addAttribute(Attrs.strings(name, values));
        return this;
    }

    public OpTester attrInts(String name, long... values) {
        node.addAttribute(Attrs.ints(name, values));
        return this;
    }

    public OpTester attrFloats(String name, float... values) {
        node.addAttribute(Attrs.floats(name, values));
        return this;
    }

    public OpTester attr(String name, Tensor value) {
        node.addAttribute(Attrs.of(name, value));
        return this;
    }

    public OpTester attr(String name, GraphProto value) {
        node.addAttribute(Attrs.of(name, value));
        return this;
    }

    /** Creates the operator as prepare would (registry lookup at this opset). */
    public Operator build() {
        if (node.getOutputCount() == 0) {
            node.addOutput("y0");
        }
        NodeProto np = node.build();
        OpRegistry.Factory f = OpRegistry.standard().resolve(np.getDomain(), np.getOpType(), opset);
        if (f == null) {
            throw new AssertionError(np.getOpType() + " is not registered at opset " + opset);
        }
        Device cpu = CpuDevice.get();
        return f.create(new Node(np, opset), new BuildContext() {
            @Override
            public Device device() {
                return cpu;
            }

            @Override
            public int opsetVersion(String domain) {
                return opset;
            }

            @Override
            public Subgraph compileSubgraph(GraphProto graph) {
                throw new AssertionError("OpTester does not compile bodies; test control flow through a model");
            }
        });
    }

    /** Builds and runs the operator in inference mode; returns its outputs as tensors. */
    public Tensor[] run(Tensor... inputs) {
        Value[] out = build().forward(inputs, new TestContext(false));
        Tensor[] r = new Tensor[out.length];
        for (int i = 0; i < out.length; i++) {
            r[i] = out[i] == null ? null : out[i].asTensor();
        }
        return r;
    }
}
