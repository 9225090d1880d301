import Foundation
import MoMAPI
import Testing

@testable import momd_server

/// A writer that meets a dead owner's lease waits it out and takes over, instead of failing at
/// once: `momd ingest --resume` through another daemon, the daemon forwarding a write, and an
/// embedded ingest on PostgreSQL.
@Suite(.serialized) final class LeaseWaitTests {
    let directory: URL
    let database: String

    init() throws {
        directory = try temporaryDirectory()
        database = try ClusterTests.newDatabase()
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// A prose-like text of about `tokens` tokens.
    func haystack(tokens: String) throws -> URL {
        let file = directory.appendingPathComponent("input-\(tokens).txt")
        let made = try Momd.run(["bench", "haystack", "--tokens", tokens, "--key", "68048"])
        try #require(made.status == 0, "\(made.stderr)")
        try Data(made.stdout.utf8).write(to: file)
        return file
    }

    /// The digest of `input` folded in one pass into a fresh SQLite file.
    func onePassDigest(_ input: URL) throws -> String {
        let sqlite = directory.appendingPathComponent("one-pass-\(UUID().uuidString.prefix(6)).sqlite").path
        let folded = try Momd.run(["ingest", "one", "--db", sqlite, "--json"], stdin: input)
        try #require(folded.status == 0, "\(folded.stderr)")
        return try #require(try folded.json()["digest"] as? String)
    }

    @Test(.timeLimit(.minutes(5)))
    func anOwnerKilledDuringAResumeThroughAnotherDaemonIsWaitedOutAndTheClientFinishesByItself() throws {
        let input = try haystack(tokens: "64K")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: input.path)[.size] as? Int)
        let ports = try (0..<2).map { _ in try freeLoopbackPort() }
        let daemons = try ports.enumerated().map { index, port in
            try DaemonProcess.start(
                database: database, directory: directory, name: "daemon-\(index)", listenPort: port, extra: ["--lease-seconds", "2"])
        }
        defer { for daemon in daemons where daemon.process.isRunning { daemon.stop() } }
        // The first daemon holds the document: the first 4 KiB went through it.
        let head = directory.appendingPathComponent("head.txt")
        try Data(try Data(contentsOf: input).prefix(4096)).write(to: head)
        _ = try post(head, to: "http://127.0.0.1:\(ports[0])/v1/docs/notes/ingest", curl: ["-f"])

        // The whole input through the second daemon, which forwards each chunk to the first.
        let events = directory.appendingPathComponent("resume.out")
        let errors = directory.appendingPathComponent("resume.err")
        let client = try Momd.start(
            ["ingest", "notes", "--resume", "--events", "--chunk-bytes", "2048"], stdin: input, stdout: events, stderr: errors,
            environment: ["MOMD_HOST": daemons[1].host])
        // Once a few chunks are acknowledged, the owner dies.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, client.isRunning,
            ((try? String(contentsOf: events, encoding: .utf8)) ?? "").split(separator: "\n").count < 8
        {
            usleep(20_000)
        }
        kill(daemons[0].process.processIdentifier, SIGKILL)
        daemons[0].process.waitUntilExit()
        let killedAt = Date()
        client.waitUntilExit()
        let finished = Date().timeIntervalSince(killedAt)
        let errorText = try String(contentsOf: errors, encoding: .utf8)
        #expect(client.terminationStatus == 0, "\(errorText)")
        // The lease (2 s), the waits for it to pass, and the rest of the input folded, which
        // takes seconds of its own on a loaded 2-core machine: a client that hung on would not finish.
        #expect(finished < 2 + 5 + 15, "the client finished \(finished) s after the kill (lease 2 s)")
        let acks = try String(contentsOf: events, encoding: .utf8).split(separator: "\n")
        #expect(acks.last == "ack \(size)", "\(acks.suffix(3))")

        // Nothing acknowledged was lost or folded twice: the state is a one-pass fold's.
        let shown = try Momd.run(["show", "notes", "--json"], environment: ["MOMD_HOST": daemons[1].host]).json()
        #expect(shown["bytes"] as? Int == size)
        #expect(shown["digest"] as? String == (try onePassDigest(input)))
        let metrics = try shell(["curl", "-sS", "http://127.0.0.1:\(ports[1])/metrics"])
        #expect(metrics.contains("momd_lease_waits_total 1"), "the daemon waited the lease out itself")
    }

    @Test(.timeLimit(.minutes(3)))
    func theClientWaitsOutALeaseNoDaemonCanBeForwardedToAndWaitZeroGivesUpAtOnce() throws {
        let port = try freeLoopbackPort()
        let daemon = try DaemonProcess.start(database: database, directory: directory, name: "daemon", listenPort: port)
        defer { daemon.stop() }
        let text = directory.appendingPathComponent("notes.txt")
        try Data("The garage door code is 4711.\n".utf8).write(to: text)
        _ = try post(text, to: "http://127.0.0.1:\(port)/v1/docs/notes/ingest", curl: ["-f"])
        // Another writer with no address (an embedded ingest that died) holds the lease for 3 s:
        // the daemon cannot forward to it and answers 503 with Retry-After.
        func steal() throws {
            try shell([
                "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", database, "-c",
                "UPDATE lease SET owner = 'ghost', address = '', token = nextval('lease_token'), expires_at = now() + interval '3 seconds'",
            ])
        }
        let more = directory.appendingPathComponent("more.txt")
        try Data("The garage door code is 4711.\nThe boat to Faro sails on Sundays.\n".utf8).write(to: more)
        try steal()
        let refused = try Momd.run(["ingest", "notes", "--resume", "--wait", "0"], stdin: more, environment: ["MOMD_HOST": daemon.host])
        // The daemon still holds the lease as far as it knows: its write is refused whole
        // (lease_lost), retryable; with --wait 0 the client gives up at once.
        #expect(refused.status == 75 && refused.stderr.contains("lease"), "\(refused.stderr)")

        try steal()
        let started = Date()
        let resumed = try Momd.run(["ingest", "notes", "--resume", "--json"], stdin: more, environment: ["MOMD_HOST": daemon.host])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let waited = Date().timeIntervalSince(started)
        #expect(waited >= 1.5 && waited < 3 + 5 + 2, "waited \(waited) s for a 3 s lease")
        #expect(try resumed.json()["bytes"] as? Int == 65)
        #expect(try resumed.json()["digest"] as? String == (try onePassDigest(more)))
    }

    @Test(.timeLimit(.minutes(3)))
    func anEmbeddedIngestOnPostgresWaitsOutAKilledDaemonsLease() throws {
        let port = try freeLoopbackPort()
        let daemon = try DaemonProcess.start(
            database: database, directory: directory, name: "daemon", listenPort: port, extra: ["--lease-seconds", "3"])
        let text = directory.appendingPathComponent("notes.txt")
        try Data("The garage door code is 4711.\n".utf8).write(to: text)
        _ = try post(text, to: "http://127.0.0.1:\(port)/v1/docs/notes/ingest", curl: ["-f"])
        kill(daemon.process.processIdentifier, SIGKILL)
        daemon.process.waitUntilExit()
        let more = directory.appendingPathComponent("more.txt")
        try Data("The garage door code is 4711.\nThe boat to Faro sails on Sundays.\n".utf8).write(to: more)
        let atOnce = try Momd.run(["ingest", "notes", "--resume", "--wait", "0", "--db", database], stdin: more)
        #expect(atOnce.status == 75 && atOnce.stderr.contains("127.0.0.1:\(port)"), "\(atOnce.stderr)")
        let resumed = try Momd.run(["ingest", "notes", "--resume", "--db", database, "--json"], stdin: more)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try resumed.json()["digest"] as? String == (try onePassDigest(more)))
    }
}
