package dev.sonnx.runtime.ops.tensor;

import static dev.sonnx.runtime.ops.tensor.Check.fails;
import static dev.sonnx.runtime.ops.tensor.Check.floats;
import static dev.sonnx.runtime.ops.tensor.Check.iota;
import static dev.sonnx.runtime.ops.tensor.Check.longs;
import static dev.sonnx.runtime.ops.tensor.Check.shape;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.google.protobuf.ByteString;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.SparseTensorProto;
import dev.sonnx.runtime.ops.BuildContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpRegistry;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.Subgraph;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CreationTest {

    private static Tensor ints(long... v) {
        return Tensor.of(v, v.length);
    }

    @Test
    void shapeAndWindow() {
        Tensor x = iota(2, 3, 4, 5);
        longs(OpTester.of("Shape", 13).run(x)[0], shape(4), 2, 3, 4, 5);
        longs(OpTester.of("Shape", 15).attr("start", 1).attr("end", -1).run(x)[0], shape(2), 3, 4);
        longs(OpTester.of("Shape", 15).attr("start", -10).attr("end", 10).run(x)[0], shape(4), 2, 3, 4, 5);
        longs(OpTester.of("Shape", 15).attr("start", 3).attr("end", 1).run(x)[0], shape(0));
        // before Shape-15 the attributes do not exist
        longs(OpTester.of("Shape", 13).attr("start", 3).run(x)[0], shape(4), 2, 3, 4, 5);
        longs(OpTester.of("Shape", 15).run(Tensor.scalar(1f))[0], shape(0));
        longs(OpTester.of("Size", 13).run(x)[0], shape(), 120);
        longs(OpTester.of("Size", 13).run(Tensor.zeros(DataType.STRING, 0, 3))[0], shape(), 0);
    }

    @Test
    void constantOfShape() {
        Tensor v = Tensor.of(new int[] {7}, 1);
        Tensor y = OpTester.of("ConstantOfShape", 9).attr("value", v).run(ints(2, 3))[0];
        Check.doubles(y, DataType.INT32, shape(2, 3), 7, 7, 7, 7, 7, 7);
        floats(OpTester.of("ConstantOfShape", 9).run(ints(2))[0], shape(2), 0, 0);
        floats(OpTester.of("ConstantOfShape", 9).run(ints())[0], shape(), 0);
        floats(OpTester.of("ConstantOfShape", 9).run(ints(0, 4))[0], shape(0, 4));
        fails("one element", () -> OpTester.of("ConstantOfShape", 9).attr("value", ints(1, 2)).build());
        fails("dimension -1", () -> OpTester.of("ConstantOfShape", 9).run(ints(-1)));
    }

    @Test
    void constantFromEachAttribute() {
        Tensor t = iota(2, 2);
        Operator op = OpTester.of("Constant", 13).inputs(0).attr("value", t).build();
        Value[] a = op.forward(new Value[0], new TestContext(false));
        floats(a[0].asTensor(), shape(2, 2), 0, 1, 2, 3);
        assertSame(a[0], op.forward(new Value[0], new TestContext(false))[0], "built once at prepare");
        floats(OpTester.of("Constant", 13).inputs(0).attr("value_float", 2.5f).run()[0], shape(), 2.5);
        floats(OpTester.of("Constant", 13).inputs(0).attrFloats("value_floats", 1, 2).run()[0], shape(2), 1, 2);
        longs(OpTester.of("Constant", 13).inputs(0).attr("value_int", 4L).run()[0], shape(), 4);
        longs(OpTester.of("Constant", 13).inputs(0).attrInts("value_ints", 4, 5, 6).run()[0], shape(3), 4, 5, 6);
        Check.strings(OpTester.of("Constant", 13).inputs(0).attr("value_string", "hi").run()[0], shape(), "hi");
        fails("exactly one", () -> OpTester.of("Constant", 13).inputs(0).attr("value_int", 1L).attr("value", t).build());
        fails("no value attribute", () -> OpTester.of("Constant", 13).inputs(0).build());
    }

    @Test
    void constantStringsAndSparseValue() {
        AttributeProto strings = AttributeProto.newBuilder().setName("value_strings")
                .setType(AttributeProto.AttributeType.STRINGS)
                .addStrings(ByteString.copyFrom("a", StandardCharsets.UTF_8))
                .addStrings(ByteString.copyFrom("b", StandardCharsets.UTF_8)).build();
        Check.strings(run(node(strings)), shape(2), "a", "b");
        SparseTensorProto sparse = SparseTensorProto.newBuilder().addDims(2).addDims(3)
                .setValues(TensorProtos.fromTensor(Tensor.of(new float[] {5, 6}, 2), "v"))
                .setIndices(TensorProtos.fromTensor(ints(1, 5), "i")).build();
        AttributeProto sv = AttributeProto.newBuilder().setName("sparse_value")
                .setType(AttributeProto.AttributeType.SPARSE_TENSOR).setSparseTensor(sparse).build();
        floats(run(node(sv)), shape(2, 3), 0, 5, 0, 0, 0, 6);
    }

    private static NodeProto node(AttributeProto a) {
        return NodeProto.newBuilder().setOpType("Constant").addOutput("y").addAttribute(a).build();
    }

    private static Tensor run(NodeProto np) {
        Operator op = OpRegistry.standard().resolve("", "Constant", 13).create(new Node(np, 13), new CpuBuild());
        return op.forward(new Value[0], new TestContext(false))[0].asTensor();
    }

    /** A prepare context on the CPU, for attributes OpTester cannot set (strings, sparse tensors). */
    private static final class CpuBuild implements BuildContext {
        @Override
        public Device device() {
            return CpuDevice.get();
        }

        @Override
        public int opsetVersion(String domain) {
            return 13;
        }

        @Override
        public Subgraph compileSubgraph(GraphProto g) {
            throw new AssertionError("Constant has no subgraphs");
        }
    }

    @Test
    void range() {
        floats(OpTester.of("Range", 11).inputs(3).run(Tensor.scalar(1f), Tensor.scalar(5f), Tensor.scalar(1.5f))[0],
                shape(3), 1, 2.5, 4);
        Tensor s = Tensor.of(new int[] {10});
        Tensor l = Tensor.of(new int[] {4});
        Tensor d = Tensor.of(new int[] {-3});
        Tensor r = OpTester.of("Range", 11).inputs(3).run(s.reshape(), l.reshape(), d.reshape())[0];
        Check.doubles(r, DataType.INT32, shape(2), 10, 7);
        longs(OpTester.of("Range", 11).inputs(3).run(Tensor.scalar(5L), Tensor.scalar(1L), Tensor.scalar(1L))[0],
                shape(0));
        fails("non-zero", () -> OpTester.of("Range", 11).inputs(3)
                .run(Tensor.scalar(0L), Tensor.scalar(1L), Tensor.scalar(0L)));
        fails("different types", () -> OpTester.of("Range", 11).inputs(3)
                .run(Tensor.scalar(0L), Tensor.scalar(1f), Tensor.scalar(1L)));
    }

    @Test
    void oneHot() {
        Tensor values = Tensor.of(new float[] {0, 5}, 2);
        Tensor indices = ints(0, -1, 3, 7);
        floats(OpTester.of("OneHot", 11).inputs(3).run(indices, Tensor.scalar(4L), values)[0], shape(4, 4),
                5, 0, 0, 0,
                0, 0, 0, 5,
                0, 0, 0, 5,
                0, 0, 0, 0);
        Tensor two = Tensor.of(new long[] {1, 0}, 2, 1);
        floats(OpTester.of("OneHot", 11).attr("axis", 1).inputs(3).run(two, Tensor.scalar(3f), values)[0],
                shape(2, 3, 1), 0, 5, 0, 5, 0, 0);
        floats(OpTester.of("OneHot", 11).attr("axis", 0).inputs(3).run(ints(2, 0), Tensor.scalar(3L), values)[0],
                shape(3, 2), 0, 5, 0, 0, 5, 0);
        fails("positive", () -> OpTester.of("OneHot", 11).inputs(3).run(indices, Tensor.scalar(0L), values));
        fails("[off, on]", () -> OpTester.of("OneHot", 11).inputs(3).run(indices, Tensor.scalar(3L), iota(3)));
    }

    @Test
    void eyeLike() {
        Tensor x = Tensor.zeros(DataType.INT32, 3, 4);
        Check.doubles(OpTester.of("EyeLike", 9).run(x)[0], DataType.INT32, shape(3, 4),
                1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0);
        Check.doubles(OpTester.of("EyeLike", 9).attr("k", 2).attr("dtype", 1L).run(x)[0], DataType.FLOAT,
                shape(3, 4), 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0);
        Check.doubles(OpTester.of("EyeLike", 9).attr("k", -1).attr("dtype", 9L).run(x)[0], DataType.BOOL,
                shape(3, 4), 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0);
        fails("2-D", () -> OpTester.of("EyeLike", 9).run(iota(3)));
        fails("EyeLike takes", () -> OpTester.of("EyeLike", 9).attr("dtype", 8L).build());
    }
}
