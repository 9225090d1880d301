import Testing

@testable import MoMCore

/// A state put together from its prefix, its suffix and the memories a read asks for reads as
/// the whole state does.
@Suite struct MoMStateOnDemandTests {
    static let configurations = [
        MoMConfiguration.tiny, .small, .tinyInt8, .smallInt8,
        MoMConfiguration(memories: 4, topK: 2, dk: 64, dv: 16, alpha: 0.9, sharedMemory: true),
    ]

    /// The prefix and suffix of a state's encoding, and a state built from them.
    func pieces(of state: MoMState) throws -> (layout: StateLayout, encoded: [UInt8], partial: MoMState) {
        let encoded = state.encoded()
        let layout = try #require(StateLayout(header: encoded, totalLength: encoded.count))
        let partial = try MoMState(
            decodingPrefix: Array(encoded[layout.pieces[0]]), suffix: Array(encoded[layout.suffixStart...]),
            expecting: state.configuration)
        return (layout, encoded, partial)
    }

    func planes(_ encoded: [UInt8], _ layout: StateLayout, memory: Int) -> [UInt8] {
        (0..<layout.planeCount).flatMap { encoded[layout.plane($0, of: memory)] }
    }

    @Test(arguments: configurations)
    func theLayoutCutsTheEncodingIntoContiguousPieces(configuration: MoMConfiguration) throws {
        let state = try MoMStateCodecTests.sampleState(configuration)
        let (layout, encoded, _) = try pieces(of: state)
        #expect(layout.memoryCount == configuration.memoryCount)
        #expect(layout.valuesPerMemory == configuration.dk * configuration.dv)
        #expect(layout.planeCount == (configuration.rowFormat == .float32 ? 4 : 1))
        #expect(layout.pieces.count == 2 + layout.planeCount * configuration.memoryCount)
        #expect(layout.pieces.first?.lowerBound == 0 && layout.pieces.last?.upperBound == encoded.count)
        #expect(zip(layout.pieces, layout.pieces.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        #expect(layout.pieces[layout.pieceIndex(plane: layout.planeCount - 1, of: 1)] == layout.plane(layout.planeCount - 1, of: 1))
        #expect(StateLayout(header: encoded.prefix(10), totalLength: encoded.count) == nil)
        #expect(StateLayout(header: Array(repeating: 0, count: 64), totalLength: encoded.count) == nil)
    }

    @Test(arguments: configurations)
    func aStateWithEveryMemoryInstalledIsTheWholeState(configuration: MoMConfiguration) throws {
        let state = try MoMStateCodecTests.sampleState(configuration)
        var (layout, encoded, partial) = try pieces(of: state)
        #expect(partial.absentMemories == Array(0..<configuration.memoryCount))
        #expect(!partial.memoryBank.isComplete)
        for memory in (0..<configuration.memoryCount).reversed() {
            try planes(encoded, layout, memory: memory).withUnsafeBytes { try partial.install(memory: memory, planes: $0) }
        }
        #expect(partial.absentMemories.isEmpty && partial.memoryBank.isComplete)
        #expect(partial.encoded() == encoded)
        #expect(partial.engine == state.engine)
        #expect(partial.tokenizer == state.tokenizer)
    }

    @Test func readsRecordTheAbsentMemoriesTheyAskForAndAgreeOnceTheyAreIn() throws {
        var state = try MoMState(configuration: MoMConfiguration(memories: 8, topK: 1, dk: 256, dv: 16))
        for round in 0..<40 { state.fold("Item \(round) of the list is stored in drawer \(round * 7 % 13). ") }
        let (layout, encoded, start) = try pieces(of: state)
        for cue in ["Item 3 of the list", "is stored in drawer", "Item 17 of", "the list is"] {
            let expected = try state.read(cue: cue)
            var partial = start
            var rounds = 0
            while true {
                let (result, misses) = try partial.recordingMisses { try $0.read(cue: cue) }
                if misses.isEmpty {
                    #expect(result == expected, "cue \(cue)")
                    break
                }
                #expect(misses.allSatisfy { partial.absentMemories.contains($0) })
                for memory in misses {
                    try planes(encoded, layout, memory: memory).withUnsafeBytes { try partial.install(memory: memory, planes: $0) }
                }
                rounds += 1
                #expect(rounds <= 8)
            }
            #expect(partial.absentMemories.count < 8, "cue \(cue) needed every memory")
        }
    }

    @Test func damagedPiecesAreRefused() throws {
        let state = try MoMStateCodecTests.sampleState(.small)
        var (layout, encoded, partial) = try pieces(of: state)
        var wrongSize = planes(encoded, layout, memory: 0)
        wrongSize.removeLast()
        #expect(throws: MoMError.self) { try wrongSize.withUnsafeBytes { try partial.install(memory: 0, planes: $0) } }
        var notFinite = planes(encoded, layout, memory: 0)
        let values = layout.valuesPerMemory
        for plane in 0..<4 { notFinite[plane * values] = plane >= 2 ? 0xFF : 0 }  // a NaN: exponent all ones
        notFinite[2 * values] = 0xC0
        #expect(throws: MoMError.self) { try notFinite.withUnsafeBytes { try partial.install(memory: 0, planes: $0) } }
        var suffix = Array(encoded[layout.suffixStart...])
        suffix.insert(0, at: suffix.count - 8)
        #expect(throws: MoMError.self) {
            try MoMState(decodingPrefix: Array(encoded[layout.pieces[0]]), suffix: suffix, expecting: .small)
        }
        #expect(throws: MoMError.self) {
            try MoMState(decodingPrefix: Array(encoded[layout.pieces[0]]) + [0], suffix: Array(encoded[layout.suffixStart...]))
        }
    }
}
