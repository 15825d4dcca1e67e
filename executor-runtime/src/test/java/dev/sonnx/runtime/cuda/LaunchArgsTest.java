package dev.sonnx.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.junit.jupiter.api.Test;

/**
 * The parameter block cuLaunchKernel reads, checked in host memory (no GPU needed): parameter i must
 * point at its value laid out as the kernel's C type (int and float in 4 bytes, pointers and i64 in 8,
 * a Dims struct as 6 consecutive int64).
 */
class LaunchArgsTest {

    private static long paramAddress(LaunchArgs a, int i) {
        return a.pointers().get(i).address();
    }

    @Test
    void eachParameterPointsAtItsValue() {
        LaunchArgs a = new LaunchArgs().reset().ptr(0x7f00_1234_5678L).i32(-5).f32(1.5f).dims(new long[] {2, 3, 4})
                .i64(-9_000_000_000L);
        assertEquals(0x7f00_1234_5678L, new LongPointer(new DevicePointer(paramAddress(a, 0))).get(0));
        assertEquals(-5, new IntPointer(new DevicePointer(paramAddress(a, 1))).get(0));
        assertEquals(Float.floatToRawIntBits(1.5f), new IntPointer(new DevicePointer(paramAddress(a, 2))).get(0));
        LongPointer dims = new LongPointer(new DevicePointer(paramAddress(a, 3)));
        long[] expected = {2, 3, 4, 0, 0, 0};
        for (int k = 0; k < expected.length; k++) {
            assertEquals(expected[k], dims.get(k), "dims[" + k + "]");
        }
        assertEquals(-9_000_000_000L, new LongPointer(new DevicePointer(paramAddress(a, 4))).get(0));
    }

    @Test
    void resetStartsTheBlockOver() {
        LaunchArgs a = new LaunchArgs().reset().i32(1).i32(2);
        a.reset().i32(42);
        assertEquals(42, new IntPointer(new DevicePointer(paramAddress(a, 0))).get(0));
    }
}
