import Foundation
import GRDB
import MoMBench
import MoMCore
import Testing

@testable import MoMStore

extension MoMConfiguration {
    /// Small enough that a test folds, snapshots and decodes it hundreds of times; routing chunks
    /// short enough that a few hundred tokens complete several.
    static var storeTest: MoMConfiguration {
        var configuration = MoMConfiguration.default
        configuration.memories = 4
        configuration.topK = 2
        configuration.dk = 64
        configuration.dv = 8
        configuration.routingChunkTokens = 50
        return configuration
    }

    /// The smallest useful state, for tests that decode once per byte of a snapshot.
    static var tinyStoreTest: MoMConfiguration {
        var configuration = storeTest
        configuration.memories = 2
        configuration.topK = 1
        configuration.dk = 16
        return configuration
    }
}

/// Generated text: words, numbers and punctuation, the same bytes for the same seed.
func corpus(tokens: Int, seed: UInt64 = 7, vocabulary: Int = 2000) -> [UInt8] {
    var generator = SyntheticCorpus(seed: seed, vocabulary: vocabulary)
    var bytes: [UInt8] = []
    generator.generate(tokens: tokens, into: &bytes)
    return bytes
}

/// The state a single uninterrupted fold of `bytes` reaches.
func onePassState(_ bytes: some Collection<UInt8>, configuration: MoMConfiguration) throws -> MoMState {
    var state = try MoMState(configuration: configuration)
    state.fold(Array(bytes))
    return state
}

/// Cuts `bytes` into pieces of pseudo-random lengths in 1...maxPiece.
func randomPieces(_ bytes: [UInt8], maxPiece: Int, seed: UInt64) -> [ArraySlice<UInt8>] {
    var generator = SplitMix64(seed: seed)
    var pieces: [ArraySlice<UInt8>] = []
    var offset = 0
    while offset < bytes.count {
        let end = min(bytes.count, offset + 1 + Int(generator.next() % UInt64(maxPiece)))
        pieces.append(bytes[offset..<end])
        offset = end
    }
    return pieces
}

/// A fresh directory under the system's temporary directory.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("momd-store-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

extension DocumentSession {
    mutating func append(_ bytes: ArraySlice<UInt8>) throws {
        try bytes.withUnsafeBytes { _ = try append($0) }
    }
}

extension MoMStore {
    /// Runs raw SQL on the store's database, for tests that inspect or damage rows.
    func sql<T>(_ body: (Database) throws -> T) throws -> T {
        try #require(sqliteWriter, "raw SQL needs the SQLite backend").write(body)
    }
}

/// Locates the repository's root from this file.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The `StoreError` that `body` throws, recording an issue (without dumping what it returned,
/// which may be a whole state) if it throws nothing or something else.
@discardableResult
func storeError<T>(
    _ body: () throws -> T, sourceLocation: SourceLocation = #_sourceLocation
) -> StoreError? {
    do {
        _ = try body()
        Issue.record("expected a StoreError, but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as StoreError {
        return error
    } catch {
        Issue.record("expected a StoreError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
