package dev.sonnx.runtime.ops.image;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;

/**
 * NonMaxSuppression (10, 11): per batch and class, greedily keeps the highest-scoring boxes whose
 * score exceeds score_threshold, dropping each box whose IoU with an already kept one exceeds
 * iou_threshold, up to max_output_boxes_per_class (0, the default, keeps none). Output rows are
 * {@code [batch, class, box]} in batch, class, then selection order. Equal scores keep the lower
 * box index first. Boxes are {@code [y1, x1, y2, x2]} with corners in either order
 * (center_point_box = 0) or {@code [x_center, y_center, width, height]} (1); boxes of zero area
 * never suppress or get suppressed.
 */
final class NonMaxSuppression extends Operator {
    private final boolean centerPoint;

    NonMaxSuppression(Node node) {
        super(node);
        int v = node.attributes().getInt("center_point_box", 0);
        if (v != 0 && v != 1) {
            throw new IllegalArgumentException("attribute 'center_point_box' must be 0 or 1, got " + v);
        }
        this.centerPoint = v == 1;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor boxes = required(inputs, 0);
        Tensor scores = required(inputs, 1);
        if (boxes.dtype() != DataType.FLOAT || scores.dtype() != DataType.FLOAT) {
            throw new IllegalArgumentException("inputs boxes and scores are " + boxes.dtype().onnxName() + " and "
                    + scores.dtype().onnxName() + "; expected float");
        }
        if (boxes.rank() != 3 || boxes.dim(2) != 4) {
            throw new IllegalArgumentException("input boxes has shape " + Shapes.toString(boxes.shape())
                    + "; expected [num_batches, spatial_dimension, 4]");
        }
        int batches = boxes.dim(0);
        int count = boxes.dim(1);
        if (scores.rank() != 3 || scores.dim(0) != batches || scores.dim(2) != count) {
            throw new IllegalArgumentException("input scores has shape " + Shapes.toString(scores.shape())
                    + "; expected [" + batches + ", num_classes, " + count + "]");
        }
        int classes = scores.dim(1);
        long maxOut = 0;
        Tensor t = tensor(inputs, 2);
        if (t != null && t.size() > 0) {
            if (t.dtype() != DataType.INT64 || t.size() != 1) {
                throw new IllegalArgumentException("input max_output_boxes_per_class is " + t.describe()
                        + "; expected an int64 scalar");
            }
            maxOut = Math.max(0, t.getLong(0));
        }
        double iouThreshold = floatScalar(inputs, 3, "iou_threshold", 0);
        if (iouThreshold < 0 || iouThreshold > 1) {
            throw new IllegalArgumentException("input iou_threshold = " + iouThreshold + " is outside [0, 1]");
        }
        Tensor st = tensor(inputs, 4);
        boolean hasScoreThreshold = st != null && st.size() > 0;
        double scoreThreshold = floatScalar(inputs, 4, "score_threshold", 0);

        // boxes as [ymin, xmin, ymax, xmax] and their areas
        int nb = batches * count;
        double[] corners = new double[nb * 4];
        double[] area = new double[nb];
        var bf = boxes.floats();
        for (int i = 0; i < nb; i++) {
            double a = bf.get(i * 4);
            double b = bf.get(i * 4 + 1);
            double c = bf.get(i * 4 + 2);
            double d = bf.get(i * 4 + 3);
            if (centerPoint) {
                // [x_center, y_center, width, height]
                corners[i * 4] = b - d / 2;
                corners[i * 4 + 1] = a - c / 2;
                corners[i * 4 + 2] = b + d / 2;
                corners[i * 4 + 3] = a + c / 2;
            } else {
                corners[i * 4] = Math.min(a, c);
                corners[i * 4 + 1] = Math.min(b, d);
                corners[i * 4 + 2] = Math.max(a, c);
                corners[i * 4 + 3] = Math.max(b, d);
            }
            area[i] = (corners[i * 4 + 2] - corners[i * 4]) * (corners[i * 4 + 3] - corners[i * 4 + 1]);
        }
        var sf = scores.floats();
        long[] selected = new long[0];
        int selectedCount = 0;
        long[] order = new long[count];
        int[] kept = new int[(int) Math.min(maxOut, count)];
        for (int b = 0; b < batches && maxOut > 0; b++) {
            for (int c = 0; c < classes; c++) {
                int so = (b * classes + c) * count;
                int candidates = 0;
                for (int i = 0; i < count; i++) {
                    float s = sf.get(so + i);
                    if (!hasScoreThreshold || s > scoreThreshold) {
                        order[candidates++] = sortKey(s, i);
                    }
                }
                Arrays.sort(order, 0, candidates);
                int nk = 0;
                for (int k = 0; k < candidates && nk < kept.length; k++) {
                    int box = b * count + (int) order[k];
                    boolean keep = true;
                    for (int j = 0; j < nk && keep; j++) {
                        keep = !(iou(corners, area, box, kept[j]) > iouThreshold);
                    }
                    if (keep) {
                        kept[nk++] = box;
                    }
                }
                if (selectedCount + nk > selected.length / 3) {
                    selected = Arrays.copyOf(selected, Math.max(selected.length * 2, (selectedCount + nk) * 3));
                }
                for (int j = 0; j < nk; j++) {
                    int at = (selectedCount + j) * 3;
                    selected[at] = b;
                    selected[at + 1] = c;
                    selected[at + 2] = kept[j] - b * count;
                }
                selectedCount += nk;
            }
        }
        return outputs(Tensor.of(Arrays.copyOf(selected, selectedCount * 3), selectedCount, 3));
    }

    /**
     * A key whose ascending order is descending score, then ascending index: the float's bits made
     * to order like signed ints, complemented, above the index.
     */
    private static long sortKey(float score, int index) {
        int bits = Float.floatToIntBits(score);
        int ordered = bits ^ ((bits >> 31) & 0x7fffffff);
        return ((long) ~ordered << 32) | index;
    }

    private double floatScalar(Value[] inputs, int i, String name, double dflt) {
        Tensor t = tensor(inputs, i);
        if (t == null || t.size() == 0) {
            return dflt;
        }
        if (t.dtype() != DataType.FLOAT || t.size() != 1) {
            throw new IllegalArgumentException("input " + name + " is " + t.describe() + "; expected a float scalar");
        }
        return t.getDouble(0);
    }

    private static double iou(double[] b, double[] area, int i, int j) {
        if (area[i] <= 0 || area[j] <= 0) {
            return 0;
        }
        double ymin = Math.max(b[i * 4], b[j * 4]);
        double xmin = Math.max(b[i * 4 + 1], b[j * 4 + 1]);
        double ymax = Math.min(b[i * 4 + 2], b[j * 4 + 2]);
        double xmax = Math.min(b[i * 4 + 3], b[j * 4 + 3]);
        if (ymax <= ymin || xmax <= xmin) {
            return 0;
        }
        double inter = (ymax - ymin) * (xmax - xmin);
        return inter / (area[i] + area[j] - inter);
    }
}
