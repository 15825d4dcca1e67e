package dev.sonnx.runtime.ops.math;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Half;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Numbers as Cast reads and writes them in string tensors, following the ONNX reference (numpy):
 * reading accepts plain and scientific decimals ("3.14", "1e-5", "1E8") with optional sign and
 * surrounding blanks, and "INF", "+INF", "-INF", "Infinity", "NaN" in any case; writing gives the
 * shortest decimal that reads back to the same value of the source type, positional for
 * 1e-4 <= |v| < 1e16 and scientific otherwise, as numpy's str does ("0.47892547", "1e-05", "1e+16", "nan", "-inf").
 */
final class NumberText {
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");
    private static final BigDecimal TEN_POW_16 = BigDecimal.TEN.pow(16);
    private static final BigDecimal TEN_POW_MINUS_4 = new BigDecimal("1e-4");

    private NumberText() {
    }

    // ------------------------------------------------------------------ reading

    /** The text as a double; special values by name; anything else is an error naming the element. */
    static double parseDouble(String s, int index) {
        String t = s.strip();
        Double special = special(t);
        if (special != null) {
            return special;
        }
        return Double.parseDouble(checked(t, s, index));
    }

    /** The text as a float, rounded once from the decimal (not through double). */
    static float parseFloat(String s, int index) {
        String t = s.strip();
        Double special = special(t);
        if (special != null) {
            return special.floatValue();
        }
        return Float.parseFloat(checked(t, s, index));
    }

    /**
     * The text as an integer of {@code type}'s width: an integer literal exactly (wrapped to the
     * width, as numeric casts wrap), a decimal truncated toward zero (the spec allows "100.5" to read
     * as 100).
     */
    static long parseInteger(String s, DataType type, int index) {
        String t = s.strip();
        if (INTEGER.matcher(t).matches()) {
            return new BigInteger(t).longValue();
        }
        double v = parseDouble(s, index);
        return type == DataType.UINT64 ? FloatFormats.doubleToUnsigned(v) : (long) v;
    }

    /** "true" / "false" in any case, or a number: true when not zero. */
    static boolean parseBool(String s, int index) {
        String t = s.strip();
        if (t.equalsIgnoreCase("true")) {
            return true;
        }
        if (t.equalsIgnoreCase("false")) {
            return false;
        }
        return parseDouble(s, index) != 0;
    }

    private static Double special(String t) {
        String body = t.startsWith("+") || t.startsWith("-") ? t.substring(1) : t;
        boolean negative = t.startsWith("-");
        String lower = body.toLowerCase(Locale.ROOT);
        if (lower.equals("inf") || lower.equals("infinity")) {
            return negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        if (lower.equals("nan")) {
            return Double.NaN;
        }
        return null;
    }

    /** Refuses what Java would parse but a number in a string tensor is not ("0x1p3", "1.5f", "1d"). */
    private static String checked(String t, String original, int index) {
        if (!DECIMAL.matcher(t).matches()) {
            throw new IllegalArgumentException("input element " + index + " \"" + original + "\" is not a number");
        }
        return t;
    }

    // ------------------------------------------------------------------ writing

    /** Element {@code i} of a numeric or bool tensor as text. */
    static String format(dev.sonnx.runtime.tensor.Tensor x, int i) {
        DataType t = x.dtype();
        switch (t) {
            case FLOAT: {
                float f = x.getFloat(i);
                return real(f, 9, s -> Float.floatToIntBits(Float.parseFloat(s)) == Float.floatToIntBits(f));
            }
            case DOUBLE: {
                double d = x.getDouble(i);
                return real(d, 17, s -> Double.doubleToLongBits(Double.parseDouble(s)) == Double.doubleToLongBits(d));
            }
            case FLOAT16: {
                short bits = x.shorts().get(i);
                return real(Half.toFloat(bits), 5, s -> FloatFormats.doubleToHalf(Double.parseDouble(s)) == bits);
            }
            case BFLOAT16: {
                short bits = x.shorts().get(i);
                return real(Half.bf16ToFloat(bits), 4,
                        s -> FloatFormats.floatToBf16Truncated(Float.parseFloat(s)) == bits);
            }
            case BOOL:
                return x.getBool(i) ? "True" : "False";
            case UINT64:
                return Long.toUnsignedString(x.getLong(i));
            default:
                return Long.toString(x.getLong(i));
        }
    }

    /**
     * The shortest decimal (at most {@code maxDigits} significant digits) that {@code readsBack}
     * accepts, the closer of the two candidates when both of one length do, laid out as Python's repr.
     */
    static String real(double v, int maxDigits, java.util.function.Predicate<String> readsBack) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        if (v == 0) {
            return (Double.doubleToRawLongBits(v) < 0 ? "-" : "") + "0.0";
        }
        BigDecimal exact = new BigDecimal(v);
        BigDecimal best = null;
        for (int p = 1; p <= maxDigits && best == null; p++) {
            BigDecimal down = exact.round(new MathContext(p, RoundingMode.DOWN));
            BigDecimal up = exact.round(new MathContext(p, RoundingMode.UP));
            boolean downOk = readsBack.test(down.toString());
            boolean upOk = readsBack.test(up.toString());
            if (downOk && upOk) {
                best = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
            } else if (downOk) {
                best = down;
            } else if (upOk) {
                best = up;
            }
        }
        if (best == null) {
            best = exact.round(new MathContext(maxDigits, RoundingMode.HALF_EVEN));
        }
        return layout(best.stripTrailingZeros(), exact.abs());
    }

    /** Positional or scientific by the exact value's magnitude (numpy's rule: float32 0.0001 prints 1e-04). */
    private static String layout(BigDecimal d, BigDecimal exactAbs) {
        String sign = d.signum() < 0 ? "-" : "";
        BigDecimal abs = d.abs();
        String digits = abs.unscaledValue().toString();
        int exp10 = digits.length() - 1 - abs.scale();
        StringBuilder sb = new StringBuilder(sign);
        if (exactAbs.compareTo(TEN_POW_MINUS_4) >= 0 && exactAbs.compareTo(TEN_POW_16) < 0) {
            if (exp10 >= 0) {
                int intDigits = exp10 + 1;
                if (digits.length() <= intDigits) {
                    sb.append(digits).append("0".repeat(intDigits - digits.length())).append(".0");
                } else {
                    sb.append(digits, 0, intDigits).append('.').append(digits, intDigits, digits.length());
                }
            } else {
                sb.append("0.").append("0".repeat(-exp10 - 1)).append(digits);
            }
        } else {
            sb.append(digits.charAt(0));
            if (digits.length() > 1) {
                sb.append('.').append(digits, 1, digits.length());
            }
            sb.append('e').append(exp10 < 0 ? '-' : '+');
            int e = Math.abs(exp10);
            if (e < 10) {
                sb.append('0');
            }
            sb.append(e);
        }
        return sb.toString();
    }
}
