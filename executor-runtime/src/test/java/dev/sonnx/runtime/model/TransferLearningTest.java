package dev.sonnx.runtime.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.conformance.Tolerance;
import dev.sonnx.runtime.conformance.ValueComparator;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.export.SingaFrontend;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.opt.Parameter;
import dev.sonnx.runtime.opt.SGD;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OrtReference;
import dev.sonnx.runtime.testing.SharedData;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SINGA's transfer-learning example on ResNet-18: the graph without its last node (the classifier
 * Gemm), then a new Linear(512, 3). Small 64x64 images keep the test quick; ResNet's global pooling
 * takes any size.
 */
class TransferLearningTest {
    private static ModelProto resnet;
    private static Tensor images;
    private static Tensor labels;

    /** The SINGA example's model: cut the classifier, add a Linear head. */
    static final class ResNetWithHead extends SonnxModel {
        final Linear linear = new Linear(512, 3, true, 11);

        ResNetWithHead(ModelProto onnx) {
            super(onnx, CpuDevice.get());
        }

        @Override
        public List<Tensor> forward(Tensor... x) {
            Tensor features = forward(-2, x).get(0);
            return List.of(linear.forward(features));
        }
    }

    @BeforeAll
    static void data() {
        ModelProto file = ModelIO.load(SharedData.zoo("resnet18").resolve("model.onnx"));
        // The backbone is fully convolutional: declare the image size free so 64x64 inputs are accepted.
        var input = file.getGraph().getInput(0).toBuilder();
        var shape = input.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
        shape.setDim(2, shape.getDim(2).toBuilder().setDimParam("H"));
        shape.setDim(3, shape.getDim(3).toBuilder().setDimParam("W"));
        resnet = file.toBuilder().setGraph(file.getGraph().toBuilder().setInput(0, input)).build();
        SplittableRandom r = new SplittableRandom(3);
        images = Tensor.zeros(DataType.FLOAT, 6, 3, 64, 64);
        labels = Tensor.of(new long[] {0, 1, 2, 0, 1, 2}, 6);
        for (int i = 0; i < images.size(); i++) {
            int sample = i / (3 * 64 * 64);
            // each class gets its own brightness so there is something to learn
            images.setFloat(i, (float) (r.nextGaussian() * 0.5 + (sample % 3) - 1));
        }
    }

    private static float[] weight(SonnxModel m, String name) {
        for (Parameter p : m.parameters()) {
            if (p.name().equals(name)) {
                return p.value().toFloatArray();
            }
        }
        throw new AssertionError("no parameter " + name);
    }

    @Test
    void frozenBackboneTrainsTheHeadAndKeepsItsWeights() {
        ResNetWithHead model = new ResNetWithHead(resnet);
        model.compile(List.of(images), true, true, false);
        assertEquals(List.of(6, 512), List.of(model.forward(-2, images).get(0).shape()[0],
                model.forward(-2, images).get(0).shape()[1]));
        model.freezeImported();
        model.setOptimizer(new SGD(0.05, 0.9, 0));
        String conv = model.singaRep().trainableInitializers().get(0);
        float[] before = weight(model, conv);
        float[] classifier = weight(model, "fc.weight");
        double first = 0;
        double last = 0;
        for (int step = 0; step < 30; step++) {
            double loss = model.trainOneBatch(images, labels, "fp32", 0)[1].getDouble(0);
            if (step == 0) {
                first = loss;
            }
            last = loss;
        }
        assertTrue(last <= first / 2, "loss went from " + first + " to " + last);
        assertArrayEquals(before, weight(model, conv), "frozen weights of " + conv + " changed");
        assertArrayEquals(classifier, weight(model, "fc.weight"), "the cut classifier takes no update");
    }

    @Test
    void unfrozenBackboneWeightsChangeAndTheModelExports() {
        ResNetWithHead model = new ResNetWithHead(resnet);
        model.compile(List.of(images), true, true, false);
        model.setOptimizer(new SGD(0.01, 0.9, 0));
        String conv = model.singaRep().trainableInitializers().get(0);
        float[] before = weight(model, conv);
        for (int step = 0; step < 2; step++) {
            model.trainOneBatch(images, labels, "fp32", 0);
        }
        float[] after = weight(model, conv);
        boolean changed = false;
        for (int i = 0; i < before.length && !changed; i++) {
            changed = before[i] != after[i];
        }
        assertTrue(changed, conv + " did not change");

        Tensor ours = model.predict(images).get(0);
        ModelProto exported = SingaFrontend.toOnnx(model, List.of(images), 11);
        assertTrue(exported.getGraph().getNodeList().stream().noneMatch(n -> n.getName().equals("/fc/Gemm")),
                "the cut classifier is not exported");
        SingaRep reloaded = SingaBackend.prepare(exported, CpuDevice.get());
        assertNull(ValueComparator.difference(reloaded.run(List.of(images)).get(0), ours, new Tolerance(1e-5, 1e-5)));
        Tensor ort = OrtReference.run(exported, reloaded.inputNames(), List.of(images)).get(0);
        assertNull(ValueComparator.difference(ort, ours, Tolerance.ZOO), "ONNX Runtime");
    }
}
