import ArgumentParser
import Foundation
import MoMBench
import MoMCLI
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

            Example: momd bench store --tokens 2000000 --repeats 16
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
        /// Where a whole load and a save spend their time, median milliseconds per step.
        var loadSteps: [String: Double]
        var saveSteps: [String: Double]
        /// An ask on the document with nothing of it in memory: the state read on demand from
        /// the store (`MoMStore.read`), and loaded whole then read (`loadState`), in milliseconds.
        var coldAskMilliseconds: [Double]
        var wholeLoadAskMilliseconds: [Double]
        var coldAskMemoriesLoaded: Int
        /// The same ask read from a kept image of the state (`StateImageCache`; the first of
        /// these asks wrote it, and is left out), and on the state in memory.
        var imageAskMilliseconds: [Double]
        var hotAskMilliseconds: [Double]
        var coldAnswersMatch: Bool
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
            let (loadSteps, saveSteps) = try profile(store: store, document: session.name, snapshot: info, state: session.state)
            let cue = coldAskCue(text)
            let expected = try session.state.read(cue: cue)
            var coldAsks: [Double] = []
            var wholeAsks: [Double] = []
            var memoriesLoaded = 0
            var coldAnswersMatch = true
            for _ in 0..<max(repeats, 21) {
                var start = clock.now
                let read = try store.read("bench") { try $0.read(cue: cue) }
                coldAsks.append((clock.now - start).seconds * 1000)
                memoriesLoaded = read.memoriesLoaded
                coldAnswersMatch = coldAnswersMatch && read.value == expected && !read.loadedWhole
                start = clock.now
                let whole = try store.loadState(of: "bench").state.read(cue: cue)
                wholeAsks.append((clock.now - start).seconds * 1000)
                coldAnswersMatch = coldAnswersMatch && whole == expected
            }
            var imageStore = store
            imageStore.imageCache = StateImageCache(directory: scratch.path + "/states")
            var imageAsks: [Double] = []
            var hotAsks: [Double] = []
            for attempt in 0...max(repeats, 21) {
                var start = clock.now
                let read = try imageStore.read("bench") { try $0.read(cue: cue) }
                if attempt > 0 { imageAsks.append((clock.now - start).seconds * 1000) }
                coldAnswersMatch = coldAnswersMatch && read.value == expected && read.fromImage == (attempt > 0)
                start = clock.now
                let hot = try session.state.read(cue: cue)
                hotAsks.append((clock.now - start).seconds * 1000)
                coldAnswersMatch = coldAnswersMatch && hot == expected
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
                databaseBytes: databaseBytes, digestsMatch: loadedDigest == bare.digest && session.state.digest == bare.digest,
                loadSteps: loadSteps, saveSteps: saveSteps, coldAskMilliseconds: coldAsks, wholeLoadAskMilliseconds: wholeAsks,
                coldAskMemoriesLoaded: memoriesLoaded, imageAskMilliseconds: imageAsks, hotAskMilliseconds: hotAsks,
                coldAnswersMatch: coldAnswersMatch)
            if json {
                try printJSON(result)
            } else {
                let milliseconds = { (values: [Double]) in values.map { String(format: "%.1f", $0) }.joined(separator: ", ") }
                print(String(format: "fold      %d tokens: %.0f tokens/s bare, %.0f tokens/s ingesting (journal + %d snapshots): %+.1f%%",
                             Int(tokenCount), result.foldTokensPerSecond, result.ingestTokensPerSecond, written, result.overheadPercent))
                print("snapshot  save \(milliseconds(saves)) ms; load \(milliseconds(loads)) ms")
                print(String(format: "stored    state %@ → blob %@ (ratio %.2f); database %@ for this document",
                             formatBytes(stateBytes), formatBytes(storedBytes), result.compressionRatio, formatBytes(databaseBytes)))
                let steps = { (steps: [String: Double]) in
                    steps.sorted { $0.key < $1.key }.map { String(format: "%@ %.2f", $0.key, $0.value) }.joined(separator: ", ")
                }
                print("load      \(steps(loadSteps)) ms (median)")
                print("save      \(steps(saveSteps)) ms (median)")
                print(String(format: "cold ask  read on demand p50 %.2f ms (p90 %.2f, %d memories loaded); loaded whole then read p50 %.2f ms; answers %@",
                             percentile(coldAsks, 0.5), percentile(coldAsks, 0.9), memoriesLoaded, percentile(wholeAsks, 0.5),
                             coldAnswersMatch ? "agree with the hot state" : "DIFFER from the hot state"))
                print(String(format: "          from a kept image p50 %.2f ms (p90 %.2f); the state in memory p50 %.2f ms",
                             percentile(imageAsks, 0.5), percentile(imageAsks, 0.9), percentile(hotAsks, 0.5)))
                print("digest    \(result.digestsMatch ? "bare fold, session and reloaded state agree" : "MISMATCH between bare fold, session and reloaded state")")
            }
            if !result.coldAnswersMatch { throw CommandError("a cold ask answered otherwise than the hot state", exitCode: .failure) }
            if !result.digestsMatch { throw CommandError("the persisted state differs from the bare fold", exitCode: .failure) }
        }
    }

    /// A cue from the middle of the corpus: the six words after its 1000th space.
    func coldAskCue(_ text: [UInt8]) -> String {
        let words = text.split(separator: UInt8(ascii: " "))
        let start = min(1000, max(0, words.count - 6))
        return words[start..<min(words.count, start + 6)].map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }

    /// Times each step of a whole load (blob read, LZ4 frames, digest, decode; the digest stands
    /// for the state's checksum, as in a store's load) and of a save's work before its commit
    /// (encode with its checksum and digest in one pass, compress), medians of --repeats.
    func profile(store: MoMStore, document: String, snapshot: SnapshotInfo?, state: MoMState) throws -> (load: [String: Double], save: [String: Double]) {
        guard let snapshot else { return ([:], [:]) }
        let clock = ContinuousClock()
        var load: [String: [Double]] = [:]
        var save: [String: [Double]] = [:]
        func time<T>(_ step: String, into steps: inout [String: [Double]], _ body: () throws -> T) rethrows -> T {
            let start = clock.now
            let value = try body()
            steps[step, default: []].append((clock.now - start).seconds * 1000)
            return value
        }
        for _ in 0..<repeats {
            let (blob, stateBytes) = try time("1 blob read", into: &load) { try store.snapshotBlob(of: document, id: snapshot.id) }
            let bytes = try time("2 lz4", into: &load) { try blob.withUnsafeBytes { try SnapshotContainer.decompress($0, stateBytes: stateBytes) } }
            _ = time("3 digest", into: &load) { StableHash.hexDigest(bytes) }
            _ = try time("4 decode", into: &load) { try MoMState(decoding: bytes, verifyingChecksum: false) }
            let (encoded, _) = time("1 encode + digest", into: &save) { state.encodedWithDigest() }
            _ = time("2 lz4", into: &save) { SnapshotContainer.compress(encoded) }
        }
        return (load.mapValues { percentile($0, 0.5) }, save.mapValues { percentile($0, 0.5) })
    }
}

/// The q-quantile of `values` (nearest rank).
func percentile(_ values: [Double], _ q: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
}
