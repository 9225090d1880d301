import ArgumentParser
import Foundation
import MoMBench
import MoMCLI
import MoMCore

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: MomdCommands.benchAbstract,
        subcommands: [FoldBench.self, PasskeyBench.self, QABench.self, SquadBench.self, CapacityBench.self, StoreBench.self, ServeBench.self, ClusterBench.self, HaystackBench.self]
    )
}

/// The generated corpus `bench fold` and `bench store` fold.
struct CorpusOptions: ParsableArguments {
    @Option(help: "Tokens in the generated corpus.")
    var tokens: Int = 10_000_000

    @Option(help: "Seed of the generated corpus.")
    var seed: UInt64 = 42

    @Option(help: "Bytes handed to each fold call (and each append).")
    var chunkBytes: Int = 1 << 16

    func validate() throws {
        guard tokens > 0 else { throw ValidationError("--tokens must be positive") }
        guard chunkBytes > 0 else { throw ValidationError("--chunk-bytes must be positive") }
    }

    func benchmark(configuration: MoMConfiguration = .default) -> FoldBenchmark {
        FoldBenchmark(tokens: tokens, seed: seed, chunkBytes: chunkBytes, configuration: configuration)
    }
}

struct FoldBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fold",
        abstract: "Fold a generated corpus (words and numbers) with the default configuration and report tokens/s.",
        discussion: "Example: momd bench fold --tokens 3000000 --json"
    )

    @OptionGroup var corpus: CorpusOptions

    @OptionGroup(title: "Memory model")
    var model: ConfigurationOptions

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        let result = try corpus.benchmark(configuration: model.configuration).run()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print("folded \(result.tokens) tokens (\(result.bytes) bytes) in \(String(format: "%.3f", result.seconds)) s")
            print("\(Int(result.tokensPerSecond)) tokens/s, \(String(format: "%.1f", result.bytesPerSecond / 1e6)) MB/s")
            print("vocabulary \(result.vocabulary), state digest \(result.digest)")
        }
    }
}

extension PasskeyBenchmark.System: ExpressibleByArgument {}

struct PasskeyBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passkey",
        abstract: "Pass-key retrieval: MoM against one delta memory, one Hebbian memory and the full-context baseline.",
        discussion: """
            The classic template (Landmark attention, InfiniteBench): a header, a filler repeated, a needle \
            "The pass key is KEY. Remember it. KEY is the pass key." at a depth, and the question \
            "What is the pass key? The pass key is". Scored by exact match of the first run of digits. \
            Lengths take K (×1024) and M (×1048576) suffixes.

            Example: momd bench passkey --haystack fixtures/prose/devils-dictionary.txt --lengths 16K,64K --trials 4
            """
    )

    @Option(help: "Haystack lengths in tokens, comma-separated.", transform: parseTokenCounts)
    var lengths: [Int] = [1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20]

    @Option(help: "Needle depths in percent, comma-separated.", transform: PasskeyBench.parseDepths)
    var depths: [Int] = [0, 25, 50, 75, 100]

    @Option(help: "Trials per cell, each with its own key.")
    var trials: Int = 1

    @Option(help: "Seed of the keys.")
    var seed: UInt64 = 1

    @Option(help: "A prose file whose sentences replace the filler; the needle goes at a sentence boundary.")
    var haystack: String?

    @Option(help: "Systems to run, comma-separated: \(PasskeyBenchmark.System.allCases.map(\.rawValue).joined(separator: ", ")).",
            transform: PasskeyBench.parseSystems)
    var systems: [PasskeyBenchmark.System] = PasskeyBenchmark.System.allCases

    @Option(help: "Write an SVG heatmap (length × depth, one panel per system) to this path.")
    var svg: String?

    @OptionGroup(title: "Memory model")
    var model: ConfigurationOptions

    @Flag(help: "Print the results as JSON.")
    var json = false

    /// The sentences of a prose file, for a haystack.
    static func sentences(fromFile path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read haystack file '\(path)'")
        }
        let sentences = Passkey.sentences(fromProse: String(decoding: data, as: UTF8.self))
        guard sentences.count >= 2 else { throw ValidationError("haystack file '\(path)' holds fewer than two sentences") }
        return sentences
    }

    static func parseDepths(_ text: String) throws -> [Int] {
        try text.split(separator: ",").map { part in
            guard let value = Int(part.trimmingCharacters(in: .whitespaces)), (0...100).contains(value) else {
                throw ValidationError("bad depth '\(part)': use a percentage 0...100")
            }
            return value
        }
    }

    static func parseSystems(_ text: String) throws -> [PasskeyBenchmark.System] {
        try text.split(separator: ",").map { part in
            guard let system = PasskeyBenchmark.System(rawValue: part.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError(
                    "unknown system '\(part)': choose from \(PasskeyBenchmark.System.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return system
        }
    }

    func validate() throws {
        guard trials > 0 else { throw ValidationError("--trials must be positive") }
        guard !lengths.isEmpty, !depths.isEmpty, !systems.isEmpty else {
            throw ValidationError("--lengths, --depths and --systems each need at least one value")
        }
    }

    func run() throws {
        let sentences = try haystack.map(Self.sentences(fromFile:))
        let benchmark = PasskeyBenchmark(
            lengths: lengths, depths: depths, trials: trials, seed: seed, sentences: sentences, systems: systems,
            configuration: model.configuration)
        let isTerminal = isatty(STDERR_FILENO) == 1
        let cells = try benchmark.run { cell in
            if isTerminal || !json {
                FileHandle.standardError.write(Data(
                    "\(cell.system) \(PasskeyHeatmap.lengthLabel(cell.length)) depth \(cell.depth)%: \(cell.correct)/\(cell.trials)\n".utf8))
            }
        }
        if let svg {
            let title = "Pass-key retrieval (\(haystack.map { "haystack " + URL(fileURLWithPath: $0).lastPathComponent } ?? "classic filler"))"
            try PasskeyHeatmap.svg(cells, title: title).write(toFile: svg, atomically: true, encoding: .utf8)
        }
        if json {
            struct Output: Encodable { var results: [PasskeyBenchmark.Cell] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(Output(results: cells)), as: UTF8.self))
        } else {
            print(PasskeyBench.table(cells))
        }
    }

    static func table(_ cells: [PasskeyBenchmark.Cell]) -> String {
        var lines = [String(format: "%-13@ %7@ %6@ %9@ %11@ %12@ %9@ %9@", "system", "length", "depth", "accuracy", "state", "fold tok/s", "ask p50", "ask p99")]
        for cell in cells {
            lines.append(String(
                format: "%-13@ %7@ %5d%% %8.0f%% %11@ %12.0f %7.2fms %7.2fms", cell.system, PasskeyHeatmap.lengthLabel(cell.length),
                cell.depth, cell.accuracy * 100, PasskeyHeatmap.byteLabel(cell.stateBytes), cell.foldTokensPerSecond,
                cell.askP50Milliseconds, cell.askP99Milliseconds))
        }
        return lines.joined(separator: "\n")
    }
}

struct HaystackBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "haystack",
        abstract: "Print a pass-key haystack, the text `bench passkey` folds, to pipe into `momd ingest`.",
        discussion: """
            Its question is "\(Passkey.question)"; the answer is the key.

            Example: momd bench haystack --tokens 16K --key 68048 | momd ingest notes
            """
    )

    @Option(help: "Length in tokens (K and M suffixes).", transform: { try parseTokenCounts($0).first ?? 0 })
    var tokens: Int = 16 << 10

    @Option(help: "Depth of the needle in percent.", transform: { try PasskeyBench.parseDepths($0).first ?? 0 })
    var depth: Int = 50

    @Option(help: "The pass key.")
    var key = "68048"

    @Option(help: "A prose file whose sentences replace the filler.")
    var haystack: String?

    func validate() throws {
        guard tokens > 0 else { throw ValidationError("--tokens must be positive") }
        guard !key.isEmpty, key.allSatisfy(\.isASCII), key.allSatisfy(\.isNumber) else {
            throw ValidationError("--key must be digits, e.g. 68048")
        }
    }

    func run() throws {
        let sentences = try haystack.map(PasskeyBench.sentences(fromFile:)) ?? [Passkey.filler]
        writeStandardOutput(Passkey.haystack(tokens: tokens, depth: Double(depth) / 100, key: key, sentences: sentences) + "\n")
    }
}
