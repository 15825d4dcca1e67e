package dev.sonnx.runtime.backend.passes;

import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import java.util.ArrayList;
import java.util.List;

/**
 * Inference rewrite: a Concat whose inputs begin with all the inputs of an earlier Concat (same
 * axis, same order) joins that Concat's result and its remaining inputs. DenseNet writes every layer
 * of a block as a Concat of all the features before it: the i-th joins i + 1 parts, each a slab of
 * 32 channels per pixel in a channels-last image, so a block of 24 layers made 324 small copies
 * per pixel. Reusing the previous join makes that two copies per pixel per layer, of the same
 * bytes. The earlier result lives until the later Concat has read it, one image longer.
 */
final class ConcatPrefixReuse {
    private ConcatPrefixReuse() {
    }

    static ModelProto apply(ModelProto model) {
        GraphProto g = model.getGraph();
        List<NodeProto> earlier = new ArrayList<>();
        GraphProto.Builder out = g.toBuilder().clearNode();
        boolean changed = false;
        for (NodeProto n : g.getNodeList()) {
            if (!Fusions.is(n, "Concat") || n.getInputList().contains("")) {
                out.addNode(n);
                continue;
            }
            NodeProto prefix = longestPrefix(n, earlier);
            NodeProto written = n;
            if (prefix != null) {
                written = n.toBuilder().clearInput().addInput(prefix.getOutput(0))
                        .addAllInput(n.getInputList().subList(prefix.getInputCount(), n.getInputCount())).build();
                changed = true;
            }
            earlier.add(n);   // the original inputs: a later Concat may extend them
            out.addNode(written);
        }
        return changed ? model.toBuilder().setGraph(out).build() : model;
    }

    /** The earlier Concat of {@code n}'s axis whose inputs are the longest proper prefix of {@code n}'s (two or more). */
    private static NodeProto longestPrefix(NodeProto n, List<NodeProto> earlier) {
        NodeProto best = null;
        for (NodeProto c : earlier) {
            int k = c.getInputCount();
            if (k >= 2 && k < n.getInputCount() && (best == null || k > best.getInputCount())
                    && sameAxis(c, n) && n.getInputList().subList(0, k).equals(c.getInputList())) {
                best = c;
            }
        }
        return best;
    }

    /** Both carry an axis attribute, and the same one (Concat-1's default is left alone). */
    private static boolean sameAxis(NodeProto a, NodeProto b) {
        return GraphIndex.hasAttr(a, "axis") && GraphIndex.hasAttr(b, "axis")
                && GraphIndex.intAttr(a, "axis", 0) == GraphIndex.intAttr(b, "axis", 0);
    }
}
