package dev.sonnx.runtime.ops.math;

import dev.sonnx.runtime.ops.kernel.Broadcast;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.FloatBuffer;

/**
 * Hand-written float32 loops for the elementwise operators that dominate real models (Add, Sub, Mul,
 * Div, Relu): the general path calls a function object per element, which the JIT cannot inline
 * at a call site shared by every operator, and costs about ten times more. Each loop here is
 * specialised on the operation and on the operands' row strides (both contiguous: same shapes; one
 * constant per row: a bias or a scalar), so it compiles to plain arithmetic on the buffers.
 */
final class FloatLoops {
    private FloatLoops() {
    }

    /** The binary operations with a hand-written loop. */
    enum Binary {
        ADD, SUB, MUL, DIV
    }

    /** out = a op b over the broadcast plan {@code bc} (float32 tensors; out dense of bc's shape). */
    static void binary(Binary op, Tensor a, Tensor b, Tensor out, Broadcast bc, Device device) {
        FloatBuffer x = a.floats();
        FloatBuffer y = b.floats();
        FloatBuffer o = out.floats();
        int sa = bc.rowStride(0);
        int sb = bc.rowStride(1);
        Spans.forEach(bc, 2, device, 1, (oo, off, len) -> {
            if (sa == 1 && sb == 1) {
                both(op, x, off[0], y, off[1], o, oo, len);
            } else if (sa == 1) {
                rightConstant(op, x, off[0], y.get(off[1]), o, oo, len);
            } else if (sb == 1) {
                leftConstant(op, x.get(off[0]), y, off[1], o, oo, len);
            } else {
                float v = apply(op, x.get(off[0]), y.get(off[1]));
                for (int j = 0; j < len; j++) {
                    o.put(oo + j, v);
                }
            }
        });
    }

    private static void both(Binary op, FloatBuffer x, int ia, FloatBuffer y, int ib, FloatBuffer o, int oo,
                             int len) {
        switch (op) {
            case ADD -> {
                for (int j = 0; j < len; j++) {
                    o.put(oo + j, x.get(ia + j) + y.get(ib + j));
                }
            }
            case SUB -> {
                for (int j = 0; j < len; j++) {
                    o.put(oo + j, x.get(ia + j) - y.get(ib + j));
                }
            }
            case MUL -> {
                for (int j = 0; j < len; j++) {
                    o.put(oo + j, x.get(ia + j) * y.get(ib + j));
                }
            }
            case DIV -> {
                for (int j = 0; j < len; j++) {
                    o.put(oo + j, x.get(ia + j) / y.get(ib + j));
                }
            }
        }
    }

    /** A row of a against one value of b (a bias along the row, or a scalar). */
    private static void rightConstant(Binary op, FloatBuffer x, int ia, float c, FloatBuffer o, int oo, int len) {
        switch (op) {
            case ADD -> {
                for (int j = 0; j < len; j++) {
                    o.put(oo + j, x.get(ia + j) + c);
                }
            }
            case SUB -> {
                for (int j = 0; j < len; j++) {
                    o.put(oo + j, x.get(ia + j) - c);
                }
            }
            case MUL -> {
                for (int j = 0; j < len; j++) {
                    o.put(oo + j, x.get(ia + j) * c);
                }
            }
            case DIV -> {
                // a / c, not a * (1 / c): the reciprocal would round differently
                for (int j = 0; j < len; j++) {
                    o.put(oo + j, x.get(ia + j) / c);
                }
            }
        }
    }

    /** One value of a against a row of b. */
    private static void leftConstant(Binary op, float c, FloatBuffer y, int ib, FloatBuffer o, int oo, int len) {
        switch (op) {
            case ADD -> {
                for (int j = 0; j < len; j++) {
                    o.put(oo + j, c + y.get(ib + j));
                }
            }
            case SUB -> {
                for (int j = 0; j < len; j++) {
                    o.put(oo + j, c - y.get(ib + j));
                }
            }
            case MUL -> {
                for (int j = 0; j < len; j++) {
                    o.put(oo + j, c * y.get(ib + j));
                }
            }
            case DIV -> {
                for (int j = 0; j < len; j++) {
                    o.put(oo + j, c / y.get(ib + j));
                }
            }
        }
    }

    private static float apply(Binary op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
        };
    }

    /** The unary functions with a hand-written float32 loop. */
    enum Unary {
        /** max(x, 0), NaN kept (as the general path's Math.max does). */
        RELU,
        TANH,
        ERF,
        /** x * Phi(x) = x (1 + erf(x / sqrt 2)) / 2. */
        GELU,
        /** x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2. */
        GELU_TANH
    }

    /** y = f(x) on float32, for the functions of {@link Unary}. */
    static Tensor unary(Unary f, Tensor x, Device device) {
        Tensor out = Tensor.zeros(x.dtype(), x.shape());
        FloatBuffer in = x.floats();
        FloatBuffer o = out.floats();
        switch (f) {
            case RELU -> device.parallelFor(x.size(), 1, (s, e) -> {
                for (int i = s; i < e; i++) {
                    float v = in.get(i);
                    o.put(i, v > 0 || v != v ? v : 0f);
                }
            });
            case TANH -> device.parallelFor(x.size(), 20, (s, e) -> {
                for (int i = s; i < e; i++) {
                    o.put(i, (float) FloatMath.tanh(in.get(i)));
                }
            });
            case ERF -> device.parallelFor(x.size(), 30, (s, e) -> {
                for (int i = s; i < e; i++) {
                    o.put(i, (float) FloatMath.erf(in.get(i)));
                }
            });
            case GELU -> device.parallelFor(x.size(), 30, (s, e) -> {
                for (int i = s; i < e; i++) {
                    double v = in.get(i);
                    o.put(i, (float) (0.5 * v * (1 + FloatMath.erf(v * ScalarMath.INV_SQRT_2))));
                }
            });
            case GELU_TANH -> device.parallelFor(x.size(), 25, (s, e) -> {
                for (int i = s; i < e; i++) {
                    double v = in.get(i);
                    // (1 + tanh u) / 2 = 1 / (1 + e^{-2u}): no cancellation for large negative u
                    double u = ScalarMath.SQRT_2_OVER_PI * (v + ScalarMath.GELU_CUBIC * v * v * v);
                    o.put(i, (float) (v / (1 + Math.exp(-2 * u))));
                }
            });
        }
        return out;
    }

    /** y = max(x, 0) on float32, NaN kept (as the general path's Math.max does). */
    static Tensor relu(Tensor x, Device device) {
        return unary(Unary.RELU, x, device);
    }

    /** gx = gy where x > 0, else 0 (float32). */
    static Tensor reluBackward(Tensor x, Tensor gy, Device device) {
        Tensor gx = Tensor.zeros(x.dtype(), x.shape());
        FloatBuffer in = x.floats();
        FloatBuffer g = gy.floats();
        FloatBuffer o = gx.floats();
        device.parallelFor(x.size(), 1, (s, e) -> {
            for (int i = s; i < e; i++) {
                o.put(i, in.get(i) > 0 ? g.get(i) : 0f);
            }
        });
        return gx;
    }
}
