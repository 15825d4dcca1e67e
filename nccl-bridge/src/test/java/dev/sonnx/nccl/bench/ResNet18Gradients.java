package dev.sonnx.nccl.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The trainable parameter sizes of ResNet-18 (torchvision's layout, as in the ONNX model zoo):
 * 62 tensors, 11,689,512 floats. Batch-norm running statistics are not trained and carry no gradient.
 */
final class ResNet18Gradients {

    private ResNet18Gradients() {
    }

    /** Sizes in the order backpropagation produces the gradients (fc first, conv1 last), as SINGA fuses them. */
    static int[] inBackwardOrder() {
        List<Integer> forward = new ArrayList<>();
        conv(forward, 64, 3, 7);
        batchNorm(forward, 64);
        int inChannels = 64;
        for (int channels : new int[] {64, 128, 256, 512}) {
            for (int block = 0; block < 2; block++) {
                boolean downsample = block == 0 && channels != inChannels;
                conv(forward, channels, inChannels, 3);
                batchNorm(forward, channels);
                conv(forward, channels, channels, 3);
                batchNorm(forward, channels);
                if (downsample) {
                    conv(forward, channels, inChannels, 1);
                    batchNorm(forward, channels);
                }
                inChannels = channels;
            }
        }
        forward.add(1000 * 512); // fc.weight
        forward.add(1000);       // fc.bias
        Collections.reverse(forward);
        return forward.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void conv(List<Integer> sizes, int out, int in, int kernel) {
        sizes.add(out * in * kernel * kernel);
    }

    /** Scale and bias. */
    private static void batchNorm(List<Integer> sizes, int channels) {
        sizes.add(channels);
        sizes.add(channels);
    }
}
