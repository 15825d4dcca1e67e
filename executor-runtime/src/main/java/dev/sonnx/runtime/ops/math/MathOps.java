package dev.sonnx.runtime.ops.math;

import static dev.sonnx.runtime.ops.kernel.TypeCheck.BOOL;
import static dev.sonnx.runtime.ops.kernel.TypeCheck.FLOATS;
import static dev.sonnx.runtime.ops.kernel.TypeCheck.NUMERIC;
import static dev.sonnx.runtime.ops.kernel.TypeCheck.SIGNED;

import dev.sonnx.runtime.ops.OpRegistry;
import dev.sonnx.runtime.ops.kernel.SpecialFunctions;
import dev.sonnx.runtime.tensor.DataType;
import java.util.Set;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongUnaryOperator;

/**
 * Elementwise operators: one table of functions with their derivatives. Versions are registered
 * where the ONNX semantics changed; type-only revisions share an entry.
 */
public final class MathOps implements OpRegistry.OpSet {

    @Override
    public void register(OpRegistry r) {
        registerArithmetic(r);
        registerUnaryMath(r);
        registerActivations(r);
        registerLogic(r);
    }

    // ------------------------------------------------------------------ arithmetic

    private static void registerArithmetic(OpRegistry r) {
        binary(r, "Add", NUMERIC, BinaryFn.of((a, b) -> a + b, (a, b) -> a + b, (a, b) -> a + b),
                partials((a, b, y) -> 1, (a, b, y) -> 1));
        binary(r, "Sub", NUMERIC, BinaryFn.of((a, b) -> a - b, (a, b) -> a - b, (a, b) -> a - b),
                partials((a, b, y) -> 1, (a, b, y) -> -1));
        binary(r, "Mul", NUMERIC, BinaryFn.of((a, b) -> a * b, (a, b) -> a * b, (a, b) -> a * b),
                partials((a, b, y) -> b, (a, b, y) -> a));
        binary(r, "Div", NUMERIC, new BinaryFn((a, b) -> a / b, (a, b) -> a / b,
                        (a, b) -> b == 0 ? 0 : a / b, (a, b) -> b == 0 ? 0 : Long.divideUnsigned(a, b)),
                partials((a, b, y) -> 1 / b, (a, b, y) -> -y / b));
    }

    // ------------------------------------------------------------------ unary math

    private static void registerUnaryMath(OpRegistry r) {
        unary(r, "Neg", SIGNED, x -> -x, x -> -x, (x, y) -> -1);
        unary(r, "Abs", NUMERIC, Math::abs, Math::abs, (x, y) -> Math.signum(x));
        unary(r, "Reciprocal", FLOATS, x -> 1 / x, null, (x, y) -> -y * y);
        unary(r, "Sqrt", FLOATS, Math::sqrt, null, (x, y) -> 0.5 / y);
        unary(r, "Exp", FLOATS, Math::exp, null, (x, y) -> y);
        unary(r, "Log", FLOATS, Math::log, null, (x, y) -> 1 / x);
        unary(r, "Floor", FLOATS, Math::floor, null, (x, y) -> 0);
        unary(r, "Ceil", FLOATS, Math::ceil, null, (x, y) -> 0);
        unary(r, "Round", FLOATS, Math::rint, null, (x, y) -> 0);
        unary(r, "Sign", NUMERIC, Math::signum, Long::signum, (x, y) -> 0);
        unary(r, "Sin", FLOATS, Math::sin, null, (x, y) -> Math.cos(x));
        unary(r, "Cos", FLOATS, Math::cos, null, (x, y) -> -Math.sin(x));
        unary(r, "Tan", FLOATS, Math::tan, null, (x, y) -> 1 + y * y);
        unary(r, "Asin", FLOATS, Math::asin, null, (x, y) -> 1 / Math.sqrt(1 - x * x));
        unary(r, "Acos", FLOATS, Math::acos, null, (x, y) -> -1 / Math.sqrt(1 - x * x));
        unary(r, "Atan", FLOATS, Math::atan, null, (x, y) -> 1 / (1 + x * x));
        unary(r, "Sinh", FLOATS, Math::sinh, null, (x, y) -> Math.cosh(x));
        unary(r, "Cosh", FLOATS, Math::cosh, null, (x, y) -> Math.sinh(x));
        unary(r, "Tanh", FLOATS, Math::tanh, null, (x, y) -> 1 - y * y);
        unary(r, "Asinh", FLOATS, x -> Math.log(x + Math.sqrt(x * x + 1)), null, (x, y) -> 1 / Math.sqrt(x * x + 1));
        unary(r, "Acosh", FLOATS, x -> Math.log(x + Math.sqrt(x * x - 1)), null, (x, y) -> 1 / Math.sqrt(x * x - 1));
        unary(r, "Atanh", FLOATS, x -> 0.5 * Math.log((1 + x) / (1 - x)), null, (x, y) -> 1 / (1 - x * x));
        unary(r, "Erf", NUMERIC, SpecialFunctions::erf, null,
                (x, y) -> 1.1283791670955126 * Math.exp(-x * x));
    }

    // ------------------------------------------------------------------ activations

    private static void registerActivations(OpRegistry r) {
        unary(r, "Relu", SIGNED, x -> Math.max(x, 0), x -> Math.max(x, 0), (x, y) -> x > 0 ? 1 : 0);
        unary(r, "Sigmoid", FLOATS, MathOps::sigmoid, null, (x, y) -> y * (1 - y));
        unary(r, "Softplus", FLOATS, MathOps::softplus, null, (x, y) -> sigmoid(x));
        unary(r, "Softsign", FLOATS, x -> x / (1 + Math.abs(x)), null,
                (x, y) -> 1 / ((1 + Math.abs(x)) * (1 + Math.abs(x))));
        r.add("LeakyRelu", 6, (n, b) -> {
            double alpha = n.attributes().getFloat("alpha", 0.01f);
            return new UnaryOp(n, FLOATS, x -> x >= 0 ? x : alpha * x, null, (x, y) -> x >= 0 ? 1 : alpha);
        });
    }

    // ------------------------------------------------------------------ logic

    private static void registerLogic(OpRegistry r) {
        binaryBool(r, "And", BOOL, BinaryFn.of((a, b) -> 0, (a, b) -> 0, (a, b) -> a & b));
    }

    // ------------------------------------------------------------------ table helpers

    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    static double softplus(double x) {
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
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

    private static void unary(OpRegistry r, String op, Set<DataType> types, DoubleUnaryOperator f,
                              LongUnaryOperator integer, UnaryOp.Derivative d) {
        r.add(op, 1, (n, b) -> new UnaryOp(n, types, f, integer, d));
    }

    /** Binary operators take numpy broadcasting from opset 7 (before: a broadcast attribute). */
    private static void binary(OpRegistry r, String op, Set<DataType> types, BinaryFn fn, BinaryOp.Partials p) {
        r.add(op, 7, (n, b) -> new BinaryOp(n, types, fn, false, p));
    }

    private static void binaryBool(OpRegistry r, String op, Set<DataType> types, BinaryFn fn) {
        r.add(op, 7, (n, b) -> new BinaryOp(n, types, fn, true, null));
    }
}
