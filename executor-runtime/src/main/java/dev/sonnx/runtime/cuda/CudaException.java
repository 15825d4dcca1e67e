package dev.sonnx.runtime.cuda;

import dev.sonnx.runtime.SonnxException;

/** A CUDA, cuBLAS, cuDNN or NVRTC call failed; the message names the call and the library's reason. */
public final class CudaException extends SonnxException {
    public CudaException(String message) {
        super(message);
    }

    public CudaException(String message, Throwable cause) {
        super(message, cause);
    }
}
