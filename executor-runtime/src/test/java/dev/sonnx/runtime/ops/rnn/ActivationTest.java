package dev.sonnx.runtime.ops.rnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The recurrent layers' own tanh against the JDK's (fdlibm's). */
class ActivationTest {
    @Test
    void tanhIsWithinOneInTenToTheThirteenOfTheJdks() {
        SplittableRandom r = new SplittableRandom(5);
        double worst = 0;
        for (int i = 0; i < 200_000; i++) {
            // magnitudes from 1e-12 to 1e3, both signs, dense around the series' edge at 1/32
            double x = Math.pow(10, r.nextDouble(-12, 3)) * (r.nextBoolean() ? 1 : -1);
            if (i % 4 == 0) {
                x = r.nextDouble(-0.1, 0.1);
            }
            double expected = Math.tanh(x);
            double got = Activation.tanh(x);
            worst = Math.max(worst, Math.abs(got - expected) / Math.abs(expected));
        }
        assertTrue(worst < 1e-13, "largest relative difference " + worst);
        for (double edge : new double[] {0x1p-5, -0x1p-5, Math.nextDown(0x1p-5), 20, 400, -400}) {
            assertEquals(Math.tanh(edge), Activation.tanh(edge), 1e-15 * Math.max(1, Math.abs(Math.tanh(edge))), "x = " + edge);
        }
        assertEquals(1.0, Activation.tanh(Double.POSITIVE_INFINITY));
        assertEquals(-1.0, Activation.tanh(Double.NEGATIVE_INFINITY));
        assertEquals(0.0, Activation.tanh(0.0));
        assertTrue(Double.isNaN(Activation.tanh(Double.NaN)));
    }
}
