import Foundation
import Testing

/// The fast variant of `momd bench qa`: RULER's tasks and natural questions at 4K tokens through
/// the real binary, with the accuracy floors the default state holds there.
struct BenchQATests {
    struct Output: Decodable {
        struct Row: Decodable {
            var system: String
            var task: String
            var length: Int
            var questions: Int
            var accuracy: Double
            var precision: Double?
            var auroc: Double?
            var abstainedUnanswerable: Double?
            var askP50Ms: Double
            var askP99Ms: Double
            var stateBytes: Int
        }
        var results: [Row]
    }

    func run(_ arguments: [String]) throws -> [Output.Row] {
        let run = try Momd.run(["bench", "qa", "--json"] + arguments)
        #expect(run.status == 0, "\(run.stderr)")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Output.self, from: Data(run.stdout.utf8)).results
    }

    @Test(.timeLimit(.minutes(10)))
    func rulerTasksAndNaturalQuestionsAt4K() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let svg = directory.appendingPathComponent("qa.svg")
        let rows = try run([
            "--lengths", "4K", "--trials", "2", "--systems", "mom", "--tasks", "S-NIAH-1,S-NIAH-2,S-NIAH-3,MK-NIAH-1,MQ-NIAH,natural",
            "--haystack", packageRoot.appendingPathComponent("fixtures/prose/devils-dictionary.txt").path, "--svg", svg.path,
        ])
        #expect(rows.map(\.task) == ["S-NIAH-1", "S-NIAH-2", "S-NIAH-3", "MK-NIAH-1", "MQ-NIAH", "natural"])
        func row(_ task: String) -> Output.Row? { rows.first { $0.task == task } }
        for task in ["S-NIAH-1", "S-NIAH-2", "S-NIAH-3", "MK-NIAH-1"] {
            #expect(row(task)?.accuracy == 1, "\(task): \(String(describing: row(task)))")
            #expect(row(task)?.precision == 1)
        }
        #expect((row("MQ-NIAH")?.accuracy ?? 0) >= 0.75)
        let natural = try #require(row("natural"))
        #expect(natural.accuracy >= 0.5, "natural accuracy \(natural.accuracy)")
        #expect((natural.abstainedUnanswerable ?? 0) >= 0.8)
        #expect((natural.precision ?? 0) >= 0.9)
        #expect(rows.allSatisfy { $0.stateBytes >= 4 << 20 && $0.askP50Ms > 0 })
        let heatmap = try String(contentsOf: svg, encoding: .utf8)
        #expect(heatmap.hasPrefix("<svg") && heatmap.contains("S-NIAH-1") && heatmap.contains("natural"))

        // The baseline and one memory are asked through the same question layer.
        let others = try run(["--lengths", "1K", "--trials", "1", "--systems", "delta-single,full-context", "--tasks", "S-NIAH-1"])
        #expect(others.map(\.system) == ["delta-single", "full-context"])
        #expect(others.allSatisfy { $0.accuracy == 1 })

        let bad = try Momd.run(["bench", "qa", "--tasks", "S-NIAH-9"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("unknown task 'S-NIAH-9'"))
    }
}
