package dev.sonnx.runtime.model;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.autograd.Autograd;
import dev.sonnx.runtime.autograd.Losses;
import dev.sonnx.runtime.autograd.Tape;
import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.opt.DistOpt;
import dev.sonnx.runtime.opt.Optimizer;
import dev.sonnx.runtime.opt.Parameter;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * An imported ONNX model to fine-tune: SINGA's {@code sonnx.SONNXModel}. Subclasses add layers as
 * fields and override {@link #forward} (for example: cut the last layers with
 * {@code forward(-2, x)} and apply a new {@link Linear}) and, when the loss differs,
 * {@link #trainOneBatch}. The imported weights keep their ONNX names; a layer's parameters are
 * named after its field ({@code linear.W}).
 */
public class SonnxModel {
    protected final ModelProto onnx;
    protected final Device device;
    protected SingaRep singaRep;
    private Optimizer optimizer;
    private boolean training = true;
    private final Set<String> frozen = new HashSet<>();
    private RandomGenerator random = new SplittableRandom(0);
    private List<String> graphParameters = List.of();
    /** While an export traces a forward pass: the graph values it returned, and where graph runs sit on the tape. */
    private ExportTrace trace;
    /** The inputs {@link #compile} saw: export traces the forward pass on them. */
    private List<Tensor> sampleInputs = List.of();

    public SonnxModel(ModelProto onnx) {
        this(onnx, CpuDevice.get());
    }

    public SonnxModel(ModelProto onnx, Device device) {
        this.onnx = onnx;
        this.device = device;
    }

    /**
     * Prepares the imported graph for training ({@code isTrain}) or inference and runs it once on
     * sample {@code inputs}, which also creates the parameters of layers that size themselves from
     * their input. sonnx always plans the graph once ({@code useGraph}) and runs its nodes in order
     * ({@code sequential}); both flags are accepted for SINGA compatibility.
     */
    public void compile(List<Tensor> inputs, boolean isTrain, boolean useGraph, boolean sequential) {
        SingaBackend.PrepareOptions options = SingaBackend.PrepareOptions.DEFAULTS
                .variables(isTrain ? SingaRep.floatInitializers(onnx) : Set.of());
        singaRep = SingaBackend.prepare(onnx, device, options);
        graphParameters = isTrain ? singaRep.trainableInitializers() : List.of();
        sampleInputs = List.copyOf(inputs);
        this.training = isTrain;
        nameLayers();
        try (Autograd.Session s = Autograd.noRecording(false, device)) {
            forward(inputs.toArray(new Tensor[0]));
        }
    }

    private void requireCompiled() {
        if (singaRep == null) {
            throw new SonnxException("call compile(inputs, isTrain, useGraph, sequential) before running the model");
        }
    }

    /** The prepared imported graph (SINGA's {@code sg_ir}). */
    public SingaRep singaRep() {
        requireCompiled();
        return singaRep;
    }

    /** Runs the whole imported graph; override to add layers. */
    public List<Tensor> forward(Tensor... x) {
        return forward(-1, x);
    }

    /**
     * Runs the imported graph up to a cut ({@code -1}: all of it; {@code -2}: without the last node...)
     * and returns the outputs of the last node run, recorded for backward inside a training step.
     */
    public final List<Tensor> forward(int lastLayers, Tensor... x) {
        requireCompiled();
        Autograd.Session s = Autograd.current();
        boolean train = s != null ? s.training() : training;
        Tape tape = s != null ? s.tape() : null;
        int tapeStart = tape == null ? 0 : tape.size();
        List<Value> out = singaRep.runValues(List.of(x), lastLayers, train, tape,
                s != null ? s.random() : random);
        List<Tensor> r = new ArrayList<>(out.size());
        for (Value v : out) {
            r.add(v.asTensor());
        }
        if (trace != null && tape != null) {
            trace.graphRun(x, r, singaRep.outputNamesAt(lastLayers), tapeStart, tape.size());
        }
        return r;
    }

    /**
     * One training step (SINGA's {@code train_one_batch}): forward, mean softmax cross-entropy against
     * {@code y} (class indices or one-hot), then backward and update with the chosen dist option
     * ({@code fp32}, {@code fp16}, {@code partialUpdate}, {@code sparseTopK}, {@code sparseThreshold};
     * all but fp32 need a {@link DistOpt}). Returns {output, loss}.
     */
    public Tensor[] trainOneBatch(Tensor x, Tensor y, String distOption, float spars) {
        requireOptimizer();
        try (Autograd.Session s = Autograd.record(true, device, random)) {
            Tensor out = forward(x).get(0);
            Tensor loss = Losses.softmaxCrossEntropy(out, y);
            DistOpt.dispatch(optimizer, loss, distOption, spars);
            return new Tensor[] {out, loss};
        }
    }

    /** Outputs in evaluation mode (running statistics, no dropout), without recording. */
    public List<Tensor> predict(Tensor... x) {
        try (Autograd.Session s = Autograd.noRecording(false, device)) {
            return forward(x);
        }
    }

    private void requireOptimizer() {
        if (optimizer == null) {
            throw new SonnxException("call setOptimizer before trainOneBatch");
        }
    }

    public void setOptimizer(Optimizer opt) {
        this.optimizer = opt;
        opt.setParameters(this::parameters);
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /** Training mode: BatchNormalization uses batch statistics, Dropout drops (also outside a step). */
    public void train() {
        training = true;
    }

    public void eval() {
        training = false;
    }

    public boolean isTraining() {
        return training;
    }

    /** Seeds the random source of dropout and other random operators. */
    public void setSeed(long seed) {
        random = new SplittableRandom(seed);
    }

    // ---------------------------------------------------------------- parameters

    /**
     * Every parameter: the imported graph's trainable initializers (by their ONNX names), then each
     * layer field's parameters ({@code field.name}); frozen ones are marked not trainable.
     */
    public List<Parameter> parameters() {
        requireCompiled();
        List<Parameter> r = new ArrayList<>();
        for (String name : graphParameters) {
            r.add(new Parameter(name, singaRep.initializer(name), !isFrozen(name)));
        }
        for (Map.Entry<String, Layer> e : layers().entrySet()) {
            for (Parameter p : e.getValue().parameters()) {
                String name = e.getKey() + "." + p.name();
                r.add(new Parameter(name, p.value(), p.trainable() && !isFrozen(name)));
            }
        }
        return r;
    }

    /** State that is not trained but belongs to the model (layers' running statistics). */
    public List<Parameter> buffers() {
        List<Parameter> r = new ArrayList<>();
        for (Map.Entry<String, Layer> e : layers().entrySet()) {
            for (Parameter p : e.getValue().buffers()) {
                r.add(new Parameter(e.getKey() + "." + p.name(), p.value(), false));
            }
        }
        return r;
    }

    /** Stops training the named parameters, or every parameter whose name starts with a given prefix. */
    public void freeze(String... namesOrPrefixes) {
        frozen.addAll(List.of(namesOrPrefixes));
    }

    /** Freezes every parameter of the imported graph (train only the layers added in code). */
    public void freezeImported() {
        requireCompiled();
        frozen.addAll(graphParameters);
    }

    public void unfreeze(String... namesOrPrefixes) {
        List.of(namesOrPrefixes).forEach(frozen::remove);
    }

    private boolean isFrozen(String name) {
        for (String f : frozen) {
            if (name.equals(f) || name.startsWith(f)) {
                return true;
            }
        }
        return false;
    }

    /** The layers held in fields of subclasses, by field name, in declaration order. */
    public Map<String, Layer> layers() {
        Map<String, Layer> r = new LinkedHashMap<>();
        List<Class<?>> chain = new ArrayList<>();
        for (Class<?> c = getClass(); c != null && c != SonnxModel.class; c = c.getSuperclass()) {
            chain.add(0, c);
        }
        for (Class<?> c : chain) {
            for (Field f : c.getDeclaredFields()) {
                if (Layer.class.isAssignableFrom(f.getType()) && !Modifier.isStatic(f.getModifiers())) {
                    try {
                        f.setAccessible(true);
                        Layer l = (Layer) f.get(this);
                        if (l != null) {
                            r.put(f.getName(), l);
                        }
                    } catch (ReflectiveOperationException | RuntimeException e) {
                        throw new SonnxException("cannot read layer field " + c.getName() + "." + f.getName()
                                + ": " + e.getMessage(), e);
                    }
                }
            }
        }
        return r;
    }

    private void nameLayers() {
        layers().forEach((name, layer) -> layer.setName(name));
    }

    /**
     * This model as ONNX at {@code opset} (imported nodes kept, layers appended, current weights),
     * traced on the inputs {@link #compile} was given.
     */
    public ModelProto exportOnnx(int opset) {
        requireCompiled();
        return dev.sonnx.runtime.export.SingaFrontend.toOnnx(this, sampleInputs, opset);
    }

    /** Writes {@link #exportOnnx} to {@code file} atomically (temporary name, then rename). */
    public void save(java.nio.file.Path file, int opset) {
        dev.sonnx.runtime.onnx.ModelIO.save(exportOnnx(opset), file);
    }

    /** {@link #save(java.nio.file.Path, int)} at the default export opset (11). */
    public void save(java.nio.file.Path file) {
        save(file, dev.sonnx.runtime.export.SingaFrontend.DEFAULT_OPSET);
    }

    /** Starts or ends (null) recording what an export needs from forward passes. */
    public void setExportTrace(ExportTrace t) {
        this.trace = t;
    }

    public ModelProto onnxModel() {
        return onnx;
    }

    public Device device() {
        return device;
    }
}
