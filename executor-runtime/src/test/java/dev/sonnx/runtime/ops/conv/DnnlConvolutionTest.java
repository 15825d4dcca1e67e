package dev.sonnx.runtime.ops.conv;

import static dev.sonnx.runtime.testing.TestTensors.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.ops.conv.dnnl.Dnnl;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlConvolution;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The oneDNN float32 path against the generic im2col + GEMM kernel on the same inputs. */
class DnnlConvolutionTest {

    @Test
    void oneDnnLoadsHere() {
        assertTrue(Dnnl.available(), () -> "oneDNN did not load: " + Dnnl.unavailableReason());
    }

    @Test
    void matchesTheGenericKernelOnRandomGeometries() {
        SplittableRandom r = new SplittableRandom(51);
        for (int i = 0; i < 40; i++) {
            ConvTest.Case k = ConvTest.randomCase(r);
            int[][] pads = k.effectivePads();
            Window w = new Window(k.image(), k.kernel(), k.strides(), k.dilations(), pads[0], pads[1], k.outSpatial());
            int[] yShape = ConvTest.concat(k.n(), k.m(), w.positions());
            DnnlConvolution dnnl = DnnlConvolution.create(k.xShape(), k.wShape(), yShape, k.group(), k.bias(),
                    w.strides(), w.dilations(), w.padBegin(), w.padEnd());
            assertNotNull(dnnl, "oneDNN refused " + k);
            Tensor x = random(600 + i, k.xShape());
            Tensor wt = random(700 + i, k.wShape());
            Tensor b = k.bias() ? random(800 + i, k.m()) : null;
            Tensor viaDnnl = Tensor.zeros(DataType.FLOAT, yShape);
            dnnl.forward(x, wt, b, viaDnnl);
            Tensor generic = Tensor.zeros(DataType.FLOAT, yShape);
            if (b != null) {
                int p = w.positionCount();
                for (int n = 0; n < k.n(); n++) {
                    Arith.F32.fillRows(b.floats(), 0, k.m(), p, generic.floats(), n * k.m() * p);
                }
            }
            new ConvGemm(Arith.F32, w, k.n(), k.group(), k.c() / k.group(), k.m() / k.group())
                    .imageToPositions(x.floats(), wt.floats(), generic.floats(), b != null, CpuDevice.get());
            ConvTest.assertClose(generic.toDoubleArray(), viaDnnl, 1e-5, 1e-5, k.toString());
        }
    }

    @Test
    void backwardMatchesTheGenericKernelOnRandomGeometries() {
        SplittableRandom r = new SplittableRandom(52);
        for (int i = 0; i < 25; i++) {
            ConvTest.Case k = ConvTest.randomCase(r);
            int[][] pads = k.effectivePads();
            Window w = new Window(k.image(), k.kernel(), k.strides(), k.dilations(), pads[0], pads[1], k.outSpatial());
            int[] yShape = ConvTest.concat(k.n(), k.m(), w.positions());
            DnnlConvolution dnnl = DnnlConvolution.create(k.xShape(), k.wShape(), yShape, k.group(), false,
                    w.strides(), w.dilations(), w.padBegin(), w.padEnd());
            Tensor x = random(1200 + i, k.xShape());
            Tensor wt = random(1300 + i, k.wShape());
            Tensor gy = random(1400 + i, yShape);
            ConvGemm gemm = new ConvGemm(Arith.F32, w, k.n(), k.group(), k.c() / k.group(), k.m() / k.group());

            Tensor gx = Tensor.zeros(DataType.FLOAT, k.xShape());
            assertTrue(dnnl.backwardData(gy, wt, gx), "no backward data for " + k);
            Tensor gxGeneric = Tensor.zeros(DataType.FLOAT, k.xShape());
            gemm.positionsToImage(gy.floats(), wt.floats(), gxGeneric.floats(), CpuDevice.get());
            ConvTest.assertClose(gxGeneric.toDoubleArray(), gx, 1e-5, 1e-5, "dX " + k);

            Tensor gw = Tensor.zeros(DataType.FLOAT, k.wShape());
            assertTrue(dnnl.backwardWeights(x, gy, gw), "no backward weights for " + k);
            Tensor gwGeneric = Tensor.zeros(DataType.FLOAT, k.wShape());
            gemm.weightGradient(gy.floats(), x.floats(), gwGeneric.floats(), CpuDevice.get());
            ConvTest.assertClose(gwGeneric.toDoubleArray(), gw, 1e-4, 1e-4, "dW " + k);
        }
    }

    @Test
    void float32GradientsThroughTheOperator() {
        // loose float32 finite differences: the operator's backward (oneDNN) agrees with its forward
        GradCheck.of(OpTester.of("Conv", 11).inputs(3).attr("group", 2).attrInts("strides", 2, 1)
                .attrInts("pads", 1, 0, 0, 1).attrInts("dilations", 1, 2).build())
                .tolerance(1e-2, 2e-3, 2e-2)
                .check(new Tensor[] {random(1500, 2, 4, 6, 7), random(1501, 6, 2, 3, 2), random(1502, 6)}, 0, 1, 2);
    }

    /**
     * A pointwise convolution's float32 dW comes from one batched matrix product
     * ({@link PointwiseWeightGradient}): against dW[m][c] = sum over images and positions of
     * dY[n][m][p] X[n][c][p] in double, for one image and several, over one to three spatial
     * dimensions (dW of more than one summing block included); dX and dB through the operator too.
     */
    @Test
    void pointwiseWeightGradientIsTheBatchedProduct() {
        int[][] shapes = {{1, 5, 7}, {4, 3, 6, 5}, {3, 16, 2, 3, 4}, {2, 33, 40, 3}, {3, 160, 3, 3}};
        for (int[] xShape : shapes) {
            int n = xShape[0];
            int c = xShape[1];
            int m = 7;
            int p = 1;
            for (int d = 2; d < xShape.length; d++) {
                p *= xShape[d];
            }
            int[] wShape = new int[xShape.length];
            java.util.Arrays.fill(wShape, 1);
            wShape[0] = m;
            wShape[1] = c;
            int[] yShape = xShape.clone();
            yShape[1] = m;
            Tensor x = random(1600 + c, xShape);
            Tensor w = random(1700 + c, wShape);
            Tensor gy = random(1800 + c, yShape);
            dev.sonnx.runtime.ops.Operator op = OpTester.of("Conv", 11).inputs(3).build();
            Tensor b = random(1900 + c, m);
            Tensor y = (Tensor) op.forward(new Tensor[] {x, w, b}, dev.sonnx.runtime.testing.TestContext.inference())[0];
            Tensor[] grads = op.backward(new dev.sonnx.runtime.ops.BackwardContext(new Tensor[] {x, w, b},
                    new Tensor[] {y}, new Tensor[] {gy}, new boolean[] {true, true, true}, null,
                    new dev.sonnx.runtime.testing.TestContext(true)));
            double[] gw = new double[m * c];
            double[] gx = new double[x.size()];
            double[] gb = new double[m];
            for (int img = 0; img < n; img++) {
                for (int mm = 0; mm < m; mm++) {
                    for (int q = 0; q < p; q++) {
                        double dy = gy.getDouble((img * m + mm) * p + q);
                        gb[mm] += dy;
                        for (int cc = 0; cc < c; cc++) {
                            gw[mm * c + cc] += dy * x.getDouble((img * c + cc) * p + q);
                            gx[(img * c + cc) * p + q] += dy * w.getDouble(mm * c + cc);
                        }
                    }
                }
            }
            String what = java.util.Arrays.toString(xShape);
            org.junit.jupiter.api.Assertions.assertArrayEquals(wShape, grads[1].shape(), what);
            ConvTest.assertClose(gw, grads[1], 1e-4, 1e-4, "dW " + what);
            ConvTest.assertClose(gx, grads[0], 1e-4, 1e-4, "dX " + what);
            ConvTest.assertClose(gb, grads[2], 1e-4, 1e-4, "dB " + what);
        }
    }

    /**
     * A channels-last convolution whose weights dwarf the caches runs on oneDNN's channel-blocked
     * layout with reorders around it (DnnlConvolution's blocked detour): against a double reference,
     * with channel counts that are not whole blocks (the blocked layout pads them), for a batch that
     * takes the detour and one that does not.
     */
    @Test
    void largeChannelsLastConvolutionsMatchOnBlockedData() {
        int c = 1000;
        int m = 1000;
        int[] wShape = {m, c, 2, 3};   // 24 MB of float32 weights
        double[] w = ConvReference.random(2100, ConvReference.size(wShape));
        double[] bias = ConvReference.random(2101, m);
        for (int n : new int[] {4, 1}) {
            int[] xShape = {n, c, 2, 4};
            int[] yShape = {n, m, 1, 2};
            double[] x = ConvReference.random(2102 + n, ConvReference.size(xShape));
            // Y[i, o, 0, q] = B[o] + sum over c, kh, kw of X[i, c, kh, q + kw] W[o, c, kh, kw]
            double[] expected = new double[n * m * 2];
            for (int i = 0; i < n; i++) {
                for (int o = 0; o < m; o++) {
                    for (int q = 0; q < 2; q++) {
                        double sum = bias[o];
                        for (int ch = 0; ch < c; ch++) {
                            for (int kh = 0; kh < 2; kh++) {
                                for (int kw = 0; kw < 3; kw++) {
                                    sum += x[((i * c + ch) * 2 + kh) * 4 + q + kw] * w[((o * c + ch) * 2 + kh) * 3 + kw];
                                }
                            }
                        }
                        expected[(i * m + o) * 2 + q] = sum;
                    }
                }
            }
            DnnlConvolution dnnl = DnnlConvolution.create(xShape, wShape, yShape, 1, true, new int[] {1, 1},
                    new int[] {1, 1}, new int[] {0, 0}, new int[] {0, 0},
                    dev.sonnx.runtime.ops.conv.dnnl.PostOps.NONE, true);
            assertNotNull(dnnl, "oneDNN refused the convolution");
            assertEquals(n >= 4, dnnl.runsOnBlockedData(), "batch " + n);
            Tensor xt = ChannelsLast.toLast(Tensor.fromDoubles(DataType.FLOAT, x, xShape), CpuDevice.get());
            Tensor y = Tensor.uninitialized(DataType.FLOAT, ChannelsLast.physical(yShape));
            dnnl.forward(xt, Tensor.fromDoubles(DataType.FLOAT, w, wShape), Tensor.fromDoubles(DataType.FLOAT, bias, m),
                    y);
            ConvTest.assertClose(expected, ChannelsLast.toFirst(y, CpuDevice.get()), 1e-4, 1e-4, "batch " + n);
        }
    }

    @Test
    void negativePaddingFallsBackToTheGenericKernel() {
        assertNull(DnnlConvolution.create(new int[] {1, 1, 6}, new int[] {1, 1, 2}, new int[] {1, 1, 4}, 1, false,
                new int[] {1}, new int[] {1}, new int[] {-1}, new int[] {0}));
        // and the operator still computes it: x = 1..6, w = [1, 1], pads [-1, 0] skip x[0]
        Tensor y = OpTester.of("Conv", 11).inputs(2).attrInts("pads", -1, 0)
                .run(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 1, 1, 6), Tensor.of(new float[] {1, 1}, 1, 1, 2))[0];
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {5, 7, 9, 11}, y.toFloatArray());
    }

    @Test
    void emptyTensorsAreLeftToTheGenericKernel() {
        assertNull(DnnlConvolution.create(new int[] {0, 1, 6}, new int[] {1, 1, 2}, new int[] {0, 1, 5}, 1, false,
                new int[] {1}, new int[] {1}, new int[] {0}, new int[] {0}));
    }

    @Test
    void fourSpatialDimensionsAreLeftToTheGenericKernel() {
        assertNull(DnnlConvolution.create(new int[] {1, 1, 2, 2, 2, 2}, new int[] {1, 1, 1, 1, 1, 1},
                new int[] {1, 1, 2, 2, 2, 2}, 1, false, new int[] {1, 1, 1, 1}, new int[] {1, 1, 1, 1},
                new int[4], new int[4]));
    }
}
