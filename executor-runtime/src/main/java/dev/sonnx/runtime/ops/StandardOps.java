package dev.sonnx.runtime.ops;

import java.util.List;

/** Every operator family sonnx ships; {@link OpRegistry#standard()} registers them all. */
final class StandardOps {
    private StandardOps() {
    }

    static final List<OpRegistry.OpSet> FAMILIES = List.of(
            new dev.sonnx.runtime.ops.math.MathOps(),
            new dev.sonnx.runtime.ops.conv.ConvOps(),
            new dev.sonnx.runtime.ops.norm.NormOps(),
            new dev.sonnx.runtime.ops.linalg.LinalgOps(),
            new dev.sonnx.runtime.ops.tensor.TensorOps(),
            new dev.sonnx.runtime.ops.reduce.ReduceOps(),
            new dev.sonnx.runtime.ops.nn.NnOps(),
            new dev.sonnx.runtime.ops.rnn.RnnOps(),
            new dev.sonnx.runtime.ops.image.ImageOps(),
            new dev.sonnx.runtime.ops.control.ControlOps(),
            new dev.sonnx.runtime.ops.random.RandomOps(),
            new dev.sonnx.runtime.ops.quant.QuantOps(),
            new dev.sonnx.runtime.ops.signal.SignalOps(),
            new dev.sonnx.runtime.ops.text.TextOps(),
            new dev.sonnx.runtime.ops.training.TrainingOps());
}
