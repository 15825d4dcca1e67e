package dev.sonnx.runtime.ops.signal;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * MelWeightMatrix (17): the {@code [dft_length / 2 + 1, num_mel_bins]} matrix that maps a one-sided
 * magnitude spectrum onto mel bands: triangles between {@code num_mel_bins + 2} points equally spaced
 * on the mel scale {@code mel(f) = 2595 log10(1 + f / 700)} from lower_edge_hertz to upper_edge_hertz,
 * each point snapped to the spectrogram bin {@code floor((dft_length + 1) f / sample_rate)}. The
 * spacing (the mel range divided by {@code num_mel_bins + 2}) and the snapping follow the ONNX
 * reference implementation.
 */
final class MelWeightMatrix extends Operator {
    private final DataType outputType;

    MelWeightMatrix(Node node) {
        super(node);
        this.outputType = Window.outputType(node.attributes().getInt("output_datatype", DataType.FLOAT.code()));
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        long mels = Samples.scalarLong(required(inputs, 0), "num_mel_bins");
        long dftLength = Samples.scalarLong(required(inputs, 1), "dft_length");
        long sampleRate = Samples.scalarLong(required(inputs, 2), "sample_rate");
        double lower = Samples.scalarDouble(required(inputs, 3), "lower_edge_hertz");
        double upper = Samples.scalarDouble(required(inputs, 4), "upper_edge_hertz");
        if (mels <= 0 || mels > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("input num_mel_bins = " + mels + " must be positive");
        }
        if (dftLength <= 0 || dftLength > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("input dft_length = " + dftLength + " must be positive");
        }
        if (sampleRate <= 0) {
            throw new IllegalArgumentException("input sample_rate = " + sampleRate + " must be positive");
        }
        if (!(lower >= 0 && lower <= upper && upper <= sampleRate / 2.0)) {
            throw new IllegalArgumentException("edges lower_edge_hertz = " + lower + ", upper_edge_hertz = " + upper
                    + " must satisfy 0 <= lower <= upper <= sample_rate / 2 = " + sampleRate / 2.0);
        }
        int nm = (int) mels;
        int spectrogramBins = (int) (dftLength / 2 + 1);
        double lowMel = 2595 * Math.log10(1 + lower / 700);
        double highMel = 2595 * Math.log10(1 + upper / 700);
        double melStep = (highMel - lowMel) / (nm + 2);
        int[] bins = new int[nm + 2];
        for (int i = 0; i < bins.length; i++) {
            double hz = 700 * (Math.pow(10, (i * melStep + lowMel) / 2595) - 1);
            bins[i] = (int) Math.min(spectrogramBins - 1, Math.floor((dftLength + 1) * hz / sampleRate));
        }
        Tensor y = Tensor.zeros(outputType, spectrogramBins, nm);
        for (int i = 0; i < nm; i++) {
            int left = bins[i];
            int center = bins[i + 1];
            int right = bins[i + 2];
            if (center == left) {
                y.setDouble(center * nm + i, 1);
            } else {
                for (int j = left; j <= center; j++) {
                    y.setDouble(j * nm + i, (double) (j - left) / (center - left));
                }
            }
            for (int j = center; j < right; j++) {
                y.setDouble(j * nm + i, (double) (right - j) / (right - center));
            }
        }
        return outputs(y);
    }
}
