package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.SavingContext;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * A recorded run of a channels-last operator through its plain-layout twin, for what has no
 * channels-last kernel with a backward: X goes to [N, C, spatial...], the twin runs (keeping what its
 * backward needs), Y comes back channels-last; backward converts dY the same way and dX back. Two
 * reorders each way, so only for small images or rare operators (a global pool at a network's end).
 */
final class PlainDetour {
    /** The twin's inputs and outputs (plain layout) and the state it saved for its backward. */
    record Run(Value[] inputs, Value[] outputs, Object state) {
    }

    private PlainDetour() {
    }

    /** Runs {@code plain} on channels-last X (input 0; the others as given) and returns its plain run. */
    static Run forward(Operator plain, Value[] inputs, OpContext ctx) {
        Value[] in = inputs.clone();
        in[0] = ChannelsLast.toFirst(inputs[0].asTensor(), ctx.device());
        SavingContext capture = new SavingContext(ctx);
        Value[] out = plain.forward(in, capture);
        return new Run(in, out, capture.saved());
    }

    /** Output 0 of a run, channels-last. */
    static Tensor result(Run run, Device device) {
        return ChannelsLast.toLast(run.outputs()[0].asTensor(), device);
    }

    /** dX (channels-last, input 0 only) for channels-last dY, through the twin's backward. */
    static Tensor[] backward(Operator plain, Run run, BackwardContext g) {
        Tensor[] gradOut = {ChannelsLast.toFirst(g.gradOutput(0), g.device())};
        boolean[] needs = new boolean[run.inputs().length];
        for (int i = 0; i < needs.length; i++) {
            needs[i] = g.needsGrad(i);
        }
        Tensor[] grads = plain.backward(new BackwardContext(run.inputs(), run.outputs(), gradOut, needs, run.state(),
                g.context()));
        if (grads.length > 0 && grads[0] != null) {
            grads[0] = ChannelsLast.toLast(grads[0], g.device());
        }
        return grads;
    }
}
