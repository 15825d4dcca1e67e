package dev.sonnx.driver.rank;

import java.io.Serializable;

/**
 * A failure every rank reached together and that a retry would repeat, so the ranks end the stage
 * normally and report it instead of throwing (which would make Spark rerun the stage).
 *
 * @param kind    what went wrong
 * @param message the explanation, naming the row, step or checkpoint
 * @param step    the step at which it happened (0 before training)
 */
public record RankFailure(Kind kind, String message, long step) implements Serializable {

    /** The kinds of failure. */
    public enum Kind {
        /** A row cannot be read, or a rank has too few rows. */
        BAD_DATA,
        /** The loss stopped being finite. */
        DIVERGED,
        /** The checkpoint folder holds checkpoints of another run. */
        FOREIGN_CHECKPOINT
    }
}
