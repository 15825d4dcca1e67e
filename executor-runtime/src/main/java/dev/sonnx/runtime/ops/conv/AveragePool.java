package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlPooling;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;

/**
 * AveragePool (1, 7, 10, 19): the mean over each window. Padding counts toward the divisor only with
 * {@code count_include_pad=1} (version 7 on), and then only the taps that fall inside the padded
 * extent (a ceil_mode window that runs past the end padding is not charged for the overhang).
 * Version 10 adds {@code ceil_mode}, 19 {@code dilations}. Float32 goes through oneDNN where its
 * divisor agrees.
 */
final class AveragePool extends WindowPool {
    private final boolean countIncludePad;
    private final ShapeCache<double[]> divisors = new ShapeCache<>();

    AveragePool(Node node, int version) {
        super(node, TypeCheck.FLOATS, version >= 19, version >= 10);
        int include = version >= 7 ? node.attributes().getInt("count_include_pad", 0) : 0;
        if (include != 0 && include != 1) {
            throw new IllegalArgumentException("attribute 'count_include_pad' is " + include + ", expected 0 or 1");
        }
        this.countIncludePad = include == 1;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Window w = window(x);
        Tensor y = Tensor.uninitialized(x.dtype(), outShape(x, w));
        DnnlPooling dnnl = averagePrimitive(x, w, ctx.device());
        if (dnnl != null) {
            dnnl.forward(x, y);
            return outputs(y);
        }
        double[] div = divisors(x, w);
        int imageSize = w.imageSize;
        int positions = w.positionCount;
        int[] table = w.table();
        int taps = w.kernelSize;
        ctx.device().parallelFor(planes(x), (long) taps * positions, (s, e) -> {
            double[] in = new double[imageSize];
            double[] sum = new double[positions];
            for (int plane = s; plane < e; plane++) {
                Planes.load(x, plane * imageSize, imageSize, in);
                Arrays.fill(sum, 0);
                for (int k = 0; k < taps; k++) {
                    int base = k * positions;
                    for (int p = 0; p < positions; p++) {
                        int i = table[base + p];
                        if (i >= 0) {
                            sum[p] += in[i];
                        }
                    }
                }
                for (int p = 0; p < positions; p++) {
                    sum[p] /= div[p];
                }
                Planes.store(sum, positions, y, plane * positions);
            }
        });
        return outputs(y);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /** Each window spreads its output gradient evenly (over its divisor) across its in-image taps. */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0)) {
            return new Tensor[1];
        }
        Tensor x = g.input(0);
        Window w = window(x);
        double[] div = divisors(x, w);
        Tensor gx = Tensor.uninitialized(x.dtype(), x.shape()); // each plane is stored whole
        int imageSize = w.imageSize;
        int positions = w.positionCount;
        int[] table = w.table();
        int taps = w.kernelSize;
        g.device().parallelFor(planes(x), (long) taps * positions, (s, e) -> {
            double[] dy = new double[positions];
            double[] dx = new double[imageSize];
            for (int plane = s; plane < e; plane++) {
                Planes.load(gy, plane * positions, positions, dy);
                for (int p = 0; p < positions; p++) {
                    dy[p] /= div[p];
                }
                Arrays.fill(dx, 0);
                for (int k = 0; k < taps; k++) {
                    int base = k * positions;
                    for (int p = 0; p < positions; p++) {
                        int i = table[base + p];
                        if (i >= 0) {
                            dx[i] += dy[p];
                        }
                    }
                }
                Planes.store(dx, imageSize, gx, plane * imageSize);
            }
        });
        return new Tensor[] {gx};
    }

    /**
     * oneDNN's primitive, except where its divisor would differ: counting padding, oneDNN charges
     * the full kernel, also for a ceil-mode window overhanging the padded image.
     */
    private DnnlPooling averagePrimitive(Tensor x, Window w, Device device) {
        DnnlPooling.Kind kind = dnnlKind(w);
        return kind == null ? null : primitive(x, w, kind, device);
    }

    @Override
    DnnlPooling.Kind dnnlKind(Window w) {
        if (countIncludePad && !Arrays.equals(w.padEndCoveringPositions(), w.padEnd)) {
            return null;
        }
        return countIncludePad ? DnnlPooling.Kind.AVERAGE_INCLUDING_PADDING : DnnlPooling.Kind.AVERAGE_EXCLUDING_PADDING;
    }

    private double[] divisors(Tensor x, Window w) {
        return divisors.get(s -> tapCounts(w, countIncludePad), x.shape());
    }

    /**
     * For every window position, the number of taps inside the image, or (with {@code includePad})
     * inside the image extended by its begin and end paddings.
     */
    static double[] tapCounts(Window w, boolean includePad) {
        int r = w.rank;
        int[][] perDim = new int[r][];
        for (int d = 0; d < r; d++) {
            int lo = includePad ? -w.padBegin[d] : 0;
            int hi = includePad ? w.image[d] + w.padEnd[d] : w.image[d];
            perDim[d] = new int[w.positions[d]];
            for (int p = 0; p < w.positions[d]; p++) {
                int n = 0;
                for (int k = 0; k < w.kernel[d]; k++) {
                    int c = w.coordinate(d, k, p);
                    if (c >= lo && c < hi) {
                        n++;
                    }
                }
                perDim[d][p] = n;
            }
        }
        double[] counts = new double[w.positionCount];
        int[] pos = new int[r];
        for (int p = 0; p < counts.length; p++) {
            long n = 1;
            for (int d = 0; d < r; d++) {
                n *= perDim[d][pos[d]];
            }
            counts[p] = n;
            for (int d = r - 1; d >= 0 && ++pos[d] == w.positions[d]; d--) {
                pos[d] = 0;
            }
        }
        return counts;
    }
}
