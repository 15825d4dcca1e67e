package dev.sonnx.runtime.ops.math;

import dev.sonnx.runtime.ops.kernel.Broadcast;
import dev.sonnx.runtime.ops.kernel.VectorMath;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * Hand-written float32 loops for the elementwise operators that dominate real models (Add, Sub, Mul,
 * Div, Relu): the general path calls a function object per element, which the JIT cannot inline
 * at a call site shared by every operator, and costs about ten times more. Each loop here is
 * specialised on the operation and on the operands' row strides (both contiguous: same shapes; one
 * constant per row: a bias or a scalar), so it compiles to plain arithmetic. The loops copy a block of
 * each operand into a Java array, compute there and copy the block out: C2 vectorises loops over
 * arrays, not get/put loops over direct buffers (a [32, 128] Add took 7 to 9 us that way).
 */
final class FloatLoops {
    private FloatLoops() {
    }

    /** Per-thread arrays that blocks of the operands are copied into. */
    static final class Block {
        /** Elements per block: two blocks stay in the L1 cache. */
        static final int LENGTH = 1024;
        private static final ThreadLocal<Block> PER_THREAD = ThreadLocal.withInitial(Block::new);

        final float[] first = new float[LENGTH];
        final float[] second = new float[LENGTH];
        /** For loops over the bits of floats: C2 vectorises integer operations on int[] (not mixed with float ones). */
        final int[] firstBits = new int[LENGTH];
        final int[] secondBits = new int[LENGTH];
        final int[] thirdBits = new int[LENGTH];
        /** Booleans (a condition), one byte each. */
        final byte[] flags = new byte[LENGTH];
        /** Where a float[] block turns into an int[] block of the same bits (two copies within the L1 cache). */
        private final ByteBuffer bitCast = ByteBuffer.allocateDirect(4 * LENGTH).order(ByteOrder.nativeOrder());
        final FloatBuffer bitCastIn = bitCast.asFloatBuffer();
        final IntBuffer bitCastOut = bitCast.asIntBuffer();

        static Block get() {
            return PER_THREAD.get();
        }
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
        Block block = Block.get();
        float[] u = block.first;
        float[] v = block.second;
        for (int done = 0; done < len; done += Block.LENGTH) {
            int n = Math.min(Block.LENGTH, len - done);
            x.get(ia + done, u, 0, n);
            y.get(ib + done, v, 0, n);
            switch (op) {
                case ADD -> {
                    for (int j = 0; j < n; j++) {
                        u[j] += v[j];
                    }
                }
                case SUB -> {
                    for (int j = 0; j < n; j++) {
                        u[j] -= v[j];
                    }
                }
                case MUL -> {
                    for (int j = 0; j < n; j++) {
                        u[j] *= v[j];
                    }
                }
                case DIV -> {
                    for (int j = 0; j < n; j++) {
                        u[j] /= v[j];
                    }
                }
            }
            o.put(oo + done, u, 0, n);
        }
    }

    /** A row of a against one value of b (a bias along the row, or a scalar). */
    private static void rightConstant(Binary op, FloatBuffer x, int ia, float c, FloatBuffer o, int oo, int len) {
        float[] u = Block.get().first;
        for (int done = 0; done < len; done += Block.LENGTH) {
            int n = Math.min(Block.LENGTH, len - done);
            x.get(ia + done, u, 0, n);
            switch (op) {
                case ADD -> {
                    for (int j = 0; j < n; j++) {
                        u[j] += c;
                    }
                }
                case SUB -> {
                    for (int j = 0; j < n; j++) {
                        u[j] -= c;
                    }
                }
                case MUL -> {
                    for (int j = 0; j < n; j++) {
                        u[j] *= c;
                    }
                }
                case DIV -> {
                    // a / c, not a * (1 / c): the reciprocal would round differently
                    for (int j = 0; j < n; j++) {
                        u[j] /= c;
                    }
                }
            }
            o.put(oo + done, u, 0, n);
        }
    }

    /** One value of a against a row of b. */
    private static void leftConstant(Binary op, float c, FloatBuffer y, int ib, FloatBuffer o, int oo, int len) {
        float[] v = Block.get().first;
        for (int done = 0; done < len; done += Block.LENGTH) {
            int n = Math.min(Block.LENGTH, len - done);
            y.get(ib + done, v, 0, n);
            switch (op) {
                case ADD -> {
                    for (int j = 0; j < n; j++) {
                        v[j] = c + v[j];
                    }
                }
                case SUB -> {
                    for (int j = 0; j < n; j++) {
                        v[j] = c - v[j];
                    }
                }
                case MUL -> {
                    for (int j = 0; j < n; j++) {
                        v[j] = c * v[j];
                    }
                }
                case DIV -> {
                    for (int j = 0; j < n; j++) {
                        v[j] = c / v[j];
                    }
                }
            }
            o.put(oo + done, v, 0, n);
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
        RELU(1),
        EXP(2),
        SIGMOID(3),
        TANH(1),
        ERF(3),
        /** x * Phi(x) = x (1 + erf(x / sqrt 2)) / 2. */
        GELU(4),
        /** x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2. */
        GELU_TANH(3);

        /** Cost of an element in {@link Device#parallelFor} units. */
        final long cost;

        Unary(long cost) {
            this.cost = cost;
        }
    }

    /** y = f(x) on float32, for the functions of {@link Unary}. */
    static Tensor unary(Unary f, Tensor x, Device device) {
        Tensor out = Tensor.uninitialized(x.dtype(), x.shape());
        FloatBuffer in = x.floats();
        FloatBuffer o = out.floats();
        device.parallelFor(x.size(), f.cost, (s, e) -> unaryRange(f, in, o, s, e));
        return out;
    }

    private static void unaryRange(Unary f, FloatBuffer in, FloatBuffer o, int start, int end) {
        float[] u = Block.get().first;
        for (int from = start; from < end; from += Block.LENGTH) {
            int n = Math.min(Block.LENGTH, end - from);
            in.get(from, u, 0, n);
            switch (f) {
                case RELU -> relu(u, n);
                case EXP -> VectorMath.exp(u, 0, n);
                case SIGMOID -> VectorMath.sigmoid(u, 0, n);
                case TANH -> VectorMath.tanh(u, 0, n);
                case ERF -> VectorMath.erf(u, 0, n);
                case GELU -> VectorMath.gelu(u, 0, n);
                case GELU_TANH -> VectorMath.geluTanh(u, 0, n);
            }
            o.put(from, u, 0, n);
        }
    }

    /** max(v, 0), NaN kept: Math.max has no branch (a sign test mispredicted on half of the elements). */
    private static void relu(float[] u, int n) {
        for (int i = 0; i < n; i++) {
            u[i] = Math.max(u[i], 0f);
        }
    }

    /** y = max(x, 0) on float32, NaN kept (as the general path's Math.max does). */
    static Tensor relu(Tensor x, Device device) {
        return unary(Unary.RELU, x, device);
    }

    /** gx = gy where x > 0, else 0 (float32; NaN x gives 0). */
    static Tensor reluBackward(Tensor x, Tensor gy, Device device) {
        Tensor gx = Tensor.uninitialized(x.dtype(), x.shape());
        FloatBuffer in = x.floats();
        FloatBuffer g = gy.floats();
        FloatBuffer o = gx.floats();
        device.parallelFor(x.size(), 1, (start, end) -> {
            Block block = Block.get();
            float[] xs = block.first;
            float[] gs = block.second;
            for (int from = start; from < end; from += Block.LENGTH) {
                int n = Math.min(Block.LENGTH, end - from);
                in.get(from, xs, 0, n);
                g.get(from, gs, 0, n);
                passWherePositive(xs, gs, n);
                o.put(from, gs, 0, n);
            }
        });
        return gx;
    }

    /**
     * g[i] stays where 0 < x[i] <= +infinity, else becomes 0, without a branch (a sign test
     * mispredicts on half of the elements): as integers, exactly those floats' bits lie in
     * (0, 0x7f800000], and the mask is all ones there.
     */
    private static void passWherePositive(float[] x, float[] g, int n) {
        for (int i = 0; i < n; i++) {
            int bits = Float.floatToRawIntBits(x[i]);
            int keep = (-bits & (bits - 0x7f800001)) >> 31;
            g[i] = Float.intBitsToFloat(Float.floatToRawIntBits(g[i]) & keep);
        }
    }

    /** y = min(max(x, lo), hi) on float32, NaN kept. */
    static Tensor clip(Tensor x, float lo, float hi, Device device) {
        Tensor out = Tensor.uninitialized(x.dtype(), x.shape());
        FloatBuffer in = x.floats();
        FloatBuffer o = out.floats();
        device.parallelFor(x.size(), 1, (start, end) -> {
            float[] u = Block.get().first;
            for (int from = start; from < end; from += Block.LENGTH) {
                int n = Math.min(Block.LENGTH, end - from);
                in.get(from, u, 0, n);
                for (int i = 0; i < n; i++) {
                    u[i] = Math.min(Math.max(u[i], lo), hi);
                }
                o.put(from, u, 0, n);
            }
        });
        return out;
    }

    /**
     * gx = gy where lo <= x <= hi or x is NaN, else 0 (float32, lo <= hi), into {@code gx} (which may be
     * gy itself: each block is read before it is written); returns gx.
     */
    static Tensor clipBackward(Tensor x, Tensor gy, float lo, float hi, Tensor gx, Device device) {
        FloatBuffer in = x.floats();
        IntBuffer inBits = x.bytes().asIntBuffer();
        IntBuffer gBits = gy.bytes().asIntBuffer();
        IntBuffer outBits = gx.bytes().asIntBuffer();
        device.parallelFor(x.size(), 2, (start, end) -> {
            Block block = Block.get();
            float[] clamped = block.first;
            for (int from = start; from < end; from += Block.LENGTH) {
                int n = Math.min(Block.LENGTH, end - from);
                in.get(from, clamped, 0, n);
                for (int i = 0; i < n; i++) {
                    clamped[i] = Math.min(Math.max(clamped[i], lo), hi) + 0f;
                }
                block.bitCastIn.put(0, clamped, 0, n);
                block.bitCastOut.get(0, block.secondBits, 0, n);
                inBits.get(from, block.firstBits, 0, n);
                gBits.get(from, block.thirdBits, 0, n);
                passUnclamped(block.firstBits, block.secondBits, block.thirdBits, n);
                outBits.put(from, block.thirdBits, 0, n);
            }
        });
        return gx;
    }

    /**
     * g[i] (as bits) stays where clamping left x[i] as it was, or x[i] is NaN, and becomes +0
     * otherwise, without a branch (half of ReLU6's inputs sit at a bound: a mispredicted test per
     * element cost more than the memory traffic) and in integer operations only, which C2
     * vectorises: x is inside [lo, hi] exactly when its bits equal its clamped value's, -0 read as
     * +0 (the clamped values went through + 0, and the comparisons count -0 as equal to +0).
     */
    private static void passUnclamped(int[] x, int[] clamped, int[] g, int n) {
        for (int i = 0; i < n; i++) {
            int bits = x[i];
            int notNegativeZero = bits ^ 0x80000000;
            bits &= (notNegativeZero | -notNegativeZero) >> 31;
            int moved = bits ^ clamped[i];
            int outside = (moved | -moved) >> 31;
            int nan = (0x7f800000 - (bits & 0x7fffffff)) >> 31;
            g[i] &= ~outside | nan;
        }
    }
}
