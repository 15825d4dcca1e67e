package dev.sonnx.runtime.ops.image;

import dev.sonnx.runtime.ops.kernel.ElementAccess;
import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.EnumSet;
import java.util.Set;

/**
 * RoiAlign (10, 16): pools each region {@code rois[r] = (x1, y1, x2, y2)} of image
 * {@code batch_indices[r]} into {@code output_height x output_width} bins, each the average (or
 * maximum) of bilinear samples on a regular grid of {@code sampling_ratio^2} points per bin
 * ({@code ceil(roi size / bins)} when 0). Region corners are scaled by spatial_scale and, with
 * coordinate_transformation_mode half_pixel (16's default), shifted by -0.5; version 10 and
 * output_half_pixel do not shift but make regions at least 1 x 1.
 *
 * <p>Sampling follows the Caffe2 / onnxruntime kernel that defines the operator: samples more than
 * one pixel outside the image read 0, others are clamped to it; max mode takes, per sample, the
 * largest of the four weighted corner values (onnxruntime's definition, not the largest
 * interpolated value).
 */
final class RoiAlign extends Operator {
    private static final Set<DataType> TYPES = EnumSet.of(DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16);

    private final boolean max;
    private final int outH;
    private final int outW;
    private final int samplingRatio;
    private final double spatialScale;
    private final boolean halfPixel;

    RoiAlign(Node node, boolean hasCoordinateMode) {
        super(node);
        var a = node.attributes();
        String mode = a.getString("mode", "avg");
        if (!mode.equals("avg") && !mode.equals("max")) {
            throw new IllegalArgumentException("attribute 'mode' is '" + mode + "'; expected avg or max");
        }
        this.max = mode.equals("max");
        this.outH = a.getInt("output_height", 1);
        this.outW = a.getInt("output_width", 1);
        if (outH <= 0 || outW <= 0) {
            throw new IllegalArgumentException("attributes output_height = " + outH + " and output_width = " + outW
                    + " must be positive");
        }
        this.samplingRatio = a.getInt("sampling_ratio", 0);
        if (samplingRatio < 0) {
            throw new IllegalArgumentException("attribute 'sampling_ratio' = " + samplingRatio + " is negative");
        }
        this.spatialScale = a.getFloat("spatial_scale", 1f);
        String ctm = hasCoordinateMode ? a.getString("coordinate_transformation_mode", "half_pixel")
                : "output_half_pixel";
        if (!ctm.equals("half_pixel") && !ctm.equals("output_half_pixel")) {
            throw new IllegalArgumentException("attribute 'coordinate_transformation_mode' is '" + ctm
                    + "'; expected half_pixel or output_half_pixel");
        }
        this.halfPixel = ctm.equals("half_pixel");
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Tensor rois = required(inputs, 1);
        Tensor batchIdx = required(inputs, 2);
        if (!TYPES.contains(x.dtype())) {
            throw new IllegalArgumentException("input X has type " + x.dtype().onnxName()
                    + "; expected float16, float or double");
        }
        if (rois.dtype() != x.dtype()) {
            throw new IllegalArgumentException("input rois has type " + rois.dtype().onnxName() + ", expected "
                    + x.dtype().onnxName() + " like X");
        }
        if (x.rank() != 4) {
            throw new IllegalArgumentException("input X has shape " + Shapes.toString(x.shape())
                    + "; expected [N, C, H, W]");
        }
        if (rois.rank() != 2 || rois.dim(1) != 4) {
            throw new IllegalArgumentException("input rois has shape " + Shapes.toString(rois.shape())
                    + "; expected [num_rois, 4]");
        }
        int numRois = rois.dim(0);
        if (batchIdx.dtype() != DataType.INT64 || batchIdx.rank() != 1 || batchIdx.dim(0) != numRois) {
            throw new IllegalArgumentException("input batch_indices is " + batchIdx.describe() + "; expected int64["
                    + numRois + "]");
        }
        int n = x.dim(0);
        int c = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        long[] batches = batchIdx.toLongArray();
        for (int i = 0; i < numRois; i++) {
            if (batches[i] < 0 || batches[i] >= n) {
                throw new IllegalArgumentException("batch_indices[" + i + "] = " + batches[i] + " is outside [0, "
                        + n + ")");
            }
        }
        Tensor y = Tensor.zeros(x.dtype(), numRois, c, outH, outW);
        if (y.size() == 0) {
            return outputs(y);
        }
        ElementAccess.Reader xr = ElementAccess.reader(x);
        ElementAccess.Writer yw = ElementAccess.writer(y);
        Region[] regions = regions(rois);
        ctx.device().parallelFor(numRois * c, (long) outH * outW * 16, (s, e) -> {
            // a region's sample corners and weights serve all its channels: built once per region
            Samples samples = new Samples();
            for (int task = s; task < e; task++) {
                int roi = task / c;
                int ch = task % c;
                Region g = regions[roi];
                if (samples.roi != roi) {
                    samples.fill(roi, g, outH, outW, h, w);
                }
                int base = ((int) batches[roi] * c + ch) * h * w;
                int out = task * outH * outW;
                int[] pos = samples.pos;
                double[] wt = samples.wt;
                int perCell = g.gridH * g.gridW;
                for (int cell = 0, j = 0; cell < outH * outW; cell++) {
                    double acc = 0;
                    for (int q = 0; q < perCell; q++, j++) {
                        double v = 0;
                        if (samples.inside[j]) {
                            int at = 4 * j;
                            if (max) {
                                v = Double.NEGATIVE_INFINITY;
                                for (int k = 0; k < 4; k++) {
                                    v = Math.max(v, wt[at + k] * xr.get(base + pos[at + k]));
                                }
                            } else {
                                for (int k = 0; k < 4; k++) {
                                    v += wt[at + k] * xr.get(base + pos[at + k]);
                                }
                            }
                        }
                        if (max) {
                            acc = q == 0 ? v : Math.max(acc, v);
                        } else {
                            acc += v;
                        }
                    }
                    yw.set(out + cell, max ? acc : acc / g.count);
                }
            }
        });
        return outputs(y);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /** Box coordinates and indices come with the data, not the weights. */
    @Override
    public boolean differentiableInput(int index) {
        return index == 0;
    }

    /**
     * The gradient of X (rois and batch_indices take none): avg spreads each bin's gradient over
     * its samples' corners by their weights; max sends it to the corner that gave the maximum
     * (the first one, in sampling order). Work is split by channel, so no two threads add into the
     * same element.
     */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] r = new Tensor[3];
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0)) {
            return r;
        }
        Tensor x = g.input(0);
        int c = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        long[] batches = g.input(2).toLongArray();
        Region[] regions = regions(g.input(1));
        boolean dbl = x.dtype() == DataType.DOUBLE;
        Tensor gx = Tensor.zeros(dbl ? DataType.DOUBLE : DataType.FLOAT, x.shape());
        ElementAccess.Reader xr = ElementAccess.reader(x);
        ElementAccess.Reader gr = ElementAccess.reader(gy);
        ElementAccess.Reader gxr = ElementAccess.reader(gx);
        ElementAccess.Writer gxw = ElementAccess.writer(gx);
        g.device().parallelFor(c, (long) regions.length * outH * outW * 16, (s, e) -> {
            int[] pos = new int[4];
            double[] wt = new double[4];
            for (int ch = s; ch < e; ch++) {
                for (int roi = 0; roi < regions.length; roi++) {
                    Region rg = regions[roi];
                    int base = ((int) batches[roi] * c + ch) * h * w;
                    for (int ph = 0; ph < outH; ph++) {
                        for (int pw = 0; pw < outW; pw++) {
                            double gv = gr.get(((roi * c + ch) * outH + ph) * outW + pw);
                            if (gv == 0) {
                                continue;
                            }
                            double best = Double.NEGATIVE_INFINITY;
                            int bestPos = -1;
                            double bestWeight = 0;
                            for (int iy = 0; iy < rg.gridH; iy++) {
                                for (int ix = 0; ix < rg.gridW; ix++) {
                                    boolean in = corners(rg.sampleY(ph, iy), rg.sampleX(pw, ix), h, w, pos, wt);
                                    if (!max) {
                                        for (int k = 0; in && k < 4; k++) {
                                            int at = base + pos[k];
                                            gxw.set(at, gxr.get(at) + gv * wt[k] / rg.count);
                                        }
                                        continue;
                                    }
                                    // a sample outside the image is the value 0, with no input behind it
                                    if (!in) {
                                        if (0 > best) {
                                            best = 0;
                                            bestPos = -1;
                                        }
                                        continue;
                                    }
                                    for (int k = 0; k < 4; k++) {
                                        double v = wt[k] * xr.get(base + pos[k]);
                                        if (v > best) {
                                            best = v;
                                            bestPos = base + pos[k];
                                            bestWeight = wt[k];
                                        }
                                    }
                                }
                            }
                            if (max && bestPos >= 0) {
                                gxw.set(bestPos, gxr.get(bestPos) + gv * bestWeight);
                            }
                        }
                    }
                }
            }
        });
        r[0] = gx.dtype() == x.dtype() ? gx : Access.toType(gx, x.dtype());
        return r;
    }

    /**
     * The bilinear corners and weights of every sample of one region, in output-cell order (row,
     * column, then the cell's sampling grid): the same for each of its channels.
     */
    private static final class Samples {
        /** The region the tables hold (-1: none yet); one set of tables serves a thread's regions in turn. */
        int roi = -1;
        int[] pos = new int[0];
        double[] wt = new double[0];
        /** Per sample: whether it lies within a pixel of the image (else it reads 0). */
        boolean[] inside = new boolean[0];
        /** One sample's corners and weights, as {@link #corners} writes them. */
        private final int[] p = new int[4];
        private final double[] q = new double[4];

        void fill(int roi, Region g, int outH, int outW, int h, int w) {
            this.roi = roi;
            int count = outH * outW * g.gridH * g.gridW;
            if (inside.length < count) {
                pos = new int[4 * count];
                wt = new double[4 * count];
                inside = new boolean[count];
            }
            int j = 0;
            for (int ph = 0; ph < outH; ph++) {
                for (int pw = 0; pw < outW; pw++) {
                    for (int iy = 0; iy < g.gridH; iy++) {
                        for (int ix = 0; ix < g.gridW; ix++, j++) {
                            inside[j] = corners(g.sampleY(ph, iy), g.sampleX(pw, ix), h, w, p, q);
                            System.arraycopy(p, 0, pos, 4 * j, 4);
                            System.arraycopy(q, 0, wt, 4 * j, 4);
                        }
                    }
                }
            }
        }
    }

    /** One region's geometry: its corner, bin sizes and sampling grid. */
    private static final class Region {
        double x1;
        double y1;
        double binH;
        double binW;
        int gridH;
        int gridW;
        int count;

        double sampleY(int ph, int iy) {
            return y1 + ph * binH + (iy + 0.5) * binH / gridH;
        }

        double sampleX(int pw, int ix) {
            return x1 + pw * binW + (ix + 0.5) * binW / gridW;
        }
    }

    private Region[] regions(Tensor rois) {
        ElementAccess.Reader rr = ElementAccess.reader(rois);
        double offset = halfPixel ? 0.5 : 0;
        Region[] regions = new Region[rois.dim(0)];
        for (int i = 0; i < regions.length; i++) {
            Region g = new Region();
            g.x1 = rr.get(i * 4) * spatialScale - offset;
            g.y1 = rr.get(i * 4 + 1) * spatialScale - offset;
            double roiW = rr.get(i * 4 + 2) * spatialScale - offset - g.x1;
            double roiH = rr.get(i * 4 + 3) * spatialScale - offset - g.y1;
            if (!halfPixel) {
                roiW = Math.max(roiW, 1);
                roiH = Math.max(roiH, 1);
            }
            g.binH = roiH / outH;
            g.binW = roiW / outW;
            g.gridH = samplingRatio > 0 ? samplingRatio : (int) Math.ceil(roiH / outH);
            g.gridW = samplingRatio > 0 ? samplingRatio : (int) Math.ceil(roiW / outW);
            g.count = Math.max(g.gridH * g.gridW, 1);
            regions[i] = g;
        }
        return regions;
    }

    /**
     * The four bilinear corners of sample (y, x) as offsets into an h x w image, with weights;
     * false for a sample more than one pixel outside the image (it reads 0). Samples within a
     * pixel of the image are clamped onto it.
     */
    private static boolean corners(double y, double x, int h, int w, int[] pos, double[] wt) {
        if (y < -1.0 || y > h || x < -1.0 || x > w) {
            return false;
        }
        y = Math.max(y, 0);
        x = Math.max(x, 0);
        int yLow = (int) y;
        int xLow = (int) x;
        int yHigh;
        int xHigh;
        if (yLow >= h - 1) {
            yHigh = yLow = h - 1;
            y = yLow;
        } else {
            yHigh = yLow + 1;
        }
        if (xLow >= w - 1) {
            xHigh = xLow = w - 1;
            x = xLow;
        } else {
            xHigh = xLow + 1;
        }
        double ly = y - yLow;
        double lx = x - xLow;
        double hy = 1 - ly;
        double hx = 1 - lx;
        pos[0] = yLow * w + xLow;
        pos[1] = yLow * w + xHigh;
        pos[2] = yHigh * w + xLow;
        pos[3] = yHigh * w + xHigh;
        wt[0] = hy * hx;
        wt[1] = hy * lx;
        wt[2] = ly * hx;
        wt[3] = ly * lx;
        return true;
    }
}
