package dev.sonnx.runtime.ops.conv.dnnl;

import static dev.sonnx.runtime.testing.TestTensors.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.HostStorage;
import dev.sonnx.runtime.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * {@link ConstantWeights}: one packed copy per layout, the plain copy dropped once packed and rebuilt
 * (by oneDNN's reorder back) exactly when a primitive with another layout needs it.
 */
class ConstantWeightsTest {

    /** A 3x3 convolution, padding 1, of W [64, 64, 3, 3] over X [n, 64, h, w]. */
    private static DnnlConvolution conv(int n, int h, int w) {
        DnnlConvolution c = DnnlConvolution.create(new int[] {n, 64, h, w}, new int[] {64, 64, 3, 3},
                new int[] {n, 64, h, w}, 1, true, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1},
                new int[] {1, 1});
        assertNotNull(c, "oneDNN refused a 3x3 convolution");
        return c;
    }

    private static float[] forward(DnnlConvolution c, Tensor x, Tensor w, Tensor b, boolean prepared) {
        int[] s = x.shape();
        Tensor y = Tensor.zeros(DataType.FLOAT, s[0], 64, s[2], s[3]);
        if (prepared) {
            c.forwardPrepared(x, w, b, null, y);
        } else {
            c.forward(x, w, b, y);
        }
        return y.toFloatArray();
    }

    @Test
    void anotherLayoutIsPackedFromThePlainWeightsRebuiltFromTheFirstCopy() {
        assertTrue(Dnnl.available(), "oneDNN did not load: " + Dnnl.unavailableReason());
        Tensor w = random(1, 64, 64, 3, 3);
        float[] original = w.toFloatArray();
        Tensor fresh = Tensor.of(original, 64, 64, 3, 3);
        Tensor b = random(2, 64);
        HostStorage storage = (HostStorage) w.storage();
        storage.allowReclaim();
        ConstantWeights weights = new ConstantWeights(w);

        DnnlConvolution first = conv(1, 10, 10);
        assertFalse(first.packedWeights().readsPlain(), "oneDNN reads a 3x3 convolution's weights blocked");
        Tensor firstCopy = weights.forConvolution(first);
        assertTrue(weights.plainReclaimed());
        assertTrue(storage.isReclaimed());

        // a shape with the same layout shares the copy
        DnnlConvolution sameLayout = conv(2, 10, 10);
        if (sameLayout.packedWeights().sameLayout(first.packedWeights())) {
            assertSame(firstCopy, weights.forConvolution(sameLayout));
        }

        // on this machine's kernels, batch-1 7x9 images get another weight layout than 10x10 ones
        DnnlConvolution other = conv(1, 7, 9);
        boolean differs = !other.packedWeights().sameLayout(first.packedWeights());
        Tensor otherCopy = weights.forConvolution(other);
        if (differs) {
            // made from the rebuilt plain weights: the same bytes as packing the model's weights directly
            assertArrayEquals(other.prepareWeights(fresh).toFloatArray(), otherCopy.toFloatArray());
            assertTrue(storage.isReclaimed(), "dropped again once the new copy exists");
        } else {
            assertSame(firstCopy, otherCopy);
        }
        Tensor x = random(3, 1, 64, 7, 9);
        assertArrayEquals(forward(other, x, fresh, b, false), forward(other, x, otherCopy, b, true));
        Tensor x10 = random(4, 1, 64, 10, 10);
        assertArrayEquals(forward(first, x10, fresh, b, false), forward(first, x10, weights.forConvolution(first), b,
                true));

        // any other reader sees the model's weights
        assertArrayEquals(original, w.toFloatArray());
        assertFalse(storage.isReclaimed());
    }

    @Test
    void plainWeightsReadByAKernelStay() {
        Tensor w = random(5, 64, 64, 3, 3);
        HostStorage storage = (HostStorage) w.storage();
        storage.allowReclaim();
        ConstantWeights weights = new ConstantWeights(w);
        assertSame(w, weights.readPlain());
        weights.forConvolution(conv(1, 10, 10));
        assertFalse(storage.isReclaimed(), "a kernel may be reading the plain weights");
        assertEquals(w.size(), w.toFloatArray().length);
    }

    @Test
    void storageThePlanKeepsIsNeverDropped() {
        Tensor w = random(6, 64, 64, 3, 3);
        ConstantWeights weights = new ConstantWeights(w); // no allowReclaim: another node reads it too
        Tensor copy = weights.forConvolution(conv(1, 10, 10));
        assertFalse(weights.plainReclaimed());
        assertEquals(conv(1, 10, 10).prepareWeights(w).size(), copy.size());
    }
}
