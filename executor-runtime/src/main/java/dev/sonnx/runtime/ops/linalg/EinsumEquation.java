package dev.sonnx.runtime.ops.linalg;

import dev.sonnx.runtime.tensor.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A parsed Einsum equation ({@code "bij,bjk->bik"}, {@code "...ii->...i"}, {@code "ij,jk"}). Letters
 * become label ids 0..51; at {@link #bind} each "..." becomes that operand's share of the broadcast
 * (ellipsis) dimensions, labels {@value #ELLIPSIS_BASE} and up, right-aligned as numpy aligns them.
 * Without "->", the output is the letters used exactly once, in ASCII order, after the ellipsis.
 */
final class EinsumEquation {
    static final int ELLIPSIS_BASE = 52;
    private static final int ELLIPSIS = -1;

    private final String text;
    private final int[][] terms;
    private final int[] output;

    private EinsumEquation(String text, int[][] terms, int[] output) {
        this.text = text;
        this.terms = terms;
        this.output = output;
    }

    int inputCount() {
        return terms.length;
    }

    static EinsumEquation parse(String equation) {
        String eq = equation.replace(" ", "");
        int arrow = eq.indexOf("->");
        String lhs = arrow < 0 ? eq : eq.substring(0, arrow);
        if (arrow >= 0 && eq.indexOf("->", arrow + 2) >= 0) {
            throw bad(equation, "has more than one '->'");
        }
        String[] parts = lhs.split(",", -1);
        int[][] terms = new int[parts.length][];
        int[] count = new int[ELLIPSIS_BASE];
        boolean anyEllipsis = false;
        for (int i = 0; i < parts.length; i++) {
            terms[i] = term(parts[i], equation);
            for (int l : terms[i]) {
                if (l == ELLIPSIS) {
                    anyEllipsis = true;
                } else {
                    count[l]++;
                }
            }
        }
        int[] output;
        if (arrow >= 0) {
            output = term(eq.substring(arrow + 2), equation);
            boolean[] seen = new boolean[ELLIPSIS_BASE];
            for (int l : output) {
                if (l == ELLIPSIS) {
                    continue;
                }
                if (seen[l]) {
                    throw bad(equation, "repeats '" + letter(l) + "' in its output");
                }
                seen[l] = true;
                if (count[l] == 0) {
                    throw bad(equation, "has '" + letter(l) + "' in its output but in no input");
                }
            }
        } else {
            List<Integer> implicit = new ArrayList<>();
            if (anyEllipsis) {
                implicit.add(ELLIPSIS);
            }
            for (int l = 26; l < 52; l++) {     // upper case sorts first in ASCII
                if (count[l] == 1) {
                    implicit.add(l);
                }
            }
            for (int l = 0; l < 26; l++) {
                if (count[l] == 1) {
                    implicit.add(l);
                }
            }
            output = implicit.stream().mapToInt(Integer::intValue).toArray();
        }
        return new EinsumEquation(equation, terms, output);
    }

    /** One term's labels, with ELLIPSIS where "..." stands. */
    private static int[] term(String s, String equation) {
        int[] r = new int[s.length()];
        int n = 0;
        boolean ellipsis = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '.') {
                if (ellipsis || !s.startsWith("...", i)) {
                    throw bad(equation, "has a '.' that is not a single '...' in term '" + s + "'");
                }
                ellipsis = true;
                r[n++] = ELLIPSIS;
                i += 2;
            } else if (c >= 'a' && c <= 'z') {
                r[n++] = c - 'a';
            } else if (c >= 'A' && c <= 'Z') {
                r[n++] = 26 + (c - 'A');
            } else {
                throw bad(equation, "has the character '" + c + "'; terms are letters and '...'");
            }
        }
        return Arrays.copyOf(r, n);
    }

    private static char letter(int label) {
        return (char) (label < 26 ? 'a' + label : 'A' + label - 26);
    }

    private static IllegalArgumentException bad(String equation, String what) {
        return new IllegalArgumentException("equation '" + equation + "' " + what);
    }

    /** The equation applied to operands of the given shapes: every label's dimension, and each term's labels. */
    record Bound(int[][] inputs, int[] output, int[] sizes) {
        /** The output's shape. */
        int[] outShape() {
            int[] s = new int[output.length];
            for (int i = 0; i < s.length; i++) {
                s[i] = sizes[output[i]];
            }
            return s;
        }
    }

    Bound bind(int[][] shapes) {
        if (shapes.length != terms.length) {
            throw new IllegalArgumentException("equation '" + text + "' has " + terms.length + " terms but "
                    + shapes.length + " inputs are given");
        }
        int[] ellipsisRank = new int[terms.length];
        int maxEllipsis = 0;
        for (int i = 0; i < terms.length; i++) {
            int letters = 0;
            boolean ellipsis = false;
            for (int l : terms[i]) {
                if (l == ELLIPSIS) {
                    ellipsis = true;
                } else {
                    letters++;
                }
            }
            int rank = shapes[i].length;
            if (ellipsis ? rank < letters : rank != letters) {
                throw new IllegalArgumentException("input " + i + " has shape " + Shapes.toString(shapes[i])
                        + " but term " + i + " of '" + text + "' names " + letters + " dimensions"
                        + (ellipsis ? " besides '...'" : ""));
            }
            ellipsisRank[i] = rank - letters;
            maxEllipsis = Math.max(maxEllipsis, ellipsisRank[i]);
        }
        int[] sizes = new int[ELLIPSIS_BASE + maxEllipsis];
        Arrays.fill(sizes, -1);
        int[][] labels = new int[terms.length][];
        for (int i = 0; i < terms.length; i++) {
            labels[i] = expand(terms[i], ellipsisRank[i], maxEllipsis);
            for (int d = 0; d < labels[i].length; d++) {
                int l = labels[i][d];
                int dim = shapes[i][d];
                for (int e = 0; e < d; e++) {
                    if (labels[i][e] == l && shapes[i][e] != dim) {
                        throw new IllegalArgumentException("input " + i + " has shape " + Shapes.toString(shapes[i])
                                + ": dimensions " + e + " and " + d + " share a label in '" + text
                                + "' (a diagonal) but differ in size");
                    }
                }
                if (sizes[l] == -1 || sizes[l] == 1) {
                    sizes[l] = dim;
                } else if (dim != 1 && dim != sizes[l]) {
                    throw new IllegalArgumentException("dimension " + d + " of input " + i + " is " + dim
                            + " but its label has size " + sizes[l] + " elsewhere in '" + text + "'");
                }
            }
        }
        boolean outEllipsis = false;
        for (int l : output) {
            outEllipsis |= l == ELLIPSIS;
        }
        if (maxEllipsis > 0 && !outEllipsis) {
            throw new IllegalArgumentException("equation '" + text + "' has no '...' in its output for the "
                    + maxEllipsis + " dimensions that '...' stands for in its inputs");
        }
        return new Bound(labels, expand(output, maxEllipsis, maxEllipsis), sizes);
    }

    /** A term's labels with its "..." replaced by its own {@code rank} of the {@code max} ellipsis labels. */
    private static int[] expand(int[] term, int rank, int max) {
        int[] r = new int[term.length + rank];
        int n = 0;
        for (int l : term) {
            if (l == ELLIPSIS) {
                for (int t = 0; t < rank; t++) {
                    r[n++] = ELLIPSIS_BASE + max - rank + t;
                }
            } else {
                r[n++] = l;
            }
        }
        return Arrays.copyOf(r, n);
    }

    @Override
    public String toString() {
        return text;
    }
}
