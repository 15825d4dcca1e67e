package dev.sonnx.runtime.cuda;

import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.cudnn;
import org.bytedeco.cuda.global.nvrtc;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;

/**
 * Loading of the CUDA libraries (once, with the reason kept when they are missing) and the status
 * checks every call site uses, so that a failure names the call and the library's own words.
 */
public final class Cuda {
    private Cuda() {
    }

    private static final class Probe {
        /** Null when every library loaded, else why not. */
        static final String PROBLEM = load();
    }

    /** Null when the CUDA runtime, driver, cuBLAS, cuDNN and NVRTC can be used; else why not. */
    public static String loadProblem() {
        return Probe.PROBLEM;
    }

    private static String load() {
        String step = "the CUDA runtime (libcudart.so.13)";
        try {
            Loader.load(cudart.class);
            step = "cuBLAS (libcublas.so.13)";
            Loader.load(cublas.class);
            step = "cuDNN (libcudnn.so.9)";
            Loader.load(cudnn.class);
            step = "NVRTC (libnvrtc.so.13)";
            Loader.load(nvrtc.class);
            return null;
        } catch (Throwable e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            return "CUDA libraries not found: " + step + " did not load ("
                    + (root.getMessage() == null ? root.getClass().getName() : root.getMessage())
                    + "); put the CUDA 13 libraries on LD_LIBRARY_PATH";
        }
    }

    /** Throws unless a CUDA runtime call returned cudaSuccess. */
    public static void check(int status, String call) {
        if (status != cudart.cudaSuccess) {
            BytePointer s = cudart.cudaGetErrorString(status);
            throw new CudaException(call + " failed: " + (s == null ? "error " + status : s.getString())
                    + " (" + status + ")");
        }
    }

    /** Throws unless a CUDA driver call returned CUDA_SUCCESS. */
    public static void checkDriver(int status, String call) {
        if (status != cudart.CUDA_SUCCESS) {
            BytePointer s = new BytePointer((org.bytedeco.javacpp.Pointer) null);
            String text = cudart.cuGetErrorString(status, s) == cudart.CUDA_SUCCESS && !s.isNull()
                    ? s.getString() : "error " + status;
            throw new CudaException(call + " failed: " + text + " (" + status + ")");
        }
    }

    public static void checkCublas(int status, String call) {
        if (status != cublas.CUBLAS_STATUS_SUCCESS) {
            throw new CudaException(call + " failed: cuBLAS status " + status);
        }
    }

    public static void checkCudnn(int status, String call) {
        if (status != cudnn.CUDNN_STATUS_SUCCESS) {
            throw new CudaException(call + " failed: " + cudnn.cudnnGetErrorString(status).getString()
                    + " (" + status + ")");
        }
    }

    public static void checkNvrtc(int status, String call) {
        if (status != nvrtc.NVRTC_SUCCESS) {
            throw new CudaException(call + " failed: " + nvrtc.nvrtcGetErrorString(status).getString());
        }
    }
}
