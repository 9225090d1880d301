import MoMCore

/// Reads the answer to a question out of recalled passages: the span that fits the question's
/// answer type, holds none of its words, and sits where the question's words gather.
///
/// A rule reader, no model: candidate spans are runs of up to `maxSpanWords` words inside one
/// clause; each is scored by the passage's support for the question, how close the question's
/// matched words are (weighted by their rarity), whether it has the answer type's shape (a year,
/// a number, capitalised names), and its length.
public struct EvidenceReader: Sendable {
    public init() {}

    /// Words a span has at most.
    static let maxSpanWords = 7
    /// Passages read for spans (the best supported first).
    static let passagesRead = 3

    /// The reader's choice: the span, the passage it came from, and what it is worth.
    public struct Reading: Sendable, Equatable {
        public var answer: String
        /// Index of the passage in the list given.
        public var passage: Int
        /// The span's score (higher is better; comparable within one question).
        public var score: Float
        /// Whether the span has the shape of the answer type (always true for a phrase).
        public var fitsType: Bool
        /// Of the question's weight, the share within a few words of the span.
        public var nearSupport: Float
    }

    /// The best span in `passages` (already ranked, their `support` set), or nil when none has a
    /// candidate.
    public func read(_ question: Question, query: EvidenceQuery, passages: [Passage]) -> Reading? {
        var best: Reading?
        for (index, passage) in passages.prefix(Self.passagesRead).enumerated() where passage.support > 0 {
            guard let reading = read(question, query: query, passage: passage, index: index) else { continue }
            if best == nil || reading.score > best!.score { best = reading }
        }
        return best
    }

    func read(_ question: Question, query: EvidenceQuery, passage: Passage, index: Int) -> Reading? {
        let words = EvidenceText.words(passage.text)
        guard !words.isEmpty else { return nil }
        let lower = words.map { $0.lowercased() }
        let stems = lower.map(TopicTerms.stem)
        let questionStems = Set(query.stems)
        let questionWords = Set(EvidenceText.words(question.text).map { TopicTerms.stem($0.lowercased()) })
        // Where each weighted question word occurs in the passage.
        var matches: [(position: Int, weight: Float)] = []
        for (position, stem) in stems.enumerated() {
            if let word = query.stems.firstIndex(of: stem), query.weights[word] > 0 { matches.append((position, query.weights[word])) }
        }
        let total = max(query.totalWeight, 1e-6)
        let type = question.answerType
        var best: Reading?
        for start in words.indices {
            guard Self.canOpen(words[start], lower: lower[start]) else { continue }
            var end = start
            while end < words.count && end - start < Self.maxSpanWords {
                let word = words[end]
                // A span stays inside one clause and holds no word of the question.
                if EvidenceText.isPunctuation(word) && !(word == "-" || word == "'s" || word == "%" || word == "$" || word == "&") { break }
                if questionStems.contains(stems[end]) || questionWords.contains(stems[end]) { break }
                end += 1
                guard Self.canClose(words[end - 1], lower: lower[end - 1]) else { continue }
                let span = start..<end
                let shape = Self.shape(of: span, words: words, lower: lower, type: type)
                // Each matched word pulls towards the span by its weight, less with distance.
                var near: Float = 0
                var pull: Float = 0
                for match in matches {
                    let distance = match.position < start ? start - match.position : match.position - (end - 1)
                    pull += match.weight * Self.decay(distance)
                    if distance <= 4 { near += match.weight }
                }
                let length = Float(end - start)
                let score =
                    2 * passage.support + pull / total + shape.bonus - Self.lengthCost(type) * (length - 1)
                    - Float(index) * 0.15
                if best == nil || score > best!.score {
                    best = Reading(
                        answer: Self.text(words[span]), passage: index, score: score, fitsType: shape.fits,
                        nearSupport: min(near / total, 1))
                }
            }
        }
        return best
    }

    static func decay(_ distance: Int) -> Float { 1 / (1 + Float(max(distance - 1, 0)) * 0.35) }

    static func lengthCost(_ type: AnswerType) -> Float {
        switch type {
        case .number, .time, .code: return 0.12
        case .name, .place: return 0.08
        case .phrase: return 0.06
        }
    }

    /// Whether a span may begin with this word: not a function word or punctuation.
    static func canOpen(_ word: String, lower: String) -> Bool {
        !EvidenceText.isPunctuation(word) && !TopicTerms.isFunctionWord(lower) && lower != "'s"
    }

    static func canClose(_ word: String, lower: String) -> Bool { canOpen(word, lower: lower) || word == "%" }

    /// How well a span has the answer type's shape: a bonus (or a cost) and whether it fits.
    static func shape(of span: Range<Int>, words: [String], lower: [String], type: AnswerType) -> (bonus: Float, fits: Bool) {
        let slice = span.map { words[$0] }
        let hasDigit = slice.contains { $0.contains(where: \.isNumber) }
        let capitalised = span.filter { index in
            guard let first = words[index].first, first.isUppercase else { return false }
            return index > 0 || !TopicTerms.isFunctionWord(lower[index])
        }.count
        switch type {
        case .time:
            let year = slice.contains { word in word.count == 4 && word.allSatisfy(\.isNumber) }
            let month = span.contains { EvidenceVocabulary.months.contains(lower[$0]) }
            let decade = slice.contains { $0.hasSuffix("s") && $0.dropLast().allSatisfy(\.isNumber) && $0.count == 5 }
            let century = span.contains { lower[$0] == "century" || lower[$0] == "centuries" }
            if year || month || decade || century { return (1.2, true) }
            return hasDigit ? (0.4, true) : (-1.5, false)
        case .number:
            let numberWord = span.contains { EvidenceVocabulary.numberWords.contains(lower[$0]) }
            return hasDigit || numberWord ? (1.2, true) : (-1.5, false)
        case .code:
            return hasDigit ? (1.0, true) : (-1.5, false)
        case .name, .place:
            let share = Float(capitalised) / Float(span.count)
            if capitalised == 0 { return (-0.8, false) }
            var bonus = 0.8 * share
            // "in Paris", "at the Vatican": a place follows its preposition.
            if type == .place, span.lowerBound > 0, ["in", "at", "from", "near", "to"].contains(lower[span.lowerBound - 1]) {
                bonus += 0.3
            }
            return (bonus, true)
        case .phrase:
            return (hasDigit ? -0.1 : 0, true)
        }
    }

    /// The words as text: a space between words, none before punctuation that closes.
    static func text(_ words: ArraySlice<String>) -> String {
        var text = ""
        for word in words {
            if !text.isEmpty && !(word == "'s" || word == "%" || word == ",") && !text.hasSuffix("$") && !text.hasSuffix("-") && word != "-" {
                text += " "
            }
            text += word
        }
        return text
    }
}

/// Closed word lists the reader needs for answer shapes.
enum EvidenceVocabulary {
    static let months: Set<String> = [
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
        "december",
    ]
    static let numberWords: Set<String> = [
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
        "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty",
        "sixty", "seventy", "eighty", "ninety", "hundred", "thousand", "million", "billion", "dozen", "half", "once",
        "twice", "first", "second", "third", "fourth", "fifth",
    ]
}
