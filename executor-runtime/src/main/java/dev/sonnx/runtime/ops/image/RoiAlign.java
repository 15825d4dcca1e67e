package dev.sonnx.runtime.ops.image;

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
        Access.Reader xr = Access.reader(x);
        Access.Reader rr = Access.reader(rois);
        Access.Writer yw = Access.writer(y);
        double offset = halfPixel ? 0.5 : 0;
        ctx.device().parallelFor(numRois * c, (long) outH * outW * 16, (s, e) -> {
            for (int task = s; task < e; task++) {
                int roi = task / c;
                int ch = task % c;
                double x1 = rr.get(roi * 4) * spatialScale - offset;
                double y1 = rr.get(roi * 4 + 1) * spatialScale - offset;
                double x2 = rr.get(roi * 4 + 2) * spatialScale - offset;
                double y2 = rr.get(roi * 4 + 3) * spatialScale - offset;
                double roiW = x2 - x1;
                double roiH = y2 - y1;
                if (!halfPixel) {
                    roiW = Math.max(roiW, 1);
                    roiH = Math.max(roiH, 1);
                }
                double binH = roiH / outH;
                double binW = roiW / outW;
                int gridH = samplingRatio > 0 ? samplingRatio : (int) Math.ceil(roiH / outH);
                int gridW = samplingRatio > 0 ? samplingRatio : (int) Math.ceil(roiW / outW);
                int count = Math.max(gridH * gridW, 1);
                int base = ((int) batches[roi] * c + ch) * h * w;
                int out = task * outH * outW;
                for (int ph = 0; ph < outH; ph++) {
                    for (int pw = 0; pw < outW; pw++) {
                        double acc = 0;
                        boolean first = true;
                        for (int iy = 0; iy < gridH; iy++) {
                            double yy = y1 + ph * binH + (iy + 0.5) * binH / gridH;
                            for (int ix = 0; ix < gridW; ix++) {
                                double xx = x1 + pw * binW + (ix + 0.5) * binW / gridW;
                                double v = sample(xr, base, h, w, yy, xx);
                                if (max) {
                                    acc = first ? v : Math.max(acc, v);
                                    first = false;
                                } else {
                                    acc += v;
                                }
                            }
                        }
                        yw.set(out + ph * outW + pw, max ? acc : acc / count);
                    }
                }
            }
        });
        return outputs(y);
    }

    /** One bilinear sample (avg), or the largest weighted corner (max). */
    private double sample(Access.Reader xr, int base, int h, int w, double y, double x) {
        if (y < -1.0 || y > h || x < -1.0 || x > w) {
            return 0;
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
        double v1 = hy * hx * xr.get(base + yLow * w + xLow);
        double v2 = hy * lx * xr.get(base + yLow * w + xHigh);
        double v3 = ly * hx * xr.get(base + yHigh * w + xLow);
        double v4 = ly * lx * xr.get(base + yHigh * w + xHigh);
        return max ? Math.max(Math.max(v1, v2), Math.max(v3, v4)) : v1 + v2 + v3 + v4;
    }
}
