import Foundation
import MoMAPI
import Testing

@testable import momd_server

/// The web page at `/` in a real browser: scripts/web-page-check.py drives headless Chromium
/// through Selenium against a live `momd serve --listen`, through every flow of the page, and
/// reports what it measured (first render from the browser's navigation and paint timing, the
/// page's weight).
@Suite(.serialized) final class WebPageBrowserTests {
    /// Python with Selenium: scripts/setup.sh's virtual environment, else python3 if it has it.
    static let python: String? = {
        let local = packageRoot.appendingPathComponent(".build/tools/selenium/bin/python").path
        if FileManager.default.isExecutableFile(atPath: local) { return local }
        return (try? shell(["python3", "-c", "import selenium"])) != nil ? "/usr/bin/env" : nil
    }()

    static let chromium = ProcessInfo.processInfo.environment["CHROMIUM"] ?? "/usr/bin/chromium"
    static let chromedriver = ProcessInfo.processInfo.environment["CHROMEDRIVER"] ?? "/usr/bin/chromedriver"

    static var missing: String? {
        if python == nil { return "Selenium" }
        if !FileManager.default.isExecutableFile(atPath: chromium) { return "Chromium (\(chromium))" }
        if !FileManager.default.isExecutableFile(atPath: chromedriver) { return "chromedriver (\(chromedriver))" }
        return nil
    }

    /// In CI the browser must be there (scripts/setup.sh installs it); elsewhere the tests are
    /// skipped without it, saying what is missing.
    static let isEnabled = ProcessInfo.processInfo.environment["CI"] == "true" || missing == nil

    let directory: URL
    init() throws { directory = try temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Runs the script with `arguments`; its last stdout line is a JSON object of measurements.
    func check(_ arguments: [String]) throws -> (status: Int32, results: [String: Any], output: String) {
        let missing = Self.missing
        try #require(missing == nil, "CI=true but \(missing ?? "") is not installed: run bash scripts/setup.sh --deps-only")
        let python = try #require(Self.python)
        let log = directory.appendingPathComponent("browser.out")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        let script = packageRoot.appendingPathComponent("scripts/web-page-check.py").path
        process.arguments = (python == "/usr/bin/env" ? ["python3"] : []) + [script] + arguments
        process.currentDirectoryURL = packageRoot
        var environment = ProcessInfo.processInfo.environment
        environment["SE_OFFLINE"] = "true"  // Selenium Manager fetches nothing: the drivers are named
        environment["CHROMIUM"] = Self.chromium
        environment["CHROMEDRIVER"] = Self.chromedriver
        process.environment = environment
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        let errors = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        let last = output.split(separator: "\n").last.map(String.init) ?? ""
        let results = (try? JSONSerialization.jsonObject(with: Data(last.utf8))) as? [String: Any] ?? [:]
        return (process.terminationStatus, results, output + errors)
    }

    @Test(
        .enabled(if: isEnabled, "Chromium, chromedriver or Selenium is not installed: run bash scripts/setup.sh --deps-only"),
        .timeLimit(.minutes(8)))
    func everyFlowInHeadlessChromium() throws {
        let port = try freeLoopbackPort()
        let daemon = try DaemonProcess.start(
            database: directory.appendingPathComponent("momd.sqlite").path, directory: directory, name: "serve", listenPort: port,
            extra: ["--snapshot-tokens", "4096"])
        defer { daemon.stop() }
        let screenshots = ProcessInfo.processInfo.environment["MOMD_WEB_SCREENSHOTS"] ?? directory.path
        let run = try check([
            "--url", "http://127.0.0.1:\(port)", "--prose", packageRoot.appendingPathComponent("fixtures/prose/devils-dictionary.txt").path,
            "--screenshots", screenshots,
        ])
        #expect(run.status == 0, "the page failed in Chromium:\n\(run.output)")
        let render = run.results["first_render_ms"] as? Double
        let median = run.results["first_render_median_ms"] as? Double
        let weight = run.results["page_bytes"] as? Int
        print("web page: first render \(render.map { "\($0)" } ?? "?") ms (median of 3 loads \(median.map { "\($0)" } ?? "?") ms), page weight \(weight.map { "\($0)" } ?? "?") bytes, console errors \(run.results["console_errors"] ?? "?")")
        #expect((median ?? .infinity) <= 300, "first render \(run.results["first_render_all_ms"] ?? "?") ms")
        #expect((weight ?? .max) <= 150_000)
        #expect(run.results["console_errors"] as? Int == 0)
        #expect(FileManager.default.fileExists(atPath: URL(fileURLWithPath: screenshots).appendingPathComponent("web-page-375.png").path))
    }

    @Test(
        .enabled(if: isEnabled, "Chromium, chromedriver or Selenium is not installed: run bash scripts/setup.sh --deps-only"),
        .timeLimit(.minutes(3)))
    func asksForTheKeyAndKeepsItForTheTab() throws {
        let key = "w-web-0123456789abcdef"
        let keys = directory.appendingPathComponent("keys.txt")
        try Data("write \(key)\n".utf8).write(to: keys)
        let port = try freeLoopbackPort()
        let daemon = try DaemonProcess.start(
            database: directory.appendingPathComponent("momd.sqlite").path, directory: directory, name: "serve", listenPort: port,
            extra: ["--api-key-file", keys.path], apiKey: key)
        defer { daemon.stop() }
        let run = try check(["--url", "http://127.0.0.1:\(port)", "--key", key])
        #expect(run.status == 0, "the key flow failed in Chromium:\n\(run.output)")
        #expect(run.results["console_errors"] as? Int == 0)
    }
}
