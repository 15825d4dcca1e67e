package dev.sonnx.runtime.opt;

import dev.sonnx.nccl.Communicator;
import dev.sonnx.nccl.DeviceCollectives;
import dev.sonnx.nccl.ElementType;
import dev.sonnx.nccl.Fp16AllReduce;
import dev.sonnx.nccl.FusedBuckets;
import dev.sonnx.nccl.LocalCommunicator;
import dev.sonnx.nccl.PartialUpdateSchedule;
import dev.sonnx.nccl.ReduceOp;
import dev.sonnx.nccl.SparseExchange;
import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.tensor.Arena;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.DeviceMath;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Data-parallel training, SINGA's {@code opt.DistOpt}: wraps an optimizer and a {@link Communicator}
 * and exchanges gradients (or, for partial updates, parameters) between ranks before each update.
 * Gradients smaller than the threshold are fused into buckets so one collective serves many of them;
 * buckets, staging buffers and residuals are planned at the first step and reused after it.
 */
public final class DistOpt extends Optimizer {
    private final Optimizer inner;
    private final Communicator comm;
    private final int threshold;
    private float fp16ClipBound = Fp16AllReduce.NO_CLIPPING;

    private int[] plannedSizes;
    private FusedBuckets buckets;
    private Fp16AllReduce fp16;
    private PartialUpdateSchedule partial;
    private SparseExchange[] sparse;
    private ByteBuffer[] residuals;
    private long partialSteps;

    /** One rank (a {@link LocalCommunicator}): the five options run, exchanging with nobody. */
    public DistOpt(Optimizer inner) {
        this(inner, new LocalCommunicator());
    }

    public DistOpt(Optimizer inner, Communicator comm) {
        this(inner, comm, FusedBuckets.SINGA_THRESHOLD);
    }

    /** {@code threshold}: gradients with fewer elements are fused into shared buckets. */
    public DistOpt(Optimizer inner, Communicator comm, int threshold) {
        super(step -> inner.learningRate());
        this.inner = inner;
        this.comm = comm;
        this.threshold = threshold;
    }

    public Communicator communicator() {
        return comm;
    }

    public int rank() {
        return comm.rank();
    }

    public int worldSize() {
        return comm.worldSize();
    }

    /** Clips gradients to [-bound, bound] before their float16 transport (SINGA's clipping option). */
    public void setFp16Clipping(float bound) {
        this.fp16ClipBound = bound;
    }

    @Override
    public void setParameters(Supplier<List<Parameter>> source) {
        super.setParameters(source);
        inner.setParameters(source);
    }

    @Override
    public void update(Parameter p, Tensor grad) {
        inner.update(p, grad);
    }

    @Override
    public double learningRate() {
        return inner.learningRate();
    }

    @Override
    public Map<String, Tensor> state() {
        return inner.state();
    }

    @Override
    public void loadState(Map<String, Tensor> saved) {
        inner.loadState(saved);
    }

    @Override
    public void setStep(int step) {
        super.setStep(step);
        inner.setStep(step);
        partialSteps = step;
    }

    @Override
    public void endStep() {
        super.endStep();
        inner.endStep();
    }

    /** Runs the update that {@code distOption} names ({@code fp32} works with any optimizer). */
    public static void dispatch(Optimizer optimizer, Tensor loss, String distOption, float spars) {
        DistOption option = DistOption.parse(distOption);
        if (!(optimizer instanceof DistOpt d)) {
            if (option != DistOption.FP32) {
                throw new SonnxException("dist option '" + distOption + "' needs a DistOpt optimizer"
                        + " (new DistOpt(optimizer) for one process)");
            }
            optimizer.backwardAndUpdate(loss);
            return;
        }
        switch (option) {
            case FP32 -> d.backwardAndUpdate(loss);
            case FP16 -> d.backwardAndUpdateHalf(loss);
            case PARTIAL_UPDATE -> d.backwardAndPartialUpdate(loss);
            case SPARSE_TOP_K -> d.backwardAndSparseUpdate(loss, spars, true, true);
            case SPARSE_THRESHOLD -> d.backwardAndSparseUpdate(loss, spars, false, true);
            default -> throw new IllegalStateException(option.id());
        }
    }

    /** Averages float32 gradients across ranks (fused buckets), then updates. */
    @Override
    public void backwardAndUpdate(Tensor loss) {
        Map<Parameter, Tensor> grads = backward(loss);
        if (comm instanceof DeviceCollectives collectives && onOneDevice(grads.values()) != null) {
            allReduceOnDevice(collectives, onOneDevice(grads.values()), grads);
            return;
        }
        Step s = new Step(grads);
        plan(s.sizes);
        buckets.allReduce(comm, s.buffers, ReduceOp.AVERAGE);
        s.update();
    }

    /** Averages gradients carried as float16 (half the bytes), then updates. */
    public void backwardAndUpdateHalf(Tensor loss) {
        Step s = new Step(backward(loss));
        plan(s.sizes);
        buckets.reduceAll(s.buffers, (bucket, fp32, count) ->
                fp16.allReduce(comm, fp32, count, ReduceOp.AVERAGE, fp16ClipBound));
        s.update();
    }

    /**
     * Updates every parameter locally, then averages one partition of the parameters across ranks,
     * the next one at the next step (SINGA's asynchronous partial update).
     */
    public void backwardAndPartialUpdate(Tensor loss) {
        Step s = new Step(backward(loss));
        plan(s.sizes);
        s.update();
        ByteBuffer[] weights = new ByteBuffer[s.params.size()];
        Tensor[] hostCopies = new Tensor[weights.length];
        for (int i = 0; i < weights.length; i++) {
            Tensor w = s.params.get(i).value();
            // weights in device memory are averaged through host copies, then written back
            hostCopies[i] = w.isHost() ? null : w.toHost();
            weights[i] = (w.isHost() ? w : hostCopies[i]).bytes();
        }
        partial.averageStep(partialSteps++, comm, weights);
        for (int i = 0; i < weights.length; i++) {
            if (hostCopies[i] != null) {
                s.params.get(i).value().copyFrom(hostCopies[i]);
            }
        }
    }

    /**
     * Sends only selected gradient elements, as (index, value) pairs: the fraction {@code spars} of
     * largest magnitude ({@code topK}) or those with |g| >= {@code spars}; with {@code corr} what is not
     * sent accumulates locally and joins later steps. Updates with the average over ranks.
     */
    public void backwardAndSparseUpdate(Tensor loss, float spars, boolean topK, boolean corr) {
        if (topK && !(spars > 0 && spars <= 1)) {
            throw new SonnxException("sparseTopK needs spars in (0, 1], got " + spars);
        }
        if (!topK && !(spars >= 0)) {
            throw new SonnxException("sparseThreshold needs spars >= 0, got " + spars);
        }
        Step s = new Step(backward(loss));
        plan(s.sizes);
        float scale = 1f / comm.worldSize();
        buckets.reduceAll(s.buffers, (bucket, fp32, count) -> {
            sparse[bucket].exchange(comm, fp32, count, topK, spars, corr, residuals[bucket], fp32);
            if (scale != 1f) {
                for (int i = 0; i < count; i++) {
                    fp32.putFloat(i * 4, fp32.getFloat(i * 4) * scale);
                }
            }
        });
        s.update();
    }

    /** The device all these gradients live on, when that is one device with device-side math; else null. */
    private static DeviceMath onOneDevice(Collection<Tensor> grads) {
        DeviceMath device = null;
        for (Tensor g : grads) {
            if (g.isHost() || !(g.device() instanceof DeviceMath d) || g.dtype() != DataType.FLOAT
                    || device != null && d != device) {
                return null;
            }
            device = d;
        }
        return device;
    }

    /**
     * fp32 over a communicator that works on device memory (NCCL): each gradient is averaged in
     * place on the device's stream, in one group, with no copy to the host.
     */
    private void allReduceOnDevice(DeviceCollectives collectives, DeviceMath device, Map<Parameter, Tensor> grads) {
        long stream = device.streamHandle();
        collectives.groupStart();
        try {
            for (Tensor g : grads.values()) {
                collectives.allReduce(device.deviceAddress(g), g.size(), ElementType.FLOAT32, ReduceOp.AVERAGE, stream);
            }
        } finally {
            collectives.groupEnd();
        }
        for (Map.Entry<Parameter, Tensor> e : grads.entrySet()) {
            inner.update(e.getKey(), e.getValue());
        }
        releaseAll(grads.values());
        endStep();
    }

    /** The gradients of one step in parameter order, with their native buffers. */
    private final class Step {
        final List<Parameter> params;
        final List<Tensor> grads;
        final ByteBuffer[] buffers;
        final int[] sizes;

        Step(Map<Parameter, Tensor> byParam) {
            params = new ArrayList<>(byParam.keySet());
            grads = new ArrayList<>(byParam.values());
            buffers = new ByteBuffer[grads.size()];
            sizes = new int[grads.size()];
            for (int i = 0; i < buffers.length; i++) {
                Tensor g = grads.get(i);
                if (!g.isHost()) {
                    // the codecs (float16, sparse) and the TCP ring work on host memory
                    g = g.toHost();
                    grads.set(i, g);
                }
                buffers[i] = g.bytes();
                sizes[i] = g.size();
            }
        }

        void update() {
            for (int i = 0; i < params.size(); i++) {
                inner.update(params.get(i), grads.get(i));
            }
            releaseAll(grads);
            endStep();
        }
    }

    /** Plans buckets and staging for these gradient sizes, once (again only if the sizes change). */
    private void plan(int[] sizes) {
        if (Arrays.equals(sizes, plannedSizes)) {
            return;
        }
        Arena.detached(() -> {
            buckets = FusedBuckets.plan(sizes, threshold);
            int largest = 0;
            for (int b = 0; b < buckets.bucketCount(); b++) {
                largest = Math.max(largest, buckets.elements(b));
            }
            fp16 = new Fp16AllReduce(largest);
            partial = PartialUpdateSchedule.plan(sizes, threshold);
            sparse = new SparseExchange[buckets.bucketCount()];
            residuals = new ByteBuffer[buckets.bucketCount()];
            for (int b = 0; b < sparse.length; b++) {
                sparse[b] = new SparseExchange();
                residuals[b] = ByteBuffer.allocateDirect(buckets.elements(b) * 4).order(ByteOrder.LITTLE_ENDIAN);
            }
            return null;
        });
        plannedSizes = sizes.clone();
    }
}
