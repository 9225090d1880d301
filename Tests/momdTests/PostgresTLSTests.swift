import Foundation
import MoMAPI
import Testing

@testable import momd_server

/// PostgreSQL over TLS, against the test server of scripts/postgres.sh, which speaks TLS with a
/// certificate from its own throwaway CA and lets the `momd_tls` role in over TLS only; and a
/// cluster whose daemons also speak TLS to their clients and to each other.
@Suite(.serialized) final class PostgresTLSTests {
    let directory: URL

    init() throws { directory = try temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(at: directory) }

    /// The test server's URL and the CA that signed its certificate.
    static func server() throws -> (url: String, authority: String) {
        let environment = ProcessInfo.processInfo.environment
        let script = packageRoot.appendingPathComponent("scripts/postgres.sh").path
        var server = environment["MOMD_TEST_POSTGRES"] ?? ""
        if server.isEmpty { server = try shell(["bash", script, "start"]).split(separator: "\n").last.map(String.init) ?? "" }
        var authority = environment["MOMD_TEST_POSTGRES_CA"] ?? ""
        if authority.isEmpty { authority = try shell(["bash", script, "ca"]).trimmingCharacters(in: .whitespacesAndNewlines) }
        return (server, authority)
    }

    /// A new database owned by `momd_tls`; its URL as that role, without a password, with `query`.
    func newDatabase(query: String) throws -> (url: String, authority: String) {
        let (server, authority) = try Self.server()
        var components = try #require(URLComponents(string: server))
        components.user = "momd_tls"
        components.password = "momd"
        components.query = "sslmode=require"
        let name = "momd_tls_\(UUID().uuidString.prefix(8).lowercased())"
        try shell(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", try #require(components.string), "-c", "CREATE DATABASE \(name)"])
        components.password = nil
        components.path = "/" + name
        components.query = query.replacingOccurrences(of: "CA", with: authority)
        return (try #require(components.string), authority)
    }

    /// A file holding the password of `momd_tls`, for its user alone.
    func passwordFile() throws -> String {
        let file = directory.appendingPathComponent("db-password")
        try Data("momd\n".utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        return file.path
    }

    @Test(.timeLimit(.minutes(8)))
    func theCLIConnectsWithVerifyFullAndThePasswordOutOfTheURL() throws {
        let (url, authority) = try newDatabase(query: "sslmode=verify-full&sslrootcert=CA")
        let text = directory.appendingPathComponent("notes.txt")
        try Data("The garage door code is 4711.\n".utf8).write(to: text)
        // The role logs in over TLS only: a connection that works was encrypted, and verify-full
        // checked the certificate against the CA and 127.0.0.1.
        let ingested = try Momd.run(["ingest", "notes", "--db", url, "--db-password-file", try passwordFile(), "--json"], stdin: text)
        #expect(ingested.status == 0, "\(ingested.stderr)")
        let pgpass = directory.appendingPathComponent("pgpass")
        try Data("127.0.0.1:*:*:momd_tls:momd\n".utf8).write(to: pgpass)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: pgpass.path)
        let asked = try Momd.run(["ask", "notes", "What is the garage door code?", "--db", url], environment: ["PGPASSFILE": pgpass.path])
        #expect(asked.status == 0 && asked.stdout == "4711\n", "\(asked.stderr)")
        #expect(ingested.stderr.isEmpty && !ingested.stdout.contains("momd\""), "no password in the output")

        // Plain TCP for this role is refused by the server; verify-full against a CA that did
        // not sign the server's certificate is refused here; both exit 69, naming the server.
        let other = try TestCertificates.make(in: directory.appendingPathComponent("tls"))
        let wrongCA = try Momd.run(["docs", "--db", url.replacingOccurrences(of: authority, with: other.authority)], environment: ["PGPASSFILE": pgpass.path])
        #expect(wrongCA.status == 69 && wrongCA.stderr.contains("TLS") && wrongCA.stderr.contains("127.0.0.1"), "\(wrongCA.stderr)")
        let plain = try Momd.run(
            ["docs", "--db", url.replacingOccurrences(of: "sslmode=verify-full", with: "sslmode=disable")], environment: ["PGPASSFILE": pgpass.path])
        #expect(plain.status == 69 && plain.stderr.contains("no encryption"), "\(plain.stderr)")
        let required = try Momd.run(
            ["docs", "--db", url.replacingOccurrences(of: "sslmode=verify-full", with: "sslmode=require")], environment: ["PGPASSFILE": pgpass.path])
        #expect(required.status == 0 && required.stdout.hasPrefix("notes\t"), "\(required.stderr)")
        let prefer = try Momd.run(["docs", "--db", url.replacingOccurrences(of: "sslmode=verify-full", with: "sslmode=prefer")])
        #expect(prefer.status == 64 && prefer.stderr.contains("verify-full"), "\(prefer.stderr)")
        let noPassword = try Momd.run(["docs", "--db", url], environment: ["PGPASSFILE": directory.appendingPathComponent("none").path])
        #expect(noPassword.status == 64 && noPassword.stderr.contains("no such file"), "\(noPassword.stderr)")
    }

    @Test(.timeLimit(.minutes(5)))
    func daemonsOnTLSPostgresServeHTTPSAndForwardOverIt() throws {
        let (url, _) = try newDatabase(query: "sslmode=verify-full&sslrootcert=CA")
        let certificates = try TestCertificates.make(in: directory.appendingPathComponent("tls"))
        let keys = directory.appendingPathComponent("keys.txt")
        try Data("read r-0000000000000000\nwrite w-1111111111111111\n".utf8).write(to: keys)
        let ports = try (0..<2).map { _ in try freeLoopbackPort() }
        let daemons = try ports.enumerated().map { index, port in
            try DaemonProcess.start(
                database: url, directory: directory, name: "tls-\(index)", listenPort: port,
                extra: ["--db-password-file", try passwordFile(), "--api-key-file", keys.path], apiKey: "r-0000000000000000",
                certificates: certificates)
        }
        defer { for daemon in daemons { daemon.stop() } }
        let text = directory.appendingPathComponent("notes.txt")
        try Data("The garage door code is 4711.\n".utf8).write(to: text)
        let write = ["--cacert", certificates.authority, "-H", "Authorization: Bearer w-1111111111111111"]
        #expect(try post(text, to: "https://127.0.0.1:\(ports[0])/v1/docs/notes/ingest", curl: ["-f"] + write).contains("\"committed_offset\":30"))
        // The second daemon forwards to the holder's https:// address, trusting the CA it was given.
        let more = directory.appendingPathComponent("more.txt")
        try Data("The boat to Faro sails on Sundays.\n".utf8).write(to: more)
        let forwarded = try post(more, to: "https://127.0.0.1:\(ports[1])/v1/docs/notes/ingest?offset=30", curl: write)
        #expect(forwarded.contains("\"committed_offset\":65"), "\(forwarded)")
        let metrics = try shell(["curl", "-sS", "--cacert", certificates.authority, "-H", "Authorization: Bearer r-0000000000000000", "https://127.0.0.1:\(ports[1])/metrics"])
        #expect(metrics.contains("momd_forwarded_requests_total 1"), "\(metrics)")
        let environment = ["MOMD_HOST": daemons[1].host, "MOMD_API_KEY": "r-0000000000000000", "MOMD_CACERT": certificates.authority]
        let answer = try Momd.run(["ask", "notes", "The boat to Faro sails on"], environment: environment)
        #expect(answer.status == 0 && answer.stdout.contains("Sundays"), "\(answer.stderr)")
        let report = try Momd.run(["show", "notes", "--json"], environment: environment).json()
        #expect((report["lease"] as? [String: Any])?["address"] as? String == "https://127.0.0.1:\(ports[0])")
    }
}
