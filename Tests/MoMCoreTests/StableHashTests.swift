import Testing
@testable import MoMCore

/// The hash reaches every state byte, so its values are part of the on-disk format: they are
/// pinned here as literals, computed once with the implementation and checked against an
/// independent Python transcription of schemas/hash.md.
@Suite struct StableHashTests {
    @Test(arguments: [
        ("", 0x4EB5_C394_ABE3_1721 as UInt64),
        ("a", 0x619A_BC5E_531E_ECC0),
        ("momd", 0x7F43_A5A3_265B_68F0),
        ("abcdefgh", 0x604B_DEB2_4293_C1C3),  // exactly one 8-byte word
        ("hello, world!", 0x182E_2E11_3395_ADFB),  // one word and a zero-padded 5-byte tail
    ])
    func goldenValuesWithTheDefaultSeed(input: String, expected: UInt64) {
        #expect(StableHash.hash(input) == expected)
        #expect(StableHash.hash(Array(input.utf8)) == expected)
        #expect(Array(input.utf8).withUnsafeBytes { StableHash.hash($0) } == expected)
    }

    @Test func byteCountsOfTheGoldenInputs() {
        #expect("abcdefgh".utf8.count == 8)
        #expect("hello, world!".utf8.count == 13)
    }

    @Test func goldenValuesWithOtherSeeds() {
        #expect(StableHash.hash("momd", seed: 42) == 0x5617_3E1E_5722_0C9F)
        // mix64(0) = 0 and an empty input never combines a word, so seed 0 hashes "" to 0.
        #expect(StableHash.hash("", seed: 0) == 0)
        #expect(StableHash.defaultSeed == 0x6D6F_6D64_5F68_6173)
    }

    @Test func seedAndLengthChangeTheHash() {
        #expect(StableHash.hash("momd", seed: 1) != StableHash.hash("momd", seed: 2))
        // Trailing zero bytes pad the last word, so only the length term tells these apart.
        #expect(StableHash.hash([0x61]) != StableHash.hash([0x61, 0x00]))
        #expect(StableHash.hash([UInt8](repeating: 0, count: 8)) != StableHash.hash([UInt8](repeating: 0, count: 16)))
    }

    @Test func mix64Golden() {
        #expect(StableHash.mix64(0) == 0)
        #expect(StableHash.mix64(1) == 0x5692_161D_100B_05E5)
        #expect(StableHash.mix64(0xDEAD_BEEF) == 0x4E06_2702_EC92_9EEA)
        #expect(StableHash.mix64(0x9E37_79B9_7F4A_7C15) == 0xE220_A839_7B1D_CDAF)
    }

    @Test func splitMix64SeedZeroGivesTheStandardSequence() {
        // The reference SplitMix64 (Vigna, splitmix64.c) seeded with 0.
        var generator = SplitMix64(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(generator.next() == 0x06C4_5D18_8009_454F)
        #expect(generator.next() == 0xF88B_B8A8_724C_81EC)
    }

    @Test func hexDigestIsSixteenLowercaseDigits() {
        #expect(StableHash.hexDigest(Array("momd".utf8)) == "7f43a5a3265b68f0")
        // A value with leading zero nibbles keeps them.
        #expect(StableHash.hexDigest([], seed: 0) == "0000000000000000")
    }

    /// Lengths 0…40 give every tail length and one to five whole words before it.
    @Test(arguments: Array(0...40) + [4093, 4096])
    func aSealIsTheTwoHashesItStandsFor(length: Int) {
        var generator = SplitMix64(seed: UInt64(length))
        let body = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let (inner, sealed) = body.withUnsafeBytes { StableHash.seal($0, innerSeed: 0x6368_6563_6B73_756D) }
        #expect(inner == StableHash.hash(body, seed: 0x6368_6563_6B73_756D))
        var whole = body
        withUnsafeBytes(of: inner.littleEndian) { whole.append(contentsOf: $0) }
        #expect(sealed == StableHash.hash(whole))
        #expect(StableHash.hex(sealed) == StableHash.hexDigest(whole))
    }

    @Test func combineIsThePinnedStep() {
        let expected = (0x1234 ^ StableHash.mix64(0x5678)).rotatedLeft(by: 29) &* 0xBF58_476D_1CE4_E5B9 &+ 0x94D0_49BB_1331_11EB
        #expect(StableHash.combine(0x1234, 0x5678) == expected)
        #expect(UInt64(0x8000_0000_0000_0001).rotatedLeft(by: 29) == 0x3000_0000)
    }
}
