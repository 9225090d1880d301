import CKernels

/// The surface forms a document has seen, in first-seen order: the candidates a read decodes to.
///
/// An entry is a surface form with its spacing (whether whitespace stood before it), so an answer
/// comes back spaced as it was written. It grows with the document's distinct forms, not its
/// length; past `limit` entries new forms are still folded but no longer decodable.
public struct Vocabulary: Sendable, Equatable {
    /// Entries past which new forms are not added.
    public static let limit = 1 << 22

    /// Surface bytes of all entries back to back; entry e is `bytes[offsets[e]..<offsets[e + 1]]`.
    @usableFromInline var _bytes: [UInt8] = []
    @usableFromInline var _offsets: [UInt32] = [0]
    @usableFromInline var _leadingSpace: [Bool] = []
    @usableFromInline var _foldedHashes: [UInt64] = []
    @usableFromInline var _valueHashes: [UInt64] = []
    /// valueHash → entry. Rebuilt on decode, never encoded.
    @usableFromInline var _index = VocabularyIndex()

    public init() {}

    public static func == (lhs: Vocabulary, rhs: Vocabulary) -> Bool {
        lhs._bytes == rhs._bytes && lhs._offsets == rhs._offsets && lhs._leadingSpace == rhs._leadingSpace
            && lhs._foldedHashes == rhs._foldedHashes && lhs._valueHashes == rhs._valueHashes
    }

    public var count: Int { _leadingSpace.count }

    /// Bytes this vocabulary takes in an encoded state.
    public var encodedByteCount: Int { _bytes.count + count * (4 + 1 + 8) }

    /// Adds a form if it is new and there is room.
    @inlinable
    public mutating func intern(
        valueHash: UInt64, surface: UnsafeBufferPointer<UInt8>, leadingSpace: Bool, foldedHash: UInt64
    ) {
        guard count < Self.limit, _index.insert(valueHash, entry: count, hashes: _valueHashes) else { return }
        _bytes.append(contentsOf: surface)
        _offsets.append(UInt32(_bytes.count))
        _leadingSpace.append(leadingSpace)
        _foldedHashes.append(foldedHash)
        _valueHashes.append(valueHash)
    }

    /// Asks the cache for the index slot `intern(valueHash:…)` will read first.
    func prefetchSlot(valueHash: UInt64) { _index.prefetchSlot(valueHash) }

    /// Asks the cache for the value hash of the entry that slot holds, once the slot is in: the
    /// lookup then misses neither.
    func prefetchEntry(valueHash: UInt64) { _index.prefetchEntry(valueHash, hashes: _valueHashes) }

    public func surface(_ entry: Int) -> String {
        String(decoding: _bytes[Int(_offsets[entry])..<Int(_offsets[entry + 1])], as: UTF8.self)
    }

    public func hasLeadingSpace(_ entry: Int) -> Bool { _leadingSpace[entry] }
    /// Whether the entry is one decimal digit (`ContextWindow.isDigit`; a digit folds to itself).
    public func isDigit(_ entry: Int) -> Bool {
        _bytes.withUnsafeBufferPointer {
            ContextWindow.isDigit(UnsafeBufferPointer(rebasing: $0[Int(_offsets[entry])..<Int(_offsets[entry + 1])]))
        }
    }
    public func foldedHash(_ entry: Int) -> UInt64 { _foldedHashes[entry] }
    public func valueHash(_ entry: Int) -> UInt64 { _valueHashes[entry] }

    /// The entry of a form, if the document has seen it.
    public func entry(valueHash: UInt64) -> Int? { _index.entry(of: valueHash, hashes: _valueHashes) }
}

// MARK: Codec

extension Vocabulary {
    func write(to writer: inout ByteWriter) {
        writer.append(UInt32(count))
        for entry in 0..<count {
            writer.append(_offsets[entry + 1] - _offsets[entry])
            writer.append(UInt8(_leadingSpace[entry] ? 1 : 0))
            writer.append(_foldedHashes[entry])
        }
        writer.appendBlob(_bytes)
    }

    static func read(from reader: inout ByteReader, featurizer: Featurizer) throws -> Vocabulary {
        let count = Int(try reader.read(UInt32.self))
        guard count <= limit, count <= reader.remaining / 13 else {
            throw MoMError(.corruptState, "state claims \(count) vocabulary entries, more than it holds")
        }
        var vocabulary = Vocabulary()
        // Entries of 13 bytes each (length u32, leading space u8, folded hash u64), parsed in one
        // pass over the bytes checked once.
        let entryBytes = 13
        var longest: UInt32 = 0
        var total: UInt64 = 0
        try reader.withBytes(count * entryBytes) { table in
            vocabulary._offsets = [UInt32](unsafeUninitializedCapacity: count + 1) { offsets, initialized in
                offsets[0] = 0
                for entry in 0..<count {
                    let length = UInt32(littleEndian: table.loadUnaligned(fromByteOffset: entry * entryBytes, as: UInt32.self))
                    longest = max(longest, length)
                    total += UInt64(length)  // at most 2^22 lengths of 2^32: no overflow
                    offsets[entry + 1] = UInt32(truncatingIfNeeded: total)
                }
                initialized = count + 1
            }
            vocabulary._leadingSpace = (0..<count).map { table[$0 * entryBytes + 4] != 0 }
            vocabulary._foldedHashes = [UInt64](unsafeUninitializedCapacity: count) { hashes, initialized in
                for entry in 0..<count {
                    hashes[entry] = UInt64(littleEndian: table.loadUnaligned(fromByteOffset: entry * entryBytes + 5, as: UInt64.self))
                }
                initialized = count
            }
        }
        guard longest <= 4096 else { throw MoMError(.corruptState, "state holds a \(longest)-byte vocabulary entry") }
        guard total <= UInt64(reader.remaining) else {
            throw MoMError(.corruptState, "state vocabulary entries claim \(total) bytes, more than it holds")
        }
        vocabulary._bytes = try reader.readBlob(limit: Int(total))
        guard vocabulary._bytes.count == Int(total) else {
            throw MoMError(.corruptState, "state vocabulary bytes do not match their lengths")
        }
        vocabulary._valueHashes.reserveCapacity(count)
        vocabulary._index = VocabularyIndex(capacity: count)
        try vocabulary._bytes.withUnsafeBufferPointer { bytes in
            for entry in 0..<count {
                let start = Int(vocabulary._offsets[entry])
                let end = Int(vocabulary._offsets[entry + 1])
                let hash = featurizer.valueHash(
                    UnsafeBufferPointer(rebasing: bytes[start..<end]), leadingSpace: vocabulary._leadingSpace[entry])
                guard vocabulary._index.insert(hash, entry: entry, hashes: vocabulary._valueHashes) else {
                    throw MoMError(.corruptState, "state vocabulary holds a form twice")
                }
                vocabulary._valueHashes.append(hash)
            }
        }
        return vocabulary
    }
}

/// valueHash → vocabulary entry: open addressing with linear probing over a power-of-two table
/// of entry numbers, kept at most half full. A slot holds entry + 1 (0 is empty); the entry's
/// value hash, kept by the vocabulary, is what a probe compares.
///
/// Value hashes are well mixed already, but they are a public function of the text, so the slot
/// comes from the hash mixed with a seed drawn once per process: text made to collide in the
/// table's bits would need that seed (the protection Swift's own Dictionary has). The table is
/// never encoded and its order never read, so the seed changes nothing a state holds.
@usableFromInline
struct VocabularyIndex: Sendable {
    @usableFromInline var slots: [Int32]
    @usableFromInline var mask: Int
    @usableFromInline var count = 0

    @usableFromInline static let seed = UInt64.random(in: .min ... .max)

    @usableFromInline
    init(capacity: Int = 0) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: 0, count: size)
        mask = size - 1
    }

    @inlinable
    static func slot(of hash: UInt64, mask: Int) -> Int { Int(truncatingIfNeeded: StableHash.mix64(hash ^ seed)) & mask }

    /// The entry whose value hash is `hash`, if any.
    @inlinable
    func entry(of hash: UInt64, hashes: [UInt64]) -> Int? {
        var slot = Self.slot(of: hash, mask: mask)
        while true {
            let held = Int(slots[slot])
            if held == 0 { return nil }
            if hashes[held - 1] == hash { return held - 1 }
            slot = (slot + 1) & mask
        }
    }

    /// Asks the cache for the slot a lookup of `hash` starts at (a hint: nothing is changed).
    func prefetchSlot(_ hash: UInt64) {
        slots.withUnsafeBufferPointer { momd_prefetch($0.baseAddress! + Self.slot(of: hash, mask: mask)) }
    }

    /// Asks the cache for the value hash of the entry in the slot `hash` starts at, if any.
    func prefetchEntry(_ hash: UInt64, hashes: [UInt64]) {
        let held = Int(slots[Self.slot(of: hash, mask: mask)])
        if held != 0 { hashes.withUnsafeBufferPointer { momd_prefetch($0.baseAddress! + (held - 1)) } }
    }

    /// Adds `entry` under `hash` unless the hash is there already; returns whether it was added.
    /// `hashes` holds the value hashes of the entries already added (not yet `entry`'s).
    @inlinable
    mutating func insert(_ hash: UInt64, entry: Int, hashes: [UInt64]) -> Bool {
        var slot = Self.slot(of: hash, mask: mask)
        while true {
            let held = Int(slots[slot])
            if held == 0 { break }
            if hashes[held - 1] == hash { return false }
            slot = (slot + 1) & mask
        }
        if (count + 1) * 2 > slots.count {
            grow(hashes: hashes)
            return insert(hash, entry: entry, hashes: hashes)
        }
        slots[slot] = Int32(entry + 1)
        count += 1
        return true
    }

    /// Doubles the table and puts every entry back.
    @usableFromInline
    mutating func grow(hashes: [UInt64]) {
        var larger = VocabularyIndex(capacity: slots.count)
        for held in slots where held != 0 {
            var slot = Self.slot(of: hashes[Int(held) - 1], mask: larger.mask)
            while larger.slots[slot] != 0 { slot = (slot + 1) & larger.mask }
            larger.slots[slot] = held
        }
        larger.count = count
        self = larger
    }
}
