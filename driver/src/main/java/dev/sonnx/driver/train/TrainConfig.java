package dev.sonnx.driver.train;

import dev.sonnx.runtime.opt.Adam;
import dev.sonnx.runtime.opt.DistOption;
import dev.sonnx.runtime.opt.LearningRate;
import dev.sonnx.runtime.opt.Optimizer;
import dev.sonnx.runtime.opt.SGD;
import java.io.Serializable;
import java.util.Locale;

/**
 * Everything a distributed fine-tuning run needs besides the model and the data; travels to every
 * rank. Built with {@link #builder()}; defaults follow SINGA's examples (SGD, momentum 0.9).
 */
public final class TrainConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public final int epochs;
    public final int batchSize;
    public final String optimizer;
    public final double learningRate;
    public final double momentum;
    public final double weightDecay;
    public final String schedule;
    public final int scheduleStep;
    public final double scheduleGamma;
    public final DistOption distOption;
    public final float spars;
    /** Graph cut as in {@code SingaRep.run(x, lastLayers)}; -1 keeps the whole graph. */
    public final int lastLayers;
    /** Size of a new Linear head after the cut; 0 adds none. */
    public final int newHeadClasses;
    public final boolean freezeImported;
    /** Hadoop file system folder of the checkpoints (null: none). */
    public final String checkpointDir;
    /** Rank 0 checkpoints every this many steps (0: never). */
    public final int checkpointEvery;
    /** How many of the newest checkpoints are kept. */
    public final int keepCheckpoints;
    public final long seed;
    /** Whether rows that cannot be read are skipped (counted and reported) rather than failing the job. */
    public final boolean skipBadRows;
    /** A test hook: a rank that fails at a step of the first stage attempt (null: none). */
    public final InjectedFailure injectedFailure;

    private TrainConfig(Builder b) {
        this.epochs = b.epochs;
        this.batchSize = b.batchSize;
        this.optimizer = b.optimizer;
        this.learningRate = b.learningRate;
        this.momentum = b.momentum;
        this.weightDecay = b.weightDecay;
        this.schedule = b.schedule;
        this.scheduleStep = b.scheduleStep;
        this.scheduleGamma = b.scheduleGamma;
        this.distOption = b.distOption;
        this.spars = b.spars;
        this.lastLayers = b.lastLayers;
        this.newHeadClasses = b.newHeadClasses;
        this.freezeImported = b.freezeImported;
        this.checkpointDir = b.checkpointDir;
        this.checkpointEvery = b.checkpointEvery;
        this.keepCheckpoints = b.keepCheckpoints;
        this.seed = b.seed;
        this.skipBadRows = b.skipBadRows;
        this.injectedFailure = b.injectedFailure;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these settings, to derive a variant (another checkpoint folder...). */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.epochs = epochs;
        b.batchSize = batchSize;
        b.optimizer = optimizer;
        b.learningRate = learningRate;
        b.momentum = momentum;
        b.weightDecay = weightDecay;
        b.schedule = schedule;
        b.scheduleStep = scheduleStep;
        b.scheduleGamma = scheduleGamma;
        b.distOption = distOption;
        b.spars = spars;
        b.lastLayers = lastLayers;
        b.newHeadClasses = newHeadClasses;
        b.freezeImported = freezeImported;
        b.checkpointDir = checkpointDir;
        b.checkpointEvery = checkpointEvery;
        b.keepCheckpoints = keepCheckpoints;
        b.seed = seed;
        b.skipBadRows = skipBadRows;
        b.injectedFailure = injectedFailure;
        return b;
    }

    /** The optimizer this configuration names, over {@code totalSteps} updates for schedules. */
    public Optimizer newOptimizer(int totalSteps) {
        LearningRate lr = switch (schedule) {
            case "constant" -> LearningRate.constant(learningRate);
            case "step" -> LearningRate.step(learningRate, Math.max(1, scheduleStep), scheduleGamma);
            case "cosine" -> LearningRate.cosine(learningRate, Math.max(1, totalSteps), 0);
            default -> throw new IllegalArgumentException("unknown learning-rate schedule '" + schedule + "'");
        };
        return switch (optimizer) {
            case "sgd" -> new SGD(lr, momentum, 0, false, weightDecay);
            case "nesterov" -> new SGD(lr, momentum, 0, true, weightDecay);
            case "adam" -> Adam.adam(lr, 0.9, 0.999, 1e-8, weightDecay);
            case "adamw" -> Adam.adamW(lr, 0.9, 0.999, 1e-8, weightDecay);
            default -> throw new IllegalArgumentException("unknown optimizer '" + optimizer
                    + "' (sgd, nesterov, adam, adamw)");
        };
    }

    /**
     * What a checkpoint must have been written under to be resumed by this run: every setting that
     * shapes the trajectory (not the epoch count, so a finished run can be extended, nor where and
     * how often it checkpoints).
     */
    public String trajectoryKey() {
        return String.format(Locale.ROOT, "batch=%d %s lr=%s m=%s wd=%s schedule=%s/%d/%s dist=%s spars=%s cut=%d head=%d"
                        + " freeze=%b seed=%d", batchSize, optimizer, learningRate, momentum, weightDecay, schedule,
                scheduleStep, scheduleGamma, distOption.id(), spars, lastLayers, newHeadClasses, freezeImported, seed);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "epochs=%d batch=%d %s(lr=%g, momentum=%g, wd=%g, schedule=%s) dist=%s"
                        + " spars=%g lastLayers=%d head=%d checkpointEvery=%d seed=%d",
                epochs, batchSize, optimizer, learningRate, momentum, weightDecay, schedule, distOption.id(), spars,
                lastLayers, newHeadClasses, checkpointEvery, seed);
    }

    /** A test hook: {@code rank} throws before step {@code step} (1-based) on the first stage attempt. */
    public record InjectedFailure(int rank, long step) implements Serializable {
    }

    /** Builder with defaults. */
    public static final class Builder {
        private int epochs = 1;
        private int batchSize = 32;
        private String optimizer = "sgd";
        private double learningRate = 0.01;
        private double momentum = 0.9;
        private double weightDecay = 0;
        private String schedule = "constant";
        private int scheduleStep = 1000;
        private double scheduleGamma = 0.1;
        private DistOption distOption = DistOption.FP32;
        private float spars = 0.05f;
        private int lastLayers = -1;
        private int newHeadClasses;
        private boolean freezeImported;
        private String checkpointDir;
        private int checkpointEvery;
        private int keepCheckpoints = 3;
        private long seed;
        private boolean skipBadRows;
        private InjectedFailure injectedFailure;

        public Builder epochs(int v) {
            epochs = positive("epochs", v);
            return this;
        }

        public Builder batchSize(int v) {
            batchSize = positive("batch size", v);
            return this;
        }

        public Builder optimizer(String name, double lr, double momentum, double weightDecay) {
            this.optimizer = name.toLowerCase(Locale.ROOT);
            this.learningRate = lr;
            this.momentum = momentum;
            this.weightDecay = weightDecay;
            return this;
        }

        /** {@code constant}, {@code step} (every {@code stepSize} updates times {@code gamma}) or {@code cosine}. */
        public Builder schedule(String name, int stepSize, double gamma) {
            this.schedule = name.toLowerCase(Locale.ROOT);
            this.scheduleStep = stepSize;
            this.scheduleGamma = gamma;
            return this;
        }

        public Builder distOption(DistOption option, float spars) {
            this.distOption = option;
            this.spars = spars;
            return this;
        }

        /** Cuts the graph ({@code lastLayers}, SINGA's sense) and adds a Linear head of {@code classes} outputs. */
        public Builder transfer(int lastLayers, int classes, boolean freezeImported) {
            this.lastLayers = lastLayers;
            this.newHeadClasses = classes;
            this.freezeImported = freezeImported;
            return this;
        }

        /** Rank 0 writes a checkpoint to {@code dir} every {@code every} steps (0: never; resuming still reads it). */
        public Builder checkpoints(String dir, int every) {
            if (every < 0) {
                throw new IllegalArgumentException("checkpoint interval must not be negative, got " + every);
            }
            this.checkpointDir = dir;
            this.checkpointEvery = every;
            return this;
        }

        public Builder keepCheckpoints(int n) {
            keepCheckpoints = positive("checkpoints to keep", n);
            return this;
        }

        /**
         * Makes {@code rank} throw before training step {@code step} on the stage's first attempt only:
         * how tests stand in for a lost executor, so that Spark retries the stage and the ranks resume.
         */
        public Builder injectFailure(int rank, long step) {
            injectedFailure = new InjectedFailure(rank, step);
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder skipBadRows(boolean v) {
            skipBadRows = v;
            return this;
        }

        public TrainConfig build() {
            if (checkpointEvery > 0 && checkpointDir == null) {
                throw new IllegalArgumentException("checkpoints every " + checkpointEvery + " steps need a folder");
            }
            if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
                throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
            }
            if ((distOption == DistOption.SPARSE_TOP_K && !(spars > 0 && spars <= 1))
                    || (distOption == DistOption.SPARSE_THRESHOLD && !(spars >= 0))) {
                throw new IllegalArgumentException("dist option " + distOption.id() + " takes spars "
                        + (distOption == DistOption.SPARSE_TOP_K ? "in (0, 1]" : ">= 0") + ", got " + spars);
            }
            if (lastLayers == 0) {
                throw new IllegalArgumentException("lastLayers 0 would cut every node (use -1 for the whole graph)");
            }
            TrainConfig c = new TrainConfig(this);
            c.newOptimizer(1); // fails here, on the driver, for an unknown optimizer or schedule
            return c;
        }

        private static int positive(String what, int v) {
            if (v <= 0) {
                throw new IllegalArgumentException(what + " must be positive, got " + v);
            }
            return v;
        }
    }
}
