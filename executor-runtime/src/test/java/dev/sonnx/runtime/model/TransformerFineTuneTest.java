package dev.sonnx.runtime.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.autograd.Autograd;
import dev.sonnx.runtime.autograd.Backward;
import dev.sonnx.runtime.autograd.Functions;
import dev.sonnx.runtime.autograd.Losses;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.opt.Adam;
import dev.sonnx.runtime.opt.LearningRate;
import dev.sonnx.runtime.opt.Parameter;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The transformer zoo models fine-tune: GPT-2 on next-token prediction of a fixed sequence, BERT on a
 * fixed answer span. 30 steps at least halve the loss, and backward agrees with finite differences
 * on a few parameters.
 */
class TransformerFineTuneTest {

    /** GPT-2: logits [1, T, V]; predict token t+1 from the prefix up to t. */
    static final class NextToken extends SonnxModel {
        NextToken(ModelProto m) {
            super(m, CpuDevice.get());
        }

        Tensor loss(Tensor ids) {
            Tensor logits = forward(ids).get(0);
            int t = ids.dim(1);
            int v = logits.dim(2);
            Tensor flat = Functions.reshape(logits, t, v);
            Tensor rows = Functions.slice(flat, 0, 0, t - 1);
            long[] next = new long[t - 1];
            for (int i = 0; i < t - 1; i++) {
                next[i] = ids.getLong(i + 1);
            }
            return Losses.softmaxCrossEntropy(rows, Tensor.of(next, t - 1));
        }
    }

    /** BERT-SQuAD: start and end logits [1, 64]; the answer is the span [start, end]. */
    static final class Span extends SonnxModel {
        Span(ModelProto m) {
            super(m, CpuDevice.get());
        }

        Tensor loss(Tensor ids, Tensor mask, Tensor segments, int start, int end) {
            List<Tensor> out = forward(ids, mask, segments);
            Tensor a = Losses.softmaxCrossEntropy(out.get(0), Tensor.of(new long[] {start}, 1));
            Tensor b = Losses.softmaxCrossEntropy(out.get(1), Tensor.of(new long[] {end}, 1));
            return Functions.add(a, b);
        }
    }

    private static Tensor input(String model, int i) throws IOException {
        return TensorProtos.toTensor(TensorProto.parseFrom(Files.readAllBytes(
                SharedData.zoo(model).resolve("test_data_set_0/input_" + i + ".pb"))));
    }

    private static double train(SonnxModel model, Function<SonnxModel, Tensor> loss, int steps, double[] firstLast) {
        model.setOptimizer(Adam.adam(LearningRate.constant(1e-3), 0.9, 0.999, 1e-8, 0));
        for (int s = 0; s < steps; s++) {
            try (Autograd.Session session = Autograd.record(true, CpuDevice.get(), new SplittableRandom(s))) {
                Tensor l = loss.apply(model);
                if (s == 0) {
                    firstLast[0] = l.getDouble(0);
                }
                firstLast[1] = l.getDouble(0);
                model.optimizer().backwardAndUpdate(l);
            }
        }
        return firstLast[1];
    }

    /** Central differences on a few elements of a few parameters, in evaluation mode. */
    private static void checkGradients(SonnxModel model, Function<SonnxModel, Tensor> loss) {
        List<Parameter> params = model.parameters();
        Map<Tensor, Tensor> grads;
        try (Autograd.Session s = Autograd.record(false, CpuDevice.get(), new SplittableRandom(0))) {
            Tensor l = loss.apply(model);
            grads = Backward.gradients(s.tape(), l, params.stream().map(Parameter::value).toList());
        }
        SplittableRandom r = new SplittableRandom(9);
        int checked = 0;
        for (int k = 0; k < 4; k++) {
            Parameter p = params.get(r.nextInt(params.size()));
            Tensor g = grads.get(p.value());
            if (g == null) {
                continue;
            }
            for (int e = 0; e < 2; e++) {
                int i = largest(g, e);
                float orig = p.value().getFloat(i);
                float h = 1e-2f * Math.max(1f, Math.abs(orig));
                p.value().setFloat(i, orig + h);
                double up = evaluate(model, loss);
                p.value().setFloat(i, orig - h);
                double down = evaluate(model, loss);
                p.value().setFloat(i, orig);
                double numeric = (up - down) / (2 * h);
                double analytic = g.getDouble(i);
                assertEquals(numeric, analytic, 2e-3 + 0.05 * Math.abs(numeric), p.name() + "[" + i + "]");
                checked++;
            }
        }
        assertTrue(checked >= 4, "checked " + checked + " gradient elements");
    }

    /** Index of the {@code rank}-th largest |g| (the elements whose gradient is well above float noise). */
    private static int largest(Tensor g, int rank) {
        int best = -1;
        int second = -1;
        for (int i = 0; i < g.size(); i++) {
            double v = Math.abs(g.getDouble(i));
            if (best < 0 || v > Math.abs(g.getDouble(best))) {
                second = best;
                best = i;
            } else if (second < 0 || v > Math.abs(g.getDouble(second))) {
                second = i;
            }
        }
        return rank == 0 ? best : second;
    }

    private static double evaluate(SonnxModel model, Function<SonnxModel, Tensor> loss) {
        try (Autograd.Session s = Autograd.noRecording(false, CpuDevice.get())) {
            return loss.apply(model).getDouble(0);
        }
    }

    @Test
    void gpt2LearnsAFixedSequence() throws IOException {
        ModelProto m = ModelIO.load(SharedData.zoo("gpt2-mini").resolve("model.onnx"));
        Tensor ids = input("gpt2-mini", 0);
        NextToken model = new NextToken(m);
        model.compile(List.of(ids), true, true, false);
        checkGradients(model, x -> ((NextToken) x).loss(ids));
        double[] fl = new double[2];
        train(model, x -> ((NextToken) x).loss(ids), 30, fl);
        assertTrue(fl[1] <= fl[0] / 2, "gpt2 loss went from " + fl[0] + " to " + fl[1]);
    }

    @Test
    void bertLearnsAFixedSpan() throws IOException {
        ModelProto m = ModelIO.load(SharedData.zoo("bert-squad-mini").resolve("model.onnx"));
        Tensor ids = input("bert-squad-mini", 0);
        Tensor mask = input("bert-squad-mini", 1);
        Tensor segments = input("bert-squad-mini", 2);
        Span model = new Span(m);
        model.compile(List.of(ids, mask, segments), true, true, false);
        checkGradients(model, x -> ((Span) x).loss(ids, mask, segments, 10, 14));
        double[] fl = new double[2];
        train(model, x -> ((Span) x).loss(ids, mask, segments, 10, 14), 30, fl);
        assertTrue(fl[1] <= fl[0] / 2, "bert loss went from " + fl[0] + " to " + fl[1]);
    }
}
