package dev.sonnx.driver.rank;

import dev.sonnx.driver.io.Digests;
import dev.sonnx.driver.train.TrainConfig;
import dev.sonnx.nccl.Communicator;
import dev.sonnx.nccl.ElementType;
import dev.sonnx.nccl.ReduceOp;
import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.model.SonnxModel;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.StringStringEntryProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.opt.DistOpt;
import dev.sonnx.runtime.opt.DistOption;
import dev.sonnx.runtime.opt.Optimizer;
import dev.sonnx.runtime.opt.Parameter;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.train.Checkpoints;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * The training loop of one rank of a data-parallel job, free of Spark so it runs the same in a
 * barrier task, in threads or in processes: agree with the other ranks on the data (every rank's
 * rows, or the bad row that stops the run) and on the steps per epoch, compile the model, resume from
 * rank 0's newest checkpoint, take rank 0's weights, then {@code trainOneBatch} with the dist option,
 * checkpointing every K steps from rank 0, and export at the end.
 *
 * <p>Failures every rank reaches together (bad data, a non-finite loss, a checkpoint of another run)
 * end the loop on every rank and come back as a {@link RankFailure}: retrying would repeat them.
 * Anything else (a lost peer, an injected failure) throws, and Spark retries the stage.
 */
public final class RankTrainer {
    /** Checkpoint metadata naming the run that wrote it (model and trajectory settings). */
    public static final String RUN_KEY = "sonnx.run";

    private final Communicator comm;
    private final Device device;
    private final TrainConfig config;
    private final byte[] modelBytes;
    private final Shard shard;
    private final CheckpointStore checkpoints;
    private final ProgressSink progress;
    private final int attempt;
    private final BooleanSupplier stopRequested;
    private final int rank;

    /**
     * @param attempt       the stage attempt (0 first): the injected failure fires on attempt 0 only
     * @param stopRequested polled between steps; true when the task was killed
     */
    public RankTrainer(Communicator comm, Device device, TrainConfig config, byte[] modelBytes, Shard shard,
                       CheckpointStore checkpoints, ProgressSink progress, int attempt, BooleanSupplier stopRequested) {
        this.comm = comm;
        this.device = device;
        this.config = config;
        this.modelBytes = modelBytes;
        this.shard = shard;
        this.checkpoints = checkpoints;
        this.rank = comm.rank();
        this.progress = rank == 0 ? progress : ProgressSink.NONE;
        this.attempt = attempt;
        this.stopRequested = stopRequested;
    }

    public RankOutcome run() throws IOException {
        DataAgreement data = agreeOnData();
        if (data.problem() != null) {
            return RankOutcome.failed(rank, 0, shard.badRows(), List.of(),
                    new RankFailure(RankFailure.Kind.BAD_DATA, data.problem(), 0));
        }
        // The smallest shard decides, so no rank waits for a step another cannot make.
        int stepsPerEpoch = data.fewestRows() / config.batchSize;
        long totalSteps = (long) stepsPerEpoch * config.epochs;

        ModelProto onnx = ModelIO.parse(modelBytes, "broadcast model", null);
        SonnxModel model = new FineTuneModel(onnx, device, config.lastLayers, config.newHeadClasses, config.seed);
        model.setSeed(config.seed * 1_000_003L + rank);
        Shard.Batch sample = shard.head(config.batchSize);
        model.compile(List.of(sample.x()), true, true, false);
        if (config.freezeImported) {
            model.freezeImported();
        }
        Optimizer inner = config.newOptimizer((int) Math.min(Integer.MAX_VALUE, totalSteps));
        DistOpt opt = new DistOpt(inner, comm);
        model.setOptimizer(opt);

        String runKey = runKey();
        long start;
        try {
            start = resume(model, opt, runKey);
        } catch (ForeignCheckpointException e) {
            return RankOutcome.failed(rank, 0, shard.badRows(), List.of(),
                    new RankFailure(RankFailure.Kind.FOREIGN_CHECKPOINT, e.getMessage(), 0));
        }
        broadcastFromRankZero(model);

        Shard.Batch batch = shard.newBatch(config.batchSize);
        int[] order = new int[shard.size()];
        List<StepMetrics> metrics = new ArrayList<>();
        ByteBuffer lossBuffer = ByteBuffer.allocateDirect(4).order(ByteOrder.LITTLE_ENDIAN);
        byte[] pending = null;
        long pendingStep = -1;
        long lastSaved = start > 0 ? start : -1;
        long step = start;
        for (int epoch = (int) (start / stepsPerEpoch); epoch < config.epochs; epoch++) {
            shuffle(order, epoch);
            double epochLoss = 0;
            int epochSteps = 0;
            long epochStart = System.nanoTime();
            for (int s = (int) (step - (long) epoch * stepsPerEpoch); s < stepsPerEpoch; s++) {
                if (stopRequested.getAsBoolean()) {
                    throw new SonnxException("rank " + rank + ": the task was killed at step " + step);
                }
                injectFailure(step + 1);
                shard.fill(batch, order, s * config.batchSize);
                long t0 = System.nanoTime();
                double lr = opt.learningRate();
                Tensor loss = model.trainOneBatch(batch.x(), batch.y(), config.distOption.id(), config.spars)[1];
                double meanLoss = averageOverRanks(lossBuffer, loss.getDouble(0));
                if (!Double.isFinite(meanLoss)) {
                    // The weights that gave this loss are those of the pending checkpoint: drop it.
                    String where = lastSaved >= 0
                            ? "the last good checkpoint, of step " + lastSaved + ", is kept in " + config.checkpointDir
                            : "no checkpoint had been written";
                    return RankOutcome.failed(rank, step, shard.badRows(), rank == 0 ? metrics : List.of(),
                            new RankFailure(RankFailure.Kind.DIVERGED, String.format(Locale.ROOT,
                                    "training diverged: the loss is %s at step %d (epoch %d); %s", meanLoss,
                                    step + 1, epoch + 1, where), step + 1));
                }
                if (pending != null) {
                    checkpoints.save(pendingStep, pending);
                    lastSaved = pendingStep;
                    pending = null;
                }
                step++;
                double secs = (System.nanoTime() - t0) / 1e9;
                StepMetrics m = new StepMetrics(step, epoch + 1, meanLoss,
                        config.batchSize * (double) comm.worldSize() / secs, lr);
                metrics.add(m);
                progress.step(m);
                epochLoss += meanLoss;
                epochSteps++;
                if (rank == 0 && config.checkpointEvery > 0 && step % config.checkpointEvery == 0) {
                    // Written once the next step's loss shows these weights are good (or at the end).
                    pending = checkpoint(model, inner, step, sample.x(), runKey);
                    pendingStep = step;
                }
            }
            double epochSecs = (System.nanoTime() - epochStart) / 1e9;
            progress.message(String.format(Locale.ROOT,
                    "epoch %d/%d: mean loss %.4f over %d steps, %.1f samples/s", epoch + 1, config.epochs,
                    epochSteps == 0 ? Double.NaN : epochLoss / epochSteps, epochSteps,
                    epochSteps * config.batchSize * (double) comm.worldSize() / epochSecs));
        }
        if (pending != null) {
            checkpoints.save(pendingStep, pending);
        }
        boolean everyRankExports = config.distOption == DistOption.PARTIAL_UPDATE;
        byte[] exported = rank == 0 || everyRankExports
                ? Checkpoints.stripTrainingState(LayerExport.checkpoint(model, inner, step, sample.x())).toByteArray()
                : null;
        return new RankOutcome(rank, exported, step, start, shard.badRows(), rank == 0 ? metrics : List.of(), null);
    }

    /** What the ranks agreed on about their data: the fewest rows a rank holds, and the problem that stops them. */
    private record DataAgreement(int fewestRows, String problem) {
    }

    /**
     * Every rank tells the others its row count and its data problem (the first bad row, when bad
     * rows are not skipped); returns the problem all ranks stop on, or null to train.
     */
    private DataAgreement agreeOnData() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(shard.size());
            out.writeUTF(shard.problem() == null ? "" : shard.problem());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[][] all = comm.allGatherBytes(bytes.toByteArray());
        int fewest = Integer.MAX_VALUE;
        int fewestRank = 0;
        String problem = null;
        for (int r = 0; r < all.length; r++) {
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(all[r]))) {
                int rows = in.readInt();
                String p = in.readUTF();
                if (problem == null && !p.isEmpty()) {
                    problem = "rank " + r + ": " + p;
                }
                if (rows < fewest) {
                    fewest = rows;
                    fewestRank = r;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (problem == null && fewest < config.batchSize) {
            problem = "rank " + fewestRank + " has " + fewest + " training rows, fewer than one batch of "
                    + config.batchSize + "; use a smaller batch, fewer ranks or more data";
        }
        return new DataAgreement(fewest, problem);
    }

    /** Names the run a checkpoint belongs to: the model's content and the settings of its trajectory. */
    private String runKey() {
        return "model " + Digests.sha256(modelBytes).substring(0, 16) + " " + config.trajectoryKey();
    }

    /**
     * Rank 0 reads the newest checkpoint and hands its bytes to every rank (so all ranks resume from the
     * same one even if the folder changes meanwhile); each loads it. Returns the step to continue from.
     */
    private long resume(SonnxModel model, DistOpt opt, String runKey) throws IOException, ForeignCheckpointException {
        if (checkpoints == null) {
            return 0;
        }
        // Every message carries a leading byte (1: a checkpoint follows): the TCP ring's allGatherBytes
        // waits out its whole timeout when every message is empty.
        byte[] mine = {0};
        if (rank == 0) {
            Optional<CheckpointStore.Saved> latest = checkpoints.latest();
            if (latest.isPresent()) {
                byte[] bytes = latest.get().bytes();
                mine = new byte[bytes.length + 1];
                mine[0] = 1;
                System.arraycopy(bytes, 0, mine, 1, bytes.length);
            }
        }
        byte[] saved = comm.allGatherBytes(mine)[0];
        if (saved[0] == 0) {
            return 0;
        }
        ModelProto checkpoint = Checkpoints.parse(java.util.Arrays.copyOfRange(saved, 1, saved.length));
        String writtenBy = metadata(checkpoint, RUN_KEY);
        if (!runKey.equals(writtenBy)) {
            throw new ForeignCheckpointException("the checkpoint folder " + config.checkpointDir
                    + " holds a checkpoint of another run (step " + Checkpoints.step(checkpoint) + ", written by '"
                    + writtenBy + "', this run is '" + runKey + "'); give this run an empty folder");
        }
        long step = Checkpoints.restore(checkpoint, model, opt);
        progress.message("resuming from the checkpoint of step " + step + " (stage attempt " + attempt + ")");
        return step;
    }

    /** A checkpoint of the current state, or null (with a warning) when its weights are not all finite. */
    private byte[] checkpoint(SonnxModel model, Optimizer inner, long step, Tensor sample, String runKey) {
        ModelProto m = LayerExport.checkpoint(model, inner, step, sample).toBuilder()
                .addMetadataProps(StringStringEntryProto.newBuilder().setKey(RUN_KEY).setValue(runKey)).build();
        for (TensorProto t : m.getGraph().getInitializerList()) {
            if (t.getDataType() == DataType.FLOAT.code() && !finite(TensorProtos.toTensor(t))) {
                progress.message("step " + step + ": '" + t.getName() + "' is not finite; no checkpoint written");
                return null;
            }
        }
        return m.toByteArray();
    }

    private static boolean finite(Tensor t) {
        FloatBuffer f = t.floats();
        for (int i = 0, n = t.size(); i < n; i++) {
            if (!Float.isFinite(f.get(i))) {
                return false;
            }
        }
        return true;
    }

    private static String metadata(ModelProto m, String key) {
        for (StringStringEntryProto e : m.getMetadataPropsList()) {
            if (e.getKey().equals(key)) {
                return e.getValue();
            }
        }
        return null;
    }

    private void injectFailure(long nextStep) {
        TrainConfig.InjectedFailure f = config.injectedFailure;
        if (f != null && f.rank() == rank && f.step() == nextStep && attempt == 0) {
            throw new InjectedFailureException("rank " + rank + ": injected failure before step " + nextStep
                    + " (stage attempt 0)");
        }
    }

    /** Every rank starts from rank 0's weights and statistics: the graph's float initializers, then the layers'. */
    private void broadcastFromRankZero(SonnxModel model) {
        if (comm.worldSize() == 1) {
            return;
        }
        Set<String> graphNames = new HashSet<>();
        for (TensorProto init : model.onnxModel().getGraph().getInitializerList()) {
            graphNames.add(init.getName());
            Tensor t = model.singaRep().initializer(init.getName());
            if (t != null && t.dtype() == DataType.FLOAT) {
                broadcast(t);
            }
        }
        for (List<Parameter> group : List.of(model.parameters(), model.buffers())) {
            for (Parameter p : group) {
                if (!graphNames.contains(p.name())) {
                    broadcast(p.value());
                }
            }
        }
    }

    /**
     * Rank 0's values of {@code t} into every rank's. Weights on a GPU go through a host copy: this
     * runs once per training stage, and the communicator's host path works for NCCL and TCP alike.
     */
    private void broadcast(Tensor t) {
        if (t.isHost()) {
            comm.broadcast(t.bytes(), t.size(), ElementType.FLOAT32, 0);
            return;
        }
        Tensor host = t.toHost();
        comm.broadcast(host.bytes(), host.size(), ElementType.FLOAT32, 0);
        t.copyFrom(host);
    }

    private double averageOverRanks(ByteBuffer buf, double value) {
        buf.putFloat(0, (float) value);
        comm.allReduce(buf, 1, ElementType.FLOAT32, ReduceOp.AVERAGE);
        return buf.getFloat(0);
    }

    /** The same permutation on every run of an epoch (so a resumed run sees the same batches). */
    private void shuffle(int[] order, int epoch) {
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

    /** Thrown by the test hook {@link TrainConfig.Builder#injectFailure}. */
    public static final class InjectedFailureException extends RuntimeException {
        public InjectedFailureException(String message) {
            super(message);
        }
    }

    private static final class ForeignCheckpointException extends Exception {
        ForeignCheckpointException(String message) {
            super(message);
        }
    }
}
