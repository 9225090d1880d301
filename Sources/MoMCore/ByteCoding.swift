#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Appends little-endian fields to a growing byte buffer.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    public mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func append(bytes other: some Collection<UInt8>) { bytes.append(contentsOf: other) }

    /// A length-prefixed (UInt32) byte string.
    public mutating func appendBlob(_ other: [UInt8]) {
        append(UInt32(other.count))
        bytes.append(contentsOf: other)
    }

    /// Float32 values as four byte planes (all first bytes, then all second bytes, ...), which
    /// lets LZ4 find the runs that sign and exponent bytes form.
    public mutating func appendShuffled(_ values: [Float]) {
        let count = values.count
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: count * 4))
        bytes.withUnsafeMutableBufferPointer { out in
            values.withUnsafeBufferPointer { source in
                for index in 0..<count {
                    let bits = source[index].bitPattern
                    out[start + index] = UInt8(truncatingIfNeeded: bits)
                    out[start + count + index] = UInt8(truncatingIfNeeded: bits >> 8)
                    out[start + 2 * count + index] = UInt8(truncatingIfNeeded: bits >> 16)
                    out[start + 3 * count + index] = UInt8(truncatingIfNeeded: bits >> 24)
                }
            }
        }
    }
}

/// Reads little-endian fields with bounds checks; running past the end throws, never traps.
public struct ByteReader {
    let bytes: [UInt8]
    public private(set) var offset: Int
    let end: Int

    public init(_ bytes: [UInt8], end: Int? = nil) {
        self.bytes = bytes
        self.offset = 0
        self.end = end ?? bytes.count
    }

    public var remaining: Int { end - offset }

    func truncated(_ what: String) -> MoMError {
        MoMError(.corruptState, "state is truncated: \(what) runs past the end (\(remaining) bytes left at offset \(offset))")
    }

    public mutating func read<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw truncated("a \(size)-byte field") }
        let value = bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        offset += size
        return value
    }

    public mutating func readBytes(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, remaining >= count else { throw truncated("a \(count)-byte field") }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// Hands the next `count` bytes to `body` and moves past them.
    public mutating func withBytes<R>(_ count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard count >= 0, remaining >= count else { throw truncated("a \(count)-byte field") }
        let start = offset
        offset += count
        return try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<(start + count)])) }
    }

    public mutating func readBlob(limit: Int) throws -> [UInt8] {
        let count = Int(try read(UInt32.self))
        guard count <= limit else { throw MoMError(.corruptState, "state holds a \(count)-byte field where at most \(limit) fit") }
        return Array(try readBytes(count))
    }

    /// Reads `count` int8 codes stored as they are; returns nil when one is −128, which no write
    /// produces (codes are clamped to ±127).
    public mutating func readCodes(count: Int) throws -> [Int8]? {
        guard count >= 0, remaining >= count else { throw truncated("\(count) int8 codes") }
        let start = offset
        offset += count
        var inRange = true
        let codes = [Int8](unsafeUninitializedCapacity: count) { out, initialized in
            bytes.withUnsafeBytes { source in
                let from = UnsafeRawBufferPointer(rebasing: source[start..<(start + count)])
                UnsafeMutableRawBufferPointer(out).copyMemory(from: from)
                inRange = !Self.holdsCodeOutOfRange(from)
            }
            initialized = count
        }
        return inRange ? codes : nil
    }

    /// Whether int8 codes hold −128 (byte 0x80), the one code outside −127…127. memchr scans a
    /// 4 MiB state in a fraction of the time a byte-by-byte loop takes.
    public static func holdsCodeOutOfRange(_ codes: UnsafeRawBufferPointer) -> Bool {
        guard let base = codes.baseAddress, !codes.isEmpty else { return false }
        return memchr(base, 0x80, codes.count) != nil
    }

    /// Reads `count` Float32 values stored as byte planes by `ByteWriter.appendShuffled`.
    public mutating func readShuffled(count: Int) throws -> [Float] {
        guard count >= 0, remaining / 4 >= count else { throw truncated("a plane of \(count) floats") }
        let start = offset
        offset += count * 4
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            bytes.withUnsafeBufferPointer { source in
                for index in 0..<count {
                    let b0 = UInt32(source[start + index])
                    let b1 = UInt32(source[start + count + index]) << 8
                    let b2 = UInt32(source[start + 2 * count + index]) << 16
                    let b3 = UInt32(source[start + 3 * count + index]) << 24
                    out[index] = Float(bitPattern: b0 | b1 | b2 | b3)
                }
            }
            initialized = count
        }
    }
}
