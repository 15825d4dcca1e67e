package dev.sonnx.runtime.ops.signal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SignalOpsTest {

    /** The O(n^2) definition: X[k] = sum_j x[j] e^{-+2 pi i jk/n} (/ n when inverse). */
    private static double[][] naiveDft(double[] re, double[] im, int n, boolean inverse) {
        double[][] out = new double[2][n];
        double sign = inverse ? 1 : -1;
        for (int k = 0; k < n; k++) {
            double sr = 0;
            double si = 0;
            for (int j = 0; j < Math.min(n, re.length); j++) {
                double a = sign * 2 * Math.PI * ((long) j * k % n) / n;
                sr += re[j] * Math.cos(a) - im[j] * Math.sin(a);
                si += re[j] * Math.sin(a) + im[j] * Math.cos(a);
            }
            out[0][k] = inverse ? sr / n : sr;
            out[1][k] = inverse ? si / n : si;
        }
        return out;
    }

    private static double[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextDouble(-1, 1);
        }
        return v;
    }

    @Test
    void dftMatchesDefinitionForManyLengths() {
        // powers of two (radix-2) and others (Bluestein), small and large
        for (int n : new int[] {1, 2, 3, 5, 7, 8, 12, 64, 100, 257, 1000, 4099}) {
            double[] re = random(n, n);
            double[] im = random(n + 7, n);
            double[] interleaved = new double[2 * n];
            for (int i = 0; i < n; i++) {
                interleaved[2 * i] = re[i];
                interleaved[2 * i + 1] = im[i];
            }
            Tensor x = Tensor.of(interleaved, 1, n, 2);
            for (boolean inverse : new boolean[] {false, true}) {
                Tensor y = OpTester.of("DFT", 17).attr("inverse", inverse ? 1L : 0L).inputs(1).run(x)[0];
                double[][] e = naiveDft(re, im, n, inverse);
                double tol = 1e-9 * Math.max(1, inverse ? 1 : n);
                for (int k = 0; k < n; k++) {
                    assertEquals(e[0][k], y.getDouble(2 * k), tol, "n=" + n + " re[" + k + "]");
                    assertEquals(e[1][k], y.getDouble(2 * k + 1), tol, "n=" + n + " im[" + k + "]");
                }
            }
        }
    }

    @Test
    void realInputOnesidedAndLength() {
        double[] re = {1, 2, 0, -1, 3};
        Tensor x = Tensor.of(re, 1, 5, 1);
        // dft_length 8 zero-pads; onesided keeps 8 / 2 + 1 = 5 bins
        Tensor y = OpTester.of("DFT", 17).attr("onesided", 1L).inputs(2).run(x, Tensor.of(new long[] {8}))[0];
        assertArrayEquals(new int[] {1, 5, 2}, y.shape());
        double[][] e = naiveDft(re, new double[5], 8, false);
        for (int k = 0; k < 5; k++) {
            assertEquals(e[0][k], y.getDouble(2 * k), 1e-12);
            assertEquals(e[1][k], y.getDouble(2 * k + 1), 1e-12);
        }
        // dft_length 3 truncates
        Tensor z = OpTester.of("DFT", 17).inputs(2).run(x, Tensor.of(new int[] {3}, 1))[0];
        double[][] t = naiveDft(new double[] {1, 2, 0}, new double[3], 3, false);
        assertEquals(t[0][1], z.getDouble(2), 1e-12);
        assertEquals(t[1][2], z.getDouble(5), 1e-12);
    }

    @Test
    void axisAttributeAndInput() {
        // x[b, i, j, 0] = i + 10 j; the DFT along axis 1 (i) of each column j, and along axis 2
        double[] v = new double[3 * 4];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                v[i * 4 + j] = i + 10 * j;
            }
        }
        Tensor x = Tensor.of(v, 1, 3, 4, 1);
        Tensor a1 = OpTester.of("DFT", 17).inputs(1).run(x)[0];
        Tensor a2 = OpTester.of("DFT", 17).attr("axis", 2L).inputs(1).run(x)[0];
        Tensor b2 = OpTester.of("DFT", 20).inputs("x", "", "a").run(x, null, Tensor.of(new long[] {-2}))[0];
        Tensor b1 = OpTester.of("DFT", 20).inputs("x", "", "a").run(x, null, Tensor.of(new long[] {1}))[0];
        for (int j = 0; j < 4; j++) {
            double[] col = {10 * j, 1 + 10 * j, 2 + 10 * j};
            double[][] e = naiveDft(col, new double[3], 3, false);
            for (int k = 0; k < 3; k++) {
                assertEquals(e[0][k], a1.getDouble((k * 4 + j) * 2), 1e-9);
                assertEquals(e[1][k], a1.getDouble((k * 4 + j) * 2 + 1), 1e-9);
            }
        }
        for (int i = 0; i < 3; i++) {
            double[] row = {i, i + 10, i + 20, i + 30};
            double[][] e = naiveDft(row, new double[4], 4, false);
            for (int k = 0; k < 4; k++) {
                assertEquals(e[0][k], a2.getDouble((i * 4 + k) * 2), 1e-9);
                assertEquals(e[1][k], a2.getDouble((i * 4 + k) * 2 + 1), 1e-9);
            }
        }
        assertArrayEquals(a2.toDoubleArray(), b2.toDoubleArray());
        assertArrayEquals(a1.toDoubleArray(), b1.toDoubleArray());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("DFT", 17).attr("axis", 3L).inputs(1).run(x));
    }

    @Test
    void dftFloat16AndRoundTrip() {
        Tensor x = Tensor.fromDoubles(DataType.FLOAT16, new double[] {1, 0, 2, 0, 3, 0, 4, 0}, 4, 2);
        Tensor y = OpTester.of("DFT", 20).inputs("x", "", "a").run(x, null, Tensor.of(new long[] {0}))[0];
        assertEquals(DataType.FLOAT16, y.dtype());
        assertEquals(10, y.getDouble(0), 0);
        Tensor back = OpTester.of("DFT", 20).attr("inverse", 1L).inputs("x", "", "a")
                .run(y, null, Tensor.of(new long[] {0}))[0];
        assertArrayEquals(x.toDoubleArray(), back.toDoubleArray(), 1e-3);
    }

    @Test
    void stftMatchesFramedDft() {
        double[] sig = random(3, 20);
        double[] win = {0.5, 1, 1, 0.5, 0.25, 0.1};
        Tensor x = Tensor.of(sig, 1, 20, 1);
        Tensor y = OpTester.of("STFT", 17).inputs(3).run(x, Tensor.of(new long[] {4}), Tensor.of(win, 6))[0];
        // frames: 1 + (20 - 6) / 4 = 4; bins 6 / 2 + 1 = 4
        assertArrayEquals(new int[] {1, 4, 4, 2}, y.shape());
        for (int f = 0; f < 4; f++) {
            double[] frame = new double[6];
            for (int j = 0; j < 6; j++) {
                frame[j] = sig[f * 4 + j] * win[j];
            }
            double[][] e = naiveDft(frame, new double[6], 6, false);
            for (int k = 0; k < 4; k++) {
                assertEquals(e[0][k], y.getDouble((f * 4 + k) * 2), 1e-12);
                assertEquals(e[1][k], y.getDouble((f * 4 + k) * 2 + 1), 1e-12);
            }
        }
        Tensor two = OpTester.of("STFT", 17).attr("onesided", 0L).inputs("s", "h", "", "l")
                .run(x, Tensor.of(new long[] {5}), null, Tensor.of(new long[] {5}))[0];
        assertArrayEquals(new int[] {1, 4, 5, 2}, two.shape());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("STFT", 17).inputs(2)
                .run(x, Tensor.of(new long[] {4})));
    }

    @Test
    void dftGradients() {
        Tensor real = GradCheck.random(1, -1, 1, 2, 6, 3, 1);
        Tensor complex = GradCheck.random(2, -1, 1, 2, 5, 2);
        for (long inverse : new long[] {0, 1}) {
            for (long onesided : new long[] {0, 1}) {
                GradCheck.of(OpTester.of("DFT", 17).attr("inverse", inverse).attr("onesided", onesided).inputs(1)
                        .build()).check(new Tensor[] {real}, 0);
                GradCheck.of(OpTester.of("DFT", 20).attr("inverse", inverse).attr("onesided", onesided)
                        .inputs(3).build()).check(new Tensor[] {complex, Tensor.of(new long[] {7}), Tensor.of(new long[] {1})}, 0);
            }
        }
        // truncation (dft_length below the signal length) along the last signal axis
        GradCheck.of(OpTester.of("DFT", 17).attr("axis", 2L).inputs(2).build())
                .check(new Tensor[] {real, Tensor.of(new long[] {2})}, 0);
    }

    @Test
    void stftGradients() {
        Tensor signal = GradCheck.random(3, -1, 1, 2, 13, 1);
        Tensor window = GradCheck.random(4, 0, 1, 5);
        GradCheck.of(OpTester.of("STFT", 17).inputs(3).build())
                .check(new Tensor[] {signal, Tensor.of(new long[] {3}), window}, 0, 2);
        GradCheck.of(OpTester.of("STFT", 17).attr("onesided", 0L).inputs(3).build())
                .check(new Tensor[] {GradCheck.random(5, -1, 1, 1, 11, 2), Tensor.of(new long[] {2}), window}, 0, 2);
        GradCheck.of(OpTester.of("STFT", 17).inputs("s", "h", "", "l").build())
                .check(new Tensor[] {signal, Tensor.of(new long[] {4}), null, Tensor.of(new long[] {6})}, 0);
    }

    @Test
    void windowsByHand() {
        Tensor hann = OpTester.of("HannWindow", 17).inputs(1).run(Tensor.of(new long[] {4}))[0];
        assertArrayEquals(new double[] {0, 0.5, 1, 0.5}, hann.toDoubleArray(), 1e-7);
        Tensor hamming = OpTester.of("HammingWindow", 17).attr("periodic", 0L).attr("output_datatype", 11L)
                .inputs(1).run(Tensor.of(new int[] {3}, 1))[0];
        assertEquals(DataType.DOUBLE, hamming.dtype());
        assertArrayEquals(new double[] {4.0 / 46, 1, 4.0 / 46}, hamming.toDoubleArray(), 1e-15);
        Tensor blackman = OpTester.of("BlackmanWindow", 17).inputs(1).run(Tensor.of(new long[] {4}))[0];
        assertArrayEquals(new double[] {0, 0.34, 1, 0.34}, blackman.toDoubleArray(), 1e-7);
        Tensor one = OpTester.of("HannWindow", 17).attr("periodic", 0L).inputs(1).run(Tensor.of(new long[] {1}))[0];
        assertArrayEquals(new double[] {1}, one.toDoubleArray());
        Tensor empty = OpTester.of("HannWindow", 17).inputs(1).run(Tensor.of(new long[] {0}))[0];
        assertEquals(0, empty.size());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("HannWindow", 17).attr("output_datatype", 8L)
                .build());
    }

    @Test
    void melWeightMatrixByHand() {
        // 1 mel bin over [0, 4] Hz at 8 Hz with dft_length 8: mel points at 0, 1/3, 2/3 of mel(4 Hz)
        // are 0, 1.33 and 2.66 Hz, i.e. bins floor(9 f / 8) = 0, 1, 2: a triangle peaking at bin 1
        Tensor y = OpTester.of("MelWeightMatrix", 17).inputs(5).run(Tensor.of(new long[] {1}),
                Tensor.of(new long[] {8}), Tensor.of(new long[] {8}), Tensor.scalar(0f), Tensor.scalar(4f))[0];
        assertArrayEquals(new int[] {5, 1}, y.shape());
        assertArrayEquals(new float[] {0, 1, 0, 0, 0}, y.toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("MelWeightMatrix", 17).inputs(5).run(
                Tensor.of(new long[] {1}), Tensor.of(new long[] {8}), Tensor.of(new long[] {8}), Tensor.scalar(0f),
                Tensor.scalar(5f)));
    }
}
