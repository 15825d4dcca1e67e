package dev.sonnx.runtime.ops.norm;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpRegistry;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.FusedConv;

/**
 * Operators of this family: normalization: BatchNormalization, InstanceNormalization,
 * LayerNormalization, GroupNormalization, LRN, LpNormalization, MeanVarianceNormalization. Versions are
 * registered where the semantics changed; type-only revisions share the entry before them.
 */
public final class NormOps implements OpRegistry.OpSet {
    /**
     * BatchNormalization (opset 9 on) over images stored channels-last, [N, spatial..., C]: what
     * {@code dev.sonnx.NhwcBatchNormalization} runs in training runs, batch statistics and backward
     * included; {@code relu}: followed by max(0, y), fused.
     */
    public static Operator channelsLastBatchNormalization(Node node, boolean relu) {
        return new BatchNormalization(node, 9, true, relu);
    }

    @Override
    public void register(OpRegistry r) {
        // BatchNormalization-1/6: is_test and spatial; 7: spatial; 9: always spatial; 14: training_mode
        // (15 only widens the types).
        r.add("BatchNormalization", 1, (n, b) -> new BatchNormalization(n, 1));
        r.add("BatchNormalization", 7, (n, b) -> new BatchNormalization(n, 7));
        r.add("BatchNormalization", 9, (n, b) -> new BatchNormalization(n, 9));
        r.add("BatchNormalization", 14, (n, b) -> new BatchNormalization(n, 14));
        r.add("InstanceNormalization", 1, (n, b) -> new InstanceNormalization(n));
        r.add("LayerNormalization", 17, (n, b) -> new LayerNormalization(n));
        // the same for models before opset 17, written by the inference passes (never in a model file)
        r.add(FusedConv.DOMAIN, "LayerNormalization", 1, (n, b) -> new LayerNormalization(n));
        r.add("GroupNormalization", 18, (n, b) -> new GroupNormalization(n, false));
        r.add("GroupNormalization", 21, (n, b) -> new GroupNormalization(n, true));
        r.add("LRN", 1, (n, b) -> new Lrn(n));
        r.add("LpNormalization", 1, (n, b) -> new LpNormalization(n));
        r.add("MeanVarianceNormalization", 9, (n, b) -> new MeanVarianceNormalization(n));
    }
}
