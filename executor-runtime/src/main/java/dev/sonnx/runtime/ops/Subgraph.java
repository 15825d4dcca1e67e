package dev.sonnx.runtime.ops;

import dev.sonnx.runtime.tensor.Value;
import java.util.List;

/** A compiled nested graph (an If branch, a Loop or Scan body), run by its control-flow operator. */
public interface Subgraph {

    /** The body's formal input names, in order. */
    List<String> inputNames();

    /** The body's output names, in order. */
    List<String> outputNames();

    /**
     * Runs the body with {@code inputs} bound to its formal inputs; values of enclosing graphs it
     * refers to come from the run that {@code ctx} belongs to.
     */
    Value[] run(Value[] inputs, OpContext ctx);
}
