package dev.sonnx.runtime.ops.kernel;

/**
 * exp, tanh, erf, sigmoid and GELU on float32 arrays, in place, written as loops that C2
 * vectorises: straight-line float arithmetic, {@code Math.min}/{@code Math.max} for clamping, and
 * integer operations on the floats' bits where a formula needs a power of two or a choice between
 * two branches (both branches are computed, a bit mask picks one). {@code Math.exp} and
 * {@code Math.tanh} are calls the vectoriser cannot look into: 5 to 40 ns an element on this
 * project's machines, against 0.4 to 2.5 ns here (transformers spend much of their time in these).
 *
 * <p>Accuracy, measured against double-precision references over dense grids: exp within 1.4 ulp;
 * tanh 3e-7 relative; erf 1 ulp; GELU and sigmoid within a few ulp. NaN stays NaN, infinities give
 * the limits (exp(-inf) = 0, tanh(+-inf) = +-1, ...).
 *
 * <p>The loops are split where one loop would mix a float-to-int conversion with the polynomial:
 * C2 (JDK 17) vectorises each on its own but not the two in one loop (5.9 against 1.3 ns an element
 * for exp).
 */
public final class VectorMath {
    /** Elements worked on at a time: the scratch arrays of a chunk stay in the L1 cache. */
    private static final int CHUNK = 1024;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final float LOG2E = 1.44269504088896341f;
    // ln 2 in two parts, the first exact in 9 bits, so that k * LN2_HI is exact for |k| < 2^14
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** Adding then subtracting 1.5 * 2^23 rounds a float of magnitude below 2^22 to an integer. */
    private static final float ROUNDER = 12582912f;
    /** exp underflows to 0 below -103.97 and overflows above 88.73: clamp just outside. */
    private static final float EXP_LOW = -104f;
    private static final float EXP_HIGH = 89f;

    /** Beyond this |x|, tanh rounds to +-1 in float (the rational form below is fit up to it). */
    private static final float TANH_CLAMP = 7.90531110763549805f;

    /** erf's two branches meet here (N. Juffa's faithfully rounded erff: 475/512). */
    private static final float ERF_SPLIT = 0.927734375f;
    /** erf rounds to +-1 in float beyond here. */
    private static final float ERF_ONE = 3.925f;
    /**
     * Below -this, 1 + erf(z) = erfc(-z) is 0 in float32 (its exponent is under -104), so that GELU(-inf)
     * is -inf * 0 = NaN, as the formula gives.
     */
    private static final float ERFC_CLAMP = 10f;
    private static final float INV_SQRT_2 = 0.70710678118654752f;
    private static final float SQRT_2_OVER_PI = 0.79788456080286536f;
    private static final float GELU_CUBIC = 0.044715f;

    private VectorMath() {
    }

    /**
     * Per-thread arrays for one chunk. Every loop below indexes its arrays from 0 with the same
     * index: C2 (JDK 17) does not vectorise a loop whose arrays are indexed at different offsets
     * (v[o + i] beside k[i]: 8 ns an element against 1), so chunks are copied in and out.
     */
    private static final class Scratch {
        final float[] x = new float[CHUNK];
        final float[] k = new float[CHUNK];
        final float[] e = new float[CHUNK];
        final float[] near = new float[CHUNK];
    }

    private interface ChunkKernel {
        /** Replaces s.x[0, n) by the function's values. */
        void apply(Scratch s, int n);
    }

    private static void chunked(float[] v, int from, int to, ChunkKernel kernel) {
        Scratch s = SCRATCH.get();
        for (int o = from; o < to; o += CHUNK) {
            int n = Math.min(CHUNK, to - o);
            System.arraycopy(v, o, s.x, 0, n);
            kernel.apply(s, n);
            System.arraycopy(s.x, 0, v, o, n);
        }
    }

    /** v[i] = e^v[i] for i in [from, to). */
    public static void exp(float[] v, int from, int to) {
        chunked(v, from, to, (s, n) -> exp(s.x, s.k, n));
    }

    /**
     * v[i] = e^v[i] for i in [from, to), except that a result below the smallest normal float (where
     * v[i] < {@value #NORMAL_EXP_LOW}) is 0. x86 cores finish every operation that produces or reads a
     * subnormal in microcode, at about a hundred cycles: masked attention scores (-3.4e38 after the
     * row's maximum is subtracted) made softmax 40% slower. Where the exponentials are summed with the
     * maximum's e^0 = 1 (softmax), the difference is below 2^-126.
     */
    public static void expNormalOrZero(float[] v, int from, int to) {
        chunked(v, from, to, VectorMath::expNormalOrZeroChunk);
    }

    /**
     * Below this, e^x counts as 0 in {@link #expNormalOrZero}: from it up, 2^k's exponent k - 1
     * stays within the normal range (e^-86.5 = 2.7e-38).
     */
    static final float NORMAL_EXP_LOW = -86.5f;
    /** The bits of {@code ROUNDER}: x / ln 2 + ROUNDER holds the rounded k in its low mantissa bits. */
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);

    private static void expNormalOrZeroChunk(Scratch s, int n) {
        float[] x = s.x;
        float[] keep = s.e;
        float[] shifted = s.k;
        for (int i = 0; i < n; i++) {
            float c = Math.min(Math.max(x[i], NORMAL_EXP_LOW), EXP_HIGH);
            // keep: 0 at the lower bound, 1 above it (NaN for NaN), in arithmetic that C2
            // vectorises, unlike a comparison
            keep[i] = Math.min(1f, (c - NORMAL_EXP_LOW) * 0x1p24f);
            float t = c * LOG2E + ROUNDER;
            float r = t - ROUNDER;
            float f = c - r * LN2_HI - r * LN2_LO;
            x[i] = expOfReduced(f);
            shifted[i] = t;
        }
        for (int i = 0; i < n; i++) {
            // 2^k as 2 * 2^(k-1), k read from the rounding's bits (no float-to-int conversion, which
            // C2 leaves scalar): k - 1 lies in [-126, 127], so no factor or product is subnormal
            float scale = Float.intBitsToFloat((Float.floatToRawIntBits(shifted[i]) - ROUNDER_BITS + 126) << 23);
            x[i] = x[i] * 2f * scale * keep[i];
        }
    }

    /** v[i] = tanh(v[i]) for i in [from, to). */
    public static void tanh(float[] v, int from, int to) {
        for (int i = from; i < to; i++) {
            v[i] = tanhOf(v[i]);
        }
    }

    /** v[i] = erf(v[i]) for i in [from, to). */
    public static void erf(float[] v, int from, int to) {
        chunked(v, from, to, VectorMath::erfChunk);
    }

    /** v[i] = 1 / (1 + e^-v[i]) for i in [from, to). */
    public static void sigmoid(float[] v, int from, int to) {
        chunked(v, from, to, VectorMath::sigmoidChunk);
    }

    /**
     * The sum of v[from, to) in double, in four running sums: each addition waits for the previous one,
     * so a single chain would take its latency per element.
     */
    public static double sum(float[] v, int from, int to) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int k = from;
        for (; k + 3 < to; k += 4) {
            s0 += v[k];
            s1 += v[k + 1];
            s2 += v[k + 2];
            s3 += v[k + 3];
        }
        for (; k < to; k++) {
            s0 += v[k];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** v[i] = x Phi(x) = x (1 + erf(x / sqrt 2)) / 2 with x = v[i], for i in [from, to). */
    public static void gelu(float[] v, int from, int to) {
        chunked(v, from, to, VectorMath::geluChunk);
    }

    /** v[i] = x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2 with x = v[i], for i in [from, to). */
    public static void geluTanh(float[] v, int from, int to) {
        chunked(v, from, to, VectorMath::geluTanhChunk);
    }

    /** e^f for |f| <= ln 2 / 2: the Cephes expf polynomial (C2 inlines it into the vector loops). */
    private static float expOfReduced(float f) {
        float p = 1.9875691500e-4f;
        p = p * f + 1.3981999507e-3f;
        p = p * f + 8.3334519073e-3f;
        p = p * f + 4.1665795894e-2f;
        p = p * f + 1.6666665459e-1f;
        p = p * f + 5.0000001201e-1f;
        return p * f * f + f + 1f;
    }

    /**
     * v[0, n) = e^v: e^x = 2^k e^f with k = round(x / ln 2) and f = x - k ln 2 in [-ln2/2, ln2/2];
     * e^f by the Cephes expf polynomial; 2^k as two factors 2^(k/2) 2^(k - k/2) built from exponent
     * bits, so that results below 2^-126 (subnormal) and above 2^127 (infinity) come out right.
     * {@code k} holds the rounded exponents between the two loops.
     */
    private static void exp(float[] v, float[] k, int n) {
        for (int i = 0; i < n; i++) {
            float x = Math.min(Math.max(v[i], EXP_LOW), EXP_HIGH);
            float r = (x * LOG2E + ROUNDER) - ROUNDER;
            float f = x - r * LN2_HI - r * LN2_LO;
            v[i] = expOfReduced(f);
            k[i] = r;
        }
        for (int i = 0; i < n; i++) {
            int e = (int) k[i];
            int half = e >> 1;
            v[i] = v[i] * Float.intBitsToFloat((half + 127) << 23) * Float.intBitsToFloat((e - half + 127) << 23);
        }
    }

    private static void sigmoidChunk(Scratch s, int n) {
        float[] x = s.x;
        for (int i = 0; i < n; i++) {
            x[i] = -x[i];
        }
        exp(x, s.k, n);
        for (int i = 0; i < n; i++) {
            x[i] = 1f / (1f + x[i]);
        }
    }

    private static void geluTanhChunk(Scratch s, int n) {
        float[] x = s.x;
        float[] e = s.e;
        for (int i = 0; i < n; i++) {
            float a = x[i];
            // (1 + tanh t) / 2 = 1 / (1 + e^{-2t}): no cancellation where t is large and negative
            e[i] = -2f * SQRT_2_OVER_PI * (a + GELU_CUBIC * a * a * a);
        }
        exp(e, s.k, n);
        for (int i = 0; i < n; i++) {
            x[i] = x[i] / (1f + e[i]);
        }
    }

    /**
     * The rational approximation of Eigen and ONNX Runtime's MLAS (odd degree 13 over even degree
     * 6), on x clamped to where tanh rounds to +-1.
     */
    private static float tanhOf(float in) {
        float x = Math.min(Math.max(in, -TANH_CLAMP), TANH_CLAMP);
        float x2 = x * x;
        float p = -2.76076847742355e-16f;
        p = p * x2 + 2.00018790482477e-13f;
        p = p * x2 + -8.60467152213735e-11f;
        p = p * x2 + 5.12229709037114e-08f;
        p = p * x2 + 1.48572235717979e-05f;
        p = p * x2 + 6.37261928875436e-04f;
        p = p * x2 + 4.89352455891786e-03f;
        float q = 1.19825839466702e-06f;
        q = q * x2 + 1.18534705686654e-04f;
        q = q * x2 + 2.26843463243900e-03f;
        q = q * x2 + 4.89352518554385e-03f;
        // x last: p * x would lose the digits of a subnormal x
        return x * (p / q);
    }

    /**
     * The exponent q(t) of erfc(t) = e^q(t) for t = |x| above {@link #ERF_SPLIT} (Juffa's
     * polynomial; q(t) = -t^2 + ... as t grows).
     */
    private static float erfcExponent(float t) {
        float s = t * t;
        float q = -1.72853470e-5f * t + 3.83197126e-4f;
        float u = -3.88396438e-3f * t + 2.42546219e-2f;
        q = q * s + u;
        q = q * t + -1.06777877e-1f;
        q = q * t + -6.34846687e-1f;
        q = q * t + -1.28717512e-1f;
        return q * t - t;
    }

    /** erf(x) for |x| up to {@link #ERF_SPLIT}: x + x p(x^2) (Juffa's polynomial). */
    private static float erfNearZero(float x) {
        float s = x * x;
        float p = -5.96761703e-4f;
        p = p * s + 4.99119423e-3f;
        p = p * s + -2.67681349e-2f;
        p = p * s + 1.12819925e-1f;
        p = p * s + -3.76125336e-1f;
        p = p * s + 1.28379166e-1f;
        return p * x + x;
    }

    /** All ones where |x| > {@link #ERF_SPLIT} (the sign bit of split - |x|, spread), else zero. */
    private static int beyondSplit(float x) {
        return Float.floatToRawIntBits(ERF_SPLIT - Math.abs(x)) >> 31;
    }

    /** |magnitude| with the sign of {@code sign}; magnitude is not negative. */
    private static float withSignOf(float magnitude, float sign) {
        return Float.intBitsToFloat(Float.floatToRawIntBits(magnitude) | Float.floatToRawIntBits(sign) & 0x80000000);
    }

    private static float select(int mask, float ifSet, float ifClear) {
        return Float.intBitsToFloat(Float.floatToRawIntBits(ifSet) & mask
                | Float.floatToRawIntBits(ifClear) & ~mask);
    }

    private static void erfChunk(Scratch s, int n) {
        float[] x = s.x;
        float[] e = s.e;
        float[] near = s.near;
        for (int i = 0; i < n; i++) {
            float a = x[i];
            // clamped where erf is +-1 in float, so that the unused branch never overflows
            e[i] = erfcExponent(Math.min(Math.abs(a), ERF_ONE));
            near[i] = erfNearZero(Math.max(Math.min(a, ERF_SPLIT), -ERF_SPLIT));
        }
        exp(e, s.k, n);
        for (int i = 0; i < n; i++) {
            float a = x[i];
            x[i] = select(beyondSplit(a), withSignOf(1f - e[i], a), near[i]);
        }
    }

    /**
     * GELU through 1 + erf(z), z = x / sqrt 2: near zero 1 + erf(z); beyond the split 2 - erfc(|z|)
     * for z > 0 and erfc(|z|) itself for z < 0, so that the left tail keeps its relative accuracy
     * (1 + erf(z) would cancel to nothing there).
     */
    private static void geluChunk(Scratch s, int n) {
        float[] x = s.x;
        float[] e = s.e;
        float[] near = s.near;
        for (int i = 0; i < n; i++) {
            float z = x[i] * INV_SQRT_2;
            e[i] = erfcExponent(Math.min(Math.abs(z), ERFC_CLAMP));
            near[i] = 1f + erfNearZero(Math.max(Math.min(z, ERF_SPLIT), -ERF_SPLIT));
        }
        exp(e, s.k, n);
        for (int i = 0; i < n; i++) {
            float a = x[i];
            float z = a * INV_SQRT_2;
            int negative = Float.floatToRawIntBits(z) >> 31;
            float far = select(negative, e[i], 2f - e[i]);
            x[i] = 0.5f * a * select(beyondSplit(z), far, near[i]);
        }
    }
}
