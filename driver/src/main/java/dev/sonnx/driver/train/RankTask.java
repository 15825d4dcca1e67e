package dev.sonnx.driver.train;

import dev.sonnx.driver.checkpoint.HadoopCheckpointStore;
import dev.sonnx.driver.infer.RowFeatures;
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
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Row;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * One rank of the barrier stage: reads its partition into a shard, takes its device (the task's GPU,
 * else the CPU with the task's cores), bootstraps the communicator through the barrier context (NCCL
 * on GPUs, the TCP ring on CPUs) and runs the {@link RankTrainer}.
 */
final class RankTask extends AbstractFunction1<Iterator<Row>, Iterator<RankOutcome>> implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Broadcast<byte[]> model;
    private final TrainConfig config;
    private final int[] sampleShape;
    private final int classes;
    private final String progressAddress;
    private final long collectiveTimeoutSeconds;

    RankTask(Broadcast<byte[]> model, TrainConfig config, int[] sampleShape, int classes, String progressAddress,
             long collectiveTimeoutSeconds) {
        this.model = model;
        this.config = config;
        this.sampleShape = sampleShape;
        this.classes = classes;
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
        HadoopCheckpointStore store = config.checkpointDir == null ? null
                : new HadoopCheckpointStore(config.checkpointDir, 3);
        try (Communicator comm = communicator(ctx, rank, world, device);
             ProgressSink progress = rank == 0 ? SocketProgressSink.connect(progressAddress) : ProgressSink.NONE) {
            if (shard.badRows() > 0) {
                progress.message("rank " + rank + " skipped " + shard.badRows() + " unreadable rows");
            }
            RankOutcome outcome = new RankTrainer(comm, device, config, model.value(), shard, store, progress).run();
            return CollectionConverters.asScala(List.of(outcome).iterator());
        } catch (IOException e) {
            throw new UncheckedIOException("rank " + rank + ": " + e.getMessage(), e);
        }
    }

    private Shard read(Iterator<Row> rows, int rank) {
        ShardBuilder b = new ShardBuilder(sampleShape, classes, config.skipBadRows);
        long index = 0;
        while (rows.hasNext()) {
            Row r = rows.next();
            b.add("#" + index + " of partition " + rank, RowFeatures.read(r, 0), RowFeatures.label(r, 1));
            index++;
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
        String host = ctx.getTaskInfos()[rank].address();
        host = host.contains(":") ? host.substring(0, host.lastIndexOf(':')) : host;
        TcpOptions options = TcpOptions.defaults().withAdvertisedHost(host)
                .withTimeout(Duration.ofSeconds(collectiveTimeoutSeconds));
        return TcpCommunicator.create(rank, world, rendezvous, options);
    }
}
