package dev.sonnx.driver.progress;

import dev.sonnx.driver.rank.StepMetrics;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** metrics.csv and loss-curve.png of a training run (the caller writes them atomically). */
public final class MetricsReport {
    private static final int WIDTH = 800;
    private static final int HEIGHT = 480;
    private static final int MARGIN = 60;

    private MetricsReport() {
    }

    public static void writeCsv(List<StepMetrics> steps, OutputStream out) throws IOException {
        StringBuilder sb = new StringBuilder("step,epoch,loss,samples_per_second,learning_rate\n");
        for (StepMetrics m : steps) {
            sb.append(String.format(Locale.ROOT, "%d,%d,%.8g,%.6g,%.8g%n", m.step(), m.epoch(), m.loss(),
                    m.samplesPerSecond(), m.learningRate()));
        }
        out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The loss per step, with axes and a title. */
    public static void writeLossCurve(List<StepMetrics> steps, String title, OutputStream out) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
            g.drawString(title, MARGIN, 30);
            int x0 = MARGIN;
            int y0 = HEIGHT - MARGIN;
            int plotW = WIDTH - 2 * MARGIN;
            int plotH = HEIGHT - 2 * MARGIN;
            g.drawLine(x0, y0, x0 + plotW, y0);
            g.drawLine(x0, y0, x0, y0 - plotH);
            if (!steps.isEmpty()) {
                double maxLoss = steps.stream().mapToDouble(StepMetrics::loss).filter(Double::isFinite).max().orElse(1);
                double minLoss = Math.min(0, steps.stream().mapToDouble(StepMetrics::loss).filter(Double::isFinite)
                        .min().orElse(0));
                long firstStep = steps.get(0).step();
                long lastStep = Math.max(firstStep + 1, steps.get(steps.size() - 1).step());
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
                g.drawString(String.format(Locale.ROOT, "%.3f", maxLoss), 5, y0 - plotH + 4);
                g.drawString(String.format(Locale.ROOT, "%.3f", minLoss), 5, y0 + 4);
                g.drawString("step " + firstStep, x0, y0 + 20);
                g.drawString("step " + lastStep, x0 + plotW - 60, y0 + 20);
                g.drawString("loss", 5, y0 - plotH / 2);
                g.setColor(new Color(31, 119, 180));
                g.setStroke(new BasicStroke(1.5f));
                int px = -1;
                int py = -1;
                double span = Math.max(1e-12, maxLoss - minLoss);
                for (StepMetrics m : steps) {
                    if (!Double.isFinite(m.loss())) {
                        continue;
                    }
                    int x = x0 + (int) Math.round((m.step() - firstStep) * (double) plotW / (lastStep - firstStep));
                    int y = y0 - (int) Math.round((m.loss() - minLoss) / span * plotH);
                    if (px >= 0) {
                        g.drawLine(px, py, x, y);
                    }
                    px = x;
                    py = y;
                }
            }
        } finally {
            g.dispose();
        }
        ImageIO.write(img, "png", out);
    }
}
