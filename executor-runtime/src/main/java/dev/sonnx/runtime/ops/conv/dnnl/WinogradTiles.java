package dev.sonnx.runtime.ops.conv.dnnl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The tile transforms of Winograd's F(4 x 4, 3 x 3) and F(2 x 2, 3 x 3) on channels-last images, 16
 * channels to a vector (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016):
 * an input tile d of 6 x 6 (4 x 4) pixels becomes B^T d B, and a tile m of 36 (16) products becomes
 * the 4 x 4 (2 x 2) outputs A^T m A, with the bias, the residual and the activation applied on the
 * way out. Each 2-D transform is two passes of the 1-D one (columns, then rows) through a small array
 * in the L1 cache: vectors kept in arrays would be boxed.
 *
 * <p>Only {@link WinogradConvolution} touches this class, and only where the incubating vector module
 * is present ({@code --add-modules jdk.incubator.vector}).
 */
final class WinogradTiles {
    static final VectorSpecies<Float> LANES = FloatVector.SPECIES_512;
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    /** Each tile's 36 (or 16) transformed values of one channel vector, by point (6 x 6 or 4 x 4) and lane. */
    private static final int STAGE = 36 * 16;
    /**
     * Each thread's staging arrays, kept: a run would otherwise allocate a few kilobytes per block,
     * and over the thousands of runs of a warm-up that is enough heap to make the collector grow it.
     */
    private static final ThreadLocal<float[]> STAGES = ThreadLocal.withInitial(() -> new float[STAGE]);
    private static final ThreadLocal<float[]> ROWS = ThreadLocal.withInitial(() -> new float[4 * 16]);

    private WinogradTiles() {
    }

    /**
     * The most warm-up rounds before it stops waiting for C2, and the pause after a round that still
     * allocated: short for the first {@link #COUNTING_ROUNDS}, whose calls count towards C2's
     * thresholds, then longer, while C2 compiles (each round allocates about a megabyte until then:
     * 20-25 MB of warm-up garbage with short pauses throughout, 13-15 MB so).
     */
    private static final int MAX_ROUNDS = 3000;
    /** The longest a warm-up waits for C2 (a JVM without C2 never gets there). */
    private static final long MAX_WARM_UP_NANOS = 5_000_000_000L;
    private static final int COUNTING_ROUNDS = 8;
    private static final long PAUSE_NANOS = 10_000_000;
    private static final long COMPILE_PAUSE_NANOS = 40_000_000;
    private static final long QUIET_BYTES = 4 * 1024;

    /**
     * Runs both transforms of both tilings on a small image (10 x 10, 32 channels, padded by 1: tiles
     * with every kind of edge, two channel vectors; with and without a residual) until C2 has compiled them,
     * which shows as a round that allocates nothing (this thread's allocation counter; a fixed 400 rounds where the
     * JVM has none). Until then every vector operation allocates its result on the heap: left to a
     * model's first runs, that is hundreds of megabytes of garbage (resnet18 at batch 8), for which
     * the collector grows the heap. Each round that still allocated is followed by a pause, in which
     * the compiler thread works and no garbage is made; at most {@link #MAX_WARM_UP_NANOS} in all.
     */
    static void warmUp() {
        java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
        com.sun.management.ThreadMXBean counter = bean instanceof com.sun.management.ThreadMXBean b
                && b.isThreadAllocatedMemorySupported() && b.isThreadAllocatedMemoryEnabled() ? b : null;
        // loads the read-only direct buffer class now: its loading later (any asReadOnlyBuffer) would
        // break the compiled code's assumption that DirectByteBuffer has no subclass, and send the
        // transforms back to the allocating tiers
        ByteBuffer.allocateDirect(16).asReadOnlyBuffer();
        int c = 32;
        int[] shape = {1, c, 10, 10};
        WinogradConvolution.Geometry g = new WinogradConvolution.Geometry(shape, shape, new int[] {1, 1},
                WinogradConvolution.Tiling.F4);
        WinogradConvolution.Geometry g2 = new WinogradConvolution.Geometry(shape, shape, new int[] {1, 1},
                WinogradConvolution.Tiling.F2);
        ByteBuffer image = ByteBuffer.allocateDirect(10 * 10 * c * 4).order(ORDER);
        ByteBuffer points = ByteBuffer.allocateDirect(Math.max(36 * g.tiles, 16 * g2.tiles) * c * 4).order(ORDER);
        ByteBuffer out = ByteBuffer.allocateDirect(10 * 10 * c * 4).order(ORDER);
        ByteBuffer bias = ByteBuffer.allocateDirect(c * 4).order(ORDER);
        Epilogue plain = new Epilogue(bias, null, 1f, 0f, Float.POSITIVE_INFINITY);
        Epilogue residual = new Epilogue(bias, image, 0.1f, Float.NEGATIVE_INFINITY, 6f);
        int rounds = counter == null ? 400 : MAX_ROUNDS;
        long start = System.nanoTime();
        for (int round = 0; round < rounds && System.nanoTime() - start < MAX_WARM_UP_NANOS; round++) {
            long before = counter == null ? 0 : counter.getCurrentThreadAllocatedBytes();
            input(g, image, 0, g.tiles, points, g.tiles);
            output(g, points, g.tiles, 0, c, 0, g.tiles, out, (round & 1) == 0 ? plain : residual);
            input(g2, image, 0, g2.tiles, points, g2.tiles);
            output(g2, points, g2.tiles, 0, c, 0, g2.tiles, out, (round & 1) == 0 ? residual : plain);
            if (counter != null) {
                // compiled, a round allocates nothing; before, each vector operation allocates
                // (about a megabyte a round, interpreted or from C1)
                if (counter.getCurrentThreadAllocatedBytes() - before < QUIET_BYTES) {
                    return;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(round < COUNTING_ROUNDS ? PAUSE_NANOS
                        : COMPILE_PAUSE_NANOS);
            }
        }
    }

    /** Whether the vector unit has the 16 float lanes the transforms are written for. */
    static boolean lanesAvailable() {
        return FloatVector.SPECIES_PREFERRED.length() >= 16;
    }

    /**
     * Writes B^T d B of tiles [t0, t1) into {@code v}: point p of the tile at row t - t0, channel c at
     * float index (p * rows + t - t0) * C + c. Pixels outside the image (the padding) are zeros.
     */
    static void input(WinogradConvolution.Geometry g, ByteBuffer x, int t0, int t1, ByteBuffer v, int rows) {
        float[] stage = STAGES.get();
        int c = g.inChannels;
        int pointBytes = rows * c * 4;
        int rowBytes = g.width * c * 4;
        int m = g.tiling.outputs;
        for (int t = t0; t < t1; t++) {
            int image = t / g.tilesPerImage;
            int r = t % g.tilesPerImage;
            int y0 = r / g.tileColumns * m - g.padTop;
            int x0 = r % g.tileColumns * m - g.padLeft;
            int rowMask = insideMask(y0, g.height, g.tiling.side);
            int columnMask = insideMask(x0, g.width, g.tiling.side);
            int pixel = ((image * g.height + y0) * g.width + x0) * c * 4;
            for (int cv = 0; cv < c; cv += 16) {
                inputTile(x, pixel + cv * 4, rowBytes, c * 4, rowMask, columnMask, stage, v,
                        (t - t0) * c * 4 + cv * 4, pointBytes, g.tiling.side);
            }
        }
    }

    /** Bit i set where {@code start + i} (i < side) lies in [0, size). */
    private static int insideMask(int start, int size, int side) {
        int mask = 0;
        for (int i = 0; i < side; i++) {
            if (start + i >= 0 && start + i < size) {
                mask |= 1 << i;
            }
        }
        return mask;
    }

    /**
     * One tile's 16 channels: the {@code side} x {@code side} pixels (6 for F(4, 3), 4 for F(2, 3))
     * from byte {@code at} of X (rows {@code rowBytes} apart, columns {@code pixelBytes}; those outside
     * the masks read as zeros) to its points at byte {@code out} of V, {@code pointBytes} apart: the
     * column transform of each column, then the row transform of each row, through {@code stage}
     * (rows of {@code side} vectors).
     *
     * <p>Each pass is a method of its own, and every vector lives inside it: once C2 has compiled a
     * pass, it allocates nothing, whoever calls it. Small passes called six times a tile reach C2's
     * invocation threshold six times sooner than the whole tile would; until they do, every vector
     * operation allocates (about a megabyte of garbage per warm-up round, which the young generation
     * then keeps resident).
     */
    private static void inputTile(ByteBuffer x, int at, int rowBytes, int pixelBytes, int rowMask, int columnMask,
                                  float[] stage, ByteBuffer v, int out, int pointBytes, int side) {
        boolean f2 = side == 4;
        for (int j = 0; j < side; j++) {
            int inside = (columnMask >> j & 1) != 0 ? rowMask : 0;
            if (f2) {
                inputColumn2(x, at + j * pixelBytes, rowBytes, inside, stage, j * 16);
            } else {
                inputColumn(x, at + j * pixelBytes, rowBytes, inside, stage, j * 16);
            }
        }
        for (int i = 0; i < side; i++) {
            if (f2) {
                inputRow2(stage, i * 64, v, out + i * 4 * pointBytes, pointBytes);
            } else {
                inputRow(stage, i * 96, v, out + i * 6 * pointBytes, pointBytes);
            }
        }
    }

    /**
     * B^T down one column of six pixels from byte {@code p} of X, rows {@code rowBytes} apart (pixel i
     * read where bit i of {@code inside} is set, else zero): row i of the result to stage[96 i + st].
     */
    private static void inputColumn(ByteBuffer x, int p, int rowBytes, int inside, float[] stage, int st) {
        FloatVector zero = FloatVector.zero(LANES);
        FloatVector d0 = (inside & 1) != 0 ? FloatVector.fromByteBuffer(LANES, x, p, ORDER) : zero;
        FloatVector d1 = (inside & 2) != 0 ? FloatVector.fromByteBuffer(LANES, x, p + rowBytes, ORDER) : zero;
        FloatVector d2 = (inside & 4) != 0 ? FloatVector.fromByteBuffer(LANES, x, p + 2 * rowBytes, ORDER) : zero;
        FloatVector d3 = (inside & 8) != 0 ? FloatVector.fromByteBuffer(LANES, x, p + 3 * rowBytes, ORDER) : zero;
        FloatVector d4 = (inside & 16) != 0 ? FloatVector.fromByteBuffer(LANES, x, p + 4 * rowBytes, ORDER) : zero;
        FloatVector d5 = (inside & 32) != 0 ? FloatVector.fromByteBuffer(LANES, x, p + 5 * rowBytes, ORDER) : zero;
        FloatVector s1 = d4.sub(d2.mul(4f));
        FloatVector s2 = d3.sub(d1.mul(4f));
        FloatVector s3 = d4.sub(d2);
        FloatVector s4 = d3.sub(d1).mul(2f);
        d0.mul(4f).sub(d2.mul(5f)).add(d4).intoArray(stage, st);
        s1.add(s2).intoArray(stage, st + 96);
        s1.sub(s2).intoArray(stage, st + 192);
        s3.add(s4).intoArray(stage, st + 288);
        s3.sub(s4).intoArray(stage, st + 384);
        d1.mul(4f).sub(d3.mul(5f)).add(d5).intoArray(stage, st + 480);
    }

    /** B^T along one staged row (six vectors from stage[s]): the six points to byte {@code o} of V, {@code pointBytes} apart. */
    private static void inputRow(float[] stage, int s, ByteBuffer v, int o, int pointBytes) {
        FloatVector d0 = FloatVector.fromArray(LANES, stage, s);
        FloatVector d1 = FloatVector.fromArray(LANES, stage, s + 16);
        FloatVector d2 = FloatVector.fromArray(LANES, stage, s + 32);
        FloatVector d3 = FloatVector.fromArray(LANES, stage, s + 48);
        FloatVector d4 = FloatVector.fromArray(LANES, stage, s + 64);
        FloatVector d5 = FloatVector.fromArray(LANES, stage, s + 80);
        FloatVector s1 = d4.sub(d2.mul(4f));
        FloatVector s2 = d3.sub(d1.mul(4f));
        FloatVector s3 = d4.sub(d2);
        FloatVector s4 = d3.sub(d1).mul(2f);
        d0.mul(4f).sub(d2.mul(5f)).add(d4).intoByteBuffer(v, o, ORDER);
        s1.add(s2).intoByteBuffer(v, o + pointBytes, ORDER);
        s1.sub(s2).intoByteBuffer(v, o + 2 * pointBytes, ORDER);
        s3.add(s4).intoByteBuffer(v, o + 3 * pointBytes, ORDER);
        s3.sub(s4).intoByteBuffer(v, o + 4 * pointBytes, ORDER);
        d1.mul(4f).sub(d3.mul(5f)).add(d5).intoByteBuffer(v, o + 5 * pointBytes, ORDER);
    }

    /**
     * F(2, 3)'s B^T down one column of four pixels from byte {@code p} of X, rows {@code rowBytes}
     * apart (pixel i read where bit i of {@code inside} is set, else zero): row i of the result to
     * stage[64 i + st].
     */
    private static void inputColumn2(ByteBuffer x, int p, int rowBytes, int inside, float[] stage, int st) {
        FloatVector zero = FloatVector.zero(LANES);
        FloatVector d0 = (inside & 1) != 0 ? FloatVector.fromByteBuffer(LANES, x, p, ORDER) : zero;
        FloatVector d1 = (inside & 2) != 0 ? FloatVector.fromByteBuffer(LANES, x, p + rowBytes, ORDER) : zero;
        FloatVector d2 = (inside & 4) != 0 ? FloatVector.fromByteBuffer(LANES, x, p + 2 * rowBytes, ORDER) : zero;
        FloatVector d3 = (inside & 8) != 0 ? FloatVector.fromByteBuffer(LANES, x, p + 3 * rowBytes, ORDER) : zero;
        d0.sub(d2).intoArray(stage, st);
        d1.add(d2).intoArray(stage, st + 64);
        d2.sub(d1).intoArray(stage, st + 128);
        d1.sub(d3).intoArray(stage, st + 192);
    }

    /** F(2, 3)'s B^T along one staged row (four vectors from stage[s]): the four points to byte {@code o} of V. */
    private static void inputRow2(float[] stage, int s, ByteBuffer v, int o, int pointBytes) {
        FloatVector d0 = FloatVector.fromArray(LANES, stage, s);
        FloatVector d1 = FloatVector.fromArray(LANES, stage, s + 16);
        FloatVector d2 = FloatVector.fromArray(LANES, stage, s + 32);
        FloatVector d3 = FloatVector.fromArray(LANES, stage, s + 48);
        d0.sub(d2).intoByteBuffer(v, o, ORDER);
        d1.add(d2).intoByteBuffer(v, o + pointBytes, ORDER);
        d2.sub(d1).intoByteBuffer(v, o + 2 * pointBytes, ORDER);
        d1.sub(d3).intoByteBuffer(v, o + 3 * pointBytes, ORDER);
    }

    /**
     * The epilogue of the output transform: y = min(max(max(s, 0) + slope * min(s, 0), low), high)
     * where s = v + Z: ReLU is low 0; LeakyRelu its slope; Clip its bounds; none leaves every bound
     * infinite (the slope is 1 but for LeakyRelu). {@code bias}: K floats (zeros for none);
     * {@code residual}: Z, of Y's shape and layout, or null.
     */
    record Epilogue(ByteBuffer bias, ByteBuffer residual, float slope, float low, float high) {
    }

    /**
     * Writes A^T m A of tiles [t0, t1) into Y's channels [k0, k0 + kp), from {@code m}: point p of the
     * tile at row t - t0, channel k0 + q at float index (p * rows + t - t0) * kp + q. Outputs past
     * the image's edge are dropped.
     */
    static void output(WinogradConvolution.Geometry g, ByteBuffer m, int rows, int k0, int kp, int t0, int t1,
                       ByteBuffer y, Epilogue e) {
        float[] stage = STAGES.get();
        float[] row = ROWS.get();
        int k = g.outChannels;
        int pointBytes = rows * kp * 4;
        int outputs = g.tiling.outputs;
        for (int t = t0; t < t1; t++) {
            int image = t / g.tilesPerImage;
            int r = t % g.tilesPerImage;
            int y0 = r / g.tileColumns * outputs;
            int x0 = r % g.tileColumns * outputs;
            int outRows = Math.min(outputs, g.outHeight - y0);
            int outColumns = Math.min(outputs, g.outWidth - x0);
            int pixel = ((image * g.outHeight + y0) * g.outWidth + x0) * k * 4;
            for (int kv = 0; kv < kp; kv += 16) {
                outputTile(m, (t - t0) * kp * 4 + kv * 4, pointBytes, stage, row, y, pixel + (k0 + kv) * 4,
                        g.outWidth * k * 4, k * 4, outRows, outColumns, (k0 + kv) * 4, e, g.tiling.side);
            }
        }
    }

    /**
     * One tile's 16 channels: the products (36, or 16 where {@code side} is 4: F(2, 3)) from byte
     * {@code at} of M ({@code pointBytes} apart) to the {@code outRows} x {@code outColumns} outputs at
     * byte {@code out} of Y (rows {@code rowBytes} apart, columns {@code pixelBytes}), with the bias at
     * byte {@code biasAt} and the epilogue. As in
     * {@link #inputTile}, each pass is a method of its own with every vector inside it; none is
     * assigned on two paths, nor is a mask (this JDK's C2 boxes those on the heap).
     */
    private static void outputTile(ByteBuffer m, int at, int pointBytes, float[] stage, float[] row, ByteBuffer y,
                                   int out, int rowBytes, int pixelBytes, int outRows, int outColumns, int biasAt,
                                   Epilogue e, int side) {
        boolean f2 = side == 4;
        for (int j = 0; j < side; j++) {
            if (f2) {
                outputColumn2(m, at + j * pointBytes, 4 * pointBytes, stage, j * 16);
            } else {
                outputColumn(m, at + j * pointBytes, 6 * pointBytes, stage, j * 16);
            }
        }
        for (int i = 0; i < outRows; i++) {
            if (f2) {
                outputRow2(stage, i * 64, row, e, biasAt, y, out + i * rowBytes, pixelBytes, outColumns);
            } else {
                outputRow(stage, i * 96, row, e, biasAt, y, out + i * rowBytes, pixelBytes, outColumns);
            }
        }
    }

    /** A^T down one column of six products from byte {@code p} of M, {@code step} apart: row i to stage[96 i + st]. */
    private static void outputColumn(ByteBuffer m, int p, int step, float[] stage, int st) {
        FloatVector m0 = FloatVector.fromByteBuffer(LANES, m, p, ORDER);
        FloatVector m1 = FloatVector.fromByteBuffer(LANES, m, p + step, ORDER);
        FloatVector m2 = FloatVector.fromByteBuffer(LANES, m, p + 2 * step, ORDER);
        FloatVector m3 = FloatVector.fromByteBuffer(LANES, m, p + 3 * step, ORDER);
        FloatVector m4 = FloatVector.fromByteBuffer(LANES, m, p + 4 * step, ORDER);
        FloatVector m5 = FloatVector.fromByteBuffer(LANES, m, p + 5 * step, ORDER);
        FloatVector a = m1.add(m2);
        FloatVector b = m1.sub(m2);
        FloatVector c = m3.add(m4);
        FloatVector d = m3.sub(m4);
        m0.add(a).add(c).intoArray(stage, st);
        b.add(d.mul(2f)).intoArray(stage, st + 96);
        a.add(c.mul(4f)).intoArray(stage, st + 192);
        b.add(d.mul(8f)).add(m5).intoArray(stage, st + 288);
    }

    /**
     * A^T along one staged row (six vectors from stage[s]) plus the bias: the row's first
     * {@code outColumns} outputs (those past the image's right edge are dropped), with the residual and
     * the activation, to byte {@code o} of Y, {@code pixelBytes} apart.
     */
    private static void outputRow(float[] stage, int s, float[] row, Epilogue e, int biasAt, ByteBuffer y, int o,
                                  int pixelBytes, int outColumns) {
        FloatVector bias = FloatVector.fromByteBuffer(LANES, e.bias, biasAt, ORDER);
        FloatVector m0 = FloatVector.fromArray(LANES, stage, s);
        FloatVector m1 = FloatVector.fromArray(LANES, stage, s + 16);
        FloatVector m2 = FloatVector.fromArray(LANES, stage, s + 32);
        FloatVector m3 = FloatVector.fromArray(LANES, stage, s + 48);
        FloatVector m4 = FloatVector.fromArray(LANES, stage, s + 64);
        FloatVector m5 = FloatVector.fromArray(LANES, stage, s + 80);
        FloatVector a = m1.add(m2);
        FloatVector b = m1.sub(m2);
        FloatVector c = m3.add(m4);
        FloatVector d = m3.sub(m4);
        m0.add(a).add(c).add(bias).intoArray(row, 0);
        b.add(d.mul(2f)).add(bias).intoArray(row, 16);
        a.add(c.mul(4f)).add(bias).intoArray(row, 32);
        b.add(d.mul(8f)).add(m5).add(bias).intoArray(row, 48);
        store(row, e, y, o, pixelBytes, outColumns);
    }

    /**
     * The first {@code outColumns} outputs staged in {@code row} (16 lanes each), with the residual
     * and the activation, to byte {@code o} of Y, {@code pixelBytes} apart.
     */
    private static void store(float[] row, Epilogue e, ByteBuffer y, int o, int pixelBytes, int outColumns) {
        for (int col = 0; col < outColumns; col++, o += pixelBytes) {
            if (e.residual != null) {
                FloatVector v = FloatVector.fromArray(LANES, row, col * 16);
                v.add(FloatVector.fromByteBuffer(LANES, e.residual, o, ORDER)).intoArray(row, col * 16);
            }
            // the activation as arithmetic; NaN stays NaN (Math.max/min semantics), as in ONNX
            FloatVector u = FloatVector.fromArray(LANES, row, col * 16);
            u.max(0f).add(u.min(0f).mul(e.slope)).max(e.low).min(e.high).intoByteBuffer(y, o, ORDER);
        }
    }

    /** F(2, 3)'s A^T down one column of four products from byte {@code p} of M, {@code step} apart: row i to stage[64 i + st]. */
    private static void outputColumn2(ByteBuffer m, int p, int step, float[] stage, int st) {
        FloatVector m0 = FloatVector.fromByteBuffer(LANES, m, p, ORDER);
        FloatVector m1 = FloatVector.fromByteBuffer(LANES, m, p + step, ORDER);
        FloatVector m2 = FloatVector.fromByteBuffer(LANES, m, p + 2 * step, ORDER);
        FloatVector m3 = FloatVector.fromByteBuffer(LANES, m, p + 3 * step, ORDER);
        m0.add(m1).add(m2).intoArray(stage, st);
        m1.sub(m2).sub(m3).intoArray(stage, st + 64);
    }

    /** F(2, 3)'s A^T along one staged row (four vectors from stage[s]) plus the bias, then {@link #store}. */
    private static void outputRow2(float[] stage, int s, float[] row, Epilogue e, int biasAt, ByteBuffer y, int o,
                                   int pixelBytes, int outColumns) {
        FloatVector bias = FloatVector.fromByteBuffer(LANES, e.bias, biasAt, ORDER);
        FloatVector m0 = FloatVector.fromArray(LANES, stage, s);
        FloatVector m1 = FloatVector.fromArray(LANES, stage, s + 16);
        FloatVector m2 = FloatVector.fromArray(LANES, stage, s + 32);
        FloatVector m3 = FloatVector.fromArray(LANES, stage, s + 48);
        m0.add(m1).add(m2).add(bias).intoArray(row, 0);
        m1.sub(m2).sub(m3).add(bias).intoArray(row, 16);
        store(row, e, y, o, pixelBytes, outColumns);
    }
}
