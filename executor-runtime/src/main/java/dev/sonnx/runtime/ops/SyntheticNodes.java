package dev.sonnx.runtime.ops;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.Attrs;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.tensor.Device;

/**
 * Operators made in code rather than read from a file: layers and losses reuse the very operators
 * (and gradients) that imported graphs run, by building the node an exporter would have written.
 */
public final class SyntheticNodes {
    /** The ONNX opset layers are built at (and exported with unless asked otherwise). */
    public static final int OPSET = 17;

    private final NodeProto.Builder node;

    private SyntheticNodes(String opType, String name) {
        this.node = NodeProto.newBuilder().setOpType(opType).setName(name);
    }

    /** A node of {@code opType} named {@code name} with {@code inputs} inputs and {@code outputs} outputs. */
    public static SyntheticNodes node(String opType, String name, int inputs, int outputs) {
        SyntheticNodes b = new SyntheticNodes(opType, name);
        for (int i = 0; i < inputs; i++) {
            b.node.addInput(name + ":in" + i);
        }
        for (int i = 0; i < outputs; i++) {
            b.node.addOutput(name + ":out" + i);
        }
        return b;
    }

    public SyntheticNodes attr(String name, long value) {
        node.addAttribute(Attrs.of(name, value));
        return this;
    }

    public SyntheticNodes attr(String name, float value) {
        node.addAttribute(Attrs.of(name, value));
        return this;
    }

    public SyntheticNodes attr(String name, String value) {
        node.addAttribute(Attrs.of(name, value));
        return this;
    }

    public SyntheticNodes attr(String name, long... values) {
        node.addAttribute(Attrs.ints(name, values));
        return this;
    }

    public NodeProto proto() {
        return node.build();
    }

    /** The operator for this node from the standard registry at {@link #OPSET}. */
    public Operator build() {
        return build(CpuDevice.get());
    }

    public Operator build(Device device) {
        NodeProto np = node.build();
        OpRegistry.Factory f = OpRegistry.standard().resolve(np.getDomain(), np.getOpType(), OPSET);
        if (f == null) {
            throw new IllegalStateException(np.getOpType() + " is not available at opset " + OPSET);
        }
        return f.create(new Node(np, OPSET), new BuildContext() {
            @Override
            public Device device() {
                return device;
            }

            @Override
            public int opsetVersion(String domain) {
                return domain.isEmpty() ? OPSET : -1;
            }

            @Override
            public Subgraph compileSubgraph(GraphProto graph) {
                throw new IllegalStateException("synthetic nodes have no bodies");
            }
        });
    }
}
