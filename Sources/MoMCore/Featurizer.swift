/// A sparse vector: ascending unique indices with their values.
public struct SparseVector: Sendable, Equatable {
    public var indices: [Int32] = []
    public var values: [Float] = []

    public init() {}

    public init(indices: [Int32], values: [Float]) {
        precondition(indices.count == values.count, "a sparse vector needs one value per index")
        self.indices = indices
        self.values = values
    }

    public var count: Int { indices.count }
    public var isEmpty: Bool { indices.isEmpty }

    /// The dense form, for reference kernels and tests.
    public func dense(dimension: Int) -> [Float] {
        var result = [Float](repeating: 0, count: dimension)
        for (index, value) in zip(indices, values) { result[Int(index)] = value }
        return result
    }
}

/// The last `window` folded-token hashes, most recent first: the context a key is made from.
///
/// With anchored number keys (`NumberKeys.anchored`) it also follows the word its latest token
/// belongs to (the tokens since the last one with whitespace before it): the hash of the context
/// that word began in, how many tokens it has so far, and whether one of them is a digit.
public struct ContextWindow: Sendable, Equatable {
    public private(set) var hashes: [UInt64]
    public let capacity: Int
    /// Whether the word is followed (anchored number keys); false leaves `word` as it starts.
    public let followsWords: Bool
    public private(set) var word = Word()

    /// The word the latest token belongs to.
    public struct Word: Sendable, Equatable {
        /// The hash of the (up to) `Word.anchorTokens` tokens before the word's first token.
        public var anchor: UInt64 = 0
        /// Tokens of the word so far, counted up to `Word.lengthLimit`.
        public var length: UInt8 = 0
        /// Tokens the anchor was made from: `anchorTokens`, or fewer when the word began with
        /// fewer before it (at the start of a document, or of a short cue).
        public var anchorLength: UInt8 = 0
        /// Whether a token of it so far is a decimal digit.
        public var hasDigit = false

        /// Tokens before a word that anchor it: as many as the second token of a word has in its
        /// context already, so an anchored key asks no more of a cue than the plain one did.
        public static let anchorTokens = 3
        /// Past this many tokens a word's length stops counting.
        public static let lengthLimit: UInt8 = 64
    }

    public init(capacity: Int, followsWords: Bool = false) {
        self.capacity = capacity
        self.followsWords = followsWords
        hashes = []
        hashes.reserveCapacity(capacity)
    }

    /// An empty context as `configuration` folds: its window, following words with anchored
    /// number keys.
    public init(configuration: MoMConfiguration) {
        self.init(capacity: configuration.window, followsWords: Self.followsWords(configuration))
    }

    /// Whether contexts of `configuration` follow words: with anchored number keys.
    static func followsWords(_ configuration: MoMConfiguration) -> Bool { configuration.numberKeys == .anchored }

    public var count: Int { hashes.count }

    /// Whether the latest token belongs to a word with a digit in it (a number, a code, a time).
    public var isInNumber: Bool { followsWords && word.hasDigit }

    /// Whether the latest token is in a number whose anchor saw fewer than `Word.anchorTokens`
    /// tokens: a cue that gives a number's first digits after only a word or two cannot know
    /// the stored anchor, and is read by the plain orders alone, from every memory.
    public var hasPartialAnchor: Bool { isInNumber && Int(word.anchorLength) < Word.anchorTokens }

    /// What anchors a key inside a number: the context the word began in and the place in it.
    var numberAnchor: UInt64 { StableHash.combine(word.anchor, UInt64(word.length)) }

    /// Makes `hash` the most recent token, dropping the oldest when full. `startsWord`: whether
    /// whitespace (or the start of the stream) stood before the token; `isDigit`: whether it is a
    /// decimal digit. Both matter only when the window follows words.
    public mutating func push(_ hash: UInt64, startsWord: Bool = true, isDigit: Bool = false) {
        if followsWords {
            if startsWord || hashes.isEmpty {
                let anchorLength = min(hashes.count, Word.anchorTokens)
                var anchor = StableHash.mix64(UInt64(anchorLength))
                for hash in hashes.prefix(Word.anchorTokens) { anchor = StableHash.combine(anchor, hash) }
                word = Word(anchor: anchor, length: 0, anchorLength: UInt8(anchorLength), hasDigit: false)
            }
            if word.length < Word.lengthLimit { word.length += 1 }
            if isDigit { word.hasDigit = true }
        }
        if hashes.count == capacity {
            // Full: every hash moves one place back, the oldest falls off, in place.
            hashes.withUnsafeMutableBufferPointer { window in
                var position = window.count - 1
                while position > 0 {
                    window[position] = window[position - 1]
                    position -= 1
                }
                window[0] = hash
            }
        } else {
            hashes.insert(hash, at: 0)
        }
    }

    /// Makes a decoded vocabulary entry the most recent token, as the fold pushed it.
    public mutating func push(entry: Int, of vocabulary: Vocabulary) {
        push(vocabulary.foldedHash(entry), startsWord: vocabulary.hasLeadingSpace(entry), isDigit: vocabulary.isDigit(entry))
    }

    init(capacity: Int, hashes: [UInt64], followsWords: Bool = false, word: Word = Word()) {
        self.capacity = capacity
        self.hashes = hashes
        self.followsWords = followsWords
        self.word = followsWords ? word : Word()
    }

    /// Whether a token's folded form is one decimal digit (the tokenizer makes each digit a token).
    public static func isDigit(_ folded: UnsafeBufferPointer<UInt8>) -> Bool {
        folded.count == 1 && (0x30...0x39).contains(folded[0])
    }
}

/// Turns contexts into sparse signed hashed n-gram keys and tokens into dense ±1/√dv value codes.
///
/// The key of a context is Σₙ cₙ · (s signed one-hot positions hashed from the n most recent
/// folded tokens), L2-normalised. With anchored number keys, a context whose latest word holds a
/// digit adds each order once more, hashed together with the context that word began in and its
/// place in the word, and weighs the plain orders half. A context with no tokens, or whose entries cancel exactly, gives
/// an empty key, and an empty key never writes.
public struct Featurizer: Sendable {
    public let dk: Int
    public let dv: Int
    let window: Int
    let hashesPerOrder: Int
    let orderWeights: [Float]
    let keySeed: UInt64
    /// The seed of every order's hash inside a number, with anchored number keys.
    let numberSeed: UInt64
    let anchorsNumbers: Bool
    let valueSeed: UInt64
    let foldSeed: UInt64
    /// Eight ±1/√dv lanes for each byte of sign bits (bit j set → lane j negative).
    let signLanes: [SIMD8<Float>]

    public init(configuration: MoMConfiguration) {
        dk = configuration.dk
        dv = configuration.dv
        window = configuration.window
        hashesPerOrder = configuration.hashesPerOrder
        orderWeights = configuration.orderWeights
        keySeed = StableHash.mix64(configuration.seed ^ 0x6B65_7973)  // "keys"
        numberSeed = StableHash.mix64(configuration.seed ^ 0x6E75_6D62_6572)  // "number"
        anchorsNumbers = configuration.numberKeys == .anchored
        valueSeed = StableHash.mix64(configuration.seed ^ 0x7661_6C75_6573)  // "values"
        foldSeed = StableHash.mix64(configuration.seed ^ 0x666F_6C64)  // "fold"
        let magnitude = 1 / Float(configuration.dv).squareRoot()
        signLanes = (0..<256).map { byte in
            var lanes = SIMD8<Float>(repeating: magnitude)
            for lane in 0..<8 where (byte >> lane) & 1 == 1 { lanes[lane] = -magnitude }
            return lanes
        }
    }

    // MARK: Token hashes

    /// The hash of a token's case-folded form; keys are built from these.
    @inline(__always)
    public func foldedHash(_ folded: UnsafeBufferPointer<UInt8>) -> UInt64 {
        StableHash.hash(UnsafeRawBufferPointer(folded), seed: foldSeed)
    }

    /// The hash of a token's surface form and spacing; its value code is drawn from this.
    @inline(__always)
    public func valueHash(_ surface: UnsafeBufferPointer<UInt8>, leadingSpace: Bool) -> UInt64 {
        StableHash.hash(UnsafeRawBufferPointer(surface), seed: leadingSpace ? ~valueSeed : valueSeed)
    }

    // MARK: Keys

    /// Writes the key of `context` into `key`, reusing its storage.
    public func key(for context: ContextWindow, into key: inout SparseVector) {
        var scratch = KeyScratch(dk: dk)
        self.key(for: context, into: &key, scratch: &scratch)
    }

    /// Writes the query a read of `context` asks with into `query`: the key, except that a
    /// number whose anchor is partial (`ContextWindow.hasPartialAnchor`) leaves the anchored
    /// orders out, since the cue could not give the anchor the fold hashed.
    public func query(for context: ContextWindow, into query: inout SparseVector, orders: Int? = nil) {
        // One key: sorting its few positions is cheaper than clearing a dk-wide scratch.
        var scratch = KeyScratch.sorting
        key(for: context, into: &query, scratch: &scratch, anchored: !context.hasPartialAnchor, orders: orders ?? window)
    }


    /// Writes the key of `context` into `key` (of its first `orders` orders, if given: what a
    /// key is routed by); `scratch` (for this dk) is left as it was found. `anchored: false`
    /// leaves out the anchored orders inside a number (`query(for:into:)`).
    public func key(for context: ContextWindow, into key: inout SparseVector, scratch: inout KeyScratch, orders: Int? = nil) {
        self.key(for: context, into: &key, scratch: &scratch, anchored: true, orders: orders)
    }

    func key(for context: ContextWindow, into key: inout SparseVector, scratch: inout KeyScratch, anchored: Bool, orders: Int? = nil) {
        let orders = orders ?? window
        let inNumber = anchored && anchorsNumbers && context.isInNumber
        let capacity = window * hashesPerOrder * (inNumber ? 2 : 1)
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: capacity) { indices in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: capacity) { values in
                var count = 0
                if inNumber {
                    // Inside a number every order is hashed with the word's anchor and place, so
                    // two numbers that share their last digits, or a code that repeats a stretch
                    // of itself, keep apart unless the context they began in is the same too; the
                    // plain orders stay at a lower weight, so a cue that differs from the stored
                    // text before the number still reads it, as weakly as before.
                    let anchored = StableHash.combine(numberSeed, context.numberAnchor)
                    count = addOrders(of: context, from: anchored, scale: 1, orders: orders, indices: indices, values: values, count: count)
                    count = addOrders(of: context, from: keySeed, scale: Self.plainScaleInNumbers, orders: orders, indices: indices, values: values, count: count)
                } else {
                    count = addOrders(of: context, from: keySeed, scale: 1, orders: orders, indices: indices, values: values, count: count)
                }
                if scratch.isUsable {
                    count = scratch.canonicalize(indices: indices.baseAddress!, values: values.baseAddress!, count: count)
                } else {
                    count = Self.canonicalize(indices: indices.baseAddress!, values: values.baseAddress!, count: count)
                }
                key.indices.removeAll(keepingCapacity: true)
                key.values.removeAll(keepingCapacity: true)
                key.indices.append(contentsOf: UnsafeBufferPointer(start: indices.baseAddress, count: count))
                key.values.append(contentsOf: UnsafeBufferPointer(start: values.baseAddress, count: count))
            }
        }
    }

    /// The weight of the plain orders inside a number, against 1 for the anchored ones: two
    /// numbers that share only the plain orders have keys with cosine 0.2, which the delta rule
    /// keeps apart, and a read whose anchor differs still projects 0.45 of a full match.
    static let plainScaleInNumbers: Float = 0.5

    /// Appends `s` signed positions per order of `context`, each order's hash chained from
    /// `seed`; returns the new count.
    private func addOrders(
        of context: ContextWindow, from seed: UInt64, scale: Float, orders limit: Int,
        indices: UnsafeMutableBufferPointer<Int32>, values: UnsafeMutableBufferPointer<Float>, count start: Int
    ) -> Int {
        var count = start
        var gram = seed
        let orders = min(context.count, window, limit)
        let dkWide = UInt64(dk)
        for order in 0..<orders {
            gram = StableHash.combine(gram, context.hashes[order])
            let weight = orderWeights[order] * scale
            if weight == 0 { continue }
            var generator = SplitMix64(seed: gram)
            for _ in 0..<hashesPerOrder {
                let bits = generator.next()
                // Multiply-shift maps the high 32 bits onto 0..<dk (the product is < 2⁶⁴).
                indices[count] = Int32(truncatingIfNeeded: ((bits >> 32) &* dkWide) >> 32)
                values[count] = bits & 1 == 0 ? weight : -weight
                count &+= 1
            }
        }
        return count
    }

    /// Sorts by index (stable), sums duplicates in generation order, drops exact zeros, and
    /// normalises to unit length. Returns the entries left: none if nothing remains.
    static func canonicalize(indices: UnsafeMutablePointer<Int32>, values: UnsafeMutablePointer<Float>, count: Int) -> Int {
        guard count > 0 else { return 0 }
        // Insertion sort: at most window × s (≤ 1024) entries, usually 32, and stable.
        for position in 1..<count {
            let index = indices[position]
            let value = values[position]
            var slot = position
            while slot > 0 && indices[slot &- 1] > index {
                indices[slot] = indices[slot &- 1]
                values[slot] = values[slot &- 1]
                slot &-= 1
            }
            indices[slot] = index
            values[slot] = value
        }
        var write = 0
        var read = 0
        while read < count {
            let index = indices[read]
            var sum = values[read]
            read &+= 1
            while read < count && indices[read] == index {
                sum += values[read]
                read &+= 1
            }
            if sum != 0 {
                indices[write] = index
                values[write] = sum
                write &+= 1
            }
        }
        var squares: Float = 0
        for position in 0..<write { squares += values[position] * values[position] }
        guard squares > 0, squares.isFinite else { return 0 }
        let norm = squares.squareRoot()
        for position in 0..<write { values[position] /= norm }
        return write
    }

    // MARK: Values

    /// Writes the ±1/√dv code drawn from `valueHash` into `code` (dv floats): dimension j takes
    /// bit j mod 64 of the (j / 64 + 1)-th SplitMix64 draw seeded by the hash; set means negative.
    public func valueCode(_ valueHash: UInt64, into code: UnsafeMutableBufferPointer<Float>) {
        var generator = SplitMix64(seed: valueHash)
        var bits: UInt64 = 0
        var dimension = 0
        signLanes.withUnsafeBufferPointer { lanes in
            let raw = UnsafeMutableRawPointer(code.baseAddress!)
            while dimension &+ 8 <= dv {  // dimension < dv: no overflow
                if dimension & 63 == 0 { bits = generator.next() }
                let byte = Int(truncatingIfNeeded: (bits >> UInt64(dimension & 63)) & 0xFF)
                raw.storeBytes(of: lanes[byte], toByteOffset: dimension &* 4, as: SIMD8<Float>.self)
                dimension &+= 8
            }
        }
        let magnitude = 1 / Float(dv).squareRoot()
        while dimension < dv {
            if dimension & 63 == 0 { bits = generator.next() }
            code[dimension] = (bits >> UInt64(dimension & 63)) & 1 == 0 ? magnitude : -magnitude
            dimension &+= 1
        }
    }

    /// The value code of `valueHash` as an array.
    public func valueCode(_ valueHash: UInt64) -> [Float] {
        [Float](unsafeUninitializedCapacity: dv) { buffer, initialized in
            valueCode(valueHash, into: buffer)
            initialized = dv
        }
    }
}

/// Scratch for the fast canonicalisation of keys: a dense accumulator and a bitset over dk.
///
/// Marking each index in a bitset and walking the set bits yields the indices ascending with no
/// comparison sort; duplicates accumulate in generation order, as in the plain sort-and-merge.
public struct KeyScratch: Sendable {
    var sums: [Float]
    var marks: [UInt64]
    /// Bit w set when marks[w] has any bit set, so the walk visits only the words a key touched.
    var summary: [UInt64]

    /// Up to this dk the bitset walk beats sorting; past it the scratch stays empty and unused.
    static let bitsetLimit = 1 << 14

    public init(dk: Int) {
        if dk <= Self.bitsetLimit {
            sums = [Float](repeating: 0, count: dk)
            marks = [UInt64](repeating: 0, count: (dk + 63) / 64)
            summary = [UInt64](repeating: 0, count: (marks.count + 63) / 64)
        } else {
            sums = []
            marks = []
            summary = []
        }
    }

    /// A scratch that canonicalizes by sorting (as one past `bitsetLimit` does), for a single key.
    static var sorting: KeyScratch { KeyScratch(dk: Int.max) }

    var isUsable: Bool { !marks.isEmpty }

    /// The same result as `Featurizer.canonicalize`.
    mutating func canonicalize(indices: UnsafeMutablePointer<Int32>, values: UnsafeMutablePointer<Float>, count: Int) -> Int {
        guard count > 0 else { return 0 }
        var write = 0
        var squares: Float = 0
        sums.withUnsafeMutableBufferPointer { sums in
            marks.withUnsafeMutableBufferPointer { marks in
                summary.withUnsafeMutableBufferPointer { summary in
                    for position in 0..<count {
                        let index = Int(indices[position])
                        let word = index &>> 6
                        let bit = UInt64(1) &<< UInt64(index & 63)
                        if marks[word] & bit == 0 {
                            marks[word] |= bit
                            summary[word &>> 6] |= UInt64(1) &<< UInt64(word & 63)
                            sums[index] = values[position]
                        } else {
                            sums[index] += values[position]
                        }
                    }
                    for group in 0..<summary.count where summary[group] != 0 {
                        var words = summary[group]
                        summary[group] = 0
                        while words != 0 {
                            let word = group &<< 6 | words.trailingZeroBitCount
                            words &= words &- 1
                            var bits = marks[word]
                            marks[word] = 0
                            while bits != 0 {
                                let index = word &<< 6 | bits.trailingZeroBitCount
                                bits &= bits &- 1
                                let sum = sums[index]
                                if sum != 0 {
                                    indices[write] = Int32(truncatingIfNeeded: index)
                                    values[write] = sum
                                    write &+= 1
                                }
                            }
                        }
                    }
                }
            }
        }
        for position in 0..<write { squares += values[position] * values[position] }
        guard squares > 0, squares.isFinite else { return 0 }
        let norm = squares.squareRoot()
        for position in 0..<write { values[position] /= norm }
        return write
    }
}
