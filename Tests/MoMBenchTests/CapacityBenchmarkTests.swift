import Foundation
import MoMCore
import Testing

@testable import MoMBench

@Suite struct CapacityBenchmarkTests {
    let prose = try! String(
        contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/prose/devils-dictionary.txt"), encoding: .utf8)

    @Test func sizesAreDefaultShapedStatesWithAsManyMemoriesAsFit() throws {
        #expect(CapacityBenchmark.memoriesPerMiB == 4)
        #expect(CapacityBenchmark.configuration(mebibytes: 4) == .default)
        for size in [1, 16, 64] {
            let configuration = CapacityBenchmark.configuration(mebibytes: size)
            #expect(configuration.memories == size * 4)
            #expect(configuration.dk == MoMConfiguration.default.dk && configuration.dv == MoMConfiguration.default.dv)
            let state = try MoMState(configuration: configuration)
            #expect(state.memoryBank.matrixByteCount == size << 20)
        }
    }

    @Test func rowsFoldDepthsAndTrialsTogetherForEachSystem() throws {
        let benchmark = CapacityBenchmark(
            sizes: [1], lengths: [600], depths: [0, 100], trials: 2, sentences: Passkey.sentences(fromProse: prose))
        var heard = 0
        let rows = try benchmark.run { _ in heard += 1 }
        #expect(rows.map(\.system) == ["mom", "delta-single", "full-context"])
        #expect(heard == 3)
        for row in rows {
            #expect(row.length == 600)
            #expect(row.trials == 4)
            #expect(row.accuracy == Double(row.correct) / 4)
        }
        #expect(rows[0].stateMiB == 1 && rows[0].stateBytes > 1 << 20)
        #expect(rows[2].stateMiB > 0 && rows[2].stateMiB < 0.2, "the baseline's size is what it held: \(rows[2].stateBytes)")
    }

    @Test func reachIsTheLongestLengthWithEveryShorterOneAtNinetyFivePercent() {
        func row(_ system: String, _ size: Double, _ length: Int, _ accuracy: Double) -> CapacityBenchmark.Row {
            CapacityBenchmark.Row(
                system: system, stateMiB: size, length: length, accuracy: accuracy, stateBytes: Int(size * 1_048_576), trials: 20,
                correct: Int(accuracy * 20))
        }
        let rows = [
            row("mom", 4, 4096, 1), row("mom", 4, 8192, 0.95), row("mom", 4, 16384, 0.9), row("mom", 4, 32768, 1),
            row("delta-single", 4, 4096, 0.9), row("delta-single", 4, 8192, 1),
            row("full-context", 0.5, 4096, 1), row("full-context", 1, 8192, 1),
        ]
        let reach = CapacityBenchmark.reach(rows)
        #expect(reach.count == 3)
        #expect(reach[0].system == "mom" && reach[0].longestReliable == 8192 && reach[0].reliableTokensPerMiB == 2048)
        #expect(reach[1].system == "delta-single" && reach[1].longestReliable == nil && reach[1].reliableTokensPerMiB == nil)
        #expect(reach[2].system == "full-context" && reach[2].longestReliable == 8192 && reach[2].stateMiB == 1)
    }

    @Test func capacityPicksTheSmallestMeasuredSizeThatHoldsIt() throws {
        let table = CapacityBenchmark.measuredReach.sorted { $0.mebibytes < $1.mebibytes }
        #expect(!table.isEmpty)
        for (index, entry) in table.enumerated() {
            #expect(CapacityBenchmark.smallestSize(holding: entry.tokens) == entry.mebibytes
                || table[..<index].contains { $0.tokens >= entry.tokens })
            #expect(CapacityBenchmark.smallestSize(holding: 1) == table.first { $0.tokens >= 1 }?.mebibytes)
        }
        let most = try #require(table.map(\.tokens).max())
        #expect(CapacityBenchmark.smallestSize(holding: most + 1) == nil)
    }

    @Test func thePlotHasBothPanelsAndALinePerSystemAndSize() {
        let rows = [
            CapacityBenchmark.Row(system: "mom", stateMiB: 4, length: 4096, accuracy: 1, stateBytes: 4_400_000, trials: 20, correct: 20),
            CapacityBenchmark.Row(system: "mom", stateMiB: 4, length: 8192, accuracy: 0.5, stateBytes: 4_400_000, trials: 20, correct: 10),
            CapacityBenchmark.Row(system: "full-context", stateMiB: 0.4, length: 4096, accuracy: 1, stateBytes: 420_000, trials: 20, correct: 20),
            CapacityBenchmark.Row(system: "full-context", stateMiB: 0.8, length: 8192, accuracy: 1, stateBytes: 840_000, trials: 20, correct: 20),
        ]
        let svg = CapacityPlot.svg(rows, textBytes: [4096: 9000, 8192: 18000], title: "t")
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.contains("accuracy (prose pass-key)") && svg.contains("bytes kept"))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 5)  // accuracy: 2 lines; bytes: 2 lines + text
        #expect(svg.contains("mom 4 MiB") && svg.contains("text, LZ4"))
    }
}
