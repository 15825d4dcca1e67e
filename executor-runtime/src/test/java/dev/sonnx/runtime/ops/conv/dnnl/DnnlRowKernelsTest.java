package dev.sonnx.runtime.ops.conv.dnnl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** oneDNN's softmax and layer normalisation wrappers against the definitions, computed in double. */
class DnnlRowKernelsTest {

    /** Softmax and LogSoftmax along the middle axis of outer x length x inner, inner 1 and wider. */
    @Test
    void softmaxAlongAnyAxisMatchesTheDefinition() {
        int[][] layouts = {{32, 32, 1}, {3, 7, 5}, {2, 300, 1}, {1, 4, 33}};
        for (int[] l : layouts) {
            int outer = l[0];
            int length = l[1];
            int inner = l[2];
            Tensor x = random(40 + length, -8, 8, outer * length * inner);
            for (boolean log : new boolean[] {false, true}) {
                DnnlSoftmax softmax = DnnlSoftmax.create(outer, length, inner, log);
                assertNotNull(softmax, "oneDNN declined softmax " + java.util.Arrays.toString(l));
                Tensor y = Tensor.uninitialized(DataType.FLOAT, x.size());
                softmax.forward(x, y);
                for (int o = 0; o < outer; o++) {
                    for (int i = 0; i < inner; i++) {
                        double max = Double.NEGATIVE_INFINITY;
                        for (int k = 0; k < length; k++) {
                            max = Math.max(max, x.getDouble((o * length + k) * inner + i));
                        }
                        double sum = 0;
                        for (int k = 0; k < length; k++) {
                            sum += Math.exp(x.getDouble((o * length + k) * inner + i) - max);
                        }
                        for (int k = 0; k < length; k++) {
                            int at = (o * length + k) * inner + i;
                            double z = x.getDouble(at) - max;
                            double expected = log ? z - Math.log(sum) : Math.exp(z) / sum;
                            assertEquals(expected, y.getDouble(at), log ? 2e-5 : 1e-6,
                                    (log ? "log " : "") + java.util.Arrays.toString(l) + " element " + at);
                        }
                    }
                }
            }
        }
    }

    /** Rows standardised with their population variance, times the scale, plus the shift when there is one. */
    @Test
    void layerNormMatchesTheDefinition() {
        int rows = 37;
        for (int length : new int[] {128, 33}) {
            Tensor x = random(length, -3, 5, rows * length);
            Tensor scale = random(length + 1, 0.5, 1.5, length);
            Tensor shift = random(length + 2, -1, 1, length);
            for (boolean withShift : new boolean[] {true, false}) {
                DnnlLayerNorm ln = DnnlLayerNorm.create(rows, length, 1e-5f, withShift);
                assertNotNull(ln, "oneDNN declined layer normalization of " + rows + " x " + length);
                Tensor y = Tensor.uninitialized(DataType.FLOAT, x.size());
                ln.forward(x, scale, withShift ? shift : null, y);
                for (int r = 0; r < rows; r++) {
                    double mean = 0;
                    for (int j = 0; j < length; j++) {
                        mean += x.getDouble(r * length + j);
                    }
                    mean /= length;
                    double var = 0;
                    for (int j = 0; j < length; j++) {
                        double d = x.getDouble(r * length + j) - mean;
                        var += d * d;
                    }
                    var /= length;
                    for (int j = 0; j < length; j++) {
                        double expected = (x.getDouble(r * length + j) - mean) / Math.sqrt(var + 1e-5)
                                * scale.getDouble(j) + (withShift ? shift.getDouble(j) : 0);
                        assertEquals(expected, y.getDouble(r * length + j), 2e-5,
                                "row " + r + " column " + j + " of length " + length + (withShift ? "" : " without shift"));
                    }
                }
            }
        }
    }

    private static Tensor random(long seed, double lo, double hi, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        Tensor t = Tensor.uninitialized(DataType.FLOAT, n);
        for (int i = 0; i < n; i++) {
            t.setFloat(i, (float) r.nextDouble(lo, hi));
        }
        return t;
    }
}
