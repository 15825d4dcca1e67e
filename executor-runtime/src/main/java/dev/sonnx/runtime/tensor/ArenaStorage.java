package dev.sonnx.runtime.tensor;

/**
 * Storage that a run's {@link Arena} can hand out and take back: host blocks from the
 * {@link BufferPool}, and device blocks from a device's caching allocator. The arena counts the
 * slots that hold it and recycles it when the last one drops it, unless it escaped to the caller.
 */
public interface ArenaStorage extends Storage {

    /** The arena that handed it out, or null for storage of its own. */
    Arena arena();

    /** One more slot of the run holds it. */
    void retain();

    /** One slot fewer; returns how many still hold it. */
    int releaseRef();

    /** Whether exactly one slot holds it and it did not escape. */
    boolean heldOnce();

    /** Marks it as the caller's: the arena never recycles it. */
    void escape();

    /** Back to its pool, once, unless it escaped. */
    void recycle();

    /** Back to its pool at its owner's request when it escaped; false when it is not the owner's to give. */
    boolean giveBack();
}
