package dev.sonnx.runtime.fuzz;

import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import java.util.List;
import java.util.function.Predicate;

/**
 * Operator bugs the fuzzer found that belong to the operators' owners (under {@code ops/}, outside the
 * loader and executor): models that would trigger them are prepared but not run, so that fuzzing
 * goes on finding other problems instead of stopping at the same one. Each entry names the
 * operator, the fault and the reproducing input; remove it once the operator is fixed (the fuzz
 * test's seeds then replay the input).
 */
final class KnownOperatorIssues {

    /** One known issue: what it is, and which nodes trigger it. */
    record Issue(String description, Predicate<NodeProto> triggers) {
    }

    static final List<Issue> ISSUES = List.of(
            // TfIdfVectorizerOp.count loops distance = 1..max_skip_count + 1 whatever the row length:
            // O(max_skip_count) per row (max_skip_count = 634002216 on a 12-element row: 35 s under the
            // fuzzer's instrumentation); the attribute is also narrowed to int without a range check.
            new Issue("TfIdfVectorizer with a max_skip_count beyond any row length runs for minutes",
                    n -> n.getOpType().equals("TfIdfVectorizer") && intAttribute(n, "max_skip_count") > 4096));

    private KnownOperatorIssues() {
    }

    /** The first known issue some node of the model (bodies included) would trigger, or null. */
    static Issue find(ModelProto model) {
        return find(model.getGraph());
    }

    private static Issue find(GraphProto g) {
        for (NodeProto n : g.getNodeList()) {
            for (Issue issue : ISSUES) {
                if (issue.triggers.test(n)) {
                    return issue;
                }
            }
            for (AttributeProto a : n.getAttributeList()) {
                Issue inner = a.hasG() ? find(a.getG()) : null;
                if (inner != null) {
                    return inner;
                }
                for (GraphProto body : a.getGraphsList()) {
                    inner = find(body);
                    if (inner != null) {
                        return inner;
                    }
                }
            }
        }
        return null;
    }

    private static long intAttribute(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return Math.abs(a.getI());
            }
        }
        return 0;
    }
}
