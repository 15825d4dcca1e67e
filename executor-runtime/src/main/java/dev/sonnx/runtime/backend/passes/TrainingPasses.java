package dev.sonnx.runtime.backend.passes;

import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;

/**
 * The graph rewrites of models prepared for training on the CPU. Unlike the inference rewrites they
 * merge nothing that training updates: every initializer stays itself (same name, same layout), and
 * every rewritten operator has a backward. Rewritten models may import sonnx's private operator
 * domain ({@code dev.sonnx}).
 */
public final class TrainingPasses {
    private TrainingPasses() {
    }

    public static ModelProto apply(ModelProto model) {
        return ChannelsLastRegions.forTraining(model);
    }
}
