package dev.sonnx.runtime.ops.conv.dnnl;

import dev.sonnx.runtime.tensor.Arena;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.PoolBlocks;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.Pointer;

/**
 * A 3 x 3 convolution of stride 1 on channels-last float32 images by Winograd's F(4 x 4, 3 x 3): each
 * 4 x 4 block of outputs costs 36 multiply-adds per input and output channel instead of 144. The
 * input is cut into 6 x 6 tiles ({@link WinogradTiles#input}), the 36 points of the tiles multiply
 * the transformed weights U = G g G^T as 36 matrix products [tiles, C] x [C, K] (oneDNN's batched
 * matmul on the calling thread), and the products go back to 4 x 4 outputs with the epilogue.
 *
 * <p>oneDNN 3.11 has no Winograd convolution on x86, and its direct kernels already run at the cores'
 * peak: fewer multiply-adds are the only way past them. The work is split into blocks of tiles,
 * each transformed, multiplied and transformed back by one thread while its points stay in that
 * core's cache. U is four times the weights' size and is kept beside them.
 *
 * <p>Accuracy: the transforms' constants (up to 8 in A, 5 in B, 1/24 in G) cost a few bits of float32
 * precision, about 1e-5 of the output's scale against 1e-7 for the direct kernel, the trade every
 * engine that uses F(4, 3) makes. U is computed in double. {@code -Dsonnx.winograd=false} turns it
 * off; it is used for inference only (constant weights).
 */
public final class WinogradConvolution {
    private static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("sonnx.winograd", "true"));
    /**
     * Fewest tiles worth it: a small image has too few rows to keep both cores busy on the products,
     * and U's larger size then dominates (resnet18's 7 x 7 layers at batch 1: 4 tiles, 1.4 times the
     * direct kernel's time; its 14 x 14 layers: 16 tiles, about level).
     */
    private static final int MIN_TILES = Integer.getInteger("sonnx.winograd.minTiles", 32);
    /**
     * Fewest channels in and out: the transforms' cost grows with C + K and the products' with
     * C x K, so narrow layers gain little (with tinyyolov2's 16- and 32-channel layers taken too, its
     * batch-1 run stayed level with ONNX Runtime's).
     */
    private static final int MIN_CHANNELS = Integer.getInteger("sonnx.winograd.minChannels", 64);
    /**
     * Fewest multiply-adds of the direct convolution a call: smaller layers split into blocks too
     * small to keep both cores on efficient products. resnet18's layers take 116M at batch 1 (its
     * 56 x 56 and 28 x 28 ones qualify: 0.97-0.98 of ONNX Runtime's run, against about 1.02 without).
     */
    private static final long MIN_WORK = Long.getLong("sonnx.winograd.minWork", 1L << 26);
    /** Most tiles a block: 36 points of 64 tiles of 64 channels are 590 KB, within a core's L2 cache. */
    private static final int BLOCK_TILES = 64;
    /** Fewest tiles a block where U stays in the caches: fewer rows make inefficient products. */
    private static final int MIN_ROWS = 32;
    /**
     * U bytes from which it streams from memory rather than staying in a core's 2 MB L2 cache:
     * resnet18's 256- and 512-channel layers (9.4 and 38 MB); its 64- and 128-channel ones stay.
     */
    private static final long LARGE_WEIGHTS = 4L << 20;
    /**
     * Fewest tiles where U streams from memory ({@link #LARGE_WEIGHTS}): each call reads all of U for
     * these tiles, and U is four times the weights. resnet18's 512-channel layers at batch 8 (32 tiles,
     * 38 MB of U each) took 6.3 ms against the direct kernel's 6.9: 1.5 ms a run for 113 MB of memory
     * (peak RSS 627 against 513 MB without). Its 256-channel layers at batch 8 (128 tiles, 9.4 MB)
     * take 3.5-4.4 ms against 5.4-5.5.
     */
    private static final int MIN_STREAMED_TILES = Integer.getInteger("sonnx.winograd.minStreamedTiles", 64);
    private static final boolean VECTORS = vectorsPresent();
    /** Convolutions run so far in this process (for tests and diagnostics). */
    private static final java.util.concurrent.atomic.LongAdder CALLS = new java.util.concurrent.atomic.LongAdder();

    private final Geometry geometry;
    /** Rows of each product (tiles a block), and the blocks. */
    private final int rows;
    private final int blocks;
    /** The output channels are split into this many parts of {@link #partChannels} when there are few blocks. */
    private final int parts;
    private final int partChannels;
    /** Each thread's working memory, lent by the run pool for one call: a block's transformed tiles and its products. */
    private final long tileBytes;
    private final long productBytes;
    private final DnnlPrimitive product;
    /** The activation as {@link WinogradTiles.Epilogue}'s slope and bounds. */
    private final float slope;
    private final float low;
    private final float high;
    /** Zeros for a convolution without a bias: the output transform always adds one. */
    private final ByteBuffer noBias;
    private final boolean residual;
    private final boolean bias;

    /** The image and tiling sizes the transforms need. */
    static final class Geometry {
        final int inChannels;
        final int outChannels;
        final int height;
        final int width;
        final int outHeight;
        final int outWidth;
        final int padTop;
        final int padLeft;
        final int tileColumns;
        final int tilesPerImage;
        final int tiles;

        Geometry(int[] xShape, int[] yShape, int[] padBegin) {
            inChannels = xShape[1];
            outChannels = yShape[1];
            height = xShape[2];
            width = xShape[3];
            outHeight = yShape[2];
            outWidth = yShape[3];
            padTop = padBegin[0];
            padLeft = padBegin[1];
            tileColumns = (outWidth + 3) / 4;
            tilesPerImage = (outHeight + 3) / 4 * tileColumns;
            tiles = xShape[0] * tilesPerImage;
        }
    }

    /** The tile kernels compiled before the first convolution exists ({@link WinogradTiles#warmUp}), once. */
    private static final class WarmedUp {
        static {
            WinogradTiles.warmUp();
        }

        static void ensure() {
        }
    }

    private WinogradConvolution(Geometry geometry, int rows, int parts, DnnlPrimitive product, PostOps postOps,
                                boolean bias) {
        WarmedUp.ensure();
        this.geometry = geometry;
        this.rows = rows;
        this.blocks = (geometry.tiles + rows - 1) / rows;
        this.parts = parts;
        this.partChannels = geometry.outChannels / parts;
        this.tileBytes = 36L * rows * geometry.inChannels * Float.BYTES;
        this.productBytes = 36L * rows * partChannels * Float.BYTES;
        this.product = product;
        this.residual = postOps.residual();
        this.bias = bias;
        float inf = Float.POSITIVE_INFINITY;
        boolean leaky = postOps.eltwise() == PostOps.Eltwise.RELU && postOps.alpha() != 0f;
        this.slope = leaky ? postOps.alpha() : 1f;
        this.low = switch (postOps.eltwise()) {
            case RELU -> leaky ? -inf : 0f;
            case CLIP -> postOps.alpha();
            default -> -inf;
        };
        this.high = postOps.eltwise() == PostOps.Eltwise.CLIP ? postOps.beta() : inf;
        this.noBias = bias ? null
                : ByteBuffer.allocateDirect(geometry.outChannels * Float.BYTES).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    }

    /** U's part pointers, for the U they were made for (a layer's U stays the same run after run). */
    private record UParts(Tensor u, Pointer[] pointers) {
    }

    private volatile UParts uParts;

    /** Pointers to U's columns of each part, read in place through the product's strides; made once per U. */
    private Pointer[] partsOf(Tensor u) {
        UParts known = uParts;
        if (known != null && known.u == u) {
            return known.pointers;
        }
        Pointer[] pointers = new Pointer[parts];
        ByteBuffer all = u.bytes();
        for (int p = 0; p < parts; p++) {
            int offset = p * partChannels * Float.BYTES;
            pointers[p] = new Pointer(all.slice(offset, all.capacity() - offset));
        }
        uParts = new UParts(u, pointers);
        return pointers;
    }

    /** How many convolutions this class ran in this process. */
    public static long calls() {
        return CALLS.sum();
    }

    /** Whether the vector module is loaded (the launchers add it) and the switch is on. */
    public static boolean available() {
        return ENABLED && VECTORS && Dnnl.available() && OpenMpTeam.available();
    }

    private static boolean vectorsPresent() {
        try {
            // the module first: without it, WinogradTiles cannot load
            return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() && WinogradTiles.lanesAvailable();
        } catch (Throwable t) {
            return false;
        }
    }

    /**
     * The convolution of channels-last X {@code xShape} (given as [N, C, H, W]) with 3 x 3 weights
     * {@code wShape} into {@code yShape}, then {@code postOps}; null where this algorithm does not
     * apply (another kernel size, stride, dilation or group; channel counts that are not multiples of
     * 16; an activation other than ReLU or Clip) or does not pay (too few tiles).
     */
    public static WinogradConvolution create(int[] xShape, int[] wShape, int[] yShape, int group, int[] strides,
                                             int[] dilations, int[] padBegin, int[] padEnd, PostOps postOps,
                                             boolean bias) {
        return create(xShape, wShape, yShape, group, strides, dilations, padBegin, padEnd, postOps, bias, true);
    }

    /** {@link #create}, where {@code whenPays} false skips the rules of size (for tests of small cases). */
    static WinogradConvolution create(int[] xShape, int[] wShape, int[] yShape, int group, int[] strides,
                                      int[] dilations, int[] padBegin, int[] padEnd, PostOps postOps,
                                      boolean bias, boolean whenPays) {
        if (!available() || xShape.length != 4 || group != 1 || wShape[2] != 3 || wShape[3] != 3
                || strides[0] != 1 || strides[1] != 1 || dilations[0] != 1 || dilations[1] != 1
                || xShape[1] % 16 != 0 || wShape[0] % 16 != 0 || wShape[1] != xShape[1]
                || padBegin[0] < 0 || padBegin[1] < 0 || padEnd[0] < 0 || padEnd[1] < 0
                || yShape[2] != xShape[2] + padBegin[0] + padEnd[0] - 2
                || yShape[3] != xShape[3] + padBegin[1] + padEnd[1] - 2
                || !supported(postOps)) {
            return null;
        }
        Geometry g = new Geometry(xShape, yShape, padBegin);
        long work = 9L * xShape[0] * g.inChannels * g.outChannels * g.outHeight * g.outWidth;
        if (whenPays && (g.tiles < MIN_TILES || g.inChannels < MIN_CHANNELS || g.outChannels < MIN_CHANNELS
                || work < MIN_WORK)) {
            return null;
        }
        int rows;
        int parts = 1;
        long uBytes = 36L * g.inChannels * g.outChannels * Float.BYTES;
        if (whenPays && uBytes > LARGE_WEIGHTS && g.tiles < MIN_STREAMED_TILES) {
            return null;
        }
        if (uBytes <= LARGE_WEIGHTS) {
            // U stays in the caches: blocks of tiles, about four of them, so that a late thread finds work
            rows = Math.min(g.tiles, Math.max(MIN_ROWS, Math.min(BLOCK_TILES, (g.tiles + 3) / 4)));
        } else {
            // U streams from memory once per block: the fewest blocks, and the threads share the
            // output channels (each reads its part of U) where there are fewer blocks than two
            rows = Math.min(BLOCK_TILES, g.tiles);
        }
        int blocks = (g.tiles + rows - 1) / rows;
        while (blocks * parts < 2 && g.outChannels % (32 * parts) == 0) {
            parts *= 2;
        }
        int c = g.inChannels;
        int k = g.outChannels;
        int kp = k / parts;
        DnnlPrimitive product;
        OpenMpTeam.enterSerial();
        try {
            // A = the tiles' points [36, rows, C]; B = U's columns of one part, read in place through
            // strides; the products [36, rows, kp]
            DnnlMatMul m = DnnlMatMul.createStrided(new int[] {36, rows, c},
                    new long[] {(long) rows * c, c, 1}, new int[] {36, c, kp}, new long[] {(long) c * k, k, 1},
                    new int[] {36, rows, kp}, null, false, PostOps.NONE);
            product = m == null ? null : m.primitive();
        } finally {
            OpenMpTeam.leaveSerial();
        }
        return product == null ? null : new WinogradConvolution(g, rows, parts, product, postOps, bias);
    }

    private static boolean supported(PostOps p) {
        return switch (p.eltwise()) {
            case NONE, RELU, CLIP -> true;
            default -> false;
        };
    }

    /**
     * U = G g G^T of plain OIHW weights {@code w} [K, C, 3, 3], as [36, C, K] (point, input channel,
     * output channel), computed in double; allocated outside any run, for the caller to keep while
     * the weights stay the same.
     */
    public static Tensor transformWeights(Tensor w) {
        int k = w.shape()[0];
        int c = w.shape()[1];
        FloatBuffer g = w.bytes().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        Tensor u = Arena.detached(() -> Tensor.uninitialized(DataType.FLOAT, 36, c, k));
        FloatBuffer out = u.bytes().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        // scratch for one kernel, allocated once: U has millions of 6 x 6 blocks (resnet18: 1M), and
        // arrays per block were 400 MB of garbage for which the collector grew the heap
        double[] kernel = new double[9];
        double[] half = new double[18];
        double[] point = new double[6];
        for (int ko = 0; ko < k; ko++) {
            for (int ci = 0; ci < c; ci++) {
                for (int i = 0; i < 9; i++) {
                    kernel[i] = g.get((ko * c + ci) * 9 + i);
                }
                // G g: 6 x 3, then (G g) G^T: 6 x 6
                for (int col = 0; col < 3; col++) {
                    transformG(kernel[col], kernel[3 + col], kernel[6 + col], half, col, 3);
                }
                for (int row = 0; row < 6; row++) {
                    transformG(half[row * 3], half[row * 3 + 1], half[row * 3 + 2], point, 0, 1);
                    for (int col = 0; col < 6; col++) {
                        out.put(((row * 6 + col) * c + ci) * k + ko, (float) point[col]);
                    }
                }
            }
        }
        return u;
    }

    /** G (6 x 3) times the vector (a, b, c), written to out[at + i * stride]. */
    private static void transformG(double a, double b, double c, double[] out, int at, int stride) {
        out[at] = a / 4;
        out[at + stride] = -(a + b + c) / 6;
        out[at + 2 * stride] = -(a - b + c) / 6;
        out[at + 3 * stride] = a / 24 + b / 12 + c / 6;
        out[at + 4 * stride] = a / 24 - b / 12 + c / 6;
        out[at + 5 * stride] = c;
    }

    /**
     * Y = act(conv(X, W) + B + Z) with X, Z and Y channels-last float32 of the planned shapes and
     * {@code u} from {@link #transformWeights}; B and Z as the plan said (null when absent).
     */
    public void forward(Tensor x, Tensor u, Tensor b, Tensor z, Tensor y, Device device) {
        if ((z != null) != residual || (b != null) != bias) {
            throw new IllegalArgumentException("the convolution was planned " + (residual ? "with" : "without")
                    + " a residual and " + (bias ? "with" : "without") + " a bias");
        }
        CALLS.increment();
        Geometry g = geometry;
        int kp = partChannels;
        ByteBuffer xb = x.bytes();
        ByteBuffer yb = y.bytes();
        Pointer[] uParts = partsOf(u);
        WinogradTiles.Epilogue epilogue = new WinogradTiles.Epilogue(b == null ? noBias : b.bytes(),
                z == null ? null : z.bytes(), slope, low, high);
        device.parallelFor(blocks * parts, 36L * rows * g.inChannels * kp, (from, to) -> {
            ByteBuffer tiles = PoolBlocks.take(tileBytes);
            ByteBuffer products = PoolBlocks.take(productBytes);
            try {
                Pointer tilesPointer = new Pointer(tiles);
                Pointer productsPointer = new Pointer(products);
                int transformed = -1;
                for (int item = from; item < to; item++) {
                    int block = item / parts;
                    int part = item % parts;
                    int t0 = block * rows;
                    int t1 = Math.min(g.tiles, t0 + rows);
                    if (block != transformed) {
                        WinogradTiles.input(g, xb, t0, t1, tiles, rows);
                        transformed = block;
                    }
                    OpenMpTeam.enterSerial();
                    try {
                        product.execute(tilesPointer, uParts[part], null, productsPointer, null);
                    } finally {
                        OpenMpTeam.leaveSerial();
                    }
                    WinogradTiles.output(g, products, rows, part * kp, kp, t0, t1, yb, epilogue);
                }
            } finally {
                PoolBlocks.give(products);
                PoolBlocks.give(tiles);
            }
        });
    }
}
