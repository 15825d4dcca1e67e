package dev.sonnx.runtime.ops.signal;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * HannWindow, HammingWindow, BlackmanWindow (17): generalized cosine windows
 * {@code w[n] = a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N)} with {@code N = size} when
 * {@code periodic} (the default, for spectral analysis) or {@code size - 1} (symmetric), in the
 * type {@code output_datatype} names (float by default).
 */
final class Window extends Operator {
    /** Hann: sin^2(pi n / N). */
    static final double[] HANN = {0.5, 0.5, 0};
    /** Hamming with a0 = 25/46, as the ONNX reference defines it. */
    static final double[] HAMMING = {25.0 / 46, 21.0 / 46, 0};
    static final double[] BLACKMAN = {0.42, 0.5, 0.08};

    private final double[] coefficients;
    private final boolean periodic;
    private final DataType outputType;

    Window(Node node, double[] coefficients) {
        super(node);
        this.coefficients = coefficients;
        this.periodic = Dft.flag(node.attributes().getInt("periodic", 1), "periodic");
        this.outputType = outputType(node.attributes().getInt("output_datatype", DataType.FLOAT.code()));
    }

    /** The numeric output types the window and mel operators allow. */
    static DataType outputType(int code) {
        DataType t;
        try {
            t = DataType.fromCode(code);
        } catch (IllegalArgumentException e) {
            t = null;
        }
        if (t == null || !t.isNumeric()) {
            throw new IllegalArgumentException("attribute 'output_datatype' = " + code
                    + " is not a numeric ONNX type code");
        }
        return t;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        long size = Samples.scalarLong(required(inputs, 0), "size");
        if (size < 0 || size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("input size = " + size + " must be non-negative");
        }
        int n = (int) size;
        Tensor y = Tensor.zeros(outputType, n);
        // a symmetric window of one sample has no period; numpy and torch give [1]
        double period = periodic ? n : n - 1;
        for (int i = 0; i < n; i++) {
            double v;
            if (period == 0) {
                v = 1;
            } else {
                double a = 2 * Math.PI * i / period;
                v = coefficients[0] - coefficients[1] * Math.cos(a) + coefficients[2] * Math.cos(2 * a);
            }
            y.setDouble(i, v);
        }
        return outputs(y);
    }
}
