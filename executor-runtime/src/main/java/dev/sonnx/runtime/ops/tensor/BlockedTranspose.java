package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.IntBuffer;

/**
 * Transpose of 4-byte elements (float32, int32, uint32, moved as int bits) where the innermost
 * axis moves: the two axes that trade places (the input's innermost, read contiguously, and the
 * one that becomes the output's innermost, written contiguously) are walked in square tiles:
 * each tile is read row by row with bulk copies into a heap array, transposed there, and written
 * back with bulk copies, since element-wise access to native buffers costs several times more than
 * array access; every other axis is an outer loop. Covers 2-D matrices and the 4-D
 * layout changes (NCHW to NHWC and back) that dominate in models.
 */
final class BlockedTranspose {
    /** Tile side: two tiles of 64 x 64 ints (32 KiB) stay in L1/L2 cache. */
    private static final int TILE = 64;

    private BlockedTranspose() {
    }

    /** {@code shape}/{@code perm}: the collapsed permutation, whose last entry is not its last axis. */
    static Tensor run(Tensor x, int[] shape, int[] perm, int[] outShape, Device device) {
        int m = shape.length;
        int[] inStrides = Shapes.strides(shape);
        int[] permuted = new int[m];
        for (int d = 0; d < m; d++) {
            permuted[d] = shape[perm[d]];
        }
        int[] outPermStrides = Shapes.strides(permuted);
        int[] outStrides = new int[m]; // output stride of each input axis
        for (int d = 0; d < m; d++) {
            outStrides[perm[d]] = outPermStrides[d];
        }
        int a = perm[m - 1]; // becomes the output's innermost axis
        int b = m - 1;       // the input's innermost axis
        int lenA = shape[a];
        int lenB = shape[b];
        int strideA = inStrides[a];
        int strideB = outStrides[b];
        int[] outerDims = new int[m - 2];
        int[] outerIn = new int[m - 2];
        int[] outerOut = new int[m - 2];
        for (int d = 0, k = 0; d < m; d++) {
            if (d != a && d != b) {
                outerDims[k] = shape[d];
                outerIn[k] = inStrides[d];
                outerOut[k] = outStrides[d];
                k++;
            }
        }
        int outerCount = Shapes.size(outerDims);
        int tilesA = (lenA + TILE - 1) / TILE;
        Tensor out = Tensor.uninitialized(x.dtype(), outShape);
        IntBuffer src = x.bytes().asIntBuffer();
        IntBuffer dst = out.bytes().asIntBuffer();
        device.parallelFor(outerCount * tilesA, (long) TILE * lenB, (s, e) -> {
            int[] in = new int[TILE * TILE];
            int[] tile = new int[TILE * TILE];
            for (int item = s; item < e; item++) {
                int o = item / tilesA;
                int a0 = (item % tilesA) * TILE;
                int na = Math.min(lenA - a0, TILE);
                int inBase = 0;
                int outBase = 0;
                for (int k = outerDims.length - 1; k >= 0; k--) {
                    int c = o % outerDims[k];
                    o /= outerDims[k];
                    inBase += c * outerIn[k];
                    outBase += c * outerOut[k];
                }
                for (int b0 = 0; b0 < lenB; b0 += TILE) {
                    int nb = Math.min(lenB - b0, TILE);
                    // rows of the input tile are contiguous along b; rows of the output tile along a
                    for (int i = 0; i < na; i++) {
                        src.get(inBase + (a0 + i) * strideA + b0, in, i * nb, nb);
                    }
                    for (int j = 0; j < nb; j++) {
                        for (int i = 0; i < na; i++) {
                            tile[j * na + i] = in[i * nb + j];
                        }
                    }
                    for (int j = 0; j < nb; j++) {
                        dst.put(outBase + (b0 + j) * strideB + a0, tile, j * na, na);
                    }
                }
            }
        });
        return out;
    }
}
