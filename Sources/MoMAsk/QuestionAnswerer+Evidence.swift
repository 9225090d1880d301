import MoMCore

/// The question layer's second way to an answer: recall the sentences the question's content
/// words point to, read the span out of them, and judge how much of the question they support.
extension QuestionAnswerer {
    /// Sentences a recall system is asked for; the best supported of them are read.
    static let recalledSentences = 12

    /// The evidence for a question: its weighted words and the passages the system recalls,
    /// ranked by how much of the question each holds (then by the system's score).
    public func evidence(for text: String, from system: some RecallSystem, limit: Int = 3) throws -> (
        query: EvidenceQuery, passages: [Passage]
    ) {
        let query = EvidenceQuery(question: text, weights: system.evidenceWeights(of:))
        guard query.totalWeight > 0, system.tokenCount > 0 else { return (query, []) }
        var passages = try system.recall(query, limit: max(limit, Self.recalledSentences))
        for index in passages.indices {
            let stems = Set(EvidenceText.words(passages[index].text).map { TopicTerms.stem($0.lowercased()) })
            passages[index].support = query.support(of: stems)
        }
        let order = passages.indices.sorted { left, right in
            let a = passages[left]
            let b = passages[right]
            if a.support != b.support { return a.support > b.support }
            if a.score != b.score { return a.score > b.score }
            return a.sentence < b.sentence
        }
        return (query, order.prefix(limit).map { passages[$0] })
    }

    /// The answer the evidence gives, not yet judged against a threshold (nil when no span fits),
    /// and the passages recalled.
    func answerFromEvidence(_ question: Question, from system: some RecallSystem) throws -> (answer: Answer?, passages: [Passage]) {
        let (query, passages) = try evidence(for: question.text, from: system, limit: max(5, options.evidencePassages))
        guard !passages.isEmpty,
            let reading = EvidenceReader().read(question, query: query, passages: passages)
        else { return (nil, Array(passages.prefix(options.evidencePassages))) }
        let passage = passages[reading.passage]
        let confidence = Self.evidenceConfidence(passage: passage, reading: reading)
        var answer = Answer(
            answer: reading.answer, continuation: passage.text, confidence: confidence, abstained: false,
            answerType: question.answerType, probe: nil, tokens: [], memoriesRead: [], probesRead: 0, items: nil)
        answer.evidence = Array(passages.prefix(options.evidencePassages))
        return (answer, answer.evidence ?? [])
    }

    /// How much of the question the evidence supports times how sure the decode is: the
    /// passage's weighted share of the question, its words' mean decode confidence, and whether
    /// the span has the shape the question asks for and sits among the question's words.
    static func evidenceConfidence(passage: Passage, reading: EvidenceReader.Reading) -> Float {
        let shape: Float = reading.fitsType ? 1 : 0.6
        let near = 0.6 + 0.4 * reading.nearSupport
        return max(0, min(1, passage.support * min(passage.sureness, 1) * shape * near))
    }
}
