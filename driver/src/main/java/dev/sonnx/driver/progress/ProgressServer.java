package dev.sonnx.driver.progress;

import dev.sonnx.driver.rank.StepMetrics;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * Receives progress from rank 0 while a training stage runs (Spark reports task results only at the
 * end): one line per event, {@code S step epoch loss samplesPerSecond lr} or {@code M text}. The
 * driver logs them and keeps the steps for metrics.csv and the loss curve.
 */
public final class ProgressServer implements AutoCloseable {
    private final ServerSocket server;
    private final Queue<StepMetrics> steps = new ConcurrentLinkedQueue<>();
    private final Consumer<String> log;
    private final int logEvery;
    private final Thread acceptor;

    public ProgressServer(String bindHost, Consumer<String> log, int logEvery) throws IOException {
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getByName(bindHost), 0));
        this.log = log;
        this.logEvery = Math.max(1, logEvery);
        this.acceptor = new Thread(this::accept, "sonnx-progress");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** host:port for ranks to connect to. */
    public String address(String advertisedHost) {
        return advertisedHost + ":" + server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread reader = new Thread(() -> read(s), "sonnx-progress-reader");
                reader.setDaemon(true);
                reader.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void read(Socket s) {
        try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                handle(line);
            }
        } catch (IOException e) {
            log.accept("progress connection closed: " + e.getMessage());
        }
    }

    private void handle(String line) {
        if (line.startsWith("M ")) {
            log.accept(line.substring(2));
            return;
        }
        if (!line.startsWith("S ")) {
            return;
        }
        String[] f = line.substring(2).trim().split(" ");
        if (f.length < 5) {
            return;
        }
        StepMetrics m = new StepMetrics(Long.parseLong(f[0]), Integer.parseInt(f[1]), Double.parseDouble(f[2]),
                Double.parseDouble(f[3]), Double.parseDouble(f[4]));
        steps.add(m);
        if (m.step() % logEvery == 0) {
            log.accept(String.format(java.util.Locale.ROOT, "step %d (epoch %d): loss %.4f, %.1f samples/s",
                    m.step(), m.epoch(), m.loss(), m.samplesPerSecond()));
        }
    }

    /** Steps received so far. */
    public List<StepMetrics> steps() {
        return List.copyOf(steps);
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing a listening socket cannot lose data
        }
    }
}
