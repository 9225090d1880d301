import MoMAsk
import MoMBench
import MoMCore
import Testing

/// Every recall system answers a cue it has seen the same way through the protocol.
@Suite struct RecallSystemTests {
    @Test func everySystemContinuesAStoredSentence() throws {
        let text = "The capital of Zorbia is Quexville. The door code is 4711. "
        let systems = try recallSystems(folding: text)
        for system in systems {
            let result = try system.read(cue: "The door code is", options: ReadOptions(maxTokens: 4))
            #expect(result.answer == "4711")
        }
    }
}
