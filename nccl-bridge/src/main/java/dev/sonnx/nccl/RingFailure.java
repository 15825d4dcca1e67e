package dev.sonnx.nccl;

/**
 * A ring transfer could not complete; the message names the neighbour involved. Checked, so that
 * {@link TcpCommunicator} must turn it into a {@link CommunicatorException} that also names the
 * collective, and must give up the ring (whose streams are then out of step) when it does.
 */
final class RingFailure extends Exception {

    RingFailure(String message) {
        super(message);
    }

    RingFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
