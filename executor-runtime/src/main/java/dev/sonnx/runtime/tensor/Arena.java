package dev.sonnx.runtime.tensor;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The memory of one model run. Tensors that kernels allocate while the run's frame is current come
 * from the {@link BufferPool} and go back to it as soon as the executor drops their last slot (when
 * the run records nothing), or all at once when the run, or the training step that recorded it, ends.
 * Values the run returns are marked escaped and stay the caller's. Tensors allocated outside runs
 * (weights, feeds, user data, operator caches made with {@link #detached}) never come from here.
 */
public final class Arena implements AutoCloseable {
    private static final ThreadLocal<Arena> CURRENT = new ThreadLocal<>();

    private final boolean deferred;
    /** Scratch: blocks of its own, given back to the system at {@link #close} ({@link #scratch}). */
    private final boolean scratch;
    private final List<ArenaStorage> allocated = new ArrayList<>();
    private boolean closed;

    /**
     * {@code deferred}: storage is recycled only at {@link #close} (a recorded run, whose tape still
     * reads every value until backward is done).
     */
    public Arena(boolean deferred) {
        this(deferred, false);
    }

    private Arena(boolean deferred, boolean scratch) {
        this.deferred = deferred;
        this.scratch = scratch;
    }

    /**
     * Memory for work none of whose tensors outlives it, such as graph rewrites that turn the tensors
     * they compute back into protobuf: every tensor allocated while it is current goes back to the
     * system when it closes, rather than when the garbage collector happens to find it (prepare-time
     * temporaries get promoted, and a long-running process rarely collects the old generation) or
     * into the pool (whose blocks serve runs). Reading such a tensor after the close fails.
     */
    public static Arena scratch() {
        return new Arena(false, true);
    }

    /** The arena of the run on this thread, or null. */
    public static Arena current() {
        return CURRENT.get();
    }

    /** Makes this arena current on this thread until the returned scope closes. */
    public Scope enter() {
        Arena previous = CURRENT.get();
        CURRENT.set(this);
        return () -> CURRENT.set(previous);
    }

    /** Runs {@code body} with no arena: for state that outlives a run (caches, optimizer slots). */
    public static <T> T detached(java.util.function.Supplier<T> body) {
        Arena previous = CURRENT.get();
        CURRENT.set(null);
        try {
            return body.get();
        } finally {
            CURRENT.set(previous);
        }
    }

    /** A scope that restores the previous arena. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    synchronized HostStorage allocate(int bytes, boolean zeroed) {
        if (scratch) {
            HostStorage s = HostStorage.owned(bytes);
            allocated.add(s);
            return s;
        }
        ByteBuffer block = BufferPool.HOST.take(bytes);
        HostStorage s = HostStorage.pooled(block, bytes, this, zeroed);
        allocated.add(s);
        return s;
    }

    /**
     * Storage a device allocated for this run (device memory, which the device's own allocator
     * pools): recycled with the run's host blocks.
     */
    public synchronized void track(ArenaStorage s) {
        allocated.add(s);
    }

    /** Whether this arena hands out throwaway scratch memory ({@link #scratch}) rather than pooled blocks. */
    public boolean isScratch() {
        return scratch;
    }

    /**
     * A value now sits in one more slot of the run. Tensors inside sequences and optionals count too:
     * a sequence keeps its items alive after their own slots are gone.
     */
    public void retain(Value v) {
        if (v instanceof Tensor t) {
            if (t.storage() instanceof ArenaStorage s && s.arena() == this) {
                s.retain();
            }
        } else {
            forEachItem(v, this::retain);
        }
    }

    /** A slot of the run dropped this value; memory returns to the pool when no slot holds it any more. */
    public void release(Value v) {
        if (deferred) {
            return;
        }
        if (v instanceof Tensor t) {
            if (t.storage() instanceof ArenaStorage s && s.arena() == this && s.releaseRef() == 0) {
                s.recycle();
            }
        } else {
            forEachItem(v, this::release);
        }
    }

    private static void forEachItem(Value v, java.util.function.Consumer<Value> action) {
        if (v instanceof SequenceValue seq) {
            seq.items().forEach(action);
        } else if (v instanceof OptionalValue o && o.value() != null) {
            action.accept(o.value());
        } else if (v instanceof MapValue m) {
            m.entries().values().forEach(action);
        }
    }

    /**
     * Whether {@code t}'s memory is this run's and exactly one slot holds it: it was allocated here,
     * did not escape to the caller, and is recycled as soon as that slot drops it (so a run that
     * records a tape, whose memory lives until backward, never says yes).
     */
    public boolean heldOnlyByOneSlot(Tensor t) {
        return !deferred && !scratch && t.storage() instanceof ArenaStorage s && s.arena() == this && s.heldOnce();
    }

    /** Marks a value (and what a sequence or optional holds) as the caller's: never recycled. */
    public void escape(Value v) {
        if (v instanceof Tensor t) {
            if (t.storage() instanceof ArenaStorage s && s.arena() == this) {
                s.escape();
            }
        } else {
            forEachItem(v, this::escape);
        }
    }

    /** Returns every block of the run that did not escape. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (ArenaStorage s : allocated) {
            if (scratch && s instanceof HostStorage h) {
                h.release();
            } else {
                s.recycle();
            }
        }
        allocated.clear();
    }
}
