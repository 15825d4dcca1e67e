package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlLayoutReorder;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Optional;

/**
 * {@code dev.sonnx.ToChannelsLast} and {@code dev.sonnx.ToChannelsFirst} (version 1): an image from
 * [N, C, spatial...] to {@link ChannelsLast} [N, spatial..., C], or back, at the borders of an
 * inference plan's channels-last regions. The same as Transpose with perm [0, 2, ..., 1] or
 * [0, r-1, 1, ...], through a oneDNN reorder for float32; an image of one channel or one position
 * is the same bytes in both layouts, and Y is X's storage in the other shape.
 */
final class LayoutReorder extends Operator {
    private final boolean toLast;
    private final ShapeCache<Optional<DnnlLayoutReorder>> reorders = new ShapeCache<>();

    LayoutReorder(Node node, boolean toLast) {
        super(node);
        this.toLast = toLast;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        if (x.rank() < 3) {
            throw new IllegalArgumentException("input " + x.describe() + " is not an image (rank >= 3)");
        }
        int[] logical = toLast ? x.shape() : ChannelsLast.logical(x.shape());
        if (logical[1] == 1 || Shapes.product(logical, 2, logical.length) == 1) {
            // one channel, or one position (a global pool's result): both layouts hold the same bytes
            return outputs(x.reshape(toLast ? ChannelsLast.physical(logical) : logical));
        }
        DnnlLayoutReorder dnnl = x.dtype() == DataType.FLOAT && ctx.device().isHost()
                ? reorders.get(s -> Optional.ofNullable(DnnlLayoutReorder.create(s[0], toLast)), logical).orElse(null)
                : null;
        if (dnnl == null) {
            return outputs(toLast ? ChannelsLast.toLast(x, ctx.device()) : ChannelsLast.toFirst(x, ctx.device()));
        }
        Tensor y = Tensor.uninitialized(x.dtype(), toLast ? ChannelsLast.physical(logical) : logical);
        dnnl.run(x, y);
        return outputs(y);
    }
}
