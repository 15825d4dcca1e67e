package dev.sonnx.runtime.tensor;

/**
 * What an {@link Arena} keeps on the storage it hands out, host blocks and device blocks alike: the
 * arena, how many of the run's slots hold the storage, and whether it escaped to the caller. The
 * subclasses decide what recycling and giving back mean for their memory.
 */
public abstract class CountedStorage implements ArenaStorage {
    private final Arena arena;
    private int refs;
    private boolean escaped;

    /** {@code arena}: the run's arena that handed it out, or null for storage of its own. */
    protected CountedStorage(Arena arena) {
        this.arena = arena;
    }

    @Override
    public final Arena arena() {
        return arena;
    }

    @Override
    public final synchronized void retain() {
        refs++;
    }

    @Override
    public final synchronized int releaseRef() {
        return --refs;
    }

    @Override
    public final synchronized boolean heldOnce() {
        return refs == 1 && !escaped;
    }

    @Override
    public final synchronized void escape() {
        if (!escaped) {
            escaped = true;
            escaping();
        }
    }

    /** Called once, under this storage's lock, when it escapes: the caller keeps it from now on. */
    protected void escaping() {
    }

    /** Whether it escaped to the caller (under this storage's lock, which the subclasses' methods share). */
    protected final synchronized boolean escaped() {
        return escaped;
    }
}
