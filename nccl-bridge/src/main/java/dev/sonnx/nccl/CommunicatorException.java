package dev.sonnx.nccl;

/** A collective could not complete: a peer died, stalled past the timeout, or sent something unexpected. */
public class CommunicatorException extends RuntimeException {
    public CommunicatorException(String message) {
        super(message);
    }

    public CommunicatorException(String message, Throwable cause) {
        super(message, cause);
    }
}
