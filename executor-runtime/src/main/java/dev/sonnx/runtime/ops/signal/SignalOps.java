package dev.sonnx.runtime.ops.signal;

import dev.sonnx.runtime.ops.OpRegistry;

/** Operators of this family: signal processing: DFT, STFT, windows, MelWeightMatrix. */
public final class SignalOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
        r.add("DFT", 17, (n, b) -> new Dft(n, false));
        r.add("DFT", 20, (n, b) -> new Dft(n, true));
        r.add("STFT", 17, (n, b) -> new Stft(n));
        r.add("HannWindow", 17, (n, b) -> new Window(n, Window.HANN));
        r.add("HammingWindow", 17, (n, b) -> new Window(n, Window.HAMMING));
        r.add("BlackmanWindow", 17, (n, b) -> new Window(n, Window.BLACKMAN));
        r.add("MelWeightMatrix", 17, (n, b) -> new MelWeightMatrix(n));
    }
}
