package dev.sonnx.nccl;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs one body per rank, each rank a thread with its own {@link TcpCommunicator} over loopback. */
final class ThreadRanks {

    /** What one rank does with its communicator; may throw, the failure is reported per rank. */
    interface RankBody<T> {
        T run(TcpCommunicator communicator) throws Exception;
    }

    /** The result of one rank: its value, or what it threw. */
    record Outcome<T>(int rank, T value, Throwable failure, long elapsedNanos) {
        T get() {
            if (failure != null) {
                throw new AssertionError("rank " + rank + " failed: " + failure, failure);
            }
            return value;
        }
    }

    static final Duration TEST_TIMEOUT = Duration.ofSeconds(10);

    static TcpOptions loopback(Duration timeout) {
        return TcpOptions.defaults().withBindHost("127.0.0.1").withTimeout(timeout);
    }

    /** Runs {@code body} on every rank and returns each rank's value, failing if any rank threw. */
    static <T> List<T> runAll(int worldSize, TcpOptions options, RankBody<T> body) {
        List<T> values = new ArrayList<>();
        for (Outcome<T> outcome : run(worldSize, options, body)) {
            values.add(outcome.get());
        }
        return values;
    }

    /** Runs {@code body} on every rank; a rank's failure is kept in its outcome. Closes every communicator. */
    static <T> List<Outcome<T>> run(int worldSize, TcpOptions options, RankBody<T> body) {
        InProcessRendezvous rendezvous = new InProcessRendezvous(worldSize, options.timeout());
        ExecutorService pool = Executors.newFixedThreadPool(worldSize);
        try {
            List<Future<Outcome<T>>> futures = new ArrayList<>();
            for (int r = 0; r < worldSize; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    long start = System.nanoTime();
                    try (TcpCommunicator communicator =
                                 TcpCommunicator.create(rank, worldSize, rendezvous.forRank(rank), options)) {
                        T value = body.run(communicator);
                        return new Outcome<>(rank, value, null, System.nanoTime() - start);
                    } catch (Throwable t) {
                        return new Outcome<T>(rank, null, t, System.nanoTime() - start);
                    }
                }));
            }
            List<Outcome<T>> outcomes = new ArrayList<>();
            long deadline = System.nanoTime() + options.timeout().toNanos() * 3 + TimeUnit.SECONDS.toNanos(20);
            for (Future<Outcome<T>> future : futures) {
                outcomes.add(future.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            }
            return outcomes;
        } catch (TimeoutException e) {
            throw new AssertionError("a rank hung: it neither finished nor failed well past the timeout", e);
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError(e);
        } finally {
            pool.shutdownNow();
        }
    }

    private ThreadRanks() {
    }
}
