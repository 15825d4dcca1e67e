package dev.sonnx.runtime.ops.rnn;

import java.util.Locale;

/**
 * One activation function of a recurrent layer (the {@code activations} attribute of RNN, GRU and
 * LSTM) with its alpha and beta bound. Defaults are those of the ONNX operators of the same name.
 */
final class Activation {

    enum Kind {
        RELU(false, false, 0, 0),
        TANH(false, false, 0, 0),
        SIGMOID(false, false, 0, 0),
        AFFINE(true, true, 1.0, 0.0),
        LEAKYRELU(true, false, 0.01f, 0),
        THRESHOLDEDRELU(true, false, 1.0, 0),
        SCALEDTANH(true, true, 1.0, 1.0),
        HARDSIGMOID(true, true, 0.2f, 0.5f),
        ELU(true, false, 1.0, 0),
        SOFTSIGN(false, false, 0, 0),
        SOFTPLUS(false, false, 0, 0);

        /** Whether the function reads alpha / beta; defaults are float32 like attribute values. */
        final boolean usesAlpha;
        final boolean usesBeta;
        final double defaultAlpha;
        final double defaultBeta;

        Kind(boolean usesAlpha, boolean usesBeta, double defaultAlpha, double defaultBeta) {
            this.usesAlpha = usesAlpha;
            this.usesBeta = usesBeta;
            this.defaultAlpha = defaultAlpha;
            this.defaultBeta = defaultBeta;
        }
    }

    final Kind kind;
    final double alpha;
    final double beta;

    Activation(Kind kind, double alpha, double beta) {
        this.kind = kind;
        this.alpha = alpha;
        this.beta = beta;
    }

    static final Activation SIGMOID = new Activation(Kind.SIGMOID, 0, 0);
    static final Activation TANH = new Activation(Kind.TANH, 0, 0);

    /**
     * Parses the {@code activations} attribute. Alphas and betas are consumed in order by the
     * functions that take them (as onnxruntime does): {@code [LeakyRelu, Tanh, Affine]} with
     * alphas {@code [0.1, 2]} gives LeakyRelu alpha 0.1 and Affine alpha 2. A function left without
     * a value uses its operator's default.
     */
    static Activation[] parse(String[] names, float[] alphas, float[] betas) {
        Activation[] r = new Activation[names.length];
        int ai = 0;
        int bi = 0;
        for (int i = 0; i < names.length; i++) {
            Kind k;
            try {
                k = Kind.valueOf(names[i].toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("attribute 'activations' has unknown function '" + names[i]
                        + "'; expected one of Relu, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh,"
                        + " HardSigmoid, Elu, Softsign, Softplus");
            }
            double a = k.defaultAlpha;
            double b = k.defaultBeta;
            if (k.usesAlpha && alphas != null && ai < alphas.length) {
                a = alphas[ai++];
            }
            if (k.usesBeta && betas != null && bi < betas.length) {
                b = betas[bi++];
            }
            r[i] = new Activation(k, a, b);
        }
        return r;
    }

    double apply(double x) {
        switch (kind) {
            case RELU: return Math.max(x, 0);
            case TANH: return tanh(x);
            case SIGMOID: return sigmoid(x);
            case AFFINE: return alpha * x + beta;
            case LEAKYRELU: return x >= 0 ? x : alpha * x;
            case THRESHOLDEDRELU: return x > alpha ? x : 0;
            case SCALEDTANH: return alpha * tanh(beta * x);
            case HARDSIGMOID: return Math.max(0, Math.min(1, alpha * x + beta));
            case ELU: return x >= 0 ? x : alpha * (Math.exp(x) - 1);
            case SOFTSIGN: return x / (1 + Math.abs(x));
            case SOFTPLUS: return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
            default: throw new AssertionError(kind);
        }
    }

    /** dy/dx given the input x and the output y = apply(x). */
    double derivative(double x, double y) {
        switch (kind) {
            case RELU: return x > 0 ? 1 : 0;
            case TANH: return 1 - y * y;
            case SIGMOID: return y * (1 - y);
            case AFFINE: return alpha;
            case LEAKYRELU: return x >= 0 ? 1 : alpha;
            case THRESHOLDEDRELU: return x > alpha ? 1 : 0;
            case SCALEDTANH: {
                double t = tanh(beta * x);
                return alpha * beta * (1 - t * t);
            }
            case HARDSIGMOID: {
                double v = alpha * x + beta;
                return v > 0 && v < 1 ? alpha : 0;
            }
            case ELU: return x >= 0 ? 1 : y + alpha;
            case SOFTSIGN: {
                double d = 1 + Math.abs(x);
                return 1 / (d * d);
            }
            case SOFTPLUS: return sigmoid(x);
            default: throw new AssertionError(kind);
        }
    }

    /**
     * tanh from one exponential: the JDK's Math.tanh is fdlibm's, several times slower than the
     * intrinsic Math.exp, and an LSTM takes it twice per hidden unit and step. Within 1e-14 relative
     * of tanh: below |x| = 1/32 by its series (the subtraction would cancel), above from e^(2x).
     */
    static double tanh(double x) {
        if (Math.abs(x) < 0x1p-5) {
            double x2 = x * x;
            return x * (1 - x2 * (1.0 / 3 - x2 * (2.0 / 15 - x2 * (17.0 / 315))));
        }
        // e^(2x) overflows to infinity above x = 355: 1 - 0 = 1, as tanh is there
        return 1 - 2 / (Math.exp(2 * x) + 1);
    }

    private static double sigmoid(double x) {
        if (x >= 0) {
            return 1 / (1 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1 + e);
    }

    @Override
    public String toString() {
        return kind.name();
    }
}
