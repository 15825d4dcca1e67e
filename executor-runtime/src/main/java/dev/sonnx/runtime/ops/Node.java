package dev.sonnx.runtime.ops;

import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import java.util.List;

/**
 * One graph node as an operator sees it at prepare time: its identity, the opset version it binds
 * to, its edges (an empty name marks an omitted optional input or output) and its attributes.
 */
public final class Node {
    private final NodeProto proto;
    private final String name;
    private final int opsetVersion;
    private final Attributes attributes;

    public Node(NodeProto proto, int opsetVersion) {
        this.proto = proto;
        this.name = proto.getName();
        this.opsetVersion = opsetVersion;
        this.attributes = new Attributes(proto.getAttributeList());
    }

    public NodeProto proto() {
        return proto;
    }

    /** The node's name (may be empty in the file). */
    public String name() {
        return name;
    }

    public String opType() {
        return proto.getOpType();
    }

    /** The operator set domain, "" for the default ONNX domain. */
    public String domain() {
        String d = proto.getDomain();
        return d.equals("ai.onnx") ? "" : d;
    }

    /** The version of the node's domain that the model imports (which operator version applies). */
    public int opsetVersion() {
        return opsetVersion;
    }

    public Attributes attributes() {
        return attributes;
    }

    public List<String> inputs() {
        return proto.getInputList();
    }

    public List<String> outputs() {
        return proto.getOutputList();
    }

    public int inputCount() {
        return proto.getInputCount();
    }

    public int outputCount() {
        return proto.getOutputCount();
    }

    /** Whether input {@code i} is given (present and not the empty name of an omitted optional input). */
    public boolean hasInput(int i) {
        return i < proto.getInputCount() && !proto.getInput(i).isEmpty();
    }

    /** Whether output {@code i} is requested by the graph. */
    public boolean hasOutput(int i) {
        return i < proto.getOutputCount() && !proto.getOutput(i).isEmpty();
    }

    /** How errors name this node: {@code node 'conv1' (Conv)}, or its first output when unnamed. */
    public String label() {
        String id = !name.isEmpty() ? name
                : proto.getOutputCount() > 0 ? "-> " + proto.getOutput(0) : "?";
        return "node '" + id + "' (" + (domain().isEmpty() ? "" : domain() + ".") + opType() + ")";
    }

    @Override
    public String toString() {
        return label();
    }
}
