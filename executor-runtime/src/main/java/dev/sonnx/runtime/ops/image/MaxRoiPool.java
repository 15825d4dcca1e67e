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
        ElementAccess.Reader xr = ElementAccess.reader(x);
        ElementAccess.Writer yw = ElementAccess.writer(y);
        int[][] boxes = boxes(rois);
        ctx.device().parallelFor(numRois * c, (long) pooledH * pooledW * 16, (s, e) -> {
            for (int task = s; task < e; task++) {
                int r = task / c;
                int base = (batch[r] * c + task % c) * h * w;
                for (int ph = 0; ph < pooledH; ph++) {
                    for (int pw = 0; pw < pooledW; pw++) {
                        int at = argmax(xr, base, h, w, boxes[r], ph, pw);
                        yw.set((task * pooledH + ph) * pooledW + pw, at < 0 ? 0 : xr.get(base + at));
                    }
                }
            }
        });
        return outputs(y);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /** Each bin's gradient goes to the element that was its maximum; split by channel, so no races. */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] res = new Tensor[2];
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0)) {
            return res;
        }
        Tensor x = g.input(0);
        Tensor rois = g.input(1);
        int c = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        int numRois = rois.dim(0);
        int[][] boxes = boxes(rois);
        Tensor gx = Tensor.zeros(x.dtype() == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT, x.shape());
        ElementAccess.Reader xr = ElementAccess.reader(x);
        ElementAccess.Reader gyr = ElementAccess.reader(gy);
        ElementAccess.Reader gxr = ElementAccess.reader(gx);
        ElementAccess.Writer gxw = ElementAccess.writer(gx);
        g.device().parallelFor(c, (long) numRois * pooledH * pooledW * 16, (s, e) -> {
            for (int ch = s; ch < e; ch++) {
                for (int r = 0; r < numRois; r++) {
                    int base = ((int) rois.getDouble(r * 5) * c + ch) * h * w;
                    for (int ph = 0; ph < pooledH; ph++) {
                        for (int pw = 0; pw < pooledW; pw++) {
                            int at = argmax(xr, base, h, w, boxes[r], ph, pw);
                            if (at >= 0) {
                                double gv = gyr.get(((r * c + ch) * pooledH + ph) * pooledW + pw);
                                gxw.set(base + at, gxr.get(base + at) + gv);
                            }
                        }
                    }
                }
            }
        });
        res[0] = Access.toType(gx, x.dtype());
        return res;
    }

    /** Per region, its rounded corner and size: {start_h, start_w, height, width}. */
    private int[][] boxes(Tensor rois) {
        ElementAccess.Reader rr = ElementAccess.reader(rois);
        int[][] boxes = new int[rois.dim(0)][];
        for (int r = 0; r < boxes.length; r++) {
            int startW = (int) roundHalfAway(rr.get(r * 5 + 1) * spatialScale);
            int startH = (int) roundHalfAway(rr.get(r * 5 + 2) * spatialScale);
            int endW = (int) roundHalfAway(rr.get(r * 5 + 3) * spatialScale);
            int endH = (int) roundHalfAway(rr.get(r * 5 + 4) * spatialScale);
            boxes[r] = new int[] {startH, startW, Math.max(endH - startH + 1, 1), Math.max(endW - startW + 1, 1)};
        }
        return boxes;
    }

    /** The offset (in the h x w image) of the first maximum of bin (ph, pw), or -1 for an empty bin. */
    private int argmax(ElementAccess.Reader xr, int base, int h, int w, int[] box, int ph, int pw) {
        double binH = (double) box[2] / pooledH;
        double binW = (double) box[3] / pooledW;
        int hs = clamp((int) Math.floor(ph * binH) + box[0], h);
        int he = clamp((int) Math.ceil((ph + 1) * binH) + box[0], h);
        int ws = clamp((int) Math.floor(pw * binW) + box[1], w);
        int we = clamp((int) Math.ceil((pw + 1) * binW) + box[1], w);
        int best = -1;
        double m = Double.NEGATIVE_INFINITY;
        for (int yy = hs; yy < he; yy++) {
            for (int xx = ws; xx < we; xx++) {
                double v = xr.get(base + yy * w + xx);
                if (best < 0 || v > m) {
                    m = v;
                    best = yy * w + xx;
                }
            }
        }
        return best;
    }

    private static int clamp(int v, int size) {
        return Math.min(Math.max(v, 0), size);
    }

    /** C's round(): halves away from zero. */
    private static double roundHalfAway(double v) {
        return Math.signum(v) * Math.floor(Math.abs(v) + 0.5);
    }
}
