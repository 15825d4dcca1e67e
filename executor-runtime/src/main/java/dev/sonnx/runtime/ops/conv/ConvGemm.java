package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.tensor.Device;
import java.nio.Buffer;

/**
 * Convolution as GEMM over im2col columns, for one resolved shape. Two tensors face each other
 * through a {@link Window}: the image side {@code [N, G*ci, image...]} and the position side
 * {@code [N, G*cp, positions...]}, joined by weights that hold, per group, a {@code [cp, ci*K]}
 * matrix. A convolution has X on the image side (ci = C/G) and Y on the position side (cp = M/G),
 * weights W {@code [M, C/G, K...]}; a transposed convolution has Y on the image side (ci = M/G), X on
 * the position side (cp = C/G), weights W {@code [C, M/G, K...]}. Three products then cover both
 * operators forward and backward:
 * <ul>
 *   <li>{@link #imageToPositions}: positions = W_g x im2col(image) (Conv forward, ConvTranspose dX);</li>
 *   <li>{@link #positionsToImage}: image += col2im(W_g^T x positions) (Conv dX, ConvTranspose forward);</li>
 *   <li>{@link #weightGradient}: dW_g = sum over n of positions x im2col(image)^T (both dW).</li>
 * </ul>
 * Work is split over (image, group) pairs when there are enough of them for the device's threads;
 * otherwise pairs run in turn, the im2col copies split over channels and GEMM threaded by OpenBLAS.
 */
final class ConvGemm {
    private final Arith arith;
    private final Window window;
    private final int batch;
    private final int groups;
    private final int ci;
    private final int cp;
    /** Rows of an im2col matrix (ci * K) and its columns (window positions). */
    private final int colRows;
    private final int cols;

    ConvGemm(Arith arith, Window window, int batch, int groups, int imageChannelsPerGroup,
             int positionChannelsPerGroup) {
        this.arith = arith;
        this.window = window;
        this.batch = batch;
        this.groups = groups;
        this.ci = imageChannelsPerGroup;
        this.cp = positionChannelsPerGroup;
        this.colRows = ci * window.kernelSize;
        this.cols = window.positionCount;
        if ((long) ci * window.kernelSize * window.positionCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("an im2col matrix of " + ci + " channels x " + window.kernelSize
                    + " taps x " + window.positionCount + " positions exceeds 2^31-1 elements");
        }
    }

    private int imageOffset(int task) {
        return task * ci * window.imageSize;
    }

    private int positionOffset(int task) {
        return task * cp * cols;
    }

    private int weightOffset(int group) {
        return group * cp * colRows;
    }

    private boolean splitTasks(int tasks, Device device) {
        return tasks > 1 && device.threads() > 1 && tasks >= device.threads();
    }

    private long flopsPerTask() {
        return 2L * cp * colRows * Math.max(cols, 1);
    }

    /** positions = W x im2col(image), plus what {@code positions} holds when {@code accumulate}. */
    void imageToPositions(Buffer image, Buffer weights, Buffer positions, boolean accumulate, Device device) {
        int tasks = batch * groups;
        if (splitTasks(tasks, device)) {
            device.parallelFor(tasks, flopsPerTask(), (s, e) -> {
                Buffer col = window.isIdentity() ? null : arith.scratch(colRows * cols);
                for (int t = s; t < e; t++) {
                    imageToPositions(t, image, weights, positions, accumulate, col, null);
                }
            });
        } else {
            Buffer col = window.isIdentity() ? null : arith.scratch(colRows * cols);
            for (int t = 0; t < tasks; t++) {
                imageToPositions(t, image, weights, positions, accumulate, col, device);
            }
        }
    }

    private void imageToPositions(int task, Buffer image, Buffer weights, Buffer positions, boolean accumulate,
                                  Buffer col, Device device) {
        Buffer b = image;
        int bOff = imageOffset(task);
        if (col != null) {
            im2col(image, bOff, col, device);
            b = col;
            bOff = 0;
        }
        arith.gemm(false, false, cp, cols, colRows, weights, weightOffset(task % groups), colRows, b, bOff, cols,
                accumulate ? 1 : 0, positions, positionOffset(task), cols);
    }

    /** image += col2im(W^T x positions). */
    void positionsToImage(Buffer positions, Buffer weights, Buffer image, Device device) {
        int tasks = batch * groups;
        if (splitTasks(tasks, device)) {
            device.parallelFor(tasks, flopsPerTask(), (s, e) -> {
                Buffer col = window.isIdentity() ? null : arith.scratch(colRows * cols);
                for (int t = s; t < e; t++) {
                    positionsToImage(t, positions, weights, image, col, null);
                }
            });
        } else {
            Buffer col = window.isIdentity() ? null : arith.scratch(colRows * cols);
            for (int t = 0; t < tasks; t++) {
                positionsToImage(t, positions, weights, image, col, device);
            }
        }
    }

    private void positionsToImage(int task, Buffer positions, Buffer weights, Buffer image, Buffer col,
                                  Device device) {
        int wOff = weightOffset(task % groups);
        int imgOff = imageOffset(task);
        if (col == null) {
            arith.gemm(true, false, colRows, cols, cp, weights, wOff, colRows, positions, positionOffset(task), cols,
                    1, image, imgOff, cols);
            return;
        }
        arith.gemm(true, false, colRows, cols, cp, weights, wOff, colRows, positions, positionOffset(task), cols,
                0, col, 0, cols);
        int[] table = window.table();
        if (device == null) {
            arith.scatterAdd(col, 0, table, 0, ci, image, imgOff, window.imageSize);
        } else {
            // channels own disjoint image planes, so they scatter in parallel without races
            device.parallelFor(ci, table.length, (c0, c1) ->
                    arith.scatterAdd(col, 0, table, c0, c1, image, imgOff, window.imageSize));
        }
    }

    /** weightGrad = sum over the batch of positions x im2col(image)^T, per group (overwritten). */
    void weightGradient(Buffer positions, Buffer image, Buffer weightGrad, Device device) {
        if (splitTasks(groups, device)) {
            device.parallelFor(groups, flopsPerTask() * batch, (s, e) -> {
                Buffer col = window.isIdentity() ? null : arith.scratch(colRows * cols);
                for (int g = s; g < e; g++) {
                    weightGradient(g, positions, image, weightGrad, col, null);
                }
            });
        } else {
            Buffer col = window.isIdentity() ? null : arith.scratch(colRows * cols);
            for (int g = 0; g < groups; g++) {
                weightGradient(g, positions, image, weightGrad, col, device);
            }
        }
    }

    private void weightGradient(int g, Buffer positions, Buffer image, Buffer weightGrad, Buffer col, Device device) {
        for (int n = 0; n < batch; n++) {
            int task = n * groups + g;
            Buffer b = image;
            int bOff = imageOffset(task);
            if (col != null) {
                im2col(image, bOff, col, device);
                b = col;
                bOff = 0;
            }
            arith.gemm(false, true, cp, colRows, cols, positions, positionOffset(task), cols, b, bOff, cols,
                    n == 0 ? 0 : 1, weightGrad, weightOffset(g), colRows);
        }
    }

    private void im2col(Buffer image, int imageOffset, Buffer col, Device device) {
        int[] table = window.table();
        if (device == null) {
            arith.gather(image, imageOffset, window.imageSize, table, 0, ci, col, 0);
        } else {
            device.parallelFor(ci, table.length, (c0, c1) ->
                    arith.gather(image, imageOffset, window.imageSize, table, c0, c1, col, 0));
        }
    }
}
