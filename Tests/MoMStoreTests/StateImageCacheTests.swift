import CKernels
import Foundation
import MoMCore
import Testing

@testable import MoMStore

/// A cold read leaves an image of the state it read; the next read of the same snapshot comes
/// from the image and answers exactly as the database's state does. An image that does not
/// match the snapshot, or is damaged, is never used.
@Suite struct StateImageCacheTests {
    func makeStore(rows: RowFormat = .int8, tokens: Int = 3000) throws -> (store: MoMStore, state: MoMState, images: URL) {
        var configuration = MoMConfiguration.storeTest
        configuration.rowFormat = rows
        var store = try MoMStore.inMemory()
        var session = try store.openSession(
            named: "notes", configuration: configuration, policy: SnapshotPolicy(everyTokens: 1000, retained: 3))
        for piece in randomPieces(corpus(tokens: tokens), maxPiece: 700, seed: 5) {
            try session.append(piece)
            try session.snapshotIfDue()
        }
        try session.close()
        let images = try temporaryDirectory().appendingPathComponent("states")
        store.imageCache = StateImageCache(directory: images.path)
        return (store, session.state, images)
    }

    func imageFiles(_ directory: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "state" }
    }

    let cue = "the long and winding"

    @Test(arguments: [RowFormat.int8, .float32])
    func aSecondColdReadComesFromTheImageWithTheSameAnswer(rows: RowFormat) throws {
        let (store, state, images) = try makeStore(rows: rows)
        let expected = try state.read(cue: cue)
        let first = try store.read("notes") { try $0.read(cue: cue) }
        #expect(!first.fromImage && !first.loadedWhole)
        #expect(first.value == expected)
        #expect(imageFiles(images).count == 1)
        for _ in 0..<3 {
            let again = try store.read("notes") { try $0.read(cue: cue) }
            #expect(again.fromImage)
            #expect(again.value == expected)
            #expect(again.tokenCount == state.tokenCount)
            #expect(try store.read("notes") { $0.digest }.value == state.digest)
        }
    }

    @Test func aStateFromAnImageReadsItsRowsFromTheFileUntilItIsWritten() throws {
        let (store, state, images) = try makeStore()
        _ = try store.read("notes") { try $0.read(cue: cue) }
        let file = try #require(imageFiles(images).first)
        let imageBytes = try Data(contentsOf: file)
        let read = try store.read("notes") { $0 }
        #expect(read.fromImage)
        var mapped = read.value
        #expect(mapped.memoryBank.codesAreMapped)
        #expect(mapped.memoryBank == state.memoryBank)
        #expect(mapped.encoded() == state.encoded())
        // A write copies the rows first: the state goes on exactly as the original does, and the
        // image it came from is left as it was.
        var original = state
        let more = " and then the long and winding road led on to the door of the house."
        mapped.fold(more)
        original.fold(more)
        #expect(!mapped.memoryBank.codesAreMapped)
        #expect(mapped.digest == original.digest)
        #expect(try Data(contentsOf: file) == imageBytes)
        // Removing the image file does not disturb a state that still maps it.
        let again = try store.read("notes") { $0 }.value
        try FileManager.default.removeItem(at: file)
        #expect(again.memoryBank.codesAreMapped)
        #expect(try again.read(cue: cue) == (try state.read(cue: cue)))
    }

    @Test func anImageIsTheStateEncodingFollowedByItsTrailer() throws {
        let (store, state, images) = try makeStore()
        _ = try store.read("notes") { try $0.read(cue: cue) }
        let file = try #require(imageFiles(images).first)
        let bytes = [UInt8](try Data(contentsOf: file))
        let encoded = state.encoded()
        #expect(bytes.count == encoded.count + StateImageCache.trailerLength)
        #expect(Array(bytes.prefix(encoded.count)) == encoded)
        #expect(Array(bytes[encoded.count..<(encoded.count + 8)]) == Array("momdimg".utf8) + [0])
    }

    @Test func everyDamagedByteOfAnImageSendsTheReadBackToTheDatabase() throws {
        let (store, state, images) = try makeStore(tokens: 1500)
        let expected = try state.read(cue: cue)
        _ = try store.read("notes") { try $0.read(cue: cue) }
        let file = try #require(imageFiles(images).first)
        let original = [UInt8](try Data(contentsOf: file))
        // Bytes spread over the prefix, the codes, the suffix and the trailer.
        let step = max(1, original.count / 97)
        for offset in stride(from: 0, to: original.count, by: step) + [original.count - 1] {
            var damaged = original
            damaged[offset] ^= 0x10
            try Data(damaged).write(to: file)
            let read = try store.read("notes") { try $0.read(cue: cue) }
            #expect(!read.fromImage, "a flip at byte \(offset) of \(original.count) went unnoticed")
            #expect(read.value == expected)
            // The read wrote the image again, intact.
            #expect([UInt8](try Data(contentsOf: file)) == original)
        }
        // Cut short: not used either.
        try Data(original.prefix(original.count - 9)).write(to: file)
        #expect(!(try store.read("notes") { try $0.read(cue: cue) }).fromImage)
    }

    @Test func anAppendMakesTheOldImageStaleAndItIsReplaced() throws {
        var (store, _, images) = try makeStore()
        _ = try store.read("notes") { try $0.read(cue: cue) }
        let before = try #require(imageFiles(images).first)
        var session = try store.openSession(named: "notes", policy: SnapshotPolicy(everyTokens: 1000, retained: 3))
        try session.append(Array(" and then some more words arrive".utf8)[...])
        // A journal after the snapshot: the read loads whole, and no image stands for it.
        let journalled = try store.read("notes") { $0.digest }
        #expect(!journalled.fromImage && journalled.loadedWhole)
        #expect(journalled.value == session.state.digest)
        _ = try session.snapshot()
        try session.close()
        // (A read on demand holds only some memories while it runs: it reads, it does not encode.)
        let fresh = try store.read("notes") { try $0.read(cue: cue) }
        #expect(!fresh.fromImage)
        #expect(fresh.value == (try session.state.read(cue: cue)))
        let files = imageFiles(images)
        #expect(files.count == 1 && files.first != before, "the older byte count's image is removed")
        #expect(try store.read("notes") { $0.tokenCount }.fromImage)
        store.imageCache = nil
        #expect(!(try store.read("notes") { $0.tokenCount }).fromImage)
    }

    @Test func aReadOfAnOlderSnapshotLeavesTheCurrentImageInPlace() throws {
        let (store, _, images) = try makeStore()
        _ = try store.read("notes") { $0.tokenCount }
        let current = imageFiles(images)
        #expect(current.count == 1)
        let older = try #require(try store.snapshots(of: "notes").first)
        let read = try store.read("notes", at: .snapshot(id: older.id)) { $0.tokenCount }
        #expect(!read.fromImage && read.value == older.tokenCount)
        #expect(imageFiles(images) == current)
        #expect(try store.read("notes") { $0.tokenCount }.fromImage)
    }

    @Test func anImageOfAnotherDatabaseWithTheSameNamesIsNotUsed() throws {
        let (first, _, images) = try makeStore(tokens: 2000)
        _ = try first.read("notes") { try $0.read(cue: cue) }
        // Another store, the same document name and id, other text: its digests differ.
        var other = try MoMStore.inMemory()
        var session = try other.openSession(
            named: "notes", configuration: .storeTest, policy: SnapshotPolicy(everyTokens: 1000, retained: 3))
        try session.append(Array(String(repeating: "other words entirely ", count: 400).utf8)[...])
        _ = try session.snapshot()
        try session.close()
        other.imageCache = StateImageCache(directory: images.path)
        let read = try other.read("notes") { try $0.read(cue: cue) }
        #expect(!read.fromImage)
        #expect(read.value == (try session.state.read(cue: cue)))
    }

    @Test func theLeastRecentlyUsedImagesGoFirstPastTheLimit() throws {
        var (store, _, images) = try makeStore(tokens: 200)
        func make(_ name: String) throws {
            var session = try store.openSession(named: name, configuration: .storeTest)
            try session.append(Array("the same few words for every one".utf8)[...])
            _ = try session.snapshot()
            try session.close()
        }
        try make("a")
        _ = try store.read("a") { $0.tokenCount }
        let one = try #require(try imageFiles(images).first?.resourceValues(forKeys: [.fileSizeKey]).fileSize)
        store.imageCache = StateImageCache(directory: images.path, byteLimit: 2 * one + one / 2)
        for name in ["b", "c", "d"] {
            Thread.sleep(forTimeInterval: 0.02)  // distinct modification times
            try make(name)
            _ = try store.read(name) { $0.tokenCount }
        }
        #expect(imageFiles(images).count == 2)
        #expect(try store.read("d") { $0.tokenCount }.fromImage)
        #expect(try store.read("c") { $0.tokenCount }.fromImage)
        #expect(!(try store.read("a") { $0.tokenCount }).fromImage)
    }

    @Test func theCheckKernelIsCRC32CAndItsSSEPathMatchesTheScalarOne() throws {
        var crcs: [UInt32] = [0, 0, 0]
        let check = Array("123456789".utf8)
        momd_crc32c_thirds(check, check.count, &crcs)
        #expect(crcs == [0, 0, 0xE306_9283], "nine bytes: the first two lanes are empty")
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 7, 23, 24, 25, 100, 4096, 65_537] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var fast: [UInt32] = [9, 9, 9]
            var scalar: [UInt32] = [7, 7, 7]
            momd_crc32c_thirds(bytes, bytes.count, &fast)
            momd_crc32c_thirds_scalar(bytes, bytes.count, &scalar)
            #expect(fast == scalar, "length \(length)")
        }
    }
}
