package dev.sonnx.runtime.ops.conv.dnnl;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WORKSPACE;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_training;
import static org.bytedeco.dnnl.global.dnnl.dnnl_pooling_backward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_pooling_forward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_pooling_max;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_workspace_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_success;

import dev.sonnx.runtime.tensor.Tensor;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * float32 MaxPool for training through oneDNN, over NC[D]HW tensors: the forward also writes a
 * workspace (each window's argmax), which the backward reads to send each gradient to its window's
 * maximum. oneDNN takes the first maximum of a window in tap order, as ONNX's argmax and the Java
 * kernel do, so ties (windows of zeros after a Relu) route the gradient alike. The Java kernel
 * compared every tap with a branch on doubles: 40 ms of resnet18's training step against about 3.
 */
public final class DnnlMaxPoolTraining {
    private final DnnlPrimitive forward;
    private final DnnlPrimitive backward;
    private final long workspaceBytes;

    private DnnlMaxPoolTraining(DnnlPrimitive forward, DnnlPrimitive backward, long workspaceBytes) {
        this.forward = forward;
        this.backward = backward;
        this.workspaceBytes = workspaceBytes;
    }

    /**
     * The primitives pooling X {@code xShape} into Y {@code yShape}, or null when oneDNN is unavailable
     * or cannot express the window ({@code padEnd} as for {@link DnnlPooling#create}).
     */
    public static DnnlMaxPoolTraining create(int[] xShape, int[] yShape, int[] kernel, int[] strides,
                                             int[] dilations, int[] padBegin, int[] padEnd) {
        return create(xShape, yShape, kernel, strides, dilations, padBegin, padEnd, false);
    }

    /**
     * The same over images stored [N, spatial..., C] when {@code channelsLast} (the shapes given
     * stay [N, C, spatial...]).
     */
    public static DnnlMaxPoolTraining create(int[] xShape, int[] yShape, int[] kernel, int[] strides,
                                             int[] dilations, int[] padBegin, int[] padEnd, boolean channelsLast) {
        DnnlPooling.Geometry g = DnnlPooling.Geometry.of(xShape, yShape, kernel, strides, dilations, padBegin, padEnd);
        if (g == null) {
            return null;
        }
        int tag = Layouts.data(g.spatialRank(), channelsLast);
        dnnl_memory_desc src = Dnnl.desc(xShape, tag);
        dnnl_memory_desc dst = Dnnl.desc(yShape, tag);
        dnnl_primitive_attr attr = Dnnl.userScratchpad();
        dnnl_primitive_desc fwdPd = new dnnl_primitive_desc();
        dnnl_primitive_desc bwdPd = new dnnl_primitive_desc();
        try {
            if (dnnl_pooling_forward_primitive_desc_create(fwdPd, Dnnl.engine(), dnnl_forward_training,
                    dnnl_pooling_max, src, dst, g.strides(), g.kernel(), g.dilations(), g.padBegin(), g.padEnd(),
                    attr) != dnnl_success) {
                Dnnl.destroy(src);
                Dnnl.destroy(dst);
                return null;
            }
            if (dnnl_pooling_backward_primitive_desc_create(bwdPd, Dnnl.engine(), dnnl_pooling_max, src, dst,
                    g.strides(), g.kernel(), g.dilations(), g.padBegin(), g.padEnd(), fwdPd, attr) != dnnl_success) {
                dnnl_primitive_desc_destroy(fwdPd);
                Dnnl.destroy(src);
                Dnnl.destroy(dst);
                return null;
            }
        } finally {
            dnnl_primitive_attr_destroy(attr);
        }
        dnnl_memory_desc workspace = Dnnl.queried(fwdPd, dnnl_query_workspace_md);
        long bytes = Dnnl.size(workspace);
        DnnlPrimitive fwd = new DnnlPrimitive(fwdPd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST, DNNL_ARG_WORKSPACE},
                new dnnl_memory_desc[] {Dnnl.copy(src), Dnnl.copy(dst), Dnnl.copy(workspace)});
        DnnlPrimitive bwd = new DnnlPrimitive(bwdPd, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WORKSPACE, DNNL_ARG_DIFF_SRC},
                new dnnl_memory_desc[] {dst, workspace, src});
        return new DnnlMaxPoolTraining(fwd, bwd, bytes);
    }

    /** Bytes of the workspace that one forward writes and its backward reads. */
    public long workspaceBytes() {
        return workspaceBytes;
    }

    /** Y = max over each window, each window's argmax into {@code workspace} ({@link #workspaceBytes} bytes). */
    public void forward(Tensor x, Tensor y, Tensor workspace) {
        forward.execute(x.pointer(), y.pointer(), workspace.pointer());
    }

    /** dX = dY sent to each window's maximum (summed where windows overlap), from the forward's workspace. */
    public void backward(Tensor dy, Tensor workspace, Tensor dx) {
        backward.execute(dy.pointer(), workspace.pointer(), dx.pointer());
    }
}
