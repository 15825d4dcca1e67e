package dev.sonnx.runtime;

/**
 * An error in a model, its inputs or a run. The message names what is wrong and where: the model,
 * the node, the tensor or the input.
 */
public class SonnxException extends RuntimeException {
    public SonnxException(String message) {
        super(message);
    }

    public SonnxException(String message, Throwable cause) {
        super(message, cause);
    }
}
