import MoMCore

/// A sentence a recall system gives as evidence for a question, with what the question layer
/// found in it.
public struct Passage: Sendable, Codable, Equatable {
    /// The sentence as the system holds it (decoded from the state, for MoM).
    public var text: String
    /// Its index among the document's sentences.
    public var sentence: Int
    /// The document's token count where it began.
    public var token: UInt64
    /// The system's own score for it (the topic memory's read, or BM25).
    public var score: Float
    /// How sure the system is of the text: the mean confidence of its decoded tokens (1 for text
    /// held verbatim).
    public var sureness: Float
    /// The share of the question's weighted content words the text holds (0…1), set by the
    /// question layer.
    public var support: Float = 0

    /// Whether the text holds `answer`, case and spacing aside (the decoded "7 : 05" holds "7:05").
    public func holds(_ answer: String) -> Bool {
        let compact = { (text: String) in String(text.lowercased().filter { !$0.isWhitespace }) }
        let wanted = compact(answer)
        return !wanted.isEmpty && compact(text).contains(wanted)
    }

    public init(text: String, sentence: Int, token: UInt64, score: Float, sureness: Float) {
        self.text = text
        self.sentence = sentence
        self.token = token
        self.score = score
        self.sureness = sureness
    }
}

/// A question's content words as evidence is sought with: lower-cased, function words and
/// question words dropped, each weighted by how rare the system finds it in the document.
public struct EvidenceQuery: Sendable, Equatable {
    /// The words, in the question's order, without repeats.
    public var words: [String]
    /// Their stems (`TopicTerms.stem`), compared with a passage's.
    public var stems: [String]
    /// Each word's weight (0 for a word the document does not hold).
    public var weights: [Float]

    /// The question's words that a recall system can look for.
    public static func words(of question: String) -> [String] {
        var words: [String] = []
        for word in EvidenceText.terms(question) {
            let lower = word.lowercased()
            guard lower.contains(where: { $0.isLetter || $0.isNumber }), !TopicTerms.isFunctionWord(lower),
                !EnglishWords.questionWords.contains(lower), !EnglishWords.auxiliaries.contains(lower),
                lower.count > 1 || lower.allSatisfy(\.isNumber), !words.contains(lower)
            else { continue }
            words.append(lower)
        }
        return words
    }

    /// The share of the weight on words the document never mentions: a question about what
    /// is not there.
    public var unmentioned: Float = 0

    public init(question: String, weights weigh: ([String]) -> [Float]) {
        words = Self.words(of: question)
        stems = words.map(TopicTerms.stem)
        weights = weigh(words)
    }

    /// The question's words weighted by `system`, noting the share the document never mentions.
    public init(question: String, system: some RecallSystem) {
        self.init(question: question, weights: system.evidenceWeights(of:))
        let total = totalWeight
        guard total > 0 else { return }
        let absent = zip(words, weights).filter { !system.mentions($0.0) }.reduce(Float(0)) { $0 + $1.1 }
        unmentioned = absent / total
    }

    /// The summed weight of the words.
    public var totalWeight: Float { weights.reduce(0, +) }

    /// A passage's score from its system as a share of the words' weight (0…1): for the topic
    /// memory, about the weight of the question's words its sentence was written under.
    public func scoreShare(of passage: Passage) -> Float {
        let total = totalWeight
        return total > 0 ? min(max(passage.score / total, 0), 1) : 0
    }

    /// The share of the weight a text's words hold.
    public func support(of textStems: Set<String>) -> Float {
        let total = totalWeight
        guard total > 0 else { return 0 }
        var held: Float = 0
        for (stem, weight) in zip(stems, weights) where textStems.contains(stem) { held += weight }
        return held / total
    }
}

/// Words of a passage or a question as the reader sees them: runs of letters and digits with
/// the punctuation inside them ("Notre-Dame", "3.5", "U.S."), and each other punctuation mark
/// on its own.
public enum EvidenceText {
    public static func words(_ text: String) -> [String] {
        var words: [String] = []
        for chunk in text.split(whereSeparator: \.isWhitespace) {
            let characters = Array(chunk)
            var start = 0
            var end = characters.count
            var leading: [String] = []
            var trailing: [String] = []
            while start < end, !(characters[start].isLetter || characters[start].isNumber) {
                leading.append(String(characters[start]))
                start += 1
            }
            while end > start, !(characters[end - 1].isLetter || characters[end - 1].isNumber) {
                trailing.insert(String(characters[end - 1]), at: 0)
                end -= 1
            }
            words.append(contentsOf: leading)
            if start < end {
                // A possessive "'s" is its own word, as the fold's tokens have it.
                let core = String(characters[start..<end])
                if core.count > 2, core.hasSuffix("'s") || core.hasSuffix("’s") {
                    words.append(String(core.dropLast(2)))
                    words.append("'s")
                } else {
                    words.append(core)
                }
            }
            words.append(contentsOf: trailing)
        }
        return words
    }

    /// The runs of letters and the runs of digits in a text, as the topic memory keys them
    /// ("7:05" → "7", "05").
    public static func terms(_ text: String) -> [String] {
        var terms: [String] = []
        var current = ""
        var isDigitRun = false
        for character in text.lowercased() {
            let letter = character.isLetter
            let digit = character.isNumber
            if (letter || digit) && !current.isEmpty && digit == isDigitRun {
                current.append(character)
                continue
            }
            if !current.isEmpty { terms.append(current) }
            current = letter || digit ? String(character) : ""
            isDigitRun = digit
        }
        if !current.isEmpty { terms.append(current) }
        return terms
    }

    /// The stems of a text's terms (`terms`, `TopicTerms.stem`).
    public static func stems(_ text: String) -> Set<String> { Set(terms(text).map(TopicTerms.stem)) }

    /// Whether a word is punctuation only.
    public static func isPunctuation(_ word: String) -> Bool { !word.contains { $0.isLetter || $0.isNumber } }
}
