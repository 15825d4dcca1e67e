package dev.sonnx.runtime.ops.conv.dnnl;

import dev.sonnx.runtime.tensor.Arena;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.Arrays;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Which of two oneDNN primitives for one convolution runs faster on this machine, measured once
 * when the convolution is planned for a shape: a few alternating calls of each on stand-in data.
 *
 * <p>Why measure: the unfolded product ({@link UnfoldedInput}) reads weights larger than the cache
 * once, the direct kernel once per output row from the last-level cache. Which wins depends on how
 * fast that cache serves them, which other tenants of a shared machine change: tinyyolov2's
 * 1024 -> 1024 layer at batch 1 took 9.6-10.0 ms unfolded against 11.2-11.6 direct when the
 * neighbours were busy, and the direct kernel was the faster by 3-5% of the whole run when they
 * were quiet. A trial costs about 14 calls of the layer, once per shape.
 * {@code -Dsonnx.dnnl.unfold=always|never|auto} (auto by default) skips it.
 */
public final class KernelTrial {
    /** Whether a convolution that may run unfolded does: after a trial, always, or never. */
    public enum Choice {
        AUTO, ALWAYS, NEVER
    }

    private static volatile Choice unfold = Choice.valueOf(System.getProperty("sonnx.dnnl.unfold", "auto")
            .toUpperCase(java.util.Locale.ROOT));
    private static final int WARM_UP = 2;
    private static final int TIMED = 5;
    /** Float 0x3c3c3c3c (about 0.0115): weights that are neither zero pages nor denormals. */
    private static final int FILL = 0x3c;

    private KernelTrial() {
    }

    /** The choice for convolutions planned from now on (tests pin one); returns the previous one. */
    public static Choice unfolding(Choice choice) {
        Choice previous = unfold;
        unfold = choice;
        return previous;
    }

    static Choice unfolding() {
        return unfold;
    }

    /**
     * {@code first} or {@code second}, both convolutions of X {@code xShape} into Y {@code yShape}
     * (logical [N, C, spatial...], stored channels-last), whichever took less time in the trial;
     * {@code first} on a tie. {@code never} returns {@code second} untried.
     */
    static DnnlConvolution faster(DnnlConvolution first, DnnlConvolution second, int[] xShape, int[] yShape,
                                  boolean bias) {
        if (unfold == Choice.NEVER) {
            return second;
        }
        Tensor x = Arena.detached(() -> Tensor.zeros(DataType.FLOAT, channelsLast(xShape)));
        Tensor y = Arena.detached(() -> Tensor.zeros(DataType.FLOAT, channelsLast(yShape)));
        Tensor b = bias ? Arena.detached(() -> Tensor.zeros(DataType.FLOAT, yShape[1])) : null;
        Tensor z = first.postOps().residual() ? y : null;
        try (BytePointer w1 = filled(first.packedBytes()); BytePointer w2 = filled(second.packedBytes())) {
            long[] t1 = new long[TIMED];
            long[] t2 = new long[TIMED];
            for (int i = -WARM_UP; i < TIMED; i++) {
                long a = time(first, x, w1, b, z, y);
                long c = time(second, x, w2, b, z, y);
                if (i >= 0) {
                    t1[i] = a;
                    t2[i] = c;
                }
            }
            Arrays.sort(t1);
            Arrays.sort(t2);
            return t1[TIMED / 2] <= t2[TIMED / 2] ? first : second;
        }
    }

    /** [N, C, spatial...] as stored channels-last: [N, spatial..., C]. */
    private static int[] channelsLast(int[] logical) {
        int[] p = new int[logical.length];
        p[0] = logical[0];
        System.arraycopy(logical, 2, p, 1, logical.length - 2);
        p[logical.length - 1] = logical[1];
        return p;
    }

    private static BytePointer filled(long bytes) {
        BytePointer p = new BytePointer(bytes);
        Pointer.memset(p, FILL, bytes);
        return p;
    }

    private static long time(DnnlConvolution conv, Tensor x, Pointer w, Tensor b, Tensor z, Tensor y) {
        long start = System.nanoTime();
        conv.run(x, w, b, z, y);
        return System.nanoTime() - start;
    }
}
