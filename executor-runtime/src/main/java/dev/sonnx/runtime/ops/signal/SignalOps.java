package dev.sonnx.runtime.ops.signal;

import dev.sonnx.runtime.ops.OpRegistry;

/** Operators of this family: signal processing: DFT, STFT, windows. */
public final class SignalOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
    }
}
