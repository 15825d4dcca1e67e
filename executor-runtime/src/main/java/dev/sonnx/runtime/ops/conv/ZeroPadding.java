package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.FloatBuffer;

/**
 * A max pool whose padding holds zeros instead of nothing: what a zero Pad and the MaxPool after
 * it compute together. The inference passes fold such a Pad into the pool and mark the pool with
 * {@link #ATTRIBUTE} (see {@code backend.passes.PadFusion}); the pool then runs over the unpadded
 * image, its padding ignored as MaxPool's is, and each result whose window reaches into the padding
 * becomes max(y, 0), the zeros that window would have seen. A window of NaN alone gives 0 as well:
 * MaxPool ignores NaN. No padded copy of the image is written, and no operator runs between the
 * layer before the Pad and the pool.
 */
public final class ZeroPadding {
    /** 1 on a MaxPool (or {@code dev.sonnx.NhwcMaxPool}) whose padding holds zeros; internal to inference plans. */
    public static final String ATTRIBUTE = "dev.sonnx.zero_padding";

    private ZeroPadding() {
    }

    /**
     * Raises to 0 the results at window positions {@code padded} (flat indices among
     * {@code positions} per image, from {@link Window#paddedPositions}) of max pool result {@code y},
     * stored [N, C, positions...] or, {@code channelsLast}, [N, positions..., C].
     */
    static void apply(Tensor y, int[] padded, int positions, boolean channelsLast) {
        if (padded.length == 0 || y.size() == 0) {
            return;
        }
        int[] shape = y.shape();
        int n = shape[0];
        int c = channelsLast ? shape[shape.length - 1] : shape[1];
        FloatBuffer f = y.dtype() == DataType.FLOAT ? y.floats() : null;
        for (int i = 0; i < n; i++) {
            for (int p : padded) {
                for (int ch = 0; ch < c; ch++) {
                    int at = channelsLast ? (i * positions + p) * c + ch : (i * c + ch) * positions + p;
                    if (f != null) {
                        if (!(f.get(at) >= 0)) {
                            f.put(at, 0f);
                        }
                    } else if (!(y.getDouble(at) >= 0)) {
                        y.setDouble(at, 0);
                    }
                }
            }
        }
    }
}
