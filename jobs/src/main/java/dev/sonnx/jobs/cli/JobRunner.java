package dev.sonnx.jobs.cli;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.cli.Args;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import org.apache.spark.SparkException;
import org.apache.spark.sql.SparkSession;

/**
 * Runs a {@link Job} from a command line, for {@code spark-submit --class} (each job's {@code main})
 * and for {@code bin/sonnx} ({@link JobsMain}): usage mistakes exit with 2 before Spark starts, failures
 * print their cause and exit with 1.
 */
public final class JobRunner {
    private JobRunner() {
    }

    /** {@code main} of a job class: exits the JVM only on failure, as spark-submit expects. */
    public static <S> void main(Job<S> job, String[] argv) {
        int status = run(job, argv, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** Runs {@code job}; returns the exit status (0 done, 1 failed, 2 bad command line). */
    public static <S> int run(Job<S> job, String[] argv, PrintStream out, PrintStream err) {
        if (Arrays.asList(argv).contains("--help")) {
            out.println(usage(job));
            return 0;
        }
        S settings;
        try {
            JobArgs args = JobArgs.parse(argv, job.switches());
            settings = job.settings(args);
            args.checkAllUsed();
        } catch (Args.UsageException | IllegalArgumentException e) {
            err.println("sonnx " + job.name() + ": " + e.getMessage());
            err.println(usage(job));
            return 2;
        }
        SparkSession spark = SparkSession.builder().appName("sonnx " + job.name()).getOrCreate();
        try {
            job.run(settings, spark, out);
            return 0;
        } catch (Exception e) {
            err.println("sonnx " + job.name() + ": " + describe(e));
            return 1;
        } finally {
            spark.stop();
        }
    }

    static String usage(Job<?> job) {
        return "usage: " + job.name() + " [--config FILE] OPTIONS\n" + job.usage();
    }

    /** The message a user needs: ours when ours caused it, through Spark's wrapping. */
    public static String describe(Throwable e) {
        Throwable t = e;
        while (t != null) {
            if (t instanceof SonnxException || t instanceof IllegalArgumentException || t instanceof IOException
                    || t instanceof UncheckedIOException) {
                return t.getMessage();
            }
            if (t.getCause() == null || t.getCause() == t) {
                break;
            }
            t = t.getCause();
        }
        return e instanceof SparkException ? e.getMessage() : e.toString();
    }
}
