package dev.sonnx.runtime.ops.rnn;

import dev.sonnx.runtime.ops.OpRegistry;

/** Operators of this family: recurrent layers: RNN, GRU, LSTM. */
public final class RnnOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
    }
}
