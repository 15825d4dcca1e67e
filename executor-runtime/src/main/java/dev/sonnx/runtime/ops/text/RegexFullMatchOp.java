package dev.sonnx.runtime.ops.text;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * RegexFullMatch-20: whether each string matches {@code pattern} as a whole. The pattern is RE2
 * syntax, which java.util.regex reads the same but for named groups, written {@code (?P<name>...)}
 * in RE2 and translated here.
 */
final class RegexFullMatchOp extends Operator {
    private final Pattern pattern;

    RegexFullMatchOp(Node node) {
        super(node);
        String p = node.attributes().getString("pattern", null);
        if (p == null) {
            throw new IllegalArgumentException("required attribute 'pattern' is missing");
        }
        try {
            this.pattern = Pattern.compile(p.replace("(?P<", "(?<"));
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("attribute 'pattern' is not a valid regular expression: "
                    + e.getMessage());
        }
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        if (x.dtype() != DataType.STRING) {
            throw new IllegalArgumentException("input X has type " + x.dtype().onnxName() + ", expected string");
        }
        Tensor out = Tensor.zeros(DataType.BOOL, x.shape());
        String[] s = x.strings();
        ctx.device().parallelFor(s.length, 64, (start, end) -> {
            for (int i = start; i < end; i++) {
                out.setBool(i, pattern.matcher(s[i]).matches());
            }
        });
        return outputs(out);
    }
}
