package dev.sonnx.runtime.tensor;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Direct buffers given back to the system at once. The JDK frees a direct buffer only when the
 * garbage collector finds its small heap object unreachable; weights and prepare-time temporaries
 * live long enough to be promoted, and the old generation is collected rarely (never, in a steady
 * inference service), so memory dropped by reference alone stays resident. {@link #free} runs the
 * buffer's cleaner now ({@code sun.misc.Unsafe.invokeCleaner}, in the jdk.unsupported module);
 * where that is not available it leaves the buffer to the collector.
 *
 * <p>A freed block goes back to malloc, which returns it to the system only when it was mapped on
 * its own: glibc raises its mapping threshold to the size of each mapped block freed (up to 32 MiB),
 * so after the first weights are freed, later ones come from its arenas, whose free pages stay
 * resident. {@link #trim} hands those pages back once enough was freed.
 */
public final class DirectMemory {
    /** Bytes freed through {@link #free} before {@link #trim} asks malloc to return its free pages. */
    private static final long TRIM_AFTER = 8L << 20;
    private static final AtomicLong FREED_SINCE_TRIM = new AtomicLong();

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
            FREED_SINCE_TRIM.addAndGet(root.capacity());
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Returns malloc's free pages to the system ({@code malloc_trim}, through JavaCPP) when at least
     * 8 MiB went back through {@link #free} since the last time; otherwise does nothing, cheaply.
     * For the ends of steps that free memory in bulk: a prepare, the run that packed the weights
     * (a trim takes milliseconds: it walks malloc's free lists). Returns whether it trimmed.
     */
    public static boolean trim() {
        if (FREED_SINCE_TRIM.get() < TRIM_AFTER || FREED_SINCE_TRIM.getAndSet(0) < TRIM_AFTER) {
            return false;
        }
        try {
            org.bytedeco.javacpp.Pointer.trimMemory();
            return true;
        } catch (LinkageError e) {
            return false; // JavaCPP's native library is missing: the pages stay with malloc
        }
    }
}
