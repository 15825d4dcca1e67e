package dev.sonnx.runtime.train;

import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.OnnxFormatException;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.util.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A fine-tuning trajectory computed by another framework: the model, one training batch, the SGD
 * settings, the loss before each step and the logits after the last (a {@code train-ref} folder:
 * model.onnx, train_x.pb, train_y.pb, reference.json, final_logits.pb).
 */
public record TrainReference(Path dir, ModelProto model, Tensor x, Tensor y, double lr, double momentum,
                             double weightDecay, int steps, double[] losses, Tensor finalLogits) {

    public static TrainReference load(Path dir) {
        try {
            ModelProto model = ModelIO.load(dir.resolve("model.onnx"));
            Tensor x = TensorProtos.toTensor(TensorProto.parseFrom(Files.readAllBytes(dir.resolve("train_x.pb"))));
            Tensor y = TensorProtos.toTensor(TensorProto.parseFrom(Files.readAllBytes(dir.resolve("train_y.pb"))));
            Map<String, Object> ref = Json.parseObject(Files.readString(dir.resolve("reference.json")));
            @SuppressWarnings("unchecked")
            List<Object> lossList = (List<Object>) require(ref, "losses", dir);
            double[] losses = lossList.stream().mapToDouble(o -> ((Number) o).doubleValue()).toArray();
            int steps = ((Number) require(ref, "steps", dir)).intValue();
            if (losses.length != steps) {
                throw new OnnxFormatException(dir + "/reference.json lists " + losses.length + " losses for "
                        + steps + " steps");
            }
            Tensor logits = TensorProtos.toTensor(
                    TensorProto.parseFrom(Files.readAllBytes(dir.resolve("final_logits.pb"))));
            return new TrainReference(dir, model, x, y, number(ref, "lr", dir), number(ref, "momentum", dir),
                    number(ref, "weight_decay", dir), steps, losses, logits);
        } catch (IOException e) {
            throw new OnnxFormatException("cannot read training reference " + dir + ": " + e, e);
        }
    }

    private static Object require(Map<String, Object> ref, String key, Path dir) {
        Object v = ref.get(key);
        if (v == null) {
            throw new OnnxFormatException(dir + "/reference.json has no '" + key + "'");
        }
        return v;
    }

    private static double number(Map<String, Object> ref, String key, Path dir) {
        return ((Number) require(ref, key, dir)).doubleValue();
    }
}
