import MoMCore

/// The part of a decoded continuation that answers: "4711", "Lisbon", "7:45", a UUID — not the
/// rest of the sentence.
public struct AnswerSpan: Sendable, Equatable {
    /// The span's text, with the document's spacing.
    public var text: String
    /// Indices of the continuation's tokens the span covers.
    public var tokens: Range<Int>
    /// Whether it has its type's shape: false for a place or name read as a phrase because the
    /// continuation holds no capitalised run.
    public var fitsType = true

    /// The span of `type` in `continuation`, or nil when it holds none.
    public static func find(_ type: AnswerType, in continuation: ReadResult) -> AnswerSpan? {
        search(type, in: continuation).span
    }

    /// The span of `type` in `continuation`, and whether it is settled: found (or not found)
    /// without looking past the last token, so any longer continuation of the same tokens gives
    /// the same span.
    static func search(_ type: AnswerType, in continuation: ReadResult) -> (span: AnswerSpan?, isSettled: Bool) {
        let pieces = Pieces(Piece.split(continuation))
        let typed = range(of: type, in: pieces)
        guard let range = typed ?? (type == .place || type == .name ? range(of: .phrase, in: pieces) : nil),
            !range.isEmpty
        else { return (nil, !pieces.lookedPastEnd) }
        var text = ""
        for index in range {
            if index > range.lowerBound && pieces[index].spaceBefore { text += " " }
            text += pieces[index].text
        }
        var span = AnswerSpan(text: text, tokens: range)
        span.fitsType = typed != nil
        return (span, !pieces.lookedPastEnd)
    }

    /// A continuation's pieces, noting whether a search asked for one past the last.
    final class Pieces {
        let items: [Piece]
        private(set) var lookedPastEnd = false

        init(_ items: [Piece]) { self.items = items }

        /// Whether piece `index` exists; asking past the end is noted.
        func has(_ index: Int) -> Bool {
            if index < items.count { return true }
            lookedPastEnd = true
            return false
        }

        subscript(index: Int) -> Piece { items[index] }
        subscript(range: Range<Int>) -> ArraySlice<Piece> { items[range] }

        /// The first index in `start ... start + within` whose piece satisfies `predicate`.
        func first(from start: Int, within: Int, where predicate: (Piece) -> Bool) -> Int? {
            var index = start
            while index - start <= within && has(index) {
                if predicate(items[index]) { return index }
                index += 1
            }
            return nil
        }
    }

    /// One decoded token with whether the document put a space before it.
    struct Piece {
        var text: String
        var spaceBefore: Bool

        var isDigit: Bool { text.count == 1 && text.first!.isASCII && text.first!.isNumber }
        var isWord: Bool { text.first?.isLetter == true }
        var isCapitalized: Bool { text.first?.isUppercase == true }
        var lower: String { text.lowercased() }

        /// The continuation's tokens, spacing recovered from where each sits in the answer text.
        static func split(_ result: ReadResult) -> [Piece] {
            var pieces: [Piece] = []
            var rest = Substring(result.answer)
            for token in result.tokens {
                var spaceBefore = false
                while rest.first == " " {
                    rest.removeFirst()
                    spaceBefore = true
                }
                if rest.hasPrefix(token.text) { rest.removeFirst(token.text.count) }
                pieces.append(Piece(text: token.text, spaceBefore: spaceBefore))
            }
            return pieces
        }
    }

    static let clauseEnds: Set<String> = [".", ",", ";", "!", "?", "(", ")", "\"", "“", "”"]
    static let beVerbs: Set<String> = ["is", "are", "was", "were"]
    static let clauseVerbs: Set<String> = ["is", "are", "was", "were", "will", "would", "has", "have", "had"]
    static let leading: Set<String> = [":", "-", "=", "\"", "“", "'", "(", "—", "–", ","]
    static let months: Set<String> = [
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    ]
    static let weekdays: Set<String> = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "noon", "midnight"]
    static let clockWords: Set<String> = ["am", "pm", "a", "p", "o'clock", "h", "hours", "utc", "gmt"]
    static let currency: Set<String> = ["$", "€", "£", "¥"]
    static let nameLinks: Set<String> = ["of", "de", "da", "van", "von", "del", "la", "le", "-", "'"]

    static func range(of type: AnswerType, in pieces: Pieces) -> Range<Int>? {
        var start = 0
        // A cue without its verb reads the verb first ("door code" → "is 4711").
        while pieces.has(start) && (leading.contains(pieces[start].text) || (start < 2 && clauseVerbs.contains(pieces[start].lower))) {
            start += 1
        }
        guard pieces.has(start) else { return nil }
        switch type {
        case .phrase:
            // A phrase read without its verb may end a word or two short of it: "password for the
            // library" → "account is bluebird". The answer follows the verb of being.
            if let verb = (start + 1...start + 2).first(where: { pieces.has($0) && beVerbs.contains(pieces[$0].lower) }),
                pieces[start..<verb].allSatisfy(\.isWord), pieces.has(verb + 1)
            {
                start = verb + 1
            }
            // A code written as one run ("4711", "7:45", a UUID) is the answer by itself.
            var end = start + 1
            while pieces.has(end) && !pieces[end].spaceBefore && !clauseEnds.contains(pieces[end].text) { end += 1 }
            if pieces[start..<end].contains(where: \.isDigit) {
                while end > start + 1 && leading.contains(pieces[end - 1].text) { end -= 1 }
                return start..<end
            }
            // Otherwise the words up to the end of the clause or the next verb of being.
            end = start + 1
            while end - start < 16 && pieces.has(end) && !clauseEnds.contains(pieces[end].text)
                && !clauseVerbs.contains(pieces[end].lower)
            {
                end += 1
            }
            return start..<end
        case .code:
            // The first run written without spaces that holds a digit: "4711", "7:45", a UUID.
            var begin = start
            while begin - start <= 4 && pieces.has(begin) {
                var end = begin + 1
                while pieces.has(end) && !pieces[end].spaceBefore && !clauseEnds.contains(pieces[end].text) { end += 1 }
                if pieces[begin..<end].contains(where: \.isDigit) {
                    while end > begin + 1 && leading.contains(pieces[end - 1].text) { end -= 1 }
                    return begin..<end
                }
                begin = end
            }
            return nil
        case .number:
            guard let first = pieces.first(from: start, within: 4, where: \.isDigit) else { return nil }
            let begin = first > 0 && currency.contains(pieces[first - 1].text) ? first - 1 : first
            return begin..<numberEnd(pieces, from: first)
        case .time:
            guard let first = pieces.first(from: start, within: 4, where: { $0.isDigit || isCalendarWord($0) }) else { return nil }
            return first..<timeEnd(pieces, from: first)
        case .place, .name:
            // A few words may come first ("in", "written by"): the name is the first capitalised run.
            // A capitalised function word ("The", "In") opens a sentence, not a name. A date is no
            // place or name: "held on June 3, 2019, at Hollow Park" reads on past it.
            var first = start
            var within = 4
            while first - start < within && pieces.has(first) {
                let piece = pieces[first]
                if isCalendarWord(piece) {
                    var next = timeEnd(pieces, from: first)
                    if pieces.has(next) && pieces[next].text == "," { next += 1 }
                    within += next - first
                    first = next
                    continue
                }
                if (piece.isCapitalized && piece.isWord && !TopicTerms.isFunctionWord(piece.lower)) || clauseEnds.contains(piece.text) {
                    break
                }
                first += 1
            }
            guard pieces.has(first), pieces[first].isCapitalized, pieces[first].isWord, !TopicTerms.isFunctionWord(pieces[first].lower)
            else { return nil }
            var end = first + 1
            while pieces.has(end) {
                let piece = pieces[end]
                if piece.isWord && piece.isCapitalized {
                    end += 1
                } else if nameLinks.contains(piece.lower), pieces.has(end + 1), pieces[end + 1].isCapitalized, pieces[end + 1].isWord {
                    end += 2
                } else {
                    break
                }
            }
            return first..<end
        }
    }

    /// The end of a time or date that starts at `index`: numbers, calendar words, a clock word
    /// after the first piece ("7:45 pm", "June 3, 2008", "p.m.").
    static func timeEnd(_ pieces: Pieces, from first: Int) -> Int {
        var end = first
        while pieces.has(end) {
            let piece = pieces[end]
            if piece.isDigit {
                end = numberEnd(pieces, from: end)
            } else if isCalendarWord(piece) || (end > first && clockWords.contains(piece.lower)) {
                end += 1
            } else if piece.text == "," && end > first && pieces.has(end + 1) && pieces[end + 1].isDigit {
                end += 1
            } else if piece.text == "." && end > first && pieces[end - 1].lower.count == 1 && clockWords.contains(pieces[end - 1].lower) {
                end += 1  // "p.m."
            } else {
                break
            }
        }
        return end
    }

    /// The end of a number that starts at `index`: digits written together, with the separators
    /// of decimals, thousands, times and dates between them, and a percent sign.
    static func numberEnd(_ pieces: Pieces, from index: Int) -> Int {
        var end = index + 1
        while pieces.has(end) && !pieces[end].spaceBefore {
            if pieces[end].isDigit {
                end += 1
            } else if [".", ",", ":", "/"].contains(pieces[end].text), pieces.has(end + 1), pieces[end + 1].isDigit,
                !pieces[end + 1].spaceBefore
            {
                end += 2
            } else if pieces[end].text == "%" {
                end += 1
                break
            } else {
                break
            }
        }
        return end
    }

    static func isCalendarWord(_ piece: Piece) -> Bool { months.contains(piece.lower) || weekdays.contains(piece.lower) }
}
