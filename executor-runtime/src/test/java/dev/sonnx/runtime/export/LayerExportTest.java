package dev.sonnx.runtime.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sonnx.runtime.autograd.Autograd;
import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.conformance.Tolerance;
import dev.sonnx.runtime.conformance.ValueComparator;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.model.Activation;
import dev.sonnx.runtime.model.Linear;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.opt.Parameter;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OrtReference;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** SINGA's {@code sonnx.to_onnx(inputs, outputs)}: layers applied in a session become an ONNX graph. */
class LayerExportTest {

    @Test
    void layersRecordedInASessionExportAndRunInOnnxRuntime() {
        Linear fc1 = new Linear(4, 8, true, 1);
        Linear fc2 = new Linear(8, 3, true, 2);
        Activation relu = Activation.relu();
        Tensor x = Tensor.zeros(DataType.FLOAT, 5, 4);
        SplittableRandom r = new SplittableRandom(4);
        for (int i = 0; i < x.size(); i++) {
            x.setFloat(i, (float) r.nextGaussian());
        }
        Map<Tensor, String> names = new IdentityHashMap<>();
        for (Parameter p : fc1.parameters()) {
            names.put(p.value(), "fc1." + p.name());
        }
        for (Parameter p : fc2.parameters()) {
            names.put(p.value(), "fc2." + p.name());
        }
        ModelProto exported;
        Tensor y;
        try (Autograd.Session s = Autograd.record(false, CpuDevice.get(), new SplittableRandom(0))) {
            y = fc2.forward(relu.forward(fc1.forward(x)));
            exported = Sonnx.toOnnx(List.of(x), List.of(y), names);
        }
        assertEquals(3, exported.getGraph().getNodeCount());
        assertEquals(4, exported.getGraph().getInitializerCount());
        SingaRep rep = SingaBackend.prepare(exported, CpuDevice.get());
        assertNull(ValueComparator.difference(rep.run(List.of(x)).get(0), y, new Tolerance(1e-6, 1e-6)));
        assertNull(ValueComparator.difference(OrtReference.run(exported, rep.inputNames(), List.of(x)).get(0), y,
                Tolerance.ZOO));
    }
}
