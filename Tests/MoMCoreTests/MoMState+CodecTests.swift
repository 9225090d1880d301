import Testing
@testable import MoMCore

/// The state's byte form: a lossless round trip, and all-or-nothing refusal of damaged bytes.
@Suite struct MoMStateCodecTests {
    /// A small state with something in every part: memories, a lazy scale, an open routing
    /// chunk, a full context, a carry holding half a letter run and half a UTF-8 sequence.
    static func sampleState(_ configuration: MoMConfiguration = .tiny) throws -> MoMState {
        var state = try MoMState(configuration: configuration)
        state.fold("The pass key is 68048. Remember it, naïve Straße 東京 🐈! ")
        state.fold([0xFF, 0x20] + Array("opened wor".utf8) + [0xE2, 0x82])
        return state
    }

    private func expectFailure(_ bytes: [UInt8], _ code: MoMError.Code? = nil, _ comment: Comment? = nil) {
        do {
            _ = try MoMState(decoding: bytes)
            Issue.record("decoding succeeded: \(comment ?? "")")
        } catch let error as MoMError {
            if let code { #expect(error.code == code, comment) }
        } catch {
            Issue.record("not a MoMError: \(error)")
        }
    }

    private func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var body = Array(bytes.dropLast(8))
        let checksum = StableHash.hash(body, seed: MoMState.checksumSeed)
        withUnsafeBytes(of: checksum.littleEndian) { body.append(contentsOf: $0) }
        return body
    }

    @Test(arguments: [
        MoMConfiguration.tiny, .small, .tinyInt8, .smallInt8,
        MoMConfiguration(memories: 4, topK: 2, dk: 64, dv: 16, alpha: 0.9, sharedMemory: true, rowFormat: .float32),
        MoMConfiguration(memories: 4, topK: 2, dk: 64, dv: 16, alpha: 0.9, sharedMemory: true, rowFormat: .int8),
    ])
    func roundTripIsLossless(configuration: MoMConfiguration) throws {
        let state = try Self.sampleState(configuration)
        #expect(!state.isCarryEmpty)
        let bytes = state.encoded()
        let decoded = try MoMState(decoding: bytes, expecting: configuration)
        #expect(decoded.encoded() == bytes)
        #expect(decoded.digest == state.digest)
        // The digest hashed beside the checksum is the digest of the bytes, which end in it.
        let (sealed, digest) = state.encodedWithDigest()
        #expect(sealed == bytes)
        #expect(digest == StableHash.hexDigest(bytes))
        #expect(Array(bytes.suffix(8)) == withUnsafeBytes(of: StableHash.hash(Array(bytes.dropLast(8)), seed: MoMState.checksumSeed).littleEndian, Array.init))
        #expect(decoded.configuration == configuration)
        #expect(decoded.tokenCount == state.tokenCount)
        #expect(decoded.byteCount == state.byteCount)
        #expect(decoded.memoryLoad == state.memoryLoad)
        #expect(decoded.vocabulary == state.vocabulary)
        #expect(decoded.memoryBank == state.memoryBank)
        #expect(decoded.tokenizer == state.tokenizer)
        #expect(decoded.engine == state.engine)
        #expect(state.encodedByteCount >= bytes.count)
    }

    @Test func headerIsLaidOutAsDocumented() throws {
        let state = try Self.sampleState()
        let bytes = state.encoded()
        var reader = ByteReader(bytes)
        #expect(Array(try reader.readBytes(8)) == Array("MOMSTATE".utf8))
        #expect(try reader.read(UInt32.self) == 1)
        #expect(try reader.read(UInt64.self) == MoMConfiguration.tiny.fingerprint)
        #expect(try reader.read(UInt32.self) == 2)  // memories
        #expect(try reader.read(UInt32.self) == 16)  // dk
        #expect(try reader.read(UInt32.self) == 8)  // dv
        #expect(try reader.read(UInt8.self) == 1)  // dtype float32
        #expect(try reader.read(UInt8.self) == 1)  // layout
        #expect(try reader.read(UInt16.self) == 0)
        #expect(try reader.read(UInt64.self) == state.tokenCount)
        #expect(try reader.read(UInt64.self) == state.byteCount)
        #expect(reader.offset == MoMState.headerByteCount)
        let checksum = bytes.suffix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) }
        #expect(checksum == StableHash.hash(Array(bytes.dropLast(8)), seed: MoMState.checksumSeed))
    }

    @Test func int8RowsAreVersion2WithTheCodesInPlaceOfThePlanes() throws {
        let state = try Self.sampleState(.tinyInt8)
        let bytes = state.encoded()
        var reader = ByteReader(bytes)
        #expect(Array(try reader.readBytes(8)) == Array("MOMSTATE".utf8))
        #expect(try reader.read(UInt32.self) == 2)
        #expect(try reader.read(UInt64.self) == MoMConfiguration.tinyInt8.fingerprint)
        _ = try reader.readBytes(12)  // memories, dk, dv
        #expect(try reader.read(UInt8.self) == 2)  // dtype int8
        #expect(try reader.read(UInt8.self) == 1)  // layout
        _ = try reader.readBytes(2 + 16)
        _ = try reader.readBlob(limit: 1024)
        _ = try reader.readBytes(4 * 2)  // scales
        let codes = state.memoryBank.storedCodes
        #expect(codes.contains { $0 != 0 })
        #expect(Array(try reader.readBytes(codes.count)).map { Int8(bitPattern: $0) } == codes)
        #expect(state.encodedByteCount >= bytes.count)
    }

    @Test func aCodeOutsideTheClampIsRefused() throws {
        let state = try Self.sampleState(.tinyInt8)
        var bytes = state.encoded()
        var reader = ByteReader(bytes)
        _ = try reader.readBytes(MoMState.headerByteCount)
        _ = try reader.readBlob(limit: 1024)
        // −128 is never written: codes are clamped to ±127.
        bytes[reader.offset + 4 * state.configuration.memoryCount + 3] = 0x80
        expectFailure(resealed(bytes), .corruptState)
    }

    @Test func emptyStateRoundTrips() throws {
        let state = try MoMState(configuration: .small)
        let decoded = try MoMState(decoding: state.encoded(), expecting: .small)
        #expect(decoded.encoded() == state.encoded())
        #expect(decoded.tokenCount == 0)
    }

    @Test func everyTruncationFails() throws {
        let bytes = try Self.sampleState().encoded()
        for length in 0..<bytes.count {
            expectFailure(Array(bytes[..<length]), .corruptState, "truncated to \(length) of \(bytes.count) bytes")
        }
        expectFailure(bytes + [0], .corruptState, "one byte appended")
    }

    @Test func everyHeaderByteFlipFailsAndSoDoRandomOnes() throws {
        let bytes = try Self.sampleState().encoded()
        var generator = SplitMix64(seed: 40)
        // The header, the configuration after it, the checksum, and a few hundred anywhere.
        var positions = Array(0..<(MoMState.headerByteCount + 96)) + Array((bytes.count - 8)..<bytes.count)
        positions += (0..<400).map { _ in Int.random(in: 0..<bytes.count, using: &generator) }
        for position in positions {
            for mask in [UInt8(0x01), 0x80, UInt8.random(in: 1...255, using: &generator)] {
                var damaged = bytes
                damaged[position] ^= mask
                let versionByte = (8..<12).contains(position)
                expectFailure(damaged, versionByte ? .unsupportedStateVersion : .corruptState, "byte \(position) ^ \(mask)")
            }
        }
    }

    @Test func resealedDamageNeverCrashes() throws {
        // With the checksum recomputed, decoding meets the damage itself: it must refuse it with
        // a MoMError, or accept a state that is a fixed point of encode/decode and folds on
        // finitely — never trap.
        let bytes = try Self.sampleState().encoded()
        var generator = SplitMix64(seed: 41)
        var refused = 0
        for round in 0..<3000 {
            var damaged = bytes
            for _ in 0..<(round % 3 + 1) {
                let position = Int.random(in: 8..<(bytes.count - 8), using: &generator)
                damaged[position] = round % 5 == 0 ? 0xFF : UInt8.random(in: 0...255, using: &generator)
            }
            damaged = resealed(damaged)
            do {
                var state = try MoMState(decoding: damaged)
                let encoded = state.encoded()
                #expect(try MoMState(decoding: encoded).encoded() == encoded)
                state.fold("more text to fold, 12345 ")
                #expect(state.isFinite, "round \(round)")
            } catch is MoMError {
                refused += 1
            }
        }
        #expect(refused > 100)
    }

    @Test func wrongConfigurationIsAMismatch() throws {
        let bytes = try Self.sampleState().encoded()
        var other = MoMConfiguration.tiny
        other.seed &+= 1
        #expect {
            try MoMState(decoding: bytes, expecting: other)
        } throws: { ($0 as? MoMError)?.code == .configurationMismatch }
        #expect(throws: MoMError.self) { try MoMState(decoding: bytes, expecting: .default) }
        _ = try MoMState(decoding: bytes, expecting: .tiny)
    }

    @Test(arguments: [UInt32(0), 4, 0xFFFF_FFFF])
    func unsupportedVersionIsRefusedAsSuch(version: UInt32) throws {
        var bytes = try Self.sampleState().encoded()
        withUnsafeBytes(of: version.littleEndian) { bytes.replaceSubrange(8..<12, with: $0) }
        // Whether or not the checksum was recomputed for it, the version is what gets reported.
        for candidate in [bytes, resealed(bytes)] {
            #expect {
                try MoMState(decoding: candidate)
            } throws: { error in
                guard let error = error as? MoMError else { return false }
                return error.code == .unsupportedStateVersion && error.message.contains("\(version)")
            }
        }
    }

    @Test func foreignBytesAreNotAState() {
        expectFailure([], .corruptState)
        expectFailure(Array("SQLite format 3\0".utf8) + [UInt8](repeating: 0, count: 200), .corruptState)
        var wrongMagic = (try? Self.sampleState().encoded()) ?? []
        wrongMagic[0] = UInt8(ascii: "X")
        expectFailure(resealed(wrongMagic), .corruptState)
    }

    /// Byte offsets of the parts after the configuration blob.
    private func layout(_ state: MoMState) throws -> (scales: Int, tally: Int) {
        var reader = ByteReader(state.encoded())
        _ = try reader.readBytes(MoMState.headerByteCount)
        _ = try reader.readBlob(limit: 1024)
        let memories = state.configuration.memoryCount
        let floats = memories * state.configuration.dk * state.configuration.dv
        return (reader.offset, reader.offset + 4 * memories + 4 * floats + 8 * memories)
    }

    @Test(arguments: [Float(0), -1, 1.5, 1e-30, .leastNonzeroMagnitude])
    func aScaleNoFoldCouldReachIsRefused(scale: Float) throws {
        // Scales only ever shrink from 1 by α ≤ 1 and are renormalised below 1e-20, so a scale
        // outside [1e-20, 1] is an inconsistent field; a zero one would turn the next write into NaN.
        let state = try Self.sampleState()
        var bytes = state.encoded()
        let offset = try layout(state).scales
        withUnsafeBytes(of: scale.bitPattern.littleEndian) { bytes.replaceSubrange(offset..<(offset + 4), with: $0) }
        expectFailure(resealed(bytes), .corruptState, "scale \(scale)")
    }

    @Test func aTallyCountAboveItsChunkIsRefused() throws {
        // A count can never exceed the tokens of its chunk; an impossible one near UInt32.max
        // would trap on the next routed token.
        let state = try Self.sampleState()
        #expect(state.openRoutingChunk.tokens > 0)
        var bytes = state.encoded()
        let countOffset = try layout(state).tally + 12
        for value in [UInt32.max, state.openRoutingChunk.tokens + 1] {
            withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(countOffset..<(countOffset + 4), with: $0) }
            expectFailure(resealed(bytes), .corruptState, "count \(value)")
        }
    }

    @Test func nonFiniteMemoriesAreRefused() throws {
        let state = try Self.sampleState()
        var bytes = state.encoded()
        // The first stored float's four byte planes start right after the scales.
        var reader = ByteReader(bytes)
        _ = try reader.readBytes(MoMState.headerByteCount)
        _ = try reader.readBlob(limit: 1024)
        let firstFloat = reader.offset + 4 * state.configuration.memoryCount
        let planes = state.configuration.memoryCount * state.configuration.dk * state.configuration.dv
        let nan = Float.nan.bitPattern
        for plane in 0..<4 { bytes[firstFloat + plane * planes] = UInt8(truncatingIfNeeded: nan >> (8 * UInt32(plane))) }
        expectFailure(resealed(bytes), .corruptState)
    }
}
