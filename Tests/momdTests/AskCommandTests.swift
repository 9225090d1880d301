import Foundation
import Testing

/// `momd ask` as a user runs it: questions in, the span out; exit 3 and one line on stderr when
/// nothing in the state answers.
struct AskCommandTests {
    static let facts = """
        The rain came down on the roofs of the town all through the night. Maria was born in Lisbon in 1984. \
        A dog barked somewhere beyond the hill while the lamps went out one by one. The garage door code is 4711. \
        The train to Porto leaves at 7:45 every morning. Everyone agreed that the winter had been long and the spring was late.

        """

    @Test func questionsThroughTheCommandLine() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("ask.sqlite").path
        let input = directory.appendingPathComponent("facts.txt")
        try Data(Self.facts.utf8).write(to: input)
        #expect(try Momd.run(["ingest", "facts", input.path, "--db", database]).status == 0)

        for (question, answer) in [
            ("Where was Maria born?", "Lisbon"), ("door code", "4711"), ("When does the train to Porto leave?", "7:45"),
            ("The garage door code is", "4711"),
        ] {
            let run = try Momd.run(["ask", "facts", question, "--db", database])
            #expect(run.status == 0, "\(question): \(run.stderr)")
            #expect(run.stdout == answer + "\n")
        }

        let unknown = try Momd.run(["ask", "facts", "What is the password for the bank account?", "--db", database])
        #expect(unknown.status == 3)
        #expect(unknown.stdout.isEmpty)
        #expect(unknown.stderr.hasPrefix("momd: no answer: nothing in 'facts' answers it"))
        #expect(unknown.stderr.split(separator: "\n").count == 1)

        let nothing = try Momd.run(["ask", "facts", "...", "--db", database])
        #expect(nothing.status == 3)
        #expect(nothing.stderr == "momd: no answer: the question has no words to read\n")

        let empty = try Momd.run(["ask", "facts", " ", "--db", database])
        #expect(empty.status == 64)

        let json = try Momd.run(["ask", "--json", "facts", "Where", "was", "Maria", "born?", "--db", database]).json()
        #expect(json["answer"] as? String == "Lisbon")
        #expect((json["continuation"] as? String)?.hasPrefix("Lisbon in 1984") == true)
        #expect((json["probe"] as? [String: Any])?["cue"] as? String == "Maria was born in")
        #expect(json["abstained"] as? Bool == false)
        #expect((json["tokens"] as? [[String: Any]])?.first?["text"] as? String == "Lisbon")

        // Forcing an answer shows what the memory continues with, however weak.
        let forced = try Momd.run(["ask", "facts", "Where was Tomas born?", "--abstain-below", "0", "--db", database])
        #expect(forced.status == 0)
        #expect(forced.stdout == "Lisbon\n")
    }
}
