package dev.sonnx.runtime.ops.text;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * StringSplit-20, Python's {@code str.split} on each element: with a {@code delimiter}, every
 * occurrence splits (consecutive ones delimit empty strings); without one (or with ""), runs of
 * whitespace split and leading and trailing whitespace is dropped. At most {@code maxsplit} splits
 * (unlimited by default), the rest of the string kept whole. Outputs Y, the substrings with one more
 * axis padded with "" to the longest split, and Z, the int64 substring count per element.
 */
final class StringSplitOp extends Operator {
    private final String delimiter;
    private final long maxSplits;

    StringSplitOp(Node node) {
        super(node);
        String d = node.attributes().getString("delimiter", "");
        this.delimiter = d.isEmpty() ? null : d;
        long m = node.attributes().getLong("maxsplit", -1);
        this.maxSplits = m < 0 ? Long.MAX_VALUE : m;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        if (x.dtype() != DataType.STRING) {
            throw new IllegalArgumentException("input X has type " + x.dtype().onnxName() + ", expected string");
        }
        int n = x.size();
        List<List<String>> parts = new ArrayList<>(n);
        int width = 0;
        Tensor counts = Tensor.zeros(DataType.INT64, x.shape());
        for (int i = 0; i < n; i++) {
            List<String> p = delimiter == null ? splitWhitespace(x.getString(i)) : splitOn(x.getString(i));
            parts.add(p);
            width = Math.max(width, p.size());
            counts.longs().put(i, p.size());
        }
        int[] shape = new int[x.rank() + 1];
        System.arraycopy(x.shape(), 0, shape, 0, x.rank());
        shape[x.rank()] = width;
        Tensor y = Tensor.zeros(DataType.STRING, shape);
        String[] out = y.strings();
        for (int i = 0; i < n; i++) {
            List<String> p = parts.get(i);
            for (int j = 0; j < p.size(); j++) {
                out[i * width + j] = p.get(j);
            }
        }
        return outputs(y, counts);
    }

    private List<String> splitOn(String s) {
        List<String> r = new ArrayList<>();
        int start = 0;
        for (long splits = 0; splits < maxSplits; splits++) {
            int at = s.indexOf(delimiter, start);
            if (at < 0) {
                break;
            }
            r.add(s.substring(start, at));
            start = at + delimiter.length();
        }
        r.add(s.substring(start));
        return r;
    }

    /** CPython's whitespace split: words between runs of whitespace, the rest after maxsplit words. */
    private List<String> splitWhitespace(String s) {
        List<String> r = new ArrayList<>();
        int len = s.length();
        int i = 0;
        for (long splits = 0; splits < maxSplits; splits++) {
            while (i < len && isSpace(s.charAt(i))) {
                i++;
            }
            if (i == len) {
                return r;
            }
            int j = i;
            while (i < len && !isSpace(s.charAt(i))) {
                i++;
            }
            r.add(s.substring(j, i));
        }
        while (i < len && isSpace(s.charAt(i))) {
            i++;
        }
        if (i < len) {
            r.add(s.substring(i));
        }
        return r;
    }

    /** Python's str.isspace for one character. */
    private static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }
}
