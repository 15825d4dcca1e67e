package dev.sonnx.runtime.ops.linalg;

import dev.sonnx.runtime.tensor.Shapes;
import java.util.Arrays;

/**
 * numpy.matmul's shape rules for one pair of operand shapes: a 1-D A is a row (1 x K) and a 1-D B a
 * column (K x 1), each dropped from the result; leading (batch) dimensions broadcast. Gives the
 * product's m, n, k, the output shape, and for each output matrix where its A and B matrices start.
 */
final class MatMulShape {
    final int m;
    final int n;
    final int k;
    final int[] outShape;
    /** The output's batch dimensions (without the matrix dimensions). */
    final int[] batchShape;
    final int batch;
    /** Element offsets of the A, B and output matrices of each output batch index. */
    final int[] aOffsets;
    final int[] bOffsets;
    final int[] outOffsets;
    /** How many distinct A and B matrices there are (1 when that operand has no batch). */
    final int aCount;
    final int bCount;

    private MatMulShape(int[] a, int[] b) {
        if (a.length == 0 || b.length == 0) {
            throw new IllegalArgumentException("MatMul operands must have rank >= 1, got A " + Shapes.toString(a)
                    + " and B " + Shapes.toString(b));
        }
        boolean aVector = a.length == 1;
        boolean bVector = b.length == 1;
        int[] a2 = aVector ? new int[] {1, a[0]} : a;
        int[] b2 = bVector ? new int[] {b[0], 1} : b;
        this.m = a2[a2.length - 2];
        this.k = a2[a2.length - 1];
        this.n = b2[b2.length - 1];
        if (b2[b2.length - 2] != k) {
            throw new IllegalArgumentException("A " + Shapes.toString(a) + " and B " + Shapes.toString(b)
                    + " cannot be multiplied: A has " + k + " columns, B has " + b2[b2.length - 2] + " rows");
        }
        int[] aBatch = Arrays.copyOf(a2, a2.length - 2);
        int[] bBatch = Arrays.copyOf(b2, b2.length - 2);
        try {
            this.batchShape = Shapes.broadcast(aBatch, bBatch);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the batch dimensions of A " + Shapes.toString(a) + " and B "
                    + Shapes.toString(b) + " do not broadcast");
        }
        this.batch = Shapes.size(batchShape);
        this.aCount = Shapes.size(aBatch);
        this.bCount = Shapes.size(bBatch);
        int r = batchShape.length;
        int[] out = Arrays.copyOf(batchShape, r + (aVector ? 0 : 1) + (bVector ? 0 : 1));
        if (!aVector) {
            out[r++] = m;
        }
        if (!bVector) {
            out[r] = n;
        }
        this.outShape = out;
        this.aOffsets = offsets(aBatch, batchShape, m * k);
        this.bOffsets = offsets(bBatch, batchShape, k * n);
        this.outOffsets = new int[batch];
        for (int i = 0; i < batch; i++) {
            outOffsets[i] = i * m * n;
        }
    }

    static MatMulShape of(int[] a, int[] b) {
        return new MatMulShape(a, b);
    }

    /** Where each output batch index's matrix starts in an operand of batch shape {@code from}. */
    private static int[] offsets(int[] from, int[] to, int matrixSize) {
        int[] st = Shapes.broadcastStrides(from, to);
        for (int d = 0; d < st.length; d++) {
            st[d] *= matrixSize;
        }
        return Shapes.offsets(to, st);
    }

    /** Whether each output matrix has its own A matrix (A's batch is the whole output batch). */
    boolean aCoversBatch() {
        return aCount == batch;
    }

    boolean bCoversBatch() {
        return bCount == batch;
    }

    /**
     * Whether the product is one big matrix product: a batch of A's over one shared B folds into
     * (batch * m) x k times k x n, as A and the output are laid out row after row.
     */
    boolean foldsIntoOneProduct() {
        return bCount == 1 && aCount == batch;
    }
}
