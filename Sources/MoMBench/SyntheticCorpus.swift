import MoMCore

/// A seeded generator of text for the fold benchmark: words, numbers and punctuation in
/// English-like proportions, the same bytes for the same seed on every machine.
public struct SyntheticCorpus {
    static let syllables = [
        "ka", "lo", "mi", "re", "sta", "ton", "ver", "an", "el", "is", "or", "un", "bra", "cle", "dri", "fen",
        "gal", "hor", "ju", "ne", "pa", "qui", "ro", "sen", "tu", "vo", "wi", "xa", "ye", "zo", "the", "ing",
    ]

    let words: [[UInt8]]
    var generator: SplitMix64

    /// - Parameter vocabulary: distinct words to draw from (Zipf-like: low ranks far more often).
    public init(seed: UInt64 = 42, vocabulary: Int = 20_000) {
        generator = SplitMix64(seed: seed)
        var words: [[UInt8]] = []
        words.reserveCapacity(vocabulary)
        var wordGenerator = SplitMix64(seed: seed ^ 0x776F_7264)
        for rank in 0..<vocabulary {
            var word: [UInt8] = []
            let length = 1 + Int(wordGenerator.next() % 3) + (rank > 500 ? 1 : 0)
            for _ in 0..<length {
                word.append(contentsOf: Self.syllables[Int(wordGenerator.next() % UInt64(Self.syllables.count))].utf8)
            }
            if wordGenerator.next() % 10 == 0 { word[0] &-= 32 }  // capitalise one word in ten (ASCII)
            words.append(word)
        }
        self.words = words
    }

    /// Appends text of at least `tokens` tokens to `output`; returns the tokens written.
    @discardableResult
    public mutating func generate(tokens: Int, into output: inout [UInt8]) -> Int {
        var written = 0
        var sentence = 0
        while written < tokens {
            let draw = generator.next()
            switch draw % 100 {
            case 0..<80:
                // Zipf-like rank: squaring a uniform draw favours the low ranks.
                let uniform = Double(draw >> 11) / Double(1 << 53)
                let rank = Int(uniform * uniform * uniform * Double(words.count))
                output.append(contentsOf: words[min(rank, words.count - 1)])
                written += 1
            case 80..<92:
                let digits = 1 + Int((draw >> 8) % 6)
                var value = draw >> 16
                for _ in 0..<digits {
                    output.append(UInt8(ascii: "0") + UInt8(value % 10))
                    value /= 10
                }
                written += digits
            default:
                output.append((draw >> 8) % 3 == 0 ? UInt8(ascii: ",") : UInt8(ascii: "."))
                written += 1
            }
            sentence += 1
            output.append(sentence % 12 == 0 ? UInt8(ascii: "\n") : UInt8(ascii: " "))
        }
        return written
    }
}
