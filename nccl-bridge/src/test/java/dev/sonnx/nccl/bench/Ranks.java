package dev.sonnx.nccl.bench;

import dev.sonnx.nccl.InProcessRendezvous;
import dev.sonnx.nccl.TcpCommunicator;
import dev.sonnx.nccl.TcpOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Runs one body per rank, each rank a thread of this JVM with its own TCP ring communicator over loopback. */
final class Ranks {

    interface Body<T> {
        T run(TcpCommunicator communicator) throws Exception;
    }

    private Ranks() {
    }

    static <T> List<T> run(int worldSize, TcpOptions options, Body<T> body) {
        InProcessRendezvous rendezvous = new InProcessRendezvous(worldSize, options.timeout());
        ExecutorService pool = Executors.newFixedThreadPool(worldSize);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int r = 0; r < worldSize; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    try (TcpCommunicator comm = TcpCommunicator.create(rank, worldSize, rendezvous.forRank(rank),
                            options)) {
                        return body.run(comm);
                    }
                }));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get());
            }
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a rank failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }
}
