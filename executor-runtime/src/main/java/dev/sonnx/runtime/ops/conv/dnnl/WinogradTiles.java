package dev.sonnx.runtime.ops.conv.dnnl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The tile transforms of Winograd's F(4 x 4, 3 x 3) on channels-last images, 16 channels to a vector
 * (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): an input tile d of
 * 6 x 6 pixels becomes B^T d B, and a tile m of 36 products becomes the 4 x 4 outputs A^T m A, with
 * the bias, the residual and the activation applied on the way out. Each 2-D transform is two passes
 * of the 1-D one (columns, then rows) through a small array in the L1 cache: vectors kept in arrays
 * would be boxed.
 *
 * <p>Only {@link WinogradConvolution} touches this class, and only where the incubating vector module
 * is present ({@code --add-modules jdk.incubator.vector}).
 */
final class WinogradTiles {
    static final VectorSpecies<Float> LANES = FloatVector.SPECIES_512;
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    /** Each tile's 36 transformed values of one channel vector, by point (6 x 6) and lane. */
    private static final int STAGE = 36 * 16;

    private WinogradTiles() {
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
        float[] stage = new float[STAGE];
        int c = g.inChannels;
        int pointBytes = rows * c * 4;
        int rowBytes = g.width * c * 4;
        for (int t = t0; t < t1; t++) {
            int image = t / g.tilesPerImage;
            int r = t % g.tilesPerImage;
            int y0 = r / g.tileColumns * 4 - g.padTop;
            int x0 = r % g.tileColumns * 4 - g.padLeft;
            int tileBytes = (t - t0) * c * 4;
            for (int cv = 0; cv < c; cv += 16) {
                for (int j = 0; j < 6; j++) {
                    FloatVector zero = FloatVector.zero(LANES);
                    int xx = x0 + j;
                    boolean column = xx >= 0 && xx < g.width;
                    int at = ((image * g.height + y0) * g.width + xx) * c * 4 + cv * 4;
                    FloatVector d0 = column && inside(y0, g.height) ? FloatVector.fromByteBuffer(LANES, x, at, ORDER) : zero;
                    FloatVector d1 = column && inside(y0 + 1, g.height) ? FloatVector.fromByteBuffer(LANES, x, at + rowBytes, ORDER) : zero;
                    FloatVector d2 = column && inside(y0 + 2, g.height) ? FloatVector.fromByteBuffer(LANES, x, at + 2 * rowBytes, ORDER) : zero;
                    FloatVector d3 = column && inside(y0 + 3, g.height) ? FloatVector.fromByteBuffer(LANES, x, at + 3 * rowBytes, ORDER) : zero;
                    FloatVector d4 = column && inside(y0 + 4, g.height) ? FloatVector.fromByteBuffer(LANES, x, at + 4 * rowBytes, ORDER) : zero;
                    FloatVector d5 = column && inside(y0 + 5, g.height) ? FloatVector.fromByteBuffer(LANES, x, at + 5 * rowBytes, ORDER) : zero;
                    // the column transform (B^T down the six pixels), row i of it to stage[96 i + 16 j]
                    FloatVector s1 = d4.sub(d2.mul(4f));
                    FloatVector s2 = d3.sub(d1.mul(4f));
                    FloatVector s3 = d4.sub(d2);
                    FloatVector s4 = d3.sub(d1).mul(2f);
                    int st = j * 16;
                    d0.mul(4f).sub(d2.mul(5f)).add(d4).intoArray(stage, st);
                    s1.add(s2).intoArray(stage, st + 96);
                    s1.sub(s2).intoArray(stage, st + 192);
                    s3.add(s4).intoArray(stage, st + 288);
                    s3.sub(s4).intoArray(stage, st + 384);
                    d1.mul(4f).sub(d3.mul(5f)).add(d5).intoArray(stage, st + 480);
                }
                for (int i = 0; i < 6; i++) {
                    int s = i * 96;
                    FloatVector d0 = FloatVector.fromArray(LANES, stage, s);
                    FloatVector d1 = FloatVector.fromArray(LANES, stage, s + 16);
                    FloatVector d2 = FloatVector.fromArray(LANES, stage, s + 32);
                    FloatVector d3 = FloatVector.fromArray(LANES, stage, s + 48);
                    FloatVector d4 = FloatVector.fromArray(LANES, stage, s + 64);
                    FloatVector d5 = FloatVector.fromArray(LANES, stage, s + 80);
                    int at = tileBytes + cv * 4 + i * 6 * pointBytes;
                    // the row transform: B^T's six rows applied along the tile's row
                    FloatVector s1 = d4.sub(d2.mul(4f));
                    FloatVector s2 = d3.sub(d1.mul(4f));
                    FloatVector s3 = d4.sub(d2);
                    FloatVector s4 = d3.sub(d1).mul(2f);
                    d0.mul(4f).sub(d2.mul(5f)).add(d4).intoByteBuffer(v, at, ORDER);
                    s1.add(s2).intoByteBuffer(v, at + pointBytes, ORDER);
                    s1.sub(s2).intoByteBuffer(v, at + 2 * pointBytes, ORDER);
                    s3.add(s4).intoByteBuffer(v, at + 3 * pointBytes, ORDER);
                    s3.sub(s4).intoByteBuffer(v, at + 4 * pointBytes, ORDER);
                    d1.mul(4f).sub(d3.mul(5f)).add(d5).intoByteBuffer(v, at + 5 * pointBytes, ORDER);
                }
            }
        }
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
        float[] stage = new float[STAGE];
        float[] row = new float[4 * 16];
        int k = g.outChannels;
        int pointBytes = rows * kp * 4;
        int pixelBytes = k * 4;
        for (int t = t0; t < t1; t++) {
            int image = t / g.tilesPerImage;
            int r = t % g.tilesPerImage;
            int y0 = r / g.tileColumns * 4;
            int x0 = r % g.tileColumns * 4;
            int columns = Math.min(4, g.outWidth - x0);
            int tileBytes = (t - t0) * kp * 4;
            for (int kv = 0; kv < kp; kv += 16) {
                int at = tileBytes + kv * 4;
                for (int j = 0; j < 6; j++) {
                    FloatVector m0 = FloatVector.fromByteBuffer(LANES, m, at + j * pointBytes, ORDER);
                    FloatVector m1 = FloatVector.fromByteBuffer(LANES, m, at + (6 + j) * pointBytes, ORDER);
                    FloatVector m2 = FloatVector.fromByteBuffer(LANES, m, at + (12 + j) * pointBytes, ORDER);
                    FloatVector m3 = FloatVector.fromByteBuffer(LANES, m, at + (18 + j) * pointBytes, ORDER);
                    FloatVector m4 = FloatVector.fromByteBuffer(LANES, m, at + (24 + j) * pointBytes, ORDER);
                    FloatVector m5 = FloatVector.fromByteBuffer(LANES, m, at + (30 + j) * pointBytes, ORDER);
                    // the column transform (A^T down the six products), row i of it to stage[96 i + 16 j]
                    FloatVector a = m1.add(m2);
                    FloatVector b = m1.sub(m2);
                    FloatVector c = m3.add(m4);
                    FloatVector d = m3.sub(m4);
                    int st = j * 16;
                    m0.add(a).add(c).intoArray(stage, st);
                    b.add(d.mul(2f)).intoArray(stage, st + 96);
                    a.add(c.mul(4f)).intoArray(stage, st + 192);
                    b.add(d.mul(8f)).add(m5).intoArray(stage, st + 288);
                }
                for (int i = 0; i < 4 && y0 + i < g.outHeight; i++) {
                    // loaded here rather than once outside the loop: a vector live across a loop's
                    // safepoint is boxed on the heap by this JDK's C2
                    FloatVector bias = FloatVector.fromByteBuffer(LANES, e.bias, (k0 + kv) * 4, ORDER);
                    int s = i * 96;
                    FloatVector m0 = FloatVector.fromArray(LANES, stage, s);
                    FloatVector m1 = FloatVector.fromArray(LANES, stage, s + 16);
                    FloatVector m2 = FloatVector.fromArray(LANES, stage, s + 32);
                    FloatVector m3 = FloatVector.fromArray(LANES, stage, s + 48);
                    FloatVector m4 = FloatVector.fromArray(LANES, stage, s + 64);
                    FloatVector m5 = FloatVector.fromArray(LANES, stage, s + 80);
                    // the row transform: the tile row's four outputs, plus the bias
                    FloatVector a = m1.add(m2);
                    FloatVector b = m1.sub(m2);
                    FloatVector c = m3.add(m4);
                    FloatVector d = m3.sub(m4);
                    m0.add(a).add(c).add(bias).intoArray(row, 0);
                    b.add(d.mul(2f)).add(bias).intoArray(row, 16);
                    a.add(c.mul(4f)).add(bias).intoArray(row, 32);
                    b.add(d.mul(8f)).add(m5).add(bias).intoArray(row, 48);
                    int out = (((image * g.outHeight + y0 + i) * g.outWidth + x0) * k + k0 + kv) * 4;
                    // outputs past the image's right edge are dropped; no vector is assigned on two
                    // paths (C2 would box it)
                    for (int col = 0; col < columns; col++, out += pixelBytes) {
                        FloatVector v = FloatVector.fromArray(LANES, row, col * 16);
                        if (e.residual != null) {
                            v.add(FloatVector.fromByteBuffer(LANES, e.residual, out, ORDER)).intoArray(row, col * 16);
                        }
                        // the activation, without branches or masks (this JDK's C2 boxes AVX-512 masks);
                        // NaN stays NaN (Math.max/min semantics), as in ONNX
                        FloatVector u = FloatVector.fromArray(LANES, row, col * 16);
                        u.max(0f).add(u.min(0f).mul(e.slope)).max(e.low).min(e.high).intoByteBuffer(y, out, ORDER);
                    }
                }
            }
        }
    }

    private static boolean inside(int i, int size) {
        return i >= 0 && i < size;
    }
}
