import Foundation
import MoMAPI
import Testing

@testable import momd_server

/// The API contract against a client nobody here wrote: schemathesis generates requests from
/// schemas/openapi.yaml (valid and invalid ones, undeclared methods, missing bodies) and checks
/// every response against it, here against a live `momd serve --listen` on a scratch database.
@Suite struct SchemathesisTests {
    /// The pinned version scripts/setup.sh installs.
    static let version = "4.32.5"
    /// Examples per operation and phase, as issue 30 measured it (`-n 60`): about 870 cases with
    /// the coverage and stateful phases, under 10 s against the debug build.
    static let examples = 60
    /// The write key of the keyed run: with keys, every request schemathesis makes carries it,
    /// and its `ignored_auth` check sends some without to see them refused.
    static let writeKey = "w-5c3f9a0e7d1b2c4a6e8f"

    /// schemathesis from scripts/setup.sh's virtual environment, else from PATH.
    static let executable: String? = {
        let local = packageRoot.appendingPathComponent(".build/tools/schemathesis/bin/schemathesis").path
        if FileManager.default.isExecutableFile(atPath: local) { return local }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/schemathesis"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    /// In CI the contract test must run; elsewhere it is skipped when schemathesis is missing.
    static let isRequired = ProcessInfo.processInfo.environment["CI"] == "true" || executable != nil

    @Test(
        .enabled(if: isRequired, "schemathesis is not installed: run bash scripts/setup.sh --deps-only"),
        .timeLimit(.minutes(5)), arguments: [false, true])
    func theDaemonHoldsToItsSpec(withKeys: Bool) throws {
        let executable = try #require(Self.executable, "CI=true but schemathesis is not installed: run bash scripts/setup.sh --deps-only")
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try freeLoopbackPort()
        var extra: [String] = []
        if withKeys {
            let keys = directory.appendingPathComponent("keys.txt")
            try Data("write \(Self.writeKey)\nread r-0b1c2d3e4f5a6b7c8d9e\n".utf8).write(to: keys)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keys.path)
            extra = ["--api-key-file", keys.path]
        }
        let daemon = try DaemonProcess.start(
            database: directory.appendingPathComponent("momd.sqlite").path, directory: directory, name: "serve", listenPort: port,
            extra: extra, apiKey: withKeys ? Self.writeKey : nil)
        defer { daemon.stop() }

        let output = directory.appendingPathComponent("schemathesis.out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.currentDirectoryURL = packageRoot
        process.arguments = [
            "--config-file", "schemas/schemathesis.toml", "--no-color", "run", "schemas/openapi.yaml",
            "--url", "http://127.0.0.1:\(port)", "--checks", "all", "--max-examples", "\(Self.examples)", "--seed", "1",
            "--workers", "1", "--output-sanitize", "false",
        ] + (withKeys ? ["--header", "Authorization: Bearer \(Self.writeKey)"] : [])
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["SCHEMATHESIS_HOOKS"] = nil
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = process.standardOutput
        try process.run()
        process.waitUntilExit()
        let text = try String(contentsOf: output, encoding: .utf8)
        #expect(process.terminationStatus == 0, "schemathesis found failures:\n\(text)")
        // The summary's "N generated, N passed": every generated case passed, and there were some.
        let summary = try #require(text.firstMatch(of: /(\d+) generated, (\d+) passed/), "no summary in:\n\(text)")
        #expect(Int(summary.1) == Int(summary.2))
        #expect((Int(summary.1) ?? 0) >= 500, "too few cases: \(summary.0)")
    }
}
