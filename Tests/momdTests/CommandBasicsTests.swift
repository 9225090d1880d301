import Foundation
import MoMBench
import MoMCore
import Testing

/// Small promises of the command line: the version, relative database names, progress.
@Suite final class CommandBasicsTests {
    let directory: URL
    let model = ["--memories", "4", "--dk", "64", "--dv", "8"]

    init() throws {
        directory = try temporaryDirectory()
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    @Test func versionIsTheOneTheCodeDefines() throws {
        let result = try Momd.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout == MoMVersion.current + "\n")
        #expect(MoMVersion.current.split(separator: ".").count == 3)
    }

    @Test func aBareRelativeDatabaseNameIsTakenFromTheCurrentDirectory() throws {
        let input = directory.appendingPathComponent("input.txt")
        try Data("The door code is 4711. Remember it.\n".utf8).write(to: input)
        let fromEnvironment = try Momd.run(
            ["ingest", "d", input.path] + model, environment: ["MOMD_DB": "notes.sqlite"], currentDirectory: directory)
        #expect(fromEnvironment.status == 0, "\(fromEnvironment.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("notes.sqlite").path))
        // The same file through --db, from the same directory.
        let shown = try Momd.run(["show", "d", "--db", "notes.sqlite", "--json"], currentDirectory: directory)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(try shown.json()["bytes"] as? Int == 36)
        let nested = try Momd.run(["docs", "--db", "./sub/../notes.sqlite"], currentDirectory: directory)
        #expect(nested.stdout.hasPrefix("d\t"))
    }

    /// `momd` runs the commands on a file itself and hands `serve` and `bench` to momd-server
    /// beside it; alone, it still works on files and names what it lacks for the rest.
    @Test func theCommandLineBinaryHandsTheDaemonsWorkToMomdServer() throws {
        let serveHelp = try Momd.run(["serve", "--help"])
        #expect(serveHelp.status == 0)
        #expect(serveHelp.stdout.contains("--hot-documents"), "momd-server's own help: \(serveHelp.stdout)")
        let benchHelp = try Momd.run(["help", "bench"])
        #expect(benchHelp.stdout.contains("capacity") && benchHelp.stdout.contains("cluster"), "\(benchHelp.stdout)")
        let rootHelp = try Momd.run(["--help"])
        for command in ["ingest", "ask", "show", "docs", "rm", "serve", "bench"] {
            #expect(rootHelp.stdout.contains("  \(command) "), "root help lists \(command)")
        }

        let alone = directory.appendingPathComponent("alone")
        try FileManager.default.createDirectory(at: alone, withIntermediateDirectories: true)
        let lone = alone.appendingPathComponent("momd")
        try FileManager.default.copyItem(at: Momd.binary, to: lone)
        let input = directory.appendingPathComponent("door.txt")
        try Data("The door code is 4711. Remember it.\n".utf8).write(to: input)
        let database = directory.appendingPathComponent("alone.sqlite").path
        let ingested = try Momd.run(["ingest", "d", input.path, "--db", database], binary: lone)
        #expect(ingested.status == 0, "\(ingested.stderr)")
        let answered = try Momd.run(["ask", "d", "The door code is", "--db", database], binary: lone)
        #expect(answered.stdout == "4711\n", "\(answered.stderr)")
        for arguments in [["serve", "--db", database], ["docs", "--db", "postgres://momd@127.0.0.1:1/x"]] {
            let refused = try Momd.run(arguments, binary: lone)
            #expect(refused.status == 69, "\(arguments): \(refused.stderr)")
            #expect(refused.stderr == "momd: cannot run \(alone.path)/momd-server: No such file or directory (momd-server is built beside momd: scripts/release-build.sh)\n")
        }
    }

    /// On a terminal (a pseudo-terminal made by script(1)) a file's ingest shows the share done
    /// and the time left; on a pipe it shows nothing.
    @Test func progressOnATerminalShowsPercentAndETA() throws {
        var corpus = SyntheticCorpus(seed: 3, vocabulary: 2000)
        var bytes: [UInt8] = []
        corpus.generate(tokens: 400_000, into: &bytes)
        let input = directory.appendingPathComponent("big.txt")
        try Data(bytes).write(to: input)
        let database = directory.appendingPathComponent("progress.sqlite").path
        let command = ([Momd.binary.path, "ingest", "p", input.path, "--db", database, "--chunk-bytes", "16384"] + model)
            .map { "'\($0)'" }.joined(separator: " ")
        let transcript = directory.appendingPathComponent("transcript")
        let script = Process()
        script.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        script.arguments = ["script", "-q", "-e", "-c", command, transcript.path]
        script.standardInput = FileHandle.nullDevice
        script.standardOutput = FileHandle.nullDevice
        try script.run()
        script.waitUntilExit()
        #expect(script.terminationStatus == 0)
        let text = String(decoding: try Data(contentsOf: transcript), as: UTF8.self)
        let size = String(format: "%.1f MiB", Double(bytes.count) / 1_048_576)
        #expect(text.contains("% of \(size), "), "\(text.suffix(400))")
        #expect(text.contains(", ETA "), "\(text.suffix(400))")
    }
}
