import ArgumentParser
import Foundation
import MoMAPI
import MoMBench
import MoMCore
import MoMStore

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Fold text into a document as it is read, creating the document if needed.",
        discussion: """
            Reads the FILEs in order, or stdin when there is none (or for -), in chunks; each chunk \
            is folded and committed to the database before the next is read, so an interrupted \
            ingest loses nothing it acknowledged. A new document takes the memory-model options \
            given here (the defaults otherwise) and keeps them. When a daemon owns the database the \
            bytes go through it, one acknowledged request per chunk; the snapshot options are then \
            the daemon's.

            Examples:
              momd ingest notes notes.txt
              tail -f chat.log | momd ingest chat
              momd ingest --resume notes notes.txt
            """
    )

    @Argument(help: "The document: 1 to 128 characters from A-Z a-z 0-9 . _ -")
    var document: String

    @Argument(help: "Files to fold, in order; none or - reads stdin.")
    var files: [String] = []

    @Flag(help: "The input is the document from its first byte: skip the bytes the document already holds (its stored byte offset), so an interrupted ingest can be re-run.")
    var resume = false

    @Option(
        help: ArgumentHelp(
            "Seconds to wait for a document whose lease another writer holds (a daemon that died, its lease not lapsed yet) before giving up with exit 75; 0 gives up at once.",
            discussion: "With --resume the default is the lease's time left plus 5 s, as the refusal says it (the default lease, 10 s, plus 5 when it does not); without it, 0. Through a daemon, a refused request is resent from the committed offset once the lease lapses; embedded on PostgreSQL, the lease is taken over.",
            valueName: "seconds"))
    var wait: Double?

    @Option(help: "Bytes read, folded and committed per step.")
    var chunkBytes = 1 << 16

    @Option(help: "Write a snapshot every this many tokens.")
    var snapshotTokens: UInt64 = SnapshotPolicy.default.everyTokens

    @Option(help: "Write a snapshot every this many seconds (when something was folded).")
    var snapshotSeconds: Double = SnapshotPolicy.default.everySeconds

    @Option(help: "Snapshots kept per document (at least 2 for a damaged one to be skipped).")
    var keepSnapshots: Int = SnapshotPolicy.default.retained

    @Flag(
        help: ArgumentHelp(
            "Print each durable step on stdout as it happens, one per line.",
            discussion: "'ack OFFSET': the bytes before OFFSET are committed; 'snapshot OFFSET': a snapshot write begins; 'snapshotted OFFSET': it committed."
        ))
    var events = false

    @Flag(
        help: ArgumentHelp(
            "Fold binary data too, instead of refusing it.",
            discussion: "Without it, input holding a NUL byte, or a 1 KiB block mostly made of invalid UTF-8 and control characters, is refused from the start of that line (exit 65); the text before it is kept."
        ))
    var allowBinary = false

    @Flag(help: "Also store each token's routing choice (its top-k memories and weights), compressed, for the bytes this ingest adds (embedded database only; at most 255 memories).")
    var recordTokenRoutes = false

    @OptionGroup var store: StoreOptions

    @Option(
        help: ArgumentHelp(
            "For a new document: the prose tokens it must recall reliably; picks the smallest default-shaped state that `momd bench capacity` measured holding that many at ≥ 95 % (K and M suffixes).",
            valueName: "tokens"),
        transform: { try parseTokenCounts($0).first ?? 0 })
    var capacity: Int?

    @OptionGroup(title: "Memory model (for a new document)")
    var model: ConfigurationOptions

    /// The configuration asked for: `--capacity`'s pick, or the memory-model options.
    var requestedConfiguration: MoMConfiguration {
        get throws {
            guard let capacity else { return model.configuration }
            guard let size = CapacityBenchmark.smallestSize(holding: capacity) else {
                let largest = CapacityBenchmark.measuredReach.max { $0.tokens < $1.tokens }
                throw CommandError(
                    "--capacity \(capacity): no measured state size holds that many prose tokens at ≥ 95 %"
                        + (largest.map { " (the largest, \($0.mebibytes) MiB, holds \($0.tokens))" } ?? "")
                        + "; keep the text instead, or split it into several documents",
                    exitCode: .usage)
            }
            return CapacityBenchmark.configuration(mebibytes: size)
        }
    }

    var policy: SnapshotPolicy {
        SnapshotPolicy(everyTokens: snapshotTokens, everySeconds: snapshotSeconds, retained: keepSnapshots)
    }

    func validate() throws {
        guard (1...(1 << 26)).contains(chunkBytes) else { throw ValidationError("--chunk-bytes must be in 1...67108864") }
        if let wait, !(0...86400).contains(wait) { throw ValidationError("--wait must be in 0...86400 seconds") }
        if capacity != nil && model.configuration != .default {
            throw ValidationError("--capacity picks the memory model itself: drop the memory-model options, or --capacity")
        }
        do { try policy.validate() } catch let error as StoreError { throw ValidationError(error.message) }
    }

    /// What one ingest did, as `--json` prints it.
    struct Summary: Encodable {
        var document: String
        var bytesAdded: UInt64
        var bytes: UInt64
        var tokens: UInt64
        var digest: String
        /// Embedded only: the daemon snapshots on its own schedule.
        var snapshotsWritten: Int?
        var snapshotSeconds: Double?
        var foldSeconds: Double?
        var commitSeconds: Double?
        var seconds: Double
        var bytesPerSecond: Double
        var warnings: [String]
    }

    func run() async throws {
        try await reportingErrors {
            try DocumentName.validate(document)
            let inputs = try InputFile.openAll(files)
            switch try Backend.resolve(store) {
            case .embedded: try ingestEmbedded(inputs)
            case .daemon(let client):
                guard !recordTokenRoutes else {
                    throw CommandError(
                        "--record-token-routes works only on the database directly, but a daemon owns it: stop the daemon (or ingest without the flag)",
                        exitCode: .usage)
                }
                try await ingest(through: client, inputs)
            }
        }
    }

    func ingestEmbedded(_ inputs: [InputFile]) throws {
        let database = try store.openStore(createIfMissing: true)
        // Closed however the ingest ends, so that the log is copied into the file now and not
        // indexed by every later command (`MoMStore.close()`).
        defer { try? database.close() }
        let configuration = try requestedConfiguration
        let requested = configuration == .default ? nil : configuration
        var session = try waitingOutLease {
            var session = try database.openSession(
                named: document, configuration: requested, policy: policy, recordsTokenRoutes: recordTokenRoutes)
            // The lease now (where leases are kept), so that a held one is waited out before any
            // input is read.
            try session.claim()
            return session
        }
        printWarnings(session.warnings)
        let before = session.committedOffset
        var progress = ProgressLine()
        let shown = IngestProgress(document: document, totalBytes: InputFile.totalBytes(inputs))
        var consumed: UInt64 = 0
        // Position of the next byte read in the stream the inputs make; with --resume that
        // stream is the document from byte 0, otherwise it continues the document.
        var position = resume ? 0 : before
        var buffer = [UInt8](repeating: 0, count: chunkBytes)
        for input in inputs {
            if resume {
                let skipped = try input.skip(upTo: session.committedOffset - min(position, session.committedOffset))
                position += skipped
                consumed += skipped
            }
            while true {
                let count = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
                if count == 0 { break }
                let acknowledgment: DocumentSession.Acknowledgment
                do {
                    acknowledgment = try buffer.withUnsafeBytes {
                        try session.append(UnsafeRawBufferPointer(rebasing: $0[..<count]), at: position, allowingBinary: allowBinary)
                    }
                } catch let error as StoreError where error.code == .binaryData {
                    // The text before the binary data was committed: say so before failing.
                    progress.finish()
                    if events { writeStandardOutput("ack \(session.committedOffset)\n") }
                    throw error
                }
                position += UInt64(count)
                consumed += UInt64(count)
                if events { writeStandardOutput("ack \(acknowledgment.committedOffset)\n") }
                if session.isSnapshotDue {
                    if events { writeStandardOutput("snapshot \(session.committedOffset)\n") }
                    try session.snapshot()
                    if events { writeStandardOutput("snapshotted \(session.committedOffset)\n") }
                }
                let added = session.committedOffset - before
                let tokens = session.state.tokenCount
                progress.update { shown.text(consumed: consumed, added: added, tokens: tokens, seconds: $0) }
            }
        }
        if resume && position < session.committedOffset {
            throw CommandError(
                "--resume: the input has \(position) bytes but '\(document)' already holds \(session.committedOffset): it is not this document's input",
                exitCode: .usage)
        }
        if events && session.isDirty { writeStandardOutput("snapshot \(session.committedOffset)\n") }
        let closing = try session.close()
        try session.releaseLease()
        if events && closing != nil { writeStandardOutput("snapshotted \(session.committedOffset)\n") }
        progress.finish()
        let seconds = progress.elapsedSeconds
        let summary = Summary(
            document: document, bytesAdded: session.committedOffset - before, bytes: session.committedOffset,
            tokens: session.state.tokenCount, digest: closing?.digest ?? session.state.digest,
            snapshotsWritten: session.snapshotsWritten, snapshotSeconds: session.snapshotDuration.seconds,
            foldSeconds: session.foldDuration.seconds, commitSeconds: session.commitDuration.seconds,
            seconds: seconds, bytesPerSecond: Double(session.committedOffset - before) / max(seconds, 1e-9),
            warnings: session.warnings.map(\.message))
        try printSummary(summary)
    }

    /// Sends the inputs to the daemon a chunk per request; each request is acknowledged (durable)
    /// before the next chunk is read, and carries its offset, so nothing is folded twice.
    func ingest(through client: any DaemonConnection, _ inputs: [InputFile]) async throws {
        let configuration = try requestedConfiguration
        if configuration != .default {
            _ = try await waitingOutLease { try await client.create(document, configuration: configuration) }
        }
        // The document's length before this ingest: --resume needs it to skip input; otherwise
        // the first acknowledgment tells it (its offset less the bytes it folded).
        var before: UInt64?
        if resume {
            do {
                before = try await client.report(of: document, at: nil).bytes
            } catch let error as ClientError where error.code == StoreError.Code.unknownDocument.rawValue {
                before = 0
            }
        }
        var progress = ProgressLine()
        let shown = IngestProgress(document: document, totalBytes: InputFile.totalBytes(inputs))
        var consumed: UInt64 = 0
        // With --resume the inputs are the document from byte 0; otherwise the first request
        // appends at the end, and every later one names the offset the previous one reached.
        var position: UInt64? = resume ? 0 : nil
        var last: IngestResponse?
        var buffer = [UInt8](repeating: 0, count: chunkBytes)
        for input in inputs {
            if let held = before, let start = position {
                let skipped = try input.skip(upTo: held - min(start, held))
                position = start + skipped
                consumed += skipped
            }
            while true {
                let count = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
                if count == 0 { break }
                consumed += UInt64(count)
                let response: IngestResponse
                do {
                    // A request with an offset is idempotent, so a refused one is resent as it is; one
                    // without (the first of an ingest that appends) only when it was refused
                    // before any of it was read.
                    let offset = position
                    let chunk = buffer[..<count]
                    response = try await waitingOutLease(resending: { offset != nil || $0.code == StoreError.Code.leaseHeld.rawValue }) {
                        try await client.ingest(document, offset: offset, bytes: chunk, allowingBinary: allowBinary)
                    }
                } catch let error as ClientError where error.code == StoreError.Code.binaryData.rawValue {
                    progress.finish()
                    throw error
                }
                if before == nil { before = response.committedOffset - response.foldedBytes }
                position = response.committedOffset
                last = response
                if events { writeStandardOutput("ack \(response.committedOffset)\n") }
                let added = response.committedOffset - (before ?? 0)
                progress.update { shown.text(consumed: consumed, added: added, tokens: response.tokens, seconds: $0) }
            }
        }
        if resume, let position, let held = before, position < held {
            throw CommandError(
                "--resume: the input has \(position) bytes but '\(document)' already holds \(held): it is not this document's input",
                exitCode: .usage)
        }
        // Empty input still creates the document, as it does embedded.
        let acknowledged: IngestResponse
        if let last {
            acknowledged = last
        } else {
            let offset = position
            acknowledged = try await waitingOutLease { try await client.ingest(document, offset: offset, bytes: [UInt8](), allowingBinary: false) }
        }
        progress.finish()
        let start = before ?? acknowledged.committedOffset
        let report = try await client.report(of: document, at: nil)
        let seconds = progress.elapsedSeconds
        try printSummary(
            Summary(
                document: document, bytesAdded: acknowledged.committedOffset - start, bytes: report.bytes,
                tokens: report.tokens, digest: report.digest, seconds: seconds,
                bytesPerSecond: Double(acknowledged.committedOffset - start) / max(seconds, 1e-9), warnings: report.warnings))
    }

    // MARK: Waiting out a lease

    /// How long to wait after the first refusal: `--wait`, else with `--resume` the lease's time
    /// left (as the refusal says it) plus 5 s, else none.
    func waitBudget(leaseLeft: Double?) -> Double {
        wait ?? (resume ? (leaseLeft ?? LeaseHolder.defaultDuration.seconds) + 5 : 0)
    }

    /// Calls `call` until it is not refused for a lease (through a daemon: a retryable 503 that
    /// `resending` allows), waiting as the refusal says between calls, for `--wait` at most.
    func waitingOutLease<T>(resending: (ClientError) -> Bool = { _ in true }, _ call: () async throws -> T) async throws -> T {
        var first: Date?
        var deadline: Date?
        while true {
            do {
                return try await call()
            } catch let error as ClientError where error.isRetryable && resending(error) {
                let now = Date()
                let end = deadline ?? now.addingTimeInterval(waitBudget(leaseLeft: error.retryAfter))
                first = first ?? now
                deadline = end
                guard now < end else {
                    let waited = now.timeIntervalSince(first ?? now)
                    throw ClientError(
                        code: error.code, error.message + (waited > 0 ? "; gave up after waiting \(Self.seconds(waited)) (--wait)" : ""),
                        status: error.status)
                }
                try await Task.sleep(for: .seconds(min(max(error.retryAfter ?? 1, 0.2), end.timeIntervalSince(now))))
            }
        }
    }

    /// Opens a session, waiting while another writer holds the lease (embedded on PostgreSQL):
    /// a dead daemon's lease lapses and is taken over; a live writer keeps renewing its own, and
    /// after `--wait` the refusal stands.
    func waitingOutLease<T>(_ open: () throws -> T) throws -> T {
        var deadline: Date?
        while true {
            do {
                return try open()
            } catch let error as StoreError where error.code == .leaseHeld {
                let now = Date()
                let left = error.holder.map { max(0, $0.expiresAt.timeIntervalSince(now)) }
                let end = deadline ?? now.addingTimeInterval(waitBudget(leaseLeft: left))
                deadline = end
                guard now < end else {
                    let waited = wait ?? 0
                    throw waited > 0 ? StoreError(error.code, error.message + "; gave up after waiting \(Self.seconds(waited)) (--wait)", holder: error.holder) : error
                }
                Thread.sleep(forTimeInterval: min(max((left ?? 1) + 0.1, 0.1), end.timeIntervalSince(now)))
            }
        }
    }

    static func seconds(_ value: Double) -> String { String(format: "%.1f s", value) }

    func printSummary(_ summary: Summary) throws {
        if store.json {
            try printJSON(summary)
        } else if !events {
            print(
                "\(document): +\(summary.bytesAdded) bytes, now \(summary.bytes) bytes, \(summary.tokens) tokens; "
                    + "digest \(summary.digest)")
        }
    }
}

/// One input of `ingest`: a file, or stdin for "-".
struct InputFile {
    let name: String
    let descriptor: Int32
    let isRegularFile: Bool

    /// Opens every input before anything is folded, so a typo fails before the document changes.
    static func openAll(_ paths: [String]) throws -> [InputFile] {
        let paths = paths.isEmpty ? ["-"] : paths
        return try paths.map { path in
            let descriptor = path == "-" ? STDIN_FILENO : open(path, O_RDONLY)
            guard descriptor >= 0 else {
                throw CommandError("cannot open \(path): \(String(cString: strerror(errno)))", exitCode: .noInput)
            }
            var status = stat()
            let isRegular = fstat(descriptor, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
            return InputFile(name: path == "-" ? "stdin" : path, descriptor: descriptor, isRegularFile: isRegular)
        }
    }

    /// Bytes of all the inputs when every one is a regular file (stdin redirected from a file
    /// counts), else nil: a pipe's length is unknown until it ends.
    static func totalBytes(_ inputs: [InputFile]) -> UInt64? {
        var total: UInt64 = 0
        for input in inputs {
            guard let size = input.size else { return nil }
            total += size
        }
        return total
    }

    /// The file's size, if it is a regular file.
    var size: UInt64? {
        var status = stat()
        guard isRegularFile, fstat(descriptor, &status) == 0 else { return nil }
        return UInt64(status.st_size)
    }

    /// Reads up to the buffer's size; 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = Foundation.read(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw CommandError("cannot read \(name): \(String(cString: strerror(errno)))", exitCode: .ioError)
        }
    }

    /// Skips up to `count` bytes (seeking where it can); returns the bytes skipped.
    func skip(upTo count: UInt64) throws -> UInt64 {
        guard count > 0 else { return 0 }
        if isRegularFile {
            let here = lseek(descriptor, 0, SEEK_CUR)
            let end = lseek(descriptor, 0, SEEK_END)
            guard here >= 0, end >= here else {
                throw CommandError("cannot seek in \(name): \(String(cString: strerror(errno)))", exitCode: .ioError)
            }
            let skipped = min(count, UInt64(end - here))
            lseek(descriptor, here + off_t(skipped), SEEK_SET)
            return skipped
        }
        var skipped: UInt64 = 0
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        while skipped < count {
            let want = Int(min(UInt64(scratch.count), count - skipped))
            let got = try scratch.withUnsafeMutableBytes { try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<want])) }
            if got == 0 { break }
            skipped += UInt64(got)
        }
        return skipped
    }
}
