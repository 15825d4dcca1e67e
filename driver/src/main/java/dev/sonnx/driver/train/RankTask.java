package dev.sonnx.driver.train;

import dev.sonnx.driver.checkpoint.HadoopCheckpointStore;
import dev.sonnx.driver.ml.RowFeatures;
import dev.sonnx.driver.progress.SocketProgressSink;
import dev.sonnx.driver.rank.ProgressSink;
import dev.sonnx.driver.rank.RankDevices;
import dev.sonnx.driver.rank.RankOutcome;
import dev.sonnx.driver.rank.RankTrainer;
import dev.sonnx.driver.rank.Shard;
import dev.sonnx.driver.rank.ShardBuilder;
import dev.sonnx.nccl.Communicator;
import dev.sonnx.nccl.LocalCommunicator;
import dev.sonnx.nccl.NcclCommunicator;
import dev.sonnx.nccl.TcpCommunicator;
import dev.sonnx.nccl.TcpOptions;
import dev.sonnx.runtime.tensor.Device;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Row;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * One rank of the barrier stage: reads its partition into a shard, takes its device (the task's GPU,
 * else the CPU with the task's cores), bootstraps the communicator through the barrier context (NCCL
 * on GPUs, the TCP ring on CPUs) and runs the {@link RankTrainer}. Rows come as (features, label) or
 * (features, label, key).
 */
final class RankTask extends AbstractFunction1<Iterator<Row>, Iterator<RankOutcome>> implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Broadcast<byte[]> model;
    private final TrainConfig config;
    private final int[] sampleShape;
    private final int classes;
    private final HadoopCheckpointStore checkpoints;
    private final String progressAddress;
    private final long collectiveTimeoutSeconds;

    RankTask(Broadcast<byte[]> model, TrainConfig config, int[] sampleShape, int classes,
             HadoopCheckpointStore checkpoints, String progressAddress, long collectiveTimeoutSeconds) {
        this.model = model;
        this.config = config;
        this.sampleShape = sampleShape;
        this.classes = classes;
        this.checkpoints = checkpoints;
        this.progressAddress = progressAddress;
        this.collectiveTimeoutSeconds = collectiveTimeoutSeconds;
    }

    @Override
    public Iterator<RankOutcome> apply(Iterator<Row> rows) {
        BarrierTaskContext ctx = BarrierTaskContext.get();
        int rank = ctx.partitionId();
        int world = ctx.getTaskInfos().length;
        Shard shard = read(rows, rank);
        Device device = RankDevices.choose(gpus(ctx), ctx.cpus());
        try (Communicator comm = communicator(ctx, rank, world, device);
             ProgressSink progress = rank == 0 ? SocketProgressSink.connect(progressAddress) : ProgressSink.NONE) {
            if (shard.badRows() > 0 && config.skipBadRows) {
                progress.message("rank " + rank + " skipped " + shard.badRows() + " bad rows");
            }
            RankOutcome outcome = new RankTrainer(comm, device, config, model.value(), shard, checkpoints, progress,
                    ctx.stageAttemptNumber(), ctx::isInterrupted).run().ranOn(SparkEnv.get().executorId());
            return CollectionConverters.asScala(List.of(outcome).iterator());
        } catch (IOException e) {
            throw new UncheckedIOException("rank " + rank + ": " + e.getMessage(), e);
        }
    }

    private Shard read(Iterator<Row> rows, int rank) {
        ShardBuilder b = new ShardBuilder(sampleShape, classes, config.skipBadRows);
        for (long index = 0; rows.hasNext() && !b.failed(); index++) {
            Row r = rows.next();
            Object id = r.size() > 2 && !r.isNullAt(2) ? r.get(2) : "#" + index + " of partition " + rank;
            try {
                b.add(id, RowFeatures.read(r, 0), RowFeatures.label(r, 1));
            } catch (RuntimeException e) {
                b.reject(id, "cannot be read: " + e.getMessage());
            }
        }
        return b.build();
    }

    private static String[] gpus(BarrierTaskContext ctx) {
        ResourceInformation gpu = ctx.resourcesJMap().get("gpu");
        return gpu == null ? new String[0] : gpu.addresses();
    }

    private Communicator communicator(BarrierTaskContext ctx, int rank, int world, Device device) {
        if (world == 1) {
            return new LocalCommunicator();
        }
        BarrierRendezvous rendezvous = new BarrierRendezvous(ctx);
        if (!device.isHost()) {
            return NcclCommunicator.create(rank, world, Integer.parseInt(device.name().substring(5)), rendezvous,
                    Duration.ofSeconds(collectiveTimeoutSeconds));
        }
        // The address Spark knows this executor by is one the other executors can reach.
        String host = ctx.getTaskInfos()[rank].address();
        host = host.contains(":") ? host.substring(0, host.lastIndexOf(':')) : host;
        TcpOptions options = TcpOptions.defaults().withAdvertisedHost(host)
                .withTimeout(Duration.ofSeconds(collectiveTimeoutSeconds));
        return TcpCommunicator.create(rank, world, rendezvous, options);
    }
}
