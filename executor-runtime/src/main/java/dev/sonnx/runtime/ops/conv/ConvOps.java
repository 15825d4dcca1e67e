package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.OpRegistry;

/** Operators of this family: convolution, transposed convolution and pooling. */
public final class ConvOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
        // Conv-11 and ConvTranspose-11 only clarified the auto_pad/pads wording; later versions add types.
        r.add("Conv", 1, (n, b) -> new Conv(n));
        r.add("ConvTranspose", 1, (n, b) -> new ConvTranspose(n));
    }
}
