package dev.sonnx.runtime.opt;

import dev.sonnx.nccl.Communicator;
import dev.sonnx.nccl.ElementType;
import dev.sonnx.nccl.LocalCommunicator;
import dev.sonnx.nccl.ReduceOp;
import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.tensor.Half;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Data-parallel training, SINGA's {@code opt.DistOpt}: wraps an optimizer and a {@link Communicator}
 * and exchanges gradients (or, for partial updates, parameters) between ranks before each update.
 */
public final class DistOpt extends Optimizer {
    private final Optimizer inner;
    private final Communicator comm;
    private int partition;

    /** One rank (a {@link LocalCommunicator}): the five options run, exchanging with nobody. */
    public DistOpt(Optimizer inner) {
        this(inner, new LocalCommunicator());
    }

    public DistOpt(Optimizer inner, Communicator comm) {
        super(step -> inner.learningRate());
        this.inner = inner;
        this.comm = comm;
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

    @Override
    public void setParameters(java.util.function.Supplier<List<Parameter>> source) {
        super.setParameters(source);
        inner.setParameters(source);
    }

    @Override
    public void update(Parameter p, Tensor grad) {
        inner.update(p, grad);
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

    /** Averages float32 gradients across ranks, then updates. */
    @Override
    public void backwardAndUpdate(Tensor loss) {
        Map<Parameter, Tensor> grads = backward(loss);
        for (Map.Entry<Parameter, Tensor> e : grads.entrySet()) {
            Tensor g = e.getValue();
            comm.allReduce(g.bytes(), g.size(), ElementType.FLOAT32, ReduceOp.AVERAGE);
            inner.update(e.getKey(), g);
        }
        endStep();
    }

    /** Averages gradients sent as float16, then updates. */
    public void backwardAndUpdateHalf(Tensor loss) {
        Map<Parameter, Tensor> grads = backward(loss);
        for (Map.Entry<Parameter, Tensor> e : grads.entrySet()) {
            Tensor g = e.getValue();
            ByteBuffer half = ByteBuffer.allocateDirect(g.size() * 2).order(ByteOrder.LITTLE_ENDIAN);
            var f = g.floats();
            for (int i = 0; i < g.size(); i++) {
                half.putShort(i * 2, Half.fromFloat(f.get(i)));
            }
            comm.allReduce(half, g.size(), ElementType.FLOAT16, ReduceOp.AVERAGE);
            for (int i = 0; i < g.size(); i++) {
                f.put(i, Half.toFloat(half.getShort(i * 2)));
            }
            inner.update(e.getKey(), g);
        }
        endStep();
    }

    /** Updates locally, then averages one partition of the parameters across ranks (round robin). */
    public void backwardAndPartialUpdate(Tensor loss) {
        Map<Parameter, Tensor> grads = backward(loss);
        grads.forEach(inner::update);
        List<Parameter> params = new ArrayList<>(grads.keySet());
        if (!params.isEmpty()) {
            int parts = Math.min(comm.worldSize(), params.size());
            int p = partition % parts;
            for (int i = p; i < params.size(); i += parts) {
                Tensor w = params.get(i).value();
                comm.allReduce(w.bytes(), w.size(), ElementType.FLOAT32, ReduceOp.AVERAGE);
            }
            partition++;
        }
        endStep();
    }

    /** Sends only selected gradient elements (top-K fraction or above a threshold), keeping the rest. */
    public void backwardAndSparseUpdate(Tensor loss, float spars, boolean topK, boolean corr) {
        throw new SonnxException("sparse updates arrive with the collectives codecs");
    }

    @Override
    public void endStep() {
        super.endStep();
        inner.endStep();
    }
}
