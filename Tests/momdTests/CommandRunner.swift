import Foundation
import Testing

/// Runs the real `momd` binary, built next to this test bundle.
enum Momd {
    /// The binary: $MOMD_BINARY, else `momd` beside the test bundle, else the debug build of
    /// this checkout.
    static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["MOMD_BINARY"] { return URL(fileURLWithPath: path) }
        var candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        if let executable = Bundle.main.executableURL { candidates.append(executable.deletingLastPathComponent()) }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug"))
        for directory in candidates {
            let url = directory.appendingPathComponent("momd")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return candidates[0].appendingPathComponent("momd")
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String

        var stderrLines: [Substring] { stderr.split(separator: "\n") }

        /// stdout parsed as one JSON object.
        func json() throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
            return try #require(object as? [String: Any], "not a JSON object: \(stdout)")
        }
    }

    /// Runs `momd arguments` to completion, with `stdin` as its standard input (empty if nil),
    /// in `currentDirectory` if given.
    @discardableResult
    static func run(
        _ arguments: [String], stdin: URL? = nil, environment: [String: String] = [:], currentDirectory: URL? = nil,
        binary: URL = binary
    ) throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("momd-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("stdout")
        let err = directory.appendingPathComponent("stderr")
        let process = try start(
            arguments, stdin: stdin, stdout: out, stderr: err, environment: environment, currentDirectory: currentDirectory,
            binary: binary)
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
            stderr: try String(contentsOf: err, encoding: .utf8))
    }

    /// Starts `momd arguments` (or another binary's) with its output going to files.
    static func start(
        _ arguments: [String], stdin: URL?, stdout: URL, stderr: URL, environment: [String: String] = [:],
        currentDirectory: URL? = nil, binary: URL = binary
    ) throws -> Process {
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        var inherited = ProcessInfo.processInfo.environment
        inherited["MOMD_DB"] = nil
        // Asks keep state images in a directory of the test run's own, not the user's cache.
        inherited["MOMD_STATE_CACHE"] = NSTemporaryDirectory() + "momd-test-states-\(getpid())"
        process.environment = inherited.merging(environment) { $1 }
        process.standardInput = try stdin.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        return process
    }
}

/// A fresh directory under the system's temporary directory.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("momd-cli-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
