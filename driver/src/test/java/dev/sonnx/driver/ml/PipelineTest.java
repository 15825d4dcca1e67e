package dev.sonnx.driver.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.driver.testing.LocalSpark;
import dev.sonnx.driver.testing.Synthetic;
import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * The Estimator and the Transformer in an ML Pipeline: predictions over a DataFrame equal a direct
 * {@code SingaRep.run} of the fitted model on the same rows, and the model is prepared once per JVM.
 */
class PipelineTest {

    @Test
    void fitInAPipelineThenPredictLikeSingaRep() {
        Dataset<Row> train = Synthetic.frame(LocalSpark.get(), Synthetic.rows(256, 10, 8));
        Dataset<Row> test = Synthetic.frame(LocalSpark.get(), Synthetic.rows(100, 10, 9)).repartition(4);
        SQLTransformer scale = new SQLTransformer().setStatement(
                "SELECT id, transform(features, x -> x * 2) AS scaled, label FROM __THIS__");
        OnnxFineTuner tuner = new OnnxFineTuner(Synthetic.mlp().toByteArray()).setFeaturesCol("scaled")
                .setRanks(2).setEpochs(1).setBatchSize(32).setOptimizer("sgd", 0.05).setSeed(1);
        PipelineModel fitted = new Pipeline().setStages(new PipelineStage[] {scale, tuner}).fit(train);

        OnnxModelTransformer model = (OnnxModelTransformer) fitted.stages()[1];
        assertEquals(4, model.summary().steps());
        assertEquals(tuner, model.parent());
        int cached = ExecutorModelCache.size();
        List<Row> out = fitted.transform(test).orderBy("id").collectAsList();
        assertEquals(cached + 1, ExecutorModelCache.size(), "four partitions, one prepared model");

        SingaRep direct = SingaBackend.prepare(ModelIO.parse(model.modelBytes()), CpuDevice.get());
        List<Row> rows = Synthetic.rows(100, 10, 9);
        for (int i = 0; i < rows.size(); i++) {
            float[] x = ((float[]) rows.get(i).get(1)).clone();
            for (int j = 0; j < x.length; j++) {
                x[j] *= 2;
            }
            float[] expected = direct.run(List.of(Tensor.of(x, 1, x.length))).get(0).toFloatArray();
            Row r = out.get(i);
            assertEquals(i, r.getLong(r.fieldIndex("id")));
            float[] logits = floats(r, "logits");
            assertArrayEquals(expected, logits, 1e-5f, "row " + i);
            assertEquals(argMax(expected), r.getDouble(r.fieldIndex("prediction")));
        }
    }

    @Test
    void transformerAloneListsTheTopClassesWithProbabilities() {
        Dataset<Row> data = Synthetic.frame(LocalSpark.get(), Synthetic.rows(20, 10, 10));
        OnnxModelTransformer t = new OnnxModelTransformer(Synthetic.mlp().toByteArray()).setTopK(3)
                .setMiniBatchSize(7).setPredictionCol("");
        List<Row> out = t.transform(data).orderBy("id").collectAsList();
        assertEquals(List.of("id", "features", "label", "logits", "topk_labels", "topk_scores"),
                List.of(t.transform(data).schema().fieldNames()));
        for (Row r : out) {
            float[] logits = floats(r, "logits");
            double sum = 0;
            for (float v : logits) {
                sum += Math.exp(v);
            }
            int[] labels = ints(r, "topk_labels");
            float[] scores = floats(r, "topk_scores");
            assertEquals(3, labels.length);
            assertEquals(argMax(logits), labels[0]);
            for (int k = 0; k < 3; k++) {
                assertEquals(Math.exp(logits[labels[k]]) / sum, scores[k], 1e-5);
                assertTrue(k == 0 || logits[labels[k]] <= logits[labels[k - 1]]);
            }
        }
    }

    private static float[] floats(Row r, String col) {
        List<Object> v = r.getList(r.fieldIndex(col));
        float[] f = new float[v.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = ((Number) v.get(i)).floatValue();
        }
        return f;
    }

    private static int[] ints(Row r, String col) {
        return r.getList(r.fieldIndex(col)).stream().mapToInt(o -> ((Number) o).intValue()).toArray();
    }

    private static int argMax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
