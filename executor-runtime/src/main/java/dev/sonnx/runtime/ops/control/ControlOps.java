package dev.sonnx.runtime.ops.control;

import dev.sonnx.runtime.ops.OpRegistry;

/**
 * Operators of this family: control flow (If, Loop, Scan, SequenceMap), sequences and optionals.
 * Bodies are compiled once at prepare through {@code BuildContext.compileSubgraph}. If and Loop get
 * an entry per version that widened what may flow through them (13: sequences, 16: optionals);
 * the operator reads the node's version to check it.
 */
public final class ControlOps implements OpRegistry.OpSet {
    @Override
    public void register(OpRegistry r) {
        for (int v : new int[] {1, 13, 16}) {
            r.add("If", v, IfOp::new);
            r.add("Loop", v, LoopOp::new);
        }
        r.add("Scan", 8, Scan8Op::new);
        r.add("Scan", 9, ScanOp::new);
        r.add("Scan", 11, ScanOp::new); // negative axes

        r.add("SequenceConstruct", 11, (n, b) -> new SequenceOps.Construct(n));
        r.add("SequenceEmpty", 11, (n, b) -> new SequenceOps.Empty(n));
        r.add("SequenceAt", 11, (n, b) -> new SequenceOps.At(n));
        r.add("SequenceErase", 11, (n, b) -> new SequenceOps.Erase(n));
        r.add("SequenceInsert", 11, (n, b) -> new SequenceOps.Insert(n));
        r.add("SequenceLength", 11, (n, b) -> new SequenceOps.Length(n));
        r.add("SplitToSequence", 11, (n, b) -> new SplitToSequenceOp(n));
        r.add("ConcatFromSequence", 11, (n, b) -> new ConcatFromSequenceOp(n));
        r.add("SequenceMap", 17, SequenceMapOp::new);

        r.add("Optional", 15, (n, b) -> new OptionalOps.Wrap(n));
        r.add("OptionalHasElement", 15, (n, b) -> new OptionalOps.HasElement(n));
        r.add("OptionalHasElement", 18, (n, b) -> new OptionalOps.HasElement(n));
        r.add("OptionalGetElement", 15, (n, b) -> new OptionalOps.GetElement(n));
        r.add("OptionalGetElement", 18, (n, b) -> new OptionalOps.GetElement(n));
    }
}
