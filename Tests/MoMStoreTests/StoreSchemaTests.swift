import Foundation
import GRDB
import Testing

@testable import MoMStore

@Suite struct StoreSchemaTests {
    @Test func embeddedMigrationsEqualTheirFilesByteForByte() throws {
        let directory = repositoryRoot.appendingPathComponent("schemas")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files == StoreSchema.migrations.map(\.identifier))
        for migration in StoreSchema.migrations {
            let file = try Data(contentsOf: directory.appendingPathComponent(migration.identifier))
            #expect(file == Data(migration.sql.utf8), "\(migration.identifier) differs from its embedded copy")
        }
    }

    @Test func aNewStoreHasTheDocumentedSchema() throws {
        let store = try MoMStore.inMemory()
        try #require(store.sqliteWriter).read { db in
            #expect(try Int32.fetchOne(db, sql: "PRAGMA application_id") == 0x6D6F_6D64)
            #expect(try Int.fetchOne(db, sql: "PRAGMA user_version") == 1)
            #expect(StoreSchema.version == 1)
            let tables = try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            #expect(tables == ["document", "grdb_migrations", "journal", "routing_chunk", "snapshot", "token_route"])
            func columns(_ table: String) throws -> [String] {
                try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))").map { $0["name"] }
            }
            #expect(
                try columns("document")
                    == ["id", "name", "configuration", "fingerprint", "byte_count", "token_count", "created_at", "updated_at"])
            #expect(
                try columns("snapshot")
                    == ["id", "document_id", "byte_count", "token_count", "state_bytes", "digest", "created_at", "state"])
            #expect(try columns("journal") == ["document_id", "start_offset", "end_offset", "data"])
            #expect(try columns("routing_chunk") == ["document_id", "chunk_index", "tokens", "counts", "mean_weights"])
            #expect(try columns("token_route") == ["document_id", "first_token", "token_count", "top_k", "frame"])
            let cascades = try ["snapshot", "journal", "routing_chunk", "token_route"].map { table in
                try Row.fetchAll(db, sql: "PRAGMA foreign_key_list(\(table))").map { row -> String in
                    "\(row["table"] as String).\(row["to"] as String) \(row["on_delete"] as String)"
                }
            }
            #expect(cascades == Array(repeating: ["document.id CASCADE"], count: 4))
            #expect(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") == ["0001_initial.sql"])
        }
    }

    @Test func aFileOnDiskIsWALAndReopens() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("momd.sqlite").path
        do {
            let store = try MoMStore.open(path: path)
            try store.createDocument(named: "notes", configuration: .storeTest)
            #expect(try #require(store.sqliteWriter).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        }
        let reopened = try MoMStore.open(path: path, createIfMissing: false)
        #expect(try reopened.documents().map(\.name) == ["notes"])
    }

    /// A command that only reads opens the file with one read-only connection: the database and
    /// its WAL are left as they were (no set-up transaction, no checkpoint), a write through that
    /// store fails, and the store written before still opens for writing.
    @Test func aReadOnlyOpenWritesNothing() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("momd.sqlite").path
        do {
            let store = try MoMStore.open(path: path)
            try store.createDocument(named: "notes", configuration: .storeTest)
        }
        func walBytes() -> Int { (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0 }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(walBytes() == 0)
        do {
            let reader = try MoMStore.open(path: path, createIfMissing: false, readOnly: true)
            #expect(try reader.documents().map(\.name) == ["notes"])
            #expect(try reader.document(named: "notes").tokenCount == 0)
            #expect(throws: (any Error).self) { try reader.createDocument(named: "more", configuration: .storeTest) }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(walBytes() == 0)
        let writer = try MoMStore.open(path: path, createIfMissing: false)
        try writer.createDocument(named: "more", configuration: .storeTest)
        #expect(try writer.documents().map(\.name).sorted() == ["more", "notes"])
    }

    /// A read-only open of a file that lacks the schema (here an empty one) opens it as a
    /// writable store does, which sets the schema up; a foreign file is refused untouched.
    @Test func aReadOnlyOpenOfAFileWithoutTheSchemaSetsItUp() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("empty.sqlite").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let store = try MoMStore.open(path: path, readOnly: true)
        #expect(try #require(store.sqliteWriter).read { try Int.fetchOne($0, sql: "PRAGMA user_version") } == 1)
        #expect(try store.documents().isEmpty)
        let text = directory.appendingPathComponent("notes.txt").path
        let contents = Data("Not a database.\n".utf8)
        #expect(FileManager.default.createFile(atPath: text, contents: contents))
        #expect(storeError { try MoMStore.open(path: text, readOnly: true) }?.code == .notMomdDatabase)
        #expect(try Data(contentsOf: URL(fileURLWithPath: text)) == contents)
    }

    @Test func aNewFileHasLargePagesAndAnOldOneKeepsItsOwn() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func pageSize(_ store: MoMStore) throws -> Int? {
            try #require(store.sqliteWriter).read { try Int.fetchOne($0, sql: "PRAGMA page_size") }
        }
        let fresh = try MoMStore.open(path: directory.appendingPathComponent("new.sqlite").path)
        try fresh.createDocument(named: "notes", configuration: .storeTest)
        #expect(try pageSize(fresh) == SQLiteBackend.pageSize)
        #expect(try #require(fresh.sqliteWriter).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        // A file written before (4 KiB pages) opens and keeps them.
        let old = directory.appendingPathComponent("old.sqlite")
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("fixtures/snapshot-v1/notes.sqlite"), to: old)
        let reopened = try MoMStore.open(path: old.path, createIfMissing: false)
        #expect(try pageSize(reopened) == 4096)
        #expect(try reopened.documents().map(\.name) == ["notes"])
    }

    @Test func anEmptyFileIsInitialised() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("empty.sqlite").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let store = try MoMStore.open(path: path)
        #expect(try #require(store.sqliteWriter).read { try Int.fetchOne($0, sql: "PRAGMA user_version") } == 1)
    }

    @Test func aMissingFileIsNotCreatedWhenAskedNotTo() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("absent.sqlite").path
        #expect(storeError { try MoMStore.open(path: path, createIfMissing: false) }?.code == .unknownDocument)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func aTextFileIsRefusedUntouched() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("notes.txt").path
        let contents = Data("These are my notes, not a database.\n".utf8)
        #expect(FileManager.default.createFile(atPath: path, contents: contents))
        let error = try #require(storeError { try MoMStore.open(path: path) })
        #expect(error.code == .notMomdDatabase)
        #expect(error.message.contains("not a momd database"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == contents)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["notes.txt"])
    }

    @Test func anotherApplicationsDatabaseIsRefusedUntouched() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("other.sqlite").path
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: "CREATE TABLE bookmarks (url TEXT); INSERT INTO bookmarks VALUES ('https://example.com')")
            }
            try queue.close()
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let error = try #require(storeError { try MoMStore.open(path: path) })
        #expect(error.code == .notMomdDatabase)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        // Not through the path either: an open connection is refused before any migration.
        let queue = try DatabaseQueue(path: path)
        storeError { try MoMStore(writer: queue) }
        try queue.close()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func aNewerSchemaIsRefusedUntouched() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("newer.sqlite").path
        do {
            let queue = try DatabaseQueue(path: path)
            _ = try MoMStore(writer: queue)
            try queue.write { db in try db.execute(sql: "PRAGMA user_version = 2") }
            try queue.close()
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let error = try #require(storeError { try MoMStore.open(path: path) })
        #expect(error.code == .newerSchema)
        #expect(error.message.contains("schema version 2, newer than this momd's 1"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }
}
