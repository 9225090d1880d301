import Foundation
import GRDB
import MoMCore
import Testing

@testable import MoMStore

/// A read of a stored document decompresses only the pieces it needs and answers exactly what
/// the whole state answers; damage in any piece it reads sends it to the whole load and its
/// fallback.
@Suite struct OnDemandReadTests {
    /// A document folded and snapshotted at its end (no journal after the snapshot).
    func makeDocument(configuration: MoMConfiguration = .storeTest, tokens: Int = 3000, everyTokens: UInt64 = 1000) throws
        -> (store: MoMStore, state: MoMState)
    {
        let store = try MoMStore.inMemory()
        var session = try store.openSession(
            named: "notes", configuration: configuration, policy: SnapshotPolicy(everyTokens: everyTokens, retained: 3))
        for piece in randomPieces(corpus(tokens: tokens), maxPiece: 700, seed: 5) {
            try session.append(piece)
            try session.snapshotIfDue()
        }
        try session.close()
        return (store, session.state)
    }

    /// Cues drawn from the document's own text.
    func cues(_ count: Int) -> [String] {
        let words = corpus(tokens: 3000).split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
        return (0..<count).map { index in words[(index * 37) % (words.count - 4)..<(index * 37) % (words.count - 4) + 4].joined(separator: " ") }
    }

    @Test func aReadOnDemandAnswersAsTheWholeStateAndLoadsFewerMemories() throws {
        var configuration = MoMConfiguration.storeTest
        configuration.memories = 8
        configuration.topK = 1
        let (store, state) = try makeDocument(configuration: configuration)
        var fewer = 0
        for cue in cues(40) {
            let read = try store.read("notes") { try $0.read(cue: cue, options: ReadOptions(maxTokens: 3)) }
            #expect(read.value == (try state.read(cue: cue, options: ReadOptions(maxTokens: 3))), "cue \(cue)")
            #expect(!read.loadedWhole)
            #expect(read.tokenCount == state.tokenCount)
            #expect(read.warnings.isEmpty)
            #expect(read.memoriesLoaded >= 1 && read.memoriesLoaded <= 8)
            if read.memoriesLoaded < 8 { fewer += 1 }
        }
        #expect(fewer > 20, "short reads touch a few of the 8 memories")
    }

    @Test(arguments: [RowFormat.int8, .float32])
    func everySnapshotIsStoredAsOneFramePerPieceThatLZ4ConcatenationRestores(rows: RowFormat) throws {
        var configuration = MoMConfiguration.storeTest
        configuration.rowFormat = rows
        let (store, state) = try makeDocument(configuration: configuration)
        let newest = try #require(try store.snapshots(of: "notes").last)
        let (blob, stateBytes) = try store.snapshotBlob(of: "notes", id: newest.id)
        let encoded = state.encoded()
        let layout = try #require(StateLayout(header: encoded, totalLength: encoded.count))
        // Float32 rows: four byte planes a memory; int8 rows: the codes, one plane.
        #expect(layout.planeCount == (rows == .float32 ? 4 : 1))
        #expect(layout.pieces.count == 2 + layout.planeCount * 4)
        let read = try store.read("notes") { try $0.read(cue: "the") }
        #expect(read.value == (try state.read(cue: "the")) && !read.loadedWhole)
        #expect(layout.pieces.first?.lowerBound == 0 && layout.pieces.last?.upperBound == encoded.count)
        #expect(zip(layout.pieces, layout.pieces.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        #expect(try blob.withUnsafeBytes { try SnapshotContainer.decompress($0, stateBytes: stateBytes) } == encoded)
        var offset = 0
        var frames = 0
        while offset < blob.count {
            offset += try LZ4Frame.frameLength(at: offset, total: blob.count) { Array(blob[$0..<($0 + $1)]) }
            frames += 1
        }
        #expect(offset == blob.count && frames == layout.pieces.count)
    }

    @Test func aJournalAfterTheSnapshotIsReplayedOnAWholeLoad() throws {
        let (store, _) = try makeDocument()
        var session = try store.openSession(named: "notes")
        try session.append(Array(" the pass key is 4 2 7 .".utf8))
        let read = try store.read("notes") { $0.tokenCount }
        #expect(read.loadedWhole)
        #expect(read.value == session.state.tokenCount)
        #expect(try store.read("notes", at: .atOrBefore(tokens: 2000)) { $0.tokenCount }.loadedWhole == false)
    }

    @Test func aSnapshotOfTheOldOneFrameLayoutIsLoadedWhole() throws {
        let (store, state) = try makeDocument()
        let newest = try #require(try store.snapshots(of: "notes").last)
        try store.sql { db in
            try db.execute(sql: "UPDATE snapshot SET state = ? WHERE id = ?", arguments: [Data(LZ4Frame.compress(state.encoded())), newest.id])
        }
        let cue = cues(1)[0]
        let read = try store.read("notes") { try $0.read(cue: cue) }
        #expect(read.loadedWhole && read.warnings.isEmpty)
        #expect(read.value == (try state.read(cue: cue)))
    }

    @Test func everyChangedByteInAPieceAReadUsesIsDetectedAndFallsBack() throws {
        let (store, state) = try makeDocument(configuration: .tinyStoreTest, tokens: 400, everyTokens: 100)
        let newest = try #require(try store.snapshots(of: "notes").last)
        let (original, _) = try store.snapshotBlob(of: "notes", id: newest.id)
        let cue = cues(1)[0]
        let expected = try state.read(cue: cue)
        var detected = 0
        // Every third byte: a dense sample of every frame (a whole load refuses every byte).
        let positions = Array(stride(from: 0, to: original.count, by: 3))
        for position in positions {
            var damaged = original
            damaged[position] ^= position % 2 == 0 ? 0x01 : 0x80
            try store.sql { db in try db.execute(sql: "UPDATE snapshot SET state = ? WHERE id = ?", arguments: [Data(damaged), newest.id]) }
            let read = try store.read("notes") { try $0.read(cue: cue) }
            // Damage in a frame the read did not need cannot change its answer; damage in one it
            // read is caught and the older snapshot plus the journal answer instead. (A whole
            // load refuses every changed byte: SnapshotCorruptionTests.)
            #expect(read.value == expected, "byte \(position)")
            if read.loadedWhole {
                detected += 1
                #expect(read.warnings.count == 1 && read.warnings[0].message.contains("snapshot \(newest.id) of 'notes'"), "byte \(position)")
            }
        }
        #expect(detected > positions.count / 2)
    }
}
