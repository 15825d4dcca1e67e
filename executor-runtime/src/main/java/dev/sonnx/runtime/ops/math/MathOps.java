package dev.sonnx.runtime.ops.math;

import static dev.sonnx.runtime.ops.kernel.TypeCheck.BOOL;
import static dev.sonnx.runtime.ops.kernel.TypeCheck.FLOATS;
import static dev.sonnx.runtime.ops.kernel.TypeCheck.INTEGERS;
import static dev.sonnx.runtime.ops.kernel.TypeCheck.NUMERIC;
import static dev.sonnx.runtime.ops.kernel.TypeCheck.SIGNED;

import dev.sonnx.runtime.ops.Attributes;
import dev.sonnx.runtime.ops.OpRegistry;
import dev.sonnx.runtime.ops.kernel.SpecialFunctions;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import java.util.EnumSet;
import java.util.Set;

/**
 * Elementwise operators: one table of functions with their derivatives beside them. Versions are
 * registered where the ONNX semantics changed (binary operators before opset 7 broadcast only with
 * an attribute; variadic ones broadcast from opset 8; Clip's bounds became inputs at 11; Cast's
 * target was a name before 6); type-only revisions share an entry. Operators that need more than a
 * function of the elements (Pow's mixed types, Clip, Where, Cast, PRelu, Sum...) have their classes.
 */
public final class MathOps implements OpRegistry.OpSet {
    private static final Set<DataType> UNSIGNED = EnumSet.of(DataType.UINT8, DataType.UINT16, DataType.UINT32,
            DataType.UINT64);
    private static final Set<DataType> COMPARABLE = TypeCheck.union(NUMERIC, BOOL, EnumSet.of(DataType.STRING));
    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;

    @Override
    public void register(OpRegistry r) {
        registerArithmetic(r);
        registerUnaryMath(r);
        registerActivations(r);
        registerComparisonAndLogic(r);
        registerBitwise(r);
        registerVariadic(r);
        registerSelection(r);
        registerConversion(r);
    }

    // ------------------------------------------------------------------ arithmetic

    private static void registerArithmetic(OpRegistry r) {
        arithmetic(r, "Add", BinaryFn.of((a, b) -> a + b, (a, b) -> a + b, (a, b) -> a + b)
                .withKernel(FloatLoops.Binary.ADD), BinaryOp.Partials.linear(1, 1));
        arithmetic(r, "Sub", BinaryFn.of((a, b) -> a - b, (a, b) -> a - b, (a, b) -> a - b)
                .withKernel(FloatLoops.Binary.SUB), BinaryOp.Partials.linear(1, -1));
        arithmetic(r, "Mul", BinaryFn.of((a, b) -> a * b, (a, b) -> a * b, (a, b) -> a * b)
                .withKernel(FloatLoops.Binary.MUL), BinaryOp.Product.INSTANCE);
        // integer division truncates toward zero as in C; by zero (undefined) it gives 0 rather than throw
        arithmetic(r, "Div", BinaryFn.of((a, b) -> a / b, (a, b) -> a / b,
                        (a, b) -> b == 0 ? 0 : a / b, (a, b) -> b == 0 ? 0 : Long.divideUnsigned(a, b))
                .withKernel(FloatLoops.Binary.DIV), partials((a, b, y) -> 1 / b, (a, b, y) -> -y / b));
        r.add("Pow", 1, (n, b) -> new PowOp(n, true));
        r.add("Pow", 7, (n, b) -> new PowOp(n, false));
        r.add("Mod", 10, (n, b) -> new BinaryOp(n, modSpec(n.attributes()), false));
    }

    /**
     * Mod: fmod=1 is C's fmod (the sign of the dividend), for every numeric type, with da = 1 and
     * db = -trunc(a / b); fmod=0 is Python's integer % (the sign of the divisor), integers only.
     */
    private static BinaryOp.Spec modSpec(Attributes attributes) {
        long fmod = attributes.getLong("fmod", 0);
        if (fmod == 1) {
            return BinaryOp.Spec.arithmetic(NUMERIC, BinaryFn.of((a, b) -> a % b, (a, b) -> a % b,
                    ScalarMath::truncMod, ScalarMath::unsignedMod),
                    partials((a, b, y) -> 1, (a, b, y) -> -truncate(a / b)));
        }
        if (fmod != 0) {
            throw new IllegalArgumentException("attribute 'fmod' must be 0 or 1, got " + fmod);
        }
        return new BinaryOp.Spec(INTEGERS, "floating-point Mod needs attribute fmod=1",
                BinaryFn.integer(ScalarMath::floorMod, ScalarMath::unsignedMod), false, null);
    }

    // ------------------------------------------------------------------ unary math

    private static void registerUnaryMath(OpRegistry r) {
        unary(r, "Neg", 1, SIGNED, UnaryFn.of(x -> -x, x -> -x), (x, y) -> -1);
        unary(r, "Abs", 1, NUMERIC, UnaryFn.of(Math::abs, Math::abs, x -> x), (x, y) -> Math.signum(x));
        unary(r, "Sign", 9, NUMERIC, UnaryFn.of(Math::signum, Long::signum, x -> x != 0 ? 1 : 0), (x, y) -> 0);
        unary(r, "Reciprocal", 1, FLOATS, UnaryFn.real(x -> 1 / x), (x, y) -> -y * y);
        unary(r, "Sqrt", 1, FLOATS, UnaryFn.real(Math::sqrt), (x, y) -> 0.5 / y);
        r.add("Exp", 1, (n, b) -> new UnaryOp(n, FLOATS, UnaryFn.real(Math::exp), (x, y) -> y, FloatLoops.Unary.EXP));
        unary(r, "Log", 1, FLOATS, UnaryFn.real(Math::log), (x, y) -> 1 / x);
        // piecewise constant: zero gradient almost everywhere, as in PyTorch
        unary(r, "Floor", 1, FLOATS, UnaryFn.real(Math::floor), (x, y) -> 0);
        unary(r, "Ceil", 1, FLOATS, UnaryFn.real(Math::ceil), (x, y) -> 0);
        unary(r, "Round", 11, FLOATS, UnaryFn.real(Math::rint), (x, y) -> 0); // halves to even
        unary(r, "Sin", 7, FLOATS, UnaryFn.real(Math::sin), (x, y) -> Math.cos(x));
        unary(r, "Cos", 7, FLOATS, UnaryFn.real(Math::cos), (x, y) -> -Math.sin(x));
        unary(r, "Tan", 7, FLOATS, UnaryFn.real(Math::tan), (x, y) -> 1 + y * y);
        unary(r, "Asin", 7, FLOATS, UnaryFn.real(Math::asin), (x, y) -> 1 / Math.sqrt(1 - x * x));
        unary(r, "Acos", 7, FLOATS, UnaryFn.real(Math::acos), (x, y) -> -1 / Math.sqrt(1 - x * x));
        unary(r, "Atan", 7, FLOATS, UnaryFn.real(Math::atan), (x, y) -> 1 / (1 + x * x));
        unary(r, "Sinh", 9, FLOATS, UnaryFn.real(Math::sinh), (x, y) -> Math.cosh(x));
        unary(r, "Cosh", 9, FLOATS, UnaryFn.real(Math::cosh), (x, y) -> Math.sinh(x));
        r.add("Tanh", 1, (n, b) -> new UnaryOp(n, FLOATS, UnaryFn.real(Math::tanh), (x, y) -> 1 - y * y,
                FloatLoops.Unary.TANH));
        unary(r, "Asinh", 9, FLOATS, UnaryFn.real(ScalarMath::asinh), (x, y) -> 1 / Math.sqrt(x * x + 1));
        unary(r, "Acosh", 9, FLOATS, UnaryFn.real(ScalarMath::acosh), (x, y) -> 1 / Math.sqrt(x * x - 1));
        unary(r, "Atanh", 9, FLOATS, UnaryFn.real(ScalarMath::atanh), (x, y) -> 1 / (1 - x * x));
        r.add("Erf", 9, (n, b) -> new UnaryOp(n, NUMERIC, UnaryFn.real(SpecialFunctions::erf),
                (x, y) -> TWO_OVER_SQRT_PI * Math.exp(-x * x), FloatLoops.Unary.ERF));
    }

    // ------------------------------------------------------------------ activations

    private static void registerActivations(OpRegistry r) {
        r.add("Relu", 1, (n, b) -> new UnaryOp(n, SIGNED, UnaryFn.of(x -> Math.max(x, 0), x -> Math.max(x, 0)),
                (x, y) -> x > 0 ? 1 : 0, true));
        r.add("Sigmoid", 1, (n, b) -> new UnaryOp(n, FLOATS, UnaryFn.real(ScalarMath::sigmoid), (x, y) -> y * (1 - y),
                FloatLoops.Unary.SIGMOID));
        unary(r, "Softplus", 1, FLOATS, UnaryFn.real(ScalarMath::softplus), (x, y) -> ScalarMath.sigmoid(x));
        unary(r, "Softsign", 1, FLOATS, UnaryFn.real(x -> x / (1 + Math.abs(x))),
                (x, y) -> 1 / ((1 + Math.abs(x)) * (1 + Math.abs(x))));
        unary(r, "Mish", 18, FLOATS, UnaryFn.real(ScalarMath::mish), (x, y) -> ScalarMath.mishDerivative(x));
        unary(r, "HardSwish", 14, FLOATS, UnaryFn.real(x -> x * Math.max(0, Math.min(1, x / 6 + 0.5))),
                (x, y) -> x < -3 ? 0 : x > 3 ? 1 : x / 3 + 0.5);
        r.add("LeakyRelu", 1, (n, b) -> {
            double alpha = n.attributes().getFloat("alpha", 0.01f);
            return new UnaryOp(n, FLOATS, UnaryFn.real(x -> x >= 0 ? x : alpha * x), (x, y) -> x >= 0 ? 1 : alpha);
        });
        r.add("Elu", 1, (n, b) -> {
            double alpha = n.attributes().getFloat("alpha", 1f);
            return new UnaryOp(n, FLOATS, UnaryFn.real(x -> x >= 0 ? x : alpha * Math.expm1(x)),
                    (x, y) -> x >= 0 ? 1 : y + alpha);
        });
        r.add("Selu", 1, (n, b) -> {
            double alpha = n.attributes().getFloat("alpha", 1.67326319217681884765625f);
            double gamma = n.attributes().getFloat("gamma", 1.05070102214813232421875f);
            return new UnaryOp(n, FLOATS, UnaryFn.real(x -> x > 0 ? gamma * x : gamma * alpha * Math.expm1(x)),
                    (x, y) -> x > 0 ? gamma : gamma * alpha * Math.exp(x));
        });
        r.add("Celu", 12, (n, b) -> {
            double alpha = n.attributes().getFloat("alpha", 1f);
            if (alpha == 0) {
                throw new IllegalArgumentException("attribute 'alpha' must not be 0");
            }
            return new UnaryOp(n, FLOATS, UnaryFn.real(x -> x > 0 ? x : alpha * Math.expm1(x / alpha)),
                    (x, y) -> x > 0 ? 1 : Math.exp(x / alpha));
        });
        r.add("HardSigmoid", 1, (n, b) -> {
            double alpha = n.attributes().getFloat("alpha", 0.2f);
            double beta = n.attributes().getFloat("beta", 0.5f);
            return new UnaryOp(n, FLOATS, UnaryFn.real(x -> Math.max(0, Math.min(1, alpha * x + beta))),
                    (x, y) -> alpha * x + beta > 0 && alpha * x + beta < 1 ? alpha : 0);
        });
        r.add("ThresholdedRelu", 10, (n, b) -> {
            double alpha = n.attributes().getFloat("alpha", 1f);
            return new UnaryOp(n, FLOATS, UnaryFn.real(x -> x > alpha ? x : 0), (x, y) -> x > alpha ? 1 : 0);
        });
        r.add("Shrink", 9, (n, b) -> {
            double bias = n.attributes().getFloat("bias", 0f);
            double lambd = n.attributes().getFloat("lambd", 0.5f);
            return new UnaryOp(n, NUMERIC, UnaryFn.real(x -> x < -lambd ? x + bias : x > lambd ? x - bias : 0),
                    (x, y) -> x < -lambd || x > lambd ? 1 : 0);
        });
        r.add("Gelu", 20, (n, b) -> {
            String approximate = n.attributes().getString("approximate", "none");
            return switch (approximate) {
                case "none" -> new UnaryOp(n, FLOATS, UnaryFn.real(ScalarMath::gelu),
                        (x, y) -> ScalarMath.geluDerivative(x), FloatLoops.Unary.GELU);
                case "tanh" -> new UnaryOp(n, FLOATS, UnaryFn.real(ScalarMath::geluTanh),
                        (x, y) -> ScalarMath.geluTanhDerivative(x), FloatLoops.Unary.GELU_TANH);
                default -> throw new IllegalArgumentException("attribute 'approximate' must be \"none\" or \"tanh\", got \""
                        + approximate + "\"");
            };
        });
        r.add("PRelu", 1, (n, b) -> new PReluOp(n, true));
        r.add("PRelu", 7, (n, b) -> new PReluOp(n, false));
    }

    // ------------------------------------------------------------------ comparison and logic

    private static void registerComparisonAndLogic(OpRegistry r) {
        predicate(r, "Equal", true, COMPARABLE, BinaryFn.of((a, b) -> a == b ? 1 : 0, (a, b) -> a == b ? 1 : 0,
                (a, b) -> a == b ? 1 : 0).withStrings((a, b) -> a.equals(b) ? 1 : 0));
        predicate(r, "Greater", true, NUMERIC, BinaryFn.of((a, b) -> a > b ? 1 : 0, (a, b) -> a > b ? 1 : 0,
                (a, b) -> a > b ? 1 : 0, (a, b) -> Long.compareUnsigned(a, b) > 0 ? 1 : 0));
        predicate(r, "Less", true, NUMERIC, BinaryFn.of((a, b) -> a < b ? 1 : 0, (a, b) -> a < b ? 1 : 0,
                (a, b) -> a < b ? 1 : 0, (a, b) -> Long.compareUnsigned(a, b) < 0 ? 1 : 0));
        predicate(r, "GreaterOrEqual", false, NUMERIC, BinaryFn.of((a, b) -> a >= b ? 1 : 0,
                (a, b) -> a >= b ? 1 : 0, (a, b) -> a >= b ? 1 : 0,
                (a, b) -> Long.compareUnsigned(a, b) >= 0 ? 1 : 0));
        predicate(r, "LessOrEqual", false, NUMERIC, BinaryFn.of((a, b) -> a <= b ? 1 : 0,
                (a, b) -> a <= b ? 1 : 0, (a, b) -> a <= b ? 1 : 0,
                (a, b) -> Long.compareUnsigned(a, b) <= 0 ? 1 : 0));
        predicate(r, "And", true, BOOL, BinaryFn.integer((a, b) -> a & b, (a, b) -> a & b));
        predicate(r, "Or", true, BOOL, BinaryFn.integer((a, b) -> a | b, (a, b) -> a | b));
        predicate(r, "Xor", true, BOOL, BinaryFn.integer((a, b) -> a ^ b, (a, b) -> a ^ b));
        unary(r, "Not", 1, BOOL, UnaryFn.of(null, x -> x ^ 1), null);
    }

    // ------------------------------------------------------------------ bitwise

    private static void registerBitwise(OpRegistry r) {
        r.add("BitShift", 11, (n, b) -> {
            String direction = n.attributes().getString("direction", null);
            if (direction == null) {
                throw new IllegalArgumentException("required attribute 'direction' is missing");
            }
            // unsigned values arrive zero-extended; a shift by the width or more leaves nothing
            BinaryFn fn = switch (direction) {
                case "LEFT" -> BinaryFn.integer((x, s) -> Long.compareUnsigned(s, 64) >= 0 ? 0 : x << s,
                        (x, s) -> Long.compareUnsigned(s, 64) >= 0 ? 0 : x << s);
                case "RIGHT" -> BinaryFn.integer((x, s) -> Long.compareUnsigned(s, 64) >= 0 ? 0 : x >>> s,
                        (x, s) -> Long.compareUnsigned(s, 64) >= 0 ? 0 : x >>> s);
                default -> throw new IllegalArgumentException("attribute 'direction' must be \"LEFT\" or \"RIGHT\", got \""
                        + direction + "\"");
            };
            return new BinaryOp(n, BinaryOp.Spec.arithmetic(UNSIGNED, fn, null), false);
        });
        bitwise(r, "BitwiseAnd", BinaryFn.integer((a, b) -> a & b, (a, b) -> a & b));
        bitwise(r, "BitwiseOr", BinaryFn.integer((a, b) -> a | b, (a, b) -> a | b));
        bitwise(r, "BitwiseXor", BinaryFn.integer((a, b) -> a ^ b, (a, b) -> a ^ b));
        unary(r, "BitwiseNot", 18, INTEGERS, UnaryFn.of(null, x -> ~x), null);
    }

    // ------------------------------------------------------------------ variadic

    private static void registerVariadic(OpRegistry r) {
        variadic(r, "Sum", VariadicOp.Kind.SUM, FLOATS);
        variadic(r, "Mean", VariadicOp.Kind.MEAN, FLOATS);
        variadic(r, "Max", VariadicOp.Kind.MAX, NUMERIC);
        variadic(r, "Min", VariadicOp.Kind.MIN, NUMERIC);
    }

    // ------------------------------------------------------------------ selection

    private static void registerSelection(OpRegistry r) {
        r.add("Clip", 1, (n, b) -> new ClipOp(n, FLOATS, true)); // float bounds for float types only
        r.add("Clip", 11, (n, b) -> new ClipOp(n, NUMERIC, false));
        r.add("Where", 9, (n, b) -> new WhereOp(n));
    }

    // ------------------------------------------------------------------ conversion and classification

    private static void registerConversion(OpRegistry r) {
        r.add("Cast", 1, (n, b) -> CastOp.cast(n, 1));
        r.add("Cast", 6, (n, b) -> CastOp.cast(n, 6));
        r.add("Cast", 19, (n, b) -> CastOp.cast(n, 19));
        r.add("CastLike", 15, (n, b) -> CastOp.castLike(n, 15));
        r.add("CastLike", 19, (n, b) -> CastOp.castLike(n, 19));
        r.add("IsNaN", 9, (n, b) -> new PredicateOp(n, FLOATS, x -> x != x));
        r.add("IsInf", 10, (n, b) -> {
            boolean positive = n.attributes().getLong("detect_positive", 1) != 0;
            boolean negative = n.attributes().getLong("detect_negative", 1) != 0;
            return new PredicateOp(n, FLOATS, x -> positive && x == Double.POSITIVE_INFINITY
                    || negative && x == Double.NEGATIVE_INFINITY);
        });
    }

    // ------------------------------------------------------------------ table helpers

    private static double truncate(double v) {
        return v < 0 ? Math.ceil(v) : Math.floor(v);
    }

    private static BinaryOp.Partials partials(Partial da, Partial db) {
        return new BinaryOp.Partials() {
            @Override
            public double da(double a, double b, double y) {
                return da.at(a, b, y);
            }

            @Override
            public double db(double a, double b, double y) {
                return db.at(a, b, y);
            }
        };
    }

    @FunctionalInterface
    private interface Partial {
        double at(double a, double b, double y);
    }

    private static void unary(OpRegistry r, String op, int since, Set<DataType> types, UnaryFn f,
                              UnaryOp.Derivative d) {
        r.add(op, since, (n, b) -> new UnaryOp(n, types, f, d));
    }

    /** Arithmetic takes numpy broadcasting from opset 7; before, the broadcast attribute (opset 1). */
    private static void arithmetic(OpRegistry r, String op, BinaryFn fn, BinaryOp.Partials p) {
        BinaryOp.Spec spec = BinaryOp.Spec.arithmetic(NUMERIC, fn, p);
        r.add(op, 1, (n, b) -> new BinaryOp(n, spec, true));
        r.add(op, 7, (n, b) -> new BinaryOp(n, spec, false));
    }

    /** A bool-valued binary operator; {@code legacy}: it exists before opset 7, with the broadcast attribute. */
    private static void predicate(OpRegistry r, String op, boolean legacy, Set<DataType> types, BinaryFn fn) {
        BinaryOp.Spec spec = BinaryOp.Spec.predicate(types, fn);
        if (legacy) {
            r.add(op, 1, (n, b) -> new BinaryOp(n, spec, true));
            r.add(op, 7, (n, b) -> new BinaryOp(n, spec, false));
        } else {
            r.add(op, 12, (n, b) -> new BinaryOp(n, spec, false));
        }
    }

    private static void bitwise(OpRegistry r, String op, BinaryFn fn) {
        BinaryOp.Spec spec = BinaryOp.Spec.arithmetic(INTEGERS, fn, null);
        r.add(op, 18, (n, b) -> new BinaryOp(n, spec, false));
    }

    /** Sum, Mean, Max, Min: inputs of one shape until opset 8, broadcast from 8. */
    private static void variadic(OpRegistry r, String op, VariadicOp.Kind kind, Set<DataType> types) {
        r.add(op, 1, (n, b) -> new VariadicOp(n, kind, types, false));
        r.add(op, 8, (n, b) -> new VariadicOp(n, kind, types, true));
    }
}
