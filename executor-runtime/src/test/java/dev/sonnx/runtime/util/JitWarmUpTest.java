package dev.sonnx.runtime.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class JitWarmUpTest {

    @Test
    void runsAtLeastTheRoundsAndTheTimeAskedForAndCountsThem() {
        int[] calls = {0};
        long[] firstRoundStart = {0};
        long[] lastRoundEnd = {0};
        long start = System.nanoTime();
        String line = JitWarmUp.run(0.3, 50, () -> {
            if (calls[0]++ == 0) {
                firstRoundStart[0] = System.nanoTime();
            }
            lastRoundEnd[0] = System.nanoTime();
        });
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(calls[0] >= 50, "rounds: " + calls[0]);
        // the minimum time, then a quiet stretch of 2 s without compilation (or 60 s more where the
        // JIT never settles): never less than 2 s in all
        assertTrue(seconds >= 2.0, "seconds: " + seconds);
        Matcher m = Pattern.compile("^warm-up: (\\d+) rounds in ([0-9.]+) s").matcher(line);
        assertTrue(m.find(), line);
        assertEquals(calls[0], Integer.parseInt(m.group(1)), line);
        // the warm-up's own clock starts before its first round and stops after its last, inside this
        // stopwatch (which also counts the call around it, long on a loaded machine); the line rounds
        // to 0.1 s
        double reported = Double.parseDouble(m.group(2));
        double rounds = (lastRoundEnd[0] - firstRoundStart[0]) / 1e9;
        assertTrue(reported >= rounds - 0.051 && reported <= seconds + 0.051,
                line + " against rounds from first to last " + rounds + " s, and the call " + seconds + " s");
    }
}
