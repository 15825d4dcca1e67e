package dev.sonnx.runtime.tensor;

/**
 * The few tensor operations the framework itself runs outside operators (gradient accumulation,
 * optimizer updates, gradient scaling), for devices whose memory Java cannot read: the CPU path
 * does them in Java; a device implements them with its own kernels. Float32 only.
 */
public interface DeviceMath {

    /** A new tensor a + b (same shape), on this device. */
    Tensor add(Tensor a, Tensor b);

    /** t *= s in place. */
    void scale(Tensor t, float s);

    /** One SGD step, with the semantics of {@code opt.SGD} ({@code velocity} null without momentum). */
    void sgdStep(Tensor w, Tensor g, Tensor velocity, float lr, float momentum, float keep, float weightDecay,
                 boolean first, boolean nesterov);

    /** One Adam step, with the semantics of {@code opt.Adam}. */
    void adamStep(Tensor w, Tensor g, Tensor m, Tensor v, float beta1, float beta2, float eps, float weightDecay,
                  float decay, boolean decoupled, float stepSize, float sqrtCorrection2);

    /** The device address of a tensor in this device's memory (for collectives on device buffers). */
    long deviceAddress(Tensor t);

    /** The native handle of the stream this device queues its work on (cudaStream_t). */
    long streamHandle();
}
