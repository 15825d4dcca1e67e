package dev.sonnx.runtime.ops.rnn;

import dev.sonnx.runtime.ops.OpRegistry;

/**
 * Operators of this family: recurrent layers: RNN, GRU, LSTM. Versions 1 (and GRU-3, which added
 * linear_before_reset) compute what version 7 does (7 dropped the output_sequence attribute, whose
 * only effect was whether Y is produced, which the graph's outputs already say); version 14 added
 * the {@code layout} attribute (batch-major X, Y and states).
 */
public final class RnnOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
        r.add("RNN", 1, (n, b) -> new Rnn(n, false));
        r.add("RNN", 14, (n, b) -> new Rnn(n, true));
        r.add("GRU", 1, (n, b) -> new Gru(n, false));
        r.add("GRU", 14, (n, b) -> new Gru(n, true));
        r.add("LSTM", 1, (n, b) -> new Lstm(n, false));
        r.add("LSTM", 14, (n, b) -> new Lstm(n, true));
    }
}
