import Foundation
import MoMCore
import Testing

@testable import MoMStore

/// What every store backend guarantees, run on each: SQLite and a real PostgreSQL server.
@Suite("store contract, on SQLite and on PostgreSQL", .serialized)
struct StoreContractTests {
    let configuration = MoMConfiguration.storeTest

    @Test(arguments: BackendKind.allCases)
    func documentsAreCreatedListedAndDeletedByName(kind: BackendKind) throws {
        let test = try TestStore(kind)
        let store = test.store
        #expect(try store.documents().isEmpty)
        let created = try store.createDocument(named: "b-notes", configuration: configuration)
        #expect(created.byteCount == 0 && created.tokenCount == 0 && created.configuration == configuration)
        #expect(try store.createDocument(named: "b-notes", configuration: configuration).id == created.id)  // idempotent
        try store.createDocument(named: "a-notes", configuration: .tinyStoreTest)
        #expect(try store.documents().map(\.name) == ["a-notes", "b-notes"])
        #expect(storeError { try store.createDocument(named: "b-notes", configuration: .tinyStoreTest) }?.code == .configurationMismatch)
        #expect(storeError { try store.document(named: "c-notes") }?.code == .unknownDocument)
        #expect(storeError { try store.createDocument(named: "bad name!") }?.code == .invalidDocumentName)
        try store.deleteDocument(named: "b-notes")
        #expect(try store.documents().map(\.name) == ["a-notes"])
        #expect(storeError { try store.deleteDocument(named: "b-notes") }?.code == .unknownDocument)
    }

    @Test(arguments: BackendKind.allCases)
    func anySplitAndAnyReopeningRestoreTheOnePassStateBitForBit(kind: BackendKind) throws {
        let test = try TestStore(kind)
        let text = corpus(tokens: 5000)
        let expected = try onePassState(text, configuration: configuration).digest
        var session = try test.store.openSession(
            named: "notes", configuration: configuration, policy: SnapshotPolicy(everyTokens: 900, everySeconds: 3600, retained: 2))
        let pieces = randomPieces(text, maxPiece: 900, seed: 4)
        for (index, piece) in pieces.enumerated() {
            try session.append(piece)
            try session.snapshotIfDue()
            if index == pieces.count / 2 {
                // Dropped without close, as a crash would; a new connection pool picks it up.
                try session.releaseLease()
                session = try test.reopened().openSession(named: "notes", policy: session.policy)
            }
        }
        #expect(session.state.digest == expected)
        try session.releaseLease()
        let other = try test.reopened()
        #expect(try other.loadState(of: "notes").state.digest == expected)
        #expect(try other.openSession(named: "notes").state.digest == expected)
        let document = try other.document(named: "notes")
        #expect(document.byteCount == UInt64(text.count))
        #expect(document.snapshotCount == 2)
        #expect(document.journalBytes > 0)
        // The same bytes make the same state on either backend: the digest is the engine's.
        let sqlite = try MoMStore.inMemory()
        var plain = try sqlite.openSession(named: "notes", configuration: configuration)
        try plain.append(text[...])
        #expect(plain.state.digest == expected)
    }

    @Test(arguments: BackendKind.allCases)
    func appendsAtAnOffsetSkipWhatIsHeldAndRefuseAGap(kind: BackendKind) throws {
        let test = try TestStore(kind)
        var session = try test.store.openSession(named: "notes", configuration: configuration)
        let text = Array("one two three four five six seven".utf8)
        try text.withUnsafeBytes { _ = try session.append(UnsafeRawBufferPointer(rebasing: $0[0..<13]), at: 0) }
        try text.withUnsafeBytes { _ = try session.append(UnsafeRawBufferPointer(rebasing: $0[8...]), at: 8) }  // overlaps 8..<13
        #expect(session.committedOffset == UInt64(text.count))
        #expect(session.state.digest == (try onePassState(text, configuration: configuration).digest))
        let gap = storeError { try text.withUnsafeBytes { try session.append($0, at: UInt64(text.count) + 5) } }
        #expect(gap?.code == .offsetMismatch)
        #expect(try test.store.document(named: "notes").byteCount == UInt64(text.count))
    }

    @Test(arguments: BackendKind.allCases)
    func aSecondWriterIsRefusedAndLosesNothing(kind: BackendKind) throws {
        let test = try TestStore(kind)
        // Two writers, as two processes would be (on SQLite the daemon's lock keeps a second
        // process out; the check here is the store's own).
        var first = try test.store.openSession(
            named: "notes", configuration: configuration, leaseHolder: LeaseHolder(owner: "first"))
        try first.append(Array("first writer ".utf8)[...])
        try first.releaseLease()
        var second = try test.reopened().openSession(named: "notes", leaseHolder: LeaseHolder(owner: "second"))
        try second.append(Array("second writer ".utf8)[...])
        // The first session's state is behind: its write is refused whole, then it catches up.
        let refused = storeError { try first.append(Array("stale ".utf8)[...]) }
        #expect(refused?.code == (kind == .sqlite ? .concurrentWrite : .leaseHeld))
        try second.releaseLease()
        try first.append(Array("third ".utf8)[...])
        let text = Array("first writer second writer third ".utf8)
        #expect(first.state.digest == (try onePassState(text, configuration: configuration).digest))
        #expect(try test.store.loadState(of: "notes").state.digest == first.state.digest)
    }

    @Test(arguments: BackendKind.allCases)
    func aDamagedSnapshotFallsBackToTheOneBeforePlusTheJournal(kind: BackendKind) throws {
        let test = try TestStore(kind)
        let text = corpus(tokens: 3000)
        var session = try test.store.openSession(
            named: "notes", configuration: configuration, policy: SnapshotPolicy(everyTokens: 1000, everySeconds: 3600, retained: 3))
        for piece in randomPieces(text, maxPiece: 500, seed: 11) {
            try session.append(piece)
            try session.snapshotIfDue()
        }
        try session.close()
        try session.releaseLease()
        let expected = session.state.digest
        let newest = try #require(try test.store.snapshots(of: "notes").last)
        // Flip one byte in the middle of the newest blob.
        switch kind {
        case .sqlite:
            try test.execute(
                "UPDATE snapshot SET state = CAST(substr(state, 1, length(state) / 2) || X'5A' || substr(state, length(state) / 2 + 2) AS BLOB) WHERE id = \(newest.id)")
        case .postgres:
            try test.execute(
                "UPDATE snapshot SET state = set_byte(state, octet_length(state) / 2, (get_byte(state, octet_length(state) / 2) + 1) % 256) WHERE id = \(newest.id)")
        }
        let loaded = try test.reopened().loadState(of: "notes")
        #expect(loaded.state.digest == expected)
        #expect(loaded.snapshot?.id != newest.id)
        #expect(loaded.warnings.count == 1)
        #expect(loaded.warnings.first?.message.contains("snapshot \(newest.id)") == true)
    }

    @Test(arguments: BackendKind.allCases)
    func routingHistoryAndTokenRoutesAreStoredWithTheirAppends(kind: BackendKind) throws {
        let test = try TestStore(kind)
        let text = corpus(tokens: 1200)
        var state = try MoMState(configuration: configuration)
        try state.startRecordingTokenRoutes()
        state.fold(text)
        let chunks = state.drainRoutingChunks()
        var session = try test.store.openSession(named: "notes", configuration: configuration, recordsTokenRoutes: true)
        for piece in randomPieces(text, maxPiece: 300, seed: 5) { try session.append(piece) }
        #expect(try test.store.routingHistory(of: "notes") == chunks)
        #expect(try test.store.routingHistory(of: "notes", from: 3, limit: 2) == Array(chunks[3..<5]))
        let routes = try test.store.tokenRoutes(of: "notes", from: 100, limit: 50)
        #expect(routes.count == 50)
        let expected = state.drainTokenRoutes().map { all in (100..<150).map { all.route(at: $0) } }
        #expect(routes == expected)
    }

    @Test(arguments: BackendKind.allCases)
    func aDatabaseOfAnotherApplicationIsRefusedUntouched(kind: BackendKind) throws {
        let location: String
        switch kind {
        case .sqlite:
            location = try temporaryDirectory().appendingPathComponent("other.sqlite").path
            try run("sqlite3", [location, "CREATE TABLE orders (id INTEGER PRIMARY KEY)"])
        case .postgres:
            location = try TestPostgres.createDatabase()
            try run("psql", ["-X", "-q", location, "-c", "CREATE TABLE orders (id INTEGER PRIMARY KEY)"])
        }
        let refused = storeError { try MoMStore.open(location: location) }
        #expect(refused?.code == .notMomdDatabase)
        let tables: [String]
        switch kind {
        case .sqlite: tables = try run("sqlite3", [location, "SELECT name FROM sqlite_master"])
        case .postgres: tables = try run("psql", ["-X", "-A", "-t", location, "-c", "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"])
        }
        #expect(tables == ["orders"])
    }

    @Test(arguments: BackendKind.allCases)
    func aNewerSchemaIsRefusedUntouched(kind: BackendKind) throws {
        let test = try TestStore(kind)
        try test.store.createDocument(named: "notes", configuration: configuration)
        switch kind {
        case .sqlite: try test.execute("PRAGMA user_version = 99")
        case .postgres: try test.execute("UPDATE momd_schema SET version = 99")
        }
        let refused = storeError { try test.reopened() }
        #expect(refused?.code == .newerSchema)
        #expect(refused?.message.contains("99") == true)
        switch kind {
        case .sqlite: #expect(try test.execute("PRAGMA user_version") == ["99"])
        case .postgres: #expect(try test.execute("SELECT version FROM momd_schema") == ["99"])
        }
        #expect(try test.execute("SELECT name FROM document") == ["notes"])
    }
}
