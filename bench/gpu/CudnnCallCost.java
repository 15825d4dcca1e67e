import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMemsetAsync;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreate;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;
import static org.bytedeco.cuda.global.cudnn.*;

import java.util.Arrays;
import java.util.Locale;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudnn.cudnnActivationStruct;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * The host cost of one cuDNN call, without sonnx around it: resnet18's 64-channel 3 x 3 convolution
 * at batch 1 (56 x 56), queued on a stream as sonnx does, cudnnConvolutionBiasActivationForward and
 * cudnnConvolutionForward, beside cudaMemsetAsync as the cost of queuing anything. Each call is
 * timed on the host alone: the stream is drained every 16 calls so that the queue never fills and
 * a call never waits for the GPU. Says how much of the ~43 us that sonnx's host spends per fused
 * convolution at batch 1 (gpu-check's j-profile) is cuDNN's own. Run by bin/gpu-check's k-cost
 * stage (compiled into the payload's probe/ by bin/gpu-pack).
 */
public final class CudnnCallCost {
    private static final int CALLS = 4000;
    private static final int DRAIN = 16;

    public static void main(String[] args) {
        check(cudaSetDevice(0), "cudaSetDevice");
        CUstream_st stream = new CUstream_st();
        check(cudaStreamCreate(stream), "cudaStreamCreate");
        cudnnContext h = new cudnnContext();
        dnn(cudnnCreate(h), "cudnnCreate");
        dnn(cudnnSetStream(h, stream), "cudnnSetStream");
        int[] xd = {1, 64, 56, 56};
        cudnnTensorStruct x = tensor(xd);
        cudnnTensorStruct y = tensor(xd);
        cudnnTensorStruct b = tensor(new int[] {1, 64, 1, 1});
        cudnnFilterStruct w = new cudnnFilterStruct();
        dnn(cudnnCreateFilterDescriptor(w), "cudnnCreateFilterDescriptor");
        dnn(cudnnSetFilterNdDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, 4, new int[] {64, 64, 3, 3}), "filter");
        cudnnConvolutionStruct conv = new cudnnConvolutionStruct();
        dnn(cudnnCreateConvolutionDescriptor(conv), "cudnnCreateConvolutionDescriptor");
        dnn(cudnnSetConvolutionNdDescriptor(conv, 2, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1},
                CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT), "convolution");
        dnn(cudnnSetConvolutionMathType(conv, CUDNN_FMA_MATH), "math type");
        cudnnActivationStruct relu = new cudnnActivationStruct();
        dnn(cudnnCreateActivationDescriptor(relu), "activation");
        dnn(cudnnSetActivationDescriptor(relu, CUDNN_ACTIVATION_RELU, CUDNN_PROPAGATE_NAN, 0.0), "relu");
        int algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
        SizeTPointer wsBytes = new SizeTPointer(1);
        dnn(cudnnGetConvolutionForwardWorkspaceSize(h, x, w, conv, y, algo, wsBytes), "workspace size");
        long ws = Math.max(256, wsBytes.get());
        Pointer dx = device(64L * 56 * 56 * 4);
        Pointer dy = device(64L * 56 * 56 * 4);
        Pointer dw = device(64L * 64 * 9 * 4);
        Pointer db = device(64L * 4);
        Pointer dws = device(ws);
        FloatPointer one = new FloatPointer(1f);
        FloatPointer zero = new FloatPointer(0f);
        System.out.printf(Locale.ROOT, "cuDNN %d, workspace %d bytes, %d calls each, stream drained every %d%n",
                cudnnGetVersion(), ws, CALLS, DRAIN);
        time("cudaMemsetAsync (queuing alone)", stream, () -> check(cudaMemsetAsync(dy, 0, 4096, stream), "memset"));
        time("cudnnConvolutionForward", stream, () -> dnn(cudnnConvolutionForward(h, one, x, dx, w, dw, conv, algo,
                dws, ws, zero, y, dy), "forward"));
        time("cudnnConvolutionBiasActivationForward", stream, () -> dnn(cudnnConvolutionBiasActivationForward(h, one,
                x, dx, w, dw, conv, algo, dws, ws, zero, y, dy, b, db, relu, y, dy), "bias activation"));
        time("cudnnAddTensor (bias)", stream, () -> dnn(cudnnAddTensor(h, one, b, db, one, y, dy), "add tensor"));
    }

    private static void time(String what, CUstream_st stream, Runnable call) {
        double[] us = new double[CALLS];
        for (int round = 0; round < 2; round++) {   // the first round warms the JIT and cuDNN up
            for (int i = 0; i < CALLS; i++) {
                if (i % DRAIN == 0) {
                    check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
                }
                long t0 = System.nanoTime();
                call.run();
                us[i] = (System.nanoTime() - t0) / 1e3;
            }
        }
        check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
        Arrays.sort(us);
        System.out.printf(Locale.ROOT, "%-40s host us per call: median %.2f, p10 %.2f, p90 %.2f%n", what,
                us[CALLS / 2], us[CALLS / 10], us[CALLS * 9 / 10]);
    }

    private static cudnnTensorStruct tensor(int[] d) {
        cudnnTensorStruct t = new cudnnTensorStruct();
        dnn(cudnnCreateTensorDescriptor(t), "cudnnCreateTensorDescriptor");
        int[] strides = new int[d.length];
        int s = 1;
        for (int i = d.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= d[i];
        }
        dnn(cudnnSetTensorNdDescriptor(t, CUDNN_DATA_FLOAT, d.length, d, strides), "tensor");
        return t;
    }

    private static Pointer device(long bytes) {
        Pointer p = new Pointer();
        check(cudaMalloc(p, bytes), "cudaMalloc");
        return p;
    }

    private static void check(int rc, String what) {
        if (rc != 0) {
            throw new IllegalStateException(what + " failed: CUDA error " + rc);
        }
    }

    private static void dnn(int rc, String what) {
        if (rc != CUDNN_STATUS_SUCCESS) {
            throw new IllegalStateException(what + " failed: cuDNN status " + rc + " " + cudnnGetErrorString(rc).getString());
        }
    }
}
