import Foundation
import GRDB
import MoMCore
import Testing

@testable import MoMStore

/// A damaged snapshot is refused with a clear error and the store falls back to an older one
/// plus the journal, saying so; a damage nothing covers is an error, never a wrong state.
@Suite struct SnapshotCorruptionTests {
    /// A document with `snapshots` snapshots and journal after the last one.
    func makeDocument(
        configuration: MoMConfiguration = .storeTest, tokens: Int = 4000, everyTokens: UInt64 = 1000, retained: Int = 3
    ) throws -> (store: MoMStore, text: [UInt8], digest: String) {
        let text = corpus(tokens: tokens)
        let store = try MoMStore.inMemory()
        var session = try store.openSession(
            named: "notes", configuration: configuration, policy: SnapshotPolicy(everyTokens: everyTokens, retained: retained))
        for piece in randomPieces(text, maxPiece: 500, seed: 3) {
            try session.append(piece)
            try session.snapshotIfDue()
        }
        return (store, text, session.state.digest)
    }

    func blob(_ store: MoMStore, _ id: Int64) throws -> [UInt8] {
        try store.sql { db in [UInt8](try Data.fetchOne(db, sql: "SELECT state FROM snapshot WHERE id = ?", arguments: [id])!) }
    }

    func replaceBlob(_ store: MoMStore, _ id: Int64, with bytes: [UInt8]) throws {
        try store.sql { db in try db.execute(sql: "UPDATE snapshot SET state = ? WHERE id = ?", arguments: [Data(bytes), id]) }
    }

    @Test func everyChangedByteOfASnapshotIsRefused() throws {
        let (store, _, _) = try makeDocument(configuration: .tinyStoreTest, tokens: 300, everyTokens: 100)
        let snapshot = try #require(try store.snapshots(of: "notes").last)
        let original = try blob(store, snapshot.id)
        for position in original.indices {
            var damaged = original
            damaged[position] ^= position % 2 == 0 ? 0x01 : 0x80
            try replaceBlob(store, snapshot.id, with: damaged)
            do {
                _ = try store.loadState(of: "notes", at: .snapshot(id: snapshot.id))
                Issue.record("byte \(position) of the snapshot was changed and not detected")
            } catch let error as StoreError {
                #expect(error.code == .corruptData)
                #expect(error.message.hasPrefix("snapshot \(snapshot.id) of 'notes' is damaged: "))
            }
        }
        try replaceBlob(store, snapshot.id, with: original)
        #expect(try store.loadState(of: "notes", at: .snapshot(id: snapshot.id)).state.digest == snapshot.digest)
    }

    @Test func aDamagedSnapshotFallsBackToTheOneBeforePlusTheJournal() throws {
        let (store, _, digest) = try makeDocument()
        let kept = try store.snapshots(of: "notes")
        let newest = try #require(kept.last)
        var damaged = try blob(store, newest.id)
        damaged[damaged.count / 2] ^= 0x10
        try replaceBlob(store, newest.id, with: damaged)

        let loaded = try store.loadState(of: "notes")
        #expect(loaded.state.digest == digest)
        #expect(loaded.snapshot?.id == kept[kept.count - 2].id)
        #expect(loaded.replayedBytes == loaded.document.byteCount - kept[kept.count - 2].byteCount)
        #expect(loaded.damagedSnapshotIDs == [newest.id])
        let warning = try #require(loaded.warnings.first)
        #expect(loaded.warnings.count == 1)
        #expect(warning.message.contains("snapshot \(newest.id) of 'notes'"))
        #expect(warning.message.contains("was skipped"))
        #expect(warning.message.contains("restored from snapshot \(kept[kept.count - 2].id)"))

        // A session says the same, and its next snapshot replaces the damaged one.
        var session = try store.openSession(named: "notes")
        #expect(session.warnings == loaded.warnings)
        try session.append(Array(" more text".utf8))
        try session.snapshot()
        #expect(try !store.snapshots(of: "notes").contains { $0.id == newest.id })
        #expect(try store.loadState(of: "notes").warnings.isEmpty)
    }

    @Test func everySnapshotDamagedWithTheJournalTrimmedIsAnError() throws {
        let (store, _, _) = try makeDocument()
        for snapshot in try store.snapshots(of: "notes") {
            var damaged = try blob(store, snapshot.id)
            damaged[damaged.count - 1] ^= 0xFF
            try replaceBlob(store, snapshot.id, with: damaged)
        }
        let error = try #require(storeError { try store.loadState(of: "notes") })
        #expect(error.code == .corruptData)
        #expect(error.message.contains("cannot be restored"))
        storeError { try store.openSession(named: "notes") }
    }

    @Test func aDamagedJournalEntryIsAnError() throws {
        let (store, _, _) = try makeDocument()
        let newest = try #require(try store.snapshots(of: "notes").last)
        try store.sql { db in
            let start = try Int64.fetchOne(
                db, sql: "SELECT max(start_offset) FROM journal WHERE start_offset >= ?", arguments: [Int64(newest.byteCount)])!
            var data = [UInt8](try Data.fetchOne(db, sql: "SELECT data FROM journal WHERE start_offset = ?", arguments: [start])!)
            data[data.count / 2] ^= 0x04
            try db.execute(sql: "UPDATE journal SET data = ? WHERE start_offset = ?", arguments: [Data(data), start])
        }
        let error = try #require(storeError { try store.loadState(of: "notes") })
        #expect(error.code == .corruptData)
        #expect(error.message.contains("journal bytes"))
        #expect(error.message.contains("are damaged"))
    }

    @Test func aSnapshotRowThatDisagreesWithItsStateIsRefused() throws {
        let (store, _, digest) = try makeDocument()
        let newest = try #require(try store.snapshots(of: "notes").last)
        try store.sql { db in
            try db.execute(sql: "UPDATE snapshot SET token_count = token_count + 1 WHERE id = ?", arguments: [newest.id])
        }
        let error = try #require(storeError { try store.loadState(of: "notes", at: .snapshot(id: newest.id)) })
        #expect(error.message.contains("where its row says"))
        let loaded = try store.loadState(of: "notes")
        #expect(loaded.state.digest == digest)
        #expect(loaded.warnings.count == 1)
    }

    @Test func aSnapshotOfAnotherConfigurationIsRefused() throws {
        let (store, _, _) = try makeDocument()
        let newest = try #require(try store.snapshots(of: "notes").last)
        var foreign = try MoMState(configuration: .default)
        foreign.fold(Array("other".utf8))
        try replaceBlob(store, newest.id, with: LZ4Frame.compress(foreign.encoded()))
        try store.sql { db in
            try db.execute(
                sql: "UPDATE snapshot SET state_bytes = ? WHERE id = ?", arguments: [foreign.encoded().count, newest.id])
        }
        let error = try #require(storeError { try store.loadState(of: "notes", at: .snapshot(id: newest.id)) })
        #expect(error.message.contains("not the expected"))
    }
}
