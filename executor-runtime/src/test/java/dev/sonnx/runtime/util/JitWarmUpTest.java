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
        long start = System.nanoTime();
        String line = JitWarmUp.run(0.3, 50, () -> calls[0]++);
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(calls[0] >= 50, "rounds: " + calls[0]);
        // the minimum time, then a quiet stretch of 2 s without compilation (or 60 s more where the
        // JIT never settles): never less than 2 s in all
        assertTrue(seconds >= 2.0, "seconds: " + seconds);
        Matcher m = Pattern.compile("^warm-up: (\\d+) rounds in ([0-9.]+) s").matcher(line);
        assertTrue(m.find(), line);
        assertEquals(calls[0], Integer.parseInt(m.group(1)), line);
        assertEquals(seconds, Double.parseDouble(m.group(2)), 0.11, line);
    }
}
