package dev.sonnx.runtime.tensor;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Direct buffers given back to the system at once. The JDK frees a direct buffer only when the
 * garbage collector finds its small heap object unreachable; weights and prepare-time temporaries
 * live long enough to be promoted, and the old generation is collected rarely (never, in a steady
 * inference service), so memory dropped by reference alone stays resident. {@link #free} runs the
 * buffer's cleaner now ({@code sun.misc.Unsafe.invokeCleaner}, in the jdk.unsupported module);
 * where that is not available it leaves the buffer to the collector.
 */
final class DirectMemory {
    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
        Object unsafe = null;
        Method invoke = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            invoke = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            unsafe = null;
            invoke = null;
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = invoke;
    }

    private DirectMemory() {
    }

    /** A zero-filled direct buffer of {@code bytes} bytes that {@link #free} can release (not a slice). */
    static ByteBuffer allocate(int bytes) {
        return ByteBuffer.allocateDirect(bytes);
    }

    /**
     * Releases {@code root}, a buffer from {@link #allocate} (or {@link ByteBuffer#allocateDirect}):
     * nothing may read it, or any view of it, afterwards. Returns whether the memory went back now
     * (false: it goes when the collector finds the buffer unreachable).
     */
    static boolean free(ByteBuffer root) {
        if (INVOKE_CLEANER == null || root == null || !root.isDirect()) {
            return false;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, root);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }
}
