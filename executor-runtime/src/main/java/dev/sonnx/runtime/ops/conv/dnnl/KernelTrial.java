package dev.sonnx.runtime.ops.conv.dnnl;

import dev.sonnx.runtime.tensor.Arena;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.Arrays;
import java.util.Locale;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Which of two ways to run one piece of a network is faster on this machine, measured once when
 * the operator is planned for a shape: a few alternating calls of each on stand-in data (weights
 * filled with a small constant, activations zero), whose memory goes back to the system at once.
 *
 * <p>Why measure: the winner depends on the host, not on the shapes alone.
 * <ul>
 *   <li>The unfolded product ({@link UnfoldedInput}) reads weights larger than the cache once, the
 *   direct kernel once per output row from the last-level cache. tinyyolov2's 1024 -> 1024 layer at
 *   batch 1 took 9.6-10.0 ms unfolded against 11.2-11.6 direct when the machine's other tenants were
 *   busy, and the direct kernel was faster by 3-5% of the whole run when they were quiet.</li>
 *   <li>oneDNN's 1 x 1 convolution with the depthwise one fused in ({@link DnnlPointwiseDepthwise})
 *   runs an older kernel than the separate 1 x 1 one: on an AMD Zen 5 host it lost on one of three
 *   MobileNet blocks by 3x, on an Intel Xeon host it took 0.56-0.65 of the pair's time.</li>
 * </ul>
 * A trial costs about 14 calls of each candidate, once per shape.
 * {@code -Dsonnx.dnnl.unfold} and {@code -Dsonnx.dnnl.fuseDepthwise} ({@code auto}, the default,
 * {@code always} or {@code never}) skip it.
 */
public final class KernelTrial {
    /** Whether a candidate runs: after a trial, always, or never. */
    public enum Choice {
        AUTO, ALWAYS, NEVER
    }

    /** The ways of running that a trial decides on, each with its system property. */
    public enum Candidate {
        /** {@link UnfoldedInput}'s product in place of the direct convolution. */
        UNFOLDED("sonnx.dnnl.unfold"),
        /** {@link DnnlPointwiseDepthwise} in place of its two convolutions. */
        FUSED_DEPTHWISE("sonnx.dnnl.fuseDepthwise");

        private volatile Choice choice;

        Candidate(String property) {
            choice = Choice.valueOf(System.getProperty(property, "auto").toUpperCase(Locale.ROOT));
        }
    }

    private static final int WARM_UP = 2;
    private static final int TIMED = 5;
    /** Float 0x3c3c3c3c (about 0.0115): weights that are neither zero pages nor denormals. */
    private static final int FILL = 0x3c;

    private KernelTrial() {
    }

    /** Pins the choice for {@code candidate} in what is planned from now on (tests); returns the previous one. */
    public static Choice pin(Candidate candidate, Choice choice) {
        Choice previous = candidate.choice;
        candidate.choice = choice;
        return previous;
    }

    static Choice choice(Candidate candidate) {
        return candidate.choice;
    }

    /**
     * {@code first} or {@code second}, both convolutions of X {@code xShape} into Y {@code yShape}
     * (logical [N, C, spatial...], stored channels-last), whichever took less time in the trial;
     * {@code first} on a tie.
     */
    static DnnlConvolution faster(DnnlConvolution first, DnnlConvolution second, int[] xShape, int[] yShape,
                                  boolean bias) {
        try (Arena scratch = Arena.scratch(); Arena.Scope ignored = scratch.enter();
             BytePointer w1 = filled(first.packedBytes()); BytePointer w2 = filled(second.packedBytes())) {
            Tensor x = zeros(channelsLast(xShape));
            Tensor y = zeros(channelsLast(yShape));
            Tensor b = bias ? zeros(yShape[1]) : null;
            Tensor z = first.postOps().residual() ? y : null;
            return firstIsFaster(() -> first.run(x, w1, b, z, y), () -> second.run(x, w2, b, z, y)) ? first : second;
        }
    }

    /**
     * Whether {@code fused} runs faster than {@code pointwise} then {@code depthwise} (its two
     * halves as separate primitives, biases included) over X of logical shape {@code xShape}.
     */
    static boolean fusedIsFaster(DnnlPointwiseDepthwise fused, DnnlConvolution pointwise, DnnlConvolution depthwise,
                                 int[] xShape, int[] midShape, int[] yShape) {
        try (Arena scratch = Arena.scratch(); Arena.Scope ignored = scratch.enter();
             BytePointer fw1 = filled(fused.pointwiseWeights().bytes());
             BytePointer fw2 = filled(fused.depthwiseWeights().bytes());
             BytePointer w1 = filled(pointwise.packedBytes()); BytePointer w2 = filled(depthwise.packedBytes())) {
            Tensor x = zeros(channelsLast(xShape));
            Tensor mid = zeros(channelsLast(midShape));
            Tensor y = zeros(channelsLast(yShape));
            Tensor b = zeros(midShape[1]);
            return firstIsFaster(() -> fused.run(x, fw1, b, fw2, b, y), () -> {
                pointwise.run(x, w1, b, null, mid);
                depthwise.run(mid, w2, b, null, y);
            });
        }
    }

    /** Whether {@code first}'s median time is at most {@code second}'s, over alternating calls. */
    private static boolean firstIsFaster(Runnable first, Runnable second) {
        long[] t1 = new long[TIMED];
        long[] t2 = new long[TIMED];
        for (int i = -WARM_UP; i < TIMED; i++) {
            long a = time(first);
            long c = time(second);
            if (i >= 0) {
                t1[i] = a;
                t2[i] = c;
            }
        }
        Arrays.sort(t1);
        Arrays.sort(t2);
        return t1[TIMED / 2] <= t2[TIMED / 2];
    }

    private static long time(Runnable r) {
        long start = System.nanoTime();
        r.run();
        return System.nanoTime() - start;
    }

    /** Zeros from the current arena (the trial's scratch one). */
    private static Tensor zeros(int... shape) {
        return Tensor.zeros(DataType.FLOAT, shape);
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
}
