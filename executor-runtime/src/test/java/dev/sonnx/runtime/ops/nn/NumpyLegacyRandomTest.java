package dev.sonnx.runtime.ops.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Values printed by numpy 1.24 ({@code np.random.seed(s); np.random.uniform(0, 1, n)}), as hex. */
class NumpyLegacyRandomTest {

    @Test
    void seedZero() {
        NumpyLegacyRandom r = new NumpyLegacyRandom(0);
        double[] u = new double[1000];
        for (int i = 0; i < u.length; i++) {
            u[i] = r.nextDouble();
        }
        assertEquals(0x1.18fe1565f12a8p-1, u[0]);
        assertEquals(0x1.6e2d4cf608733p-1, u[1]);
        assertEquals(0x1.349d66b6e894bp-1, u[2]);
        // past the first regeneration of the 624-word state
        assertEquals(0x1.f3d3d9a419a16p-1, u[624]);
        assertEquals(0x1.5ab23e79781c2p-1, u[999]);
    }

    @Test
    void largestSeed() {
        NumpyLegacyRandom r = new NumpyLegacyRandom(4294967295L);
        assertEquals(0x1.8fe69a3924820p-4, r.nextDouble());
        assertEquals(0x1.d323d824032b1p-1, r.nextDouble());
    }
}
