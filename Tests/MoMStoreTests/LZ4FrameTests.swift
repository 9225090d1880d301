import Foundation
import MoMCore
import Testing

@testable import MoMStore

@Suite struct LZ4FrameTests {
    @Test(arguments: [1, 7, 4096, 65_537, 1 << 20, 5 << 20])
    func roundTrips(size: Int) throws {
        var generator = SplitMix64(seed: UInt64(size))
        let bytes = (0..<size).map { index in index % 3 == 0 ? UInt8(truncatingIfNeeded: generator.next()) : UInt8(index % 7) }
        let frame = LZ4Frame.compress(bytes)
        #expect(try LZ4Frame.decompress(frame, expectedSize: size) == bytes)
    }

    @Test func framesAreStandardWithContentSizeAndChecksum() throws {
        let frame = LZ4Frame.compress(Array(repeating: UInt8(ascii: "a"), count: 10_000))
        #expect(Array(frame[0..<4]) == [0x04, 0x22, 0x4D, 0x18])  // LZ4 frame magic, little-endian
        let flags = frame[4]
        #expect(flags & ~0x20 == 0x5C)  // block independence (0x20) is set when the content fits one block
        #expect(flags >> 6 == 0b01)  // version 1
        #expect(flags & 0b0001_0000 != 0)  // block checksums present
        #expect(flags & 0b0000_1000 != 0)  // content size present
        #expect(flags & 0b0000_0100 != 0)  // content checksum present
        #expect(frame[5] == 0x40)  // the smallest block size that holds the content: 64 KiB
        var size: UInt64 = 0
        for index in 0..<8 { size |= UInt64(frame[6 + index]) << (8 * index) }
        #expect(size == 10_000)
    }

    @Test func everyChangedByteIsRefused() throws {
        let bytes = corpus(tokens: 400)
        let frame = LZ4Frame.compress(bytes)
        for position in frame.indices {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var damaged = frame
                damaged[position] ^= mask
                #expect((try? LZ4Frame.decompress(damaged, expectedSize: bytes.count)) == nil, "byte \(position) ^ \(mask) was not detected")
            }
        }
    }

    @Test func truncationAndTrailingBytesAreRefused() throws {
        let bytes = corpus(tokens: 2000)
        let frame = LZ4Frame.compress(bytes)
        for cut in [1, 4, 7, frame.count / 2, frame.count - 4, frame.count - 1] {
            let error = try #require(storeError { try LZ4Frame.decompress(Array(frame[..<cut])) })
            #expect(error.code == .corruptData)
        }
        let error = try #require(storeError { try LZ4Frame.decompress(frame + [0]) })
        #expect(error.message.contains("unexpected bytes follow"))
        storeError { try LZ4Frame.decompress(frame, expectedSize: bytes.count + 1) }
        storeError { try LZ4Frame.decompress([]) }
    }

    static let toolsInstalled = ["lz4", "sqlite3"].allSatisfy { tool in
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)")
        }
    }

    @Test(.enabled(if: toolsInstalled, "needs the lz4 and sqlite3 command-line tools"))
    func stockLZ4OpensASnapshotExportedWithSQLite() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("momd.sqlite").path
        let store = try MoMStore.open(path: path)
        var session = try store.openSession(named: "notes", configuration: .storeTest)
        try session.append(corpus(tokens: 3000))
        let info = try session.snapshot()
        let expected = session.state.encoded()

        let exported = directory.appendingPathComponent("snapshot.lz4").path
        let decoded = directory.appendingPathComponent("snapshot.state").path
        try run("sqlite3", [path, "SELECT writefile('\(exported)', state) FROM snapshot WHERE id = \(info.id)"])
        try run("lz4", ["-d", "-q", "-f", exported, decoded])
        #expect(try Data(contentsOf: URL(fileURLWithPath: decoded)) == Data(expected))
        #expect(Array(expected[0..<8]) == Array("MOMSTATE".utf8))
    }

    func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(tool) \(arguments) failed")
    }
}
