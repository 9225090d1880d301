import MoMCore

/// A memory the question layer can ask: MoM, one delta memory, or the full-context baseline.
///
/// The layer turns a question into cues and reads each one here; a system only has to continue a
/// cue from what it holds, so every system is asked the same way and comparisons stay fair.
public protocol RecallSystem {
    /// Continues `cue` from the memory alone, token by token.
    func read(cue: String, options: ReadOptions) throws -> ReadResult
    /// Goes on with `result`, a read of `cue` cut at its token limit, up to `options.maxTokens`
    /// tokens in all: the same tokens as `read(cue:options:)` with that limit.
    func read(continuing result: ReadResult, cue: String, options: ReadOptions) throws -> ReadResult
    /// The `limit` cues whose first token reads strongest as evidence (strength times the cue's
    /// `evidenceScale`), best first, with that token.
    func strongestFirstTokens(of cues: [String], limit: Int) throws -> [(cue: Int, token: ReadToken)]
    /// What a first token's strength read from `cue` is worth as evidence
    /// (`MoMConfiguration.evidenceScale(contextTokens:)`).
    func evidenceScale(of cue: String) throws -> Float
    /// Tokens folded so far.
    var tokenCount: UInt64 { get }
    /// How much each word says about where it occurs (an IDF the system keeps); 0 for a word the
    /// document does not hold. A system with no evidence recall gives 0 for every word.
    func evidenceWeights(of words: [String]) -> [Float]
    /// The `limit` sentences the query's weighted words point to, best first by the system's own
    /// score, as the system holds them. A system with no evidence recall gives none.
    func recall(_ query: EvidenceQuery, limit: Int) throws -> [Passage]
    /// Whether `answer` is held together with the question in one of `passages` (recalled for
    /// it): the answer stands on the evidence, not only on the words before it.
    func corroborates(_ answer: String, in passages: [Passage]) -> Bool
    /// Whether `passage`, as recalled, may hold `answer`: false when the system knows the
    /// sentence never held one of the answer's words (its decoding took them from elsewhere).
    func mayHold(_ answer: String, in passage: Passage) -> Bool
    /// Whether the document mentions `word` anywhere (as far as the system can tell).
    func mentions(_ word: String) -> Bool
    /// The share of `query`'s weight that `passage`'s sentence holds: by its text, or by what
    /// the system knows its sentence was written under.
    func support(of query: EvidenceQuery, in passage: Passage) -> Float
}

extension RecallSystem {
    public func evidenceWeights(of words: [String]) -> [Float] { words.map { _ in 0 } }
    public func recall(_ query: EvidenceQuery, limit: Int) throws -> [Passage] { [] }
    /// A system that holds its text verbatim holds what it recalls.
    public func mayHold(_ answer: String, in passage: Passage) -> Bool { true }
    /// A system that keeps no count of words cannot tell: every word may be mentioned.
    public func mentions(_ word: String) -> Bool { true }
    /// A system that holds its text verbatim: the text's share.
    public func support(of query: EvidenceQuery, in passage: Passage) -> Float {
        query.support(of: EvidenceText.stems(passage.text))
    }

    /// Whether a passage's text holds the answer (`Passage.holds`).
    public func corroborates(_ answer: String, in passages: [Passage]) -> Bool {
        passages.contains { $0.holds(answer) }
    }

    /// Reads the cue again with the higher limit; a system that can go on where a read stopped
    /// overrides this.
    public func read(continuing result: ReadResult, cue: String, options: ReadOptions) throws -> ReadResult {
        try read(cue: cue, options: options)
    }

    /// Reads every cue's first token; a system with a faster way overrides this.
    public func strongestFirstTokens(of cues: [String], limit: Int) throws -> [(cue: Int, token: ReadToken)] {
        var firsts: [(cue: Int, token: ReadToken)] = []
        let options = ReadOptions(maxTokens: 1, minConfidence: -Float.infinity, stopsAtSentenceEnd: false)
        for (index, cue) in cues.enumerated() {
            do {
                if let token = try read(cue: cue, options: options).tokens.first { firsts.append((index, token)) }
            } catch let error as MoMError where error.code == .emptyCue {
                continue
            }
        }
        let evidence = try firsts.map { $0.token.strength * (try evidenceScale(of: cues[$0.cue])) }
        let order = firsts.indices.sorted {
            evidence[$0] != evidence[$1] ? evidence[$0] > evidence[$1] : firsts[$0].cue < firsts[$1].cue
        }
        return order.prefix(limit).map { firsts[$0] }
    }
}

extension MoMState: RecallSystem {
    public func read(continuing result: ReadResult, cue: String, options: ReadOptions) throws -> ReadResult {
        try read(continuing: result, options: options)
    }

    public func evidenceWeights(of words: [String]) -> [Float] { words.map(inverseSentenceFrequency(of:)) }

    /// Whether a sentence was written under the word's term (the topic memory's count; true
    /// without a topic memory).
    public func mentions(_ word: String) -> Bool {
        guard let topic = topicMemory else { return true }
        guard let term = topic.term(of: word) else { return true }
        return topic.sentenceFrequency(ofTerm: term) > 0
    }

    /// A passage's decoded text, unless the topic memory says its sentence never held one of the
    /// answer's words (the decoding that read the answer took the same wrong turn); or the topic
    /// memory: a sentence written under most of the answer's own words (by weight) holds it,
    /// whatever its decoding lost.
    public func corroborates(_ answer: String, in passages: [Passage]) -> Bool {
        if passages.contains(where: { $0.holds(answer) && mayHold(answer, in: $0) }) { return true }
        let words = EvidenceText.terms(answer)
        let weighted = Array(zip(words, evidenceWeights(of: words)))
        return passages.contains {
            topicSupport(of: weighted, inSentence: UInt64($0.sentence)) >= Self.corroboratingShare
                && sentence(UInt64($0.sentence), holds: words) == true
        }
    }

    /// The topic memory's check of the decoding: no word of the answer is one its sentence's
    /// rows say it was never written under.
    public func mayHold(_ answer: String, in passage: Passage) -> Bool {
        sentence(UInt64(passage.sentence), holds: EvidenceText.terms(answer)) != false
    }

    /// The decoded text's share, or the topic memory's: the weight of the query's words the
    /// sentence was written under (a word no sentence holds, held by none), whatever its decoding
    /// lost.
    public func support(of query: EvidenceQuery, in passage: Passage) -> Float {
        let text = query.support(of: EvidenceText.stems(passage.text))
        let total = query.totalWeight
        guard total > 0 else { return text }
        let mentioned = zip(query.words, query.weights).filter { mentions($0.0) }
        let weight = mentioned.reduce(Float(0)) { $0 + $1.1 }
        let topic = topicSupport(of: mentioned, inSentence: UInt64(passage.sentence)) * weight / total
        return max(text, min(topic, 1))
    }

    /// The share of an answer's weighted words a sentence must hold to corroborate it.
    static let corroboratingShare: Float = 0.75

    /// The topic memory's strongest sentences, each decoded from the context it began in.
    public func recall(_ query: EvidenceQuery, limit: Int) throws -> [Passage] {
        guard tokenCount > 0 else { return [] }
        let recalled = try recallSentences(words: Array(zip(query.words, query.weights)), limit: limit)
        return recalled.map { sentence in
            let tokens = sentence.read.tokens
            let sureness = tokens.isEmpty ? 0 : tokens.map(\.confidence).reduce(0, +) / Float(tokens.count)
            return Passage(
                text: sentence.read.answer, sentence: Int(sentence.sentence), token: sentence.token, score: sentence.topicScore,
                sureness: sureness)
        }
    }
}
