package dev.sonnx.driver.train;

import dev.sonnx.driver.rank.RankFailure;
import dev.sonnx.runtime.SonnxException;

/**
 * A distributed training run that stopped for a reason retrying would not cure: bad data (the message
 * names the row), a loss that stopped being finite (the step, and the checkpoint kept), or a
 * checkpoint folder that belongs to another run.
 */
public final class TrainingException extends SonnxException {
    private final RankFailure.Kind kind;
    private final long step;

    public TrainingException(RankFailure failure) {
        super(failure.message());
        this.kind = failure.kind();
        this.step = failure.step();
    }

    public RankFailure.Kind kind() {
        return kind;
    }

    /** The step at which training stopped (0 when it stopped before the first step). */
    public long step() {
        return step;
    }
}
