package dev.sonnx.runtime.ops.conv.dnnl;

import static org.bytedeco.dnnl.global.dnnl.dnnl_aBc16b;
import static org.bytedeco.dnnl.global.dnnl.dnnl_aBcd16b;
import static org.bytedeco.dnnl.global.dnnl.dnnl_aBcde16b;

import dev.sonnx.runtime.tensor.Tensor;
import org.bytedeco.javacpp.Pointer;

/**
 * A channels-last convolution run over oneDNN's channel-blocked layout (N, C/16, spatial..., 16):
 * its input is reordered into per-thread scratch memory, the convolution writes blocked scratch
 * memory, and that is reordered into the channels-last output.
 *
 * <p>Why: on channels-last data oneDNN runs its brgemm kernels, which take one image at a time and
 * stream all of the weights again for each image. Where the weights are far larger than the caches,
 * that streaming is the cost: tinyyolov2's 1024 -> 1024 3x3 convolution (37.7 MB of weights) at
 * 13 x 13 took 92 ms at batch 8 channels-last and 73 ms on blocked data (the direct kernel keeps a
 * block of weights for every image), where the two reorders cost about 1 ms. Below 16 MiB of weights,
 * or below 4 images, channels-last was as fast or faster (resnet18's 512-channel layers: 9.4 MB,
 * 6.8 against 6.6 ms; the 1024-channel layer at batch 2: 24.5 against 26.8 ms). Both thresholds
 * are tunable: {@code -Dsonnx.dnnl.blockedWeightBytes}, {@code -Dsonnx.dnnl.blockedMinBatch}.
 */
final class BlockedDetour {
    private static final long MIN_WEIGHT_BYTES = Long.getLong("sonnx.dnnl.blockedWeightBytes", 16L << 20);
    static final int MIN_BATCH = Integer.getInteger("sonnx.dnnl.blockedMinBatch", 4);

    private final DnnlPrimitive toBlocked;
    private final DnnlPrimitive fromBlocked;
    private final long blockedInputBytes;
    private final long blockedOutputBytes;

    private BlockedDetour(DnnlPrimitive toBlocked, DnnlPrimitive fromBlocked) {
        this.toBlocked = toBlocked;
        this.fromBlocked = fromBlocked;
        this.blockedInputBytes = Dnnl.size(toBlocked.desc(1));
        this.blockedOutputBytes = Dnnl.size(fromBlocked.desc(0));
    }

    /**
     * Whether a channels-last float32 convolution of X {@code xShape} with W {@code wShape} should
     * take the detour: ungrouped, without a residual (whose layout would have to follow), at least
     * {@code MIN_BATCH} images, weights of at least {@code MIN_WEIGHT_BYTES}, 1 to 3 spatial dimensions.
     */
    static boolean pays(int[] xShape, int[] wShape, int group, boolean channelsLast, PostOps postOps) {
        if (!channelsLast || group != 1 || postOps.residual() || xShape.length < 3 || xShape.length > 5) {
            return false;
        }
        long weightBytes = Float.BYTES;
        for (int v : wShape) {
            weightBytes *= v;
        }
        return xShape[0] >= MIN_BATCH && weightBytes >= MIN_WEIGHT_BYTES;
    }

    /** The blocked layout's format tag for {@code spatialRank} (1 to 3) spatial dimensions. */
    static int tag(int spatialRank) {
        switch (spatialRank) {
            case 1: return dnnl_aBc16b;
            case 2: return dnnl_aBcd16b;
            case 3: return dnnl_aBcde16b;
            default: throw new IllegalArgumentException("no blocked layout for " + spatialRank + " spatial dimensions");
        }
    }

    /** The reorders around a convolution from X {@code xShape} to Y {@code yShape} (N, C, spatial...). */
    static BlockedDetour create(int[] xShape, int[] yShape) {
        int r = xShape.length - 2;
        DnnlPrimitive in = Dnnl.reorder(Dnnl.desc(xShape, Layouts.data(r, true)), Dnnl.desc(xShape, tag(r)));
        DnnlPrimitive out = Dnnl.reorder(Dnnl.desc(yShape, tag(r)), Dnnl.desc(yShape, Layouts.data(r, true)));
        return new BlockedDetour(in, out);
    }

    /** X reordered into this thread's blocked input scratch, valid until the thread's next detour. */
    Pointer blockedInput(Tensor x) {
        Pointer p = Scratch.get(Scratch.BLOCKED_INPUT, blockedInputBytes);
        toBlocked.execute(x.pointer(), p);
        return p;
    }

    /** This thread's scratch for the blocked output. */
    Pointer blockedOutput() {
        return Scratch.get(Scratch.BLOCKED_OUTPUT, blockedOutputBytes);
    }

    /** The blocked output {@code blocked} reordered into the channels-last Y. */
    void unblock(Pointer blocked, Tensor y) {
        fromBlocked.execute(blocked, y.pointer());
    }

}
