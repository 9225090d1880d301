import ArgumentParser
import Foundation
import Testing

@testable import momd_server

/// The docs cannot drift from the program: every shell session they show runs and prints what
/// they say it prints (scripts/doc-examples.py), every command line they quote parses with the
/// program's own parser, and every command's --help carries an example that parses too.
@Suite struct DocsTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// README.md and every Markdown file in docs/.
    static func documents() throws -> [URL] {
        let docs = repository.appendingPathComponent("docs")
        let names = try FileManager.default.contentsOfDirectory(atPath: docs.path).filter { $0.hasSuffix(".md") }.sorted()
        return [repository.appendingPathComponent("README.md")] + names.map { docs.appendingPathComponent($0) }
    }

    @Test(.timeLimit(.minutes(10)))
    func everyConsoleSessionPrintsWhatTheDocsShow() throws {
        let database = try ClusterTests.newDatabase()
        let files = try Self.documents().map(\.path)
        let script = Self.repository.appendingPathComponent("scripts/doc-examples.py").path
        let binaries = Momd.binary.deletingLastPathComponent().path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--bin", binaries] + files
        process.currentDirectoryURL = Self.repository
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = database
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(printed)")
        // Each file reports "FILE: N commands, F failed"; the README's walkthrough and the
        // operations guide are sessions of their own, so both must have run commands.
        let counts = Dictionary(
            printed.split(separator: "\n").compactMap { line -> (String, Int)? in
                guard let colon = line.range(of: ": "), line.hasSuffix(" failed") else { return nil }
                let file = URL(fileURLWithPath: String(line[..<colon.lowerBound])).lastPathComponent
                return Int(line[colon.upperBound...].split(separator: " ")[0]).map { (file, $0) }
            }, uniquingKeysWith: { $1 })
        #expect((counts["README.md"] ?? 0) >= 5, "\(printed)")
        #expect((counts["operations.md"] ?? 0) >= 10, "\(printed)")
    }

    /// The README's first command, after its setup step, with the binaries under test for the
    /// release ones: it folds the haystack and prints the key. (Its second command, the test suite, is what CI runs.)
    @Test(.timeLimit(.minutes(5)))
    func theReadmesMainJobPrintsTheKey() throws {
        let readme = try String(contentsOf: Self.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let first = try #require(Self.shellCommands(in: readme).first?.1)
        let prefix = "bash scripts/setup.sh && "
        #expect(first.hasPrefix(prefix), "\(first)")
        let binaries = Momd.binary.deletingLastPathComponent().path + "/"
        let job = String(first.dropFirst(prefix.count)).replacingOccurrences(of: ".build/release/", with: binaries)
        let home = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let result = try Momd.run(["-c", job], environment: ["HOME": home.path, "XDG_DATA_HOME": home.path + "/data"], currentDirectory: home, binary: URL(fileURLWithPath: "/bin/bash"))
        // ingest reports what it folded, then ask prints the key.
        let lines = result.stdout.split(separator: "\n")
        #expect(result.status == 0 && lines.count == 2 && lines[0].hasPrefix("notes: +") && lines[1] == "68048",
            "\(result.stdout) \(result.stderr)")
    }

    @Test func everyCommandLineTheDocsQuoteParses() throws {
        var parsed = 0
        var benches = Set<String>()
        for file in try Self.documents() {
            let text = try String(contentsOf: file, encoding: .utf8)
            for (line, command) in Self.shellCommands(in: text) {
                for arguments in Self.momdInvocations(in: command) {
                    do {
                        _ = try momd_server.Momd.parseAsRoot(arguments)
                        parsed += 1
                        if arguments.first == "bench", arguments.count > 1 { benches.insert(arguments[1]) }
                    } catch {
                        Issue.record("\(file.lastPathComponent):\(line): \(command): \(momd_server.Momd.message(for: error))")
                    }
                }
            }
        }
        #expect(parsed >= 10, "only \(parsed) momd command lines found in the docs")
        // docs/benchmarks.md shows the command of every benchmark.
        let every = Set(BenchCommand.configuration.subcommands.map { $0._commandName })
        #expect(benches == every, "benchmarks without a documented command: \(every.subtracting(benches).sorted())")
    }

    @Test func everyCommandsHelpShowsAnExampleThatParses() throws {
        var leaves: [(String, any ParsableCommand.Type)] = []
        func walk(_ command: any ParsableCommand.Type, path: String) {
            let subcommands = command.configuration.subcommands
            if subcommands.isEmpty { leaves.append((path, command)) }
            for subcommand in subcommands { walk(subcommand, path: path + " " + subcommand._commandName) }
        }
        walk(momd_server.Momd.self, path: "momd")
        #expect(leaves.count >= 16)
        for (path, command) in leaves {
            let discussion = command.configuration.discussion
            let examples = discussion.split(separator: "\n").drop { !$0.contains("Example") }
                .flatMap { line in
                    line.split(separator: ":", maxSplits: 1).count == 2 && line.contains("Example")
                        ? [line.split(separator: ":", maxSplits: 1)[1]] : [line]
                }
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { $0.hasPrefix("momd ") }
            #expect(!examples.isEmpty, "`\(path) --help` shows no example")
            for example in examples {
                for arguments in Self.momdInvocations(in: example) {
                    #expect(
                        throws: Never.self, "`\(path) --help`: \(example)",
                        performing: { _ = try momd_server.Momd.parseAsRoot(arguments) })
                }
            }
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func theInstallScriptStripsBothBinariesAndTheyRunFromWhereItPutThem() throws {
        let prefix = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: prefix) }
        let built = Momd.binary.deletingLastPathComponent()
        let script = Self.repository.appendingPathComponent("scripts/install.sh").path
        let report = try shell(["bash", script, "--no-build", "--from", built.path, "--prefix", prefix.path])
        let lines = report.split(separator: "\n")
        #expect(lines.count == 3 && lines[0].hasPrefix("momd ") && lines[1].hasPrefix("momd-server ")
            && lines[2].hasPrefix("total "), "\(report)")
        for name in ["momd", "momd-server"] {
            let installed = try FileManager.default.attributesOfItem(atPath: prefix.appendingPathComponent("bin/\(name)").path)
            let original = try FileManager.default.attributesOfItem(atPath: built.appendingPathComponent(name).path)
            let size = try #require(installed[.size] as? Int)
            #expect(size > 0 && size < (original[.size] as? Int ?? 0), "\(name) was not stripped")
            #expect(installed[.posixPermissions] as? Int == 0o755)
        }
        // The installed momd hands `bench` to the momd-server installed beside it.
        let haystack = try Momd.run(
            ["bench", "haystack", "--tokens", "1K", "--key", "4711"], binary: prefix.appendingPathComponent("bin/momd"))
        #expect(haystack.status == 0 && haystack.stdout.contains("The pass key is 4711."), "\(haystack.stderr)")
        let refused = try Momd.run([script, "--prefix"], binary: URL(fileURLWithPath: "/bin/bash"))
        #expect(refused.status == 64 && refused.stderr.contains("--prefix needs a directory"), "\(refused.stderr)")
    }

    /// Every relative link in the docs names a file that exists, and an anchor its headings make.
    @Test func everyLinkInTheDocsLeadsSomewhere() throws {
        var checked = 0
        for file in try Self.documents() {
            let text = try String(contentsOf: file, encoding: .utf8)
            for target in Self.linkTargets(in: text) where !target.contains("://") && !target.hasPrefix("mailto:") {
                let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let linked = parts[0].isEmpty ? file : file.deletingLastPathComponent().appendingPathComponent(parts[0])
                guard FileManager.default.fileExists(atPath: linked.path) else {
                    Issue.record("\(file.lastPathComponent): a link to \(target): no such file")
                    continue
                }
                if parts.count == 2, linked.pathExtension == "md" {
                    let anchors = Self.anchors(in: try String(contentsOf: linked, encoding: .utf8))
                    #expect(anchors.contains(parts[1]), "\(file.lastPathComponent): a link to \(target): no such heading")
                }
                checked += 1
            }
        }
        #expect(checked >= 10)
    }

    // MARK: - Reading the docs

    /// The targets of the Markdown links and images outside code blocks: `[text](target)`.
    static func linkTargets(in text: String) -> [String] {
        var targets: [String] = []
        var inBlock = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") { inBlock.toggle() }
            guard !inBlock else { continue }
            var rest = line[...]
            while let open = rest.range(of: "](") {
                let after = rest[open.upperBound...]
                guard let close = after.firstIndex(of: ")") else { break }
                targets.append(String(after[..<close]))
                rest = after[close...]
            }
        }
        return targets
    }

    /// The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces as
    /// hyphens, a repeated one numbered.
    static func anchors(in text: String) -> Set<String> {
        var anchors = Set<String>()
        var seen: [String: Int] = [:]
        var inBlock = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") { inBlock.toggle() }
            guard !inBlock, line.hasPrefix("#") else { continue }
            let title = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
            let slug = String(
                title.lowercased().compactMap { character -> Character? in
                    if character == " " { return "-" }
                    return character.isLetter || character.isNumber || character == "-" || character == "_" ? character : nil
                })
            let count = seen[slug, default: 0]
            seen[slug] = count + 1
            anchors.insert(count == 0 ? slug : "\(slug)-\(count)")
        }
        return anchors
    }


    /// The command lines of the ```sh blocks, with their line numbers; a line ending in a
    /// backslash continues on the next, comments are dropped.
    static func shellCommands(in text: String) -> [(Int, String)] {
        var commands: [(Int, String)] = []
        var inBlock = false
        var pending: (Int, String)?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") {
                inBlock = !inBlock && trimmed.dropFirst(3) == "sh"
                continue
            }
            guard inBlock, !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
            var command = (pending?.1 ?? "") + (pending == nil ? "" : " ") + trimmed
            let start = pending?.0 ?? index + 1
            if command.hasSuffix("\\") {
                command.removeLast()
                pending = (start, command.trimmingCharacters(in: .whitespaces))
            } else {
                pending = nil
                commands.append((start, command))
            }
        }
        return commands
    }

    /// The arguments of every `momd …` in a shell command line (pipelines and `&&` lists split,
    /// quotes removed, `VAR=value` prefixes dropped).
    static func momdInvocations(in command: String) -> [[String]] {
        var pieces: [[String]] = [[]]
        for word in shellWords(command) {
            if ["|", "&&", ";", "||"].contains(word) { pieces.append([]) } else { pieces[pieces.count - 1].append(word) }
        }
        return pieces.compactMap { words in
            let words = words.drop { $0.contains("=") && !$0.hasPrefix("-") }
            guard let first = words.first, first == "momd" || first.hasSuffix("/momd") else { return nil }
            return Array(words.dropFirst().filter { !$0.hasPrefix("<") && !$0.hasPrefix(">") && !$0.hasPrefix("2>") })
        }
    }

    /// Splits a command line into words as a POSIX shell would, for the quoting the docs use.
    static func shellWords(_ line: String) -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var characters = Array(line)[...]
        while let character = characters.popFirst() {
            if let open = quote {
                if character == open { quote = nil } else { word.append(character) }
            } else if character == "'" || character == "\"" {
                quote = character
                inWord = true
            } else if character == "\\", let next = characters.popFirst() {
                word.append(next)
                inWord = true
            } else if character == " " || character == "\t" {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(character)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }
}
