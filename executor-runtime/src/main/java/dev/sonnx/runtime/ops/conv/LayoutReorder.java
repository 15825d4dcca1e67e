package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlLayoutReorder;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * {@code dev.sonnx.ToChannelsLast} and {@code dev.sonnx.ToChannelsFirst} (version 1): an image from
 * [N, C, spatial...] to {@link ChannelsLast} [N, spatial..., C], or back, at the borders of an
 * inference plan's channels-last regions. The same as Transpose with perm [0, 2, ..., 1] or
 * [0, r-1, 1, ...], through a oneDNN reorder for float32; an image of one channel or one position
 * is the same bytes in both layouts, and Y is X's storage in the other shape.
 *
 * <p>ToChannelsLast may carry {@link #PADS} ([begin..., end...] per spatial axis, as Conv's): Y is
 * then the image inside a border of zeros that wide, the padding of the convolution that reads it
 * (see {@code ChannelsLastRegions}). The reorder writes the middle and the border costs a few
 * rows; oneDNN's convolution over an image without padding skips its border kernels (resnet18's
 * 7 x 7 stem: 5-15% faster at batch 1, 20% at batch 8).
 */
final class LayoutReorder extends Operator {
    /** The attribute of ToChannelsLast that grows its result by a zero border. */
    static final String PADS = "pads";
    /** Zero bytes to copy from: a bulk copy costs far less than element-by-element writes. */
    private static final byte[] ZEROS = new byte[1 << 14];

    private final boolean toLast;
    /** The zero border of ToChannelsLast's result, or null. */
    private final int[] pads;
    private final ShapeCache<Optional<DnnlLayoutReorder>> reorders = new ShapeCache<>();
    /** The reorders the other way, for backward. */
    private final ShapeCache<Optional<DnnlLayoutReorder>> reverse = new ShapeCache<>();

    LayoutReorder(Node node, boolean toLast) {
        super(node);
        this.toLast = toLast;
        int[] p = node.attributes().getInts(PADS, null);
        if (p != null && !toLast) {
            throw new IllegalArgumentException("attribute '" + PADS + "' belongs to ToChannelsLast");
        }
        for (int v : p == null ? new int[0] : p) {
            if (v < 0 || v > Integer.MAX_VALUE / 4) {
                throw new IllegalArgumentException("attribute '" + PADS + "' holds " + v);
            }
        }
        this.pads = p;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        if (x.rank() < 3) {
            throw new IllegalArgumentException("input " + x.describe() + " is not an image (rank >= 3)");
        }
        if (pads != null) {
            return outputs(padded(x, ctx));
        }
        return outputs(convert(x, toLast, reorders, ctx.device()));
    }

    /** X in the other layout ({@code last}: to channels-last), through oneDNN's reorders in {@code cache} for float32. */
    private static Tensor convert(Tensor x, boolean last, ShapeCache<Optional<DnnlLayoutReorder>> cache,
                                  Device device) {
        int[] logical = last ? x.shape() : ChannelsLast.logical(x.shape());
        if (logical[1] == 1 || Shapes.product(logical, 2, logical.length) == 1) {
            // one channel, or one position (a global pool's result): both layouts hold the same bytes
            return x.reshape(last ? ChannelsLast.physical(logical) : logical);
        }
        DnnlLayoutReorder dnnl = x.dtype() == DataType.FLOAT && device.isHost()
                ? cache.get(s -> Optional.ofNullable(DnnlLayoutReorder.create(s[0], last)), logical).orElse(null)
                : null;
        if (dnnl == null) {
            return last ? ChannelsLast.toLast(x, device) : ChannelsLast.toFirst(x, device);
        }
        Tensor y = Tensor.uninitialized(x.dtype(), last ? ChannelsLast.physical(logical) : logical);
        dnnl.run(x, y);
        return y;
    }

    /** A reorder without a border is a permutation: its gradient is the reorder back. */
    @Override
    public boolean differentiable() {
        return pads == null;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor gy = g.gradOutput(0);
        return new Tensor[] {gy == null || !g.needsGrad(0) ? null : convert(gy, !toLast, reverse, g.device())};
    }

    /** Plain X channels-last inside the zero border {@link #pads}. */
    private Tensor padded(Tensor x, OpContext ctx) {
        int r = x.rank() - 2;
        if (pads.length != 2 * r) {
            throw new IllegalArgumentException("attribute '" + PADS + "' has " + pads.length + " values for "
                    + r + " spatial axes of input " + x.describe());
        }
        int[] physical = ChannelsLast.physical(x.shape());
        for (int d = 0; d < r; d++) {
            physical[d + 1] = Math.addExact(physical[d + 1], pads[d] + pads[r + d]);
        }
        DnnlLayoutReorder dnnl = x.dtype() == DataType.FLOAT && ctx.device().isHost()
                ? reorders.get(s -> Optional.ofNullable(DnnlLayoutReorder.createPadded(s[0], pads)), x.shape())
                        .orElse(null)
                : null;
        if (dnnl == null) {
            Tensor y = Tensor.zeros(x.dtype(), physical);
            copyRows(ChannelsLast.toLast(x, ctx.device()), y);
            return y;
        }
        Tensor y = Tensor.uninitialized(x.dtype(), physical);
        dnnl.run(x, y);
        zeroBorder(y);
        return y;
    }

    /** Copies channels-last {@code from} into the middle of {@code to}, one run of [last spatial axis, C] at a time. */
    private void copyRows(Tensor from, Tensor to) {
        int[] in = from.shape();
        int[] out = to.shape();
        int es = from.dtype().byteSize();
        int rows = Shapes.product(in, 0, in.length - 2);   // N x all spatial axes but the last
        int rowBytes = in[in.length - 2] * in[in.length - 1] * es;
        ByteBuffer src = from.bytes();
        ByteBuffer dst = to.bytes();
        int[] at = new int[in.length - 2];   // the row's index: batch, then spatial axes but the last
        for (int row = 0; row < rows; row++) {
            long offset = 0;
            for (int d = 0; d < at.length; d++) {
                offset = offset * out[d] + at[d] + (d == 0 ? 0 : pads[d - 1]);
            }
            offset = (offset * out[out.length - 2] + pads[in.length - 3]) * out[out.length - 1] * es;
            dst.put(Math.toIntExact(offset), src, row * rowBytes, rowBytes);
            for (int d = at.length - 1; d >= 0 && ++at[d] == in[d]; d--) {
                at[d] = 0;
            }
        }
    }

    /**
     * Zeroes what the padded reorder left unwritten in float32 {@code y} [N, spatial..., C]: every
     * position with a coordinate in the border. Rows (runs along the last spatial axis) in the
     * border, and the end of one row with the start of the next, are contiguous: each such run is
     * one bulk copy from {@link #ZEROS}.
     */
    private void zeroBorder(Tensor y) {
        int[] s = y.shape();
        int r = s.length - 2;
        int positionBytes = s[s.length - 1] * Float.BYTES;
        int w = s[s.length - 2];
        int rowBytes = w * positionBytes;
        int rows = Shapes.product(s, 0, s.length - 2);   // N x all spatial axes but the last
        ByteBuffer v = y.bytes();
        int[] at = new int[s.length - 2];   // the row's index: batch, then spatial axes but the last
        int run = 0;   // the start of the zeros not yet written; they end where the row's image starts
        for (int row = 0; row < rows; row++) {
            boolean border = false;
            for (int d = 1; d < at.length; d++) {
                border |= at[d] < pads[d - 1] || at[d] >= s[d] - pads[r + d - 1];
            }
            int base = row * rowBytes;
            if (!border) {
                zero(v, run, base + pads[r - 1] * positionBytes);
                run = base + (w - pads[2 * r - 1]) * positionBytes;
            }
            for (int d = at.length - 1; d >= 0 && ++at[d] == s[d]; d--) {
                at[d] = 0;
            }
        }
        zero(v, run, rows * rowBytes);
    }

    private static void zero(ByteBuffer v, int from, int to) {
        for (int at = from; at < to; at += ZEROS.length) {
            v.put(at, ZEROS, 0, Math.min(ZEROS.length, to - at));
        }
    }
}
