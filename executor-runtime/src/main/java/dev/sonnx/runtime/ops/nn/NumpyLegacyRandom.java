package dev.sonnx.runtime.ops.nn;

/**
 * The generator behind numpy's legacy {@code np.random.seed(s); np.random.uniform(0, 1, n)}:
 * MT19937 seeded from a 32-bit integer as numpy's {@code mt19937_seed} does (Matsumoto and
 * Nishimura's init_genrand), each double built from two 32-bit outputs as
 * {@code ((a >> 5) * 2^26 + (b >> 6)) / 2^53}. The ONNX Dropout tests made their masks this way, so
 * a seeded Dropout reproduces them exactly.
 */
final class NumpyLegacyRandom {
    private static final int N = 624;
    private static final int M = 397;
    private static final int MATRIX_A = 0x9908b0df;
    private static final int UPPER = 0x80000000;
    private static final int LOWER = 0x7fffffff;

    private final int[] mt = new int[N];
    private int pos;

    /** Seeds with the low 32 bits of {@code seed} (numpy refuses seeds outside [0, 2^32)). */
    NumpyLegacyRandom(long seed) {
        int s = (int) seed;
        for (int i = 0; i < N; i++) {
            mt[i] = s;
            s = 1812433253 * (s ^ (s >>> 30)) + i + 1;
        }
        pos = N;
    }

    /** The next 32 random bits (as numpy's mt19937_next32, with tempering). */
    int nextInt() {
        if (pos >= N) {
            regenerate();
        }
        int y = mt[pos++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y;
    }

    /** A uniform double in [0, 1) with 53 random bits. */
    double nextDouble() {
        long a = (nextInt() >>> 5) & 0xffffffffL;
        long b = (nextInt() >>> 6) & 0xffffffffL;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

    private void regenerate() {
        int k = 0;
        for (; k < N - M; k++) {
            int y = (mt[k] & UPPER) | (mt[k + 1] & LOWER);
            mt[k] = mt[k + M] ^ (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
        }
        for (; k < N - 1; k++) {
            int y = (mt[k] & UPPER) | (mt[k + 1] & LOWER);
            mt[k] = mt[k + (M - N)] ^ (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
        }
        int y = (mt[N - 1] & UPPER) | (mt[0] & LOWER);
        mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
        pos = 0;
    }
}
