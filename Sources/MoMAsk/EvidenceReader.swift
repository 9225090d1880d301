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
        /// How far the span's score is ahead of the best other answer (a span elsewhere).
        public var margin: Float = 1
        /// The span's words in its passage.
        var words: Range<Int> = 0..<0
    }

    /// The best span in `passages` (already ranked, their `support` set), or nil when none has a
    /// candidate.
    public func read(_ question: Question, query: EvidenceQuery, passages: [Passage]) -> Reading? {
        var candidates: [Reading] = []
        for (index, passage) in passages.prefix(Self.passagesRead).enumerated() where passage.support > 0 {
            candidates += read(question, query: query, passage: passage, index: index)
        }
        guard var best = candidates.max(by: { $0.score < $1.score }) else { return nil }
        let answer = best.answer.lowercased()
        let rival = candidates.filter { other in
            other.answer.lowercased() != answer && (other.passage != best.passage || !other.words.overlaps(best.words))
        }.map(\.score).max()
        best.margin = rival.map { best.score - $0 } ?? 1
        return best
    }

    /// Every candidate span of one passage, scored.
    func read(_ question: Question, query: EvidenceQuery, passage: Passage, index: Int) -> [Reading] {
        let words = EvidenceText.words(passage.text)
        guard !words.isEmpty else { return [] }
        let lower = words.map { $0.lowercased() }
        // A word's terms as the topic memory keys them ("spicy-spoon" holds "spicy" and "spoon").
        let stems = words.map(EvidenceText.stems)
        let questionStems = Set(query.stems)
        // The question's own words, function words aside ("the" of "the college" may join a name).
        let questionWords = EvidenceText.stems(question.text).filter { !TopicTerms.isFunctionWord($0) }
        // Where each weighted question word occurs in the passage.
        var matches: [(position: Int, weight: Float)] = []
        for (position, held) in stems.enumerated() {
            for (stem, weight) in zip(query.stems, query.weights) where weight > 0 && held.contains(stem) {
                matches.append((position, weight))
            }
        }
        let total = max(query.totalWeight, 1e-6)
        let type = Self.answerType(question)
        let asksPercent = question.text.lowercased().contains("percent")
        var readings: [Reading] = []
        for start in words.indices {
            let opens = Self.canOpen(words[start], lower: lower[start]) || Self.opensName(at: start, words: words, lower: lower)
            guard opens, !Self.isQuestionWord(stems[start], questionStems, questionWords) else { continue }
            var end = start
            var asked = 0
            while end < words.count && end - start < Self.maxSpanWords {
                let word = words[end]
                // A span stays inside one clause; it may hold a word of the question only inside a
                // name ("Snite Museum of Art", asked "Which art museum …"), at a cost.
                if EvidenceText.isPunctuation(word) && !(word == "-" || word == "'s" || word == "%" || word == "$" || word == "&")
                    && !(type == .time && Self.isDateComma(at: end, words: words))
                {
                    break
                }
                let isAsked = Self.isQuestionWord(stems[end], questionStems, questionWords)
                if isAsked {
                    guard word.first?.isUppercase ?? false else { break }
                    asked += 1
                }
                end += 1
                guard Self.canClose(words[end - 1], lower: lower[end - 1]), !isAsked else { continue }
                let span = start..<end
                var shape = Self.shape(of: span, words: words, lower: lower, type: type)
                if asksPercent && !span.contains(where: { words[$0] == "%" || lower[$0] == "percent" }) { shape.bonus -= 0.8 }
                // A span cut inside a name or a number leaves out part of the answer.
                for neighbour in [start - 1, end] where neighbour >= 0 && neighbour < words.count {
                    if Self.continues(words[neighbour], lower: lower[neighbour], type: type)
                        || Self.linksName(at: neighbour, outward: neighbour == end ? 1 : -1, words: words, lower: lower, type: type)
                        || (type == .time && Self.isDateComma(at: neighbour, words: words))
                    {
                        shape.bonus -= 0.45
                    }
                }
                // Each matched word pulls towards the span by its weight, less with distance.
                var near: Float = 0
                var pull: Float = 0
                for match in matches {
                    let distance = match.position < start ? start - match.position : match.position - (end - 1)
                    pull += match.weight * Self.decay(distance)
                    if distance <= 4 { near += match.weight }
                }
                // Punctuation inside a span ("June 3, 2008") is no extra length.
                let length = Float(span.filter { !EvidenceText.isPunctuation(words[$0]) }.count)
                let score =
                    2 * passage.support + pull / total + shape.bonus - Self.lengthCost(type) * (length - 1)
                    - Float(index) * 0.15 - 0.1 * Float(asked)
                readings.append(
                    Reading(
                        answer: Self.text(words[span]), passage: index, score: score, fitsType: shape.fits,
                        nearSupport: min(near / total, 1), words: span))
            }
        }
        return readings
    }

    /// The answer type as people's questions show it anywhere in their words ("In what year …",
    /// "… by how many …"), else the question's own.
    static func answerType(_ question: Question) -> AnswerType {
        let lower = " " + EvidenceText.words(question.text).map { $0.lowercased() }.joined(separator: " ") + " "
        func has(_ phrases: [String]) -> Bool { phrases.contains { lower.contains(" " + $0 + " ") } }
        if has(["how many", "how much", "what percentage", "what percent", "how long", "how old", "how far", "how large", "how big"]) {
            return .number
        }
        if has(["what year", "which year", "when", "what decade", "what century", "what date", "what day", "what month", "which decade"]) {
            return .time
        }
        if has(["who", "whom", "whose"]) { return .name }
        if has(["where"]) { return .place }
        return question.answerType == .code ? .phrase : question.answerType
    }

    static func isQuestionWord(_ held: Set<String>, _ stems: Set<String>, _ words: Set<String>) -> Bool {
        !held.isEmpty && (!held.isDisjoint(with: stems) || !held.isDisjoint(with: words))
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
        // The words a name's capitals are counted over: not the lower-case links inside it
        // ("Congregation of the Holy Cross" is all capitals).
        let nameWords = max(span.filter { !(nameLinks.contains(lower[$0]) && words[$0] == lower[$0]) }.count, 1)
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
            guard hasDigit || numberWord else { return (-1.5, false) }
            // A four-digit number is a year more often than a count.
            let yearOnly = slice.count == 1 && slice[0].count == 4 && slice[0].allSatisfy(\.isNumber)
            return (yearOnly ? 0.7 : 1.2, true)
        case .code:
            return hasDigit ? (1.0, true) : (-1.5, false)
        case .name, .place:
            let share = Float(capitalised) / Float(nameWords)
            if capitalised == 0 { return (-0.8, false) }
            var bonus = 0.8 * share
            // "in Paris", "at the Vatican": a place follows its preposition.
            if type == .place, span.lowerBound > 0, ["in", "at", "from", "near", "to"].contains(lower[span.lowerBound - 1]) {
                bonus += 0.3
            }
            return (bonus, true)
        case .phrase:
            let share = Float(capitalised) / Float(nameWords)
            // Verbs and adverbs are rarely what people ask for: "published", "reside", "immediately".
            var bonus: Float = 0.5 * share - (hasDigit ? 0.1 : 0)
            if span.count == 1, capitalised == 0, ["ed", "ing", "ly"].contains(where: { lower[span.lowerBound].hasSuffix($0) }) {
                bonus -= 0.6
            }
            // A noun phrase follows a determiner, a preposition or a copula.
            if span.lowerBound > 0, EvidenceVocabulary.phraseOpeners.contains(lower[span.lowerBound - 1]) { bonus += 0.25 }
            return (bonus, true)
        }
    }

    /// Whether a capitalised function word inside a sentence opens a name: "Under Armour", "Our
    /// Lady of the Lake" (not the sentence's first word, and a capitalised word follows).
    static func opensName(at index: Int, words: [String], lower: [String]) -> Bool {
        index + 1 < words.count && isCapitalisedFunctionWordInside(at: index, words: words, lower: lower)
            && (words[index + 1].first?.isUppercase ?? false)
    }

    /// Whether the word at `index` is a capitalised function word that does not open its
    /// sentence or clause: part of a name ("Under", "Our").
    static func isCapitalisedFunctionWordInside(at index: Int, words: [String], lower: [String]) -> Bool {
        index > 0 && !EvidenceText.isPunctuation(words[index - 1]) && (words[index].first?.isUppercase ?? false)
            && TopicTerms.isFunctionWord(lower[index])
    }

    /// Words that join the parts of a name: "Congregation of the Holy Cross", "Saint Mary's
    /// College", "Notre Dame du Lac".
    static let nameLinks: Set<String> = ["of", "the", "'s", "de", "du", "la", "le", "von", "van", "der", "del", "y"]

    /// Whether the word at `index`, next to a span of a name, place or phrase, joins it to more
    /// of the same name: linking words (`nameLinks`) stepping `outward`, then a capitalised word;
    /// or a capitalised function word inside the sentence ("Under" before "Armour").
    static func linksName(at index: Int, outward step: Int, words: [String], lower: [String], type: AnswerType) -> Bool {
        guard [.name, .place, .phrase].contains(type) else { return false }
        if step < 0, isCapitalisedFunctionWordInside(at: index, words: words, lower: lower) { return true }
        var position = index
        var links = 0
        while position >= 0, position < words.count, nameLinks.contains(lower[position]), links < 2 {
            position += step
            links += 1
        }
        guard links > 0, position >= 0, position < words.count, !EvidenceText.isPunctuation(words[position]) else { return false }
        // Stepping back, the capitalised word must not open the sentence ("The" of "The Congregation").
        if step < 0 && position == 0 { return false }
        return words[position].first?.isUppercase ?? false
    }

    /// Whether the comma at `index` sits inside a date: "June 3, 2008".
    static func isDateComma(at index: Int, words: [String]) -> Bool {
        guard words[index] == ",", index > 0, index + 1 < words.count else { return false }
        let day = words[index - 1]
        let year = words[index + 1]
        return day.count <= 2 && day.allSatisfy(\.isNumber) && year.count == 4 && year.allSatisfy(\.isNumber)
    }

    /// Whether a word next to a span would carry it on: a capitalised word for a name, place or
    /// phrase; a digit or a number word for a number or a time.
    static func continues(_ word: String, lower: String, type: AnswerType) -> Bool {
        guard !EvidenceText.isPunctuation(word), !TopicTerms.isFunctionWord(lower) else { return false }
        switch type {
        case .number, .time, .code:
            return word.contains(where: \.isNumber) || EvidenceVocabulary.numberWords.contains(lower)
                || EvidenceVocabulary.months.contains(lower)
        case .name, .place, .phrase:
            return word.first?.isUppercase ?? false
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
    static let phraseOpeners: Set<String> = ["a", "an", "the", "is", "was", "are", "were", "of", "as", "by", "called", "named", "known"]
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
