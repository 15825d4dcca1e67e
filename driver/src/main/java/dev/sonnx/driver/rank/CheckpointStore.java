package dev.sonnx.driver.rank;

import java.io.IOException;
import java.util.Optional;

/** Where rank 0 keeps checkpoints and where every rank looks for one when a run restarts. */
public interface CheckpointStore {

    /** The newest complete checkpoint, if any. */
    Optional<Saved> latest() throws IOException;

    /** Stores a checkpoint of {@code step} atomically (a reader never sees a partial one). */
    void save(long step, byte[] checkpoint) throws IOException;

    /** A stored checkpoint: the step it was written after, and its bytes. */
    record Saved(long step, byte[] bytes) {
    }
}
