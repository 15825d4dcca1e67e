package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.OpRegistry;

/**
 * Operators of this family: convolution, transposed convolution and pooling. Entries sit at the
 * versions whose semantics changed; later type-only revisions (e.g. opset 22's bfloat16) share them.
 */
public final class ConvOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
        // Conv-11 and ConvTranspose-11 only reworded the auto_pad/pads rules.
        r.add("Conv", 1, Conv::new);
        r.add(FusedConv.DOMAIN, FusedConv.OP_TYPE, FusedConv.VERSION, FusedConv::create);
        // pools between channels-last convolutions (inference plans only): the latest ONNX semantics,
        // whose added attributes default to the earlier behaviour
        r.add(FusedConv.DOMAIN, PointwiseDepthwiseConv.OP_TYPE, 1, PointwiseDepthwiseConv::new);
        r.add(FusedConv.DOMAIN, "ToChannelsLast", 1, (n, b) -> new LayoutReorder(n, true));
        r.add(FusedConv.DOMAIN, "ToChannelsFirst", 1, (n, b) -> new LayoutReorder(n, false));
        r.add(FusedConv.DOMAIN, "NhwcMaxPool", 1, (n, b) -> new ChannelsLastPool(n, new MaxPool(n, 12)));
        r.add(FusedConv.DOMAIN, "NhwcAveragePool", 1, (n, b) -> new ChannelsLastPool(n, new AveragePool(n, 19)));
        r.add(FusedConv.DOMAIN, "NhwcGlobalAveragePool", 1,
                (n, b) -> new ChannelsLastPool(n, new GlobalPool(n, GlobalPool.Kind.AVERAGE, 1)));
        r.add(FusedConv.DOMAIN, "NhwcGlobalMaxPool", 1,
                (n, b) -> new ChannelsLastPool(n, new GlobalPool(n, GlobalPool.Kind.MAX, 1)));
        r.add(FusedConv.DOMAIN, "NhwcBatchNormalization", 1, (n, b) -> new ChannelsLastBatchNorm(n));
        r.add("ConvTranspose", 1, ConvTranspose::new);

        for (int v : new int[] {1, 8, 10, 12}) {
            r.add("MaxPool", v, (n, b) -> new MaxPool(n, v));
        }
        for (int v : new int[] {1, 7, 10, 19}) {
            r.add("AveragePool", v, (n, b) -> new AveragePool(n, v));
        }
        for (int v : new int[] {1, 2, 18}) {
            r.add("LpPool", v, (n, b) -> new LpPool(n, v));
        }
        r.add("GlobalAveragePool", 1, (n, b) -> new GlobalPool(n, GlobalPool.Kind.AVERAGE, 1));
        r.add("GlobalMaxPool", 1, (n, b) -> new GlobalPool(n, GlobalPool.Kind.MAX, 1));
        for (int v : new int[] {1, 2}) {
            r.add("GlobalLpPool", v, (n, b) -> new GlobalPool(n, GlobalPool.Kind.LP, v));
        }
        r.add("MaxUnpool", 9, (n, b) -> new MaxUnpool(n));
        r.add("Col2Im", 18, (n, b) -> new Col2Im(n));
    }
}
