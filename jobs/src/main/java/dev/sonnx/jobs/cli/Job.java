package dev.sonnx.jobs.cli;

import java.io.PrintStream;
import java.util.Set;
import org.apache.spark.sql.SparkSession;

/**
 * A Spark job of sonnx: reads all of its settings from the command line first (so a mistake fails
 * before Spark starts), then runs with a session.
 *
 * @param <S> the job's settings
 */
public interface Job<S> {

    /** The command name ({@code finetune}, {@code infer}...). */
    String name();

    /** The option lines of the usage text. */
    String usage();

    /** Options that take no value. */
    default Set<String> switches() {
        return Set.of();
    }

    /** Reads every option; throws {@code Args.UsageException} on a mistake. */
    S settings(JobArgs args);

    void run(S settings, SparkSession spark, PrintStream out) throws Exception;
}
