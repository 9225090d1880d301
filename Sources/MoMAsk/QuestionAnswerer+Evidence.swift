import Foundation
import MoMCore

/// What an answer read from evidence rests on: the features its confidence is made of.
public struct EvidenceReading: Sendable, Codable, Equatable {
    /// Index of the passage the span came from.
    public var passage: Int
    public var support: Float
    public var sureness: Float
    public var fitsType: Bool
    public var nearSupport: Float
    /// The span's score ahead of the best other answer.
    public var margin: Float
}

/// The question layer's second way to an answer: recall the sentences the question's content
/// words point to, read the span out of them, and judge how much of the question they support.
extension QuestionAnswerer {
    /// Sentences a recall system is asked for; the best supported of them are read.
    static let recalledSentences = 12
    /// How much a passage's rank takes from the system's score (as a share of the question's
    /// weight), against its text's support.
    static let systemScoreWeight: Float = 0.5

    /// The evidence for a question: its weighted words and the passages the system recalls,
    /// ranked by how much of the question each holds (then by the system's score).
    public func evidence(for text: String, from system: some RecallSystem, limit: Int = 3) throws -> (
        query: EvidenceQuery, passages: [Passage]
    ) {
        let query = EvidenceQuery(question: text, system: system)
        return (query, try evidence(for: query, from: system, limit: limit))
    }

    /// The passages the system recalls for weighted words, ranked as `evidence(for:from:limit:)`
    /// ranks them.
    func evidence(for query: EvidenceQuery, from system: some RecallSystem, limit: Int) throws -> [Passage] {
        guard query.totalWeight > 0, system.tokenCount > 0 else { return [] }
        var passages = try system.recall(query, limit: max(limit, Self.recalledSentences))
        for index in passages.indices {
            passages[index].support = query.support(of: EvidenceText.stems(passages[index].text))
        }
        // The text's own support counts most; the system's score (for the topic memory, about
        // the weight of the question's words the sentence was written under) stands in for
        // words its decoding lost.
        let rank = passages.map { passage in
            (1 - Self.systemScoreWeight) * passage.support + Self.systemScoreWeight * query.scoreShare(of: passage)
        }
        let order = passages.indices.sorted { left, right in
            if rank[left] != rank[right] { return rank[left] > rank[right] }
            return passages[left].sentence < passages[right].sentence
        }
        return order.prefix(limit).map { passages[$0] }
    }

    /// The answer the evidence gives, not yet judged against a threshold (nil when no span fits),
    /// the passages recalled, and every span the reader found in them (for a question over a
    /// list, its values).
    func answerFromEvidence(_ question: Question, query: EvidenceQuery, from system: some RecallSystem, keeping kept: Int = 5) throws
        -> (answer: Answer?, passages: [Passage], spans: [String])
    {
        let asksForAll = Self.asksForAll(question.text)
        let passages = try evidence(
            for: query, from: system, limit: max(kept, options.evidencePassages, asksForAll ? Self.listPassages : 0))
        if asksForAll, let list = listAnswer(question, query: query, passages: passages, from: system) {
            return (list, passages, (list.items ?? []).map(\.answer))
        }
        let reader = EvidenceReader()
        let candidates = passages.isEmpty ? [] : reader.candidates(question, query: query, passages: passages)
        guard let reading = reader.best(of: candidates) else { return (nil, passages, candidates.map(\.answer)) }
        let passage = passages[reading.passage]
        var confidence = Self.evidenceConfidence(passage: passage, reading: reading)
        // As for probes: a count of something else, or a passage with no word of the relation
        // asked about, is no answer ("How many horses …" read from "Jonas has 12 goats").
        let facts = Evidence(question)
        let held = EvidenceText.stems(passage.text)
        for case let names? in [facts.countedNames, facts.relation?.evidence]
        where held.isDisjoint(with: names.map(TopicTerms.stem)) {
            confidence = 0
        }
        // A question about something by name ("Who wrote The Last Kingdom?", "How old is
        // Amara?") is not answered from a passage that holds none of its names.
        let names = Self.names(in: question.text)
        if !names.isEmpty && held.isDisjoint(with: names) { confidence = 0 }
        // A span the sentence never held was decoded from another sentence's words.
        if !system.mayHold(reading.answer, in: passage) { confidence = 0 }
        var answer = Answer(
            answer: reading.answer, continuation: passage.text, confidence: confidence, abstained: false,
            answerType: question.answerType, probe: nil, tokens: [], memoriesRead: [], probesRead: 0, items: nil)
        answer.evidence = Array(passages.prefix(options.evidencePassages))
        answer.reading = EvidenceReading(
            passage: reading.passage, support: passage.support, sureness: passage.sureness, fitsType: reading.fitsType,
            nearSupport: reading.nearSupport, margin: reading.margin)
        return (answer, passages, candidates.map(\.answer))
    }

    /// The stems of a question's names: capitalised words past its first that are not function
    /// words ("Amara", "Last", "Kingdom" of "How old is Amara?" and "Who wrote The Last Kingdom?").
    static func names(in question: String) -> Set<String> {
        let words = EvidenceText.words(question)
        var names: Set<String> = []
        for (index, word) in words.enumerated() where index > 0 && word.first?.isUppercase == true {
            let lower = word.lowercased()
            guard !TopicTerms.isFunctionWord(lower), !EvidenceText.isPunctuation(word) else { continue }
            names.formUnion(EvidenceText.stems(lower))
        }
        return names
    }

    /// Passages read for a question over a list.
    static let listPassages = 8
    /// A passage's support, against the best passage's, for its value to join a list.
    static let listSupportShare: Float = 0.8

    /// Whether a question asks for every value ("What are all the …", "List all …").
    static func asksForAll(_ text: String) -> Bool { says(text, anyOf: allWords) }

    /// Whether a question asks for several values: for all or every one, for each or both, or
    /// with a plural verb ("What are the codes for the garage and the cellar?").
    static func asksForSeveral(_ text: String) -> Bool { says(text, anyOf: severalWords) }

    static let allWords: Set<String> = ["all", "every"]
    static let severalWords = allWords.union(["each", "both", "are", "were"])

    /// Whether a text holds one of `words` (lower-case) as a word.
    static func says(_ text: String, anyOf words: Set<String>) -> Bool {
        EvidenceText.words(text.lowercased()).contains(where: words.contains)
    }

    /// A question over a list, answered from every passage that holds about as much of the
    /// question as the best one: each one's span, distinct values in the passages' order. Nil
    /// when fewer than two passages give a value (the single answer then stands).
    func listAnswer(_ question: Question, query: EvidenceQuery, passages: [Passage], from system: some RecallSystem) -> Answer? {
        guard let best = passages.map(\.support).max(), best > 0 else { return nil }
        let reader = EvidenceReader()
        var items: [Answer] = []
        var seen = Set<String>()
        for passage in passages where passage.support >= best * Self.listSupportShare {
            // A value the sentence never held was decoded from another's words: no item.
            guard let reading = reader.read(question, query: query, passages: [passage]), reading.fitsType,
                system.mayHold(reading.answer, in: passage), seen.insert(reading.answer.lowercased()).inserted
            else { continue }
            var item = Answer(
                answer: reading.answer, continuation: passage.text, confidence: Self.evidenceConfidence(passage: passage, reading: reading),
                abstained: false, answerType: question.answerType, probe: nil, tokens: [], memoriesRead: [], probesRead: 0, items: nil)
            item.source = "evidence"
            items.append(item)
        }
        guard items.count > 1 else { return nil }
        var answer = Answer(
            answer: items.map(\.answer).joined(separator: ", "), continuation: items.map(\.continuation).joined(separator: " | "),
            confidence: items.map(\.confidence).min() ?? 0, abstained: false, answerType: question.answerType, probe: nil, tokens: [],
            memoriesRead: [], probesRead: 0, items: items)
        answer.evidence = Array(passages.prefix(max(options.evidencePassages, items.count)))
        return answer
    }

    /// How much of the question the evidence supports, and how sure the reading is: a logistic
    /// model of whether the span is right (F1 ≥ 0.5) over the span's share of the softmax over
    /// every candidate, its lead over the best other answer, the passage's weighted share of the
    /// question, the share near the span, whether it has the answer type's shape, whether it came
    /// from the best-ranked passage, how sure the passage's decoding was, the share in its clause,
    /// the matched words' pull, whether a number or a name was asked, and the share of the
    /// question the document never mentions. Fitted with the span
    /// weights on SQuAD articles the repository ships (`scripts/fit-reader.py`,
    /// docs/benchmarks.md): about the chance that the answer is right.
    static func evidenceConfidence(passage: Passage, reading: EvidenceReader.Reading) -> Float {
        let features = reading.features
        let z =
            -2.884 + 0.469 * reading.probability + 0.676 * min(reading.margin, EvidenceReader.maxMargin) + 0.739 * passage.support
            - 0.004 * features.near + 0.312 * features.fits + 0.476 * (reading.passage == 0 ? 1 : 0) + 0.064 * features.sureness
            + 0.114 * features.clause + 0.200 * features.pull + 0.302 * (features.lengthNumber > 0 ? 1 : 0)
            + 0.094 * (features.lengthName > 0 ? 1 : 0) - 0.235 * features.unmentioned
        return 1 / (1 + exp(-z))
    }
}
