import MoMAsk
import MoMCore

/// A recall system the benchmarks can fill: it folds a document and says what it keeps.
public protocol BenchmarkedSystem: RecallSystem {
    mutating func fold(_ bytes: UnsafeRawBufferPointer)
    /// Bytes the system keeps for the document (state, or KV cache).
    var stateBytes: Int { get }
}

extension MoMState: BenchmarkedSystem {
    /// The encoded state's size: memories, vocabulary, carry and header.
    public var stateBytes: Int { encodedByteCount }
}

extension FullContextBaseline: BenchmarkedSystem {}

/// Pass-key retrieval over lengths × depths, for MoM and the systems it is measured against.
public struct PasskeyBenchmark: Sendable {
    /// The systems, all on the same inputs.
    public enum System: String, Codable, Sendable, CaseIterable {
        /// MoM with the configuration under test (the default one unless changed).
        case mom
        /// One delta-rule memory with about MoM's state bytes.
        case deltaSingle = "delta-single"
        /// One Hebbian memory (plain linear attention) with about MoM's state bytes.
        case hebbian
        /// Every position's key and token, attention over all of them.
        case fullContext = "full-context"
    }

    /// One system on one (length, depth) cell, over all trials.
    public struct Cell: Codable, Sendable, Equatable {
        public var system: String
        public var length: Int
        public var depth: Int
        public var trials: Int
        public var correct: Int
        public var accuracy: Double
        public var stateBytes: Int
        public var tokens: UInt64
        public var foldTokensPerSecond: Double
        public var askP50Milliseconds: Double
        public var askP99Milliseconds: Double
        /// Each trial's expected key and answer.
        public var answers: [Answer]

        public struct Answer: Codable, Sendable, Equatable {
            public var key: String
            public var answer: String
            public var confidence: Float
        }

        enum CodingKeys: String, CodingKey {
            case system, length, depth, trials, correct, accuracy, tokens, answers
            case stateBytes = "state_bytes"
            case foldTokensPerSecond = "fold_tokens_per_second"
            case askP50Milliseconds = "ask_p50_ms"
            case askP99Milliseconds = "ask_p99_ms"
        }
    }

    public var lengths: [Int]
    public var depths: [Int]
    public var trials: Int
    public var seed: UInt64
    /// Haystack sentences; the classic filler when nil.
    public var sentences: [String]?
    public var systems: [System]
    public var configuration: MoMConfiguration

    public init(
        lengths: [Int] = [1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20],
        depths: [Int] = [0, 25, 50, 75, 100], trials: Int = 1, seed: UInt64 = 1,
        sentences: [String]? = nil, systems: [System] = System.allCases, configuration: MoMConfiguration = .default
    ) {
        self.lengths = lengths
        self.depths = depths
        self.trials = trials
        self.seed = seed
        self.sentences = sentences
        self.systems = systems
        self.configuration = configuration
    }

    /// The configuration each system runs with.
    public func configuration(for system: System) -> MoMConfiguration {
        var single = configuration
        single.memories = 1
        single.topK = 1
        single.dk = configuration.dk * configuration.memories
        single.sharedMemory = false
        switch system {
        case .mom, .fullContext: return configuration
        case .deltaSingle: return single
        case .hebbian:
            single.updateRule = .hebbian
            return single
        }
    }

    /// The five-digit key of one trial, drawn from the seed.
    public func key(length: Int, depth: Int, trial: Int) -> String {
        var generator = SplitMix64(seed: seed ^ StableHash.mix64(UInt64(length) << 32 | UInt64(depth) << 16 | UInt64(trial)))
        return String(10_000 + generator.next() % 90_000)
    }

    /// Runs every cell; `progress` hears one line per finished cell.
    public func run(progress: (Cell) -> Void = { _ in }) throws -> [Cell] {
        let haystackSentences = sentences ?? [Passkey.filler]
        let counts = Passkey.SentenceTokens(haystackSentences)
        var cells: [Cell] = []
        for length in lengths {
            for depth in depths {
                var results: [System: (correct: Int, bytes: Int, tokens: UInt64, foldSeconds: Double, asks: [Double], answers: [Cell.Answer])] = [:]
                for trial in 0..<trials {
                    let key = key(length: length, depth: depth, trial: trial)
                    let text = Passkey.haystack(tokens: length, depth: Double(depth) / 100, key: key, counts: counts)
                    let bytes = Array(text.utf8)
                    for system in systems {
                        let outcome = try measure(system, bytes: bytes, key: key)
                        var entry = results[system] ?? (0, 0, 0, 0, [], [])
                        entry.correct += outcome.correct ? 1 : 0
                        entry.bytes = outcome.bytes
                        entry.tokens = outcome.tokens
                        entry.foldSeconds += outcome.foldSeconds
                        entry.asks.append(outcome.askSeconds)
                        entry.answers.append(Cell.Answer(key: key, answer: outcome.answer, confidence: outcome.confidence))
                        results[system] = entry
                    }
                }
                for system in systems {
                    guard let entry = results[system] else { continue }
                    let asks = entry.asks.sorted()
                    let cell = Cell(
                        system: system.rawValue, length: length, depth: depth, trials: trials, correct: entry.correct,
                        accuracy: Double(entry.correct) / Double(trials), stateBytes: entry.bytes, tokens: entry.tokens,
                        foldTokensPerSecond: Double(entry.tokens) * Double(trials) / max(entry.foldSeconds, 1e-9),
                        askP50Milliseconds: Self.percentile(asks, 0.5) * 1000, askP99Milliseconds: Self.percentile(asks, 0.99) * 1000,
                        answers: entry.answers
                    )
                    cells.append(cell)
                    progress(cell)
                }
            }
        }
        return cells
    }

    struct Outcome {
        var correct: Bool
        var answer: String
        var confidence: Float
        var bytes: Int
        var tokens: UInt64
        var foldSeconds: Double
        var askSeconds: Double
    }

    func measure(_ system: System, bytes: [UInt8], key: String) throws -> Outcome {
        let configuration = configuration(for: system)
        switch system {
        case .mom, .deltaSingle, .hebbian:
            var state = try MoMState(configuration: configuration)
            return try measure(&state, bytes: bytes, key: key)
        case .fullContext:
            var baseline = try FullContextBaseline(configuration: configuration)
            return try measure(&baseline, bytes: bytes, key: key)
        }
    }

    func measure<Memory: BenchmarkedSystem>(_ memory: inout Memory, bytes: [UInt8], key: String) throws -> Outcome {
        let clock = ContinuousClock()
        let foldStart = clock.now
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let end = min(offset + (1 << 16), raw.count)
                memory.fold(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                offset = end
            }
        }
        let foldTime = clock.now - foldStart
        let askStart = clock.now
        let result = try memory.read(cue: Passkey.question, options: ReadOptions(maxTokens: 8))
        let askTime = clock.now - askStart
        return Outcome(
            correct: Passkey.firstDigits(result.answer) == key, answer: result.answer, confidence: result.confidence,
            bytes: memory.stateBytes, tokens: memory.tokenCount, foldSeconds: foldTime.seconds, askSeconds: askTime.seconds)
    }

    /// The value at `fraction` of an ascending list (the rank rounded up), 0 for none.
    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count - 1)).rounded(.up))
        return sorted[min(rank, sorted.count - 1)]
    }
}
