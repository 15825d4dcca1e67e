package dev.sonnx.driver.rank;

/** Where rank 0 sends progress while training runs (the driver's progress server, a log, a test list). */
public interface ProgressSink extends AutoCloseable {

    void step(StepMetrics m);

    /** A line for humans (epoch summaries, resumptions, warnings). */
    void message(String line);

    @Override
    default void close() {
    }

    /** Discards everything (ranks other than 0). */
    ProgressSink NONE = new ProgressSink() {
        @Override
        public void step(StepMetrics m) {
        }

        @Override
        public void message(String line) {
        }
    };
}
