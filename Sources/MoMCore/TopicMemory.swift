/// The state's topic memory: which sentences a question's content words point to, and where each
/// of them began, so that the n-gram memories can decode it again.
///
/// People's questions name the sentence that answers them by a few content words, in any order,
/// while the n-gram memories are addressed by the words right before what is read. The topic
/// memory bridges the two, in fixed size:
///
/// - Every sentence gets a pseudo-random ±1 code of `width` signs, drawn from its index.
/// - Each distinct content term of a sentence (a letter word outside a closed list of function
///   words, lightly stemmed; or a whole number) adds the sentence's code into two hashed rows of a
///   `rows × width` int8 matrix, with a hashed sign per row (saturating at ±127). Each row also
///   counts the sentences that wrote it, so a term's sentence frequency — and its IDF — is the
///   smaller count of its two rows (a count-min sketch).
/// - A ring of `sentenceSlots` slots keeps, for the latest sentences, the context the sentence
///   began in and its length in tokens: from that context the n-gram memories decode it.
///
/// A read sums the question's terms' rows, IDF-weighted, and scores every sentence still in the
/// ring by its code: about the summed weight of the question's terms the sentence holds, plus
/// crosstalk from the other sentences that wrote those rows.
public struct TopicMemory: Sendable, Equatable {
    // MARK: Shape

    public let rows: Int
    /// Signs of a sentence code (a multiple of 64).
    public let width: Int
    public let slotCount: Int
    let seed: UInt64
    let codeSeed: UInt64

    // MARK: State

    /// rows × width, row-major: the sum of the codes written under each row.
    var codes: [Int8]
    /// Per row: the sentences that wrote it (saturating).
    var rowSentences: [UInt32]
    var slots: [SentenceSlot]
    /// Sentences begun since the document began.
    public private(set) var sentences: UInt64 = 0
    /// The open sentence's distinct terms, each written once.
    var openTerms: [UInt64] = []
    /// Whether the last token ended a sentence (". ! ?"); the next sentence begins at the next
    /// token that has whitespace before it (so "3.5" and "U.S." stay in their sentence).
    var endPending = false
    /// The digits of a number still open, as a running hash, and their count (0: none open).
    var numberHash: UInt64 = 0
    var numberLength: UInt8 = 0
    /// The open sentence's code as width signs of ±1 (`sentenceCode(sentences - 1)`), drawn
    /// once per sentence so that each write is a plain saturating add; not encoded.
    var openSigns: [Int8] = []

    /// A sentence is cut after this many tokens, so every slot decodes in bounded time.
    public static let maxSentenceTokens: UInt16 = 72
    /// Distinct terms a sentence writes at most.
    static let maxTermsPerSentence = 64
    /// Rows a term writes.
    static let hashesPerTerm = 2

    /// Where a sentence began.
    public struct SentenceSlot: Sendable, Equatable {
        /// The sentence's index plus one; 0 for a slot never written.
        public var sentence: UInt64 = 0
        /// The document's token count when the sentence began.
        public var token: UInt64 = 0
        /// Tokens of the sentence so far.
        public var length: UInt16 = 0
        /// The context its first token was written under.
        public var context: ContextWindow
        /// The contexts of its tokens `checkpointTokens`, 2 × `checkpointTokens`, … (as many as
        /// it has, up to `maxCheckpoints`): a decoding that a repeated phrase led astray starts
        /// again from each, so a sentence is rebuilt piece by piece.
        public var checkpoints: [ContextWindow] = []
    }

    /// Tokens between a sentence's checkpoints.
    public static let checkpointTokens: UInt16 = 12
    /// Checkpoints a sentence keeps at most.
    static let maxCheckpoints = Int((maxSentenceTokens - 1) / checkpointTokens)

    init(configuration: MoMConfiguration) {
        rows = configuration.topicRows
        width = configuration.topicWidth
        slotCount = configuration.sentenceSlots
        seed = StableHash.mix64(configuration.seed ^ 0x746F_7069_6373)  // "topics"
        codeSeed = StableHash.mix64(configuration.seed ^ 0x7365_6E74_656E_6365)  // "sentence"
        codes = [Int8](repeating: 0, count: rows * width)
        rowSentences = [UInt32](repeating: 0, count: rows)
        let empty = ContextWindow(configuration: configuration)
        slots = [SentenceSlot](repeating: SentenceSlot(context: empty), count: slotCount)
    }

    // MARK: Fold

    /// Takes the next token of the document; `context` is what it is written under (the tokens
    /// before it), `token` its position.
    mutating func accept(folded: UnsafeBufferPointer<UInt8>, leadingSpace: Bool, context: ContextWindow, token: UInt64) {
        let isDigit = ContextWindow.isDigit(folded)
        if numberLength > 0 && (!isDigit || leadingSpace) { closeNumber() }
        let begins = Self.beginsSentence(afterEnd: endPending, leadingSpace: leadingSpace, length: slots[openSlot].length)
        endPending = false
        if sentences == 0 || begins { begin(context: context, token: token) }
        var length = slots[openSlot].length
        if length == 1 && slots[openSlot].context.count == 0 {
            // The document's first token was written under no context, so nothing can read it
            // again: its sentence is decoded from its second token on.
            slots[openSlot].context = context
            slots[openSlot].token += 1
            length = 0
        }
        if length > 0 && length % Self.checkpointTokens == 0 { slots[openSlot].checkpoints.append(context) }
        slots[openSlot].length = length + 1
        if isDigit {
            numberHash = StableHash.combine(numberLength == 0 ? seed : numberHash, UInt64(folded[0]))
            numberLength &+= numberLength < 255 ? 1 : 0
        } else if Self.endsSentence(folded) {
            endPending = true
        } else if let term = TopicTerms.term(folded, seed: seed) {
            add(term)
        }
    }

    var openSlot: Int { Int((sentences &- 1) % UInt64(slotCount)) }

    /// Whether a token ends a sentence: ". ! ?" alone.
    public static func endsSentence(_ token: some Collection<UInt8>) -> Bool {
        token.count == 1 && [0x2E, 0x21, 0x3F].contains(token.first!)
    }

    /// Whether a token begins a new sentence: after a sentence end when whitespace stands before
    /// it (so "3.5" and "U.S." stay in theirs), or once the open sentence has
    /// `maxSentenceTokens` tokens.
    public static func beginsSentence(afterEnd: Bool, leadingSpace: Bool, length: UInt16) -> Bool {
        (afterEnd && leadingSpace) || length >= maxSentenceTokens
    }

    mutating func begin(context: ContextWindow, token: UInt64) {
        if numberLength > 0 { closeNumber() }
        sentences += 1
        openSigns = signs(of: sentences - 1)
        slots[openSlot] = SentenceSlot(sentence: sentences, token: token, length: 0, context: context)
        openTerms.removeAll(keepingCapacity: true)
    }

    mutating func closeNumber() {
        let term = StableHash.combine(numberHash, UInt64(numberLength))
        numberLength = 0
        numberHash = 0
        add(term)
    }

    /// Writes the open sentence's code under `term`'s rows, once per sentence.
    mutating func add(_ term: UInt64) {
        guard sentences > 0, openTerms.count < Self.maxTermsPerSentence, !openTerms.contains(term) else { return }
        openTerms.append(term)
        for probe in 0..<Self.hashesPerTerm {
            let (row, negative) = Self.row(of: term, probe: probe, rows: rows)
            if rowSentences[row] < UInt32.max { rowSentences[row] += 1 }
            let flip: Int16 = negative ? -1 : 1
            codes.withUnsafeMutableBufferPointer { matrix in
                openSigns.withUnsafeBufferPointer { signs in
                    let row = matrix.baseAddress! + row * width
                    // The code's sign, flipped by the row's: +1 or −1, saturating at ±127 (a
                    // clamped sum always fits in Int8, so the conversion needs no check).
                    for column in 0..<width {
                        let sum = Int16(row[column]) &+ flip &* Int16(signs[column])
                        row[column] = Int8(truncatingIfNeeded: min(max(sum, -127), 127))
                    }
                }
            }
        }
    }

    /// The ±1 code of sentence `index`: bit set → −1.
    func sentenceCode(_ index: UInt64) -> [UInt64] {
        (0..<(width / 64)).map { codeWord(index, $0) }
    }

    /// Word `word` of sentence `index`'s code (64 signs).
    @inline(__always)
    func codeWord(_ index: UInt64, _ word: Int) -> UInt64 {
        StableHash.mix64(StableHash.combine(codeSeed, index &* 64 &+ UInt64(word)))
    }

    /// The sentence's code as ±1 signs, one per column.
    func signs(of index: UInt64) -> [Int8] {
        let code = sentenceCode(index)
        return (0..<width).map { column in (code[column / 64] >> UInt64(column % 64)) & 1 == 1 ? -1 : 1 }
    }

    /// The row a term's `probe`-th hash writes, and whether it is written negated.
    @inline(__always)
    static func row(of term: UInt64, probe: Int, rows: Int) -> (row: Int, negative: Bool) {
        let hash = StableHash.combine(term, UInt64(probe) &+ 0x726F_7773)  // "rows"
        return (Int(hash % UInt64(rows)), hash >> 63 == 1)
    }

    /// The rows a term writes and whether each is written negated.
    static func rowsOf(_ term: UInt64, rows: Int) -> [(row: Int, negative: Bool)] {
        (0..<hashesPerTerm).map { row(of: term, probe: $0, rows: rows) }
    }

    // MARK: Read

    /// Sentences holding `term` (an estimate that errs high: the smaller count of its rows).
    public func sentenceFrequency(ofTerm term: UInt64) -> UInt32 {
        Self.rowsOf(term, rows: rows).map { rowSentences[$0.row] }.min() ?? 0
    }

    /// The hash a term of `word` has in this memory, or nil for a function word or punctuation;
    /// a word of digits is one number term.
    public func term(of word: String) -> UInt64? {
        TopicTerms.term(of: word, seed: seed)
    }

    /// A sentence the topic memory points to.
    public struct Match: Sendable, Equatable {
        /// Its index in the document (0 for the first sentence).
        public var sentence: UInt64
        /// The document's token count when it began.
        public var token: UInt64
        /// Its tokens.
        public var length: Int
        /// The weighted terms it holds, as the codes read them: about Σ weight of the terms it
        /// holds, plus crosstalk.
        public var score: Float
        public var context: ContextWindow
        /// Where its later pieces begin (`SentenceSlot.checkpoints`).
        public var checkpoints: [ContextWindow]
    }

    /// The `limit` sentences in the ring that hold the most of the weighted terms, as
    /// `heldWeights` reads them, best first (ties to the earlier sentence).
    public func strongestSentences(for terms: [(term: UInt64, weight: Float)], limit: Int) -> [Match] {
        guard sentences > 0, !terms.isEmpty, limit > 0 else { return [] }
        let first = sentences > UInt64(slotCount) ? sentences - UInt64(slotCount) : 0
        let scored = zip(first..<sentences, heldWeights(of: terms, in: Array(first..<sentences))).sorted {
            $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0
        }
        return scored.prefix(limit).map { sentence, score in
            let slot = slots[Int(sentence % UInt64(slotCount))]
            return Match(
                sentence: sentence, token: slot.token, length: Int(slot.length), score: score, context: slot.context,
                checkpoints: slot.checkpoints)
        }
    }

    /// How much of the weighted terms each of `sentences` was written under, read from the codes
    /// alone: each term's membership reading (`membership(ofTerm:sentence:)`, clamped to 0…1),
    /// weighed by its weight and by how clearly its rows read (`clarity`), scaled so that a
    /// sentence holding every term scores the terms' summed weight.
    ///
    /// A row many sentences wrote reads every other sentence's code with noise of about
    /// √(writers / width): for a term in a fifth of the sentences that is as large as the
    /// reading itself, so summing raw readings lets common words drown the rare ones that find
    /// the sentence.
    public func heldWeights(of terms: [(term: UInt64, weight: Float)], in sentences: [UInt64]) -> [Float] {
        let total = terms.reduce(0) { $0 + $1.weight }
        let reads: [(rows: [RowSums], weight: Float)] = terms.compactMap { term, weight in
            let rows = Self.rowsOf(term, rows: rows)
            let writers = rows.map { rowSentences[$0.row] }.min() ?? 0
            let clear = weight * clarity(writers: writers)
            return clear > 0 ? (rows.map { RowSums(memory: self, row: $0.row, negative: $0.negative) }, clear) : nil
        }
        let possible = reads.reduce(0) { $0 + $1.weight }
        guard total > 0, possible > 0 else { return sentences.map { _ in 0 } }
        let scale = total / possible
        var code = [UInt64](repeating: 0, count: width / 64)
        return sentences.map { sentence in
            for word in code.indices { code[word] = codeWord(sentence, word) }
            var held: Float = 0
            for read in reads {
                let reading = read.rows.map { $0.projection(code) }.min() ?? 0
                held += read.weight * min(max(reading, 0), 1)
            }
            return held * scale
        }
    }

    /// One row, ready to be projected on many codes: for each 8 columns and each of the 256 ways
    /// a code's signs can fall on them, the sum of the row's values where the code is negative.
    struct RowSums {
        let negative: Bool
        let width: Int
        /// The row's sum over all columns.
        let all: Int32
        /// (width / 8) × 256 partial sums.
        let flipped: [Int32]

        init(memory: TopicMemory, row: Int, negative: Bool) {
            let width = memory.width
            self.negative = negative
            self.width = width
            var all: Int32 = 0
            var flipped = [Int32](repeating: 0, count: width / 8 * 256)
            for group in 0..<(width / 8) {
                let values = (0..<8).map { Int32(memory.codes[row * width + group * 8 + $0]) }
                all += values.reduce(0, +)
                for pattern in 1..<256 {
                    // The pattern's lowest set bit, plus the pattern without it (built already).
                    let lowest = pattern.trailingZeroBitCount
                    flipped[group * 256 + pattern] = flipped[group * 256 + (pattern & (pattern - 1))] + values[lowest]
                }
            }
            self.all = all
            self.flipped = flipped
        }

        /// The row's projection on a code (width / 64 words, bit set → −1), its sign undone.
        func projection(_ code: [UInt64]) -> Float {
            var minus: Int32 = 0
            flipped.withUnsafeBufferPointer { flipped in
                for group in 0..<(width / 8) {
                    let byte = Int((code[group / 8] >> UInt64(group % 8 * 8)) & 0xFF)
                    minus &+= flipped[group &* 256 &+ byte]
                }
            }
            let sum = all &- 2 &* minus
            return Float(negative ? -sum : sum) / Float(width)
        }
    }

    /// How clearly a term's rows, written by `writers` sentences, tell whether a sentence wrote
    /// them: 1 / (1 + 4 · writers / width), against a crosstalk variance of writers / width.
    func clarity(writers: UInt32) -> Float { 1 / (1 + Self.crosstalkWeight * Float(writers) / Float(width)) }

    /// How much a row's crosstalk variance takes from its term's weight in a read.
    static let crosstalkWeight: Float = 4

    /// How a term's rows read sentence `sentence`'s code: the smaller of its rows' projections
    /// (about 1 where the sentence wrote the term, about 0 where it did not, give or take
    /// √(writers / width) of crosstalk), and the most sentences that wrote either row.
    public func membership(ofTerm term: UInt64, sentence: UInt64) -> (reading: Float, writers: UInt32) {
        let rows = Self.rowsOf(term, rows: rows)
        let reading = rows.map { projection(row: $0.row, negative: $0.negative, sentence: sentence) }.min() ?? 0
        return (reading, rows.map { rowSentences[$0.row] }.max() ?? 0)
    }

    /// A row's projection on sentence `sentence`'s code, its sign undone: about the times that
    /// sentence wrote it (0 or 1), plus crosstalk.
    func projection(row: Int, negative: Bool, sentence: UInt64) -> Float {
        var sum: Int32 = 0
        codes.withUnsafeBufferPointer { matrix in
            let base = row * width
            for word in 0..<(width / 64) {
                let bits = codeWord(sentence, word)
                var all: Int32 = 0
                var flipped: Int32 = 0
                for bit in 0..<64 {
                    let value = Int32(matrix[base &+ word &* 64 &+ bit])
                    all &+= value
                    flipped &+= (bits >> UInt64(bit)) & 1 == 1 ? value : 0
                }
                sum &+= all &- 2 &* flipped
            }
        }
        return Float(negative ? -sum : sum) / Float(width)
    }

    /// Bytes the topic memory adds to the state.
    public var byteCount: Int { rows * width + rows * 4 + slotCount * SentenceSlot.encodedBytes(window: slots.first?.context.capacity ?? 0) }
}

// MARK: - Codec

extension TopicMemory.SentenceSlot {
    /// sentence u64 · token u64 · length u16 · then the start context and `maxCheckpoints`
    /// checkpoint contexts, each: count u8 · hashes u64 × window · word anchor u64 · word length
    /// u8 · anchor length u8 · digit u8.
    static func encodedBytes(window: Int) -> Int { 8 + 8 + 2 + (1 + TopicMemory.maxCheckpoints) * (1 + 8 * window + 8 + 3) }
}

extension TopicMemory {
    func write(to writer: inout ByteWriter) {
        writer.append(sentences)
        writer.append(UInt8(endPending ? 1 : 0))
        writer.append(numberHash)
        writer.append(numberLength)
        writer.append(UInt32(openTerms.count))
        for term in openTerms { writer.append(term) }
        for count in rowSentences { writer.append(count) }
        codes.withUnsafeBytes { writer.append(bytes: $0) }
        for slot in slots {
            writer.append(slot.sentence)
            writer.append(slot.token)
            writer.append(slot.length)
            Self.write(slot.context, to: &writer)
            for index in 0..<Self.maxCheckpoints {
                // A slot's checkpoints follow from its length; unused ones are written empty, so
                // every slot takes the same bytes.
                if index < slot.checkpoints.count {
                    Self.write(slot.checkpoints[index], to: &writer)
                } else {
                    Self.write(ContextWindow(capacity: slot.context.capacity, followsWords: slot.context.followsWords), to: &writer)
                }
            }
        }
    }

    static func write(_ context: ContextWindow, to writer: inout ByteWriter) {
        writer.append(UInt8(context.count))
        for index in 0..<context.capacity { writer.append(index < context.count ? context.hashes[index] : 0) }
        writer.append(context.word.anchor)
        writer.append(context.word.length)
        writer.append(context.word.anchorLength)
        writer.append(UInt8(context.word.hasDigit ? 1 : 0))
    }

    static func readContext(from reader: inout ByteReader, configuration: MoMConfiguration) throws -> ContextWindow {
        let window = configuration.window
        let count = Int(try reader.read(UInt8.self))
        guard count <= window else { throw MoMError(.corruptState, "state topic memory holds a context longer than the window") }
        var hashes: [UInt64] = []
        for position in 0..<window {
            let hash = try reader.read(UInt64.self)
            if position < count { hashes.append(hash) }
        }
        var word = ContextWindow.Word()
        word.anchor = try reader.read(UInt64.self)
        word.length = try reader.read(UInt8.self)
        word.anchorLength = try reader.read(UInt8.self)
        let digit = try reader.read(UInt8.self)
        guard digit <= 1, word.length <= ContextWindow.Word.lengthLimit, Int(word.anchorLength) <= ContextWindow.Word.anchorTokens else {
            throw MoMError(.corruptState, "state topic memory holds an impossible word in a sentence slot")
        }
        word.hasDigit = digit == 1
        return ContextWindow(capacity: window, hashes: hashes, followsWords: ContextWindow.followsWords(configuration), word: word)
    }

    static func read(from reader: inout ByteReader, configuration: MoMConfiguration) throws -> TopicMemory {
        func corrupt(_ what: String) -> MoMError { MoMError(.corruptState, "state topic memory \(what)") }
        var memory = TopicMemory(configuration: configuration)
        memory.sentences = try reader.read(UInt64.self)
        let pending = try reader.read(UInt8.self)
        guard pending <= 1 else { throw corrupt("holds an impossible sentence end") }
        memory.endPending = pending == 1
        memory.numberHash = try reader.read(UInt64.self)
        memory.numberLength = try reader.read(UInt8.self)
        let termCount = Int(try reader.read(UInt32.self))
        guard termCount <= maxTermsPerSentence else { throw corrupt("holds \(termCount) open terms") }
        memory.openTerms = try (0..<termCount).map { _ in try reader.read(UInt64.self) }
        for row in 0..<memory.rows { memory.rowSentences[row] = try reader.read(UInt32.self) }
        guard let codes = try reader.readCodes(count: memory.rows * memory.width) else { throw corrupt("holds a code outside −127…127") }
        memory.codes = codes
        if memory.sentences > 0 { memory.openSigns = memory.signs(of: memory.sentences - 1) }
        for index in 0..<memory.slotCount {
            let sentence = try reader.read(UInt64.self)
            let token = try reader.read(UInt64.self)
            let length = try reader.read(UInt16.self)
            guard length <= maxSentenceTokens else { throw corrupt("holds an impossible sentence slot") }
            let context = try readContext(from: &reader, configuration: configuration)
            var checkpoints: [ContextWindow] = []
            let used = length > 0 ? Int((length - 1) / checkpointTokens) : 0
            for index in 0..<maxCheckpoints {
                let checkpoint = try readContext(from: &reader, configuration: configuration)
                if index < used { checkpoints.append(checkpoint) }
            }
            memory.slots[index] = SentenceSlot(sentence: sentence, token: token, length: length, context: context, checkpoints: checkpoints)
        }
        return memory
    }
}

// MARK: - Terms

/// What the topic memory keys sentences by: content words, lightly stemmed, and whole numbers.
public enum TopicTerms {
    /// The term of a token's case-folded form, or nil for a function word, a single letter or
    /// punctuation.
    static func term(_ folded: UnsafeBufferPointer<UInt8>, seed: UInt64) -> UInt64? {
        guard folded.count >= 2, let first = folded.first else { return nil }
        let isASCIILetter = (0x61...0x7A).contains(first) || (0x41...0x5A).contains(first)
        if !isASCIILetter && first < 0x80 { return nil }
        if isASCIILetter && !folded.allSatisfy({ (0x61...0x7A).contains($0) || (0x41...0x5A).contains($0) }) { return nil }
        // A single non-ASCII scalar (a dash, a curly quote) is no word.
        if !isASCIILetter && String(decoding: folded, as: UTF8.self).unicodeScalars.count < 2 { return nil }
        if isASCIILetter && stopwords.contains(StopwordKey(folded)) { return nil }
        let stem = stemLength(folded)
        return StableHash.hash(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(folded)[0..<stem]), seed: seed)
    }

    /// The term of a word as a question writes it (folded as the tokenizer folds); a word of
    /// digits is one number term.
    static func term(of word: String, seed: UInt64) -> UInt64? {
        let folded = Array(word.lowercased().utf8)
        guard !folded.isEmpty else { return nil }
        if folded.allSatisfy({ (0x30...0x39).contains($0) }) {
            var hash = seed
            for digit in folded { hash = StableHash.combine(hash, UInt64(digit)) }
            return StableHash.combine(hash, UInt64(min(folded.count, 255)))
        }
        return folded.withUnsafeBufferPointer { term($0, seed: seed) }
    }

    /// A lower-cased word as the topic memory keys it: without its plural ending.
    public static func stem(_ word: String) -> String {
        let bytes = Array(word.lowercased().utf8)
        guard bytes.allSatisfy({ (0x61...0x7A).contains($0) }) else { return word.lowercased() }
        let length = bytes.withUnsafeBufferPointer { stemLength($0) }
        return String(decoding: bytes[0..<length], as: UTF8.self)
    }

    /// Whether a word (lower-cased) is one of the function words the topic memory skips.
    public static func isFunctionWord(_ word: String) -> Bool {
        let bytes = Array(word.utf8)
        return bytes.withUnsafeBufferPointer { stopwords.contains(StopwordKey($0)) }
    }

    /// The length of a folded ASCII word without its plural ending: "-ies" → "-y" is left at
    /// "-i" (both sides stem alike), "-sses"/"-xes"/"-ches"/"-shes" lose "es", other "-s" (not
    /// "-ss", "-us", "-is") lose "s".
    static func stemLength(_ word: UnsafeBufferPointer<UInt8>) -> Int {
        let count = word.count
        guard count > 3, word[count - 1] == 0x73 else { return count }  // "s"
        let before = word[count - 2]
        if before == 0x73 || before == 0x75 || before == 0x69 && count <= 4 { return count }  // -ss, -us, "this"
        if before == 0x65 && count > 4 {  // -es
            let third = word[count - 3]
            if third == 0x69 { return count - 2 }  // -ies → -i
            if third == 0x73 || third == 0x78 || third == 0x7A || (third == 0x68 && (word[count - 4] == 0x63 || word[count - 4] == 0x73)) {
                return count - 2
            }
        }
        return count - 1
    }

    /// A function word's bytes packed into two words (every listed word is at most 16 letters).
    struct StopwordKey: Hashable {
        var high: UInt64 = 0
        var low: UInt64 = 0

        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            guard bytes.count <= 16 else {
                high = .max
                low = .max
                return
            }
            for (index, byte) in bytes.enumerated() {
                if index < 8 { high |= UInt64(byte) << UInt64(index * 8) } else { low |= UInt64(byte) << UInt64((index - 8) * 8) }
            }
        }
    }

    /// English function words: articles, pronouns, prepositions, conjunctions, auxiliaries,
    /// question words and the commonest verbs of asking. Part of what a topic state is, so
    /// changing the list changes the configuration's meaning: it never changes once shipped.
    static let functionWords: [String] = [
        "a", "about", "above", "after", "again", "against", "all", "also", "am", "among", "an", "and", "any", "are", "as",
        "at", "be", "became", "because", "become", "been", "before", "being", "below", "between", "both", "but", "by",
        "can", "could", "did", "do", "does", "doing", "done", "down", "during", "each", "either", "else", "ever", "every",
        "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him",
        "himself", "his", "how", "however", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "least",
        "less", "many", "may", "me", "might", "more", "most", "much", "must", "my", "myself", "name", "named", "neither",
        "no", "nor", "not", "now", "of", "off", "often", "on", "once", "one", "only", "or", "other", "others", "our",
        "ours", "ourselves", "out", "over", "own", "per", "same", "several", "shall", "she", "should", "since", "so",
        "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they",
        "this", "those", "though", "through", "thus", "to", "too", "under", "until", "up", "upon", "us", "used", "very",
        "was", "we", "were", "what", "whatever", "when", "where", "whereas", "whether", "which", "while", "who", "whom",
        "whose", "why", "will", "with", "within", "without", "would", "yet", "you", "your", "yours", "yourself",
        "called", "kind", "type", "term", "word", "considered", "known", "call",
    ]

    static let stopwords: Set<StopwordKey> = Set(functionWords.map { word in
        Array(word.utf8).withUnsafeBufferPointer { StopwordKey($0) }
    })
}
