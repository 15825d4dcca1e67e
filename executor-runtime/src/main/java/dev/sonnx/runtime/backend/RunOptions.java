package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.autograd.Tape;
import dev.sonnx.runtime.tensor.Arena;
import dev.sonnx.runtime.tensor.Device;
import java.util.random.RandomGenerator;

/** Per-run settings shared by a run and its nested bodies. */
final class RunOptions {
    final Device device;
    final boolean training;
    final Tape tape;
    final RandomGenerator random;
    /** Where kernels' outputs come from during the run (null: fresh memory, as at prepare). */
    final Arena arena;

    RunOptions(Device device, boolean training, Tape tape, RandomGenerator random, Arena arena) {
        this.device = device;
        this.training = training;
        this.tape = tape;
        this.random = random;
        this.arena = arena;
    }
}
