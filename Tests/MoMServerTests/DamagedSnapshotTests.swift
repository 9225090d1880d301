import Foundation
import GRDB
import Hummingbird
import MoMAPI
import MoMBench
import MoMServer
import MoMStore
import Testing

/// A damaged snapshot the daemon skips is not silent: the metrics count it, and the answer comes
/// from the snapshot before it plus the journal.
@Suite struct DamagedSnapshotTests {
    /// A store holding a pass-key document with three snapshots, the newest one damaged.
    func damagedStore() throws -> MoMStore {
        let store = try MoMStore.inMemory()
        var session = try store.openSession(named: "notes", policy: SnapshotPolicy(everyTokens: 1500, retained: 3))
        for piece in Array(passkeyText(tokens: 4000).utf8).chunked(into: 700) {
            try session.append(Array(piece))
            try session.snapshotIfDue()
        }
        let writer = try #require(store.sqliteWriter)
        try writer.write { db in
            // Four bytes in the middle of the newest snapshot's blob changed.
            try db.execute(sql: """
                UPDATE snapshot SET state = CAST(substr(state, 1, 10000) || X'6D6F6D64' || substr(state, 10005) AS BLOB)
                WHERE id = (SELECT max(id) FROM snapshot)
                """)
        }
        return store
    }

    @Test("an open that skips a damaged snapshot is counted and still answers", arguments: [8, 1])
    func skippedSnapshotsAreCounted(hotDocuments: Int) async throws {
        let store = try damagedStore()
        #expect(try store.snapshots(of: "notes").count >= 2)
        let daemon = try TestDaemon(hotDocuments: hotDocuments, store: store)
        try await daemon.test { client in
            // With room in the hot set the ask opens the document whole; with one hot document
            // (taken by "other") it reads the snapshot on demand.
            if hotDocuments == 1 {
                try await client.execute(uri: "/v1/docs/other/ingest", method: .post, body: ByteBuffer(string: "Some text.")) {
                    #expect($0.status == .ok)
                }
            }
            let answer = try await client.execute(
                uri: "/v1/docs/notes/ask", method: .post, body: try json(AskRequest(question: Passkey.question))
            ) { try decode(AskResponse.self, $0) }
            #expect(answer.answer == "68048")
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains("momd_snapshots_skipped_total 1"), "\(metrics)")
        }
    }
}

extension Array {
    func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
