import Testing
@testable import MoMCore

/// No input, however hostile, puts a NaN or an infinity into a memory, and the first token of a
/// document (which has no context, hence no key) never writes.
@Suite struct MoMStateFinitenessTests {
    static let configurations: [MoMConfiguration] = [
        .small,
        .smallInt8,
        MoMConfiguration(memories: 4, topK: 2, dk: 64, dv: 16, alpha: 0.5, beta: 1.99, sharedMemory: true),
        // α = 1e-3: every memory renormalises after a handful of writes. Float32 rows: a write of
        // β = 0.01 is below half an int8 step and would round away.
        MoMConfiguration(memories: 4, topK: 1, dk: 64, dv: 16, alpha: 1e-3, beta: 0.01, maxTokenLength: 3, rowFormat: .float32),
        MoMConfiguration(memories: 4, topK: 1, dk: 64, dv: 16, alpha: 1e-3, maxTokenLength: 3),
        MoMConfiguration(memories: 2, topK: 2, dk: 8, dv: 4, window: 1, hashesPerOrder: 1, orderWeights: [1]),
    ]

    static let adversarialInputs: [(name: String, bytes: [UInt8])] = [
        ("the same token", Array(String(repeating: "again ", count: 8000).utf8)),
        ("NUL bytes", [UInt8](repeating: 0, count: 50_000)),
        ("one huge letter run", [UInt8](repeating: UInt8(ascii: "a"), count: 100_000)),
        ("one digit repeated", [UInt8](repeating: UInt8(ascii: "7"), count: 20_000)),
        ("one punctuation mark repeated", [UInt8](repeating: UInt8(ascii: "."), count: 20_000)),
        ("invalid bytes", [UInt8](repeating: 0xFF, count: 20_000)),
        ("alternating pair", Array(String(repeating: "x y ", count: 5000).utf8)),
        ("random bytes", (0..<30_000).map { UInt8(truncatingIfNeeded: StableHash.mix64(UInt64($0))) }),
    ]

    @Test(arguments: configurations)
    func adversarialInputStaysFinite(configuration: MoMConfiguration) throws {
        var state = try MoMState(configuration: configuration)
        for input in Self.adversarialInputs {
            state.fold(input.bytes)
            #expect(state.isFinite, "after \(input.name)")
            let bank = state.memoryBank
            let largest = (0..<bank.count).map { bank.matrix($0).map(abs).max() ?? 0 }.max() ?? 0
            // Unit keys and β < 2 keep each write contractive on what is stored.
            #expect(largest < 100, "after \(input.name): |S| reached \(largest)")
            #expect(bank.scales.allSatisfy { $0 >= MemoryBank.renormalizeBelow && $0 <= 1 })
        }
        #expect(state.tokenCount > 100_000)
        let result = try state.read(cue: "again again")
        #expect(result.confidence.isFinite)
        #expect(result.tokens.allSatisfy { $0.confidence.isFinite })
    }

    @Test func theSameTokenForeverConvergesToItsValue() throws {
        var state = try MoMState(configuration: .small)
        state.fold(String(repeating: "again ", count: 2000))
        let result = try state.read(cue: "again again again again", options: ReadOptions(maxTokens: 3))
        #expect(result.answer == "again again again")
        #expect(result.tokens.allSatisfy { $0.confidence > 0.999 })
    }

    @Test(arguments: configurations)
    func theFirstTokenNeverWrites(configuration: MoMConfiguration) throws {
        var state = try MoMState(configuration: configuration)
        state.fold("Hi ")
        #expect(state.tokenCount == 1)
        #expect(state.memoryLoad.allSatisfy { $0 == 0 })
        #expect((0..<state.memoryBank.count).allSatisfy { state.memoryBank.matrix($0).allSatisfy { $0 == 0 } })
        #expect(state.openRoutingChunk.counts.allSatisfy { $0 == 0 })
        #expect(state.openRoutingChunk.tokens == 1)

        state.fold("yo ")
        #expect(state.tokenCount == 2)
        let expectedWrites = configuration.topK + (configuration.sharedMemory ? 1 : 0)
        #expect(state.memoryLoad.reduce(0, +) == UInt64(expectedWrites))
        if configuration.sharedMemory { #expect(state.memoryLoad.last == 1) }
        #expect((0..<state.memoryBank.count).contains { state.memoryBank.matrix($0).contains { $0 != 0 } })
    }

    @Test func anOpenRunIsNotYetAToken() throws {
        var state = try MoMState(configuration: .small)
        state.fold("Hello")
        #expect(state.tokenCount == 0)
        #expect(!state.isCarryEmpty)
        state.fold([0x00])
        #expect(state.tokenCount == 1)
        #expect(state.isCarryEmpty)
        #expect(state.memoryLoad.allSatisfy { $0 == 0 })
    }
}
