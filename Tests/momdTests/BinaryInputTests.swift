import Foundation
import MoMBench
import MoMCore
import Testing

/// `momd ingest` refuses binary input, embedded and through the daemon, and folds valid UTF-8
/// in any script.
@Suite(.serialized) final class BinaryInputTests {
    let directory: URL
    let database: String
    let text = "The pass key is 71828. Remember it. 71828 is the pass key.\n"
    /// The first 64 KiB of an executable, and a gzip file.
    let executable: URL
    let gzipFile: URL

    init() throws {
        directory = try temporaryDirectory()
        database = directory.appendingPathComponent("momd.sqlite").path
        executable = directory.appendingPathComponent("ls.bin")
        try Data(try Data(contentsOf: URL(fileURLWithPath: "/bin/ls")).prefix(1 << 16)).write(to: executable)
        let plain = directory.appendingPathComponent("text")
        try Data(String(repeating: text, count: 200).utf8).write(to: plain)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-9", plain.path]
        try gzip.run()
        gzip.waitUntilExit()
        gzipFile = directory.appendingPathComponent("text.gz")
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func write(_ text: String, _ name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    func show(_ document: String, environment: [String: String] = [:]) throws -> [String: Any] {
        try Momd.run(["show", document, "--db", database, "--json"], environment: environment).json()
    }

    /// Text, then an executable: exit 65, one line naming the offset, the text kept and
    /// answering; `--allow-binary` folds it.
    func refusesBinary(environment: [String: String]) throws {
        let first = try Momd.run(["ingest", "b", "--db", database], stdin: try write(text, "text.txt"), environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        let digest = try show("b", environment: environment)["digest"] as? String

        for input in [executable, gzipFile] {
            let refused = try Momd.run(["ingest", "b", input.path, "--db", database], environment: environment)
            #expect(refused.status == 65)
            #expect(refused.stderrLines.count == 1)
            #expect(refused.stderr.hasPrefix("momd: 'b': binary data from byte \(text.utf8.count) ("), "\(refused.stderr)")
            #expect(refused.stderr.contains("--allow-binary"))
            let report = try show("b", environment: environment)
            #expect(report["bytes"] as? Int == text.utf8.count)
            #expect(report["digest"] as? String == digest)
        }
        let answer = try Momd.run(["ask", "b", "--db", database, "The", "pass", "key", "is"], environment: environment)
        #expect(Passkey.firstDigits(answer.stdout) == "71828")

        let allowed = try Momd.run(["ingest", "b", executable.path, "--allow-binary", "--db", database, "--json"], environment: environment)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(try allowed.json()["bytes_added"] as? Int == 1 << 16)
    }

    @Test func binaryInputIsRefusedEmbedded() throws {
        try refusesBinary(environment: [:])
    }

    @Test(.timeLimit(.minutes(3)))
    func binaryInputIsRefusedThroughTheDaemon() throws {
        let daemon = try DaemonProcess.start(database: database, directory: directory, name: "serve")
        defer { daemon.stop() }
        try refusesBinary(environment: ["MOMD_HOST": daemon.host])
    }

    @Test func textBeforeBinaryInOneFileIsKeptUpToItsLastLine() throws {
        var bytes = Array("line one\nline two\nline three, then binary: ".utf8)
        bytes += Array(try Data(contentsOf: executable).prefix(4096))
        let url = directory.appendingPathComponent("mixed")
        try Data(bytes).write(to: url)
        let result = try Momd.run(["ingest", "m", url.path, "--db", database, "--events"])
        #expect(result.status == 65)
        #expect(result.stderr.hasPrefix("momd: 'm': binary data from byte 18 (a NUL byte at "), "\(result.stderr)")
        #expect(result.stdout == "ack 18\n")
        #expect(try show("m")["bytes"] as? Int == 18)
    }

    @Test func validUTF8InAnyScriptIsFolded() throws {
        let multilingual = try String(contentsOf: packageRoot.appendingPathComponent("fixtures/text/multilingual.txt"), encoding: .utf8)
        let url = try write(String(repeating: multilingual, count: 20), "multilingual.txt")
        let result = try Momd.run(["ingest", "m", url.path, "--db", database, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try result.json()["bytes"] as? Int == multilingual.utf8.count * 20)
    }

    @Test func invalidUTF8InTextIsReplacedNotRefused() throws {
        let latin1 = try #require(String(repeating: "Le café crème est prêt. Grüße aus Köln. ", count: 50).data(using: .isoLatin1))
        let url = directory.appendingPathComponent("latin1.txt")
        try latin1.write(to: url)
        let result = try Momd.run(["ingest", "l", url.path, "--db", database, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try result.json()["bytes"] as? Int == latin1.count)
    }
}

/// The package root, found from this file.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
