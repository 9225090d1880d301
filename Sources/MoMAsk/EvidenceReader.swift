import Foundation
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

    /// A lead over the best other answer counts up to this.
    public static let maxMargin: Float = 4
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
        /// How far the span's score is ahead of the best other answer (a span elsewhere), at most
        /// `maxMargin`.
        public var margin: Float = EvidenceReader.maxMargin
        /// The span's share of the softmax over every candidate's score.
        public var probability: Float = 1
        /// The span's words in its passage.
        public internal(set) var words: Range<Int> = 0..<0
        /// What the score was made of.
        public var features = SpanFeatures()

        /// Whether the span has the shape of the answer type (always true for a phrase).
        public var fitsType: Bool { features.fits == 1 }
        /// Of the question's weight, the share within a few words of the span.
        public var nearSupport: Float { min(features.near, 1) }
    }

    /// The best span in `passages` (already ranked, their `support` set), or nil when none has a
    /// candidate.
    public func read(_ question: Question, query: EvidenceQuery, passages: [Passage]) -> Reading? {
        best(of: candidates(question, query: query, passages: passages))
    }

    /// The best of a question's candidate spans, its margin and softmax share set; nil when there
    /// are none.
    public func best(of candidates: [Reading]) -> Reading? {
        guard var best = candidates.max(by: { $0.score < $1.score }) else { return nil }
        let answer = best.answer.lowercased()
        let rival = candidates.filter { other in
            other.answer.lowercased() != answer && (other.passage != best.passage || !other.words.overlaps(best.words))
        }.map(\.score).max()
        best.margin = min(rival.map { best.score - $0 } ?? Self.maxMargin, Self.maxMargin)
        best.probability = 1 / candidates.reduce(0) { $0 + exp($1.score - best.score) }
        return best
    }

    /// Every candidate span of the passages the reader reads, scored.
    public func candidates(_ question: Question, query: EvidenceQuery, passages: [Passage]) -> [Reading] {
        let asked = QuestionShape(question, query: query)
        var candidates: [Reading] = []
        for (index, passage) in passages.prefix(Self.passagesRead).enumerated() where passage.support > 0 {
            candidates += read(asked, query: query, passage: passage, index: index)
        }
        return candidates
    }

    /// A passage's words as the reader weighs them against one question.
    struct PassageWords {
        let passage: Passage
        /// The passage's rank among those read.
        let index: Int
        let words: [String]
        let lower: [String]
        /// Each word's terms as the topic memory keys them ("spicy-spoon" holds "spicy" and "spoon").
        let stems: [Set<String>]
        /// Each word's clause: the run between punctuation it sits in.
        let clauses: [Int]
        /// Where each weighted question word occurs.
        let matches: [(position: Int, weight: Float)]
        /// Whether each word is one of the question's.
        let asked: [Bool]

        init(_ passage: Passage, index: Int, question: QuestionShape, query: EvidenceQuery) {
            self.passage = passage
            self.index = index
            words = EvidenceText.words(passage.text)
            lower = words.map { $0.lowercased() }
            stems = words.map(EvidenceText.stems)
            var clauses = [Int](repeating: 0, count: words.count)
            for index in words.indices.dropFirst() {
                clauses[index] = clauses[index - 1] + (EvidenceText.isPunctuation(words[index - 1]) && words[index - 1] != "-" ? 1 : 0)
            }
            self.clauses = clauses
            var matches: [(position: Int, weight: Float)] = []
            for (position, held) in stems.enumerated() {
                for (stem, weight) in zip(query.stems, query.weights) where weight > 0 && held.contains(stem) {
                    matches.append((position, weight))
                }
            }
            self.matches = matches
            asked = stems.map { EvidenceReader.isQuestionWord($0, question.stems, question.words) }
        }

        /// Whether the word at `index` (any index) is one of the question's.
        func isAsked(_ index: Int) -> Bool { index >= 0 && index < words.count && asked[index] }

        /// Whether a word in `range` (any indices) holds one of `heads`.
        func holds(_ heads: Set<String>, in range: ClosedRange<Int>) -> Bool {
            range.contains { index in index >= 0 && index < words.count && !stems[index].isDisjoint(with: heads) }
        }
    }

    /// What the reader knows of a question, worked out once.
    struct QuestionShape {
        /// The query's stems, and the question's own words, function words aside ("the" of "the
        /// college" may join a name).
        let stems: Set<String>
        let words: Set<String>
        let type: AnswerType
        let asksPercent: Bool
        let heads: Set<String>
        let phrase: (before: [String], after: [String])
        let total: Float
        let unmentioned: Float

        init(_ question: Question, query: EvidenceQuery) {
            stems = Set(query.stems)
            words = EvidenceText.stems(question.text).filter { !TopicTerms.isFunctionWord($0) }
            type = EvidenceReader.answerType(question)
            asksPercent = question.text.lowercased().contains("percent")
            heads = EvidenceReader.heads(of: question)
            phrase = EvidenceReader.questionPhrase(of: question, heads: heads)
            total = max(query.totalWeight, 1e-6)
            unmentioned = query.unmentioned
        }
    }

    /// Every candidate span of one passage, scored.
    func read(_ asked: QuestionShape, query: EvidenceQuery, passage: Passage, index: Int) -> [Reading] {
        let text = PassageWords(passage, index: index, question: asked, query: query)
        guard !text.words.isEmpty else { return [] }
        let words = text.words
        var readings: [Reading] = []
        for start in words.indices {
            let opens = Self.canOpen(words[start], lower: text.lower[start]) || Self.opensName(at: start, words: words, lower: text.lower)
            guard opens, !text.isAsked(start) else { continue }
            var end = start
            var askedInside = 0
            while end < words.count && end - start < Self.maxSpanWords {
                let word = words[end]
                // A span stays inside one clause; it may hold a word of the question only inside a
                // name ("Snite Museum of Art", asked "Which art museum …"), at a cost.
                if EvidenceText.isPunctuation(word) && !(word == "-" || word == "'s" || word == "%" || word == "$" || word == "&")
                    && !(asked.type == .time && Self.isDateComma(at: end, words: words))
                {
                    break
                }
                let isAsked = text.isAsked(end)
                if isAsked {
                    guard word.first?.isUppercase ?? false else { break }
                    askedInside += 1
                }
                end += 1
                guard Self.canClose(words[end - 1], lower: text.lower[end - 1]), !isAsked else { continue }
                let span = start..<end
                let features = Self.features(of: span, in: text, asked: asked, askedInside: askedInside)
                readings.append(Reading(answer: Self.text(words[span]), passage: index, score: features.score, words: span, features: features))
            }
        }
        return readings
    }

    /// What the reader knows of one span: see `SpanFeatures`.
    static func features(of span: Range<Int>, in text: PassageWords, asked: QuestionShape, askedInside: Int) -> SpanFeatures {
        let (words, lower) = (text.words, text.lower)
        let (start, end) = (span.lowerBound, span.upperBound)
        var shape = Self.shape(of: span, words: words, lower: lower, type: asked.type)
        if asked.asksPercent && !span.contains(where: { words[$0] == "%" || lower[$0] == "percent" }) { shape.bonus -= 0.8 }
        // A span cut inside a name or a number leaves out part of the answer.
        var cuts = 0
        for neighbour in [start - 1, end] where neighbour >= 0 && neighbour < words.count {
            if Self.continues(words[neighbour], lower: lower[neighbour], type: asked.type)
                || Self.linksName(at: neighbour, outward: neighbour == end ? 1 : -1, words: words, lower: lower, type: asked.type)
                || (asked.type == .time && Self.isDateComma(at: neighbour, words: words))
            {
                cuts += 1
            }
        }
        // Each matched word pulls towards the span by its weight, less with distance.
        var near: Float = 0
        var pull: Float = 0
        var left: Float = 0
        var right: Float = 0
        var nearest = Int.max
        var clause: Float = 0
        for match in text.matches {
            if text.clauses[match.position] == text.clauses[start] || text.clauses[match.position] == text.clauses[end - 1] {
                clause += match.weight
            }
            let distance = match.position < start ? start - match.position : match.position - (end - 1)
            pull += match.weight * Self.decay(distance)
            if distance <= 4 { near += match.weight }
            if match.position < start { left += match.weight } else { right += match.weight }
            nearest = min(nearest, distance)
        }
        // Punctuation inside a span ("June 3, 2008") is no extra length.
        let length = Float(span.filter { !EvidenceText.isPunctuation(words[$0]) }.count)
        let before = start > 0 ? lower[start - 1] : ""
        let after = end < words.count ? lower[end] : ""
        let total = asked.total
        var features = SpanFeatures()
        features.support = text.passage.support
        features.pull = pull / total
        features.near = near / total
        features.shape = shape.bonus
        features.fits = shape.fits ? 1 : 0
        features.length = length
        features.single = length == 1 ? 1 : 0
        features.passage = Float(text.index)
        features.asked = Float(askedInside)
        features.cut = Float(cuts)
        features.adjacent = nearest == 1 ? 1 : 0
        features.distance = Float(min(nearest, 12)) / 12
        features.left = left / total
        features.right = right / total
        features.opener = EvidenceVocabulary.phraseOpeners.contains(before) ? 1 : 0
        features.askedBefore = text.isAsked(start - 1) ? 1 : 0
        features.askedAfter = text.isAsked(end) ? 1 : 0
        features.closes = end == words.count || EvidenceText.isPunctuation(words[end]) ? 1 : 0
        features.opens = start == 0 || EvidenceText.isPunctuation(words[start - 1]) ? 1 : 0
        features.comma = before == "," ? 1 : 0
        features.bracket = before == "(" ? 1 : 0
        features.headInside = text.holds(asked.heads, in: start...(end - 1)) ? 1 : 0
        features.headAround = text.holds(asked.heads, in: (start - 2)...(start - 1)) || text.holds(asked.heads, in: end...(end + 1)) ? 1 : 0
        features.capitals = shape.capitals
        features.digits = span.contains { words[$0].contains(where: \.isNumber) } ? 1 : 0
        features.functionWords = Float(span.filter { TopicTerms.isFunctionWord(lower[$0]) }.count) / max(length, 1)
        features.afterVerb = EvidenceVocabulary.copulas.contains(before) ? 1 : 0
        features.beforeVerb = EvidenceVocabulary.copulas.contains(after) ? 1 : 0
        features.leftAlign = Float(Self.aligned(asked.phrase.before, lower, from: start - 1, step: -1)) / 4
        features.rightAlign = Float(Self.aligned(asked.phrase.after, lower, from: end, step: 1)) / 4
        features.clause = clause / total
        features.sureness = min(text.passage.sureness, 1)
        features.headAfter = text.holds(asked.heads, in: end...end) ? 1 : 0
        features.unmentioned = asked.unmentioned
        features.setType(asked.type)
        return features
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

    /// The question's head nouns: up to two content words right after its question word ("What
    /// company …", "How many stories …", "Which art museum …"), as stems.
    static func heads(of question: Question) -> Set<String> {
        let words = EvidenceText.words(question.text).map { $0.lowercased() }
        guard let wh = words.firstIndex(where: { ["what", "which", "whose", "how"].contains($0) }) else { return [] }
        var heads: Set<String> = []
        var index = wh + 1
        while index < words.count, heads.count < 2 {
            let word = words[index]
            index += 1
            if ["many", "much", "kind", "type", "sort", "name", "of"].contains(word) { continue }
            guard !EvidenceText.isPunctuation(word), !TopicTerms.isFunctionWord(word) else { break }
            // A second word in "-ed" is the question's verb ("Which order founded …").
            if !heads.isEmpty && word.hasSuffix("ed") { break }
            heads.insert(TopicTerms.stem(word))
        }
        return heads
    }

    /// The question's words before its question phrase (nearest first) and after it ("In what
    /// year was …": ["in"] and ["was", …]), lower-case; empty without a question word.
    static func questionPhrase(of question: Question, heads: Set<String>) -> (before: [String], after: [String]) {
        let words = EvidenceText.words(question.text).map { $0.lowercased() }.filter { !EvidenceText.isPunctuation($0) }
        guard let wh = words.firstIndex(where: { ["what", "which", "whose", "who", "whom", "when", "where", "how"].contains($0) }) else {
            return ([], [])
        }
        var end = wh + 1
        while end < words.count, ["many", "much", "long", "old", "far", "kind", "type", "of"].contains(words[end]) || heads.contains(TopicTerms.stem(words[end])) {
            end += 1
        }
        return (Array(words[..<wh].reversed()), Array(words[end...]))
    }

    /// How many of `question`'s words match the passage's, stepping from `start` by `step` (at
    /// most four).
    static func aligned(_ question: [String], _ lower: [String], from start: Int, step: Int) -> Int {
        var count = 0
        var position = start
        while count < min(question.count, 4), position >= 0, position < lower.count {
            let (asked, held) = (question[count], lower[position])
            guard asked == held || (!TopicTerms.isFunctionWord(asked) && TopicTerms.stem(asked) == TopicTerms.stem(held)) else { break }
            count += 1
            position += step
        }
        return count
    }

    static func isQuestionWord(_ held: Set<String>, _ stems: Set<String>, _ words: Set<String>) -> Bool {
        !held.isEmpty && (!held.isDisjoint(with: stems) || !held.isDisjoint(with: words))
    }

    static func decay(_ distance: Int) -> Float { 1 / (1 + Float(max(distance - 1, 0)) * 0.35) }

    /// Whether a span may begin with this word: not a function word or punctuation.
    static func canOpen(_ word: String, lower: String) -> Bool {
        !EvidenceText.isPunctuation(word) && !TopicTerms.isFunctionWord(lower) && lower != "'s"
    }

    static func canClose(_ word: String, lower: String) -> Bool { canOpen(word, lower: lower) || word == "%" }

    /// How well a span has the answer type's shape: a bonus (or a cost) and whether it fits.
    static func shape(of span: Range<Int>, words: [String], lower: [String], type: AnswerType) -> (bonus: Float, fits: Bool, capitals: Float) {
        let share = capitalShare(of: span, words: words, lower: lower)
        let (bonus, fits) = typeShape(of: span, words: words, lower: lower, type: type, capitals: share)
        return (bonus, fits, share)
    }

    /// The share of a span's words that are capitalised, over its words less the lower-case
    /// links inside a name ("Congregation of the Holy Cross" is all capitals); a capitalised
    /// function word opening the passage does not count.
    static func capitalShare(of span: Range<Int>, words: [String], lower: [String]) -> Float {
        let capitalised = span.filter { index in
            guard let first = words[index].first, first.isUppercase else { return false }
            return index > 0 || !TopicTerms.isFunctionWord(lower[index])
        }.count
        let nameWords = max(span.filter { !(nameLinks.contains(lower[$0]) && words[$0] == lower[$0]) }.count, 1)
        return Float(capitalised) / Float(nameWords)
    }

    /// The answer type's bonus (or cost) for a span whose capitalised share is `share`.
    static func typeShape(of span: Range<Int>, words: [String], lower: [String], type: AnswerType, capitals share: Float) -> (
        bonus: Float, fits: Bool
    ) {
        let slice = span.map { words[$0] }
        let hasDigit = slice.contains { $0.contains(where: \.isNumber) }
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
            if share == 0 { return (-0.8, false) }
            var bonus = 0.8 * share
            // "in Paris", "at the Vatican": a place follows its preposition.
            if type == .place, span.lowerBound > 0, ["in", "at", "from", "near", "to"].contains(lower[span.lowerBound - 1]) {
                bonus += 0.3
            }
            return (bonus, true)
        case .phrase:
            // Verbs and adverbs are rarely what people ask for: "published", "reside", "immediately".
            var bonus: Float = 0.5 * share - (hasDigit ? 0.1 : 0)
            if span.count == 1, share == 0, ["ed", "ing", "ly"].contains(where: { lower[span.lowerBound].hasSuffix($0) }) {
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
    static let copulas: Set<String> = ["is", "was", "are", "were", "be", "been", "became", "becomes"]
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
