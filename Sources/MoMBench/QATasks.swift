import MoMCore

/// One document of the question benchmark with the questions asked of it.
public struct QADocument: Sendable {
    public var text: String
    public var questions: [QAQuestion]
}

/// A question and what answers it: every reference must appear in the answer; none when the
/// document cannot answer it.
public struct QAQuestion: Sendable {
    public var text: String
    public var references: [String]
    public var isAnswerable: Bool { !references.isEmpty }
}

/// The retrieval tasks of RULER (Hsieh et al., 2024), generated with RULER's needle and question
/// wording over momd's haystacks, and a set of natural questions over facts planted in prose.
public enum QATask: String, Sendable, Codable, CaseIterable {
    /// One needle, repeated-noise haystack, numbers.
    case sniah1 = "S-NIAH-1"
    /// One needle, prose haystack, numbers.
    case sniah2 = "S-NIAH-2"
    /// One needle, prose haystack, UUIDs.
    case sniah3 = "S-NIAH-3"
    /// Four needles with different keys in prose, one asked.
    case mkniah1 = "MK-NIAH-1"
    /// Every sentence is a needle; one asked.
    case mkniah2 = "MK-NIAH-2"
    /// Four needles, all four asked in one question.
    case mqniah = "MQ-NIAH"
    /// Four values under one key, all asked.
    case mvniah = "MV-NIAH"
    /// Facts of varied kinds planted in prose, asked in other words, with unanswerable questions.
    case natural
}

/// Generates the documents of each task from a seed.
public struct QATaskGenerator: Sendable {
    public var prose: Passkey.SentenceTokens
    public var noise = Passkey.SentenceTokens([Passkey.filler])

    public init(prose: [String]) {
        self.prose = Passkey.SentenceTokens(prose)
    }

    static let header = "Some special magic %@ are hidden within the following text. Make sure to memorize it. I will quiz you about the %@ afterwards."

    /// A document of about `tokens` tokens for `task`, drawn from `seed`.
    public func document(_ task: QATask, tokens: Int, seed: UInt64) -> QADocument {
        var generator = SplitMix64(seed: StableHash.mix64(seed ^ UInt64(truncatingIfNeeded: task.rawValue.hashValueStable)))
        let kind = task == .sniah3 ? "uuids" : "numbers"
        let header = Self.header.replacingOccurrences(of: "%@", with: kind)
        func value() -> String { task == .sniah3 ? Self.uuid(&generator) : String(1_000_000 + generator.next() % 9_000_000) }
        func needle(_ key: String, _ value: String) -> String { "One of the special magic \(kind) for \(key) is: \(value)." }
        func question(_ keys: [String]) -> String {
            let query = keys.count == 1 ? keys[0] : keys.dropLast().joined(separator: ", ") + ", and " + keys.last!
            return "What are all the special magic \(kind) for \(query) mentioned in the provided text? "
                + "The special magic \(kind) for \(query) mentioned in the provided text are"
        }
        var keys: [String] = []
        while keys.count < 4 {
            let key = Self.key(&generator)
            if !keys.contains(key) { keys.append(key) }
        }
        func depth() -> Double { Double(generator.next() % 1001) / 1000 }

        switch task {
        case .sniah1, .sniah2, .sniah3:
            let answer = value()
            let text = Haystack.build(
                tokens: tokens, header: header, counts: task == .sniah1 ? noise : prose, needles: [(needle(keys[0], answer), depth())])
            return QADocument(text: text, questions: [QAQuestion(text: question([keys[0]]), references: [answer])])
        case .mkniah1, .mqniah:
            let values = keys.map { _ in value() }
            let needles = zip(keys, values).map { (needle($0, $1), depth()) }
            let text = Haystack.build(tokens: tokens, header: header, counts: prose, needles: needles)
            if task == .mqniah {
                return QADocument(text: text, questions: [QAQuestion(text: question(keys), references: values)])
            }
            let asked = Int(generator.next() % 4)
            return QADocument(text: text, questions: [QAQuestion(text: question([keys[asked]]), references: [values[asked]])])
        case .mvniah:
            let values = (0..<4).map { _ in value() }
            let needles = values.map { (needle(keys[0], $0), depth()) }
            let text = Haystack.build(tokens: tokens, header: header, counts: prose, needles: needles)
            return QADocument(text: text, questions: [QAQuestion(text: question([keys[0]]), references: values)])
        case .mkniah2:
            // The haystack is needles: every sentence holds a key and a value.
            var needles: [(key: String, value: String)] = []
            var used = Set<String>()
            var total = Passkey.tokenCount(header)
            while total < tokens && used.count < Self.adjectives.count * Self.nouns.count / 2 {
                let key = Self.key(&generator)
                guard used.insert(key).inserted else { continue }
                needles.append((key, value()))
                total += Passkey.tokenCount(needle(key, needles.last!.value))
            }
            let asked = needles[Int(generator.next() % UInt64(needles.count))]
            let text = ([header] + needles.map { needle($0.key, $0.value) }).joined(separator: " ") + "\n"
            return QADocument(text: text, questions: [QAQuestion(text: question([asked.key]), references: [asked.value])])
        case .natural:
            return NaturalQuestions.document(tokens: tokens, prose: prose, generator: &generator)
        }
    }

    // MARK: Keys and values

    static let adjectives = [
        "amber", "ancient", "bitter", "bold", "brave", "bright", "broad", "calm", "cheerful", "clever", "cosmic", "crisp",
        "curly", "damp", "distant", "dizzy", "dreamy", "dusty", "eager", "early", "electric", "empty", "faint", "fancy",
        "fierce", "fluffy", "frosty", "gentle", "giant", "golden", "grand", "green", "grumpy", "happy", "hasty", "heavy",
        "hidden", "hollow", "honest", "humble", "hungry", "icy", "ivory", "jagged", "jolly", "keen", "lazy", "little",
        "lively", "lonely", "loud", "lucky", "marine", "mellow", "mighty", "misty", "modern", "narrow", "neat", "nimble",
        "noisy", "odd", "olive", "orange", "pale", "patient", "plain", "polite", "proud", "purple", "quiet", "rapid",
        "rare", "rich", "rough", "round", "royal", "rural", "rusty", "salty", "sandy", "scarlet", "shiny", "short", "shy",
        "silent", "sleepy", "slow", "smooth", "soft", "solar", "spicy", "steady", "sticky", "stormy", "sunny", "sweet",
        "swift", "tall", "tame", "tender", "thick", "tidy", "tiny", "upbeat", "urban", "velvet", "violet", "vivid", "warm",
        "wary", "wild", "windy", "wise", "wooden", "young", "zesty",
    ]
    static let nouns = [
        "acorn", "album", "anchor", "arrow", "attic", "badger", "bakery", "banjo", "barrel", "basket", "beacon", "beetle",
        "blanket", "bonnet", "bottle", "bracelet", "bridge", "bucket", "buffalo", "butter", "cabin", "cactus", "camel",
        "candle", "canyon", "carpet", "castle", "cellar", "chimney", "cinema", "circus", "cliff", "clock", "cloud",
        "cobalt", "comet", "compass", "cottage", "crayon", "crown", "crystal", "cushion", "dolphin", "dragon", "drum",
        "dune", "eagle", "ember", "engine", "falcon", "feather", "fence", "ferry", "fiddle", "fjord", "forest", "fossil",
        "fountain", "garden", "gazelle", "ginger", "glacier", "goblet", "gondola", "granite", "hammer", "hamster",
        "harbor", "harp", "helmet", "hermit", "heron", "hill", "horizon", "iceberg", "igloo", "island", "jacket", "jelly",
        "jungle", "kayak", "kettle", "kitten", "ladder", "lagoon", "lantern", "lemon", "library", "lighthouse", "lizard",
        "locket", "magnet", "mango", "maple", "marble", "meadow", "mirror", "mitten", "monkey", "moon", "mosaic",
        "mountain", "nectar", "needle", "noodle", "oasis", "ocean", "orbit", "orchid", "otter", "owl", "paddle", "palace",
        "panda", "parrot", "pebble", "pepper", "piano", "pillow", "pilot", "planet", "pocket", "pony", "puzzle", "quarry",
        "rabbit", "radio", "rainbow", "raven", "ribbon", "river", "robin", "rocket", "saddle", "saffron", "sailor",
        "satchel", "scarf", "shadow", "shell", "sparrow", "spider", "spoon", "squirrel", "statue", "storm", "summit",
        "sunset", "swan", "teapot", "temple", "thimble", "thistle", "thunder", "tiger", "timber", "tower", "trumpet",
        "tulip", "tunnel", "turtle", "umbrella", "urchin", "valley", "violin", "wagon", "walrus", "whistle", "willow",
        "window", "wizard", "yarrow", "zephyr",
    ]

    static func key(_ generator: inout SplitMix64) -> String {
        adjectives[Int(generator.next() % UInt64(adjectives.count))] + "-" + nouns[Int(generator.next() % UInt64(nouns.count))]
    }

    static func uuid(_ generator: inout SplitMix64) -> String {
        let hex = Array("0123456789abcdef")
        var characters: [Character] = []
        var bits = generator.next()
        for index in 0..<32 {
            if index == 16 { bits = generator.next() }
            characters.append(index == 12 ? "4" : hex[Int(bits & 15)])
            bits >>= 4
        }
        let text = String(characters)
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(text[text.index(text.startIndex, offsetBy: range.lowerBound)..<text.index(text.startIndex, offsetBy: range.upperBound)])
        }
        return parts.joined(separator: "-")
    }
}

/// Haystacks with any number of needles.
enum Haystack {
    /// About `tokens` tokens: the header, then the sentences cycled, each needle placed between two
    /// sentences at its depth (0 = first, 1 = last); needles at one place keep their order.
    static func build(tokens: Int, header: String, counts: Passkey.SentenceTokens, needles: [(String, Double)]) -> String {
        var total = Passkey.tokenCount(header) + needles.map { Passkey.tokenCount($0.0) }.reduce(0, +)
        var units: [Int] = []
        var next = 0
        while total < tokens {
            units.append(next)
            total += counts.counts[next]
            next = (next + 1) % counts.sentences.count
        }
        var placed: [Int: [String]] = [:]
        for (needle, depth) in needles {
            placed[Int((depth * Double(units.count)).rounded()), default: []].append(needle)
        }
        var parts = [header]
        parts.reserveCapacity(units.count + needles.count + 1)
        for (index, unit) in units.enumerated() {
            parts.append(contentsOf: placed[index] ?? [])
            parts.append(counts.sentences[unit])
        }
        for (position, sentences) in placed where position >= units.count { parts.append(contentsOf: sentences) }
        return parts.joined(separator: " ") + "\n"
    }
}

extension String {
    /// A hash of the string that is the same in every process (Swift's `hashValue` is not).
    var hashValueStable: UInt64 { Array(utf8).withUnsafeBytes { StableHash.hash($0, seed: 0x71_61) } }
}
