package dev.sonnx.driver.train;

import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Merges the models of several ranks: float initializers averaged by name, the rest taken from the first. */
public final class ModelMerge {
    private ModelMerge() {
    }

    public static ModelProto average(List<ModelProto> models) {
        if (models.isEmpty()) {
            throw new IllegalArgumentException("no models to merge");
        }
        ModelProto first = models.get(0);
        if (models.size() == 1) {
            return first;
        }
        Map<String, double[]> sums = new HashMap<>();
        for (ModelProto m : models) {
            for (TensorProto t : m.getGraph().getInitializerList()) {
                if (t.getDataType() != 1) {
                    continue;
                }
                Tensor v = TensorProtos.toTensor(t);
                double[] s = sums.computeIfAbsent(t.getName(), k -> new double[v.size()]);
                if (s.length != v.size()) {
                    throw new IllegalArgumentException("ranks disagree on the size of '" + t.getName() + "'");
                }
                for (int i = 0; i < s.length; i++) {
                    s[i] += v.getDouble(i);
                }
            }
        }
        GraphProto.Builder g = first.getGraph().toBuilder().clearInitializer();
        for (TensorProto t : first.getGraph().getInitializerList()) {
            double[] s = sums.get(t.getName());
            if (s == null) {
                g.addInitializer(t);
                continue;
            }
            Tensor avg = TensorProtos.toTensor(t);
            for (int i = 0; i < s.length; i++) {
                avg.setDouble(i, s[i] / models.size());
            }
            g.addInitializer(TensorProtos.fromTensor(avg, t.getName()));
        }
        return first.toBuilder().setGraph(g).build();
    }
}
