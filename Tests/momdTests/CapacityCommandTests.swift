import Foundation
import Testing

@Suite struct CapacityCommandTests {
    @Test func benchCapacityPrintsTheRowsTheIssueNamesAndAPlot() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let svg = directory.appendingPathComponent("capacity.svg")
        let result = try Momd.run(
            ["bench", "capacity", "--sizes", "1", "--lengths", "1K", "--depths", "50", "--trials", "2", "--json", "--svg", svg.path],
            currentDirectory: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent())
        #expect(result.status == 0, "\(result.stderr)")
        let json = try result.json()
        let rows = try #require(json["results"] as? [[String: Any]])
        #expect(rows.compactMap { $0["system"] as? String } == ["mom", "delta-single", "full-context"])
        for row in rows {
            #expect(Set(row.keys).isSuperset(of: ["system", "state_mib", "length", "accuracy", "state_bytes", "trials"]))
            #expect(row["length"] as? Int == 1024)
            #expect(row["trials"] as? Int == 2)
        }
        #expect(rows.first?["state_mib"] as? Double == 1)
        #expect(try String(contentsOf: svg, encoding: .utf8).contains("bytes kept"))
    }

    @Test func ingestCapacityPicksTheSmallestMeasuredStateAndRefusesWhatNoneHolds() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("momd.sqlite").path
        let text = directory.appendingPathComponent("notes.txt")
        try Data("The garage door code is 4711.\n".utf8).write(to: text)
        let small = try Momd.run(["ingest", "small", "--db", database, "--capacity", "1K"], stdin: text)
        #expect(small.status == 0, "\(small.stderr)")
        let shown = try Momd.run(["show", "small", "--db", database, "--json"]).json()
        let memories = try #require((shown["configuration"] as? [String: Any])?["memories"] as? Int)
        #expect(memories % 4 == 0 && memories <= 16, "the smallest measured size: \(memories) memories")
        let huge = try Momd.run(["ingest", "huge", "--db", database, "--capacity", "1000M"], stdin: text)
        #expect(huge.status == 64)
        #expect(huge.stderr.contains("--capacity"), "\(huge.stderr)")
        let both = try Momd.run(["ingest", "both", "--db", database, "--capacity", "4K", "--memories", "8"], stdin: text)
        #expect(both.status == 64)
    }
}
