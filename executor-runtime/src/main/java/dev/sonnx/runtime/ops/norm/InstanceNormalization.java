package dev.sonnx.runtime.ops.norm;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.tensor.Tensor;

/**
 * InstanceNormalization (1, 6): every (n, c) plane of X (N x C x D1 x ... x Dk) standardized over its
 * spatial elements, then y = xhat * scale[c] + B[c].
 */
final class InstanceNormalization extends ChannelGroupNormalization {

    InstanceNormalization(Node node) {
        super(node, "input", "scale", "B");
    }

    @Override
    int groups(Tensor x) {
        return x.dim(1);
    }

    @Override
    boolean perChannel() {
        return true;
    }
}
