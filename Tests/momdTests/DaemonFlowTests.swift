import Foundation
import MoMBench
import MoMCore
import Testing

/// The user's whole flow through a running daemon, with the same commands as embedded: pipe
/// text into `momd ingest`, ask, stop the daemon (SIGTERM), start it again, ask again, append,
/// kill it (SIGKILL), start it again, ask, remove.
@Suite(.serialized) final class DaemonFlowTests {
    let directory: URL
    let database: String
    var socket: String { database + ".sock" }

    init() throws {
        directory = try temporaryDirectory()
        database = directory.appendingPathComponent("momd.sqlite").path
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// A daemon on the database's default socket; returns once it answers.
    func startDaemon(_ name: String) throws -> Process {
        let daemon = try Momd.start(
            ["serve", "--db", database], stdin: nil, stdout: directory.appendingPathComponent("\(name).out"),
            stderr: directory.appendingPathComponent("\(name).err"))
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: socket),
                try Momd.run(["docs", "--json"], environment: ["MOMD_HOST": "unix://" + socket]).status == 0
            {
                return daemon
            }
            guard daemon.isRunning else { break }
            usleep(50_000)
        }
        let log = (try? String(contentsOf: directory.appendingPathComponent("\(name).err"), encoding: .utf8)) ?? ""
        Issue.record("the daemon did not come up: \(log)")
        throw CancellationError()
    }

    func stop(_ daemon: Process, signal: Int32) -> Int32 {
        kill(daemon.processIdentifier, signal)
        daemon.waitUntilExit()
        return daemon.terminationStatus
    }

    func write(_ text: String, _ name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    func ask(_ cue: String, _ extra: [String] = []) throws -> (answer: String, json: [String: Any]) {
        let result = try Momd.run(["ask", "notes", "--db", database, "--json"] + extra + cue.split(separator: " ").map(String.init))
        #expect(result.status == 0, "ask: \(result.stderr)")
        let json = try result.json()
        return (json["answer"] as? String ?? "", json)
    }

    @Test(.timeLimit(.minutes(5)))
    func theWholeFlowThroughTheDaemon() throws {
        let first = Passkey.haystack(tokens: 4000, depth: 0.5, key: "68048")
        let second = " The door code is 4711. Remember it. 4711 is the door code. " + String(repeating: Passkey.filler + " ", count: 20)

        var daemon = try startDaemon("serve-1")
        // The database's lock names the daemon, so the plain commands go through it.
        let ingest = try Momd.run(["ingest", "notes", "--db", database, "--json"], stdin: try write(first, "first.txt"))
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let summary = try ingest.json()
        #expect(summary["bytes"] as? Int == first.utf8.count)
        #expect(summary["fold_seconds"] == nil, "the ingest was folded here, not by the daemon")

        let plain = try Momd.run(["ask", "notes", "--db", database] + Passkey.question.split(separator: " ").map(String.init))
        #expect(plain.status == 0)
        #expect(Passkey.firstDigits(plain.stdout) == "68048")
        let before = try ask(Passkey.question)
        #expect(Passkey.firstDigits(before.answer) == "68048")
        #expect((before.json["confidence"] as? Double ?? 0) > 0.3)
        #expect(!(before.json["memories_read"] as? [Int] ?? []).isEmpty)

        // SIGTERM: dirty documents are snapshotted, the socket removed, exit 0.
        #expect(stop(daemon, signal: SIGTERM) == 0)
        #expect(!FileManager.default.fileExists(atPath: socket))
        let stopped = try Momd.run(["show", "notes", "--db", database, "--json"]).json()
        #expect(stopped["journal_bytes"] as? Int == 0)
        #expect((stopped["snapshots"] as? Int ?? 0) >= 1)
        var state = try MoMState()
        state.fold(first)
        #expect(stopped["digest"] as? String == state.digest)

        // Restarted, it answers the same.
        daemon = try startDaemon("serve-2")
        let after = try ask(Passkey.question)
        #expect(after.answer == before.answer)
        #expect(after.json["confidence"] as? Double == before.json["confidence"] as? Double)

        // Append from a file; then SIGKILL: the acknowledged bytes survive in the journal.
        let append = try Momd.run(["ingest", "notes", try write(second, "second.txt").path, "--db", database, "--json"])
        #expect(append.status == 0, "\(append.stderr)")
        #expect(try append.json()["bytes_added"] as? Int == second.utf8.count)
        #expect(Passkey.firstDigits(try ask("The door code is").answer) == "4711")
        #expect(stop(daemon, signal: SIGKILL) == SIGKILL)

        daemon = try startDaemon("serve-3")
        state.fold(second)
        let restored = try Momd.run(["show", "notes", "--db", database, "--json"]).json()
        #expect(restored["digest"] as? String == state.digest)
        #expect(restored["bytes"] as? Int == (first + second).utf8.count)
        #expect(Passkey.firstDigits(try ask("The door code is").answer) == "4711")
        #expect(Passkey.firstDigits(try ask(Passkey.question).answer) == "68048")

        // --resume through the daemon skips what the document holds; empty input creates a document.
        let whole = try write(first + second + " The vault code is 1911. ", "whole.txt")
        let resumed = try Momd.run(["ingest", "notes", whole.path, "--resume", "--db", database, "--json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try resumed.json()["bytes_added"] as? Int == " The vault code is 1911. ".utf8.count)
        #expect(Passkey.firstDigits(try ask("The vault code is").answer) == "1911")
        let blank = try Momd.run(["ingest", "blank", "--db", database, "--json"])
        #expect(blank.status == 0, "\(blank.stderr)")
        #expect(try blank.json()["bytes"] as? Int == 0)
        #expect(try Momd.run(["rm", "blank", "--db", database]).status == 0)

        let listed = try Momd.run(["docs", "--db", database, "--json"])
        let names = (try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]] ?? []).map { $0["document"] as? String }
        #expect(names == ["notes"])

        let removed = try Momd.run(["rm", "notes", "--db", database])
        #expect(removed.status == 0)
        #expect(removed.stdout == "removed notes\n")
        let gone = try Momd.run(["ask", "notes", "--db", database, "The", "pass", "key", "is"])
        #expect(gone.status == 66)
        #expect(gone.stderr.hasPrefix("momd: no document named 'notes'"))
        #expect(gone.stderrLines.count == 1)
        #expect(stop(daemon, signal: SIGTERM) == 0)
    }

    @Test func anUnreachableDaemonIsOneLineAndExit69() throws {
        let result = try Momd.run(
            ["ask", "notes", "The", "pass", "key", "is"], environment: ["MOMD_HOST": "unix://" + directory.appendingPathComponent("none.sock").path])
        #expect(result.status == 69)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.hasPrefix("momd: cannot reach the momd daemon at unix://"))
        let badHost = try Momd.run(["docs"], environment: ["MOMD_HOST": "ftp://example"])
        #expect(badHost.status == 64)
        #expect(badHost.stderr.hasPrefix("momd: MOMD_HOST: "))
    }

    @Test func aSecondDaemonOnTheSameDatabaseIsRefused() throws {
        let daemon = try startDaemon("serve-a")
        let second = try Momd.run(["serve", "--db", database, "--socket", directory.appendingPathComponent("other.sock").path])
        #expect(second.status == 75)
        #expect(second.stderrLines.count == 1)
        #expect(stop(daemon, signal: SIGINT) == 0)
    }
}
