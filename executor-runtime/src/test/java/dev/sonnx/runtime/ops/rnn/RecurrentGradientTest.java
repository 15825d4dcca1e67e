package dev.sonnx.runtime.ops.rnn;

import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

/** Backpropagation through time checked against central differences (float64). */
class RecurrentGradientTest {
    private static final int SEQ = 3;
    private static final int BATCH = 3;
    private static final int IN = 2;
    private static final int HID = 2;

    private static Tensor[] inputs(int gates, int dirs, boolean lstm, boolean batchMajor) {
        int gh = gates * HID;
        Tensor[] t = new Tensor[lstm ? 8 : 6];
        t[0] = batchMajor ? GradCheck.random(1, -1, 1, BATCH, SEQ, IN) : GradCheck.random(1, -1, 1, SEQ, BATCH, IN);
        t[1] = GradCheck.random(2, -1, 1, dirs, gh, IN);
        t[2] = GradCheck.random(3, -1, 1, dirs, gh, HID);
        t[3] = GradCheck.random(4, -0.5, 0.5, dirs, 2 * gh);
        t[4] = Tensor.of(new int[] {3, 1, 2}, BATCH);
        t[5] = batchMajor ? GradCheck.random(5, -1, 1, BATCH, dirs, HID) : GradCheck.random(5, -1, 1, dirs, BATCH, HID);
        if (lstm) {
            t[6] = GradCheck.random(6, -1, 1, dirs, BATCH, HID);
            t[7] = GradCheck.random(7, -1, 1, dirs, 3 * HID);
        }
        return t;
    }

    private static OpTester layer(String op, String direction, int inputs, int outputs) {
        return OpTester.of(op, 14).attr("hidden_size", (long) HID).attr("direction", direction).inputs(inputs)
                .outputs(outputs);
    }

    @Test
    void rnn() {
        GradCheck.of(layer("RNN", "bidirectional", 6, 2).build()).check(inputs(1, 2, false, false), 0, 1, 2, 3, 5);
        GradCheck.of(layer("RNN", "reverse", 6, 2).attr("layout", 1L).build())
                .check(inputs(1, 1, false, true), 0, 1, 2, 3, 5);
    }

    @Test
    void gruBothResetOrders() {
        for (long lbr : new long[] {0, 1}) {
            GradCheck.of(layer("GRU", "bidirectional", 6, 2).attr("linear_before_reset", lbr).build())
                    .check(inputs(3, 2, false, false), 0, 1, 2, 3, 5);
        }
        GradCheck.of(layer("GRU", "forward", 6, 2).attr("layout", 1L).attr("clip", 2.5f).build())
                .check(inputs(3, 1, false, true), 0, 1, 2, 3, 5);
    }

    @Test
    void lstmWithPeepholesAndCoupledGates() {
        for (long coupled : new long[] {0, 1}) {
            GradCheck.of(layer("LSTM", "bidirectional", 8, 3).attr("input_forget", coupled).build())
                    .check(inputs(4, 2, true, false), 0, 1, 2, 3, 5, 6, 7);
        }
    }

    @Test
    void onlyFinalStateRequested() {
        // Y omitted: the gradient comes through Y_h alone
        Tensor[] in = inputs(4, 1, true, false);
        GradCheck.of(OpTester.of("LSTM", 14).attr("hidden_size", (long) HID).inputs(8)
                .outputs(0).build()).check(in, 0, 1, 2, 3, 5, 6, 7);
    }
}
