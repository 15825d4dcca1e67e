package dev.sonnx.runtime.ops.conv.dnnl;

import dev.sonnx.runtime.tensor.Arena;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.PoolBlocks;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.javacpp.Pointer;

/**
 * A 3 x 3 convolution of stride 1 on channels-last float32 images by Winograd's F(4 x 4, 3 x 3): each
 * 4 x 4 block of outputs costs 36 multiply-adds per input and output channel instead of 144. The
 * input is cut into 6 x 6 tiles ({@link WinogradTiles#input}), the 36 points of the tiles multiply
 * the transformed weights U = G g G^T as 36 matrix products [tiles, C] x [C, K] (oneDNN's batched
 * matmul on the calling thread), and the products go back to 4 x 4 outputs with the epilogue.
 *
 * <p>Small images of many channels take F(2 x 2, 3 x 3) instead ({@link Tiling#F2}: 4 x 4 tiles, 16
 * points, 2 x 2 outputs; 4 multiply-adds an output per pair of channels, against 2.25 for F(4, 3)
 * and 9 direct): F(4, 3) cuts them into too few tiles for efficient products, while U, which every
 * call reads whole, is 4 times the weights against 16 / 9. tinyyolov2's 1024-channel layer at
 * 13 x 13 has 16 tiles of F(4, 3) and 49 of F(2, 3). Over few tiles F(2, 3) pays only for large
 * weights, which the direct kernel streams once per output row.
 *
 * <p>oneDNN 3.11 has no Winograd convolution on x86, and its direct kernels already run at the cores'
 * peak: fewer multiply-adds are the only way past them. The work is split into blocks of tiles,
 * each transformed, multiplied and transformed back by one thread while its points stay in that
 * core's cache. U (four times the weights' size, 16 / 9 for F(2, 3)) is kept beside them, each part
 * of the output channels in the layout its product chose ({@link #packWeights}).
 *
 * <p>Accuracy: the transforms' constants (up to 8 in A, 5 in B, 1/24 in G) cost a few bits of float32
 * precision, about 1e-5 of the output's scale against 1e-7 for the direct kernel, the trade every
 * engine that uses F(4, 3) makes (F(2, 3)'s constants are 0, 1 and 1/2: about 1e-6). U is computed
 * in double. {@code -Dsonnx.winograd=false} turns it off ({@code -Dsonnx.winograd.f2=false} only
 * F(2, 3)); it is used for inference only (constant weights).
 */
public final class WinogradConvolution {
    private static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("sonnx.winograd", "true"));
    /** Whether F(2, 3) takes what F(4, 3) leaves ({@code -Dsonnx.winograd.f2=false}: it does not). */
    private static final boolean F2_ENABLED = Boolean.parseBoolean(System.getProperty("sonnx.winograd.f2", "true"));
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
    /**
     * Most images for F(2, 3) where its U streams from memory ({@link #LARGE_WEIGHTS}): over more
     * images the direct kernel reuses each weight, and U (16 / 9 of the weights) costs memory for
     * little time. resnet18's 512-channel layers at batch 8 (128 tiles, 16.8 MB of U each) made the
     * run about 4% faster but its peak RSS 22 MB larger (1.04 of ONNX Runtime's, against 0.96).
     */
    private static final int F2_STREAMED_IMAGES = 3;
    /**
     * Fewest bytes of weights for F(2, 3) over fewer than {@link #MIN_STREAMED_TILES} tiles: the
     * direct kernel reads its weights again for each output row, which costs where they outgrow the
     * caches. tinyyolov2's 512 -> 1024 and 1024 -> 1024 layers at 13 x 13 (49 tiles; 18.9 and 37.7 MB)
     * took 4.1-4.4 against 5.3 ms and 7.9-8.7 against 10.5 ms; resnet18's 256-channel layers at
     * 14 x 14 (49 tiles, 2.4 MB) 0.81-0.83 against 0.70-0.80 ms beside ONNX Runtime's runs, and
     * tinyyolov2's 256 -> 512 one (4.7 MB) no less than the direct kernel's 1.29 ms.
     */
    private static final long F2_FEW_TILES_WEIGHT_BYTES = 16L << 20;
    private static final boolean VECTORS = vectorsPresent();
    /** Convolutions run so far in this process (for tests and diagnostics). */
    private static final java.util.concurrent.atomic.LongAdder CALLS = new java.util.concurrent.atomic.LongAdder();

    private final Geometry geometry;
    /** Rows of each product (tiles a block), and the blocks. */
    private final int rows;
    private final int blocks;
    /** The output channels are split into this many parts of {@link #partChannels}: two where U streams, or where there is one block. */
    private final int parts;
    private final int partChannels;
    /** Each thread's working memory, lent by the run pool for one call: a block's transformed tiles and its products. */
    private final long tileBytes;
    private final long productBytes;
    private final DnnlPrimitive product;
    /**
     * The reorder of one part of U, a plain [points, C, partChannels], into the layout the product
     * chose for it: oneDNN's matmul reading a plain strided B packs it on every call (tinyyolov2's
     * 1024-channel layer at batch 1: 8.5 against 7.5 ms for the products, in two parts).
     */
    private final DnnlPrimitive packPart;
    /** Bytes of one part of U in the product's layout; the parts lie one after the other. */
    private final long partBytes;
    /** The activation as {@link WinogradTiles.Epilogue}'s slope and bounds. */
    private final float slope;
    private final float low;
    private final float high;
    /** Zeros for a convolution without a bias: the output transform always adds one. */
    private final ByteBuffer noBias;
    private final boolean residual;
    private final boolean bias;

    /** The two algorithms: outputs per tile side, and the tile's side in input pixels. */
    public enum Tiling {
        /** F(4 x 4, 3 x 3): 6 x 6 input tiles, 36 points. */
        F4(4),
        /** F(2 x 2, 3 x 3): 4 x 4 input tiles, 16 points. */
        F2(2);

        /** Outputs along each side of a tile. */
        final int outputs;
        /** Input pixels along each side of a tile (outputs + 2). */
        final int side;
        /** The tile's points (side squared): the products per tile, and U's first dimension. */
        final int points;

        Tiling(int outputs) {
            this.outputs = outputs;
            this.side = outputs + 2;
            this.points = side * side;
        }
    }

    /** The image and tiling sizes the transforms need. */
    static final class Geometry {
        final Tiling tiling;
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

        Geometry(int[] xShape, int[] yShape, int[] padBegin, Tiling tiling) {
            this.tiling = tiling;
            inChannels = xShape[1];
            outChannels = yShape[1];
            height = xShape[2];
            width = xShape[3];
            outHeight = yShape[2];
            outWidth = yShape[3];
            padTop = padBegin[0];
            padLeft = padBegin[1];
            int m = tiling.outputs;
            tileColumns = (outWidth + m - 1) / m;
            tilesPerImage = (outHeight + m - 1) / m * tileColumns;
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

    private WinogradConvolution(Geometry geometry, int rows, int parts, DnnlMatMul product, PostOps postOps,
                                boolean bias) {
        WarmedUp.ensure();
        this.geometry = geometry;
        this.rows = rows;
        this.blocks = (geometry.tiles + rows - 1) / rows;
        this.parts = parts;
        this.partChannels = geometry.outChannels / parts;
        this.tileBytes = (long) geometry.tiling.points * rows * geometry.inChannels * Float.BYTES;
        this.productBytes = (long) geometry.tiling.points * rows * partChannels * Float.BYTES;
        this.product = product.primitive();
        int[] partDims = {geometry.tiling.points, geometry.inChannels, partChannels};
        dnnl_memory_desc chosen = product.packedWeights().layout();
        this.packPart = Dnnl.reorder(Dnnl.desc(partDims, Layouts.plain(3)),
                chosen == null ? Dnnl.desc(partDims, Layouts.plain(3)) : Dnnl.copy(chosen));
        this.partBytes = product.packedWeights().bytes();
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

    /** Pointers to each part of U (from {@link #packWeights}); made once per U. */
    private Pointer[] partsOf(Tensor u) {
        UParts known = uParts;
        if (known != null && known.u == u) {
            return known.pointers;
        }
        if ((long) u.size() * Float.BYTES != parts * partBytes) {
            throw new IllegalArgumentException("U " + u.describe() + " is not " + geometry.tiling + "'s for "
                    + geometry.inChannels + " -> " + geometry.outChannels + " channels in " + parts + " parts");
        }
        Pointer[] pointers = new Pointer[parts];
        ByteBuffer all = u.bytes();
        for (int p = 0; p < parts; p++) {
            pointers[p] = new Pointer(all.slice((int) (p * partBytes), (int) partBytes));
        }
        uParts = new UParts(u, pointers);
        return pointers;
    }

    /**
     * U as {@link #forward} reads it, from plain OIHW weights {@code w} [K, C, 3, 3]: the transform
     * ({@link #transform}) of each part of the output channels, in the product's layout, one after
     * the other; allocated outside any run, for the caller to keep while the weights stay the
     * same. Each part passes through native scratch of its plain size, freed on return.
     */
    public Tensor packWeights(Tensor w) {
        int c = geometry.inChannels;
        int k = geometry.outChannels;
        if (!java.util.Arrays.equals(w.shape(), new int[] {k, c, 3, 3})) {
            throw new IllegalArgumentException("weights " + w.describe() + " are not [" + k + ", " + c + ", 3, 3]");
        }
        long bytes = parts * partBytes;
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("U of " + bytes + " bytes exceeds a buffer's 2 GiB");
        }
        Tensor packed = Arena.detached(() -> Tensor.zeros(DataType.FLOAT, (int) (bytes / Float.BYTES)));
        ByteBuffer to = packed.bytes();
        FloatBuffer g = w.bytes().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        long plainPartBytes = (long) geometry.tiling.points * c * partChannels * Float.BYTES;
        try (org.bytedeco.javacpp.BytePointer scratch = new org.bytedeco.javacpp.BytePointer(plainPartBytes)) {
            FloatBuffer plainPart = scratch.asByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            for (int p = 0; p < parts; p++) {
                transform(g, k, c, geometry.tiling, p * partChannels, partChannels, plainPart);
                packPart.execute(scratch, new Pointer(to.slice((int) (p * partBytes), (int) partBytes)));
            }
        }
        return packed;
    }

    /** Whether {@code other} reads the same packed U as this convolution (its weights' copy can be shared). */
    public boolean readsSameWeights(WinogradConvolution other) {
        return geometry.tiling == other.geometry.tiling && parts == other.parts
                && geometry.inChannels == other.geometry.inChannels
                && geometry.outChannels == other.geometry.outChannels
                && Dnnl.sameLayout(packPart.desc(1), other.packPart.desc(1));
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
     * {@code wShape} into {@code yShape}, then {@code postOps}: by F(4, 3) where it pays, else by
     * F(2, 3) where that pays; null where neither applies (another kernel size, stride, dilation or
     * group; channel counts that are not multiples of 16; an activation other than ReLU or Clip) or
     * pays (too few tiles).
     */
    public static WinogradConvolution create(int[] xShape, int[] wShape, int[] yShape, int group, int[] strides,
                                             int[] dilations, int[] padBegin, int[] padEnd, PostOps postOps,
                                             boolean bias) {
        WinogradConvolution f4 = create(xShape, wShape, yShape, group, strides, dilations, padBegin, padEnd, postOps,
                bias, Tiling.F4, true);
        return f4 != null || !F2_ENABLED ? f4 : create(xShape, wShape, yShape, group, strides, dilations, padBegin, padEnd,
                postOps, bias, Tiling.F2, true);
    }

    /**
     * {@link #create} by {@code tiling}, where {@code whenPays} false skips the rules of size (for
     * tests of small cases).
     */
    static WinogradConvolution create(int[] xShape, int[] wShape, int[] yShape, int group, int[] strides,
                                      int[] dilations, int[] padBegin, int[] padEnd, PostOps postOps,
                                      boolean bias, Tiling tiling, boolean whenPays) {
        if (!available() || xShape.length != 4 || group != 1 || wShape[2] != 3 || wShape[3] != 3
                || strides[0] != 1 || strides[1] != 1 || dilations[0] != 1 || dilations[1] != 1
                || xShape[1] % 16 != 0 || wShape[0] % 16 != 0 || wShape[1] != xShape[1]
                || padBegin[0] < 0 || padBegin[1] < 0 || padEnd[0] < 0 || padEnd[1] < 0
                || yShape[2] != xShape[2] + padBegin[0] + padEnd[0] - 2
                || yShape[3] != xShape[3] + padBegin[1] + padEnd[1] - 2
                || !supported(postOps)) {
            return null;
        }
        Geometry g = new Geometry(xShape, yShape, padBegin, tiling);
        long work = 9L * xShape[0] * g.inChannels * g.outChannels * g.outHeight * g.outWidth;
        if (whenPays && (g.tiles < MIN_TILES || g.inChannels < MIN_CHANNELS || g.outChannels < MIN_CHANNELS
                || work < MIN_WORK)) {
            return null;
        }
        int rows;
        int parts = 1;
        int points = tiling.points;
        long uBytes = (long) points * g.inChannels * g.outChannels * Float.BYTES;
        if (uBytes > Integer.MAX_VALUE / 2) {
            // U lives in one buffer, of at most 2 GiB, and its packed layout may pad it: a U over
            // 1 GiB leaves its weights to the direct kernel
            return null;
        }
        // F(2, 3) is what is left where F(4, 3)'s streamed U meets too few tiles
        if (whenPays && uBytes > LARGE_WEIGHTS && (tiling == Tiling.F4 ? g.tiles < MIN_STREAMED_TILES
                : xShape[0] > F2_STREAMED_IMAGES)) {
            return null;
        }
        long weightBytes = 9L * g.inChannels * g.outChannels * Float.BYTES;
        if (whenPays && tiling == Tiling.F2 && g.tiles < MIN_STREAMED_TILES
                && weightBytes < F2_FEW_TILES_WEIGHT_BYTES) {
            return null;
        }
        if (uBytes <= LARGE_WEIGHTS) {
            // U stays in the caches: blocks of tiles, about four of them, so that a late thread finds
            // work, and the output channels in two parts where there is one block
            rows = Math.min(g.tiles, Math.max(MIN_ROWS, Math.min(BLOCK_TILES, (g.tiles + 3) / 4)));
            if (g.tiles <= rows && g.outChannels % 32 == 0) {
                parts = 2;
            }
        } else {
            // U streams from memory once per block: the fewest blocks, and the output channels
            // always in two parts (each item reads its part of U), whatever the batch: the packed
            // U's layout follows the parts, and one U then serves every batch size (tinyyolov2's
            // 1024-channel layer has 151 MB of it)
            rows = Math.min(BLOCK_TILES, g.tiles);
            if (g.outChannels % 32 == 0) {
                parts = 2;
            }
        }
        // blocks as even as tiles allow ({@link #blockStart}): the loop waits for its longest item.
        // resnet18's 28 x 28 layers at batch 1 (49 tiles) were a block of 32 and one of 17, 477 us
        // against about 300 on the two threads; as 24 and 25 their three layers took 1.60-1.79 ms a
        // run against 1.79-1.97 (three alternating pairs of processes)
        int blocks = (g.tiles + rows - 1) / rows;
        rows = (g.tiles + blocks - 1) / blocks;
        int c = g.inChannels;
        int k = g.outChannels;
        int kp = k / parts;
        DnnlMatMul product;
        OpenMpTeam.enterSerial();
        try {
            // A = the tiles' points [points, rows, C]; B = one part of U, [points, C, kp], in the layout
            // the product chooses ({@link #packWeights}); the products [points, rows, kp]
            product = DnnlMatMul.create(new int[] {points, rows, c}, false, new int[] {points, c, kp}, false,
                    new int[] {points, rows, kp}, false, true, PostOps.NONE);
        } finally {
            OpenMpTeam.leaveSerial();
        }
        return product == null ? null : new WinogradConvolution(g, rows, parts, product, postOps, bias);
    }

    /** The algorithm this convolution runs. */
    public Tiling tiling() {
        return geometry.tiling;
    }

    /** The blocks of tiles the work is split into (items of the parallel loop, with the parts). */
    int blocks() {
        return blocks;
    }

    /** Rows of each product: the most tiles a block holds. */
    int rows() {
        return rows;
    }

    /**
     * The first tile of {@code block} (or the tile count, for {@code blocks}): blocks differ by one
     * tile at most, and none holds more than {@link #rows}.
     */
    int blockStart(int block) {
        return (int) ((long) block * geometry.tiles / blocks);
    }

    private static boolean supported(PostOps p) {
        return switch (p.eltwise()) {
            case NONE, RELU, CLIP -> true;
            default -> false;
        };
    }

    /**
     * U = G g G^T for output channels [k0, k0 + count) of the OIHW weights {@code g} (K x C x 3 x 3)
     * into {@code out} as [points, C, count] (point, input channel, output channel), computed in double.
     */
    private static void transform(FloatBuffer g, int k, int c, Tiling tiling, int k0, int count, FloatBuffer out) {
        int side = tiling.side;
        // scratch for one kernel, allocated once: U has millions of blocks (resnet18: 1M), and
        // arrays per block were 400 MB of garbage for which the collector grew the heap
        double[] kernel = new double[9];
        double[] half = new double[side * 3];
        double[] point = new double[side];
        for (int ko = 0; ko < count; ko++) {
            for (int ci = 0; ci < c; ci++) {
                for (int i = 0; i < 9; i++) {
                    kernel[i] = g.get(((k0 + ko) * c + ci) * 9 + i);
                }
                // G g: side x 3, then (G g) G^T: side x side
                for (int col = 0; col < 3; col++) {
                    transformG(tiling, kernel[col], kernel[3 + col], kernel[6 + col], half, col, 3);
                }
                for (int row = 0; row < side; row++) {
                    transformG(tiling, half[row * 3], half[row * 3 + 1], half[row * 3 + 2], point, 0, 1);
                    for (int col = 0; col < side; col++) {
                        out.put(((row * side + col) * c + ci) * count + ko, (float) point[col]);
                    }
                }
            }
        }
    }

    /** G (side x 3) of {@code tiling} times the vector (a, b, c), written to out[at + i * stride]. */
    private static void transformG(Tiling tiling, double a, double b, double c, double[] out, int at, int stride) {
        if (tiling == Tiling.F2) {
            out[at] = a;
            out[at + stride] = (a + b + c) / 2;
            out[at + 2 * stride] = (a - b + c) / 2;
            out[at + 3 * stride] = c;
            return;
        }
        out[at] = a / 4;
        out[at + stride] = -(a + b + c) / 6;
        out[at + 2 * stride] = -(a - b + c) / 6;
        out[at + 3 * stride] = a / 24 + b / 12 + c / 6;
        out[at + 4 * stride] = a / 24 - b / 12 + c / 6;
        out[at + 5 * stride] = c;
    }

    /**
     * Y = act(conv(X, W) + B + Z) with X, Z and Y channels-last float32 of the planned shapes and
     * {@code u} from {@link #packWeights}; B and Z as the plan said (null when absent).
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
        device.parallelFor(blocks * parts, (long) g.tiling.points * rows * g.inChannels * kp, (from, to) -> {
            ByteBuffer tiles = PoolBlocks.take(tileBytes);
            ByteBuffer products = PoolBlocks.take(productBytes);
            try {
                Pointer tilesPointer = new Pointer(tiles);
                Pointer productsPointer = new Pointer(products);
                int transformed = -1;
                for (int item = from; item < to; item++) {
                    int block = item / parts;
                    int part = item % parts;
                    int t0 = blockStart(block);
                    int t1 = blockStart(block + 1);
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
