package dev.sonnx.runtime.ops.norm;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;

/**
 * GroupNormalization: the C channels of X (N x C x D1 ...) fall into {@code num_groups} groups of
 * consecutive channels; each (n, group) is standardized over its channels and spatial elements.
 * Version 18 scales and shifts per group (scale and bias of shape [num_groups]); version 21 per
 * channel (shape [C]) and adds {@code stash_type}, the precision of the statistics (always at least
 * double here).
 */
final class GroupNormalization extends ChannelGroupNormalization {
    private final int groups;
    private final boolean perChannel;

    GroupNormalization(Node node, boolean perChannel) {
        super(node, "X", "scale", "bias");
        var at = node.attributes();
        this.groups = (int) at.requireLong("num_groups");
        this.perChannel = perChannel;
        if (groups <= 0) {
            throw new IllegalArgumentException("attribute 'num_groups' must be positive, got " + groups);
        }
        if (perChannel) {
            long stash = at.getLong("stash_type", 1);
            if (stash <= 0 || stash > DataType.BFLOAT16.code() || !DataType.fromCode((int) stash).isFloat()) {
                throw new IllegalArgumentException("attribute 'stash_type' is " + stash + "; expected a float type");
            }
        }
    }

    @Override
    int groups(Tensor x) {
        int c = x.dim(1);
        if (c % groups != 0) {
            throw new IllegalArgumentException("input X has " + c + " channels, not a multiple of num_groups = "
                    + groups);
        }
        return groups;
    }

    @Override
    boolean perChannel() {
        return perChannel;
    }
}
