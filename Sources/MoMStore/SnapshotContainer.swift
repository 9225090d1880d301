import GRDB
import GRDBSQLite
import MoMCore

/// How a snapshot's encoded state is kept in its blob: LZ4 frames back to back, one per piece of
/// the state (`StateLayout.pieces`: prefix, each byte plane of each memory, suffix), so that a
/// read can decompress the prefix, the suffix and only the memories it needs. `lz4 -d` turns the
/// blob into the encoded state, as it did when a blob was one frame (which momd still reads).
public enum SnapshotContainer {
    /// The blob of an encoded state: one frame per piece, or one frame for a state whose layout
    /// is not known here.
    public static func compress(_ encoded: [UInt8]) -> [UInt8] {
        guard let layout = StateLayout(header: encoded, totalLength: encoded.count) else {
            return LZ4Frame.compress(encoded)
        }
        var blob: [UInt8] = []
        blob.reserveCapacity(encoded.count + encoded.count / 8)
        encoded.withUnsafeBytes { bytes in
            for piece in layout.pieces {
                blob.append(contentsOf: LZ4Frame.compress(UnsafeRawBufferPointer(rebasing: bytes[piece])))
            }
        }
        return blob
    }

    /// The encoded state of a blob, all frames checked.
    public static func decompress(_ blob: UnsafeRawBufferPointer, stateBytes: Int) throws -> [UInt8] {
        try LZ4Frame.decompressConcatenated(blob, expectedSize: stateBytes)
    }
}

/// One snapshot blob opened for reading pieces of it in place (SQLite incremental blob I/O), so
/// a read touches the frames it needs and no others.
final class SnapshotBlob {
    let handle: OpaquePointer
    let count: Int
    let rowID: Int64

    /// Opens the `state` blob of snapshot `rowID` for reading within the current transaction.
    init(_ db: Database, rowID: Int64) throws {
        var handle: OpaquePointer?
        let code = sqlite3_blob_open(db.sqliteConnection, "main", "snapshot", "state", rowID, 0, &handle)
        guard code == SQLITE_OK, let handle else {
            if let handle { sqlite3_blob_close(handle) }
            throw StoreError(.corruptData, "its blob cannot be opened (SQLite code \(code))")
        }
        self.handle = handle
        self.rowID = rowID
        count = Int(sqlite3_blob_bytes(handle))
    }

    deinit { sqlite3_blob_close(handle) }

    /// `length` bytes from `offset`.
    func read(_ offset: Int, _ length: Int) throws -> [UInt8] {
        guard offset >= 0, length >= 0, offset + length <= count else {
            throw StoreError(.corruptData, "its frames run past the end of the blob")
        }
        return try [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            let code = length == 0 ? SQLITE_OK : sqlite3_blob_read(handle, buffer.baseAddress, Int32(length), Int32(offset))
            guard code == SQLITE_OK else { throw StoreError(.database, "cannot read a snapshot blob (SQLite code \(code))") }
            initialized = length
        }
    }

    /// Where each frame lies, found from frame headers and block sizes alone.
    func frames() throws -> [Range<Int>] {
        var frames: [Range<Int>] = []
        var offset = 0
        while offset < count {
            let length = try LZ4Frame.frameLength(at: offset, total: count) { try read($0, $1) }
            frames.append(offset..<(offset + length))
            offset += length
        }
        return frames
    }

    /// The content of one frame, its checksums verified.
    func decompress(_ frame: Range<Int>, expectedSize: Int) throws -> [UInt8] {
        try read(frame.lowerBound, frame.count).withUnsafeBytes { try LZ4Frame.decompress($0, expectedSize: expectedSize) }
    }
}
