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
 * MaxRoiPool (1): Fast R-CNN's ROI pooling. Each region {@code rois[r] = (batch_index, x1, y1, x2, y2)}
 * is scaled by spatial_scale and rounded to whole pixels (inclusive corners), split into
 * {@code pooled_shape} bins of possibly fractional size, and each bin (floor of its start to ceil of
 * its end, clipped to the image) takes its maximum; an empty bin gives 0. This is Caffe's kernel.
 */
final class MaxRoiPool extends Operator {
    private static final Set<DataType> TYPES = EnumSet.of(DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16);

    private final int pooledH;
    private final int pooledW;
    private final double spatialScale;

    MaxRoiPool(Node node) {
        super(node);
        int[] pooled = node.attributes().getInts("pooled_shape", null);
        if (pooled == null) {
            throw new IllegalArgumentException("required attribute 'pooled_shape' is missing");
        }
        if (pooled.length != 2 || pooled[0] <= 0 || pooled[1] <= 0) {
            throw new IllegalArgumentException("attribute 'pooled_shape' = " + java.util.Arrays.toString(pooled)
                    + "; expected two positive values [height, width]");
        }
        this.pooledH = pooled[0];
        this.pooledW = pooled[1];
        this.spatialScale = node.attributes().getFloat("spatial_scale", 1f);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Tensor rois = required(inputs, 1);
        if (!TYPES.contains(x.dtype()) || rois.dtype() != x.dtype()) {
            throw new IllegalArgumentException("inputs X and rois are " + x.dtype().onnxName() + " and "
                    + rois.dtype().onnxName() + "; expected one of float16, float, double for both");
        }
        if (x.rank() != 4) {
            throw new IllegalArgumentException("input X has shape " + Shapes.toString(x.shape())
                    + "; expected [N, C, H, W]");
        }
        if (rois.rank() != 2 || rois.dim(1) != 5) {
            throw new IllegalArgumentException("input rois has shape " + Shapes.toString(rois.shape())
                    + "; expected [num_rois, 5] (batch_index, x1, y1, x2, y2)");
        }
        int n = x.dim(0);
        int c = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        int numRois = rois.dim(0);
        int[] batch = new int[numRois];
        for (int r = 0; r < numRois; r++) {
            double b = rois.getDouble(r * 5);
            if (!(b >= 0 && b < n) || b != Math.floor(b)) {
                throw new IllegalArgumentException("rois[" + r + "] has batch index " + b + ", outside [0, " + n + ")");
            }
            batch[r] = (int) b;
        }
        Tensor y = Tensor.zeros(x.dtype(), numRois, c, pooledH, pooledW);
        if (y.size() == 0) {
            return outputs(y);
        }
        Access.Reader xr = Access.reader(x);
        Access.Reader rr = Access.reader(rois);
        Access.Writer yw = Access.writer(y);
        ctx.device().parallelFor(numRois * c, (long) pooledH * pooledW * 16, (s, e) -> {
            for (int task = s; task < e; task++) {
                int r = task / c;
                int ch = task % c;
                int startW = (int) roundHalfAway(rr.get(r * 5 + 1) * spatialScale);
                int startH = (int) roundHalfAway(rr.get(r * 5 + 2) * spatialScale);
                int endW = (int) roundHalfAway(rr.get(r * 5 + 3) * spatialScale);
                int endH = (int) roundHalfAway(rr.get(r * 5 + 4) * spatialScale);
                int roiW = Math.max(endW - startW + 1, 1);
                int roiH = Math.max(endH - startH + 1, 1);
                double binH = (double) roiH / pooledH;
                double binW = (double) roiW / pooledW;
                int base = (batch[r] * c + ch) * h * w;
                for (int ph = 0; ph < pooledH; ph++) {
                    int hs = clamp((int) Math.floor(ph * binH) + startH, h);
                    int he = clamp((int) Math.ceil((ph + 1) * binH) + startH, h);
                    for (int pw = 0; pw < pooledW; pw++) {
                        int ws = clamp((int) Math.floor(pw * binW) + startW, w);
                        int we = clamp((int) Math.ceil((pw + 1) * binW) + startW, w);
                        double m = 0;
                        if (he > hs && we > ws) {
                            m = Double.NEGATIVE_INFINITY;
                            for (int yy = hs; yy < he; yy++) {
                                for (int xx = ws; xx < we; xx++) {
                                    m = Math.max(m, xr.get(base + yy * w + xx));
                                }
                            }
                        }
                        yw.set((task * pooledH + ph) * pooledW + pw, m);
                    }
                }
            }
        });
        return outputs(y);
    }

    private static int clamp(int v, int size) {
        return Math.min(Math.max(v, 0), size);
    }

    /** C's round(): halves away from zero. */
    private static double roundHalfAway(double v) {
        return Math.signum(v) * Math.floor(Math.abs(v) + 0.5);
    }
}
