/// A documented, seed-stable 64-bit hash: the same bytes and seed give the same value on every
/// machine and in every process.
///
/// Swift's `Hasher` is seeded per process, so nothing that reaches the state may use it. This hash
/// is specified in `schemas/hash.md`:
///
/// 1. `h = seed ^ (length &* 0x9E3779B97F4A7C15)`.
/// 2. For each 8-byte little-endian word `w` of the input (the last one zero-padded):
///    `h = rotl(h ^ mix64(w), 29) &* 0xBF58476D1CE4E5B9 &+ 0x94D049BB133111EB`.
/// 3. The result is `mix64(h)`.
///
/// `mix64` is the finaliser of SplitMix64 (Steele, Lea, Flood 2014):
/// `x ^= x >> 30; x &*= 0xBF58476D1CE4E5B9; x ^= x >> 27; x &*= 0x94D049BB133111EB; x ^= x >> 31`.
public enum StableHash {
    /// The seed of every hash in momd that the configuration does not re-seed.
    public static let defaultSeed: UInt64 = 0x6D6F_6D64_5F68_6173  // "momd_has"

    /// The SplitMix64 finaliser: a bijective 64-bit mixer.
    @inlinable
    public static func mix64(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 30
        x &*= 0xBF58_476D_1CE4_E5B9  // wrapping: modular arithmetic is the point of a mixer
        x ^= x >> 27
        x &*= 0x94D0_49BB_1331_11EB
        x ^= x >> 31
        return x
    }

    /// Combines an accumulated hash with one more 64-bit word (step 2 above).
    @inlinable
    public static func combine(_ hash: UInt64, _ word: UInt64) -> UInt64 {
        combine(hash, mixed: mix64(word))
    }

    /// Hashes raw bytes.
    @inlinable
    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = defaultSeed) -> UInt64 {
        let count = bytes.count
        var h = seed ^ (UInt64(truncatingIfNeeded: count) &* 0x9E37_79B9_7F4A_7C15)
        var offset = 0
        while offset + 8 <= count {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            h = combine(h, word)
            offset += 8
        }
        if offset < count { h = combine(h, word(bytes, from: offset)) }
        return mix64(h)
    }

    /// Seals `body`: its hash with `innerSeed` (the checksum a state's encoding ends in) and the
    /// hash with `seed` of `body` followed by that checksum's 8 little-endian bytes (the digest of
    /// the whole encoding), in one pass over the words both share. The same values as
    /// `hash(body, seed: innerSeed)` and `hash(body + checksum bytes, seed: seed)`; the two chains
    /// are independent, so they run side by side in about the time of one.
    public static func seal(_ body: UnsafeRawBufferPointer, innerSeed: UInt64, seed: UInt64 = defaultSeed) -> (inner: UInt64, sealed: UInt64) {
        let count = body.count
        var inner = innerSeed ^ (UInt64(truncatingIfNeeded: count) &* 0x9E37_79B9_7F4A_7C15)
        var sealed = seed ^ (UInt64(truncatingIfNeeded: count + 8) &* 0x9E37_79B9_7F4A_7C15)
        let whole = count & ~7
        var offset = 0
        while offset < whole {
            let mixed = mix64(UInt64(littleEndian: body.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            inner = combine(inner, mixed: mixed)
            sealed = combine(sealed, mixed: mixed)
            offset += 8
        }
        // The tail (under 8 bytes) ends the inner hash zero-padded; the sealed hash reads it
        // followed by the inner hash's bytes, as one or two more words.
        var rest = [UInt8](body[whole...])
        if !rest.isEmpty { inner = rest.withUnsafeBytes { combine(inner, word($0, from: 0)) } }
        let checksum = mix64(inner)
        withUnsafeBytes(of: checksum.littleEndian) { rest.append(contentsOf: $0) }
        rest.withUnsafeBytes { rest in
            for position in stride(from: 0, to: rest.count, by: 8) { sealed = combine(sealed, word(rest, from: position)) }
        }
        return (checksum, mix64(sealed))
    }

    /// Step 2 for a word already mixed.
    @inlinable
    static func combine(_ hash: UInt64, mixed: UInt64) -> UInt64 {
        (hash ^ mixed).rotatedLeft(by: 29) &* 0xBF58_476D_1CE4_E5B9 &+ 0x94D0_49BB_1331_11EB  // wrapping by design
    }

    /// Up to 8 bytes of `bytes` from `start` as a little-endian word, zero-padded: step 2's last
    /// word.
    @inlinable
    static func word(_ bytes: UnsafeRawBufferPointer, from start: Int) -> UInt64 {
        var word: UInt64 = 0
        var shift: UInt64 = 0
        for offset in start..<Swift.min(start + 8, bytes.count) {
            word |= UInt64(bytes[offset]) << shift
            shift += 8
        }
        return word
    }

    /// Hashes a byte array.
    @inlinable
    public static func hash(_ bytes: [UInt8], seed: UInt64 = defaultSeed) -> UInt64 {
        bytes.withUnsafeBytes { hash($0, seed: seed) }
    }

    /// Hashes the UTF-8 bytes of a string.
    @inlinable
    public static func hash(_ string: String, seed: UInt64 = defaultSeed) -> UInt64 {
        var copy = string
        return copy.withUTF8 { hash(UnsafeRawBufferPointer($0), seed: seed) }
    }

    /// The digest of a byte buffer as 16 lowercase hex digits.
    public static func hexDigest(_ bytes: [UInt8], seed: UInt64 = defaultSeed) -> String {
        hex(hash(bytes, seed: seed))
    }

    /// A hash as 16 lowercase hex digits.
    public static func hex(_ value: UInt64) -> String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// SplitMix64: the small seeded generator behind every fixed pseudo-random array in momd.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    @usableFromInline var _state: UInt64

    public init(seed: UInt64) { _state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        _state &+= 0x9E37_79B9_7F4A_7C15  // wrapping: the Weyl sequence of SplitMix64
        return StableHash.mix64(_state)
    }

    /// Fills `bytes` with the stream's draws as little-endian bytes, in order (the last draw in
    /// part): bit j of the buffer is bit j mod 64 of draw j / 64.
    @inlinable
    public mutating func fill(_ bytes: UnsafeMutableRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let draw = next().littleEndian
            let count = Swift.min(8, bytes.count - offset)
            withUnsafeBytes(of: draw) { bytes.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: count) }
            offset += count
        }
    }
}

extension UInt64 {
    @inlinable
    func rotatedLeft(by amount: UInt64) -> UInt64 {
        (self << amount) | (self >> (64 - amount))
    }
}
