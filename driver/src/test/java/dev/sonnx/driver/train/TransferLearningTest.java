package dev.sonnx.driver.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.driver.rank.StepMetrics;
import dev.sonnx.driver.testing.LocalSpark;
import dev.sonnx.driver.testing.Synthetic;
import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * Transfer learning as SINGA's example does it: the imported MLP cut before its last Gemm, a new
 * Linear head of 4 classes, the imported layers frozen. The exported model takes the same input,
 * gives 4 logits, keeps the imported weights and carries the trained head.
 */
class TransferLearningTest {

    @Test
    void cutAndNewHead() throws Exception {
        ModelProto mlp = Synthetic.mlp();
        Dataset<Row> data = Synthetic.frame(LocalSpark.get(), Synthetic.rows(512, 4, 7));
        TrainConfig config = TrainConfig.builder().epochs(3).batchSize(32).optimizer("sgd", 0.1, 0.9, 0)
                .transfer(-2, 4, true).seed(11).build();
        TrainResult r = new DistributedTrainer(LocalSpark.get().sparkContext(), line -> { })
                .fit(mlp, TrainData.of(data, "features", "label"), 2, config, null);

        double[] ends = Synthetic.headAndTail(r.metrics().stream().mapToDouble(StepMetrics::loss).toArray(), 3);
        assertTrue(ends[1] < ends[0] - 0.05, "loss went from " + ends[0] + " to " + ends[1]);

        SingaRep rep = SingaBackend.prepare(r.model(), CpuDevice.get());
        Tensor logits = rep.run(List.of(Tensor.zeros(DataType.FLOAT, 3, 64))).get(0);
        assertArrayEquals(new int[] {3, 4}, logits.shape());

        Map<String, TensorProto> exported = new HashMap<>();
        r.model().getGraph().getInitializerList().forEach(t -> exported.put(t.getName(), t));
        // the frozen imported layers before the cut come back unchanged; the last Gemm is gone
        String lastGemmWeight = mlp.getGraph().getNode(mlp.getGraph().getNodeCount() - 1).getInput(1);
        for (TensorProto t : mlp.getGraph().getInitializerList()) {
            if (t.getName().equals(lastGemmWeight) || !exported.containsKey(t.getName())) {
                continue;
            }
            assertArrayEquals(TensorProtos.toTensor(t).toFloatArray(),
                    TensorProtos.toTensor(exported.get(t.getName())).toFloatArray(), t.getName());
        }
        assertFalse(exported.containsKey(lastGemmWeight), "the cut layer's weight is not exported");
        assertTrue(exported.keySet().stream().anyMatch(n -> n.startsWith("head.")), "head weights: " + exported.keySet());
        assertEquals(mlp.getGraph().getInitializerCount() - 2 + 2, exported.size(), exported.keySet().toString());
    }
}
