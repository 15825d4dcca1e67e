package dev.sonnx.runtime.onnx;

/** A model or tensor file that cannot be read or is not valid ONNX; the message names the file and the part. */
public class OnnxFormatException extends RuntimeException {
    public OnnxFormatException(String message) {
        super(message);
    }

    public OnnxFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
