package dev.sonnx.runtime.ops.conv.dnnl;

import static org.bytedeco.dnnl.global.dnnl.dnnl_a;
import static org.bytedeco.dnnl.global.dnnl.dnnl_ab;
import static org.bytedeco.dnnl.global.dnnl.dnnl_abc;
import static org.bytedeco.dnnl.global.dnnl.dnnl_abcd;
import static org.bytedeco.dnnl.global.dnnl.dnnl_abcde;
import static org.bytedeco.dnnl.global.dnnl.dnnl_abcdef;
import static org.bytedeco.dnnl.global.dnnl.dnnl_acbd;
import static org.bytedeco.dnnl.global.dnnl.dnnl_acbde;
import static org.bytedeco.dnnl.global.dnnl.dnnl_acbdef;
import static org.bytedeco.dnnl.global.dnnl.dnnl_bac;
import static org.bytedeco.dnnl.global.dnnl.dnnl_bacd;
import static org.bytedeco.dnnl.global.dnnl.dnnl_bacde;
import static org.bytedeco.dnnl.global.dnnl.dnnl_goidhw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_goihw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_goiw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_ncdhw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_ndhwc;
import static org.bytedeco.dnnl.global.dnnl.dnnl_nhwc;
import static org.bytedeco.dnnl.global.dnnl.dnnl_nwc;
import static org.bytedeco.dnnl.global.dnnl.dnnl_nchw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_ncw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_oidhw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_oihw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_oiw;

/** The oneDNN format tags of ONNX's row-major layouts, by spatial rank (1 to 3). */
final class Layouts {
    private Layouts() {
    }

    /** A vector (biases). */
    static int vector() {
        return dnnl_a;
    }

    /** Row-major tensors of rank 1 to 6. */
    static int plain(int rank) {
        switch (rank) {
            case 1: return dnnl_a;
            case 2: return dnnl_ab;
            case 3: return dnnl_abc;
            case 4: return dnnl_abcd;
            case 5: return dnnl_abcde;
            case 6: return dnnl_abcdef;
            default: throw new IllegalArgumentException("no plain oneDNN layout for rank " + rank);
        }
    }

    /** N, C, spatial... or, {@code channelsLast}, N, spatial..., C (the bytes of a tensor of that shape). */
    static int data(int spatialRank, boolean channelsLast) {
        if (!channelsLast) {
            return data(spatialRank);
        }
        switch (spatialRank) {
            case 1: return dnnl_nwc;
            case 2: return dnnl_nhwc;
            case 3: return dnnl_ndhwc;
            default: throw new IllegalArgumentException("oneDNN has no layout for " + spatialRank
                    + " spatial dimensions");
        }
    }

    /** N, C, spatial... */
    static int data(int spatialRank) {
        switch (spatialRank) {
            case 1: return dnnl_ncw;
            case 2: return dnnl_nchw;
            case 3: return dnnl_ncdhw;
            default: throw new IllegalArgumentException("oneDNN has no layout for " + spatialRank
                    + " spatial dimensions");
        }
    }

    /**
     * A transposed convolution's weights as ONNX holds them, [I, O, spatial...] (grouped: [G*I, O,
     * spatial...]), for oneDNN's logical O, I, spatial... (G, O, I, spatial...): I before O in memory.
     */
    static int transposedWeights(int spatialRank, boolean grouped) {
        switch (spatialRank) {
            case 1: return grouped ? dnnl_acbd : dnnl_bac;
            case 2: return grouped ? dnnl_acbde : dnnl_bacd;
            case 3: return grouped ? dnnl_acbdef : dnnl_bacde;
            default: throw new IllegalArgumentException("oneDNN has no layout for " + spatialRank
                    + " spatial dimensions");
        }
    }

    /** O, I, spatial... (or G, O, I, spatial... for grouped convolutions: the same bytes as ONNX's [G*O, I, ...]). */
    static int weights(int spatialRank, boolean grouped) {
        switch (spatialRank) {
            case 1: return grouped ? dnnl_goiw : dnnl_oiw;
            case 2: return grouped ? dnnl_goihw : dnnl_oihw;
            case 3: return grouped ? dnnl_goidhw : dnnl_oidhw;
            default: throw new IllegalArgumentException("oneDNN has no layout for " + spatialRank
                    + " spatial dimensions");
        }
    }
}
