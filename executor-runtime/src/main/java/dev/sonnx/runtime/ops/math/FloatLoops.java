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

    /** y = max(x, 0) on float32, NaN kept (as the general path's Math.max does). */
    static Tensor relu(Tensor x, Device device) {
        Tensor out = Tensor.zeros(x.dtype(), x.shape());
        FloatBuffer in = x.floats();
        FloatBuffer o = out.floats();
        device.parallelFor(x.size(), 1, (s, e) -> {
            for (int i = s; i < e; i++) {
                float v = in.get(i);
                o.put(i, v > 0 || v != v ? v : 0f);
            }
        });
        return out;
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
