package dev.sonnx.runtime.opt;

/** A learning rate as a function of the number of updates done so far. */
@FunctionalInterface
public interface LearningRate {

    double at(int step);

    static LearningRate constant(double lr) {
        return step -> lr;
    }

    /** {@code base * gamma^(step / stepSize)}: PyTorch's StepLR counted in updates. */
    static LearningRate step(double base, int stepSize, double gamma) {
        if (stepSize <= 0) {
            throw new IllegalArgumentException("step size must be positive, got " + stepSize);
        }
        return step -> base * Math.pow(gamma, step / stepSize);
    }

    /**
     * Cosine annealing from {@code base} down to {@code min} over {@code period} updates, then held at
     * {@code min}: PyTorch's CosineAnnealingLR without restarts.
     */
    static LearningRate cosine(double base, int period, double min) {
        if (period <= 0) {
            throw new IllegalArgumentException("period must be positive, got " + period);
        }
        return step -> step >= period ? min : min + (base - min) * (1 + Math.cos(Math.PI * step / period)) / 2;
    }
}
