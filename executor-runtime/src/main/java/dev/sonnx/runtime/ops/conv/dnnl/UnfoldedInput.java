package dev.sonnx.runtime.ops.conv.dnnl;

import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import org.bytedeco.javacpp.Pointer;

/**
 * A channels-last 2-D convolution's input unfolded into the rows of one matrix product (im2col):
 * row (n, oh, ow) holds the KH x KW x C values its output pixel reads, taps in (kh, kw, c) order,
 * zeros where a tap falls in the padding. The convolution is then [N*OH*OW, KH*KW*C] x
 * [KH*KW*C, OC], which is Y itself in channels-last order.
 *
 * <p>Why: oneDNN's brgemm convolution on channels-last data takes a row of output pixels at a time
 * and reads the whole of its weights again for every row. Where the weights are larger than the
 * last-level cache they come from memory each time: tinyyolov2's 1024 -> 1024 3 x 3 layer at
 * 13 x 13 (37.7 MB of weights) took 11.2-11.6 ms on a machine whose memory bandwidth its
 * neighbours were using, against 9.6-10.0 ms unfolded (the unfolding included) and 9.5-9.9 ms for
 * ONNX Runtime; on a quiet machine the two forms ran 8.8-9.2 against 9.1-9.4 ms. The product reads
 * each weight once. Below 32 MiB of weights (its 512 -> 1024 layer, 18.9 MB) the convolution
 * was as fast or faster, and with more output pixels than output channels the unfolded matrix
 * would outgrow the weights it saves reading. Four or more images go to {@link BlockedDetour}
 * instead, whose direct kernel keeps a block of weights for all of them. Since which form wins
 * depends on the machine's load, a convolution where this applies times both once
 * ({@link KernelTrial}). {@code -Dsonnx.dnnl.unfoldWeightBytes} sets the threshold.
 */
final class UnfoldedInput {
    private static final long MIN_WEIGHT_BYTES = Long.getLong("sonnx.dnnl.unfoldWeightBytes", 32L << 20);

    private final int batch;
    private final int height;
    private final int width;
    private final int channels;
    private final int kernelH;
    private final int kernelW;
    private final int outH;
    private final int outW;
    private final int strideH;
    private final int strideW;
    private final int dilationH;
    private final int dilationW;
    private final int padTop;
    private final int padLeft;
    /** Bytes of one unfolded row. */
    private final int rowBytes;
    private final long bytes;
    /** KW x C zeros, the longest run of padding taps one copy writes. */
    private final ByteBuffer zeros;

    private UnfoldedInput(int[] xShape, int[] wShape, int[] yShape, int[] strides, int[] dilations, int[] padBegin) {
        batch = xShape[0];
        channels = xShape[1];
        height = xShape[2];
        width = xShape[3];
        kernelH = wShape[2];
        kernelW = wShape[3];
        outH = yShape[2];
        outW = yShape[3];
        strideH = strides[0];
        strideW = strides[1];
        dilationH = dilations[0];
        dilationW = dilations[1];
        padTop = padBegin[0];
        padLeft = padBegin[1];
        rowBytes = kernelH * kernelW * channels * Float.BYTES;
        bytes = (long) rows() * rowBytes;
        zeros = ByteBuffer.allocateDirect(kernelW * channels * Float.BYTES);
    }

    /**
     * Whether a float32 convolution of X {@code xShape} (N, C, H, W) with W {@code wShape} into Y
     * {@code yShape} runs faster unfolded: channels-last, ungrouped, 2-D, fewer images than the
     * blocked detour takes, weights of at least 32 MiB, no more output pixels than output channels.
     */
    static boolean pays(int[] xShape, int[] wShape, int[] yShape, int group, boolean channelsLast) {
        if (!channelsLast || group != 1 || xShape.length != 4 || xShape[0] >= BlockedDetour.MIN_BATCH) {
            return false;
        }
        long weightBytes = Float.BYTES;
        for (int v : wShape) {
            weightBytes *= v;
        }
        long pixels = (long) yShape[0] * yShape[2] * yShape[3];
        long unfoldedBytes = pixels * wShape[1] * wShape[2] * wShape[3] * Float.BYTES;
        return weightBytes >= MIN_WEIGHT_BYTES && pixels <= wShape[0] && unfoldedBytes < Integer.MAX_VALUE;
    }

    /** The unfolding for a convolution of these shapes (N, C, spatial...) and ONNX's dilations. */
    static UnfoldedInput create(int[] xShape, int[] wShape, int[] yShape, int[] strides, int[] dilations,
                                int[] padBegin) {
        return new UnfoldedInput(xShape, wShape, yShape, strides, dilations, padBegin);
    }

    /** The product's rows: N x OH x OW. */
    int rows() {
        return batch * outH * outW;
    }

    /** The product's inner dimension: KH x KW x C. */
    int depth() {
        return kernelH * kernelW * channels;
    }

    /**
     * X (channels-last) unfolded into this thread's scratch, valid until the thread's next unfolding.
     * One thread: splitting the copy across the two cores of the machine it was measured on gave no
     * gain (0.30-0.39 ms either way, for 6.2 MB).
     */
    Pointer unfold(Tensor x) {
        ByteBuffer src = x.bytes();
        ByteBuffer dst = Scratch.buffer(Scratch.UNFOLDED_INPUT, bytes);
        int pixelBytes = channels * Float.BYTES;
        int tapRowBytes = kernelW * pixelBytes;
        int row = 0;
        for (int n = 0; n < batch; n++) {
            for (int oh = 0; oh < outH; oh++) {
                for (int ow = 0; ow < outW; ow++, row++) {
                    int at = row * rowBytes;
                    for (int kh = 0; kh < kernelH; kh++, at += tapRowBytes) {
                        int ih = oh * strideH - padTop + kh * dilationH;
                        if (ih < 0 || ih >= height) {
                            dst.put(at, zeros, 0, tapRowBytes);
                        } else {
                            unfoldTaps(src, ((n * height + ih) * width) * pixelBytes, ow, dst, at, pixelBytes);
                        }
                    }
                }
            }
        }
        return new Pointer(dst);
    }

    /** One kernel row's KW taps for output column {@code ow}, read from the input row at {@code rowStart}. */
    private void unfoldTaps(ByteBuffer src, int rowStart, int ow, ByteBuffer dst, int at, int pixelBytes) {
        int iw0 = ow * strideW - padLeft;
        // taps [first, last] fall inside the row; the rest are padding
        int first = iw0 >= 0 ? 0 : (-iw0 + dilationW - 1) / dilationW;
        int last = Math.min(kernelW - 1, (width - 1 - iw0) / dilationW);
        if (iw0 > width - 1) {
            last = -1;
        }
        if (first > last) {
            dst.put(at, zeros, 0, kernelW * pixelBytes);
            return;
        }
        if (first > 0) {
            dst.put(at, zeros, 0, first * pixelBytes);
        }
        if (dilationW == 1) {
            // adjacent taps are adjacent pixels: one copy
            dst.put(at + first * pixelBytes, src, rowStart + (iw0 + first) * pixelBytes, (last - first + 1) * pixelBytes);
        } else {
            for (int kw = first; kw <= last; kw++) {
                dst.put(at + kw * pixelBytes, src, rowStart + (iw0 + kw * dilationW) * pixelBytes, pixelBytes);
            }
        }
        if (last < kernelW - 1) {
            dst.put(at + (last + 1) * pixelBytes, zeros, 0, (kernelW - 1 - last) * pixelBytes);
        }
    }
}
