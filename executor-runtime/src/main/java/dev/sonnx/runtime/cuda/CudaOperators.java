package dev.sonnx.runtime.cuda;

import dev.sonnx.runtime.ops.Attributes;
import dev.sonnx.runtime.ops.HostFallback;
import dev.sonnx.runtime.ops.conv.FusedConv;
import dev.sonnx.runtime.ops.Operator;
import java.util.HashMap;
import java.util.Map;

/**
 * Which operators run as CUDA kernels on {@code cuda:N}, and how each is made from the node's CPU
 * operator (whose attribute parsing and validation have already run at prepare). A factory may
 * decline a node (returns null) whose attributes its kernel does not cover; that node, and every
 * operator without a factory, runs on the host through {@link HostFallback} (shape-only operators
 * and control flow run as they are).
 */
final class CudaOperators {
    private CudaOperators() {
    }

    /** Makes the CUDA operator for a node, or null to leave it to the host. */
    @FunctionalInterface
    interface Factory {
        Operator create(Operator cpu, CudaDevice device);
    }

    private static final Map<String, Factory> ONNX = new HashMap<>();

    static {
        unary("Relu", CudaUnary.Op.RELU);
        unary("LeakyRelu", CudaUnary.Op.LEAKY_RELU, a -> a.getFloat("alpha", 0.01f), a -> 0f);
        unary("Sigmoid", CudaUnary.Op.SIGMOID);
        unary("Tanh", CudaUnary.Op.TANH);
        unary("Exp", CudaUnary.Op.EXP);
        unary("Log", CudaUnary.Op.LOG);
        unary("Sqrt", CudaUnary.Op.SQRT);
        unary("Neg", CudaUnary.Op.NEG);
        unary("Abs", CudaUnary.Op.ABS);
        unary("Erf", CudaUnary.Op.ERF);
        unary("Reciprocal", CudaUnary.Op.RECIPROCAL);
        unary("Elu", CudaUnary.Op.ELU, a -> a.getFloat("alpha", 1f), a -> 0f);
        unary("Selu", CudaUnary.Op.SELU, a -> a.getFloat("alpha", 1.67326319217681884765625f),
                a -> a.getFloat("gamma", 1.05070102214813232421875f));
        unary("HardSigmoid", CudaUnary.Op.HARD_SIGMOID, a -> a.getFloat("alpha", 0.2f), a -> a.getFloat("beta", 0.5f));
        unary("Softplus", CudaUnary.Op.SOFTPLUS);
        unary("Floor", CudaUnary.Op.FLOOR);
        unary("Ceil", CudaUnary.Op.CEIL);
        unary("Sin", CudaUnary.Op.SIN);
        unary("Cos", CudaUnary.Op.COS);
        unary("Sign", CudaUnary.Op.SIGN);
        unary("Round", CudaUnary.Op.ROUND);
        unary("Clip", CudaUnary.Op.CLIP, a -> a.getFloat("min", Float.NEGATIVE_INFINITY),
                a -> a.getFloat("max", Float.POSITIVE_INFINITY));
        ONNX.put("Gelu", (cpu, d) -> new CudaUnary(cpu, d,
                cpu.node().attributes().getString("approximate", "none").equals("tanh")
                        ? CudaUnary.Op.GELU_TANH : CudaUnary.Op.GELU, 0f, 0f));

        binary("Add", CudaBinary.Op.ADD);
        binary("Sub", CudaBinary.Op.SUB);
        binary("Mul", CudaBinary.Op.MUL);
        binary("Div", CudaBinary.Op.DIV);
        binary("Pow", CudaBinary.Op.POW);
        binary("PRelu", CudaBinary.Op.PRELU);
        // Max and Min take any number of inputs; two is the case with a kernel
        ONNX.put("Max", (cpu, d) -> cpu.node().inputCount() == 2 ? new CudaBinary(cpu, d, CudaBinary.Op.MAX) : null);
        ONNX.put("Min", (cpu, d) -> cpu.node().inputCount() == 2 ? new CudaBinary(cpu, d, CudaBinary.Op.MIN) : null);

        ONNX.put("Softmax", (cpu, d) -> new CudaSoftmax(cpu, d, false));
        ONNX.put("LogSoftmax", (cpu, d) -> new CudaSoftmax(cpu, d, true));
        ONNX.put("Transpose", CudaTranspose::new);
        ONNX.put("Concat", CudaConcat::new);
        ONNX.put("Gather", CudaGather::new);
        ONNX.put("ReduceSum", CudaReduceOp::sum);
        ONNX.put("ReduceMean", CudaReduceOp::mean);
        ONNX.put("ReduceMax", CudaReduceOp::max);
        ONNX.put("ReduceMin", CudaReduceOp::min);
        // cuDNN and cuBLAS
        ONNX.put("Conv", CudaConv::create);
        ONNX.put("MaxPool", CudaPool::create);
        ONNX.put("AveragePool", CudaPool::create);
        ONNX.put("GlobalAveragePool", CudaPool::create);
        ONNX.put("GlobalMaxPool", CudaPool::create);
        ONNX.put("BatchNormalization", CudaBatchNorm::create);
        ONNX.put("Gemm", CudaGemm::create);
        ONNX.put("MatMul", CudaMatMul::create);
    }

    private interface Param {
        float of(Attributes a);
    }

    /** An activation without parameters. */
    private static void unary(String opType, CudaUnary.Op op) {
        unary(opType, op, a -> 0f, a -> 0f);
    }

    private static void unary(String opType, CudaUnary.Op op, Param alpha, Param beta) {
        ONNX.put(opType, (cpu, d) -> new CudaUnary(cpu, d, op, alpha.of(cpu.node().attributes()),
                beta.of(cpu.node().attributes())));
    }

    private static void binary(String opType, CudaBinary.Op op) {
        ONNX.put(opType, (cpu, d) -> new CudaBinary(cpu, d, op));
    }

    static Operator place(Operator op, CudaDevice device) {
        if (HostFallback.runsAsIs(op)) {
            return op;
        }
        String domain = op.node().domain();
        boolean onnx = domain.isEmpty() || domain.equals("ai.onnx");
        Factory f = onnx ? ONNX.get(op.node().opType())
                : domain.equals(FusedConv.DOMAIN) && op.node().opType().equals(FusedConv.OP_TYPE) ? CudaConv::createFused
                : null;
        Operator placed = f == null ? null : f.create(op, device);
        return placed != null ? placed : new HostFallback(op, device);
    }
}
