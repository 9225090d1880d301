import MoMCore

/// The classic pass-key retrieval task (Landmark attention, InfiniteBench): a needle holding a
/// five-digit key hidden at some depth of a haystack, then a question whose answer is the key.
public enum Passkey {
    public static let header =
        "There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will quiz you about the important information there."
    public static let filler = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again."
    public static let question = "What is the pass key? The pass key is"

    public static func needle(key: String) -> String { "The pass key is \(key). Remember it. \(key) is the pass key." }

    /// Tokens `text` makes under momd's tokenizer.
    public static func tokenCount(_ text: String, maxTokenLength: Int = MoMConfiguration.default.maxTokenLength) -> Int {
        var counter = TokenCounter()
        var tokenizer = Tokenizer(maxTokenLength: maxTokenLength)
        tokenizer.feed(Array(text.utf8), into: &counter)
        tokenizer.finish(into: &counter)
        return counter.count
    }

    /// Haystack sentences with their token counts, counted once.
    public struct SentenceTokens: Sendable {
        public let sentences: [String]
        public let counts: [Int]

        public init(_ sentences: [String]) {
            precondition(!sentences.isEmpty, "a haystack needs at least one sentence")
            self.sentences = sentences
            counts = sentences.map { max(Passkey.tokenCount($0), 1) }
        }
    }

    /// A haystack of about `tokens` tokens: the header, then `sentences` cycled, with the needle
    /// placed between two sentences at `depth` (0 = before the first, 1 = after the last).
    public static func haystack(tokens: Int, depth: Double, key: String, sentences: [String] = [filler]) -> String {
        haystack(tokens: tokens, depth: depth, key: key, counts: SentenceTokens(sentences))
    }

    /// As `haystack(tokens:depth:key:sentences:)`, with the sentences counted beforehand.
    public static func haystack(tokens: Int, depth: Double, key: String, counts: SentenceTokens) -> String {
        precondition((0...1).contains(depth), "depth must be in 0...1")
        let needle = needle(key: key)
        var total = tokenCount(header) + tokenCount(needle)
        var units: [Int] = []
        var next = 0
        while total < tokens {
            units.append(next)
            total += counts.counts[next]
            next = (next + 1) % counts.sentences.count
        }
        let position = Int((depth * Double(units.count)).rounded())
        var parts = [header]
        parts.reserveCapacity(units.count + 2)
        for (index, unit) in units.enumerated() {
            if index == position { parts.append(needle) }
            parts.append(counts.sentences[unit])
        }
        if position >= units.count { parts.append(needle) }
        return parts.joined(separator: " ") + "\n"
    }

    /// Splits prose into sentences for a haystack: whitespace collapsed, cut after . ! or ? that
    /// is followed by whitespace; fragments of fewer than three tokens are dropped.
    public static func sentences(fromProse text: String) -> [String] {
        var sentences: [String] = []
        var current = ""
        var previous: Character = " "
        for character in text {
            if character.isWhitespace {
                if ".!?".contains(previous) {
                    let sentence = current.trimmingSpaces()
                    if tokenCount(sentence) >= 3 { sentences.append(sentence) }
                    current = ""
                } else if previous != " " {
                    current.append(" ")
                }
                previous = " "
            } else {
                current.append(character)
                previous = character
            }
        }
        let last = current.trimmingSpaces()
        if tokenCount(last) >= 3 { sentences.append(last) }
        return sentences
    }

    /// The first run of ASCII digits in an answer, which is what the task scores.
    public static func firstDigits(_ answer: String) -> String {
        let scalars = answer.unicodeScalars
        guard let start = scalars.firstIndex(where: { ("0"..."9").contains($0) }) else { return "" }
        let digits = scalars[start...].prefix(while: { ("0"..."9").contains($0) })
        return String(String.UnicodeScalarView(digits))
    }
}


extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while scalars.first == " " { scalars.removeFirst() }
        while scalars.last == " " { scalars.removeLast() }
        return String(scalars)
    }
}
