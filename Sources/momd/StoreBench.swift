import ArgumentParser
import Foundation
import MoMBench
import MoMCore
import MoMStore

/// `momd bench store`: what persistence costs — ingest with the journal and snapshots against
/// the bare fold, snapshot save and load times, compression, database bytes per document.
struct StoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Measure persistence: ingest throughput against the bare fold, snapshot save/load, compression, bytes per document.",
        discussion: """
            Folds the `bench fold` corpus twice: once into a bare state, once through a document \
            session on a scratch database (every chunk journalled and committed, snapshots by the \
            policy given). Then times --repeats snapshot writes and loads of the final state, and \
            reports the compression ratio and the database's bytes.
            """
    )

    @OptionGroup var corpus: CorpusOptions

    @Option(help: "Snapshot writes and loads timed.")
    var repeats: Int = 5

    @Option(help: "Write a snapshot every this many tokens.")
    var snapshotTokens: UInt64 = SnapshotPolicy.default.everyTokens

    @Option(help: "Directory for the scratch database (default: a new one under /tmp, removed afterwards).")
    var directory: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        guard repeats > 0, snapshotTokens > 0 else {
            throw ValidationError("--repeats and --snapshot-tokens must be positive")
        }
    }

    struct Result: Encodable {
        var tokens: UInt64
        var bytes: Int
        var foldTokensPerSecond: Double
        var ingestTokensPerSecond: Double
        /// How much slower ingest with persistence is than the bare fold, in percent.
        var overheadPercent: Double
        var snapshotsWritten: Int
        var snapshotSaveMilliseconds: [Double]
        var snapshotLoadMilliseconds: [Double]
        var stateBytes: Int
        var storedBytes: Int
        var compressionRatio: Double
        var databaseBytes: Int64
        var digestsMatch: Bool
    }

    func run() throws {
        try reportingErrors {
            let bare = try corpus.benchmark().run()
            var generator = SyntheticCorpus(seed: corpus.seed)
            var text: [UInt8] = []
            text.reserveCapacity(corpus.tokens * 6)
            generator.generate(tokens: corpus.tokens, into: &text)
            let clock = ContinuousClock()

            let scratch = try ScratchDirectory(given: directory, name: "bench-store")
            defer { scratch.remove() }
            let path = scratch.path + "/bench.sqlite"
            let store = try MoMStore.open(path: path, createIfMissing: true)
            let policy = SnapshotPolicy(everyTokens: snapshotTokens, everySeconds: SnapshotPolicy.default.everySeconds, retained: SnapshotPolicy.default.retained)
            var session = try store.openSession(named: "bench", policy: policy)
            let started = clock.now
            try text.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let end = min(offset + corpus.chunkBytes, raw.count)
                    try session.append(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                    try session.snapshotIfDue()
                    offset = end
                }
            }
            try session.close()
            let ingestSeconds = (clock.now - started).seconds
            let written = session.snapshotsWritten

            var saves: [Double] = []
            var info: SnapshotInfo?
            for _ in 0..<repeats {
                let start = clock.now
                info = try session.snapshot()
                saves.append((clock.now - start).seconds * 1000)
            }
            var loads: [Double] = []
            var loadedDigest = ""
            for _ in 0..<repeats {
                let start = clock.now
                let loaded = try store.loadState(of: "bench")
                loads.append((clock.now - start).seconds * 1000)
                loadedDigest = loaded.state.digest
            }
            let databaseBytes = databaseFileBytes(path)
            let stateBytes = info?.stateBytes ?? 0
            let storedBytes = info?.storedBytes ?? 0
            let tokenCount = bare.tokens
            let result = Result(
                tokens: tokenCount, bytes: text.count, foldTokensPerSecond: bare.tokensPerSecond,
                ingestTokensPerSecond: Double(tokenCount) / ingestSeconds,
                overheadPercent: (ingestSeconds / bare.seconds - 1) * 100, snapshotsWritten: written,
                snapshotSaveMilliseconds: saves, snapshotLoadMilliseconds: loads, stateBytes: stateBytes,
                storedBytes: storedBytes, compressionRatio: Double(stateBytes) / Double(max(storedBytes, 1)),
                databaseBytes: databaseBytes, digestsMatch: loadedDigest == bare.digest && session.state.digest == bare.digest)
            if json {
                try printJSON(result)
            } else {
                let milliseconds = { (values: [Double]) in values.map { String(format: "%.1f", $0) }.joined(separator: ", ") }
                print(String(format: "fold      %d tokens: %.0f tokens/s bare, %.0f tokens/s ingesting (journal + %d snapshots): %+.1f%%",
                             Int(tokenCount), result.foldTokensPerSecond, result.ingestTokensPerSecond, written, result.overheadPercent))
                print("snapshot  save \(milliseconds(saves)) ms; load \(milliseconds(loads)) ms")
                print(String(format: "stored    state %@ → blob %@ (ratio %.2f); database %@ for this document",
                             formatBytes(stateBytes), formatBytes(storedBytes), result.compressionRatio, formatBytes(databaseBytes)))
                print("digest    \(result.digestsMatch ? "bare fold, session and reloaded state agree" : "MISMATCH between bare fold, session and reloaded state")")
            }
            if !result.digestsMatch { throw CommandError("the persisted state differs from the bare fold", exitCode: .failure) }
        }
    }
}
