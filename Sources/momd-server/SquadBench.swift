import ArgumentParser
import Foundation
import MoMAsk
import MoMBench
import MoMCLI
import MoMCore

struct SquadBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "squad",
        abstract: "People's questions about real text (SQuAD v1.1 JSON): EM, F1, precision and evidence recall for MoM, one memory and the baseline.",
        discussion: """
            Each article is one document, at its own length (native) or placed at a seeded depth inside the \
            Devil's Dictionary to reach a length (32K, 128K). Every question is asked through the same question \
            layer as `momd ask`; the full-context system reads the same text through the same reader, with \
            SQLite's FTS5 (BM25) finding its sentences. EM and F1 as SQuAD's official script computes them; \
            precision is the share of answered questions with F1 >= 0.5; evidence recall@k the share of questions \
            with a reference answer inside one of the first k recalled passages.

            Example: momd bench squad fixtures/squad/train-v1.1-university-of-notre-dame.json --systems mom,full-context
            """
    )

    @Argument(help: "A SQuAD v1.1-format JSON file.")
    var file: String

    @Option(help: "Systems, comma-separated: mom, delta-single, full-context.", transform: PasskeyBench.parseSystems)
    var systems: [PasskeyBenchmark.System] = [.mom, .deltaSingle, .fullContext]

    @Option(help: "Lengths, comma-separated: native, or tokens with K/M suffixes (32K, 128K).", transform: SquadBench.parseLengths)
    var lengths: [SquadBenchmark.Length] = [.native]

    @Option(help: "Seed of where each article is placed in the longer documents.")
    var seed: UInt64 = 1

    @Option(help: "A prose file for the longer documents (default: the Devil's Dictionary the repository ships).")
    var haystack: String?

    @Option(help: "Answers read from evidence below this confidence abstain.")
    var evidenceAbstainBelow: Float = AskOptions.defaultEvidenceAbstainBelow

    @Option(help: "Write every question's outcome as JSON lines to this path.")
    var outcomes: String?

    @Flag(help: "With --outcomes: keep every candidate span the reader weighed, with its features (for scripts/fit-reader.py).")
    var candidates = false

    @OptionGroup(title: "Memory model")
    var model: ConfigurationOptions

    @Flag(help: "Print the results as JSON.")
    var json = false

    static func parseLengths(_ text: String) throws -> [SquadBenchmark.Length] {
        try text.split(separator: ",").map { part in
            let item = part.trimmingCharacters(in: .whitespaces)
            if item.lowercased() == "native" { return .native }
            guard let count = try parseTokenCounts(item).first else { throw ValidationError("bad length '\(item)'") }
            return .tokens(count)
        }
    }

    func validate() throws {
        if let bad = systems.first(where: { $0 == .hebbian }) {
            throw ValidationError("system '\(bad.rawValue)' is not in this benchmark: use mom, delta-single, full-context")
        }
        guard !systems.isEmpty, !lengths.isEmpty else { throw ValidationError("--systems and --lengths each need a value") }
    }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read '\(file)'") }
        let articles = try SquadBenchmark.articles(json: data)
        guard !articles.isEmpty else { throw ValidationError("'\(file)' holds no articles") }
        let needsProse = lengths.contains { $0 != .native }
        let prose = needsProse ? try PasskeyBench.sentences(fromFile: try haystack ?? QABench.defaultProse()) : []
        var options = AskOptions()
        options.evidenceAbstainBelow = evidenceAbstainBelow
        var benchmark = SquadBenchmark(
            articles: articles, systems: systems, lengths: lengths, seed: seed, prose: prose, configuration: model.configuration,
            options: options)
        benchmark.keepsCandidates = candidates
        let (rows, outcomes) = try benchmark.run { row in
            if !json { FileHandle.standardError.write(Data("\(row.system) \(row.length): F1 \(QABench.percent(row.f1))\n".utf8)) }
        }
        if let path = self.outcomes {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let lines = try outcomes.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
        if json {
            struct Output: Encodable { var results: [SquadBenchmark.Row] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(Output(results: rows)), as: UTF8.self))
            return
        }
        var lines = [
            String(
                format: "%-13@ %-7@ %5@ %6@ %6@ %8@ %9@ %6@ %7@ %7@ %9@ %9@ %9@", "system", "length", "qs", "EM", "F1", "answered",
                "precision", "auroc", "recall1", "recall3", "ask p50", "ask p99", "state")
        ]
        for row in rows {
            lines.append(
                String(
                    format: "%-13@ %-7@ %5d %6@ %6@ %8@ %9@ %6@ %7@ %7@ %7.2fms %7.2fms %9@", row.system, row.length, row.questions,
                    QABench.percent(row.em), QABench.percent(row.f1), QABench.percent(row.answered), QABench.percent(row.precision),
                    row.auroc.map { String(format: "%.3f", $0) } ?? "-", QABench.percent(row.evidenceRecallAt1),
                    QABench.percent(row.evidenceRecallAt3), row.askP50Milliseconds, row.askP99Milliseconds,
                    PasskeyHeatmap.byteLabel(row.stateBytes)))
        }
        print(lines.joined(separator: "\n"))
        for system in systems {
            for length in lengths {
                let mine = outcomes.filter { $0.system == system.rawValue && $0.length == length.description }
                if let (threshold, answered) = SquadBenchmark.calibrate(mine, precision: 0.85) {
                    print("\(system.rawValue) \(length): lowest threshold with precision >= 85 %: \(threshold) (answers \(QABench.percent(answered)))")
                } else {
                    print("\(system.rawValue) \(length): no threshold reaches precision 85 %")
                }
            }
        }
    }
}
