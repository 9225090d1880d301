import Foundation
import MoMBench
import MoMCore
import MoMStore
import Testing

/// `momd ingest`, `show`, `docs` and `rm`, driven through the real binary.
@Suite final class CommandLineTests {
    let directory: URL
    let database: String
    let text: [UInt8]
    let input: URL
    /// A small model, so the debug build folds quickly.
    let model = ["--memories", "4", "--dk", "64", "--dv", "8"]

    init() throws {
        directory = try temporaryDirectory()
        database = directory.appendingPathComponent("momd.sqlite").path
        var corpus = SyntheticCorpus(seed: 11, vocabulary: 500)
        var bytes: [UInt8] = []
        corpus.generate(tokens: 6000, into: &bytes)
        text = bytes
        input = directory.appendingPathComponent("input.txt")
        try Data(text).write(to: input)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    var configuration: MoMConfiguration {
        var configuration = MoMConfiguration.default
        configuration.memories = 4
        configuration.dk = 64
        configuration.dv = 8
        return configuration
    }

    func write(_ bytes: some Collection<UInt8>, _ name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    func onePassDigest(_ bytes: some Collection<UInt8>) throws -> String {
        var state = try MoMState(configuration: configuration)
        state.fold(Array(bytes))
        return state.digest
    }

    @Test func ingestThenShowGivesTheOnePassState() throws {
        let ingest = try Momd.run(["ingest", "notes", input.path, "--db", database, "--json"] + model)
        #expect(ingest.status == 0)
        #expect(ingest.stderr.isEmpty)  // no progress: stderr is not a terminal
        let summary = try ingest.json()
        #expect(summary["bytes"] as? Int == text.count)
        #expect(summary["bytes_added"] as? Int == text.count)

        let show = try Momd.run(["show", "notes", "--db", database, "--json"])
        #expect(show.status == 0)
        let report = try show.json()
        let expected = try onePassDigest(text)
        #expect(report["digest"] as? String == expected)
        #expect(summary["digest"] as? String == expected)
        #expect(report["bytes"] as? Int == text.count)
        #expect((report["tokens"] as? Int ?? 0) > 5000)
        #expect((report["state_bytes"] as? Int ?? 0) > 4 * 64 * 8 * 4)
        #expect(report["snapshots"] as? Int == 1)

        let text = try Momd.run(["show", "notes", "--db", database])
        #expect(text.status == 0)
        #expect(text.stdout.contains("digest \(expected)"))
    }

    @Test func ingestRecordsTokenRoutesOnlyWhenAsked() throws {
        let ingest = try Momd.run(
            ["ingest", "notes", input.path, "--db", database, "--record-token-routes", "--chunk-bytes", "4096"] + model)
        #expect(ingest.status == 0, "\(ingest.stderr)")
        var state = try MoMState(configuration: configuration)
        try state.startRecordingTokenRoutes()
        state.fold(text)
        let drained = state.drainTokenRoutes()
        let expected = try #require(drained).routes
        let store = try MoMStore.open(path: database, createIfMissing: false)
        #expect(try store.tokenRoutes(of: "notes") == expected)

        let more = try write(Array(" and a few more words.".utf8), "more.txt")
        #expect(try Momd.run(["ingest", "notes", more.path, "--db", database]).status == 0)
        #expect(try store.tokenRoutes(of: "notes").count == expected.count, "an ingest without the flag records nothing")
    }

    @Test func stdinAndFilesAppendInOrder() throws {
        let half = text.count / 2
        let first = try write(text[..<half], "first.txt")
        let second = try write(text[half...], "second.txt")
        #expect(try Momd.run(["ingest", "notes", "--db", database] + model, stdin: first).status == 0)
        #expect(try Momd.run(["ingest", "notes", "-", "--db", database], stdin: second).status == 0)
        let show = try Momd.run(["show", "notes", "--db", database, "--json"]).json()
        #expect(show["digest"] as? String == (try onePassDigest(text)))

        let parts = try write(text[..<100], "a.txt")
        let rest = try write(text[100...], "b.txt")
        #expect(try Momd.run(["ingest", "other", parts.path, rest.path, "--db", database] + model).status == 0)
        #expect(try Momd.run(["show", "other", "--db", database, "--json"]).json()["digest"] as? String == (try onePassDigest(text)))
    }

    @Test func resumeSkipsTheBytesTheDocumentHolds() throws {
        let part = try write(text[..<4321], "part.txt")
        #expect(try Momd.run(["ingest", "notes", part.path, "--db", database, "--json"] + model).status == 0)
        let resumed = try Momd.run(["ingest", "notes", input.path, "--resume", "--db", database, "--json"])
        #expect(resumed.status == 0)
        #expect(try resumed.json()["bytes_added"] as? Int == text.count - 4321)
        #expect(try Momd.run(["show", "notes", "--db", database, "--json"]).json()["digest"] as? String == (try onePassDigest(text)))
        // Nothing left to add: a no-op.
        let again = try Momd.run(["ingest", "notes", input.path, "--resume", "--db", database, "--json"])
        #expect(try again.json()["bytes_added"] as? Int == 0)
        // An input shorter than the document is not its input.
        let short = try Momd.run(["ingest", "notes", part.path, "--resume", "--db", database])
        #expect(short.status == 64)
        #expect(short.stderrLines.count == 1)
        #expect(short.stderr.hasPrefix("momd: --resume: the input has 4321 bytes"))
    }

    @Test(arguments: ["a/b", "", "no spaces", String(repeating: "n", count: 129), "naïve"])
    func invalidNamesAreOneLineErrors(name: String) throws {
        for command in [["ingest", name], ["show", name], ["rm", name]] {
            let result = try Momd.run(command + ["--db", database], stdin: input)
            #expect(result.status == 64)
            #expect(result.stderrLines.count == 1)
            #expect(result.stderr.hasPrefix("momd: invalid document name"))
            #expect(result.stdout.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: database))
    }

    @Test func aForeignFileIsRefusedUntouched() throws {
        let notes = try write(Array("my own notes\n".utf8), "notes.sqlite")
        let before = try Data(contentsOf: notes)
        for command in [["ingest", "doc", input.path], ["show", "doc"], ["docs"], ["rm", "doc"]] {
            let result = try Momd.run(command + ["--db", notes.path])
            #expect(result.status == 65)
            #expect(result.stderrLines.count == 1)
            #expect(result.stderr.contains("is not a momd database"))
        }
        let viaEnvironment = try Momd.run(["docs"], environment: ["MOMD_DB": notes.path])
        #expect(viaEnvironment.status == 65)
        #expect(try Data(contentsOf: notes) == before)
    }

    @Test func theDatabaseDefaultsToXDGDataHome() throws {
        let dataHome = directory.appendingPathComponent("data")
        let result = try Momd.run(["ingest", "notes", input.path] + model, environment: ["XDG_DATA_HOME": dataHome.path])
        #expect(result.status == 0)
        #expect(FileManager.default.fileExists(atPath: dataHome.appendingPathComponent("momd/momd.sqlite").path))
        let docs = try Momd.run(["docs"], environment: ["XDG_DATA_HOME": dataHome.path])
        #expect(docs.stdout.hasPrefix("notes\t"))
    }

    @Test func aNewDocumentKeepsItsConfiguration() throws {
        #expect(try Momd.run(["ingest", "notes", input.path, "--db", database] + model).status == 0)
        let configuration = try #require(try Momd.run(["show", "notes", "--db", database, "--json"]).json()["configuration"] as? [String: Any])
        #expect(configuration["dk"] as? Int == 64)
        #expect(configuration["memories"] as? Int == 4)
        // Later ingests use the stored configuration; other options are refused.
        #expect(try Momd.run(["ingest", "notes", input.path, "--db", database]).status == 0)
        let mismatch = try Momd.run(["ingest", "notes", input.path, "--db", database, "--dk", "128"])
        #expect(mismatch.status == 64)
        #expect(mismatch.stderrLines.count == 1)
        #expect(mismatch.stderr.contains("exists with configuration"))
        // A new document without options gets the defaults.
        #expect(try Momd.run(["ingest", "plain", "--db", database], stdin: try write(Array("hello".utf8), "h.txt")).status == 0)
        let plain = try Momd.run(["show", "plain", "--db", database, "--json"]).json()
        #expect(plain["fingerprint"] as? String == MoMConfiguration.default.fingerprintHex)
    }

    @Test func theWindowAndItsOrderWeightsAreOptions() throws {
        #expect(try Momd.run(["ingest", "wide", input.path, "--db", database, "--window", "5"] + model).status == 0)
        let configuration = try #require(try Momd.run(["show", "wide", "--db", database, "--json"]).json()["configuration"] as? [String: Any])
        #expect(configuration["window"] as? Int == 5)
        #expect((configuration["order_weights"] as? [NSNumber])?.map(\.doubleValue) == [0.25, 0.5, 1, 1, 1])
        #expect(try Momd.run(["ingest", "given", input.path, "--db", database, "--window", "2", "--order-weights", "0.5, 1"] + model).status == 0)
        let given = try #require(try Momd.run(["show", "given", "--db", database, "--json"]).json()["configuration"] as? [String: Any])
        #expect((given["order_weights"] as? [NSNumber])?.map(\.doubleValue) == [0.5, 1])
        for bad in [["--window", "3", "--order-weights", "1,1"], ["--order-weights", "1,1,x,1"], ["--window", "17"]] {
            let refused = try Momd.run(["ingest", "bad", input.path, "--db", database] + bad + model)
            #expect(refused.status == 64, "\(bad)")
            #expect(refused.stderr.contains(bad[0] == "--window" && bad[1] == "17" ? "window" : "orderWeights"), "\(bad): \(refused.stderr)")
        }
    }

    @Test func docsListsAndRmDeletes() throws {
        #expect(try Momd.run(["docs", "--db", database, "--json"]).stdout == "[]\n")
        for name in ["beta", "alpha"] {
            #expect(try Momd.run(["ingest", name, input.path, "--db", database] + model).status == 0)
        }
        let listed = try JSONSerialization.jsonObject(with: Data(try Momd.run(["docs", "--db", database, "--json"]).stdout.utf8))
        let names = (listed as? [[String: Any]] ?? []).compactMap { $0["document"] as? String }
        #expect(names == ["alpha", "beta"])
        let removed = try Momd.run(["rm", "alpha", "--db", database])
        #expect(removed.status == 0)
        #expect(removed.stdout == "removed alpha\n")
        let gone = try Momd.run(["show", "alpha", "--db", database])
        #expect(gone.status == 66)
        #expect(gone.stderr == "momd: no document named 'alpha': `momd docs` lists them\n")
        let again = try Momd.run(["rm", "alpha", "--db", database])
        #expect(again.status == 66)
    }

    @Test func askOnAnEmptyOrUnknownDocumentSaysSo() throws {
        #expect(try Momd.run(["ingest", "blank", "--db", database] + model).status == 0)
        let empty = try Momd.run(["ask", "--db", database, "blank", "The", "pass", "key", "is"])
        // Nothing in it answers: an abstention (exit 3) that says why.
        #expect(empty.status == 3)
        #expect(empty.stdout.isEmpty)
        #expect(empty.stderr == "momd: no answer: 'blank' is empty: nothing has been folded into it yet\n")
        let unknown = try Momd.run(["ask", "--db", database, "nothing", "The", "pass", "key", "is"])
        #expect(unknown.status == 66)
        #expect(unknown.stderr == "momd: no document named 'nothing': `momd docs` lists them\n")
    }

    @Test func showAtAnOlderSnapshot() throws {
        let result = try Momd.run(
            ["ingest", "notes", input.path, "--db", database, "--chunk-bytes", "4096", "--snapshot-tokens", "1000", "--keep-snapshots", "10"] + model)
        #expect(result.status == 0)
        let report = try Momd.run(["show", "notes", "--db", database, "--json"]).json()
        let snapshots = try #require(report["snapshot_list"] as? [[String: Any]])
        #expect(snapshots.count == 6)
        let older = snapshots[2]
        let tokens = try #require(older["token_count"] as? Int)
        let atOlder = try Momd.run(["show", "notes", "--db", database, "--json", "--at", "\(tokens + 5)"]).json()
        #expect(atOlder["tokens"] as? Int == tokens)
        #expect(atOlder["digest"] as? String == older["digest"] as? String)
        let bytes = try #require(older["byte_count"] as? Int)
        #expect(atOlder["digest"] as? String == (try onePassDigest(text[..<bytes])))
    }
}
