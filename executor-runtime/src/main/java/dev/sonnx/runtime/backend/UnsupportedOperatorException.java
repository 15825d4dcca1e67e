package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.SonnxException;
import java.util.List;

/** A model uses operators sonnx does not implement at the model's opset; lists every one of them. */
public final class UnsupportedOperatorException extends SonnxException {
    private final List<String> nodes;

    public UnsupportedOperatorException(String model, List<String> nodes) {
        super("model " + model + " uses " + nodes.size() + " unsupported operator node"
                + (nodes.size() == 1 ? "" : "s") + ":\n  " + String.join("\n  ", nodes));
        this.nodes = List.copyOf(nodes);
    }

    /** One line per unsupported node: its label, op and opset. */
    public List<String> nodes() {
        return nodes;
    }
}
