package dev.sonnx.runtime.ops.quant;

import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.Arrays;

/**
 * How a scale (and zero point) tensor maps onto the elements of a (de)quantized tensor: one value
 * for all (per tensor), one per index along {@code axis} (per axis, opset 13), or one per
 * {@code block_size} consecutive indices along {@code axis} (blocked, opset 21). The data is walked
 * in rows: within a row the scale index is {@code scaleIndex(row) + t * scaleStride()}.
 */
final class QuantAxis {
    /** Row length of a per-tensor walk: big enough to amortize, small enough to split across threads. */
    private static final int CHUNK = 1 << 14;

    private final int size;
    private final boolean perTensor;
    private final int axisDim;
    private final int inner;
    private final int blockSize;
    private final int blocks;

    private QuantAxis(int size, boolean perTensor, int axisDim, int inner, int blockSize, int blocks) {
        this.size = size;
        this.perTensor = perTensor;
        this.axisDim = axisDim;
        this.inner = inner;
        this.blockSize = blockSize;
        this.blocks = blocks;
    }

    /**
     * Resolves the layout of {@code scale} (and {@code zeroPoint}, which must match it) against a tensor
     * of shape {@code shape}.
     *
     * @param perAxisAllowed false before opset 13, where only per-tensor scales exist
     * @param blockSize the {@code block_size} attribute (0: per tensor or per axis)
     */
    static QuantAxis of(int[] shape, Tensor scale, Tensor zeroPoint, int axis, boolean perAxisAllowed, int blockSize,
                        String scaleName, String zeroPointName) {
        boolean bothScalar = zeroPoint != null && zeroPoint.size() == 1 && zeroPoint.rank() <= 1
                && scale.size() == 1 && scale.rank() <= 1;
        // a scalar and a one-element vector are the same per-tensor parameter (exporters mix them)
        if (zeroPoint != null && !bothScalar && !Arrays.equals(zeroPoint.shape(), scale.shape())) {
            throw new IllegalArgumentException("input " + zeroPointName + " has shape "
                    + Arrays.toString(zeroPoint.shape()) + ", expected the shape of " + scaleName + " "
                    + Arrays.toString(scale.shape()));
        }
        int size = Shapes.size(shape);
        if (blockSize == 0 && scale.size() == 1 && scale.rank() <= 1) {
            return new QuantAxis(size, true, 1, 1, 0, 0);
        }
        if (!perAxisAllowed) {
            throw new IllegalArgumentException("input " + scaleName + " has shape " + Arrays.toString(scale.shape())
                    + ", expected a scalar (per-axis scales need opset 13)");
        }
        int a = Shapes.axis(axis, shape.length);
        int axisDim = shape[a];
        int inner = Shapes.product(shape, a + 1, shape.length);
        if (blockSize == 0) {
            if (scale.rank() != 1 || scale.size() != axisDim) {
                throw new IllegalArgumentException("input " + scaleName + " has shape " + Arrays.toString(scale.shape())
                        + ", expected a scalar or [" + axisDim + "] (dimension " + a + " of the input)");
            }
            return new QuantAxis(size, false, axisDim, inner, 0, 0);
        }
        if (blockSize < 0) {
            throw new IllegalArgumentException("attribute 'block_size' is " + blockSize + ", expected >= 0");
        }
        int blocks = (axisDim + blockSize - 1) / blockSize;
        int[] expected = shape.clone();
        expected[a] = blocks;
        if (!Arrays.equals(scale.shape(), expected)) {
            throw new IllegalArgumentException("input " + scaleName + " has shape " + Arrays.toString(scale.shape())
                    + ", expected " + Arrays.toString(expected) + " for block_size " + blockSize + " along axis " + a);
        }
        return new QuantAxis(size, false, axisDim, inner, blockSize, blocks);
    }

    int rows() {
        if (perTensor) {
            return (size + CHUNK - 1) / CHUNK;
        }
        return inner == 0 ? 0 : size / inner;
    }

    int maxRowLength() {
        return perTensor ? Math.min(size, CHUNK) : inner;
    }

    int rowStart(int row) {
        return row * maxRowLength();
    }

    int rowLength(int row) {
        return perTensor ? Math.min(CHUNK, size - row * CHUNK) : inner;
    }

    /** The scale index of the row's first element. */
    int scaleIndex(int row) {
        if (perTensor) {
            return 0;
        }
        int j = row % axisDim;
        if (blockSize == 0) {
            return j;
        }
        int outer = row / axisDim;
        return (outer * blocks + j / blockSize) * inner;
    }

    /** 1 when the scale varies along a row (blocked layout), else 0. */
    int scaleStride() {
        return blockSize > 0 ? 1 : 0;
    }
}
