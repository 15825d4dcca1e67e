package dev.sonnx.runtime.ops.signal;

import java.util.concurrent.ConcurrentHashMap;

/**
 * A complex discrete Fourier transform of one length, in double precision:
 * {@code X[k] = sum_n x[n] e^{-2 pi i k n / N}} (forward) or with {@code +} and a factor {@code 1/N}
 * (inverse). Powers of two use an iterative radix-2 Cooley-Tukey transform; other lengths use
 * Bluestein's chirp-z algorithm, which turns the transform into a circular convolution of a power of
 * two length {@code >= 2N - 1}, so every length costs O(N log N).
 *
 * <p>Plans are immutable and cached by length; {@link #transform} allocates only its scratch arrays,
 * so one plan serves concurrent callers.
 */
final class Fft {
    private static final ConcurrentHashMap<Integer, Fft> PLANS = new ConcurrentHashMap<>();
    /** Lengths kept in the cache; past this, plans are built per call (they are cheap next to the data). */
    private static final int MAX_CACHED = 256;

    final int n;
    /** Radix-2 twiddles e^{-2 pi i k / m} for k < m/2, where m is n (power of two) or Bluestein's length. */
    private final double[] cos;
    private final double[] sin;
    private final int m;
    /** Bluestein: the chirp w[k] = e^{-pi i k^2 / n}, and the FFT of its padded conjugate. */
    private final double[] chirpRe;
    private final double[] chirpIm;
    private final double[] kernelRe;
    private final double[] kernelIm;

    private Fft(int n) {
        this.n = n;
        boolean pow2 = n > 0 && (n & (n - 1)) == 0;
        this.m = pow2 ? n : Math.max(1, Integer.highestOneBit(Math.max(1, 2 * n - 1) - 1) << 1);
        cos = new double[Math.max(1, m / 2)];
        sin = new double[Math.max(1, m / 2)];
        for (int k = 0; k < m / 2; k++) {
            double a = -2 * Math.PI * k / m;
            cos[k] = Math.cos(a);
            sin[k] = Math.sin(a);
        }
        if (pow2 || n == 0) {
            chirpRe = chirpIm = kernelRe = kernelIm = null;
            return;
        }
        chirpRe = new double[n];
        chirpIm = new double[n];
        for (int k = 0; k < n; k++) {
            // k^2 mod 2n keeps the angle small and exact for large k
            long k2 = (long) k * k % (2L * n);
            double a = -Math.PI * k2 / n;
            chirpRe[k] = Math.cos(a);
            chirpIm[k] = Math.sin(a);
        }
        kernelRe = new double[m];
        kernelIm = new double[m];
        kernelRe[0] = chirpRe[0];
        kernelIm[0] = -chirpIm[0];
        for (int k = 1; k < n; k++) {
            kernelRe[k] = kernelRe[m - k] = chirpRe[k];
            kernelIm[k] = kernelIm[m - k] = -chirpIm[k];
        }
        radix2(kernelRe, kernelIm, false);
    }

    /** The plan for length {@code n}. */
    static Fft of(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("DFT length " + n + " is negative");
        }
        if (n > MAX_CACHED) {
            return new Fft(n);
        }
        return PLANS.computeIfAbsent(n, Fft::new);
    }

    /** Transforms {@code re, im} (length n) in place. */
    void transform(double[] re, double[] im, boolean inverse) {
        if (n <= 1) {
            return;
        }
        if (inverse) {
            // ifft(x) = conj(fft(conj(x))) / n
            for (int i = 0; i < n; i++) {
                im[i] = -im[i];
            }
        }
        if (chirpRe == null) {
            radix2(re, im, false);
        } else {
            bluestein(re, im);
        }
        if (inverse) {
            double s = 1.0 / n;
            for (int i = 0; i < n; i++) {
                re[i] *= s;
                im[i] = -im[i] * s;
            }
        }
    }

    /**
     * With jk = (j^2 + k^2 - (k - j)^2) / 2, X[k] = w[k] sum_j (x[j] w[j]) conj(w[k - j]): a
     * convolution of x . w with conj(w), done as a circular one of length m by radix-2 FFTs.
     */
    private void bluestein(double[] re, double[] im) {
        double[] ar = new double[m];
        double[] ai = new double[m];
        for (int k = 0; k < n; k++) {
            ar[k] = re[k] * chirpRe[k] - im[k] * chirpIm[k];
            ai[k] = re[k] * chirpIm[k] + im[k] * chirpRe[k];
        }
        radix2(ar, ai, false);
        for (int k = 0; k < m; k++) {
            double r = ar[k] * kernelRe[k] - ai[k] * kernelIm[k];
            double i = ar[k] * kernelIm[k] + ai[k] * kernelRe[k];
            ar[k] = r;
            ai[k] = i;
        }
        radix2(ar, ai, true);
        double s = 1.0 / m;
        for (int k = 0; k < n; k++) {
            double r = ar[k] * s;
            double i = ai[k] * s;
            re[k] = r * chirpRe[k] - i * chirpIm[k];
            im[k] = r * chirpIm[k] + i * chirpRe[k];
        }
    }

    /** In-place radix-2 transform of length m (unnormalized; {@code conj} uses e^{+...} twiddles). */
    private void radix2(double[] re, double[] im, boolean conj) {
        int len = m;
        for (int i = 1, j = 0; i < len; i++) {
            int bit = len >> 1;
            for (; (j & bit) != 0; bit >>= 1) {
                j ^= bit;
            }
            j ^= bit;
            if (i < j) {
                double t = re[i];
                re[i] = re[j];
                re[j] = t;
                t = im[i];
                im[i] = im[j];
                im[j] = t;
            }
        }
        for (int size = 2; size <= len; size <<= 1) {
            int half = size >> 1;
            int step = len / size;
            for (int start = 0; start < len; start += size) {
                for (int k = 0, tw = 0; k < half; k++, tw += step) {
                    double wr = cos[tw];
                    double wi = conj ? -sin[tw] : sin[tw];
                    int a = start + k;
                    int b = a + half;
                    double xr = re[b] * wr - im[b] * wi;
                    double xi = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - xr;
                    im[b] = im[a] - xi;
                    re[a] += xr;
                    im[a] += xi;
                }
            }
        }
    }
}
