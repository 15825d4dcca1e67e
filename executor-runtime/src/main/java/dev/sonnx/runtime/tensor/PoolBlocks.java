package dev.sonnx.runtime.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Blocks of the run pool lent to a kernel for one call, on any thread: working memory that a
 * kernel's threads need only while it runs (Winograd's transformed tiles). Kept per thread instead,
 * each thread held its largest block for good (tinyyolov2 at batch 8: 14 MB a thread); from the
 * pool, a large block is carved from the regions the run's dead activations left free.
 */
public final class PoolBlocks {
    private PoolBlocks() {
    }

    /** A block of at least {@code bytes} bytes (native order, contents undefined), for {@link #give}. */
    public static ByteBuffer take(long bytes) {
        if (bytes > Integer.MAX_VALUE - BufferPool.ALIGNMENT) {
            throw new IllegalArgumentException(bytes + " bytes of working memory exceed a buffer's 2 GiB");
        }
        MemoryLimit.check(bytes);
        return BufferPool.HOST.take((int) bytes).order(ByteOrder.nativeOrder());
    }

    /** Returns a block from {@link #take}; nothing may read it afterwards. */
    public static void give(ByteBuffer block) {
        BufferPool.HOST.give(block);
    }
}
