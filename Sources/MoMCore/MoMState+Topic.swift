import Foundation

/// A sentence recalled from the state: where the topic memory pointed, rebuilt by the n-gram
/// memories.
public struct RecalledSentence: Sendable, Equatable {
    /// The sentence's index in the document (0 for the first).
    public var sentence: UInt64
    /// The document's token count when it began.
    public var token: UInt64
    /// What the topic memory read for it (about the summed weight of the terms it holds).
    public var topicScore: Float
    /// The decoded sentence.
    public var read: ReadResult
}

extension MoMState {
    /// The topic memory, if the configuration keeps one.
    public var topicMemory: TopicMemory? { engine.topic }

    /// How rare a word is in the document as the topic memory counts it: ln((S + 1) / (f + 0.5))
    /// for S sentences of which f hold the word's term; for a word no sentence holds, half the
    /// weight of a word in one sentence (a question about what the document never mentions is
    /// supported less); 0 for a function word.
    public func inverseSentenceFrequency(of word: String) -> Float {
        guard let topic = engine.topic, let term = topic.term(of: word) else { return 0 }
        let frequency = topic.sentenceFrequency(ofTerm: term)
        let sentences = Double(topic.sentences) + 1
        guard frequency > 0 else { return Float(log(sentences / 1.5)) / 2 }
        return Float(log(sentences / (Double(frequency) + 0.5)))
    }

    /// The weighted words as distinct topic terms (the larger weight where two words share one).
    func topicTerms(_ words: [(word: String, weight: Float)]) -> [(term: UInt64, weight: Float)] {
        guard let topic = engine.topic else { return [] }
        var terms: [(term: UInt64, weight: Float)] = []
        for (word, weight) in words where weight > 0 {
            // A word no sentence holds reads only crosstalk.
            guard let term = topic.term(of: word), topic.sentenceFrequency(ofTerm: term) > 0 else { continue }
            if let index = terms.firstIndex(where: { $0.term == term }) {
                terms[index].weight = max(terms[index].weight, weight)
            } else {
                terms.append((term, weight))
            }
        }
        return terms
    }

    /// The share (0…1) of the weighted words that sentence `sentence` was written under, as the
    /// topic memory reads it; 0 without a topic memory.
    public func topicSupport(of words: [(word: String, weight: Float)], inSentence sentence: UInt64) -> Float {
        guard let topic = engine.topic else { return 0 }
        let terms = topicTerms(words)
        let total = terms.reduce(0) { $0 + $1.weight }
        guard total > 0 else { return 0 }
        return max(0, min(1, topic.heldWeights(of: terms, in: [sentence])[0] / total))
    }

    /// Rows written by more sentences than this read too loosely to say a term is missing.
    public static let membershipWriters: UInt32 = 12
    /// Terms whose rows read a sentence's code below this on average were not written by it;
    /// at or above 1 minus this, they were.
    public static let membershipFloor: Float = 0.35

    /// Whether sentence `sentence` was written under the words of `words` (letter words and
    /// whole numbers), as far as the topic memory can tell: the mean reading of their rows
    /// against its code, over the words whose rows few sentences wrote (each reads about 1 if it
    /// holds the word, about 0 if not, give or take √(writers / width)). True at or above
    /// 1 − `membershipFloor`, false below `membershipFloor`, nil in between, without a topic
    /// memory, or when no word's rows are clear enough to tell. A decoded word the sentence
    /// does not hold came from another sentence that shares the context before it.
    public func sentence(_ sentence: UInt64, holds words: [String]) -> Bool? {
        guard let topic = engine.topic, sentence < topic.sentences else { return nil }
        var readings: [Float] = []
        for word in words {
            guard let term = topic.term(of: word) else { continue }
            let (reading, writers) = topic.membership(ofTerm: term, sentence: sentence)
            if writers <= Self.membershipWriters { readings.append(reading) }
        }
        guard !readings.isEmpty else { return nil }
        let mean = readings.reduce(0, +) / Float(readings.count)
        if mean >= 1 - Self.membershipFloor { return true }
        return mean < Self.membershipFloor ? false : nil
    }

    /// The `limit` sentences the weighted words point to, best first, each decoded from the
    /// context it began in. Empty without a topic memory.
    public func recallSentences(words: [(word: String, weight: Float)], limit: Int) throws -> [RecalledSentence] {
        guard let topic = engine.topic else { return [] }
        let terms = topicTerms(words)
        let matches = topic.strongestSentences(for: terms, limit: limit)
        guard !matches.isEmpty else { return [] }
        let decoder = try sentenceDecoder()
        return matches.map { match in
            RecalledSentence(
                sentence: match.sentence, token: match.token, topicScore: match.score, read: decoder.decodeSentence(match))
        }
    }

    /// Decodes the sentence that began at `match` (its slot's context) for its length in tokens.
    public func decodeSentence(_ match: TopicMemory.Match) throws -> ReadResult {
        try sentenceDecoder().decodeSentence(match)
    }

    /// A decoder for recalled sentences: from a slot's own context, every order of the window
    /// is the document's.
    func sentenceDecoder() throws -> CueDecoder {
        var decoder = try CueDecoder(state: self)
        decoder.readsEveryOrder = true
        return decoder
    }
}

extension CueDecoder {
    /// Tokens of a recalled sentence decode until one reads below this cosine: past it the
    /// context is probably wrong, and what follows would be another sentence's words.
    static let sentenceFloor: Float = 0.25

    /// Decodes a sentence piece by piece: from the context it began in, then from each
    /// checkpoint, each piece for its own tokens, so a piece led astray by a phrase written
    /// elsewhere too costs only the rest of that piece. A piece that breaks off early is marked
    /// with "…".
    func decodeSentence(_ match: TopicMemory.Match) -> ReadResult {
        let starts = [match.context] + match.checkpoints
        let step = Int(TopicMemory.checkpointTokens)
        var result = ReadResult(answer: "", confidence: 0, tokens: [], memoriesRead: [], stop: .maxTokens)
        var broken = false
        for (piece, start) in starts.enumerated() {
            let length = piece == starts.count - 1 ? match.length - piece * step : step
            guard length > 0 else { break }
            let before = result.tokens.count
            if start.count > 0 {
                result = run(
                    from: start, options: ReadOptions(maxTokens: before + length, minConfidence: Self.sentenceFloor, stopsAtSentenceEnd: false),
                    continuing: result)
            }
            if result.tokens.count < before + length {
                broken = true
                if piece < starts.count - 1 { result.answer += result.answer.isEmpty ? "…" : " …" }
            }
        }
        result.confidence = result.tokens.map(\.confidence).min() ?? 0
        result.stop = broken ? .lowConfidence : .maxTokens
        result.nextContext = nil
        return result
    }
}
