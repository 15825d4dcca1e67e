package dev.sonnx.runtime.cuda;

import static org.bytedeco.cuda.global.cudnn.CUDNN_DATA_FLOAT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_TENSOR_NCHW;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateFilterDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetFilterNdDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetTensorNdDescriptor;

import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.Arrays;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;

/**
 * Descriptor and workspace helpers shared by the cuDNN operators. Descriptors describe dense
 * row-major (NCHW / NCDHW) float32 tensors; they are made once per input shape and cached by their
 * operator for its lifetime (a few hundred bytes each), and only read by cuDNN calls, so concurrent
 * runs may share them.
 */
final class Cudnn {
    private Cudnn() {
    }

    /** The largest workspace an algorithm may ask for before a leaner one is taken instead. */
    static final long WORKSPACE_LIMIT = 1L << 30;

    /** A dense float32 tensor descriptor of {@code dims} (at least 4 dims, as cuDNN's Nd calls want). */
    static cudnnTensorStruct tensor(int[] dims) {
        return tensor(dims, CUDNN_DATA_FLOAT);
    }

    /** A dense tensor descriptor of {@code dims} and cuDNN data type {@code type} (float or half). */
    static cudnnTensorStruct tensor(int[] dims, int type) {
        int[] d = atLeast4(dims);
        cudnnTensorStruct t = new cudnnTensorStruct();
        Cuda.checkCudnn(cudnnCreateTensorDescriptor(t), "cudnnCreateTensorDescriptor");
        Cuda.checkCudnn(cudnnSetTensorNdDescriptor(t, type, d.length, d, Shapes.strides(d)),
                "cudnnSetTensorNdDescriptor " + Arrays.toString(d));
        return t;
    }

    /** A dense float32 KCRS filter descriptor of {@code dims}. */
    static cudnnFilterStruct filter(int[] dims) {
        return filter(dims, CUDNN_DATA_FLOAT);
    }

    /** A dense KCRS filter descriptor of {@code dims} and cuDNN data type {@code type}. */
    static cudnnFilterStruct filter(int[] dims, int type) {
        cudnnFilterStruct f = new cudnnFilterStruct();
        Cuda.checkCudnn(cudnnCreateFilterDescriptor(f), "cudnnCreateFilterDescriptor");
        Cuda.checkCudnn(cudnnSetFilterNdDescriptor(f, type, CUDNN_TENSOR_NCHW, dims.length, dims),
                "cudnnSetFilterNdDescriptor " + Arrays.toString(dims));
        return f;
    }

    /** Whether ONNX pads [begin..., end...] pad both sides of every axis alike (cuDNN's only kind); null: none. */
    static boolean symmetricPads(int[] pads) {
        if (pads != null) {
            int r = pads.length / 2;
            for (int i = 0; i < r; i++) {
                if (pads[i] != pads[i + r]) {
                    return false;
                }
            }
        }
        return true;
    }

    /** {@code dims} padded with trailing unit axes to rank 4 (a 1-D image becomes N x C x L x 1). */
    static int[] atLeast4(int[] dims) {
        if (dims.length >= 4) {
            return dims;
        }
        int[] d = Arrays.copyOf(dims, 4);
        Arrays.fill(d, dims.length, 4, 1);
        return d;
    }

    /** A scratch buffer of at least {@code bytes} on the device (null for none): the device's shared one. */
    static Tensor workspace(CudaDevice d, long bytes) {
        return bytes <= 0 ? null : d.workspace(bytes);
    }

    /** The device address of a workspace as cuDNN takes it (null pointer for none). */
    static DevicePointer pointer(Tensor workspace) {
        return workspace == null ? null : new DevicePointer(CudaDevice.address(workspace));
    }

    static DevicePointer pointer(long address) {
        return new DevicePointer(address);
    }
}
