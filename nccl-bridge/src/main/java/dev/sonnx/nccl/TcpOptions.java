package dev.sonnx.nccl;

import java.time.Duration;

/**
 * Settings of a {@link TcpCommunicator}. Start from {@link #defaults()} and change what differs.
 *
 * @param bindHost          local address the rank listens and connects from; null: any local address
 * @param advertisedHost    address the other ranks connect to; null: the bind address when it is a
 *                          specific one, else this host's first non-loopback address
 * @param firstPort         first port of the range the rank may listen on; 0 (with lastPort 0): any free port
 * @param lastPort          last port of that range, inclusive
 * @param timeout           how long a collective may go without any byte moving before it fails (and
 *                          how long connecting may take); a dead or stalled peer is detected within it
 * @param chunkBytes        pipeline granularity: received data is reduced and forwarded in chunks of
 *                          this size (also the staging buffer of each rank)
 * @param socketBufferBytes SO_SNDBUF and SO_RCVBUF of the ring links; large buffers let the kernel
 *                          keep data moving while the rank reduces a chunk
 */
public record TcpOptions(String bindHost, String advertisedHost, int firstPort, int lastPort, Duration timeout,
                         int chunkBytes, int socketBufferBytes) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_CHUNK_BYTES = 1 << 20;
    public static final int DEFAULT_SOCKET_BUFFER_BYTES = 4 << 20;

    public TcpOptions {
        if (firstPort < 0 || lastPort > 65535 || firstPort > lastPort || (firstPort == 0 && lastPort != 0)) {
            throw new IllegalArgumentException("port range " + firstPort + ".." + lastPort
                    + " is not within 1..65535 (or 0..0 for any free port)");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        // whole int64 elements must fit a chunk, and a chunk must be worth a system call
        if (chunkBytes < 4096 || chunkBytes % 8 != 0) {
            throw new IllegalArgumentException("chunkBytes must be a multiple of 8 and at least 4096, got " + chunkBytes);
        }
        if (socketBufferBytes <= 0) {
            throw new IllegalArgumentException("socketBufferBytes must be positive, got " + socketBufferBytes);
        }
    }

    public static TcpOptions defaults() {
        return new TcpOptions(null, null, 0, 0, DEFAULT_TIMEOUT, DEFAULT_CHUNK_BYTES, DEFAULT_SOCKET_BUFFER_BYTES);
    }

    public TcpOptions withBindHost(String host) {
        return new TcpOptions(host, advertisedHost, firstPort, lastPort, timeout, chunkBytes, socketBufferBytes);
    }

    public TcpOptions withAdvertisedHost(String host) {
        return new TcpOptions(bindHost, host, firstPort, lastPort, timeout, chunkBytes, socketBufferBytes);
    }

    public TcpOptions withPortRange(int first, int last) {
        return new TcpOptions(bindHost, advertisedHost, first, last, timeout, chunkBytes, socketBufferBytes);
    }

    public TcpOptions withTimeout(Duration newTimeout) {
        return new TcpOptions(bindHost, advertisedHost, firstPort, lastPort, newTimeout, chunkBytes, socketBufferBytes);
    }

    public TcpOptions withChunkBytes(int bytes) {
        return new TcpOptions(bindHost, advertisedHost, firstPort, lastPort, timeout, bytes, socketBufferBytes);
    }

    public TcpOptions withSocketBufferBytes(int bytes) {
        return new TcpOptions(bindHost, advertisedHost, firstPort, lastPort, timeout, chunkBytes, bytes);
    }
}
