package dev.sonnx.driver.progress;

import dev.sonnx.driver.rank.ProgressSink;
import dev.sonnx.driver.rank.StepMetrics;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Rank 0's side of the progress channel. Progress is best effort: if the driver cannot be reached,
 * training goes on and the lines are dropped (the metrics still come back with the result).
 */
public final class SocketProgressSink implements ProgressSink {
    private final Socket socket;
    private final Writer out;

    private SocketProgressSink(Socket socket) throws IOException {
        this.socket = socket;
        this.out = new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.UTF_8);
    }

    /** Connects to {@code host:port}; returns {@link ProgressSink#NONE} when that fails. */
    public static ProgressSink connect(String address) {
        if (address == null) {
            return ProgressSink.NONE;
        }
        int colon = address.lastIndexOf(':');
        try {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))),
                    5000);
            return new SocketProgressSink(s);
        } catch (IOException | RuntimeException e) {
            return ProgressSink.NONE;
        }
    }

    @Override
    public synchronized void step(StepMetrics m) {
        send(String.format(Locale.ROOT, "S %d %d %.8g %.6g %.8g", m.step(), m.epoch(), m.loss(),
                m.samplesPerSecond(), m.learningRate()));
    }

    @Override
    public synchronized void message(String line) {
        send("M " + line.replace('\n', ' '));
    }

    private void send(String line) {
        try {
            out.write(line);
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            // best effort: the driver may have gone; training does not depend on it
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing left to send
        }
    }
}
