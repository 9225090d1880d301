import Foundation
import MoMAsk
import MoMCore

/// People's questions about real text (SQuAD v1.1's format): each article folded as one
/// document, at its own length or placed at a seeded depth inside other prose, every question
/// asked through the same question layer as `momd ask`, and scored as SQuAD's official script
/// scores (exact match and F1 over normalised answers).
public struct SquadBenchmark: Sendable {
    /// One article: its paragraphs and the questions people wrote about them.
    public struct Article: Sendable, Equatable {
        public var title: String
        public var paragraphs: [String]
        public var questions: [(question: String, answers: [String])]

        public static func == (lhs: Article, rhs: Article) -> Bool {
            lhs.title == rhs.title && lhs.paragraphs == rhs.paragraphs && lhs.questions.count == rhs.questions.count
        }

        /// The document the article is folded as: its paragraphs, a blank line between.
        public var text: String { paragraphs.joined(separator: "\n\n") + "\n" }
    }

    /// Reads SQuAD v1.1-format JSON (`data[].paragraphs[].context`, `qas[].question`,
    /// `qas[].answers[].text`).
    public static func articles(json data: Data) throws -> [Article] {
        struct File: Decodable {
            struct Entry: Decodable {
                struct Paragraph: Decodable {
                    struct QA: Decodable {
                        struct Reference: Decodable { var text: String }
                        var question: String
                        var answers: [Reference]
                    }
                    var context: String
                    var qas: [QA]
                }
                var title: String?
                var paragraphs: [Paragraph]
            }
            var data: [Entry]
        }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw MoMError(.invalidConfiguration, "not SQuAD v1.1 JSON (data[].paragraphs[].context, qas[].question, qas[].answers[].text): \(error)")
        }
        return file.data.map { entry in
            Article(
                title: entry.title ?? "",
                paragraphs: entry.paragraphs.map(\.context),
                questions: entry.paragraphs.flatMap { paragraph in
                    paragraph.qas.filter { !$0.answers.isEmpty }.map { ($0.question, $0.answers.map(\.text)) }
                })
        }
    }

    /// A length to place each article at.
    public enum Length: Sendable, Equatable, CustomStringConvertible {
        /// The article alone.
        case native
        /// The article inside other prose, this many tokens in all.
        case tokens(Int)

        public var description: String {
            switch self {
            case .native: "native"
            case .tokens(let count): PasskeyHeatmap.lengthLabel(count)
            }
        }
    }

    /// One system at one length, over every question of every article.
    public struct Row: Codable, Sendable, Equatable {
        public var system: String
        public var length: String
        public var questions: Int
        public var em: Double
        public var f1: Double
        public var answered: Double
        /// Of the answered questions, the share with F1 ≥ 0.5.
        public var precision: Double?
        /// Of confidence, telling answers with F1 ≥ 0.5 from the rest (every question with a
        /// candidate answer, given or withheld).
        public var auroc: Double?
        public var evidenceRecallAt1: Double
        public var evidenceRecallAt3: Double
        public var askP50Milliseconds: Double
        public var askP99Milliseconds: Double
        public var stateBytes: Int

        enum CodingKeys: String, CodingKey {
            case system, length, questions, em, f1, answered, precision, auroc
            case evidenceRecallAt1 = "evidence_recall_at_1"
            case evidenceRecallAt3 = "evidence_recall_at_3"
            case askP50Milliseconds = "ask_p50_ms"
            case askP99Milliseconds = "ask_p99_ms"
            case stateBytes = "state_bytes"
        }
    }

    /// One question's outcome, for calibration and inspection.
    /// A candidate span as the reader saw it.
    public struct Candidate: Codable, Sendable, Equatable {
        public var answer: String
        public var f1: Double
        public var em: Double
        /// The passage (its rank among those read) and the span's words in it.
        public var passage: Int
        public var start: Int
        public var end: Int
        public var features: [Float]
    }

    public struct Outcome: Codable, Sendable, Equatable {
        /// The article's title (nil in outcomes written before it was kept).
        public var article: String?
        public var system: String
        public var length: String
        public var question: String
        public var references: [String]
        /// The answer given, or withheld when abstained.
        public var candidate: String
        public var abstained: Bool
        public var confidence: Float
        public var source: String?
        public var reading: EvidenceReading?
        /// F1 of the candidate (given or withheld).
        public var f1: Double
        public var em: Double
        /// Rank (1-based) of the first recalled passage holding a reference answer; nil if none of
        /// the first three does.
        public var evidenceRank: Int?
        /// Every candidate span the reader weighed, with its features and F1 (only when the
        /// benchmark keeps them, for fitting the reader's weights).
        public var candidates: [Candidate]?
    }

    public var articles: [Article]
    public var systems: [PasskeyBenchmark.System]
    public var lengths: [Length]
    public var seed: UInt64
    /// Prose sentences the longer documents are filled with.
    public var prose: [String]
    public var configuration: MoMConfiguration
    public var options: AskOptions
    /// Whether each outcome keeps the reader's candidate spans.
    public var keepsCandidates = false

    public init(
        articles: [Article], systems: [PasskeyBenchmark.System], lengths: [Length], seed: UInt64 = 1, prose: [String],
        configuration: MoMConfiguration = .default, options: AskOptions = AskOptions()
    ) {
        self.articles = articles
        self.systems = systems
        self.lengths = lengths
        self.seed = seed
        self.prose = prose
        self.configuration = configuration
        self.options = options
    }

    /// The document one article is folded as at `length`: the article alone, or placed at a
    /// seeded depth among prose sentences drawn in order from a seeded start.
    public func document(_ article: Article, index: Int, length: Length) -> String {
        guard case .tokens(let total) = length else { return article.text }
        let own = Passkey.tokenCount(article.text)
        guard total > own, !prose.isEmpty else { return article.text }
        var generator = SplitMix64(seed: seed ^ StableHash.mix64(UInt64(index) << 32 | UInt64(total)))
        let depth = Double(generator.next() % 1001) / 1000
        let fillTokens = total - own
        let before = Int(Double(fillTokens) * depth)
        var next = Int(generator.next() % UInt64(prose.count))
        func fill(_ tokens: Int) -> String {
            var text = ""
            var count = 0
            while count < tokens {
                let sentence = prose[next % prose.count]
                next += 1
                text += sentence + " "
                count += Passkey.tokenCount(sentence)
            }
            return text
        }
        return fill(before) + "\n\n" + article.text + "\n" + fill(fillTokens - before) + "\n"
    }

    /// Runs every (system, length) pair; `progress` hears each row as it is done.
    public func run(progress: (Row) -> Void = { _ in }) throws -> (rows: [Row], outcomes: [Outcome]) {
        var rows: [Row] = []
        var outcomes: [Outcome] = []
        let answerer = QuestionAnswerer(options: options)
        let passkey = PasskeyBenchmark(lengths: [], depths: [], trials: 1, systems: systems, configuration: configuration)
        for length in lengths {
            for system in systems {
                var mine: [Outcome] = []
                var latencies: [Double] = []
                var bytes = 0
                for (index, article) in articles.enumerated() {
                    let text = document(article, index: index, length: length)
                    let configuration = passkey.configuration(for: system)
                    switch system {
                    case .fullContext:
                        var baseline = try FullContextBaseline(configuration: configuration)
                        baseline.fold(Array(text.utf8))
                        let searchable = try FullContextEvidence(baseline)
                        bytes = max(bytes, searchable.stateBytes)
                        mine += try ask(article, of: searchable, answerer: answerer, system: system, length: length, latencies: &latencies)
                    default:
                        var state = try MoMState(configuration: configuration)
                        state.fold(text)
                        bytes = max(bytes, state.stateBytes)
                        mine += try ask(article, of: state, answerer: answerer, system: system, length: length, latencies: &latencies)
                    }
                }
                let row = Self.row(mine, system: system.rawValue, length: length.description, latencies: latencies, stateBytes: bytes)
                rows.append(row)
                outcomes += mine
                progress(row)
            }
        }
        return (rows, outcomes)
    }

    func ask(
        _ article: Article, of system: some RecallSystem, answerer: QuestionAnswerer, system name: PasskeyBenchmark.System,
        length: Length, latencies: inout [Double]
    ) throws -> [Outcome] {
        var outcomes: [Outcome] = []
        for (question, references) in article.questions {
            let clock = ContinuousClock()
            let start = clock.now
            let answer = try answerer.answer(question, from: system)
            latencies.append((clock.now - start).seconds * 1000)
            let candidate = answer.abstained ? answer.withheld : answer.answer
            let evidence = try answer.evidence ?? answerer.evidence(for: question, from: system, limit: 3).passages
            let normalized = references.map(SquadScore.normalize)
            let rank = evidence.prefix(3).firstIndex { passage in
                let text = " " + SquadScore.normalize(passage.text) + " "
                return normalized.contains { !$0.isEmpty && text.contains(" " + $0 + " ") }
            }
            var candidates: [Candidate]?
            if keepsCandidates {
                let query = EvidenceQuery(question: question, system: system)
                candidates = EvidenceReader().candidates(Question(question), query: query, passages: evidence).map { reading in
                    Candidate(
                        answer: reading.answer, f1: SquadScore.f1(reading.answer, references),
                        em: SquadScore.exactMatch(reading.answer, references), passage: reading.passage,
                        start: reading.words.lowerBound, end: reading.words.upperBound, features: reading.features.vector)
                }
            }
            outcomes.append(
                Outcome(
                    article: article.title, system: name.rawValue, length: length.description, question: question, references: references, candidate: candidate,
                    abstained: answer.abstained, confidence: answer.confidence, source: answer.source, reading: answer.reading,
                    f1: SquadScore.f1(candidate, references), em: SquadScore.exactMatch(candidate, references),
                    evidenceRank: rank.map { $0 + 1 }, candidates: candidates))
        }
        return outcomes
    }

    /// The row of one system at one length.
    public static func row(_ outcomes: [Outcome], system: String, length: String, latencies: [Double], stateBytes: Int) -> Row {
        let count = Double(max(outcomes.count, 1))
        let answered = outcomes.filter { !$0.abstained }
        let scored = outcomes.filter { !$0.candidate.isEmpty }
        return Row(
            system: system, length: length, questions: outcomes.count,
            em: answered.map(\.em).reduce(0, +) / count, f1: answered.map(\.f1).reduce(0, +) / count,
            answered: Double(answered.count) / count,
            precision: answered.isEmpty ? nil : Double(answered.filter { $0.f1 >= 0.5 }.count) / Double(answered.count),
            auroc: QABenchmark.auroc(scored.map { ($0.confidence, $0.f1 >= 0.5) }),
            evidenceRecallAt1: Double(outcomes.filter { $0.evidenceRank == 1 }.count) / count,
            evidenceRecallAt3: Double(outcomes.filter { $0.evidenceRank != nil }.count) / count,
            askP50Milliseconds: percentile(latencies, 0.5), askP99Milliseconds: percentile(latencies, 0.99), stateBytes: stateBytes)
    }

    /// The lowest threshold whose answers (confidence ≥ it) are at least `precision` right (F1 ≥
    /// 0.5), and the share of questions it answers; nil when no threshold reaches it.
    public static func calibrate(_ outcomes: [Outcome], precision target: Double) -> (threshold: Float, answered: Double)? {
        let candidates = outcomes.filter { !$0.candidate.isEmpty }.sorted { $0.confidence > $1.confidence }
        var right = 0
        var best: (Float, Double)?
        for (index, outcome) in candidates.enumerated() {
            if outcome.f1 >= 0.5 { right += 1 }
            let isLastOfTie = index + 1 == candidates.count || candidates[index + 1].confidence < outcome.confidence
            guard isLastOfTie, outcome.confidence > 0 else { continue }
            if Double(right) / Double(index + 1) >= target { best = (outcome.confidence, Double(index + 1) / Double(max(outcomes.count, 1))) }
        }
        return best
    }

    static func percentile(_ values: [Double], _ share: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * share).rounded()))]
    }
}

/// SQuAD's official scoring: lower-case, punctuation and the articles a/an/the removed,
/// whitespace collapsed; exact match on the normalised strings, F1 on their tokens; the best
/// over the reference answers.
public enum SquadScore {
    public static func normalize(_ text: String) -> String {
        let lower = text.lowercased()
        let kept = String(lower.unicodeScalars.filter { !Self.punctuation.contains($0) }.map(Character.init))
        return kept.split(whereSeparator: \.isWhitespace).filter { !["a", "an", "the"].contains($0) }.joined(separator: " ")
    }

    /// Python's `string.punctuation`, which the official script removes.
    static let punctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars)

    public static func exactMatch(_ prediction: String, _ references: [String]) -> Double {
        let predicted = normalize(prediction)
        return references.contains { normalize($0) == predicted } ? 1 : 0
    }

    public static func f1(_ prediction: String, _ references: [String]) -> Double {
        references.map { f1(prediction, $0) }.max() ?? 0
    }

    static func f1(_ prediction: String, _ reference: String) -> Double {
        let predicted = normalize(prediction).split(separator: " ").map(String.init)
        let truth = normalize(reference).split(separator: " ").map(String.init)
        var counts: [String: Int] = [:]
        for token in truth { counts[token, default: 0] += 1 }
        var common = 0
        for token in predicted where counts[token, default: 0] > 0 {
            counts[token]! -= 1
            common += 1
        }
        guard common > 0 else { return 0 }
        let precision = Double(common) / Double(predicted.count)
        let recall = Double(common) / Double(truth.count)
        return 2 * precision * recall / (precision + recall)
    }
}
