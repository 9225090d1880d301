import ArgumentParser
import Foundation
import MoMAsk
import MoMBench
import MoMCLI
import MoMCore

extension QATask: ExpressibleByArgument {}

struct QABench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qa",
        abstract: "Questions over documents: RULER's retrieval tasks and natural questions, for MoM, one memory and the baseline.",
        discussion: """
            Every system is asked through the same question layer as `momd ask`. RULER's tasks use its needle \
            ("One of the special magic numbers for KEY is: VALUE.") and its question ("What are all the special \
            magic numbers for KEY mentioned in the provided text? The special magic numbers for KEY mentioned in \
            the provided text are"); `natural` plants facts of varied kinds in prose and asks them in other words, \
            with unanswerable questions mixed in. Accuracy is the share of references found in the answer \
            (RULER's string match), an abstention scoring 0; precision is the share of answered questions \
            answered right. Lengths take K (×1024) suffixes.

            Example: momd bench qa --trials 8 --lengths 4K,16K,32K --systems mom,full-context
            """
    )

    @Option(help: "Document lengths in tokens, comma-separated.", transform: parseTokenCounts)
    var lengths: [Int] = [4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10, 128 << 10]

    @Option(help: "Tasks, comma-separated: \(QATask.allCases.map(\.rawValue).joined(separator: ", ")).", transform: QABench.parseTasks)
    var tasks: [QATask] = QATask.allCases

    @Option(help: "Systems, comma-separated: mom, delta-single, full-context.", transform: PasskeyBench.parseSystems)
    var systems: [PasskeyBenchmark.System] = [.mom, .deltaSingle, .fullContext]

    @Option(help: "Documents per cell, each with its own keys and facts.")
    var trials: Int = 10

    @Option(help: "Seed of the documents.")
    var seed: UInt64 = 1

    @Option(help: "A prose file for the haystacks (default: the Devil's Dictionary the repository ships).")
    var haystack: String?

    @Option(help: "Judge answers at this abstention threshold.")
    var abstainBelow: Float = AskOptions.defaultAbstainBelow

    @Option(help: "Write an SVG heatmap (length × task, one panel per system) to this path.")
    var svg: String?

    @Option(help: "Write every question's outcome (confidence, answer, score) as JSON lines to this path.")
    var outcomes: String?

    @OptionGroup(title: "Memory model")
    var model: ConfigurationOptions

    @Flag(help: "Answer from probes alone, without recalled evidence (the question layer before the topic memory), to compare in one run.")
    var probesOnly = false

    @Flag(help: "Print the results as JSON.")
    var json = false

    static func parseTasks(_ text: String) throws -> [QATask] {
        try text.split(separator: ",").map { part in
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let task = QATask.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else {
                throw ValidationError("unknown task '\(name)': choose from \(QATask.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return task
        }
    }

    /// The prose file the repository ships, looked for from the working directory and the binary.
    static func defaultProse() throws -> String {
        let relative = "fixtures/prose/devils-dictionary.txt"
        var candidates = [FileManager.default.currentDirectoryPath + "/" + relative]
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(directory.appendingPathComponent(relative).path)
            directory = directory.deletingLastPathComponent()
        }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw ValidationError("cannot find \(relative): run from the repository or give --haystack FILE")
        }
        return found
    }

    func validate() throws {
        guard trials > 0 else { throw ValidationError("--trials must be positive") }
        guard !lengths.isEmpty, !tasks.isEmpty, !systems.isEmpty else {
            throw ValidationError("--lengths, --tasks and --systems each need at least one value")
        }
        if let bad = systems.first(where: { $0 == .hebbian }) {
            throw ValidationError("system '\(bad.rawValue)' is not in the question benchmark: use mom, delta-single, full-context")
        }
    }

    func run() throws {
        let prose = try PasskeyBench.sentences(fromFile: try haystack ?? Self.defaultProse())
        var options = AskOptions()
        options.abstainBelow = abstainBelow
        options.readsEvidence = !probesOnly
        let benchmark = QABenchmark(
            lengths: lengths, tasks: tasks, systems: systems, trials: trials, seed: seed, prose: prose,
            configuration: model.configuration, options: options)
        let isTerminal = isatty(STDERR_FILENO) == 1
        let (rows, outcomes) = try benchmark.run { row in
            if isTerminal || !json {
                FileHandle.standardError.write(Data(
                    "\(row.system) \(row.task) \(PasskeyHeatmap.lengthLabel(row.length)): accuracy \(Self.percent(row.accuracy))\n".utf8))
            }
        }
        if let svg {
            let title = "Questions over documents (abstain below \(abstainBelow))"
            try QAHeatmap.svg(rows, title: title).write(toFile: svg, atomically: true, encoding: .utf8)
        }
        if let path = self.outcomes {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let lines = try outcomes.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
        if json {
            struct Output: Encodable { var results: [QABenchmark.Row] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(Output(results: rows)), as: UTF8.self))
        } else {
            print(Self.table(rows))
            for system in systems {
                let mine = outcomes.filter { $0.system == system.rawValue }
                let (threshold, coverage) = QABenchmark.calibrate(mine, precision: 0.99)
                print("\(system.rawValue): lowest threshold with precision >= 99 %: \(threshold) (answers \(Self.percent(coverage)) right)")
            }
        }
    }

    static func percent(_ value: Double?) -> String {
        guard let value else { return "-" }
        return String(format: "%.0f%%", value * 100)
    }

    static func table(_ rows: [QABenchmark.Row]) -> String {
        var lines = [
            String(
                format: "%-13@ %-10@ %7@ %9@ %9@ %6@ %10@ %9@ %9@ %10@", "system", "task", "length", "accuracy", "precision", "auroc",
                "abstained", "ask p50", "ask p99", "state")
        ]
        for row in rows {
            lines.append(
                String(
                    format: "%-13@ %-10@ %7@ %9@ %9@ %6@ %10@ %7.2fms %7.2fms %10@", row.system, row.task,
                    PasskeyHeatmap.lengthLabel(row.length), percent(row.accuracy), percent(row.precision),
                    row.auroc.map { String(format: "%.3f", $0) } ?? "-", percent(row.abstainedUnanswerable), row.askP50Milliseconds,
                    row.askP99Milliseconds, PasskeyHeatmap.byteLabel(row.stateBytes)))
        }
        return lines.joined(separator: "\n")
    }
}
