import Foundation
import MoMAPI
import Testing

@testable import momd_server

/// Several daemons on one real PostgreSQL server (scripts/postgres.sh's, or MOMD_TEST_POSTGRES),
/// driven the way users drive them: curl and the momd CLI over loopback TCP.
@Suite(.serialized) final class ClusterTests {
    let directory: URL
    let database: String

    init() throws {
        directory = try temporaryDirectory()
        database = try Self.newDatabase()
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// A new empty database on the test server; its URL.
    static func newDatabase() throws -> String {
        var server = ProcessInfo.processInfo.environment["MOMD_TEST_POSTGRES"] ?? ""
        if server.isEmpty {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("scripts/postgres.sh")
            server = try shell(["bash", script.path, "start"]).split(separator: "\n").last.map(String.init) ?? ""
        }
        let name = "momd_cli_\(UUID().uuidString.prefix(8).lowercased())"
        try shell(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", server, "-c", "CREATE DATABASE \(name)"])
        var components = try #require(URLComponents(string: server))
        components.path = "/" + name
        return try #require(components.string)
    }

    @Test(.timeLimit(.minutes(5)))
    func ingestThroughOneDaemonAskThroughAnotherListThroughAThird() throws {
        let ports = try (0..<3).map { _ in try freeLoopbackPort() }
        let daemons = try ports.enumerated().map { index, port in
            try DaemonProcess.start(database: database, directory: directory, name: "daemon-\(index)", listenPort: port)
        }
        defer { for daemon in daemons { daemon.stop() } }
        let text = directory.appendingPathComponent("notes.txt")
        try Data("Maria was born in Lisbon in 1984. The garage door code is 4711. The train leaves at 7:45.\n".utf8).write(to: text)
        let ingest = try post(text, to: "http://127.0.0.1:\(ports[0])/v1/docs/notes/ingest")
        #expect(ingest.contains("\"committed_offset\":90"), "\(ingest)")
        // The second daemon does not hold the lease: its write and its ask go to the first.
        let more = directory.appendingPathComponent("more.txt")
        try Data("The boat to Faro sails on Sundays.\n".utf8).write(to: more)
        let forwarded = try post(more, to: "http://127.0.0.1:\(ports[1])/v1/docs/notes/ingest?offset=90")
        #expect(forwarded.contains("\"committed_offset\":125"), "\(forwarded)")
        let metrics = try shell(["curl", "-sS", "http://127.0.0.1:\(ports[1])/metrics"])
        #expect(metrics.contains("momd_forwarded_requests_total 1"))
        let answer = try Momd.run(["ask", "notes", "What is the garage door code?"], environment: ["MOMD_HOST": daemons[1].host])
        #expect(answer.status == 0 && answer.stdout == "4711\n", "\(answer.stderr)")
        let boat = try Momd.run(["ask", "notes", "The boat to Faro sails on"], environment: ["MOMD_HOST": daemons[2].host])
        #expect(boat.stdout.contains("Sundays"), "\(boat.stdout) \(boat.stderr)")
        let listed = try Momd.run(["docs"], environment: ["MOMD_HOST": daemons[2].host])
        #expect(listed.stdout.hasPrefix("notes\t"), "\(listed.stdout)")
        let report = try Momd.run(["show", "notes", "--json"], environment: ["MOMD_HOST": daemons[2].host]).json()
        #expect(report["bytes"] as? Int == 125)
        #expect((report["lease"] as? [String: Any])?["address"] as? String == "127.0.0.1:\(ports[0])")
        // Embedded against the same database, while a daemon holds the lease: refused, and named.
        let embedded = try Momd.run(["ingest", "notes", "--db", database], stdin: more)
        #expect(embedded.status == 75, "\(embedded.stderr)")
        #expect(embedded.stderr.contains("127.0.0.1:\(ports[0])"), "\(embedded.stderr)")
        // Reads need no lease.
        let shown = try Momd.run(["show", "notes", "--db", database, "--json"])
        #expect(try shown.json()["bytes"] as? Int == 125)
    }

    @Test(.timeLimit(.minutes(5)))
    func daemonsWithAPIKeysForwardWithTheFilesWriteKey() throws {
        let keys = directory.appendingPathComponent("keys.txt")
        try Data("read r-0000000000000000\nwrite w-1111111111111111\nwrite w-2222222222222222\n".utf8).write(to: keys)
        let ports = try (0..<2).map { _ in try freeLoopbackPort() }
        let daemons = try ports.enumerated().map { index, port in
            try DaemonProcess.start(
                database: database, directory: directory, name: "keyed-\(index)", listenPort: port, extra: ["--api-key-file", keys.path],
                apiKey: "r-0000000000000000")
        }
        defer { for daemon in daemons { daemon.stop() } }
        let text = directory.appendingPathComponent("notes.txt")
        try Data("The garage door code is 4711.\n".utf8).write(to: text)
        let key = ["-H", "Authorization: Bearer w-2222222222222222"]
        #expect(try post(text, to: "http://127.0.0.1:\(ports[0])/v1/docs/notes/ingest", curl: ["-f"] + key).contains("\"committed_offset\":30"))
        // The second daemon forwards to the holder with its own key (the file's first write
        // key), not the client's, and the holder's Host check takes its listen address.
        let more = directory.appendingPathComponent("more.txt")
        try Data("The boat to Faro sails on Sundays.\n".utf8).write(to: more)
        let forwarded = try post(more, to: "http://127.0.0.1:\(ports[1])/v1/docs/notes/ingest?offset=30", curl: key)
        #expect(forwarded.contains("\"committed_offset\":65"), "\(forwarded)")
        let metrics = try shell(["curl", "-sS", "-H", "Authorization: Bearer r-0000000000000000", "http://127.0.0.1:\(ports[1])/metrics"])
        #expect(metrics.contains("momd_forwarded_requests_total 1"))
        let answer = try Momd.run(
            ["ask", "notes", "What is the garage door code?"], environment: ["MOMD_HOST": daemons[1].host, "MOMD_API_KEY": "r-0000000000000000"])
        #expect(answer.status == 0 && answer.stdout == "4711\n", "\(answer.stderr)")
    }

    @Test(.timeLimit(.minutes(5)))
    func aLeaseStolenBetweenTwoWritesRefusesTheSecondWholeWithARetryableError() throws {
        let port = try freeLoopbackPort()
        let daemon = try DaemonProcess.start(
            database: database, directory: directory, name: "daemon", listenPort: port, extra: ["--lease-seconds", "30"])
        defer { daemon.stop() }
        let text = directory.appendingPathComponent("first.txt")
        try Data("The garage door code is 4711.\n".utf8).write(to: text)
        let url = "http://127.0.0.1:\(port)/v1/docs/notes/ingest"
        _ = try post(text, to: url, curl: ["-f"])
        // Another writer takes the lease behind the daemon's back (its renewal is not due for 10 s).
        try shell([
            "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", database, "-c",
            "UPDATE lease SET owner = 'thief', address = '', token = nextval('lease_token')",
        ])
        let second = directory.appendingPathComponent("second.txt")
        try Data("The boat sails on Sundays.\n".utf8).write(to: second)
        let refused = try post(second, to: url + "?offset=30", curl: ["-i"])
        #expect(refused.hasPrefix("HTTP/1.1 503"), "\(refused)")
        #expect(refused.lowercased().contains("retry-after: "), "\(refused)")
        #expect(refused.contains("\"lease_lost\""), "\(refused)")
        // Nothing of the refused write was applied; the thief is named as the holder.
        let shown = try Momd.run(["show", "notes", "--db", database, "--json"]).json()
        #expect(shown["bytes"] as? Int == 30)
        #expect((shown["lease"] as? [String: Any])?["owner"] as? String == "thief")
        #expect(try shell(["psql", "-X", "-A", "-t", database, "-c", "SELECT count(*) FROM journal"]) == "1\n")
    }

    @Test func anUnreachableServerOrAWrongPasswordIsOneLineNamingTheHostExit69() throws {
        var components = try #require(URLComponents(string: database))
        components.password = "wrong"
        let wrong = try Momd.run(["docs", "--db", components.string!])
        #expect(wrong.status == 69)
        #expect(wrong.stderrLines.count == 1 && wrong.stderr.contains("password") && wrong.stderr.contains("127.0.0.1"), "\(wrong.stderr)")
        #expect(!wrong.stderr.contains("wrong"), "the password is not echoed")
        components.password = "momd"
        components.port = 1
        let unreachable = try Momd.run(["ingest", "notes", "--db", components.string!])
        #expect(unreachable.status == 69)
        #expect(unreachable.stderr.contains("127.0.0.1:1"), "\(unreachable.stderr)")
    }

    @Test(.timeLimit(.minutes(10)))
    func twentyOwnersKilledMidIngestLoseNothingAndNeverWriteTwice() throws {
        let scratch = directory.appendingPathComponent("bench")
        let result = try Momd.run([
            "bench", "cluster", "--db", database, "--daemons", "3", "--clients", "2", "--seconds", "1", "--kills", "20",
            "--kill-bytes", "8192", "--lease-seconds", "1", "--store-tokens", "2000", "--directory", scratch.path, "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try result.json()
        let failover = try #require(json["failover"] as? [String: Any])
        #expect(failover["kills"] as? Int == 20)
        #expect(failover["acknowledged_bytes_lost"] as? Int == 0)
        #expect(failover["double_owners"] as? Int == 0)
        #expect((failover["owners"] as? Int ?? 0) >= 2, "the document moved between daemons")
        #expect(failover["bytes"] as? Int == 20 * 8192 + 1024)
        let digest = try #require(failover["digest"] as? String)
        #expect(digest == failover["uninterrupted_digest"] as? String)
        // Checked apart from the benchmark: the same bytes folded in one pass into SQLite.
        let input = scratch.appendingPathComponent("failover-input.txt")
        let sqlite = directory.appendingPathComponent("one-pass.sqlite").path
        let onePass = try Momd.run(["ingest", "one", "--db", sqlite, "--json"], stdin: input)
        #expect(try onePass.json()["digest"] as? String == digest)
        let throughput = try #require(json["throughput"] as? [[String: Any]])
        #expect(throughput.first?["ingest_errors"] as? Int == 0)
        #expect(throughput.first?["ask_errors"] as? Int == 0)
        #expect((throughput.first?["asks"] as? Int ?? 0) > 0)
    }
}

/// POSTs a file as an octet stream with curl (plus `curl` options); what curl printed.
func post(_ file: URL, to url: String, curl options: [String] = []) throws -> String {
    try shell(
        ["curl", "-sS"] + options + ["-X", "POST", "-H", "Content-Type: application/octet-stream", "--data-binary", "@" + file.path, url])
}

/// Runs a command; its standard output. Throws with its standard error if it fails.
@discardableResult
func shell(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ShellError(description: "\(arguments[0]) failed (\(process.terminationStatus)): \(String(decoding: errorData, as: UTF8.self))")
    }
    return String(decoding: data, as: UTF8.self)
}

struct ShellError: Error, CustomStringConvertible {
    let description: String
}
