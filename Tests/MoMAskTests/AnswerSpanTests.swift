import MoMCore
import Testing

@testable import MoMAsk

/// Spans are cut from continuations, and a span found in a prefix of a continuation is called
/// settled only when every longer continuation gives the same span.
@Suite struct AnswerSpanTests {
    /// A continuation written as tokens separated by spaces, "~" marking a token written without
    /// a space before it.
    static func continuation(_ text: String, stop: ReadStop = .maxTokens) -> ReadResult {
        var answer = ""
        var tokens: [ReadToken] = []
        for word in text.split(separator: " ") {
            let glued = word.hasPrefix("~")
            let token = String(glued ? word.dropFirst() : word)
            if !answer.isEmpty && !glued { answer += " " }
            answer += token
            tokens.append(ReadToken(text: token, confidence: 0.9, strength: 0.9, memories: [0]))
        }
        return ReadResult(answer: answer, confidence: 0.9, tokens: tokens, memoriesRead: [0], stop: stop)
    }

    /// The first `count` tokens of `result`, cut off as a read that reached its limit is.
    static func prefix(_ result: ReadResult, _ count: Int) -> ReadResult {
        let tokens = Array(result.tokens.prefix(count))
        var answer = ""
        var rest = Substring(result.answer)
        for token in tokens {
            while rest.first == " " {
                answer += " "
                rest.removeFirst()
            }
            answer += token.text
            rest.removeFirst(token.text.count)
        }
        return ReadResult(answer: answer, confidence: 0.9, tokens: tokens, memoriesRead: [0], stop: .maxTokens)
    }

    @Test(arguments: [
        (AnswerType.number, "is 4 ~7 ~1 ~1 , and the gate", "4711"),
        (.number, "has $ ~1 ~2 ~. ~5 ~0 in the box", "$12.50"),
        (.time, "leaves at 7 ~: ~4 ~5 every morning", "7:45"),
        (.time, "was born on March 3 ~, 1 ~9 ~8 ~4 in", "March 3, 1984"),
        (.code, ": a ~1 ~b ~- ~9 ~f and the rest", "a1b-9f"),
        (.place, "in Lisbon in the spring", "Lisbon"),
        (.name, "written by Ingrid Holm and", "Ingrid Holm"),
        (.name, "by Maria de Souza when", "Maria de Souza"),
        // A capitalised function word opens a sentence; the name comes after it.
        (.name, "The Juggler is released twice", "Juggler"),
        (.place, "In Lisbon the trams", "Lisbon"),
        // A date is no place or name: the one after it is.
        (.place, "on June 3 ~, 2 ~0 ~1 ~9 ~, at Hollow Park in Brenton", "Hollow Park"),
        (.place, "every Monday in Porto", "Porto"),
        (.name, "on June 3 by Ingrid Holm", "Ingrid Holm"),
        (.phrase, "is the old mill by the river . It", "the old mill by the river"),
    ])
    func findsTheSpan(type: AnswerType, text: String, expected: String) {
        #expect(AnswerSpan.find(type, in: Self.continuation(text))?.text == expected)
    }

    /// A place or a name asked for and no capitalised run read: the span is a phrase, and says
    /// it does not fit the type.
    @Test func aPhraseReadForANameDoesNotFitItsType() throws {
        let phrase = try #require(AnswerSpan.find(.name, in: Self.continuation("and a strong woman , she said")))
        #expect(phrase.text == "and a strong woman" && !phrase.fitsType)
        let name = try #require(AnswerSpan.find(.name, in: Self.continuation("written by Ingrid Holm and")))
        #expect(name.fitsType)
        #expect(try #require(AnswerSpan.find(.phrase, in: Self.continuation("the old mill by the river"))).fitsType)
    }

    /// Every prefix called settled gives the full continuation's span, and the settled prefixes
    /// are found early (the point of settling: decoding can stop there).
    @Test(arguments: [
        (AnswerType.number, "is 4 ~7 ~1 ~1 , and the gate was green all day", 7),
        (.number, "the lamps went out one by one and the dog barked at the", 7),
        (.time, "leaves at 7 ~: ~4 ~5 every morning and evening", 8),
        (.code, ": a ~1 ~b ~- ~9 ~f and the rest of it", 9),
        (.place, "in Lisbon in the spring of that year", 4),
        (.name, "by Maria de Souza when the war began", 6),
        (.phrase, "the old mill by the river . It was late", 8),
    ])
    func settledPrefixesGiveTheFullSpan(type: AnswerType, text: String, settledBy: Int) {
        let full = Self.continuation(text)
        let span = AnswerSpan.find(type, in: full)
        var firstSettled: Int?
        for count in 0...full.tokens.count {
            let (prefixSpan, isSettled) = AnswerSpan.search(type, in: Self.prefix(full, count))
            guard isSettled, (prefixSpan?.tokens.upperBound ?? 0) < count else { continue }
            firstSettled = firstSettled ?? count
            #expect(prefixSpan == span, "\(count) tokens: \(String(describing: prefixSpan)) against \(String(describing: span))")
        }
        #expect(firstSettled != nil && firstSettled! <= settledBy, "settled first at \(String(describing: firstSettled))")
    }

    /// A prefix that ends inside a number, or before any digit was seen, is not settled.
    @Test func openSpansAreNotSettled() {
        let full = Self.continuation("is 4 ~7 ~1 ~1 , and")
        #expect(!AnswerSpan.search(.number, in: Self.prefix(full, 3)).isSettled)
        #expect(!AnswerSpan.search(.number, in: Self.prefix(full, 1)).isSettled)
        #expect(!AnswerSpan.search(.name, in: Self.prefix(Self.continuation("by Maria de Souza when"), 3)).isSettled)
    }
}
