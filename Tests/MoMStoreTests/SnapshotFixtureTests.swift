import Foundation
import MoMCore
import Testing

@testable import MoMStore

/// Snapshots written before blobs held one LZ4 frame per piece (blob layout 1: the whole state in
/// one frame) still open, whole and through a read on demand, and the database they are in
/// takes new snapshots in the new layout. The fixture was written by that earlier momd
/// (fixtures/snapshot-v1/README.md says how).
@Suite struct SnapshotFixtureTests {
    static let directory = repositoryRoot.appendingPathComponent("fixtures/snapshot-v1")

    struct Expected: Decodable {
        var digest: String
        var stateBytes: Int
        var bytes: Int
        var tokens: Int
        var cue: String
        var answer: String
    }

    func expected() throws -> Expected {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Expected.self, from: Data(contentsOf: Self.directory.appendingPathComponent("expected.json")))
    }

    @Test func aBlobOfOneFrameDecodesToTheRecordedState() throws {
        let expected = try expected()
        let blob = try [UInt8](Data(contentsOf: Self.directory.appendingPathComponent("notes.lz4")))
        let frameLength = try LZ4Frame.frameLength(at: 0, total: blob.count) { Array(blob[$0..<($0 + $1)]) }
        #expect(frameLength == blob.count, "layout 1: one frame")
        let encoded = try blob.withUnsafeBytes { try SnapshotContainer.decompress($0, stateBytes: expected.stateBytes) }
        let state = try MoMState(decoding: encoded)
        #expect(state.digest == expected.digest)
        #expect(state.tokenCount == UInt64(expected.tokens) && state.byteCount == UInt64(expected.bytes))
        #expect(try state.read(cue: expected.cue).answer == expected.answer)
    }

    @Test func aDatabaseWithSnapshotsOfOneFrameOpensAndMovesOn() throws {
        let expected = try expected()
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("notes.sqlite").path
        try FileManager.default.copyItem(atPath: Self.directory.appendingPathComponent("notes.sqlite").path, toPath: path)
        let store = try MoMStore.open(path: path)
        let loaded = try store.loadState(of: "notes")
        #expect(loaded.state.digest == expected.digest)
        #expect(loaded.warnings.isEmpty && loaded.replayedBytes == 0)
        let read = try store.read("notes") { try $0.read(cue: expected.cue) }
        #expect(read.loadedWhole, "a blob of one frame is read whole")
        #expect(read.value.answer == expected.answer)

        var session = try store.openSession(named: "notes")
        try session.append(Array(" Jonas travelled to Oslo on day 3.".utf8))
        try session.snapshot()
        let newest = try store.read("notes") { try $0.read(cue: expected.cue) }
        #expect(!newest.loadedWhole, "the new snapshot is stored in pieces")
        #expect(newest.value == (try session.state.read(cue: expected.cue)))
    }
}
