package dev.sonnx.runtime.conformance;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The model-zoo topologies run end to end and match their references, on any number of threads. */
class ZooTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void everyZooModelPasses(int threads) {
        ConformanceRunner runner = new ConformanceRunner(CpuDevice.withThreads(threads), null, 300);
        for (String name : new String[] {"resnet18", "mobilenetv2", "tinyyolov2", "gpt2-mini", "bert-squad-mini"}) {
            ConformanceRunner.Result r = runner.runCase(SharedData.zoo(name));
            assertTrue(r.passed(), name + " on " + threads + " threads: " + r.reason());
        }
    }

    /**
     * A batch of 4 through the dynamic batch axis gives, row by row, what batch-1 runs give. oneDNN
     * picks kernels (and so summation orders) per batch size, all in float32: logits of order 1 then
     * differ by up to about 1e-4, where a row mixed with another would be off by whole units.
     */
    @Test
    void resnetBatchRowsMatchSingleRuns() throws IOException {
        SingaRep rep = SingaBackend.prepare(SharedData.zoo("resnet18").resolve("model.onnx"), CpuDevice.get());
        Tensor reference = TensorProtos.toTensor(TensorProto.parseFrom(Files.readAllBytes(
                SharedData.zoo("resnet18").resolve("test_data_set_0/input_0.pb"))));
        int per = reference.size();
        Tensor batch = Tensor.zeros(DataType.FLOAT, 4, 3, 224, 224);
        SplittableRandom r = new SplittableRandom(5);
        for (int row = 0; row < 4; row++) {
            for (int i = 0; i < per; i++) {
                batch.setFloat(row * per + i, row == 0 ? reference.getFloat(i) : (float) r.nextGaussian());
            }
        }
        Tensor logits = rep.run(List.of(batch)).get(0);
        for (int row = 0; row < 4; row++) {
            Tensor single = Tensor.zeros(DataType.FLOAT, 1, 3, 224, 224);
            single.bytes().put(0, batch.bytes(), row * per * 4, per * 4);
            Tensor expected = rep.run(List.of(single)).get(0);
            Tensor got = Tensor.zeros(DataType.FLOAT, 1, 1000);
            got.bytes().put(0, logits.bytes(), row * 4000, 4000);
            assertNull(ValueComparator.difference(got, expected, new Tolerance(1e-4, 1e-4)), "row " + row);
        }
    }
}
