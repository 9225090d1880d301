import ArgumentParser
import Foundation
import MoMAPI
import MoMBench
import MoMCLI
import MoMCore
import MoMServer
import MoMStore
import NIOCore

/// `momd bench cluster`: several daemons (this binary's `serve`) on one PostgreSQL store, driven
/// over loopback TCP the way users would, with owners killed mid-ingest.
struct ClusterBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Ingest and ask throughput with 1, 2, 3 daemons on one PostgreSQL store, and document takeover after SIGKILL.",
        discussion: """
            Needs a PostgreSQL database (--db postgres://…, or MOMD_DB): an empty one, or a momd \
            one; the documents it makes are named cluster-<run>-… and deleted at the end. \
            (1) For each --daemons count: starts that many `momd serve --listen 127.0.0.1:PORT` \
            processes, has --clients clients each stream chunks into its own document through a \
            daemon picked at random (a daemon that does not hold the document's lease forwards \
            the write to the one that does) for --seconds, then ask the documents for --seconds; \
            reports throughput, latency percentiles measured at the client, and errors. \
            (2) With the largest count: --kills rounds of streaming a piece into one document and \
            SIGKILLing its owner mid-stream, restarting it, and resuming through the others from \
            the committed offset; reports the time until a survivor writes again, acknowledged \
            bytes lost, writers at once (from the fencing tokens in the journal), and whether \
            the document's digest equals one uninterrupted fold of the same bytes. (3) Folds the \
            same text in this process into SQLite and into PostgreSQL and compares tokens/s. \
            With --tls, each daemon count is measured twice, over plain TCP and over TLS with API \
            keys (a throwaway CA and certificate made with openssl, the daemons forwarding over \
            https), and the failover phase runs over TLS with keys: the cost of TLS against plain \
            TCP in one run.

            Example: momd bench cluster --db postgres://momd@127.0.0.1:5432/momd_bench --seconds 10 --tls
            """
    )

    @Option(help: "Daemon counts to measure, comma-separated.")
    var daemons = "1,2,3"

    @Option(help: "Concurrent clients (one document each) in the throughput phase.")
    var clients = 4

    @Option(help: "Seconds of ingest, then of asks, per daemon count.")
    var seconds: Double = 10

    @Option(help: "Bytes per ingest request in the throughput phase.")
    var chunkBytes = 64 << 10

    @Option(help: "Owners SIGKILLed mid-ingest in the failover phase (0 skips it).")
    var kills = 20

    @Option(help: "Bytes streamed per failover round.")
    var killBytes = 256 << 10

    @Option(help: "The daemons' --lease-seconds.")
    var leaseSeconds: Double = 2

    @Option(help: "Tokens folded into each store in the SQLite-against-PostgreSQL phase (0 skips it).")
    var storeTokens = 200_000

    @Flag(help: "Also measure every daemon count over TLS with API keys, and run the failover phase over TLS (needs openssl).")
    var tls = false

    @Option(help: "Directory for logs and the failover input (default: a new one under /tmp, removed afterwards).")
    var directory: String?

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard clients > 0, seconds > 0, chunkBytes >= 1024, kills >= 0, killBytes >= 1024, storeTokens >= 0 else {
            throw ValidationError("--clients, --seconds positive; --chunk-bytes, --kill-bytes at least 1024; --kills, --store-tokens not negative")
        }
        guard (0.5...60).contains(leaseSeconds) else { throw ValidationError("--lease-seconds must be in 0.5...60") }
        guard !daemonCounts.isEmpty, daemonCounts.allSatisfy({ (1...16).contains($0) }) else {
            throw ValidationError("--daemons takes counts in 1...16, comma-separated")
        }
    }

    var daemonCounts: [Int] { daemons.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    // MARK: Results

    struct Throughput: Codable {
        /// Over TLS with API keys (--tls), else plain TCP without keys.
        var tls: Bool
        var daemons: Int
        var clients: Int
        var ingestSeconds: Double
        var ingestBytes: Int
        var ingestTokens: UInt64
        var ingestBytesPerSecond: Double
        var ingestTokensPerSecond: Double
        var ingestP50Milliseconds: Double
        var ingestP99Milliseconds: Double
        var ingestErrors: Int
        /// Ingest requests the daemons forwarded to a lease holder (from their metrics).
        var forwarded: Int
        var asks: Int
        var asksPerSecond: Double
        var askP50Milliseconds: Double
        var askP99Milliseconds: Double
        var askErrors: Int
    }

    struct Failover: Codable {
        var tls: Bool
        var daemons: Int
        var kills: Int
        var leaseSeconds: Double
        /// From each SIGKILL of the owner to the first write a survivor acknowledged.
        var takeoverSeconds: [Double]
        var takeoverP50Seconds: Double
        var takeoverMaxSeconds: Double
        var bytes: UInt64
        /// Bytes a response acknowledged that the store did not hold afterwards.
        var acknowledgedBytesLost: UInt64
        /// Places along the journal where a smaller fencing token follows a larger one: two
        /// writers at once.
        var doubleOwners: Int
        /// Distinct fencing tokens in the journal: the owners the document had.
        var owners: Int
        var digest: String
        var uninterruptedDigest: String
        var retries: Int
    }

    struct StoreComparison: Codable {
        var tokens: UInt64
        var sqliteTokensPerSecond: Double
        var postgresTokensPerSecond: Double
        /// SQLite's tokens/s over PostgreSQL's.
        var ratio: Double
    }

    /// TLS with keys against plain TCP, for one daemon count: each figure over TLS divided by
    /// the same figure over plain TCP.
    struct TLSCost: Codable {
        var daemons: Int
        var ingestThroughputRatio: Double
        var ingestP99Ratio: Double
        var askThroughputRatio: Double
        var askP99Ratio: Double
    }

    struct Result: Codable {
        var store: String
        var throughput: [Throughput]
        var tlsCost: [TLSCost]?
        var failover: Failover?
        var storeComparison: StoreComparison?
    }

    // MARK: Run

    func run() async throws {
        try await reportingErrors {
            let location = store.resolvedDatabasePath
            guard store.isPostgres else {
                throw CommandError("bench cluster needs a PostgreSQL store: --db postgres://user:password@host:port/database", exitCode: .usage)
            }
            let database = try MoMStore.open(location: location)
            // Kept, with the daemons' logs, when the run fails.
            let scratch = try ScratchDirectory(given: directory, name: "bench-cluster")
            let run = String(UInt32(truncatingIfNeeded: UInt64(Date().timeIntervalSince1970 * 1000)) % 1_000_000)
            var result = Result(store: database.location, throughput: [])
            let security = tls ? try ClusterSecurity.make(in: scratch.path) : nil
            for count in daemonCounts {
                for secured in security.map({ [nil, $0] }) ?? [nil] {
                    status("throughput: \(count) daemon(s)\(secured == nil ? "" : " over TLS with keys"), \(clients) clients, \(seconds) s ingest then \(seconds) s asks")
                    let cluster = try await Cluster.start(
                        count, database: location, leaseSeconds: leaseSeconds, logs: scratch.path, snapshots: [], security: secured)
                    defer { cluster.stopAll() }
                    let measured = try await throughput(
                        cluster, names: (0..<clients).map { "cluster-\(run)-\(count)\(secured == nil ? "" : "-tls")-\($0)" })
                    status(String(format: "  ingest %.2f MB/s, %.0f tokens/s, p50 %.1f ms, p99 %.1f ms, %d errors, %d forwarded; asks %.0f/s, p50 %.2f ms, p99 %.2f ms, %d errors",
                                  measured.ingestBytesPerSecond / 1e6, measured.ingestTokensPerSecond, measured.ingestP50Milliseconds,
                                  measured.ingestP99Milliseconds, measured.ingestErrors, measured.forwarded, measured.asksPerSecond,
                                  measured.askP50Milliseconds, measured.askP99Milliseconds, measured.askErrors))
                    result.throughput.append(measured)
                    cluster.stopAll()
                }
            }
            if tls {
                result.tlsCost = daemonCounts.compactMap { count in
                    guard let plain = result.throughput.first(where: { $0.daemons == count && !$0.tls }),
                        let secured = result.throughput.first(where: { $0.daemons == count && $0.tls })
                    else { return nil }
                    return TLSCost(
                        daemons: count, ingestThroughputRatio: secured.ingestBytesPerSecond / max(plain.ingestBytesPerSecond, 1e-9),
                        ingestP99Ratio: secured.ingestP99Milliseconds / max(plain.ingestP99Milliseconds, 1e-9),
                        askThroughputRatio: secured.asksPerSecond / max(plain.asksPerSecond, 1e-9),
                        askP99Ratio: secured.askP99Milliseconds / max(plain.askP99Milliseconds, 1e-9))
                }
            }
            if kills > 0 {
                let count = max(2, daemonCounts.max() ?? 3)
                status("failover: \(count) daemons\(tls ? " over TLS with keys" : ""), \(kills) owners killed mid-ingest, lease \(leaseSeconds) s")
                // Frequent snapshots, so a new owner replays little; all of them kept, so the
                // journal after the first keeps every append's fencing token.
                let cluster = try await Cluster.start(
                    count, database: location, leaseSeconds: leaseSeconds, logs: scratch.path,
                    snapshots: ["--snapshot-tokens", "65536", "--snapshots-kept", "1000"], security: security)
                defer { cluster.stopAll() }
                let failover = try await self.failover(cluster, store: database, name: "cluster-\(run)-failover", scratch: scratch.path)
                status(String(format: "  takeover p50 %.2f s, max %.2f s; %llu acknowledged bytes lost; %d double owners over %d owners; digest %@",
                              failover.takeoverP50Seconds, failover.takeoverMaxSeconds, failover.acknowledgedBytesLost,
                              failover.doubleOwners, failover.owners,
                              failover.digest == failover.uninterruptedDigest ? "equal to an uninterrupted fold" : "DIFFERS"))
                result.failover = failover
                cluster.stopAll()
            }
            if storeTokens > 0 {
                status("store: \(storeTokens) tokens folded into SQLite and into PostgreSQL, in this process")
                let comparison = try compareStores(postgres: database, name: "cluster-\(run)-store", scratch: scratch.path)
                status(String(format: "  SQLite %.0f tokens/s, PostgreSQL %.0f tokens/s (%.2f×)",
                              comparison.sqliteTokensPerSecond, comparison.postgresTokensPerSecond, comparison.ratio))
                result.storeComparison = comparison
            }
            for document in (try? database.documents()) ?? [] where document.name.hasPrefix("cluster-\(run)-") {
                try? database.deleteDocument(named: document.name)
            }
            scratch.remove()
            if store.json { try printJSON(result) } else { print(Self.summary(result)) }
        }
    }

    // MARK: Throughput

    func throughput(_ cluster: Cluster, names: [String]) async throws -> Throughput {
        let chunk = chunkBytes
        let clock = ContinuousClock()
        struct Tally: Sendable {
            var latencies: [Double] = []
            var bytes = 0
            var tokens: UInt64 = 0
            var errors = 0
            var firstError: String?
        }
        let clients = cluster.clients
        let ingestStart = clock.now
        let ingestDeadline = ingestStart + .milliseconds(Int64(seconds * 1000))
        let ingest = await withTaskGroup(of: Tally.self) { group in
            for (worker, name) in names.enumerated() {
                group.addTask {
                    var tally = Tally()
                    var random = SplitMix64(seed: 0xC1_0000 &+ UInt64(worker))
                    var corpus = SyntheticCorpus(seed: 0xC1_0000 &+ UInt64(worker))
                    var offset: UInt64 = 0
                    while clock.now < ingestDeadline {
                        var text: [UInt8] = []
                        while text.count < chunk { _ = corpus.generate(tokens: 512, into: &text) }
                        let client = clients[Int(random.next() % UInt64(clients.count))]
                        let sent = clock.now
                        do {
                            let response = try await client.ingest(name, offset: offset, bytes: text)
                            tally.latencies.append((clock.now - sent).seconds * 1000)
                            tally.bytes += Int(response.committedOffset - offset)
                            tally.tokens = response.tokens
                            offset = response.committedOffset
                        } catch {
                            tally.errors += 1
                            tally.firstError = tally.firstError ?? "\(error)"
                            try? await Task.sleep(for: .milliseconds(100))
                            if let report = try? await client.report(of: name) { offset = report.bytes }
                        }
                    }
                    return tally
                }
            }
            return await group.reduce(into: [Tally]()) { $0.append($1) }
        }
        let ingestSeconds = (clock.now - ingestStart).seconds
        var forwarded = 0
        for client in clients {
            let metrics = (try? await client.metrics()) ?? ""
            forwarded += metrics.split(separator: "\n").first { $0.hasPrefix("momd_forwarded_requests_total ") }
                .flatMap { Int(Double($0.split(separator: " ").last ?? "") ?? 0) } ?? 0
        }

        let askStart = clock.now
        let askDeadline = askStart + .milliseconds(Int64(seconds * 1000))
        let asks = await withTaskGroup(of: Tally.self) { group in
            for worker in 0..<names.count {
                group.addTask {
                    var tally = Tally()
                    var random = SplitMix64(seed: 0xA5_0000 &+ UInt64(worker))
                    while clock.now < askDeadline {
                        let name = names[Int(random.next() % UInt64(names.count))]
                        let client = clients[Int(random.next() % UInt64(clients.count))]
                        let sent = clock.now
                        do {
                            _ = try await client.ask(name, AskRequest(question: "What is the pass key?"))
                            tally.latencies.append((clock.now - sent).seconds * 1000)
                        } catch {
                            tally.errors += 1
                            tally.firstError = tally.firstError ?? "\(error)"
                        }
                    }
                    return tally
                }
            }
            return await group.reduce(into: [Tally]()) { $0.append($1) }
        }
        let askSeconds = (clock.now - askStart).seconds
        for error in Set((ingest + asks).compactMap(\.firstError)) { status("  error: \(error)") }
        let ingestLatencies = ingest.flatMap(\.latencies)
        let askLatencies = asks.flatMap(\.latencies)
        let bytes = ingest.reduce(0) { $0 + $1.bytes }
        let tokens = ingest.reduce(UInt64(0)) { $0 + $1.tokens }
        return Throughput(
            tls: cluster.security != nil, daemons: clients.count, clients: names.count, ingestSeconds: ingestSeconds, ingestBytes: bytes, ingestTokens: tokens,
            ingestBytesPerSecond: Double(bytes) / ingestSeconds, ingestTokensPerSecond: Double(tokens) / ingestSeconds,
            ingestP50Milliseconds: percentile(ingestLatencies, 0.5),
            ingestP99Milliseconds: percentile(ingestLatencies, 0.99),
            ingestErrors: ingest.reduce(0) { $0 + $1.errors }, forwarded: forwarded,
            asks: askLatencies.count, asksPerSecond: Double(askLatencies.count) / askSeconds,
            askP50Milliseconds: percentile(askLatencies, 0.5),
            askP99Milliseconds: percentile(askLatencies, 0.99), askErrors: asks.reduce(0) { $0 + $1.errors })
    }

    // MARK: Failover

    func failover(_ cluster: Cluster, store: MoMStore, name: String, scratch: String) async throws -> Failover {
        let clock = ContinuousClock()
        var corpus = SyntheticCorpus(seed: 0xFA11)
        var input: [UInt8] = []
        while input.count < kills * killBytes + 1024 { _ = corpus.generate(tokens: 4096, into: &input) }
        input = Array(input[..<(kills * killBytes + 1024)])
        try Data(input).write(to: URL(fileURLWithPath: scratch + "/failover-input.txt"))
        var random = SplitMix64(seed: 0xDEAD)
        // The first kilobyte makes the document and its first owner.
        var acknowledged = try await cluster.clients[0].ingest(name, offset: 0, bytes: input[..<1024]).committedOffset
        var takeovers: [Double] = []
        // The journal as seen after each round: snapshots trim what comes before the first kept
        // one, so the union of the rounds' views is every append's writer.
        var spans: [UInt64: JournalSpan] = [:]
        var lost: UInt64 = 0
        var retries = 0
        for round in 0..<kills {
            let end = UInt64(1024 + (round + 1) * killBytes)
            guard let holder = try store.leaseHolder(of: name), let owner = cluster.index(of: holder.address) else {
                throw CommandError("round \(round): the document has no owner among the daemons", exitCode: .failure)
            }
            // Stream this round's piece through a random daemon, slowly enough to be cut.
            let through = cluster.clients[Int(random.next() % UInt64(cluster.count))]
            let piece = Array(input[Int(acknowledged)..<Int(end)])
            let start = acknowledged
            let stream = Task {
                try await through.ingest(name, offset: start, chunks: SlowChunks(bytes: piece, chunk: 8192, pause: .milliseconds(5)))
            }
            try await Task.sleep(for: .milliseconds(Int64(20 + random.next() % 120)))
            let killed = clock.now
            cluster.kill(owner)
            if let response = try? await stream.value { acknowledged = max(acknowledged, response.committedOffset) }
            // The killed daemon comes back meanwhile; the survivors resume from what the store
            // holds until one of them (or the restarted one) writes.
            let restarting = Task { try await cluster.restart(owner) }
            let survivors = (0..<cluster.count).filter { $0 != owner }
            var tookOver: Double?
            let deadline = clock.now + .seconds(120)
            while true {
                guard clock.now < deadline else {
                    throw CommandError(
                        "round \(round): no daemon took the document over within 120 s; logs in \(scratch)", exitCode: .failure)
                }
                if let dead = survivors.first(where: { !cluster.processes[$0].isRunning }) {
                    throw CommandError(
                        "round \(round): daemon \(dead), not the one killed, died; see \(scratch)/daemon-\(dead).log", exitCode: .failure)
                }
                let client = cluster.clients[survivors[Int(random.next() % UInt64(survivors.count))]]
                do {
                    let held = try await client.report(of: name).bytes
                    if held < acknowledged { lost += acknowledged - held }
                    let response = try await client.ingest(name, offset: held, bytes: input[Int(held)..<Int(end)])
                    if tookOver == nil { tookOver = (clock.now - killed).seconds }
                    acknowledged = max(acknowledged, response.committedOffset)
                    if response.committedOffset >= end { break }
                } catch {
                    retries += 1
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            takeovers.append(tookOver ?? 0)
            for span in try store.journalSpans(of: name) { spans[span.start] = span }
            try await restarting.value
        }
        for span in try store.journalSpans(of: name) { spans[span.start] = span }
        let tokens = spans.values.sorted { $0.start < $1.start }.compactMap(\.fence?.token)
        let doubleOwners = zip(tokens, tokens.dropFirst()).filter { $0 > $1 }.count
        let final = try store.loadState(of: name).state
        if final.byteCount < acknowledged { lost += acknowledged - final.byteCount }
        var uninterrupted = try MoMState(configuration: .default)
        uninterrupted.fold(input)
        return Failover(
            tls: cluster.security != nil, daemons: cluster.count, kills: kills, leaseSeconds: leaseSeconds, takeoverSeconds: takeovers,
            takeoverP50Seconds: percentile(takeovers, 0.5), takeoverMaxSeconds: takeovers.max() ?? 0,
            bytes: final.byteCount, acknowledgedBytesLost: lost, doubleOwners: doubleOwners, owners: Set(tokens).count,
            digest: final.digest, uninterruptedDigest: uninterrupted.digest, retries: retries)
    }

    // MARK: Store comparison

    /// The same text folded and committed through a `DocumentSession` into a scratch SQLite file
    /// and into PostgreSQL, 64 KiB per append, as `momd ingest` does.
    func compareStores(postgres: MoMStore, name: String, scratch: String) throws -> StoreComparison {
        var corpus = SyntheticCorpus(seed: 0x5708E)
        var text: [UInt8] = []
        _ = corpus.generate(tokens: storeTokens, into: &text)
        let sqlite = try MoMStore.open(path: scratch + "/compare.sqlite")
        func measure(_ store: MoMStore) throws -> (Double, UInt64) {
            let clock = ContinuousClock()
            let started = clock.now
            var session = try store.openSession(named: name)
            var offset = 0
            while offset < text.count {
                let end = min(text.count, offset + (64 << 10))
                try text[offset..<end].withUnsafeBytes { _ = try session.append($0) }
                try session.snapshotIfDue()
                offset = end
            }
            try session.close()
            try session.releaseLease()
            return (Double(session.state.tokenCount) / (clock.now - started).seconds, session.state.tokenCount)
        }
        let (sqliteRate, tokens) = try measure(sqlite)
        let (postgresRate, _) = try measure(postgres)
        return StoreComparison(
            tokens: tokens, sqliteTokensPerSecond: sqliteRate, postgresTokensPerSecond: postgresRate, ratio: sqliteRate / postgresRate)
    }

    // MARK: Output

    func status(_ line: String) {
        if !store.json || isatty(STDERR_FILENO) == 1 { writeStandardError(line + "\n") }
    }

    static func summary(_ result: Result) -> String {
        var lines = ["store    \(result.store)"]
        for row in result.throughput {
            lines.append((row.tls ? "TLS+keys " : "") + String(
                format: "%d daemon%@ ingest %.2f MB/s (%.0f tokens/s), p50 %.1f ms, p99 %.1f ms, %d errors, %d forwarded; asks %.0f/s, p50 %.2f ms, p99 %.2f ms, %d errors",
                row.daemons, row.daemons == 1 ? " " : "s", row.ingestBytesPerSecond / 1e6, row.ingestTokensPerSecond,
                row.ingestP50Milliseconds, row.ingestP99Milliseconds, row.ingestErrors, row.forwarded, row.asksPerSecond,
                row.askP50Milliseconds, row.askP99Milliseconds, row.askErrors))
        }
        for cost in result.tlsCost ?? [] {
            lines.append(String(
                format: "TLS cost %d daemon%@: ingest %.2f× the plain-TCP throughput (p99 %.2f×), asks %.2f× (p99 %.2f×)",
                cost.daemons, cost.daemons == 1 ? "" : "s", cost.ingestThroughputRatio, cost.ingestP99Ratio, cost.askThroughputRatio,
                cost.askP99Ratio))
        }
        if let failover = result.failover {
            lines.append((failover.tls ? "TLS+keys " : "") + String(
                format: "failover %d daemons, %d owners SIGKILLed mid-ingest, lease %.1f s: takeover p50 %.2f s, max %.2f s; %llu acknowledged bytes lost; %d double owners (%d owners); digest %@ (%llu bytes)",
                failover.daemons, failover.kills, failover.leaseSeconds, failover.takeoverP50Seconds, failover.takeoverMaxSeconds,
                failover.acknowledgedBytesLost, failover.doubleOwners, failover.owners,
                failover.digest == failover.uninterruptedDigest ? "equal to an uninterrupted fold" : "DIFFERS from an uninterrupted fold",
                failover.bytes))
        }
        if let comparison = result.storeComparison {
            lines.append(String(
                format: "store    %llu tokens through a session: SQLite %.0f tokens/s, PostgreSQL %.0f tokens/s (SQLite/PostgreSQL %.2f)",
                comparison.tokens, comparison.sqliteTokensPerSecond, comparison.postgresTokensPerSecond, comparison.ratio))
        }
        return lines.joined(separator: "\n")
    }
}

/// A byte array sent as a stream of chunks with a pause between them, so that a request lasts
/// long enough to be cut.
struct SlowChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let bytes: [UInt8]
    let chunk: Int
    let pause: Duration

    struct AsyncIterator: AsyncIteratorProtocol {
        let bytes: [UInt8]
        let chunk: Int
        let pause: Duration
        var offset = 0

        mutating func next() async throws -> ByteBuffer? {
            guard offset < bytes.count else { return nil }
            if offset > 0 { try await Task.sleep(for: pause) }
            let end = Swift.min(bytes.count, offset + chunk)
            defer { offset = end }
            return ByteBuffer(bytes: bytes[offset..<end])
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes, chunk: chunk, pause: pause) }
}

/// `momd serve` processes on loopback ports, one PostgreSQL store.
///
/// `@unchecked Sendable`: everything but the processes is immutable after `init`, and the
/// processes (one restarts in the background while the others are used) are read and replaced
/// only under `lock`.
final class Cluster: @unchecked Sendable {
    let database: String
    let leaseSeconds: Double
    let logs: String
    let ports: [Int]
    /// Guarded by `lock`: a daemon restarts in the background while the others are used.
    private var running: [Process]
    private let lock = NSLock()
    let clients: [MoMClient]

    /// The daemons' processes now.
    var processes: [Process] { lock.withLock { running } }

    var count: Int { ports.count }

    /// `serve`'s snapshot options.
    let snapshots: [String]
    /// TLS and API keys for every daemon and client; nil: plain TCP, no keys.
    let security: ClusterSecurity?

    init(database: String, leaseSeconds: Double, logs: String, ports: [Int], snapshots: [String], security: ClusterSecurity? = nil) throws {
        self.snapshots = snapshots
        self.security = security
        self.database = database
        self.leaseSeconds = leaseSeconds
        self.logs = logs
        self.ports = ports
        running = []
        let tls = try security.map { try DaemonTLS.client(caFile: $0.authority) }
        clients = ports.map {
            MoMClient(address: .tcp(host: "127.0.0.1", port: $0, secure: security != nil), apiKey: security?.writeKey, tls: tls)
        }
    }

    static func start(
        _ count: Int, database: String, leaseSeconds: Double, logs: String, snapshots: [String], security: ClusterSecurity? = nil
    ) async throws -> Cluster {
        let cluster = try Cluster(
            database: database, leaseSeconds: leaseSeconds, logs: logs, ports: try (0..<count).map { _ in try freeLoopbackPort() },
            snapshots: snapshots, security: security)
        for index in 0..<count {
            let process = try cluster.launch(index)
            cluster.lock.withLock { cluster.running.append(process) }
        }
        for index in 0..<count { try await cluster.waitUntilHealthy(index) }
        return cluster
    }

    func launch(_ index: Int) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServeBench.executablePath())
        process.arguments = [
            "serve", "--db", database, "--listen", "127.0.0.1:\(ports[index])", "--lease-seconds", "\(leaseSeconds)",
            "--state-cache", logs + "/states",
        ] + snapshots + (security?.serveArguments ?? [])
        var environment = ProcessInfo.processInfo.environment
        environment["MOMD_HOST"] = nil
        process.environment = environment
        let log = logs + "/daemon-\(index).log"
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        output.seekToEndOfFile()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw CommandError("cannot start a daemon: \(error)", exitCode: .failure) }
        return process
    }

    func waitUntilHealthy(_ index: Int) async throws {
        for _ in 0..<1200 {
            if (try? await clients[index].health()) != nil { return }
            guard processes[index].isRunning else { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw CommandError("daemon \(index) did not answer on 127.0.0.1:\(ports[index]); see \(logs)/daemon-\(index).log", exitCode: .unavailable)
    }

    /// The daemon serving at `address` (`host:port`, or `https://host:port` over TLS).
    func index(of address: String) -> Int? {
        ports.firstIndex { "127.0.0.1:\($0)" == address || "https://127.0.0.1:\($0)" == address }
    }

    func kill(_ index: Int) {
        let process = processes[index]
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func restart(_ index: Int) async throws {
        let process = try launch(index)
        lock.withLock { running[index] = process }
        try await waitUntilHealthy(index)
    }

    func stopAll() {
        for process in processes where process.isRunning {
            Glibc.kill(process.processIdentifier, SIGTERM)
        }
        for process in processes { process.waitUntilExit() }
    }
}

/// What `bench cluster --tls` gives its daemons and clients: a throwaway CA with a certificate for
/// 127.0.0.1 made by openssl, and a key file with a write key the clients and forwarding daemons
/// send.
struct ClusterSecurity: Sendable {
    let directory: String
    let writeKey: String
    var authority: String { directory + "/ca.pem" }
    var certificate: String { directory + "/server.pem" }
    var key: String { directory + "/server.key" }
    var keyFile: String { directory + "/keys.txt" }

    var serveArguments: [String] {
        ["--tls-cert", certificate, "--tls-key", key, "--cacert", authority, "--api-key-file", keyFile]
    }

    static func make(in scratch: String) throws -> ClusterSecurity {
        let directory = scratch + "/tls"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func openssl(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl"] + arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            do { try process.run() } catch { throw CommandError("--tls needs openssl: \(error)", exitCode: .unavailable) }
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw CommandError("openssl \(arguments.prefix(2).joined(separator: " ")) failed (\(process.terminationStatus))", exitCode: .failure)
            }
        }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        try openssl(["req", "-x509"] + ec + ["-days", "2", "-subj", "/CN=momd bench CA", "-keyout", directory + "/ca.key", "-out", directory + "/ca.pem",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try openssl(["req", "-new"] + ec + ["-subj", "/CN=127.0.0.1", "-keyout", directory + "/server.key", "-out", directory + "/server.csr"])
        try Data("basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n".utf8)
            .write(to: URL(fileURLWithPath: directory + "/server.ext"))
        try openssl(["x509", "-req", "-in", directory + "/server.csr", "-CA", directory + "/ca.pem", "-CAkey", directory + "/ca.key",
            "-set_serial", "\(UInt32.random(in: 1...UInt32.max))", "-days", "2", "-extfile", directory + "/server.ext", "-out", directory + "/server.pem"])
        let writeKey = "w-" + (0..<32).map { _ in String(UInt8.random(in: 0...15), radix: 16) }.joined()
        let readKey = "r-" + (0..<32).map { _ in String(UInt8.random(in: 0...15), radix: 16) }.joined()
        try Data("write \(writeKey)\nread \(readKey)\n".utf8).write(to: URL(fileURLWithPath: directory + "/keys.txt"))
        for file in ["ca.key", "server.key", "keys.txt"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: directory + "/" + file)
        }
        return ClusterSecurity(directory: directory, writeKey: writeKey)
    }
}
