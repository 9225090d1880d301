import Foundation
import Testing

/// The fast variant of `momd bench passkey`: small lengths, every system, through the real binary.
struct BenchPasskeyTests {
    struct Output: Decodable {
        struct Cell: Decodable {
            var system: String
            var length: Int
            var depth: Int
            var trials: Int
            var correct: Int
            var accuracy: Double
            var stateBytes: Int
            var tokens: Int
        }
        var results: [Cell]
    }

    @Test(.timeLimit(.minutes(5)))
    func everySystemOnSmallLengthsWithAHeatmap() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let svg = directory.appendingPathComponent("heatmap.svg")
        let run = try Momd.run([
            "bench", "passkey", "--lengths", "1K,2K", "--depths", "0,50,100", "--json", "--svg", svg.path,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let cells = try decoder.decode(Output.self, from: Data(run.stdout.utf8)).results
        #expect(cells.count == 4 * 2 * 3)
        #expect(Set(cells.map(\.system)) == ["mom", "delta-single", "hebbian", "full-context"])
        func of(_ system: String) -> [Output.Cell] { cells.filter { $0.system == system } }

        // The classic filler: MoM and the baseline recall every key; a Hebbian memory none.
        #expect(of("mom").allSatisfy { $0.accuracy == 1 && $0.correct == $0.trials })
        #expect(of("full-context").allSatisfy { $0.accuracy == 1 })
        #expect(of("hebbian").allSatisfy { $0.accuracy == 0 })
        // MoM's bytes do not grow with the length (the matrices are fixed; the vocabulary is the
        // filler's plus a few digits); the baseline's grow with every position.
        let momBytes = of("mom").map(\.stateBytes)
        #expect(momBytes.min()! >= 4 << 20)
        #expect(momBytes.max()! - momBytes.min()! < 1024)
        let baseline1K = of("full-context").filter { $0.length == 1024 }.map(\.stateBytes).max() ?? 0
        let baseline2K = of("full-context").filter { $0.length == 2048 }.map(\.stateBytes).min() ?? 0
        #expect(baseline2K > baseline1K * 3 / 2)
        #expect(cells.allSatisfy { abs($0.tokens - $0.length) <= 32 })

        let heatmap = try String(contentsOf: svg, encoding: .utf8)
        #expect(heatmap.hasPrefix("<svg"))
        for system in ["mom", "delta-single", "hebbian", "full-context"] { #expect(heatmap.contains(system)) }

        let bad = try Momd.run(["bench", "passkey", "--depths", "150"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("bad depth '150'"))
    }
}
