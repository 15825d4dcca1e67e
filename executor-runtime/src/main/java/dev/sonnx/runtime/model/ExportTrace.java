package dev.sonnx.runtime.model;

import dev.sonnx.runtime.tensor.Tensor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * What exporting a {@link SonnxModel} learns from one traced forward pass: which tensors came out of
 * the imported graph (and their ONNX names), which tensors were fed to it, and which stretches of
 * the tape are the graph's own nodes (everything else on the tape was added in code).
 */
public final class ExportTrace {
    private final Map<Tensor, String> graphValues = new IdentityHashMap<>();
    private final List<int[]> graphEntries = new ArrayList<>();
    private final List<Tensor[]> feeds = new ArrayList<>();

    void graphRun(Tensor[] inputs, List<Tensor> outputs, List<String> names, int tapeFrom, int tapeTo) {
        for (int i = 0; i < outputs.size() && i < names.size(); i++) {
            graphValues.put(outputs.get(i), names.get(i));
        }
        graphEntries.add(new int[] {tapeFrom, tapeTo});
        feeds.add(inputs);
    }

    /** Graph outputs (or cut outputs) seen, with their ONNX names. */
    public Map<Tensor, String> graphValues() {
        return graphValues;
    }

    /** Whether tape entry {@code index} belongs to a run of the imported graph. */
    public boolean isGraphEntry(int index) {
        for (int[] r : graphEntries) {
            if (index >= r[0] && index < r[1]) {
                return true;
            }
        }
        return false;
    }

    /** The tensors fed to the imported graph, per run. */
    public List<Tensor[]> feeds() {
        return feeds;
    }
}
