package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.ops.Node;

/** How errors name a node before (or without) its attributes being parsed. */
final class Labels {
    private Labels() {
    }

    /**
     * {@link Node#label()} of a node: {@code node 'conv1' (Conv)}. Attributes play no part in it, and
     * parsing them could itself fail (an attribute given twice), so they are left out.
     */
    static String of(NodeProto n) {
        return new Node(n.getAttributeCount() == 0 ? n : n.toBuilder().clearAttribute().build(), -1).label();
    }
}
