import ArgumentParser
import Foundation
import MoMAPI
import MoMBench
import MoMCLI
import MoMCore
import MoMServer

/// `momd bench serve`: starts a real daemon (this binary's `serve`) on a scratch database and
/// drives it over its Unix socket the way users would.
struct ServeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Load-test a daemon over its socket: concurrent ingest, concurrent asks, memory with many documents.",
        discussion: """
            Starts `momd serve` as a child process on a scratch database and socket, then: (1) ingests \
            --documents pass-key haystacks concurrently, one connection each, and checks that every \
            document recalls its own key; (2) runs --clients concurrent clients asking those \
            documents for --seconds, and reports asks/s and latency percentiles measured at the \
            client; (3) ingests more documents until there are --total-documents and reads the \
            daemon's resident memory from /proc; (4) stops it with SIGTERM and reports its exit \
            status. Everything goes through the socket; nothing is folded in this process.

            Example: momd bench serve --seconds 15 --hot-documents 64
            """
    )

    @Option(help: "Documents ingested concurrently in phase 1 (and asked in phase 2).")
    var documents = 100

    @Option(help: "Tokens per phase-1 document (a pass-key haystack).")
    var documentTokens = 16_000

    @Option(help: "Concurrent clients asking in phase 2 (and ingesting in phase 3).")
    var clients = 32

    @Option(help: "Seconds of asking in phase 2.")
    var seconds: Double = 30

    @Option(help: "Documents in the database when the daemon's memory is read in phase 3.")
    var totalDocuments = 1000

    @Option(help: "Tokens per phase-3 document.")
    var smallDocumentTokens = 2000

    @Option(help: "The daemon's --hot-documents.")
    var hotDocuments = ServerOptions.defaultHotDocuments

    @Option(help: "Directory for the scratch database and socket (default: a new one under /tmp, removed afterwards).")
    var directory: String?

    @Flag(help: "Run the daemon with --state-cache off (by default it keeps state images beside the scratch database), to measure what they buy.")
    var noStateCache = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        guard documents > 0, clients > 0, seconds > 0, documentTokens >= 100, smallDocumentTokens >= 100, hotDocuments > 0 else {
            throw ValidationError("--documents, --clients, --seconds, --hot-documents must be positive; document sizes at least 100 tokens")
        }
        guard totalDocuments >= documents else { throw ValidationError("--total-documents must be at least --documents") }
    }

    struct IngestPhase: Encodable {
        var documents: Int
        var concurrency: Int
        var bytes: Int
        var tokens: UInt64
        var seconds: Double
        var bytesPerSecond: Double
        var tokensPerSecond: Double
        var errors: Int
        /// Documents whose own pass key came back.
        var recalled: Int
    }

    struct AskPhase: Encodable {
        var clients: Int
        var seconds: Double
        var asks: Int
        var asksPerSecond: Double
        var p50Milliseconds: Double
        var p99Milliseconds: Double
        var maxMilliseconds: Double
        var errors: Int
        var correct: Int
    }

    struct MemoryPhase: Encodable {
        var documents: Int
        /// The daemon's bound.
        var hotDocuments: Int
        /// Documents the daemon held in memory when its resident memory was read.
        var hotDocumentsNow: Int
        var ingestSeconds: Double
        var errors: Int
        var residentBytes: Int
        var peakResidentBytes: Int
        /// The database file and its write-ahead log.
        var databaseBytes: Int64
    }

    struct Result: Encodable {
        var ingest: IngestPhase
        var ask: AskPhase
        var memory: MemoryPhase
        var shutdownSeconds: Double
        var exitStatus: Int32
    }

    func run() async throws {
        try await reportingErrors {
            let scratch = try ScratchDirectory(given: directory, name: "bench-serve")
            defer { scratch.remove() }
            let database = scratch.path + "/bench.sqlite"
            let socket = scratch.path + "/bench.sock"
            let daemon = try startDaemon(database: database, socket: socket, log: scratch.path + "/daemon.log")
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            let client = MoMClient(address: .unixSocket(path: socket))
            try await waitUntilHealthy(client, daemon: daemon)

            let corpus = (0..<documents).map { Self.document($0, tokens: documentTokens) }
            status("phase 1: ingesting \(documents) documents of \(documentTokens) tokens concurrently")
            let ingest = try await ingestConcurrently(corpus, client: client)
            status(String(format: "  %.2f s, %.2f MB/s, %.0f tokens/s, %d errors, %d/%d recalled",
                          ingest.seconds, ingest.bytesPerSecond / 1e6, ingest.tokensPerSecond, ingest.errors, ingest.recalled, documents))

            status("phase 2: \(clients) clients asking for \(seconds) s")
            let ask = await askConcurrently(corpus, client: client)
            status(String(format: "  %d asks, %.0f asks/s, p50 %.2f ms, p99 %.2f ms, %d errors, %d correct",
                          ask.asks, ask.asksPerSecond, ask.p50Milliseconds, ask.p99Milliseconds, ask.errors, ask.correct))

            status("phase 3: growing to \(totalDocuments) documents of \(smallDocumentTokens) tokens (\(clients) at a time)")
            let memory = try await grow(client: client, daemon: daemon, database: database)
            status("  resident \(formatBytes(memory.residentBytes)), peak \(formatBytes(memory.peakResidentBytes)), database \(formatBytes(memory.databaseBytes))")

            let clock = ContinuousClock()
            let stopping = clock.now
            kill(daemon.processIdentifier, SIGTERM)
            daemon.waitUntilExit()
            let result = Result(
                ingest: ingest, ask: ask, memory: memory, shutdownSeconds: (clock.now - stopping).seconds,
                exitStatus: daemon.terminationStatus)
            if json {
                try printJSON(result)
            } else {
                print(Self.summary(result))
            }
        }
    }

    // MARK: Phases

    func ingestConcurrently(_ corpus: [BenchDocument], client: MoMClient) async throws -> IngestPhase {
        let clock = ContinuousClock()
        let started = clock.now
        let outcomes = await withTaskGroup(of: UInt64?.self) { group in
            for document in corpus {
                group.addTask {
                    try? await client.ingest(document.name, offset: 0, bytes: document.text.utf8).tokens
                }
            }
            return await group.reduce(into: [UInt64?]()) { $0.append($1) }
        }
        let elapsed = (clock.now - started).seconds
        var recalled = 0
        for document in corpus {
            let answer = try? await client.ask(document.name, AskRequest(question: Passkey.question))
            if let answer, Passkey.firstDigits(answer.answer) == document.key { recalled += 1 }
        }
        let bytes = corpus.reduce(0) { $0 + $1.text.utf8.count }
        let tokens = outcomes.reduce(UInt64(0)) { $0 + ($1 ?? 0) }
        return IngestPhase(
            documents: corpus.count, concurrency: corpus.count, bytes: bytes, tokens: tokens, seconds: elapsed,
            bytesPerSecond: Double(bytes) / elapsed, tokensPerSecond: Double(tokens) / elapsed,
            errors: outcomes.filter { $0 == nil }.count, recalled: recalled)
    }

    func askConcurrently(_ corpus: [BenchDocument], client: MoMClient) async -> AskPhase {
        let clock = ContinuousClock()
        let started = clock.now
        let deadline = started + .milliseconds(Int64(seconds * 1000))
        struct Tally: Sendable {
            var latencies: [Double] = []
            var errors = 0
            var correct = 0
        }
        let tallies = await withTaskGroup(of: Tally.self) { group in
            for worker in 0..<clients {
                group.addTask {
                    var tally = Tally()
                    var random = SplitMix64(seed: UInt64(worker) &+ 0x5EED)
                    while clock.now < deadline {
                        let document = corpus[Int(random.next() % UInt64(corpus.count))]
                        let sent = clock.now
                        do {
                            let answer = try await client.ask(document.name, AskRequest(question: Passkey.question))
                            tally.latencies.append((clock.now - sent).seconds * 1000)
                            if Passkey.firstDigits(answer.answer) == document.key { tally.correct += 1 }
                        } catch {
                            tally.errors += 1
                        }
                    }
                    return tally
                }
            }
            return await group.reduce(into: [Tally]()) { $0.append($1) }
        }
        let elapsed = (clock.now - started).seconds
        let latencies = tallies.flatMap(\.latencies).sorted()
        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int((p * Double(latencies.count)).rounded(.up)) - 1)]
        }
        return AskPhase(
            clients: clients, seconds: elapsed, asks: latencies.count, asksPerSecond: Double(latencies.count) / elapsed,
            p50Milliseconds: percentile(0.5), p99Milliseconds: percentile(0.99), maxMilliseconds: latencies.last ?? 0,
            errors: tallies.reduce(0) { $0 + $1.errors }, correct: tallies.reduce(0) { $0 + $1.correct })
    }

    func grow(client: MoMClient, daemon: Process, database: String) async throws -> MemoryPhase {
        let clock = ContinuousClock()
        let started = clock.now
        let tokens = smallDocumentTokens
        let errors = await withTaskGroup(of: Int.self) { group in
            var next = documents
            var errors = 0
            func add() {
                let index = next
                next += 1
                group.addTask {
                    let document = Self.document(index, tokens: tokens)
                    do {
                        _ = try await client.ingest(document.name, offset: 0, bytes: document.text.utf8)
                        return 0
                    } catch {
                        return 1
                    }
                }
            }
            while next < totalDocuments && next < documents + clients { add() }
            while let failed = await group.next() {
                errors += failed
                if next < totalDocuments { add() }
            }
            return errors
        }
        let elapsed = (clock.now - started).seconds
        let listed = try await client.documents()
        let memory = try Self.residentMemory(of: daemon.processIdentifier)
        let metrics = try await client.metrics()
        let hot = metrics.split(separator: "\n").first { $0.hasPrefix("momd_hot_documents ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") } ?? -1
        return MemoryPhase(
            documents: listed.count, hotDocuments: hotDocuments, hotDocumentsNow: Int(hot), ingestSeconds: elapsed, errors: errors,
            residentBytes: memory.resident, peakResidentBytes: memory.peak,
            databaseBytes: databaseFileBytes(database))
    }

    // MARK: The daemon

    func startDaemon(database: String, socket: String, log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executablePath())
        let states = noStateCache ? "off" : (database as NSString).deletingLastPathComponent + "/states"
        process.arguments = [
            "serve", "--db", database, "--socket", socket, "--hot-documents", "\(hotDocuments)", "--state-cache", states,
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["MOMD_HOST"] = nil
        process.environment = environment
        guard FileManager.default.createFile(atPath: log, contents: nil) else {
            throw CommandError("cannot create \(log)", exitCode: .ioError)
        }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw CommandError("cannot start the daemon: \(error)", exitCode: .failure) }
        return process
    }

    func waitUntilHealthy(_ client: MoMClient, daemon: Process) async throws {
        for _ in 0..<600 {
            if (try? await client.health()) != nil { return }
            guard daemon.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CommandError("the daemon did not answer on \(client.address)", exitCode: .unavailable)
    }

    /// This binary, so the daemon measured is the one being benchmarked.
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// VmRSS and VmHWM of a process, in bytes.
    static func residentMemory(of pid: Int32) throws -> (resident: Int, peak: Int) {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else {
            throw CommandError("cannot read /proc/\(pid)/status: the resident memory is read from /proc (Linux)")
        }
        func field(_ name: String) -> Int {
            let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") } ?? ""
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
        return (field("VmRSS"), field("VmHWM"))
    }

    // MARK: Input and output

    struct BenchDocument: Sendable {
        var name: String
        var key: String
        var text: String
    }

    /// Document `index`: a pass-key haystack with its own five-digit key at its own depth.
    static func document(_ index: Int, tokens: Int) -> BenchDocument {
        var random = SplitMix64(seed: 0xBE7C_0000 &+ UInt64(index))
        let key = String(10_000 + random.next() % 90_000)
        let depth = Double(index % 11) / 10
        return BenchDocument(
            name: String(format: "bench-%04d", index), key: key, text: Passkey.haystack(tokens: tokens, depth: depth, key: key))
    }

    func status(_ line: String) {
        if !json || isatty(STDERR_FILENO) == 1 { writeStandardError(line + "\n") }
    }

    static func summary(_ result: Result) -> String {
        let ingest = result.ingest
        let ask = result.ask
        let memory = result.memory
        return [
            String(format: "ingest   %d documents concurrently: %d bytes, %d tokens in %.2f s (%.2f MB/s, %.0f tokens/s), %d errors, %d/%d recalled",
                   ingest.documents, ingest.bytes, ingest.tokens, ingest.seconds, ingest.bytesPerSecond / 1e6,
                   ingest.tokensPerSecond, ingest.errors, ingest.recalled, ingest.documents),
            String(format: "ask      %d clients, %.1f s: %d asks, %.0f asks/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms, %d errors, %d correct",
                   ask.clients, ask.seconds, ask.asks, ask.asksPerSecond, ask.p50Milliseconds, ask.p99Milliseconds,
                   ask.maxMilliseconds, ask.errors, ask.correct),
            "memory   \(memory.documents) documents (\(memory.hotDocumentsNow) hot, \(memory.hotDocuments) at most): daemon resident \(formatBytes(memory.residentBytes)), "
                + "peak \(formatBytes(memory.peakResidentBytes)); database \(formatBytes(memory.databaseBytes)); \(memory.errors) errors",
            String(format: "shutdown SIGTERM → exit %d in %.2f s", result.exitStatus, result.shutdownSeconds),
        ].joined(separator: "\n")
    }
}
