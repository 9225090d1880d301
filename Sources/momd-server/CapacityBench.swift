import ArgumentParser
import Foundation
import MoMBench
import MoMCLI
import MoMCore
import MoMStore

/// `momd bench capacity`: prose pass-key accuracy over length for MoM and one delta memory at
/// each state size, and for the full-context baseline.
struct CapacityBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capacity",
        abstract: "How many prose tokens a state of each size holds: accuracy over length, longest length at ≥ 95 %, tokens per MiB.",
        discussion: """
            Each size is a default-shaped state with as many memories as fit (4 per MiB): 4 MiB is \
            the default. delta-single is one delta-rule memory of the same bytes; full-context keeps \
            every token and grows with the text. The haystack is public-domain prose (the repository's \
            Devil's Dictionary unless --haystack names another file), a five-digit key at each depth.

            Example: momd bench capacity --sizes 1,4 --lengths 8K,16K,32K
            """
    )

    @Option(help: "State sizes in MiB, comma-separated.", transform: CapacityBench.parseSizes)
    var sizes: [Int] = [1, 4, 16, 64]

    @Option(help: "Haystack lengths in tokens, comma-separated (K and M suffixes).", transform: parseTokenCounts)
    var lengths: [Int] = [4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10, 128 << 10]

    @Option(help: "Needle depths in percent, comma-separated.", transform: PasskeyBench.parseDepths)
    var depths: [Int] = [0, 25, 50, 75, 100]

    @Option(help: "Trials per depth, each with its own key.")
    var trials = 4

    @Option(help: "Seed of the keys.")
    var seed: UInt64 = 1

    @Option(help: "Systems, comma-separated: mom, delta-single, full-context.", transform: CapacityBench.parseSystems)
    var systems: [CapacityBenchmark.System] = CapacityBenchmark.System.allCases

    @Option(help: "The prose file the haystacks are cut from.")
    var haystack = "fixtures/prose/devils-dictionary.txt"

    @Option(help: "Write an SVG plot (accuracy and bytes against tokens) to this path.")
    var svg: String?

    @Flag(help: "Print the results as JSON.")
    var json = false

    static func parseSizes(_ text: String) throws -> [Int] {
        try text.split(separator: ",").map { part in
            guard let value = Int(part.trimmingCharacters(in: .whitespaces)), (1...256).contains(value) else {
                throw ValidationError("bad size '\(part)': whole MiB in 1...256")
            }
            return value
        }
    }

    static func parseSystems(_ text: String) throws -> [CapacityBenchmark.System] {
        try text.split(separator: ",").map { part in
            guard let system = CapacityBenchmark.System(rawValue: part.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("unknown system '\(part)': use mom, delta-single or full-context")
            }
            return system
        }
    }

    func validate() throws {
        guard trials > 0, !sizes.isEmpty, !lengths.isEmpty, !depths.isEmpty, !systems.isEmpty else {
            throw ValidationError("--trials must be positive; --sizes, --lengths, --depths, --systems need a value each")
        }
    }

    struct Output: Encodable {
        var results: [CapacityBenchmark.Row]
        var reach: [CapacityBenchmark.Reach]
        /// LZ4-compressed bytes of the first trial's haystack at each length, for reference.
        var textLZ4Bytes: [String: Int]
    }

    func run() throws {
        try reportingErrors {
            let sentences = try PasskeyBench.sentences(fromFile: haystack)
            let benchmark = CapacityBenchmark(
                sizes: sizes, lengths: lengths, depths: depths, trials: trials, seed: seed, sentences: sentences, systems: systems)
            let rows = try benchmark.run { row in
                if isatty(STDERR_FILENO) == 1 || !json {
                    writeStandardError(String(
                        format: "%@ %@ %@: %.0f%% (%d/%d)\n", row.system, Self.sizeLabel(row), PasskeyHeatmap.lengthLabel(row.length),
                        row.accuracy * 100, row.correct, row.trials))
                }
            }
            let counts = Passkey.SentenceTokens(sentences)
            var text: [Int: Int] = [:]
            for length in lengths {
                let haystack = Passkey.haystack(tokens: length, depth: 0.5, key: "12345", counts: counts)
                text[length] = LZ4Frame.compress(Array(haystack.utf8)).count
            }
            if let svg {
                let title = "Capacity: prose pass-key (\(URL(fileURLWithPath: haystack).lastPathComponent), \(trials) trials × \(depths.count) depths)"
                try CapacityPlot.svg(rows, textBytes: text, title: title).write(toFile: svg, atomically: true, encoding: .utf8)
            }
            let reach = CapacityBenchmark.reach(rows)
            if json {
                try printJSON(Output(
                    results: rows, reach: reach,
                    textLZ4Bytes: Dictionary(uniqueKeysWithValues: text.map { (String($0.key), $0.value) })))
            } else {
                print(Self.table(rows, reach: reach))
            }
        }
    }

    static func sizeLabel(_ row: CapacityBenchmark.Row) -> String {
        row.system == CapacityBenchmark.System.fullContext.rawValue
            ? PasskeyHeatmap.byteLabel(row.stateBytes) : "\(Int(row.stateMiB)) MiB"
    }

    static func table(_ rows: [CapacityBenchmark.Row], reach: [CapacityBenchmark.Reach]) -> String {
        var lines = [columns(["system", "state", "length", "accuracy", "trials"], widths: [-13, 11, 7, 9, 7])]
        for row in rows {
            lines.append(columns(
                [row.system, sizeLabel(row), PasskeyHeatmap.lengthLabel(row.length), String(format: "%.0f%%", row.accuracy * 100),
                 "\(row.trials)"], widths: [-13, 11, 7, 9, 7]))
        }
        lines.append("")
        lines.append(columns(["system", "state", "longest ≥ 95 %", "tokens per MiB"], widths: [-13, 11, 15, 15]))
        for item in reach {
            let size = item.system == CapacityBenchmark.System.fullContext.rawValue
                ? String(format: "%.2f MiB", item.stateMiB) : "\(Int(item.stateMiB)) MiB"
            lines.append(columns(
                [item.system, size, item.longestReliable.map(PasskeyHeatmap.lengthLabel) ?? "none",
                 item.reliableTokensPerMiB.map { String(format: "%.0f", $0) } ?? "-"], widths: [-13, 11, 15, 15]))
        }
        return lines.joined(separator: "\n")
    }

    /// Cells padded to their widths: negative is left-aligned.
    static func columns(_ cells: [String], widths: [Int]) -> String {
        zip(cells, widths).map { cell, width in
            let padding = String(repeating: " ", count: max(0, abs(width) - cell.count))
            return width < 0 ? cell + padding : padding + cell
        }.joined(separator: " ")
    }
}
