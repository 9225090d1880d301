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
    @usableFromInline var _index: [UInt64: Int32] = [:]

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
        guard _index[valueHash] == nil, count < Self.limit else { return }
        _index[valueHash] = Int32(count)
        _bytes.append(contentsOf: surface)
        _offsets.append(UInt32(_bytes.count))
        _leadingSpace.append(leadingSpace)
        _foldedHashes.append(foldedHash)
        _valueHashes.append(valueHash)
    }

    public func surface(_ entry: Int) -> String {
        String(decoding: _bytes[Int(_offsets[entry])..<Int(_offsets[entry + 1])], as: UTF8.self)
    }

    public func hasLeadingSpace(_ entry: Int) -> Bool { _leadingSpace[entry] }
    public func foldedHash(_ entry: Int) -> UInt64 { _foldedHashes[entry] }
    public func valueHash(_ entry: Int) -> UInt64 { _valueHashes[entry] }

    /// The entry of a form, if the document has seen it.
    public func entry(valueHash: UInt64) -> Int? { _index[valueHash].map(Int.init) }
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
        vocabulary._offsets.reserveCapacity(count + 1)
        var total: UInt32 = 0
        for _ in 0..<count {
            let length = try reader.read(UInt32.self)
            guard length <= 4096 else { throw MoMError(.corruptState, "state holds a \(length)-byte vocabulary entry") }
            total += length
            vocabulary._offsets.append(total)
            vocabulary._leadingSpace.append(try reader.read(UInt8.self) != 0)
            vocabulary._foldedHashes.append(try reader.read(UInt64.self))
        }
        vocabulary._bytes = try reader.readBlob(limit: Int(total))
        guard vocabulary._bytes.count == Int(total) else {
            throw MoMError(.corruptState, "state vocabulary bytes do not match their lengths")
        }
        vocabulary._valueHashes.reserveCapacity(count)
        try vocabulary._bytes.withUnsafeBufferPointer { bytes in
            for entry in 0..<count {
                let start = Int(vocabulary._offsets[entry])
                let end = Int(vocabulary._offsets[entry + 1])
                let hash = featurizer.valueHash(
                    UnsafeBufferPointer(rebasing: bytes[start..<end]), leadingSpace: vocabulary._leadingSpace[entry])
                guard vocabulary._index.updateValue(Int32(entry), forKey: hash) == nil else {
                    throw MoMError(.corruptState, "state vocabulary holds a form twice")
                }
                vocabulary._valueHashes.append(hash)
            }
        }
        return vocabulary
    }
}
