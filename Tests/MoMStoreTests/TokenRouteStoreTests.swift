import Foundation
import GRDB
import MoMCore
import Testing

@testable import MoMStore

/// Per-token routes go to the `token_route` table with the append that acknowledges their
/// tokens, read back as the engine recorded them, and go with their document.
@Suite struct TokenRouteStoreTests {
    let configuration = MoMConfiguration.storeTest

    /// The routes a recording one-pass fold of `bytes` gives, from token 0.
    func expectedRoutes(_ bytes: some Collection<UInt8>) throws -> [TokenRoute] {
        var state = try MoMState(configuration: configuration)
        try state.startRecordingTokenRoutes()
        state.fold(Array(bytes))
        let drained = state.drainTokenRoutes()
        return try #require(drained).routes
    }

    func rowCount(_ store: MoMStore) throws -> Int {
        try store.sql { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM token_route") ?? -1 }
    }

    @Test func aRecordingSessionStoresTheEnginesRoutes() throws {
        let text = corpus(tokens: 4000)
        let expected = try expectedRoutes(text)
        let store = try MoMStore.inMemory()
        var session = try store.openSession(
            named: "notes", configuration: configuration, policy: SnapshotPolicy(everyTokens: 700, retained: 2),
            recordsTokenRoutes: true)
        #expect(session.recordsTokenRoutes)
        let pieces = randomPieces(text, maxPiece: 300, seed: 11)
        for piece in pieces {
            try session.append(piece)
            try session.snapshotIfDue()
        }
        try session.close()
        #expect(UInt64(expected.count) == session.state.tokenCount)

        let stored = try store.tokenRoutes(of: "notes")
        #expect(stored.count == expected.count)
        #expect(stored == expected)
        #expect(!stored[0].isRouted)
        #expect(stored.dropFirst().allSatisfy { $0.memories.count == configuration.topK })
        // One row per append that completed a token, contiguous.
        let rows = try store.sql { db in
            try Row.fetchAll(db, sql: "SELECT first_token, token_count, top_k FROM token_route ORDER BY first_token").map {
                (first: $0["first_token"] as Int64, count: $0["token_count"] as Int64, topK: $0["top_k"] as Int64)
            }
        }
        #expect(rows.count > 10 && rows.count <= pieces.count)
        #expect(rows.allSatisfy { $0.topK == Int64(configuration.topK) })
        #expect(zip(rows, rows.dropFirst()).allSatisfy { $0.first + $0.count == $1.first })
        #expect(rows.last.map { $0.first + $0.count } == Int64(expected.count))

        // A window: from any token, up to a limit, across row boundaries.
        #expect(try store.tokenRoutes(of: "notes", from: 1234, limit: 300) == Array(expected[1234..<1534]))
        #expect(try store.tokenRoutes(of: "notes", from: UInt64(expected.count - 5)) == Array(expected.suffix(5)))
        #expect(try store.tokenRoutes(of: "notes", from: UInt64(expected.count)).isEmpty)
        #expect(try store.tokenRoutes(of: "notes", limit: 0).isEmpty)
        #expect(try store.tokenRoutes(of: "notes", limit: 1) == [expected[0]])
        #expect(storeError { try store.tokenRoutes(of: "absent") }?.code == .unknownDocument)
    }

    @Test func theFrameIsTheMemoryBytesThenTheWeights() throws {
        let text = corpus(tokens: 300)
        let store = try MoMStore.inMemory()
        var session = try store.openSession(named: "notes", configuration: configuration, recordsTokenRoutes: true)
        try session.append(text[...])
        let (count, frame) = try store.sql { db in
            let row = try #require(try Row.fetchOne(db, sql: "SELECT token_count, frame FROM token_route WHERE first_token = 0"))
            return (row["token_count"] as Int, row["frame"] as Data)
        }
        let k = configuration.topK
        let bytes = try LZ4Frame.decompress([UInt8](frame))
        #expect(bytes.count == count * k * 3)
        #expect(Array(bytes[0..<k]) == [UInt8](repeating: TokenRoutes.unrouted, count: k))  // the first token
        let expected = try expectedRoutes(text)
        let second = expected[1]
        #expect(bytes[k..<2 * k].map(Int.init) == second.memories)
        let weightOffset = count * k
        let firstWeight = UInt16(bytes[weightOffset + 2 * k]) | UInt16(bytes[weightOffset + 2 * k + 1]) << 8
        #expect(TokenRoutes.weight(firstWeight) == second.weights[0])
    }

    @Test func recordingGoesOnAcrossReopeningAndSkipsWhatWasNotRecorded() throws {
        let text = corpus(tokens: 3000)
        let expected = try expectedRoutes(text)
        let pieces = randomPieces(text, maxPiece: 500, seed: 12)
        let third = pieces.count / 3
        let store = try MoMStore.inMemory()
        var plain = try store.openSession(named: "notes", configuration: configuration)
        for piece in pieces[..<third] { try plain.append(piece) }
        #expect(try rowCount(store) == 0, "a session that does not record stores no route")
        let unrecorded = Int(plain.state.tokenCount)

        // Dropped without close, as a crash would; the next session replays the journal and records.
        var recording = try store.openSession(named: "notes", recordsTokenRoutes: true)
        for piece in pieces[third..<2 * third] { try recording.append(piece) }
        var resumed = try store.openSession(named: "notes", recordsTokenRoutes: true)
        for piece in pieces[(2 * third)...] { try resumed.append(piece) }

        let stored = try store.tokenRoutes(of: "notes")
        #expect(stored.first?.index == UInt64(unrecorded))
        #expect(stored == Array(expected[unrecorded...]))
        #expect(try store.tokenRoutes(of: "notes", from: 0, limit: 2) == Array(expected[unrecorded..<unrecorded + 2]))
    }

    @Test func deletingTheDocumentDeletesItsRoutes() throws {
        let store = try MoMStore.inMemory()
        for name in ["alpha", "beta"] {
            var session = try store.openSession(named: name, configuration: configuration, recordsTokenRoutes: true)
            for piece in randomPieces(corpus(tokens: 1000, seed: name == "alpha" ? 1 : 2), maxPiece: 400, seed: 13) {
                try session.append(piece)
            }
        }
        let betaRows = try store.sql { db in
            try Int.fetchOne(
                db, sql: "SELECT count(*) FROM token_route WHERE document_id = (SELECT id FROM document WHERE name = 'beta')")
        }
        let before = try rowCount(store)
        #expect(before > (betaRows ?? 0) && (betaRows ?? 0) > 0)
        try store.deleteDocument(named: "alpha")
        #expect(try rowCount(store) == betaRows)
        try store.deleteDocument(named: "beta")
        #expect(try rowCount(store) == 0)
    }

    @Test func recordingIsRefusedForMoreThan255Memories() throws {
        let store = try MoMStore.inMemory()
        var wide = configuration
        wide.memories = 256
        wide.dk = 16
        let error = try #require(
            storeError { try store.openSession(named: "wide", configuration: wide, recordsTokenRoutes: true) })
        #expect(error.code == .invalidArgument)
        #expect(error.message.contains("at most 255"))
        #expect(try store.documents().isEmpty, "nothing is created for a refused session")
        var session = try store.openSession(named: "wide", configuration: wide)
        #expect(storeError { try session.startRecordingTokenRoutes() }?.code == .invalidArgument)
        #expect(!session.recordsTokenRoutes)
    }

    @Test func aDamagedFrameIsReportedAsCorrupt() throws {
        let store = try MoMStore.inMemory()
        var session = try store.openSession(named: "notes", configuration: configuration, recordsTokenRoutes: true)
        try session.append(corpus(tokens: 200)[...])
        try store.sql { db in try db.execute(sql: "UPDATE token_route SET token_count = token_count + 1") }
        let error = try #require(storeError { try store.tokenRoutes(of: "notes") })
        #expect(error.code == .corruptData)
        #expect(error.message.contains("token routes at token 0"))
    }
}
