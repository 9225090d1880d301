import Foundation
import MoMCore
import Testing

@testable import MoMStore
@testable import MoMStorePostgres

/// What only the PostgreSQL store does: leases, fencing, its URL and its errors.
@Suite("PostgreSQL store", .serialized)
struct PostgresStoreTests {
    let configuration = MoMConfiguration.storeTest

    @Test func aLeaseIsHeldUntilItLapsesAndEveryNewHolderGetsALargerToken() throws {
        let test = try TestStore(.postgres)
        let store = test.store
        try store.createDocument(named: "notes", configuration: configuration)
        let duration = Duration.milliseconds(600)
        guard case .acquired(let first) = try store.acquireLease(of: "notes", owner: "a", address: "127.0.0.1:1", duration: duration) else {
            Issue.record("a free lease was not taken")
            return
        }
        // The holder renews and keeps its token; another is refused and told who holds it.
        #expect(try store.acquireLease(of: "notes", owner: "a", address: "127.0.0.1:1", duration: duration) == .acquired(
            try #require(try store.leaseHolder(of: "notes"))))
        guard case .heldBy(let held) = try store.acquireLease(of: "notes", owner: "b", address: "127.0.0.1:2", duration: duration) else {
            Issue.record("a held lease was taken")
            return
        }
        #expect(held.owner == "a" && held.address == "127.0.0.1:1" && held.fence == first.fence)
        Thread.sleep(forTimeInterval: 0.8)
        guard case .acquired(let second) = try store.acquireLease(of: "notes", owner: "b", address: "127.0.0.1:2", duration: duration) else {
            Issue.record("a lapsed lease was not taken over")
            return
        }
        #expect(second.fence.token > first.fence.token)
        // Released, it is free at once.
        try store.releaseLease(of: "notes", fence: second.fence)
        guard case .acquired(let third) = try store.acquireLease(of: "notes", owner: "c", address: "", duration: duration) else {
            Issue.record("a released lease was not free")
            return
        }
        #expect(third.fence.token > second.fence.token)
    }

    @Test func aWriterWhoseLeaseWasTakenOverIsRefusedWholeAndTheNewHolderLosesNothing() throws {
        let test = try TestStore(.postgres)
        let short = Duration.milliseconds(500)
        var old = try test.store.openSession(
            named: "notes", configuration: configuration, leaseHolder: LeaseHolder(owner: "old", duration: short))
        try old.append(Array("acknowledged by the old owner. ".utf8)[...])
        let oldFence = try #require(old.fence)
        // The old owner pauses past its lease; a new one takes the document over and writes.
        Thread.sleep(forTimeInterval: 0.7)
        var new = try test.reopened().openSession(named: "notes", leaseHolder: LeaseHolder(owner: "new", duration: .seconds(30)))
        try new.append(Array("then the new owner. ".utf8)[...])
        #expect(try #require(new.fence).token > oldFence.token)
        // The old owner wakes up with its old token still in hand: the write is refused whole.
        let before = try test.store.document(named: "notes")
        let refused = storeError {
            try test.store.commitAppend(
                documentID: before.id, name: "notes", from: before.byteCount, to: before.byteCount + 6, tokenCount: before.tokenCount + 1,
                frame: LZ4Frame.compress(Array("stale ".utf8)), chunks: [], fence: oldFence)
        }
        #expect(refused?.code == .leaseLost)
        let after = try test.store.document(named: "notes")
        #expect(after.byteCount == before.byteCount && after.journalBytes == before.journalBytes)
        // Through its session the old owner is told who holds the document now, and where.
        let held = storeError { try old.append(Array("stale ".utf8)[...]) }
        #expect(held?.code == .leaseHeld)
        #expect(held?.holder?.owner == "new")
        let text = Array("acknowledged by the old owner. then the new owner. ".utf8)
        #expect(try test.store.loadState(of: "notes").state.digest == (try onePassState(text, configuration: configuration).digest))
        // Journal rows carry the token that wrote them, never decreasing along the document.
        let fences = try test.execute("SELECT fence FROM journal ORDER BY start_offset").compactMap { Int64($0) }
        #expect(fences == [oldFence.token, try #require(new.fence).token])
    }

    @Test func aDocumentDeletedUnderItsWriterIsSaidSo() throws {
        let test = try TestStore(.postgres)
        var session = try test.store.openSession(named: "notes", configuration: configuration)
        try session.append(Array("first words ".utf8)[...])
        try test.reopened().deleteDocument(named: "notes")
        let refused = storeError { try session.append(Array("more words ".utf8)[...]) }
        #expect(refused?.code == .unknownDocument)
    }

    @Test func aWriteWithoutALeaseIsRefused() throws {
        let test = try TestStore(.postgres)
        let document = try test.store.createDocument(named: "notes", configuration: configuration)
        let refused = storeError {
            try test.store.commitAppend(
                documentID: document.id, name: "notes", from: 0, to: 3, tokenCount: 1, frame: LZ4Frame.compress(Array("abc".utf8)),
                chunks: [])
        }
        #expect(refused?.code == .invalidArgument)
        #expect(try test.store.document(named: "notes").byteCount == 0)
    }

    @Test func urlsAreParsedAndBadOnesNamed() throws {
        let url = try PostgresURL(parsing: "postgres://alice:s%40cret@db.example:6543/momd")
        #expect(url.host == "db.example" && url.port == 6543 && url.user == "alice" && url.password == "s@cret" && url.database == "momd")
        #expect(url.redacted == "postgres://alice@db.example:6543/momd")
        #expect(try PostgresURL(parsing: "postgresql://bob@localhost/x").port == 5432)
        for bad in [
            "postgres://host-only", "postgres:///db", "postgres://h/db?application_name=x", "postgres://u:p@h/db?sslmode=prefer",
            "postgres://u:p@h/db?sslmode=allow", "postgres://u:p@h/db?sslmode=verify-full&sslmode=disable", "postgres://u:p@h/db?sslrootcert=",
        ] {
            let error = storeError { try PostgresURL(parsing: bad) }
            #expect(error?.code == .invalidArgument, "\(bad)")
            #expect(error?.message.contains("p@h") != true, "the password is not echoed")
        }
    }

    @Test func tlsModesAndRootCertificatesAreTakenFromTheURL() throws {
        let plain = try PostgresURL(parsing: "postgres://u:p@db.example/momd", environment: [:])
        #expect(plain.sslMode == .disable && plain.rootCertificate == nil)
        for mode in PostgresURL.SSLMode.allCases {
            let url = try PostgresURL(parsing: "postgres://u:p@db.example/momd?sslmode=\(mode.rawValue)&sslrootcert=/etc/momd/ca.pem", environment: [:])
            #expect(url.sslMode == mode && url.rootCertificate == "/etc/momd/ca.pem")
            #expect(url.redacted == "postgres://u@db.example:5432/momd" + (mode == .disable ? "" : "?sslmode=\(mode.rawValue)"))
        }
    }

    @Test func aPasswordOutsideTheURLComesFromAFileOrPGPASSFILE() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("momd-pgpass-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("password")
        try Data("s3cret:with:colons\nignored\n".utf8).write(to: file)
        let fromFile = try PostgresURL(parsing: "postgres://alice@db.example/momd", passwordFile: file.path, environment: [:])
        #expect(fromFile.password == "s3cret:with:colons")
        let inURL = try PostgresURL(parsing: "postgres://alice:url@db.example/momd", passwordFile: file.path, environment: [:])
        #expect(inURL.password == "url", "the URL's own password comes first")
        #expect(storeError { try PostgresURL(parsing: "postgres://alice@db.example/momd", passwordFile: directory.appendingPathComponent("none").path) }?
            .message.contains("no such file") == true)

        let pgpass = directory.appendingPathComponent("pgpass")
        try Data(
            """
            # host:port:database:user:password
            other.example:5432:momd:alice:wrong
            db.example:6543:*:alice:port-wrong
            db.example:5432:momd:bob:bob's
            db.example:*:momd:alice:a\\:b\\\\c
            *:*:*:*:fallback

            """.utf8
        ).write(to: pgpass)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: pgpass.path)
        let environment = ["PGPASSFILE": pgpass.path]
        #expect(try PostgresURL(parsing: "postgres://alice@db.example/momd", environment: environment).password == #"a:b\c"#)
        #expect(try PostgresURL(parsing: "postgres://bob@db.example/momd", environment: environment).password == "bob's")
        #expect(try PostgresURL(parsing: "postgres://carol@x.example/y", environment: environment).password == "fallback")
        #expect(try PostgresURL(parsing: "postgres://alice@db.example/momd", environment: [:]).password == nil)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: pgpass.path)
        let open = storeError { try PostgresURL(parsing: "postgres://alice@db.example/momd", environment: environment) }
        #expect(open?.message.contains("chmod 600") == true, "\(String(describing: open))")
    }

    @Test func anUnreachableServerOrAWrongPasswordIsNamedAtOnce() throws {
        let server = try TestPostgres.serverURL.get()
        var components = try #require(URLComponents(string: server))
        let clock = ContinuousClock()
        let started = clock.now
        components.password = "wrong"
        let wrong = storeError { try MoMStore.open(location: components.string!) }
        #expect(wrong?.code == .unavailable)
        #expect(wrong?.message.contains("password") == true)
        components.password = "momd"
        components.port = 1
        let unreachable = storeError { try MoMStore.open(location: components.string!) }
        #expect(unreachable?.code == .unavailable)
        #expect(unreachable?.message.contains("127.0.0.1:1") == true)
        #expect(clock.now - started < .seconds(10), "no hang")
    }

    @Test func theMigrationFileIsTheEmbeddedOne() throws {
        for migration in PostgresSchema.migrations {
            let file = repositoryRoot.appendingPathComponent("schemas/postgres/\(migration.identifier)")
            #expect(try String(contentsOf: file, encoding: .utf8) == migration.sql)
        }
        #expect(PostgresSchema.statements(of: PostgresSchema.migration0001).count == 11)
    }
}
