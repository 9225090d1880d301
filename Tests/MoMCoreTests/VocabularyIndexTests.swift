import Testing

@testable import MoMCore

/// The vocabulary's value-hash index: every entry found, absent hashes not, duplicates refused,
/// through growth and through hashes that agree in their low bits.
@Suite struct VocabularyIndexTests {
    func check(_ hashes: [UInt64]) {
        var index = VocabularyIndex()
        var added: [UInt64] = []
        for hash in hashes {
            let inserted = index.insert(hash, entry: added.count, hashes: added)
            #expect(inserted)
            added.append(hash)
        }
        #expect(index.count == hashes.count)
        #expect(index.slots.count >= 2 * hashes.count)
        for (entry, hash) in hashes.enumerated() {
            #expect(index.entry(of: hash, hashes: added) == entry)
            let again = index.insert(hash, entry: added.count, hashes: added)
            #expect(!again)
        }
        #expect(index.count == hashes.count)
        for absent in [UInt64(0x5EED), .max, 1 << 63] where !hashes.contains(absent) {
            #expect(index.entry(of: absent, hashes: added) == nil)
        }
    }

    @Test func randomHashes() {
        var generator = SplitMix64(seed: 9)
        check((0..<5000).map { _ in generator.next() })
    }

    @Test func hashesThatShareTheirLowBits() {
        // Equal in the low 32 bits: without the per-process seed's mixing they would all probe
        // one run of slots.
        check((0..<3000).map { UInt64($0) << 32 | 0xABCD })
    }

    @Test func aVocabularyFindsItsFormsAfterDecoding() throws {
        var state = try MoMState(configuration: .small)
        state.fold("the cat sat on the mat, and the dog sat on the log. ")
        let decoded = try MoMState(decoding: state.encoded())
        #expect(decoded.vocabulary == state.vocabulary)
        for entry in 0..<state.vocabulary.count {
            #expect(decoded.vocabulary.entry(valueHash: state.vocabulary.valueHash(entry)) == entry)
        }
        // the (first, no space before it), the, cat, sat, on, mat, ",", and, dog, log, "."
        #expect(decoded.vocabulary.count == 11)
    }
}
