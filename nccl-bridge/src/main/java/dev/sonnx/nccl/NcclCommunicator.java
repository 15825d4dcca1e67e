package dev.sonnx.nccl;

import static org.bytedeco.cuda.global.cudart.cudaErrorNotReady;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaGetDeviceCount;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreateWithFlags;
import static org.bytedeco.cuda.global.cudart.cudaStreamDestroy;
import static org.bytedeco.cuda.global.cudart.cudaStreamNonBlocking;
import static org.bytedeco.cuda.global.cudart.cudaStreamQuery;
import static org.bytedeco.cuda.global.cudart.cudaSuccess;
import static org.bytedeco.cuda.global.nccl.NCCL_API_MAGIC;
import static org.bytedeco.cuda.global.nccl.NCCL_UNIQUE_ID_BYTES;
import static org.bytedeco.cuda.global.nccl.NCCL_VERSION_CODE;
import static org.bytedeco.cuda.global.nccl.ncclAllGather;
import static org.bytedeco.cuda.global.nccl.ncclAllReduce;
import static org.bytedeco.cuda.global.nccl.ncclAvg;
import static org.bytedeco.cuda.global.nccl.ncclBroadcast;
import static org.bytedeco.cuda.global.nccl.ncclCommAbort;
import static org.bytedeco.cuda.global.nccl.ncclCommDestroy;
import static org.bytedeco.cuda.global.nccl.ncclCommFinalize;
import static org.bytedeco.cuda.global.nccl.ncclCommGetAsyncError;
import static org.bytedeco.cuda.global.nccl.ncclCommInitRankConfig;
import static org.bytedeco.cuda.global.nccl.ncclFloat16;
import static org.bytedeco.cuda.global.nccl.ncclFloat32;
import static org.bytedeco.cuda.global.nccl.ncclGetErrorString;
import static org.bytedeco.cuda.global.nccl.ncclGetUniqueId;
import static org.bytedeco.cuda.global.nccl.ncclGroupEnd;
import static org.bytedeco.cuda.global.nccl.ncclGroupStart;
import static org.bytedeco.cuda.global.nccl.ncclInProgress;
import static org.bytedeco.cuda.global.nccl.ncclInt32;
import static org.bytedeco.cuda.global.nccl.ncclInt64;
import static org.bytedeco.cuda.global.nccl.ncclMax;
import static org.bytedeco.cuda.global.nccl.ncclSuccess;
import static org.bytedeco.cuda.global.nccl.ncclSum;
import static org.bytedeco.cuda.global.nccl.ncclUint8;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.cuda.nccl.ncclConfig_t;
import org.bytedeco.cuda.nccl.ncclUniqueId;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;

/**
 * Collectives among GPUs through NCCL, one rank per GPU. Rank 0 creates NCCL's unique id and shares
 * it through the {@link Rendezvous}; every rank then joins the NCCL communicator on its device.
 *
 * <p>As {@link DeviceCollectives} it queues NCCL collectives on the caller's CUDA stream, on device
 * memory; wait for them with {@link #awaitStream}, which fails (rather than hangs) when a peer is
 * gone. As a {@link Communicator} it works on host buffers by staging them through a device buffer on
 * its own stream, which is simple but adds two copies: on GPUs keep gradients on the device.
 *
 * <p>The NCCL communicator is non-blocking (ncclConfig_t.blocking = 0), so this class can poll it
 * against {@code timeout}: when a peer dies or stalls, the call aborts the communicator
 * (ncclCommAbort) and throws {@link CommunicatorException}; every later call throws too.
 *
 * <p>Without CUDA or NCCL on the machine, {@link #create} throws a CommunicatorException whose message
 * starts with "CUDA/NCCL libraries not found: " (after telling the other ranks, so that they fail too
 * rather than wait in NCCL's initialisation).
 */
public final class NcclCommunicator implements Communicator, DeviceCollectives {

    private static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    private static final byte STATUS_READY = 0;
    private static final byte STATUS_FAILED = 1;

    private final int rank;
    private final int worldSize;
    private final int device;
    private final long timeoutNanos;
    private final ncclComm comm;
    /** The stream the host-buffer collectives run on. */
    private final CUstream_st stream = new CUstream_st();
    /** Staging for host buffers; grows to the largest collective and stays. */
    private Pointer deviceBuffer = new Pointer();
    private long deviceBufferBytes;
    /** Reused wrappers of the raw addresses that {@link DeviceCollectives} takes: no allocation per call. */
    private final RawAddress sendAddress = new RawAddress();
    private final RawAddress receiveAddress = new RawAddress();
    private final RawStream callerStream = new RawStream();
    private final int[] asyncState = new int[1];
    private final ByteBuffer barrierWord = ByteBuffer.allocateDirect(4).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer myLength = ByteBuffer.allocateDirect(4).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer gatheredLengths;
    private int groupDepth;
    private long bytesSent;
    private volatile String failure;
    /** Set first by {@link #close()}, so a collective polling in another thread gives up at once. */
    private volatile boolean closed;
    private boolean released;
    /** ncclCommAbort frees the communicator: it must happen once, and nothing may use comm after it. */
    private boolean commGone;

    private NcclCommunicator(int rank, int worldSize, int device, long timeoutNanos, ncclComm comm) {
        this.rank = rank;
        this.worldSize = worldSize;
        this.device = device;
        this.timeoutNanos = timeoutNanos;
        this.comm = comm;
        this.gatheredLengths = ByteBuffer.allocateDirect(4 * worldSize).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Null when CUDA and NCCL load on this machine and it has a GPU, else why not. */
    public static String unavailableReason() {
        String problem = NcclLibrary.loadProblem();
        if (problem != null) {
            return problem;
        }
        int[] devices = new int[1];
        int rc = cudaGetDeviceCount(devices);
        if (rc != cudaSuccess) {
            return "no usable CUDA device: cudaGetDeviceCount failed: " + cudaGetErrorString(rc).getString();
        }
        return devices[0] == 0 ? "no CUDA device on this machine" : null;
    }

    /** The number of GPUs this process sees (0 without CUDA). */
    public static int deviceCount() {
        if (NcclLibrary.loadProblem() != null) {
            return 0;
        }
        int[] devices = new int[1];
        return cudaGetDeviceCount(devices) == cudaSuccess ? devices[0] : 0;
    }

    /**
     * Joins rank {@code rank} of {@code worldSize} to an NCCL communicator on GPU {@code device}.
     * Every rank calls it at the same time; it throws within {@code timeout} if a rank cannot join.
     */
    public static NcclCommunicator create(int rank, int worldSize, int device, Rendezvous rendezvous,
                                          Duration timeout) {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank " + rank + " does not exist in a world of " + worldSize);
        }
        String problem = NcclLibrary.loadProblem();
        byte[] uniqueId = null;
        if (problem == null) {
            problem = selectDevice(device);
        }
        if (problem == null && rank == 0) {
            ncclUniqueId id = new ncclUniqueId();
            int rc = ncclGetUniqueId(id);
            if (rc == ncclSuccess) {
                uniqueId = new byte[NCCL_UNIQUE_ID_BYTES];
                id.internal().get(uniqueId);
            } else {
                problem = "ncclGetUniqueId failed: " + ncclGetErrorString(rc).getString();
            }
        }
        // every rank publishes whether it can go on, so one that cannot makes all fail here instead of
        // leaving the others in NCCL's initialisation until their timeout
        byte[][] statuses;
        try {
            statuses = rendezvous.allGather(status(problem, uniqueId));
        } catch (RuntimeException e) {
            if (problem != null) {
                throw new CommunicatorException(problem, e); // this rank's own problem says more
            }
            throw e;
        }
        if (problem != null) {
            throw new CommunicatorException(problem.startsWith(NcclLibrary.NOT_FOUND)
                    ? problem : "rank " + rank + " NCCL init: " + problem);
        }
        for (int r = 0; r < worldSize; r++) {
            if (statuses[r].length == 0 || statuses[r][0] != STATUS_READY) {
                throw new CommunicatorException("rank " + rank + " NCCL init: rank " + r + " cannot use NCCL: "
                        + new String(statuses[r], 1, Math.max(0, statuses[r].length - 1), StandardCharsets.UTF_8));
            }
        }
        if (statuses[0].length != 1 + NCCL_UNIQUE_ID_BYTES) {
            throw new CommunicatorException("rank " + rank + " NCCL init: rank 0 published a unique id of "
                    + (statuses[0].length - 1) + " bytes, expected " + NCCL_UNIQUE_ID_BYTES);
        }
        return join(rank, worldSize, device, statuses[0], timeout.toNanos());
    }

    private static String selectDevice(int device) {
        int[] devices = new int[1];
        int rc = cudaGetDeviceCount(devices);
        if (rc != cudaSuccess) {
            return "cudaGetDeviceCount failed: " + cudaGetErrorString(rc).getString();
        }
        if (device < 0 || device >= devices[0]) {
            return "GPU " + device + " does not exist: this process sees " + devices[0] + " GPU(s)";
        }
        rc = cudaSetDevice(device);
        return rc == cudaSuccess ? null : "cudaSetDevice(" + device + ") failed: " + cudaGetErrorString(rc).getString();
    }

    private static byte[] status(String problem, byte[] uniqueId) {
        if (problem != null) {
            byte[] message = problem.getBytes(StandardCharsets.UTF_8);
            byte[] status = new byte[1 + message.length];
            status[0] = STATUS_FAILED;
            System.arraycopy(message, 0, status, 1, message.length);
            return status;
        }
        byte[] status = new byte[1 + (uniqueId == null ? 0 : uniqueId.length)];
        status[0] = STATUS_READY;
        if (uniqueId != null) {
            System.arraycopy(uniqueId, 0, status, 1, uniqueId.length);
        }
        return status;
    }

    private static NcclCommunicator join(int rank, int worldSize, int device, byte[] rankZeroStatus, long timeoutNanos) {
        ncclUniqueId id = new ncclUniqueId();
        id.internal().put(rankZeroStatus, 1, NCCL_UNIQUE_ID_BYTES);
        ncclConfig_t config = nonBlockingConfig();
        ncclComm comm = new ncclComm();
        int rc = ncclCommInitRankConfig(comm, worldSize, id, rank, config);
        NcclCommunicator communicator = new NcclCommunicator(rank, worldSize, device, timeoutNanos, comm);
        communicator.awaitNccl(rc, "NCCL init");
        int streamRc = cudaStreamCreateWithFlags(communicator.stream, cudaStreamNonBlocking);
        if (streamRc != cudaSuccess) {
            communicator.close();
            throw new CommunicatorException("rank " + rank + " NCCL init: cudaStreamCreate failed: "
                    + cudaGetErrorString(streamRc).getString());
        }
        return communicator;
    }

    /** NCCL_CONFIG_INITIALIZER (every field undefined, so NCCL's defaults apply) with blocking = 0. */
    private static ncclConfig_t nonBlockingConfig() {
        int undefined = Integer.MIN_VALUE; // NCCL_CONFIG_UNDEF_INT
        ncclConfig_t config = new ncclConfig_t();
        config.size(Loader.sizeof(ncclConfig_t.class)).magic(NCCL_API_MAGIC).version(NCCL_VERSION_CODE)
                .blocking(0).cgaClusterSize(undefined).minCTAs(undefined).maxCTAs(undefined)
                .netName(null).splitShare(undefined).trafficClass(undefined).commName(null)
                .collnetEnable(undefined).CTAPolicy(undefined).shrinkShare(undefined).nvlsCTAs(undefined)
                .nChannelsPerNetPeer(undefined).nvlinkCentricSched(undefined).graphUsageMode(undefined)
                .numRmaCtx(undefined);
        return config;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return worldSize;
    }

    // ---- Communicator: host buffers staged through the device ----

    @Override
    public synchronized void allReduce(ByteBuffer buffer, int count, ElementType type, ReduceOp op) {
        long bytes = hostBytes("allReduce", buffer, count, type, 1);
        ensureUsable("allReduce");
        if (count == 0) {
            return;
        }
        reserveDeviceBytes(bytes);
        BytePointer host = hostPointer(buffer);
        checkCuda(cudaMemcpyAsync(deviceBuffer, host, bytes, cudaMemcpyHostToDevice, stream), "allReduce");
        awaitNccl(ncclAllReduce(deviceBuffer, deviceBuffer, count, ncclType(type), ncclOp(op), comm, stream), "allReduce");
        checkCuda(cudaMemcpyAsync(host, deviceBuffer, bytes, cudaMemcpyDeviceToHost, stream), "allReduce");
        awaitStream(stream, "allReduce");
        bytesSent += 2 * (worldSize - 1) * bytes / worldSize;
    }

    @Override
    public synchronized void allGather(ByteBuffer send, int count, ElementType type, ByteBuffer recv) {
        long blockBytes = hostBytes("allGather", send, count, type, 1);
        hostBytes("allGather", recv, count, type, worldSize);
        ensureUsable("allGather");
        if (count == 0) {
            return;
        }
        reserveDeviceBytes(blockBytes * worldSize);
        // in place: this rank's block already sits where the gathered result puts it
        Pointer myBlock = sendAddress.at(deviceBuffer.address() + rank * blockBytes);
        checkCuda(cudaMemcpyAsync(myBlock, hostPointer(send), blockBytes, cudaMemcpyHostToDevice, stream), "allGather");
        awaitNccl(ncclAllGather(myBlock, deviceBuffer, count, ncclType(type), comm, stream), "allGather");
        checkCuda(cudaMemcpyAsync(hostPointer(recv), deviceBuffer, blockBytes * worldSize, cudaMemcpyDeviceToHost,
                stream), "allGather");
        awaitStream(stream, "allGather");
        bytesSent += (worldSize - 1) * blockBytes;
    }

    @Override
    public synchronized byte[][] allGatherBytes(byte[] mine) {
        ensureUsable("allGatherBytes");
        myLength.putInt(0, mine.length);
        allGather(myLength, 1, ElementType.INT32, gatheredLengths);
        int longest = 0;
        for (int r = 0; r < worldSize; r++) {
            longest = Math.max(longest, gatheredLengths.getInt(4 * r));
        }
        // NCCL gathers equal blocks: pad every message to the longest
        ByteBuffer padded = ByteBuffer.allocateDirect(longest);
        padded.put(0, mine);
        ByteBuffer gathered = ByteBuffer.allocateDirect(longest * worldSize);
        allGather(padded, longest, ElementType.UINT8, gathered);
        byte[][] messages = new byte[worldSize][];
        for (int r = 0; r < worldSize; r++) {
            messages[r] = new byte[gatheredLengths.getInt(4 * r)];
            gathered.get(r * longest, messages[r]);
        }
        return messages;
    }

    @Override
    public synchronized void broadcast(ByteBuffer buffer, int count, ElementType type, int root) {
        long bytes = hostBytes("broadcast", buffer, count, type, 1);
        if (root < 0 || root >= worldSize) {
            throw new IllegalArgumentException("broadcast: root " + root + " does not exist in a world of " + worldSize);
        }
        ensureUsable("broadcast");
        if (count == 0) {
            return;
        }
        reserveDeviceBytes(bytes);
        BytePointer host = hostPointer(buffer);
        if (rank == root) {
            checkCuda(cudaMemcpyAsync(deviceBuffer, host, bytes, cudaMemcpyHostToDevice, stream), "broadcast");
        }
        awaitNccl(ncclBroadcast(deviceBuffer, deviceBuffer, count, ncclType(type), root, comm, stream), "broadcast");
        checkCuda(cudaMemcpyAsync(host, deviceBuffer, bytes, cudaMemcpyDeviceToHost, stream), "broadcast");
        awaitStream(stream, "broadcast");
        if (Math.floorMod(rank - root, worldSize) < worldSize - 1) {
            bytesSent += bytes;
        }
    }

    @Override
    public synchronized void barrier() {
        barrierWord.putInt(0, 0);
        allReduce(barrierWord, 1, ElementType.INT32, ReduceOp.SUM);
    }

    /**
     * Bytes this rank sent in the collectives so far, as a ring moves them (2(n-1)/n of an
     * all-reduce, (n-1) blocks of an all-gather): NCCL chooses its own algorithms and does not report
     * its traffic, so this is the same measure the TCP ring reports, for comparing modes.
     */
    @Override
    public long bytesSent() {
        return bytesSent;
    }

    // ---- DeviceCollectives: device memory, the caller's stream ----

    @Override
    public synchronized void allReduce(long devicePointer, long count, ElementType type, ReduceOp op, long stream) {
        ensureUsable("allReduce");
        Pointer data = sendAddress.at(devicePointer);
        awaitNccl(ncclAllReduce(data, data, count, ncclType(type), ncclOp(op), comm, callerStream.at(stream)),
                "allReduce");
        bytesSent += 2 * (worldSize - 1) * count * type.bytes() / worldSize;
    }

    @Override
    public synchronized void allGather(long sendPointer, long count, ElementType type, long recvPointer, long stream) {
        ensureUsable("allGather");
        awaitNccl(ncclAllGather(sendAddress.at(sendPointer), receiveAddress.at(recvPointer), count, ncclType(type),
                comm, callerStream.at(stream)), "allGather");
        bytesSent += (worldSize - 1) * count * type.bytes();
    }

    @Override
    public synchronized void broadcast(long devicePointer, long count, ElementType type, int root, long stream) {
        ensureUsable("broadcast");
        Pointer data = sendAddress.at(devicePointer);
        awaitNccl(ncclBroadcast(data, data, count, ncclType(type), root, comm, callerStream.at(stream)), "broadcast");
        if (Math.floorMod(rank - root, worldSize) < worldSize - 1) {
            bytesSent += count * type.bytes();
        }
    }

    @Override
    public synchronized void groupStart() {
        ensureUsable("groupStart");
        checkNcclCall(ncclGroupStart(), "groupStart");
        groupDepth++;
    }

    @Override
    public synchronized void groupEnd() {
        ensureUsable("groupEnd");
        if (groupDepth == 0) {
            throw new IllegalStateException("groupEnd without groupStart");
        }
        groupDepth--;
        awaitNccl(ncclGroupEnd(), "groupEnd");
    }

    /**
     * Waits until the work queued on {@code stream} (a cudaStream_t address, 0 for the default
     * stream) is done; if it is not done within the timeout, or NCCL reports an error, the
     * communicator is aborted and this throws. Use it instead of cudaStreamSynchronize, which waits
     * forever for a dead peer.
     */
    public synchronized void awaitStream(long stream) {
        ensureUsable("awaitStream");
        awaitStream(callerStream.at(stream), "awaitStream");
    }

    /** May come from another thread: a collective polling there notices and fails before this tears down. */
    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            if (!released) {
                released = true;
                release();
            }
        }
    }

    private void release() {
        cudaSetDevice(device);
        if (!commGone) {
            commGone = true;
            if (finalizeQuietly()) {
                ncclCommDestroy(comm);
            } else {
                ncclCommAbort(comm); // never waits for peers, unlike destroy after a failure
            }
        }
        if (deviceBufferBytes > 0) {
            cudaFree(deviceBuffer);
            deviceBufferBytes = 0;
        }
        if (!stream.isNull()) {
            cudaStreamDestroy(stream);
        }
    }

    /** Flushes NCCL's pending work before destroy; false when it does not finish within the timeout. */
    private boolean finalizeQuietly() {
        int rc = ncclCommFinalize(comm);
        if (rc != ncclSuccess && rc != ncclInProgress) {
            return false;
        }
        long deadline = System.nanoTime() + timeoutNanos;
        do {
            if (ncclCommGetAsyncError(comm, asyncState) != ncclSuccess) {
                return false;
            }
            if (asyncState[0] != ncclInProgress) {
                return asyncState[0] == ncclSuccess;
            }
            LockSupport.parkNanos(POLL_NANOS);
        } while (System.nanoTime() < deadline);
        return false;
    }

    // ---- waiting without hanging ----

    /** Waits for a non-blocking NCCL call to be issued; inside a group only checks that it was accepted. */
    private void awaitNccl(int rc, String operation) {
        if (rc != ncclSuccess && rc != ncclInProgress) {
            throw fail(operation, "NCCL returned " + ncclGetErrorString(rc).getString());
        }
        if (groupDepth > 0) {
            return; // the group's collectives are issued by ncclGroupEnd
        }
        long deadline = System.nanoTime() + timeoutNanos;
        while (true) {
            int stateRc = ncclCommGetAsyncError(comm, asyncState);
            if (stateRc != ncclSuccess) {
                throw fail(operation, "ncclCommGetAsyncError failed: " + ncclGetErrorString(stateRc).getString());
            }
            if (asyncState[0] == ncclSuccess) {
                return;
            }
            if (asyncState[0] != ncclInProgress) {
                throw fail(operation, "NCCL reported " + ncclGetErrorString(asyncState[0]).getString()
                        + ": a peer died, or its GPU or network failed");
            }
            if (closed) {
                throw fail(operation, "the communicator was closed while the collective ran");
            }
            if (System.nanoTime() > deadline) {
                throw fail(operation, "NCCL did not get going within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos)
                        + " ms: a peer died or stalled");
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    /** Polls the stream rather than synchronizing on it, so that a dead peer ends in an abort, not a hang. */
    private void awaitStream(CUstream_st waited, String operation) {
        cudaSetDevice(device);
        long deadline = System.nanoTime() + timeoutNanos;
        while (true) {
            int rc = cudaStreamQuery(waited);
            if (rc == cudaSuccess) {
                return;
            }
            if (rc != cudaErrorNotReady) {
                throw fail(operation, "CUDA reported " + cudaGetErrorString(rc).getString());
            }
            if (ncclCommGetAsyncError(comm, asyncState) == ncclSuccess
                    && asyncState[0] != ncclSuccess && asyncState[0] != ncclInProgress) {
                throw fail(operation, "NCCL reported " + ncclGetErrorString(asyncState[0]).getString()
                        + ": a peer died, or its GPU or network failed");
            }
            if (closed) {
                throw fail(operation, "the communicator was closed while the collective ran");
            }
            if (System.nanoTime() > deadline) {
                throw fail(operation, "not complete within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos)
                        + " ms: a peer died or stalled");
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    /** Aborts the NCCL communicator (which unblocks its kernels) and says why, naming rank and operation. */
    private CommunicatorException fail(String operation, String reason) {
        String message = "rank " + rank + " " + operation + " (NCCL, GPU " + device + "): " + reason;
        if (failure == null) {
            failure = message;
        }
        if (!commGone) {
            commGone = true;
            ncclCommAbort(comm);
        }
        return new CommunicatorException(message);
    }

    private void checkCuda(int rc, String operation) {
        if (rc != cudaSuccess) {
            throw fail(operation, "CUDA reported " + cudaGetErrorString(rc).getString());
        }
    }

    private void checkNcclCall(int rc, String operation) {
        if (rc != ncclSuccess) {
            throw fail(operation, "NCCL returned " + ncclGetErrorString(rc).getString());
        }
    }

    private void ensureUsable(String operation) {
        if (failure != null) {
            throw new CommunicatorException("rank " + rank + " " + operation
                    + ": the communicator is unusable after an earlier failure: " + failure);
        }
        if (closed) {
            throw new CommunicatorException("rank " + rank + " " + operation + ": the communicator is closed");
        }
        cudaSetDevice(device); // the current device is per thread; the caller's thread may be new
    }

    private void reserveDeviceBytes(long bytes) {
        if (bytes <= deviceBufferBytes) {
            return;
        }
        if (deviceBufferBytes > 0) {
            cudaFree(deviceBuffer);
            deviceBufferBytes = 0;
        }
        deviceBuffer = new Pointer();
        checkCuda(cudaMalloc(deviceBuffer, bytes), "cudaMalloc of " + bytes + " bytes");
        deviceBufferBytes = bytes;
    }

    private static BytePointer hostPointer(ByteBuffer buffer) {
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException("NCCL stages host buffers with DMA: the buffer must be direct");
        }
        return new BytePointer(buffer).position(0);
    }

    private static long hostBytes(String operation, ByteBuffer buffer, int count, ElementType type, int blocks) {
        Buffers.requireElements(operation + ": the buffer", buffer, (long) count * blocks, type.bytes());
        return (long) count * type.bytes();
    }

    private static int ncclType(ElementType type) {
        return switch (type) {
            case FLOAT32 -> ncclFloat32;
            case FLOAT16 -> ncclFloat16;
            case INT32 -> ncclInt32;
            case INT64 -> ncclInt64;
            case UINT8 -> ncclUint8;
        };
    }

    private static int ncclOp(ReduceOp op) {
        return switch (op) {
            case SUM -> ncclSum;
            case AVERAGE -> ncclAvg;
            case MAX -> ncclMax;
        };
    }

    /** A pointer to a raw device address, re-aimed for each call. */
    private static final class RawAddress extends Pointer {
        RawAddress at(long rawAddress) {
            this.address = rawAddress;
            return this;
        }
    }

    /** A cudaStream_t from its raw address (0: the default stream), re-aimed for each call. */
    private static final class RawStream extends CUstream_st {
        RawStream at(long rawAddress) {
            this.address = rawAddress;
            return this;
        }
    }
}
