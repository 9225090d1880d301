import MoMCore

/// How much a state of a given size remembers: prose pass-key accuracy over length for MoM and
/// one delta memory at each state size, and for the full-context baseline, whose size grows with
/// the text (`momd bench capacity`).
///
/// A size is a default-shaped state (the default's key and value dimensions and top-k) with as
/// many memories as fit: 4 per MiB at the default shape, so 4 MiB is the default's 16.
public struct CapacityBenchmark: Sendable {
    public enum System: String, Codable, Sendable, CaseIterable {
        case mom
        case deltaSingle = "delta-single"
        case fullContext = "full-context"

        var passkeySystem: PasskeyBenchmark.System {
            switch self {
            case .mom: .mom
            case .deltaSingle: .deltaSingle
            case .fullContext: .fullContext
            }
        }
    }

    /// One system at one size and length, over every depth and trial.
    public struct Row: Codable, Sendable, Equatable {
        public var system: String
        /// The state's size: the configured one for MoM and delta-single, what the baseline
        /// actually held for full-context.
        public var stateMiB: Double
        public var length: Int
        public var accuracy: Double
        public var stateBytes: Int
        /// Questions asked: trials × depths.
        public var trials: Int
        public var correct: Int

        enum CodingKeys: String, CodingKey {
            case system, length, accuracy, stateBytes, trials, correct
            case stateMiB = "stateMib"
        }
    }

    /// What a system at one size holds reliably.
    public struct Reach: Codable, Sendable, Equatable {
        public var system: String
        public var stateMiB: Double
        /// The longest length measured at which accuracy was ≥ 95 %, with every shorter length
        /// measured at ≥ 95 % too; nil if not even the shortest was.
        public var longestReliable: Int?
        /// `longestReliable` per MiB of state.
        public var reliableTokensPerMiB: Double?

        enum CodingKeys: String, CodingKey {
            case system, longestReliable
            case stateMiB = "stateMib"
            case reliableTokensPerMiB = "reliableTokensPerMib"
        }
    }

    public var sizes: [Int]
    public var lengths: [Int]
    public var depths: [Int]
    public var trials: Int
    public var seed: UInt64
    public var sentences: [String]
    public var systems: [System]

    public init(
        sizes: [Int], lengths: [Int], depths: [Int] = [0, 25, 50, 75, 100], trials: Int = 4, seed: UInt64 = 1,
        sentences: [String], systems: [System] = System.allCases
    ) {
        self.sizes = sizes
        self.lengths = lengths
        self.depths = depths
        self.trials = trials
        self.seed = seed
        self.sentences = sentences
        self.systems = systems
    }

    /// What `momd bench capacity` measured MoM holding, per size: the longest prose length at
    /// ≥ 95 %, every shorter one too (Devil's Dictionary, 4 trials × 5 depths, lengths 4K–128K
    /// in powers of two, so each is a lower bound; docs/benchmarks.md, "bench capacity").
    public static let measuredReach: [(mebibytes: Int, tokens: Int)] = [(1, 8192), (4, 32768), (16, 131072), (64, 131072)]

    /// The smallest measured default-shaped size, in MiB, whose MoM state holds `tokens` prose
    /// tokens at ≥ 95 %; nil if none does.
    public static func smallestSize(holding tokens: Int) -> Int? {
        measuredReach.filter { $0.tokens >= tokens }.map(\.mebibytes).min()
    }

    /// Memories of the default shape in one MiB.
    public static var memoriesPerMiB: Int {
        let base = MoMConfiguration.default
        return max(1, (1 << 20) / (base.dk * base.dv * base.rowFormat.bytesPerValue))
    }

    /// The default-shaped configuration of a state of `mebibytes` MiB.
    public static func configuration(mebibytes: Int) -> MoMConfiguration {
        var configuration = MoMConfiguration.default
        configuration.memories = mebibytes * memoriesPerMiB
        configuration.topK = min(configuration.topK, configuration.memories)
        return configuration
    }

    /// Runs every cell; `progress` hears each row as it is done.
    public func run(progress: (Row) -> Void = { _ in }) throws -> [Row] {
        var rows: [Row] = []
        let stateSystems = systems.filter { $0 != .fullContext }
        if !stateSystems.isEmpty {
            for size in sizes {
                let benchmark = passkey(systems: stateSystems, configuration: Self.configuration(mebibytes: size))
                for row in Self.rows(try benchmark.run(), mebibytes: Double(size)) {
                    rows.append(row)
                    progress(row)
                }
            }
        }
        if systems.contains(.fullContext) {
            // The baseline keeps every token, whatever the size: run once.
            let benchmark = passkey(systems: [.fullContext], configuration: .default)
            for row in Self.rows(try benchmark.run(), mebibytes: nil) {
                rows.append(row)
                progress(row)
            }
        }
        return rows
    }

    func passkey(systems: [System], configuration: MoMConfiguration) -> PasskeyBenchmark {
        PasskeyBenchmark(
            lengths: lengths, depths: depths, trials: trials, seed: seed, sentences: sentences,
            systems: systems.map(\.passkeySystem), configuration: configuration)
    }

    /// Pass-key cells folded over depths into one row per system and length.
    static func rows(_ cells: [PasskeyBenchmark.Cell], mebibytes: Double?) -> [Row] {
        var rows: [Row] = []
        var seen: [String: Int] = [:]
        for cell in cells {
            let key = "\(cell.system) \(cell.length)"
            if let index = seen[key] {
                rows[index].correct += cell.correct
                rows[index].trials += cell.trials
                rows[index].stateBytes = max(rows[index].stateBytes, cell.stateBytes)
            } else {
                seen[key] = rows.count
                rows.append(Row(
                    system: cell.system, stateMiB: mebibytes ?? 0, length: cell.length, accuracy: 0, stateBytes: cell.stateBytes,
                    trials: cell.trials, correct: cell.correct))
            }
        }
        for index in rows.indices {
            rows[index].accuracy = Double(rows[index].correct) / Double(max(rows[index].trials, 1))
            if mebibytes == nil { rows[index].stateMiB = Double(rows[index].stateBytes) / Double(1 << 20) }
        }
        return rows
    }

    /// Per system and size, the longest length held at ≥ 95 % (every shorter one too).
    public static func reach(_ rows: [Row], threshold: Double = 0.95) -> [Reach] {
        var groups: [(system: String, size: Double)] = []
        for row in rows where row.system != System.fullContext.rawValue {
            if !groups.contains(where: { $0.system == row.system && $0.size == row.stateMiB }) {
                groups.append((row.system, row.stateMiB))
            }
        }
        if rows.contains(where: { $0.system == System.fullContext.rawValue }) { groups.append((System.fullContext.rawValue, 0)) }
        return groups.map { group in
            let mine = rows.filter { $0.system == group.system && (group.system == System.fullContext.rawValue || $0.stateMiB == group.size) }
                .sorted { $0.length < $1.length }
            var longest: Row?
            for row in mine {
                guard row.accuracy >= threshold else { break }
                longest = row
            }
            // The baseline's size is what it held at that length.
            let size = group.system == System.fullContext.rawValue ? (longest ?? mine.last)?.stateMiB ?? 0 : group.size
            return Reach(
                system: group.system, stateMiB: size, longestReliable: longest?.length,
                reliableTokensPerMiB: longest.map { Double($0.length) / max(size, 1e-9) })
        }
    }
}
