package dev.sonnx.runtime.ops.text;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * StringNormalizer-10: drops the {@code stopwords} from a [C] or [1, C] string tensor (compared
 * case-insensitively unless {@code is_case_sensitive}), then lower- or upper-cases what is left per
 * {@code case_change_action} in {@code locale} (default en_US). When nothing is left the output is
 * one empty string, shaped [1] or [1, 1].
 */
final class StringNormalizerOp extends Operator {
    private enum CaseChange { NONE, LOWER, UPPER }

    private final CaseChange caseChange;
    private final boolean caseSensitive;
    private final Locale locale;
    /** The stopwords, lower-cased when matching ignores case. */
    private final Set<String> stopwords = new HashSet<>();

    StringNormalizerOp(Node node) {
        super(node);
        String action = node.attributes().getString("case_change_action", "NONE");
        try {
            this.caseChange = CaseChange.valueOf(action);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("attribute 'case_change_action' = '" + action
                    + "' must be LOWER, UPPER or NONE");
        }
        long sensitive = node.attributes().getLong("is_case_sensitive", 0);
        if (sensitive != 0 && sensitive != 1) {
            throw new IllegalArgumentException("attribute 'is_case_sensitive' = " + sensitive + " must be 0 or 1");
        }
        this.caseSensitive = sensitive == 1;
        this.locale = locale(node.attributes().getString("locale", "en_US"));
        for (String w : node.attributes().getStrings("stopwords", new String[0])) {
            stopwords.add(caseSensitive ? w : w.toLowerCase(locale));
        }
    }

    /** A locale named the POSIX way (en_US) or as a BCP 47 tag (en-US). */
    private static Locale locale(String name) {
        if (name.isEmpty()) {
            return Locale.ROOT;
        }
        String tag = name.replace('_', '-');
        int dot = tag.indexOf('.');
        Locale l = Locale.forLanguageTag(dot >= 0 ? tag.substring(0, dot) : tag);
        if (l.getLanguage().isEmpty()) {
            throw new IllegalArgumentException("attribute 'locale' = '" + name + "' is not a locale name");
        }
        return l;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        if (x.dtype() != DataType.STRING) {
            throw new IllegalArgumentException("input has type " + x.dtype().onnxName() + ", expected string");
        }
        boolean twoD = x.rank() == 2;
        if (!(x.rank() == 1 || twoD && x.shape()[0] == 1)) {
            throw new IllegalArgumentException("input is " + x.describe() + ", expected [C] or [1, C]");
        }
        List<String> kept = new ArrayList<>(x.size());
        for (int i = 0; i < x.size(); i++) {
            String s = x.getString(i);
            if (!stopwords.contains(caseSensitive ? s : s.toLowerCase(locale))) {
                kept.add(switch (caseChange) {
                    case NONE -> s;
                    case LOWER -> s.toLowerCase(locale);
                    case UPPER -> s.toUpperCase(locale);
                });
            }
        }
        if (kept.isEmpty()) {
            kept.add("");
        }
        String[] data = kept.toArray(new String[0]);
        return outputs(Tensor.of(data, twoD ? new int[] {1, data.length} : new int[] {data.length}));
    }
}
