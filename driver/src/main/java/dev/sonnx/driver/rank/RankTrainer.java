package dev.sonnx.driver.rank;

import dev.sonnx.driver.train.TrainConfig;
import dev.sonnx.nccl.Communicator;
import dev.sonnx.nccl.ElementType;
import dev.sonnx.nccl.ReduceOp;
import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.model.SonnxModel;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.opt.DistOpt;
import dev.sonnx.runtime.opt.DistOption;
import dev.sonnx.runtime.opt.Optimizer;
import dev.sonnx.runtime.opt.Parameter;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.train.Checkpoints;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * The training loop of one rank of a data-parallel job, free of Spark so it runs the same in a
 * barrier task, in threads or in processes: compile the model, take rank 0's weights, agree on the
 * number of steps, resume from the newest checkpoint, then {@code trainOneBatch} with the dist option,
 * checkpointing every K steps from rank 0, and export at the end.
 */
public final class RankTrainer {
    private final Communicator comm;
    private final Device device;
    private final TrainConfig config;
    private final byte[] modelBytes;
    private final Shard shard;
    private final CheckpointStore checkpoints;
    private final ProgressSink progress;

    public RankTrainer(Communicator comm, Device device, TrainConfig config, byte[] modelBytes, Shard shard,
                       CheckpointStore checkpoints, ProgressSink progress) {
        this.comm = comm;
        this.device = device;
        this.config = config;
        this.modelBytes = modelBytes;
        this.shard = shard;
        this.checkpoints = checkpoints;
        this.progress = comm.rank() == 0 ? progress : ProgressSink.NONE;
    }

    public RankOutcome run() throws IOException {
        int rank = comm.rank();
        ModelProto onnx = ModelIO.parse(modelBytes, "broadcast model", null);
        SonnxModel model = new FineTuneModel(onnx, device, config.lastLayers, config.newHeadClasses, config.seed);
        model.setSeed(config.seed * 1_000_003L + rank);
        Shard.Batch sample = shard.head(Math.max(1, Math.min(config.batchSize, shard.size())));
        if (shard.size() == 0) {
            throw new SonnxException("rank " + rank + " has no training rows");
        }
        model.compile(List.of(sample.x()), true, true, false);
        if (config.freezeImported) {
            model.freezeImported();
        }

        int stepsPerEpoch = agreeOnStepsPerEpoch();
        long totalSteps = (long) stepsPerEpoch * config.epochs;
        Optimizer inner = config.newOptimizer((int) Math.min(Integer.MAX_VALUE, totalSteps));
        DistOpt opt = new DistOpt(inner, comm);
        model.setOptimizer(opt);

        long start = resume(model, opt);
        broadcastFromRankZero(model);

        Shard.Batch batch = shard.newBatch(config.batchSize);
        int[] order = new int[shard.size()];
        List<StepMetrics> metrics = new ArrayList<>();
        ByteBuffer lossBuffer = ByteBuffer.allocateDirect(4).order(ByteOrder.LITTLE_ENDIAN);
        long step = start;
        for (int epoch = (int) (start / stepsPerEpoch); epoch < config.epochs; epoch++) {
            shuffle(order, epoch, rank);
            double epochLoss = 0;
            int epochSteps = 0;
            long epochStart = System.nanoTime();
            for (int s = (int) (step - (long) epoch * stepsPerEpoch); s < stepsPerEpoch; s++) {
                shard.fill(batch, order, s * config.batchSize);
                long t0 = System.nanoTime();
                double lr = opt.learningRate();
                Tensor loss = model.trainOneBatch(batch.x(), batch.y(), config.distOption.id(), config.spars)[1];
                double meanLoss = averageOverRanks(lossBuffer, loss.getDouble(0));
                if (!Double.isFinite(meanLoss)) {
                    throw new SonnxException("training diverged: the loss is " + meanLoss + " at step " + (step + 1)
                            + " (epoch " + (epoch + 1) + "); the last good checkpoint is kept");
                }
                step++;
                double secs = (System.nanoTime() - t0) / 1e9;
                StepMetrics m = new StepMetrics(step, epoch + 1, meanLoss,
                        config.batchSize * (double) comm.worldSize() / secs, lr);
                metrics.add(m);
                progress.step(m);
                epochLoss += meanLoss;
                epochSteps++;
                if (config.checkpointEvery > 0 && step % config.checkpointEvery == 0 && rank == 0) {
                    checkpoints.save(step, Checkpoints.write(model, inner, step, sample.x()).toByteArray());
                }
            }
            double epochSecs = (System.nanoTime() - epochStart) / 1e9;
            progress.message(String.format(java.util.Locale.ROOT,
                    "epoch %d/%d: mean loss %.4f over %d steps, %.1f samples/s", epoch + 1, config.epochs,
                    epochSteps == 0 ? Double.NaN : epochLoss / epochSteps, epochSteps,
                    epochSteps * config.batchSize * (double) comm.worldSize() / epochSecs));
        }
        boolean everyRankExports = config.distOption == DistOption.PARTIAL_UPDATE;
        byte[] exported = rank == 0 || everyRankExports
                ? Checkpoints.stripTrainingState(Checkpoints.write(model, inner, step, sample.x())).toByteArray()
                : null;
        return new RankOutcome(rank, exported, step, start, shard.badRows(), rank == 0 ? metrics : List.of());
    }

    /** Steps per epoch that every rank can make: the smallest shard decides (no rank waits forever). */
    private int agreeOnStepsPerEpoch() {
        int mine = shard.size() / config.batchSize;
        byte[][] all = comm.allGatherBytes(ByteBuffer.allocate(4).putInt(mine).array());
        int min = Integer.MAX_VALUE;
        for (byte[] b : all) {
            min = Math.min(min, ByteBuffer.wrap(b).getInt());
        }
        if (min <= 0) {
            throw new SonnxException("a rank has fewer rows than one batch of " + config.batchSize
                    + "; use a smaller batch or fewer ranks");
        }
        return min;
    }

    /** Loads the newest checkpoint, if any, on every rank; returns the step to continue from. */
    private long resume(SonnxModel model, DistOpt opt) throws IOException {
        if (checkpoints == null) {
            return 0;
        }
        Optional<byte[]> latest = checkpoints.latest();
        if (latest.isEmpty()) {
            return 0;
        }
        long step = Checkpoints.restore(Checkpoints.parse(latest.get()), model, opt);
        progress.message("resuming from the checkpoint of step " + step);
        return step;
    }

    /** Every rank starts from rank 0's weights and statistics: the graph's float initializers, then the layers'. */
    private void broadcastFromRankZero(SonnxModel model) {
        if (comm.worldSize() == 1) {
            return;
        }
        java.util.Set<String> graphNames = new java.util.HashSet<>();
        for (var init : model.onnxModel().getGraph().getInitializerList()) {
            graphNames.add(init.getName());
            Tensor t = model.singaRep().initializer(init.getName());
            if (t != null && t.dtype() == DataType.FLOAT) {
                comm.broadcast(t.bytes(), t.size(), ElementType.FLOAT32, 0);
            }
        }
        for (List<Parameter> group : List.of(model.parameters(), model.buffers())) {
            for (Parameter p : group) {
                if (!graphNames.contains(p.name())) {
                    comm.broadcast(p.value().bytes(), p.value().size(), ElementType.FLOAT32, 0);
                }
            }
        }
    }

    private double averageOverRanks(ByteBuffer buf, double value) {
        buf.putFloat(0, (float) value);
        comm.allReduce(buf, 1, ElementType.FLOAT32, ReduceOp.AVERAGE);
        return buf.getFloat(0);
    }

    /** The same permutation on every run of an epoch (so a resumed run sees the same batches). */
    private void shuffle(int[] order, int epoch, int rank) {
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        SplittableRandom r = new SplittableRandom(config.seed * 31 + epoch * 7919L + rank);
        for (int i = order.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }
}
