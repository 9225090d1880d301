import MoMAsk
import MoMCore

/// Questions over documents, asked through the question layer of every system alike: RULER's
/// retrieval tasks and natural questions with unanswerable ones among them.
public struct QABenchmark: Sendable {
    /// One system on one task at one length.
    public struct Row: Codable, Sendable, Equatable {
        public var system: String
        public var task: String
        public var length: Int
        public var questions: Int
        /// Mean share of each answerable question's references found in its answer (RULER's
        /// string_match_all); an abstention scores 0.
        public var accuracy: Double
        /// Of the questions answered (not abstained), the share answered right; an answered
        /// unanswerable question is wrong. nil when nothing was answered.
        public var precision: Double?
        /// Area under the ROC curve of the confidence as a predictor of a right answer.
        public var auroc: Double?
        /// Share of unanswerable questions abstained (natural questions only).
        public var abstainedUnanswerable: Double?
        public var askP50Milliseconds: Double
        public var askP99Milliseconds: Double
        public var stateBytes: Int

        enum CodingKeys: String, CodingKey {
            case system, task, length, questions, accuracy, precision, auroc
            case abstainedUnanswerable = "abstained_unanswerable"
            case askP50Milliseconds = "ask_p50_ms"
            case askP99Milliseconds = "ask_p99_ms"
            case stateBytes = "state_bytes"
        }
    }

    /// One question's outcome, kept for calibrating the abstention threshold.
    public struct Outcome: Codable, Sendable, Equatable {
        public var system: String
        public var task: String
        public var length: Int
        public var question: String
        public var references: [String]
        public var answer: String
        /// The span held back by an abstention: what the answer would have been with no threshold.
        public var withheld: String
        public var confidence: Float
        /// The share of references the answer holds (0 for an unanswerable question).
        public var score: Double
        public var answerable: Bool
        public var probe: String?
        /// How long the question took to answer, in milliseconds.
        public var askMs: Double
    }

    public var lengths: [Int]
    public var tasks: [QATask]
    public var systems: [PasskeyBenchmark.System]
    public var trials: Int
    public var seed: UInt64
    public var prose: [String]
    public var configuration: MoMConfiguration
    public var options: AskOptions

    public init(
        lengths: [Int] = [4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10, 128 << 10], tasks: [QATask] = QATask.allCases,
        systems: [PasskeyBenchmark.System] = [.mom, .deltaSingle, .fullContext], trials: Int = 10, seed: UInt64 = 1,
        prose: [String], configuration: MoMConfiguration = .default, options: AskOptions = AskOptions()
    ) {
        self.lengths = lengths
        self.tasks = tasks
        self.systems = systems
        self.trials = trials
        self.seed = seed
        self.prose = prose
        self.configuration = configuration
        self.options = options
    }

    /// Runs every cell; `progress` hears each row as it is finished. Each outcome keeps the span
    /// an abstention held back, so the outcomes of single questions serve any threshold.
    public func run(progress: (Row) -> Void = { _ in }) throws -> (rows: [Row], outcomes: [Outcome]) {
        let generator = QATaskGenerator(prose: prose)
        let answerer = QuestionAnswerer(options: options)
        let passkey = PasskeyBenchmark(configuration: configuration)
        var rows: [Row] = []
        var outcomes: [Outcome] = []
        let clock = ContinuousClock()
        for length in lengths {
            for task in tasks {
                var cells: [PasskeyBenchmark.System: (outcomes: [Outcome], asks: [Double], bytes: Int)] = [:]
                for trial in 0..<trials {
                    let document = generator.document(task, tokens: length, seed: seed &+ UInt64(trial) &* 0x9E37_79B9 &+ UInt64(length))
                    let bytes = Array(document.text.utf8)
                    for system in systems {
                        let (memory, stateBytes) = try Self.fold(bytes, system: system, configuration: passkey.configuration(for: system))
                        var cell = cells[system] ?? ([], [], 0)
                        cell.bytes = stateBytes
                        for question in document.questions {
                            let start = clock.now
                            let answer = try answerer.answer(question.text, from: memory)
                            let seconds = (clock.now - start).seconds
                            cell.asks.append(seconds)
                            let text = answer.abstained ? "" : answer.answer
                            cell.outcomes.append(
                                Outcome(
                                    system: system.rawValue, task: task.rawValue, length: length, question: question.text,
                                    references: question.references, answer: text, withheld: answer.withheld,
                                    confidence: answer.confidence,
                                    score: Self.score(text, references: question.references), answerable: question.isAnswerable,
                                    probe: answer.probe?.cue, askMs: seconds * 1000))
                        }
                        cells[system] = cell
                    }
                }
                for system in systems {
                    guard let cell = cells[system] else { continue }
                    let row = Self.row(
                        system: system.rawValue, task: task, length: length, outcomes: cell.outcomes, asks: cell.asks.sorted(),
                        bytes: cell.bytes)
                    rows.append(row)
                    outcomes.append(contentsOf: cell.outcomes)
                    progress(row)
                }
            }
        }
        return (rows, outcomes)
    }

    /// The system that answers over `bytes`: MoM's or one memory's state, or the full text with
    /// its sentences searchable (the same evidence path `bench squad` measures).
    static func fold(_ bytes: [UInt8], system: PasskeyBenchmark.System, configuration: MoMConfiguration) throws -> (
        system: any RecallSystem, stateBytes: Int
    ) {
        switch system {
        case .fullContext:
            var baseline = try FullContextBaseline(configuration: configuration)
            foldInChunks(bytes, into: &baseline)
            let searchable = try FullContextEvidence(baseline)
            return (searchable, searchable.stateBytes)
        default:
            var state = try MoMState(configuration: configuration)
            foldInChunks(bytes, into: &state)
            return (state, state.stateBytes)
        }
    }

    /// Folds `bytes` 64 KiB at a time, as `momd ingest` hands them over.
    static func foldInChunks(_ bytes: [UInt8], into memory: inout some BenchmarkedSystem) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let end = min(offset + (1 << 16), raw.count)
                memory.fold(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                offset = end
            }
        }
    }

    /// The share of `references` found in `answer`, ignoring case.
    public static func score(_ answer: String, references: [String]) -> Double {
        guard !references.isEmpty else { return 0 }
        let answer = answer.lowercased()
        return Double(references.filter { answer.contains($0.lowercased()) }.count) / Double(references.count)
    }

    /// A row of outcomes judged as answered (an abstention has an empty answer).
    static func row(system: String, task: QATask, length: Int, outcomes: [Outcome], asks: [Double], bytes: Int) -> Row {
        let answerable = outcomes.filter(\.answerable)
        let unanswerable = outcomes.filter { !$0.answerable }
        let accuracy = answerable.map(\.score).reduce(0, +) / Double(max(answerable.count, 1))
        let answered = outcomes.filter { !$0.answer.isEmpty }
        let right = answered.filter { $0.answerable && $0.score == 1 }.count
        return Row(
            system: system, task: task.rawValue, length: length, questions: outcomes.count, accuracy: accuracy,
            precision: answered.isEmpty ? nil : Double(right) / Double(answered.count),
            auroc: auroc(outcomes.map { ($0.confidence, $0.answerable && score($0.answer + $0.withheld, references: $0.references) == 1) }),
            abstainedUnanswerable: unanswerable.isEmpty ? nil : Double(unanswerable.filter(\.answer.isEmpty).count) / Double(unanswerable.count),
            askP50Milliseconds: PasskeyBenchmark.percentile(asks, 0.5) * 1000,
            askP99Milliseconds: PasskeyBenchmark.percentile(asks, 0.99) * 1000, stateBytes: bytes)
    }

    /// The probability that a right answer has a higher confidence than a wrong one (ties count
    /// half); nil without both.
    public static func auroc(_ samples: [(Float, Bool)]) -> Double? {
        let positives = samples.filter(\.1).map(\.0)
        let negatives = samples.filter { !$0.1 }.map(\.0)
        guard !positives.isEmpty, !negatives.isEmpty else { return nil }
        var wins = 0.0
        for positive in positives {
            for negative in negatives { wins += positive > negative ? 1 : positive == negative ? 0.5 : 0 }
        }
        return wins / Double(positives.count * negatives.count)
    }

    /// The lowest threshold at which the answered outcomes are at least `precision` right, and the
    /// share of answerable questions it still answers right. Questions over a list are left out
    /// (their items are thresholded one by one), and so is MK-NIAH-2: its keys differ only beyond
    /// the 4-token window, so a confident wrong answer there is the key's limit, not the
    /// threshold's.
    public static func calibrate(_ outcomes: [Outcome], precision: Double) -> (threshold: Float, coverage: Double) {
        let single = outcomes.filter { $0.references.count <= 1 && $0.task != QATask.mkniah2.rawValue }
        let candidates = Set(single.map(\.confidence)).sorted()
        let answerable = max(single.filter(\.answerable).count, 1)
        for threshold in candidates {
            let answered = single.filter { $0.confidence >= threshold && !($0.answer + $0.withheld).isEmpty }
            guard !answered.isEmpty else { break }
            let right = answered.filter { $0.answerable && score($0.answer + $0.withheld, references: $0.references) == 1 }.count
            if Double(right) / Double(answered.count) >= precision {
                return (threshold, Double(right) / Double(answerable))
            }
        }
        return (candidates.last.map { $0.nextUp } ?? 1, 0)
    }
}
