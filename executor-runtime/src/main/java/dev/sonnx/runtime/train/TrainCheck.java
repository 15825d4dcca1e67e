package dev.sonnx.runtime.train;

import dev.sonnx.runtime.conformance.Tolerance;
import dev.sonnx.runtime.conformance.ValueComparator;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.model.SonnxModel;
import dev.sonnx.runtime.opt.DistOpt;
import dev.sonnx.runtime.opt.DistOption;
import dev.sonnx.runtime.opt.Optimizer;
import dev.sonnx.runtime.opt.SGD;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.nccl.Communicator;
import dev.sonnx.nccl.ElementType;
import dev.sonnx.nccl.InProcessRendezvous;
import dev.sonnx.nccl.ReduceOp;
import dev.sonnx.nccl.TcpCommunicator;
import dev.sonnx.nccl.TcpOptions;
import dev.sonnx.runtime.SonnxException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.List;

/**
 * Retrains a {@link TrainReference} with its settings and compares, step by step, the loss before
 * each update (within 1e-4 relative) and the final logits in evaluation mode (1e-4 + 1e-3 |e|).
 */
public final class TrainCheck {
    /** Loss agreement per step. */
    public static final double LOSS_RTOL = 1e-4;
    /** Loss agreement per step on a GPU. */
    public static final double DEVICE_LOSS_RTOL = 1e-3;
    /**
     * Loss agreement per step, and the final logits' tolerance, in mixed precision: float16 operands
     * carry 11 significant bits, so products differ from float32's in the third or fourth digit.
     */
    public static final double MIXED_LOSS_RTOL = 1e-2;
    public static final Tolerance MIXED_LOGITS = new Tolerance(1e-2, 1e-2);

    /** What a check found. */
    public record Result(double[] losses, Tensor finalLogits, int passed, int failed) {
    }

    private TrainCheck() {
    }

    /** Trains on one process; {@code distOption} other than fp32 goes through a one-rank DistOpt. */
    public static Result run(TrainReference ref, String distOption, float spars, PrintStream out) {
        return run(ref, CpuDevice.get(), distOption, spars, null, out);
    }

    /**
     * Trains on one process on {@code device}; with a communicator (NCCL with one rank, say) every
     * option goes through a DistOpt over it, else only options other than fp32 do (over no one).
     * Losses are compared within {@link #LOSS_RTOL} on the CPU and {@link #DEVICE_LOSS_RTOL} elsewhere
     * (cuDNN and cuBLAS sum in other orders).
     */
    public static Result run(TrainReference ref, Device device, String distOption, float spars,
                             Communicator comm, PrintStream out) {
        SonnxModel model = new SonnxModel(ref.model(), device);
        model.compile(List.of(ref.x()), true, true, false);
        Optimizer sgd = new SGD(ref.lr(), ref.momentum(), ref.weightDecay());
        model.setOptimizer(comm != null ? new DistOpt(sgd, comm)
                : DistOption.parse(distOption) == DistOption.FP32 ? sgd : new DistOpt(sgd));
        double[] losses = new double[ref.steps()];
        for (int i = 0; i < ref.steps(); i++) {
            losses[i] = model.trainOneBatch(ref.x(), ref.y(), distOption, spars)[1].toHost().getDouble(0);
        }
        Tensor logits = model.predict(ref.x()).get(0).toHost();
        if (device.mixedPrecision()) {
            return report(ref, losses, logits, MIXED_LOSS_RTOL, MIXED_LOGITS, out);
        }
        return report(ref, losses, logits, device.isHost() ? LOSS_RTOL : DEVICE_LOSS_RTOL, Tolerance.ZOO, out);
    }

    /**
     * Trains with {@code ranks} data-parallel ranks (threads joined by the TCP ring over loopback), each
     * on an equal slice of the batch; the loss of a step is the average of the ranks' losses, which for
     * equal slices is the loss of the whole batch. Final logits come from rank 0's model.
     */
    public static Result runRanks(TrainReference ref, int ranks, String distOption, float spars, PrintStream out) {
        if (ranks == 1) {
            return run(ref, distOption, spars, out);
        }
        int n = ref.x().dim(0);
        if (n % ranks != 0) {
            throw new IllegalArgumentException("the batch of " + n + " rows does not split into " + ranks
                    + " equal slices");
        }
        InProcessRendezvous rendezvous = new InProcessRendezvous(ranks, Duration.ofSeconds(60));
        double[][] losses = new double[ranks][ref.steps()];
        Tensor[] logits = new Tensor[1];
        ExecutorService pool = Executors.newFixedThreadPool(ranks);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int r = 0; r < ranks; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    try (Communicator comm = TcpCommunicator.create(rank, ranks, rendezvous.forRank(rank),
                            TcpOptions.defaults().withBindHost("127.0.0.1").withAdvertisedHost("127.0.0.1"))) {
                        Tensor x = rows(ref.x(), rank * n / ranks, n / ranks);
                        Tensor y = rows(ref.y(), rank * n / ranks, n / ranks);
                        SonnxModel model = new SonnxModel(ref.model(), CpuDevice.get());
                        model.compile(List.of(x), true, true, false);
                        model.setOptimizer(new DistOpt(new SGD(ref.lr(), ref.momentum(), ref.weightDecay()), comm));
                        ByteBuffer lossBuffer = ByteBuffer.allocateDirect(4).order(ByteOrder.LITTLE_ENDIAN);
                        for (int i = 0; i < ref.steps(); i++) {
                            Tensor loss = model.trainOneBatch(x, y, distOption, spars)[1];
                            lossBuffer.putFloat(0, loss.getFloat(0));
                            comm.allReduce(lossBuffer, 1, ElementType.FLOAT32, ReduceOp.AVERAGE);
                            losses[rank][i] = lossBuffer.getFloat(0);
                        }
                        if (rank == 0) {
                            logits[0] = model.predict(ref.x()).get(0);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (ExecutionException e) {
            throw new SonnxException("a rank failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SonnxException("interrupted", e);
        } finally {
            pool.shutdownNow();
        }
        return report(ref, losses[0], logits[0], LOSS_RTOL, Tolerance.ZOO, out);
    }

    /** Rows {@code [from, from + count)} of a tensor, as a copy. */
    static Tensor rows(Tensor t, int from, int count) {
        int[] shape = t.shape().clone();
        int per = t.size() / shape[0];
        shape[0] = count;
        Tensor r = Tensor.zeros(t.dtype(), shape);
        int w = t.dtype().byteSize();
        r.bytes().put(0, t.bytes(), from * per * w, count * per * w);
        return r;
    }

    /** Prints one line per step and for the final logits, then {@code N passed, M failed}. */
    public static Result report(TrainReference ref, double[] losses, Tensor logits, double lossRtol,
                                Tolerance logitsTolerance, PrintStream out) {
        int passed = 0;
        for (int i = 0; i < ref.steps(); i++) {
            double expected = ref.losses()[i];
            boolean ok = Math.abs(losses[i] - expected) <= lossRtol * Math.abs(expected);
            passed += ok ? 1 : 0;
            out.printf("step %d: loss ours=%.7f ref=%.7f %s%n", i, losses[i], expected, ok ? "PASS" : "FAIL");
        }
        String diff = ValueComparator.difference(logits, ref.finalLogits(), logitsTolerance);
        passed += diff == null ? 1 : 0;
        out.println("final logits: " + (diff == null ? "PASS" : "FAIL " + diff));
        int failed = ref.steps() + 1 - passed;
        out.println(passed + " passed, " + failed + " failed");
        return new Result(losses, logits, passed, failed);
    }
}
