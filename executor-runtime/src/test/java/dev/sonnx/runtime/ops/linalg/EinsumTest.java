package dev.sonnx.runtime.ops.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EinsumTest {

    private static Tensor einsum(String eq, Tensor... xs) {
        return OpTester.of("Einsum", 12).inputs(xs.length).attr("equation", eq).run(xs)[0];
    }

    /**
     * Brute force for explicit letter-only equations: loop over every assignment of every label and
     * add the product of the operands' elements into the output element.
     */
    private static double[] bruteForce(String eq, Tensor... xs) {
        String[] sides = eq.replace(" ", "").split("->", -1);
        String[] terms = sides[0].split(",");
        String out = sides[1];
        Map<Character, Integer> size = new HashMap<>();
        for (int i = 0; i < terms.length; i++) {
            for (int d = 0; d < terms[i].length(); d++) {
                size.put(terms[i].charAt(d), xs[i].shape()[d]);
            }
        }
        char[] labels = new char[size.size()];
        int n = 0;
        for (char c : size.keySet()) {
            labels[n++] = c;
        }
        int outSize = 1;
        for (char c : out.toCharArray()) {
            outSize *= size.get(c);
        }
        double[] r = new double[outSize];
        int[] idx = new int[labels.length];
        while (true) {
            Map<Character, Integer> at = new HashMap<>();
            for (int i = 0; i < labels.length; i++) {
                at.put(labels[i], idx[i]);
            }
            double p = 1;
            for (int i = 0; i < terms.length; i++) {
                p *= xs[i].getDouble(offset(terms[i], at, xs[i].shape()));
            }
            int o = 0;
            for (char c : out.toCharArray()) {
                o = o * size.get(c) + at.get(c);
            }
            r[o] += p;
            int d = labels.length - 1;
            while (d >= 0 && ++idx[d] == size.get(labels[d])) {
                idx[d--] = 0;
            }
            if (d < 0) {
                return r;
            }
        }
    }

    private static int offset(String term, Map<Character, Integer> at, int[] shape) {
        int o = 0;
        for (int d = 0; d < term.length(); d++) {
            o = o * shape[d] + at.get(term.charAt(d));
        }
        return o;
    }

    private static void check(String eq, int[] outShape, Tensor... xs) {
        Tensor y = einsum(eq, xs);
        assertArrayEquals(outShape, y.shape(), eq);
        assertArrayEquals(bruteForce(eq, xs), y.toDoubleArray(), 1e-12, eq);
    }

    @Test
    void singleOperandForms() {
        Tensor x = GradCheck.random(1, -1, 1, 3, 4);
        check("ij->ji", new int[] {4, 3}, x);
        check("ij->i", new int[] {3}, x);
        check("ij->", new int[0], x);
        check("ij->ij", new int[] {3, 4}, x);
        Tensor sq = GradCheck.random(2, -1, 1, 3, 3);
        check("ii->i", new int[] {3}, sq);
        check("ii->", new int[0], sq);
        Tensor cube = GradCheck.random(3, -1, 1, 2, 2, 2);
        check("iii->i", new int[] {2}, cube);
        check("iij->ji", new int[] {2, 2}, cube);
    }

    @Test
    void contractions() {
        Tensor a = GradCheck.random(4, -1, 1, 2, 3, 4);
        Tensor b = GradCheck.random(5, -1, 1, 2, 4, 5);
        check("bij,bjk->bik", new int[] {2, 3, 5}, a, b);
        check("bij, bjk -> bki", new int[] {2, 5, 3}, a, b);
        check("bij,bkj->bik", new int[] {2, 3, 2}, a, GradCheck.random(6, -1, 1, 2, 2, 4));
        // attention scores and their use: bhqd,bhkd->bhqk and bhqk,bhkd->bhqd
        Tensor q = GradCheck.random(7, -1, 1, 2, 2, 3, 4);
        Tensor k = GradCheck.random(8, -1, 1, 2, 2, 5, 4);
        check("bhqd,bhkd->bhqk", new int[] {2, 2, 3, 5}, q, k);
        check("bhqk,bhkd->bhqd", new int[] {2, 2, 3, 4}, GradCheck.random(9, -1, 1, 2, 2, 3, 5),
                GradCheck.random(10, -1, 1, 2, 2, 5, 4));
        check("i,i->", new int[0], GradCheck.random(11, -1, 1, 5), GradCheck.random(12, -1, 1, 5));
        check("i,j->ij", new int[] {3, 2}, GradCheck.random(13, -1, 1, 3), GradCheck.random(14, -1, 1, 2));
        check("ij,jk,kl->il", new int[] {2, 2}, GradCheck.random(15, -1, 1, 2, 3), GradCheck.random(16, -1, 1, 3, 4),
                GradCheck.random(17, -1, 1, 4, 2));
        // a label summed inside one operand, one kept across three, a diagonal inside a product
        check("ijk,jl,ii->il", new int[] {3, 2}, GradCheck.random(18, -1, 1, 3, 2, 4), GradCheck.random(19, -1, 1, 2, 2),
                GradCheck.random(20, -1, 1, 3, 3));
        check("ij,ij->ij", new int[] {2, 3}, GradCheck.random(21, -1, 1, 2, 3), GradCheck.random(22, -1, 1, 2, 3));
    }

    @Test
    void implicitOutputIsSortedSingleLabels() {
        Tensor a = GradCheck.random(23, -1, 1, 2, 3);
        Tensor b = GradCheck.random(24, -1, 1, 3, 4);
        Tensor y = einsum("ij,jk", a, b);
        assertArrayEquals(bruteForce("ij,jk->ik", a, b), y.toDoubleArray(), 1e-12);
        Tensor t = einsum("ba", a);   // implicit output "ab": a transpose
        assertArrayEquals(bruteForce("ba->ab", a), t.toDoubleArray(), 1e-12);
        // upper case sorts before lower case
        Tensor u = einsum("aB", a);
        assertArrayEquals(new int[] {3, 2}, u.shape());
        Tensor trace = einsum("ii", GradCheck.random(25, -1, 1, 3, 3));
        assertArrayEquals(new int[0], trace.shape());
    }

    @Test
    void ellipsisBroadcasts() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 2);
        Tensor d = einsum("...ii ->...i", x);
        assertArrayEquals(new int[] {2, 2}, d.shape());
        assertArrayEquals(new double[] {1, 4, 5, 8}, d.toDoubleArray(), 0);
        // batch [2, 1] against [3]: output batch [2, 3]
        Tensor a = GradCheck.random(26, -1, 1, 2, 1, 2, 3);
        Tensor b = GradCheck.random(27, -1, 1, 3, 3, 2);
        Tensor y = einsum("...ij,...jk->...ik", a, b);
        assertArrayEquals(new int[] {2, 3, 2, 2}, y.shape());
        for (int p = 0; p < 2; p++) {
            for (int q = 0; q < 3; q++) {
                for (int i = 0; i < 2; i++) {
                    for (int k = 0; k < 2; k++) {
                        double s = 0;
                        for (int j = 0; j < 3; j++) {
                            s += a.getDouble(p * 6 + i * 3 + j) * b.getDouble(q * 6 + j * 2 + k);
                        }
                        assertEquals(s, y.getDouble(((p * 3 + q) * 2 + i) * 2 + k), 1e-12);
                    }
                }
            }
        }
        // implicit output puts the ellipsis first; a size-1 label broadcasts too
        Tensor z = einsum("...j,j", GradCheck.random(28, -1, 1, 4, 3), Tensor.of(new double[] {2}, 1));
        assertArrayEquals(new int[] {4}, z.shape());
    }

    @Test
    void integersAndHalves() {
        Tensor a = Tensor.of(new int[] {1, 2, 3, 4}, 2, 2);
        Tensor y = einsum("ij,jk->ik", a, a);
        assertEquals(DataType.INT32, y.dtype());
        assertArrayEquals(new long[] {7, 10, 15, 22}, y.toLongArray());
        Tensor u = einsum("i->", Tensor.fromLongs(DataType.UINT8, new long[] {200, 100}, 2));
        assertEquals(DataType.UINT8, u.dtype());
        assertEquals(300 & 0xff, u.getLong(0));
        Tensor h = einsum("ii->", Tensor.fromDoubles(DataType.FLOAT16, new double[] {1.5, 9, 9, 2.25}, 2, 2));
        assertEquals(DataType.FLOAT16, h.dtype());
        assertEquals(3.75, h.getDouble(0), 0);
    }

    @Test
    void badEquations() {
        Tensor x = Tensor.zeros(DataType.FLOAT, 2, 2);
        assertThrows(IllegalArgumentException.class, () -> einsum("ij->k", x));
        assertThrows(IllegalArgumentException.class, () -> einsum("i1->i", x));
        assertThrows(IllegalArgumentException.class, () -> einsum("ijk->i", x));
        assertThrows(IllegalArgumentException.class, () -> einsum("ij->ii", x));
        assertThrows(IllegalArgumentException.class, () -> einsum("ij,jk->ik", x, Tensor.zeros(DataType.FLOAT, 3, 2)));
        assertThrows(IllegalArgumentException.class, () -> einsum("...ij->ij", Tensor.zeros(DataType.FLOAT, 2, 2, 2)));
        assertThrows(IllegalArgumentException.class, () -> einsum("ii->i", Tensor.zeros(DataType.FLOAT, 1, 3)));
        assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("Einsum", 12).inputs(2).attr("equation", "ij->i").build());
    }

    @Test
    void gradients() {
        String[][] cases = {
            {"bij,bjk->bik", "2,3,4", "2,4,2"},
            {"bhqd,bhkd->bhqk", "1,2,3,2", "1,2,2,2"},
            {"ij->ji", "2,3"},
            {"ii->i", "3,3"},
            {"ii->", "3,3"},
            {"ij->", "2,3"},
            {"ijk,jl->il", "2,3,2", "3,2"},
            {"i,i->", "4", "4"},
            {"ij,jk,kl->il", "2,3", "3,2", "2,2"},
            {"...ij,...jk->...ik", "2,1,2,3", "3,3,2"},
            {"ij,j->ij", "2,3", "1"},
        };
        long seed = 40;
        for (String[] c : cases) {
            Tensor[] xs = new Tensor[c.length - 1];
            int[] wrt = new int[xs.length];
            for (int i = 0; i < xs.length; i++) {
                String[] dims = c[i + 1].split(",");
                int[] shape = new int[dims.length];
                for (int d = 0; d < dims.length; d++) {
                    shape[d] = Integer.parseInt(dims[d]);
                }
                xs[i] = GradCheck.random(seed++, -1, 1, shape);
                wrt[i] = i;
            }
            Operator op = OpTester.of("Einsum", 12).inputs(xs.length).attr("equation", c[0]).build();
            GradCheck.of(op).check(xs, wrt);
        }
    }
}
