import Foundation
import GRDB
import MoMCore
import Testing

@testable import MoMStore

@Suite struct DocumentSessionTests {
    let configuration = MoMConfiguration.storeTest

    @Test func anySplitRestoresToTheOnePassState() throws {
        let text = corpus(tokens: 6000)
        let expected = try onePassState(text, configuration: configuration).digest
        for (seed, maxPiece) in [(1 as UInt64, 17), (2, 700), (3, 5000)] {
            let store = try MoMStore.inMemory()
            var session = try store.openSession(
                named: "notes", configuration: configuration, policy: SnapshotPolicy(everyTokens: 900, retained: 2))
            for piece in randomPieces(text, maxPiece: maxPiece, seed: seed) {
                try session.append(piece)
                try session.snapshotIfDue()
            }
            #expect(session.state.digest == expected)
            // Dropped without close, as a crash would: the journal carries what no snapshot holds.
            let reopened = try store.openSession(named: "notes")
            #expect(reopened.state.digest == expected)
            #expect(reopened.warnings.isEmpty)
            #expect(try store.loadState(of: "notes").state.digest == expected)
        }
    }

    @Test func snapshotsFollowThePolicyAndTheJournalStartsAtTheOldestKept() throws {
        let store = try MoMStore.inMemory()
        var session = try store.openSession(
            named: "notes", configuration: configuration, policy: SnapshotPolicy(everyTokens: 1000, everySeconds: 3600, retained: 3))
        var snapshotTokens: [UInt64] = []
        for piece in randomPieces(corpus(tokens: 10_000), maxPiece: 400, seed: 9) {
            try session.append(piece)
            if let snapshot = try session.snapshotIfDue() { snapshotTokens.append(snapshot.tokenCount) }
        }
        #expect(snapshotTokens.count == 9)
        #expect(zip(snapshotTokens.dropFirst(), snapshotTokens).allSatisfy { $0 - $1 >= 1000 })
        let kept = try store.snapshots(of: "notes")
        #expect(kept.map(\.tokenCount) == Array(snapshotTokens.suffix(3)))
        let journal = try store.sql { db in
            try Row.fetchAll(db, sql: "SELECT start_offset, end_offset FROM journal ORDER BY start_offset").map {
                (UInt64($0["start_offset"] as Int64), UInt64($0["end_offset"] as Int64))
            }
        }
        #expect(journal.first?.0 == kept.first?.byteCount)
        #expect(journal.last?.1 == session.committedOffset)
        #expect(zip(journal.dropFirst(), journal).allSatisfy { $0.0 == $1.1 })  // contiguous

        let closing = try session.close()
        #expect(closing?.byteCount == session.committedOffset)
        #expect(try session.close() == nil)  // nothing new to snapshot
        let document = try store.document(named: "notes")
        #expect(document.snapshotCount == 3)
        #expect(document.byteCount == session.committedOffset)
        #expect(document.tokenCount == session.state.tokenCount)
    }

    @Test func aSnapshotIsDueAfterItsIntervalInSeconds() throws {
        let store = try MoMStore.inMemory()
        var session = try store.openSession(
            named: "notes", configuration: configuration, policy: SnapshotPolicy(everyTokens: 1 << 40, everySeconds: 0.05))
        try session.append(Array("a few words".utf8))
        #expect(!session.isSnapshotDue)
        Thread.sleep(forTimeInterval: 0.06)
        #expect(session.isSnapshotDue)
        #expect(try session.snapshotIfDue() != nil)
        #expect(!session.isSnapshotDue)
    }

    @Test func routingHistoryIsTheEngines() throws {
        let text = corpus(tokens: 3000)
        var state = try MoMState(configuration: configuration)
        state.fold(text)
        let expected = state.drainRoutingChunks()
        #expect(expected.count == 3000 / configuration.routingChunkTokens)

        let store = try MoMStore.inMemory()
        var session = try store.openSession(named: "notes", configuration: configuration, policy: SnapshotPolicy(everyTokens: 500))
        for piece in randomPieces(text, maxPiece: 300, seed: 4) {
            try session.append(piece)
            try session.snapshotIfDue()
        }
        #expect(try store.routingHistory(of: "notes") == expected)
        #expect(try store.routingHistory(of: "notes", from: 10, limit: 5) == Array(expected[10..<15]))
        #expect(try store.document(named: "notes").routingChunkCount == expected.count)
    }

    @Test func retriedAppendsAreIdempotentAndGapsRefused() throws {
        let text = corpus(tokens: 2000)
        let store = try MoMStore.inMemory()
        var session = try store.openSession(named: "notes", configuration: configuration)
        try text.withUnsafeBytes { bytes in
            try session.append(UnsafeRawBufferPointer(rebasing: bytes[0..<1000]), at: 0)
            try session.append(UnsafeRawBufferPointer(rebasing: bytes[0..<1000]), at: 0)  // a retry: nothing new
            try session.append(UnsafeRawBufferPointer(rebasing: bytes[500..<3000]), at: 500)  // overlaps
            let error = try #require(storeError {
                try session.append(UnsafeRawBufferPointer(rebasing: bytes[3500...]), at: 3500)
            })
            #expect(error.code == .offsetMismatch)
            try session.append(UnsafeRawBufferPointer(rebasing: bytes[3000...]), at: 3000)
        }
        #expect(session.committedOffset == UInt64(text.count))
        #expect(session.state.digest == (try onePassState(text, configuration: configuration).digest))
        #expect(try store.openSession(named: "notes").state.digest == session.state.digest)
    }

    @Test func aSecondWriterIsRefusedNotInterleaved() throws {
        let store = try MoMStore.inMemory()
        var first = try store.openSession(named: "notes", configuration: configuration)
        var second = try store.openSession(named: "notes")
        try first.append(Array("first writer".utf8))
        let error = try #require(storeError { try second.append(Array("second writer".utf8)) })
        #expect(error.code == .concurrentWrite)
        // The refused session goes back to what the database holds and can carry on.
        try second.append(Array(" continues".utf8))
        #expect(try store.loadState(of: "notes").state.digest
            == (try onePassState(Array("first writer continues".utf8), configuration: configuration).digest))
        storeError { try first.snapshot() }
    }

    @Test func theConfigurationIsStoredAndEnforced() throws {
        let store = try MoMStore.inMemory()
        _ = try store.openSession(named: "notes", configuration: configuration)
        #expect(try store.openSession(named: "notes").configuration == configuration)
        #expect(try store.document(named: "notes").configuration == configuration)
        let error = try #require(storeError { try store.openSession(named: "notes", configuration: .default) })
        #expect(error.code == .configurationMismatch)
        #expect(try store.openSession(named: "fresh").configuration == .default)
        let missing = try #require(storeError { try store.openSession(named: "absent", createIfMissing: false) })
        #expect(missing.code == .unknownDocument)
    }

    @Test(arguments: ["", "a/b", "a b", "notes\n", "café", String(repeating: "x", count: 129), "a;b", "~"])
    func invalidNamesAreRefused(name: String) throws {
        let store = try MoMStore.inMemory()
        let error = try #require(storeError { try store.openSession(named: name) })
        #expect(error.code == .invalidDocumentName)
        #expect(error.message.contains("A-Z a-z 0-9 . _ -"))
        #expect(try store.documents().isEmpty)
    }

    @Test func validNamesAreAccepted() throws {
        let store = try MoMStore.inMemory()
        for name in ["a", "notes.v2", "app_log-2024", String(repeating: "x", count: 128), "..."] {
            try store.createDocument(named: name)
        }
        #expect(try store.documents().count == 5)
    }

    @Test func documentsListTheirStatsAndDeleteRemovesEverything() throws {
        let store = try MoMStore.inMemory()
        for (name, tokens) in [("beta", 800), ("alpha", 1600)] {
            var session = try store.openSession(named: name, configuration: configuration, policy: SnapshotPolicy(everyTokens: 500))
            for piece in randomPieces(corpus(tokens: tokens), maxPiece: 700, seed: 1) {
                try session.append(piece)
                try session.snapshotIfDue()
            }
        }
        let documents = try store.documents()
        #expect(documents.map(\.name) == ["alpha", "beta"])
        #expect(documents.allSatisfy { $0.snapshotCount > 0 && $0.journalBytes > 0 && $0.snapshotBytes > 0 })
        #expect(documents[0].tokenCount > documents[1].tokenCount)

        try store.deleteDocument(named: "alpha")
        #expect(try store.documents().map(\.name) == ["beta"])
        let betaID = documents[1].id
        let leftovers = try store.sql { db in
            try ["snapshot", "journal", "routing_chunk"].map {
                try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0) WHERE document_id <> ?", arguments: [betaID])!
            }
        }
        #expect(leftovers == [0, 0, 0])
        let error = try #require(storeError { try store.deleteDocument(named: "alpha") })
        #expect(error.code == .unknownDocument)
    }

    @Test func olderSnapshotsAnswerAsOfTheirOffset() throws {
        let text = corpus(tokens: 5000)
        let store = try MoMStore.inMemory()
        var session = try store.openSession(
            named: "notes", configuration: configuration, policy: SnapshotPolicy(everyTokens: 1000, retained: 4))
        for piece in randomPieces(text, maxPiece: 600, seed: 5) {
            try session.append(piece)
            try session.snapshotIfDue()
        }
        let kept = try store.snapshots(of: "notes")
        #expect(kept.count == 4)
        for snapshot in kept {
            let expected = try onePassState(text[..<Int(snapshot.byteCount)], configuration: configuration)
            let byID = try store.loadState(of: "notes", at: .snapshot(id: snapshot.id))
            #expect(byID.state.digest == expected.digest)
            #expect(byID.state.digest == snapshot.digest)
            let byTokens = try store.loadState(of: "notes", at: .atOrBefore(tokens: snapshot.tokenCount + 1))
            #expect(byTokens.snapshot?.id == snapshot.id)
        }
        let current = try store.loadState(of: "notes", at: .atOrBefore(tokens: .max))
        #expect(current.state.digest == session.state.digest)
        storeError { try store.loadState(of: "notes", at: .atOrBefore(tokens: kept[0].tokenCount - 1)) }
        storeError { try store.loadState(of: "notes", at: .snapshot(id: 999_999)) }
    }

    /// The report's digest and size are the state's, whether it was restored from a snapshot
    /// alone (the snapshot's recorded digest) or with journal folded on top (computed).
    @Test func theReportsDigestIsTheStates() throws {
        let store = try MoMStore.inMemory()
        var session = try store.openSession(named: "notes", configuration: configuration)
        let text = corpus(tokens: 3000)
        try session.append(text[...])
        try session.snapshot()
        let snapshotOnly = try store.report(of: "notes")
        let expected = try onePassState(text[...], configuration: configuration)
        #expect(snapshotOnly.restoredFrom != nil)
        #expect(snapshotOnly.digest == expected.digest)
        #expect(snapshotOnly.stateBytes == expected.encoded().count)
        let more = corpus(tokens: 500, seed: 8)
        try session.append(more[...])
        let withJournal = try store.report(of: "notes")
        let expectedAfter = try onePassState(text + more, configuration: configuration)
        #expect(withJournal.digest == expectedAfter.digest)
        #expect(withJournal.digest != snapshotOnly.digest)
        #expect(withJournal.stateBytes == expectedAfter.encoded().count)
    }

    @Test func theReportSaysHowUnevenlyTheRouterLoadedTheMemories() throws {
        let store = try MoMStore.inMemory()
        var session = try store.openSession(named: "notes", configuration: configuration)
        try session.append(corpus(tokens: 4000)[...])
        let report = try store.report(of: "notes")
        let load = report.memoryLoad
        #expect(load.count == configuration.memories)
        let expected = Double(try #require(load.max())) / Double(try #require(load.min()))
        #expect(report.loadImbalance == expected)
        #expect(expected >= 1)
        try store.createDocument(named: "empty", configuration: configuration)
        #expect(try store.report(of: "empty").loadImbalance == nil)
    }
}
