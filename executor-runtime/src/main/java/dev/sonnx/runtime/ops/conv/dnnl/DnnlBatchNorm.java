package dev.sonnx.runtime.ops.conv.dnnl;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SCALE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SHIFT;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_MEAN;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SCALE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SHIFT;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_VARIANCE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WORKSPACE;
import static org.bytedeco.dnnl.global.dnnl.dnnl_a;
import static org.bytedeco.dnnl.global.dnnl.dnnl_abcd;
import static org.bytedeco.dnnl.global.dnnl.dnnl_acdb;
import static org.bytedeco.dnnl.global.dnnl.dnnl_backward;
import static org.bytedeco.dnnl.global.dnnl.dnnl_batch_normalization_backward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_batch_normalization_forward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_inference;
import static org.bytedeco.dnnl.global.dnnl.dnnl_fuse_norm_relu;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_training;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_workspace_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_success;
import static org.bytedeco.dnnl.global.dnnl.dnnl_use_global_stats;
import static org.bytedeco.dnnl.global.dnnl.dnnl_use_scale;
import static org.bytedeco.dnnl.global.dnnl.dnnl_use_shift;

import dev.sonnx.runtime.tensor.Tensor;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * float32 BatchNormalization with batch statistics (training) through oneDNN, for X seen as
 * N x C x S (S the product of the spatial dimensions), plain layout: the forward computes each
 * channel's mean and population variance and normalises in one primitive; the backward gives dX and
 * the sums that are dScale and dB. oneDNN's kernels read X once per pass with vector instructions
 * on all threads; the Java kernels took 3 to 4 ns an element (resnet18's training step: 130 ms of
 * its 700). Also the inference form over channels-last images ({@link #inferenceChannelsLast}).
 * Built once per shape; shared by concurrent runs.
 */
public final class DnnlBatchNorm {
    private final DnnlPrimitive forward;
    private final DnnlPrimitive backward;
    /** Bytes of the training forward's workspace with a fused ReLU (the sign of each result); 0 without. */
    private final long workspaceBytes;

    private DnnlBatchNorm(DnnlPrimitive forward, DnnlPrimitive backward, long workspaceBytes) {
        this.forward = forward;
        this.backward = backward;
        this.workspaceBytes = workspaceBytes;
    }

    /**
     * The primitives for X of N x C x S with this epsilon, or null where oneDNN is unavailable or
     * declines. {@code channelsLast}: X stored N x S x C, where oneDNN has vector kernels (on N x C x S
     * only a generic one). {@code relu}: followed by max(0, y); the forward writes a workspace (which
     * results were positive) that the backward reads to mask dY, one pass over the data fewer each
     * way than a separate Relu.
     */
    public static DnnlBatchNorm create(int n, int c, int s, float epsilon, boolean channelsLast, boolean relu) {
        if (!Dnnl.available() || n <= 0 || c <= 0 || s <= 0) {
            return null;
        }
        int[] dims = {n, c, 1, s};
        int flags = dnnl_use_scale | dnnl_use_shift | (relu ? dnnl_fuse_norm_relu : 0);
        dnnl_memory_desc data = Dnnl.desc(dims, channelsLast ? dnnl_acdb : dnnl_abcd);
        dnnl_primitive_attr attr = Dnnl.userScratchpad();
        dnnl_primitive_desc fwdPd = new dnnl_primitive_desc();
        dnnl_primitive_desc bwdPd = new dnnl_primitive_desc();
        try {
            if (dnnl_batch_normalization_forward_primitive_desc_create(fwdPd, Dnnl.engine(), dnnl_forward_training,
                    data, data, epsilon, flags, attr) != dnnl_success) {
                Dnnl.destroy(data);
                return null;
            }
            if (dnnl_batch_normalization_backward_primitive_desc_create(bwdPd, Dnnl.engine(), dnnl_backward, data,
                    data, data, epsilon, flags, fwdPd, attr) != dnnl_success) {
                dnnl_primitive_desc_destroy(fwdPd);
                Dnnl.destroy(data);
                return null;
            }
        } finally {
            dnnl_primitive_attr_destroy(attr);
        }
        long work = 4L * n * c * s;
        dnnl_memory_desc workspace = relu ? Dnnl.queried(fwdPd, dnnl_query_workspace_md) : null;
        DnnlPrimitive fwd = new DnnlPrimitive(fwdPd,
                new int[] {DNNL_ARG_SRC, DNNL_ARG_DST, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE, DNNL_ARG_SCALE, DNNL_ARG_SHIFT,
                    DNNL_ARG_WORKSPACE},
                new dnnl_memory_desc[] {Dnnl.copy(data), Dnnl.copy(data), channels(c), channels(c), channels(c),
                    channels(c), relu ? Dnnl.copy(workspace) : null}, work);
        DnnlPrimitive bwd = new DnnlPrimitive(bwdPd,
                new int[] {DNNL_ARG_SRC, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE, DNNL_ARG_DIFF_DST, DNNL_ARG_SCALE,
                    DNNL_ARG_DIFF_SRC, DNNL_ARG_DIFF_SCALE, DNNL_ARG_DIFF_SHIFT, DNNL_ARG_WORKSPACE},
                new dnnl_memory_desc[] {Dnnl.copy(data), channels(c), channels(c), Dnnl.copy(data), channels(c),
                    Dnnl.copy(data), channels(c), channels(c), workspace}, 2 * work);
        Dnnl.destroy(data);
        return new DnnlBatchNorm(fwd, bwd, relu ? Dnnl.size(workspace) : 0);
    }

    /** Bytes of the workspace a training forward with a fused ReLU writes and its backward reads (0: none). */
    public long workspaceBytes() {
        return workspaceBytes;
    }

    /**
     * The inference form over channels-last data, X stored [N, S, C] (S the product of the spatial
     * dimensions): the given running statistics, scale and shift, one pass over X; null where
     * oneDNN is unavailable or declines. {@code relu}: max(0, y) in the same pass. Only
     * {@link #forwardInference} runs on it.
     */
    public static DnnlBatchNorm inferenceChannelsLast(int n, int c, int s, float epsilon, boolean relu) {
        if (!Dnnl.available() || n <= 0 || c <= 0 || s <= 0) {
            return null;
        }
        int[] dims = {n, c, 1, s};
        dnnl_memory_desc data = Dnnl.desc(dims, dnnl_acdb);
        dnnl_primitive_desc pd = Dnnl.jitDesc((desc, attr) -> dnnl_batch_normalization_forward_primitive_desc_create(
                desc, Dnnl.engine(), dnnl_forward_inference, data, data, epsilon,
                dnnl_use_global_stats | dnnl_use_scale | dnnl_use_shift | (relu ? dnnl_fuse_norm_relu : 0), attr), data);
        if (pd == null) {
            return null;
        }
        DnnlPrimitive fwd = new DnnlPrimitive(pd,
                new int[] {DNNL_ARG_SRC, DNNL_ARG_DST, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE, DNNL_ARG_SCALE, DNNL_ARG_SHIFT},
                new dnnl_memory_desc[] {data, Dnnl.copy(data), channels(c), channels(c), channels(c), channels(c)},
                2L * n * c * s);
        return new DnnlBatchNorm(fwd, null, 0);
    }

    /** y = scale * (x - mean) / sqrt(variance + epsilon) + shift, with the given statistics. */
    public void forwardInference(Tensor x, Tensor y, Tensor scale, Tensor shift, Tensor mean, Tensor variance) {
        runForward(x, y, scale, shift, mean, variance);
    }

    private static dnnl_memory_desc channels(int c) {
        return Dnnl.desc(new int[] {c}, dnnl_a);
    }

    /**
     * y = scale * (x - mean) / sqrt(variance + epsilon) + shift, writing the batch's mean and population
     * variance of each channel into {@code mean} and {@code variance} (float32 tensors of C elements),
     * and with a fused ReLU its {@code workspace} ({@link #workspaceBytes}; null without one).
     */
    public void forwardTraining(Tensor x, Tensor y, Tensor scale, Tensor shift, Tensor mean, Tensor variance,
                                Tensor workspace) {
        forward.execute(x.pointer(), y.pointer(), mean.pointer(), variance.pointer(), scale.pointer(),
                shift.pointer(), workspace == null ? null : workspace.pointer());
    }

    /** The forward primitive (either form): the statistics are its outputs in training, its inputs in inference. */
    private void runForward(Tensor x, Tensor y, Tensor scale, Tensor shift, Tensor mean, Tensor variance) {
        forward.execute(x.pointer(), y.pointer(), mean.pointer(), variance.pointer(), scale.pointer(),
                shift.pointer());
    }

    /**
     * dx for batch statistics (mean, variance: the forward's), and per channel dScale = sum dy * xhat
     * and dShift = sum dy; through a fused ReLU the forward's {@code workspace} masks dY (null without one).
     */
    public void backward(Tensor x, Tensor mean, Tensor variance, Tensor dy, Tensor scale, Tensor dx, Tensor dScale,
                         Tensor dShift, Tensor workspace) {
        backward.execute(x.pointer(), mean.pointer(), variance.pointer(), dy.pointer(), scale.pointer(),
                dx.pointer(), dScale.pointer(), dShift.pointer(), workspace == null ? null : workspace.pointer());
    }
}
