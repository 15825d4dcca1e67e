package dev.sonnx.driver.testing;

import org.apache.spark.sql.SparkSession;

/**
 * One local Spark session for every test class of this JVM (starting one costs seconds): four task
 * slots, so barrier stages of two or four ranks fit, and two attempts per task, so that a barrier
 * stage whose task failed is retried rather than the job aborted. A test that needs another master
 * stops it; the next caller gets a new one.
 */
public final class LocalSpark {
    private static SparkSession session;

    private LocalSpark() {
    }

    public static synchronized SparkSession get() {
        if (session == null || session.sparkContext().isStopped()) {
            session = SparkSession.builder()
                    .master("local[4,2]")
                    .appName("sonnx-driver-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.sql.adaptive.enabled", "false")
                    .getOrCreate();
        }
        return session;
    }
}
