/// What the reader knows of one candidate span: how much of the question its passage holds,
/// where the question's words sit around it, and whether it has the answer type's shape. A span's
/// score is the weighted sum; the weights were fitted on SQuAD articles the repository ships
/// (`scripts/fit-reader.py`, docs/benchmarks.md), a softmax over each question's candidates.
public struct SpanFeatures: Sendable, Codable, Equatable {
    /// The passage's weighted share of the question.
    public var support: Float = 0
    /// The question's matched words, each by its weight, less with its distance to the span.
    public var pull: Float = 0
    /// The share of the question's weight within four words of the span.
    public var near: Float = 0
    /// The answer type's shape: a bonus or a cost (`EvidenceReader.shape`).
    public var shape: Float = 0
    /// Whether the span has the shape of the answer type.
    public var fits: Float = 0
    /// Words (punctuation aside), and whether it is one word.
    public var length: Float = 0
    public var single: Float = 0
    /// The passage's rank among those read (0 first).
    public var passage: Float = 0
    /// Question words inside the span (only inside a name).
    public var asked: Float = 0
    /// Ends of the span that cut a name, a number or a date.
    public var cut: Float = 0
    /// Whether a matched question word is next to the span, and the nearest one's distance (÷ 12).
    public var adjacent: Float = 0
    public var distance: Float = 0
    /// Shares of the question's weight matched before and after the span.
    public var left: Float = 0
    public var right: Float = 0
    /// The word before is a determiner, preposition or copula that opens a noun phrase.
    public var opener: Float = 0
    /// A question word right before, or right after, the span.
    public var askedBefore: Float = 0
    public var askedAfter: Float = 0
    /// The span ends at punctuation or the passage's end; begins after one or at its start.
    public var closes: Float = 0
    public var opens: Float = 0
    /// The span follows a comma, or an opening bracket (an apposition).
    public var comma: Float = 0
    public var bracket: Float = 0
    /// The question's head noun ("what company", "how many stories") inside the span, or within
    /// two words of it.
    public var headInside: Float = 0
    public var headAround: Float = 0
    /// The share of capitalised words, whether it holds a digit, the share of function words.
    public var capitals: Float = 0
    public var digits: Float = 0
    public var functionWords: Float = 0
    /// A copula right before the span, or right after it.
    public var afterVerb: Float = 0
    public var beforeVerb: Float = 0
    /// The length for each family of answer types: numbers and times, names and places, phrases.
    public var lengthNumber: Float = 0
    public var lengthName: Float = 0
    public var lengthPhrase: Float = 0
    /// Capitals and digits within the families they matter to.
    public var capitalsName: Float = 0
    public var digitsNumber: Float = 0

    /// Words matched in order, outward, between the question around its question phrase and the
    /// passage around the span ("founded in [what year]" against "founded in [1986]"), ÷ 4.
    public var leftAlign: Float = 0
    public var rightAlign: Float = 0
    /// The share of the question's weight in the span's own clause (between punctuation).
    public var clause: Float = 0
    /// How sure the passage's decoding was (its weakest token's cosine; 1 for true text).
    public var sureness: Float = 0
    /// The question's head noun right after the span ("3 million [volumes]").
    public var headAfter: Float = 0
    /// The share of the question's weight on words the document never mentions (the same for
    /// every span of a question: for the confidence, not the choice).
    public var unmentioned: Float = 0

    public init() {}

    /// Sets the features that depend on the answer type.
    mutating func setType(_ type: AnswerType) {
        switch type {
        case .number, .time, .code:
            lengthNumber = length
            digitsNumber = digits
        case .name, .place:
            lengthName = length
            capitalsName = capitals
        case .phrase:
            lengthPhrase = length
        }
    }

    /// The features in the order of `weights`.
    public var vector: [Float] {
        [
            support, pull, near, shape, fits, length, single, passage, asked, cut, adjacent, distance, left, right, opener,
            askedBefore, askedAfter, closes, opens, comma, bracket, headInside, headAround, capitals, digits, functionWords,
            afterVerb, beforeVerb, lengthNumber, lengthName, lengthPhrase, capitalsName, digitsNumber, leftAlign, rightAlign, clause, sureness, headAfter, unmentioned,
        ]
    }

    /// The features' names, in the order of `vector` (for fitting).
    public static let names = [
        "support", "pull", "near", "shape", "fits", "length", "single", "passage", "asked", "cut", "adjacent", "distance", "left",
        "right", "opener", "askedBefore", "askedAfter", "closes", "opens", "comma", "bracket", "headInside", "headAround",
        "capitals", "digits", "functionWords", "afterVerb", "beforeVerb", "lengthNumber", "lengthName", "lengthPhrase",
        "capitalsName", "digitsNumber", "leftAlign", "rightAlign", "clause", "sureness", "headAfter", "unmentioned",
    ]

    /// The weights of `vector`.
    static let weights: [Float] = [
        3.629, 2.722, 0.370, 2.383, -1.402, -0.350, -0.715, -0.681, -0.900, -1.503,
        -0.189, -1.253, 0.537, -0.057, 0.187, 0.076, 0.099, 1.198, 0.630, -0.388,
        -0.834, 1.220, 1.243, 0.387, -0.268, -0.544, -0.622, 0.658, -0.861, 0.265,
        0.146, 1.458, 0.162, 2.985, 2.439, 1.099, 0.058, 1.024, 0,
    ]

    /// The span's score: higher is likelier the answer (comparable within one question).
    public var score: Float {
        zip(vector, Self.weights).reduce(0) { $0 + $1.0 * $1.1 }
    }
}
