import Foundation
import MoMBench
import MoMCore
import Testing

/// A `momd ingest` killed with SIGKILL at random instants — some of them in the middle of a
/// snapshot write — and resumed each time with `ingest --resume` ends in the state of an
/// uninterrupted run, bit for bit, and never loses a byte it acknowledged.
@Suite(.serialized) struct CrashResumeTests {
    /// A small model and a snapshot after every chunk, so that snapshots are frequent and the
    /// debug build folds a few MB in seconds.
    static let model = ["--memories", "8", "--dk", "128", "--dv", "8", "--hashes", "1"]
    static let cadence = ["--chunk-bytes", "32768", "--snapshot-tokens", "1", "--keep-snapshots", "3"]

    /// One kill: where the child was when it died, and what the database held afterwards.
    struct Kill {
        var acknowledged: UInt64
        var stored: UInt64
        var interruptedSnapshot: Bool
    }

    // About a minute on a quiet 2-core machine; the limit leaves room for a loaded one.
    @Test(.timeLimit(.minutes(10)))
    func killedIngestsResumeToTheUninterruptedState() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var corpus = SyntheticCorpus(seed: 2024, vocabulary: 20_000)
        var text: [UInt8] = []
        corpus.generate(tokens: 1_500_000, into: &text)
        let input = directory.appendingPathComponent("input.txt")
        try Data(text).write(to: input)

        // The uninterrupted run.
        let reference = directory.appendingPathComponent("reference.sqlite").path
        let uninterrupted = try Momd.run(["ingest", "doc", input.path, "--db", reference, "--json"] + Self.model + Self.cadence)
        #expect(uninterrupted.status == 0, "\(uninterrupted.stderr)")
        let expected = try #require(try uninterrupted.json()["digest"] as? String)

        // The same input, killed again and again.
        let database = directory.appendingPathComponent("crashed.sqlite").path
        let command = ["ingest", "doc", input.path, "--resume", "--events", "--db", database] + Self.model + Self.cadence
        let seed = UInt64(Date().timeIntervalSince1970 * 1000)
        var random = SplitMix64(seed: seed)
        var kills: [Kill] = []
        var finishedEarly = false
        while kills.count < 50 || kills.filter(\.interruptedSnapshot).count < 10 {
            guard kills.count < 120 else { break }
            let events = directory.appendingPathComponent("events-\(kills.count)")
            let errors = directory.appendingPathComponent("errors-\(kills.count)")
            let child = try Momd.start(command, stdin: nil, stdout: events, stderr: errors)
            if kills.count % 2 == 0 {
                // Anywhere: during start-up, restore, folding, a commit or a snapshot.
                usleep(useconds_t(20_000 + random.next() % 300_000))
            } else {
                // Just after a snapshot write begins.
                while child.isRunning, !(try lines(events).contains { $0.hasPrefix("snapshot ") }) { usleep(500) }
                usleep(useconds_t(random.next() % 4000))
            }
            guard child.isRunning else {
                child.waitUntilExit()
                finishedEarly = true
                break
            }
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            #expect(child.terminationReason == .uncaughtSignal)

            let printed = try lines(events)
            let acknowledged = printed.last { $0.hasPrefix("ack ") }.flatMap { UInt64($0.dropFirst(4)) } ?? 0
            let show = try Momd.run(["show", "doc", "--db", database, "--json"])
            var stored: UInt64 = 0
            var interrupted = false
            if show.status == 0 {
                let report = try show.json()
                stored = UInt64(report["bytes"] as? Int ?? -1)
                if let last = printed.last, last.hasPrefix("snapshot "), let offset = Int(last.dropFirst(9)) {
                    let snapshots = report["snapshot_list"] as? [[String: Any]] ?? []
                    interrupted = !snapshots.contains { $0["byte_count"] as? Int == offset }
                }
            } else {
                // Killed before the document existed: nothing was acknowledged.
                #expect(show.stderr.contains("no document named 'doc'") || show.stderr.contains("no momd database"), "\(show.stderr)")
            }
            #expect(stored >= acknowledged, "kill \(kills.count): acknowledged \(acknowledged) but only \(stored) stored")
            #expect(stored <= UInt64(text.count))
            kills.append(Kill(acknowledged: acknowledged, stored: stored, interruptedSnapshot: interrupted))
        }
        #expect(!finishedEarly, "the input ran out after \(kills.count) kills; make it longer")

        print("crash test: \(kills.count) kills, \(kills.filter(\.interruptedSnapshot).count) during snapshot writes, seed \(seed)")
        let finish = try Momd.run(command)
        #expect(finish.status == 0, "\(finish.stderr)")
        let final = try Momd.run(["show", "doc", "--db", database, "--json"]).json()
        #expect(final["bytes"] as? Int == text.count)
        #expect(final["digest"] as? String == expected, "seed \(seed)")
        #expect(kills.count >= 50)
        #expect(kills.filter(\.interruptedSnapshot).count >= 10, "seed \(seed)")
        #expect(kills.filter { $0.stored > 0 }.count >= kills.count / 2)
    }

    func lines(_ url: URL) throws -> [Substring] {
        let text = try String(contentsOf: url, encoding: .utf8)
        // A line still being written has no newline yet: leave it out.
        return text.split(separator: "\n", omittingEmptySubsequences: true).dropLast(text.hasSuffix("\n") ? 0 : 1)
    }
}
