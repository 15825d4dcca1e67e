package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.conv.dnnl.DnnlMatMul;
import dev.sonnx.runtime.ops.conv.dnnl.PostOps;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.FloatBuffer;
import java.util.Optional;

/**
 * dW of a pointwise convolution (1 x 1 kernel, stride 1, no padding, one group) on plain
 * [N, C, spatial...] float32 data, as one batched matrix product: per image Y_n = W X_n with X_n
 * [C, P] and W [M, C], so dW = sum over n of dY_n X_n^T. oneDNN's convolution backward reorders X
 * and dY to channels-last inside every call (its plain-layout wrapper) before its 1 x 1 kernel;
 * its matmul reads both as they lie: mobilenetv2's 16 -> 96 channel layer at 112 x 112 and batch 8
 * took 10.5 ms that way and 2.1 ms this way. The per-image products are summed here ([N, M, C] is
 * small beside the activations).
 */
final class PointwiseWeightGradient {
    private final ShapeCache<Optional<DnnlMatMul>> products = new ShapeCache<>();

    /** Whether the convolution of {@code window} with weights {@code wShape} in {@code group} groups is pointwise. */
    static boolean applies(Window window, int[] wShape, int group) {
        if (group != 1) {
            return false;
        }
        for (int d = 0; d < window.rank; d++) {
            if (window.kernel[d] != 1 || window.strides[d] != 1 || window.padBegin[d] != 0 || window.padEnd[d] != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Writes dW ({@code gw}, [M, C, 1...]) for float32 host tensors X [N, C, spatial...] and dY
     * [N, M, spatial...]; false (nothing written) where oneDNN has no product for these shapes.
     */
    boolean compute(Tensor x, Tensor gy, Tensor gw, Device device) {
        if (x.dtype() != DataType.FLOAT || gy.dtype() != DataType.FLOAT || !device.isHost()) {
            return false;
        }
        int n = x.shape()[0];
        int c = x.shape()[1];
        int m = gy.shape()[1];
        int p = n == 0 || c == 0 ? 0 : x.size() / (n * c);
        if (n == 0 || c == 0 || m == 0 || p == 0) {
            return false;
        }
        DnnlMatMul product = products.get(s -> Optional.ofNullable(DnnlMatMul.create(
                new int[] {s[0][0], s[0][1], s[0][2]}, false, new int[] {s[0][0], s[0][3], s[0][2]}, true,
                new int[] {s[0][0], s[0][1], s[0][3]}, false, false, PostOps.NONE)), new int[] {n, m, p, c}).orElse(null);
        if (product == null) {
            return false;
        }
        if (n == 1) {
            product.forward(gy, x, null, null, gw);
            return true;
        }
        Tensor perImage = Tensor.uninitialized(DataType.FLOAT, n, m, c);
        product.forward(gy, x, null, null, perImage);
        sumImages(perImage.floats(), n, m * c, gw.floats());
        return true;
    }

    /** Elements per block of {@link #sumImages}. */
    private static final int BLOCK = 1024;
    private static final ThreadLocal<float[][]> BLOCKS = ThreadLocal.withInitial(() -> new float[][] {
        new float[BLOCK], new float[BLOCK]});

    /** out[i] = sum over images of per[img * size + i], a block of i at a time. */
    private static void sumImages(FloatBuffer per, int images, int size, FloatBuffer out) {
        float[][] blocks = BLOCKS.get();
        float[] total = blocks[0];
        float[] row = blocks[1];
        for (int from = 0; from < size; from += BLOCK) {
            int len = Math.min(BLOCK, size - from);
            per.get(from, total, 0, len);
            for (int img = 1; img < images; img++) {
                per.get(img * size + from, row, 0, len);
                for (int i = 0; i < len; i++) {
                    total[i] += row[i];
                }
            }
            out.put(from, total, 0, len);
        }
    }
}
