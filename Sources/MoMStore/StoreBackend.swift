import Foundation
import MoMCore

/// The rows of momd's data model, kept by one database engine: SQLite (`SQLiteBackend`, the
/// embedded default) or PostgreSQL (`PostgresBackend`, in `MoMStorePostgres`). `MoMStore` holds
/// one and does the rest (restoring states, checking snapshots, replaying the journal) the same
/// way over either, so the daemon, the CLI and the benchmarks never know which it is.
///
/// Every method is one transaction. Writes that move a document check, in that transaction,
/// that it is where its writer left it (`byte_count`), and, where leases are kept, that the
/// writer still holds the document's lease (`Fence`).
package protocol StoreBackend: Sendable {
    /// Where the data lives, for messages: a path, or a URL without its password.
    var location: String { get }

    /// Runs `body` in a read transaction that sees one committed state of the whole store.
    func read<T>(_ body: (any StoreReading) throws -> T) throws -> T

    /// Inserts a document unless one has the name; returns the stored one either way.
    func createDocument(named name: String, configuration: MoMConfiguration) throws -> DocumentInfo

    /// Deletes a document and every row of it; false if there was none.
    func deleteDocument(named name: String) throws -> Bool

    /// Journals one append, stores its routing chunks and token routes, and moves the
    /// document's offset from `append.start` to `append.end`.
    func commitAppend(_ append: AppendCommit) throws

    /// Stores a snapshot at the document's offset, drops those past `retained` and the journal
    /// the oldest kept one covers.
    func commitSnapshot(_ snapshot: SnapshotCommit) throws -> SnapshotInfo

    /// The lease table, where the backend keeps one (PostgreSQL); nil for SQLite, whose file
    /// lock already makes one daemon the only writer.
    var leases: (any LeaseKeeping)? { get }

    /// Closes the backend's connections; nothing uses it after.
    func close() throws
}

/// Reads within one consistent transaction.
package protocol StoreReading {
    /// Every document, by name.
    func documents() throws -> [DocumentInfo]
    /// One document, nil if none has the name.
    func document(named name: String) throws -> DocumentInfo?
    /// One document without its storage statistics (zero in the result), nil if none has the
    /// name: what a read of its state needs, without summing its rows.
    func documentHeader(named name: String) throws -> DocumentInfo?
    /// Where a document stands (its id and acknowledged end), without `document(named:)`'s
    /// storage statistics; nil if none has the name. For checks on every write or ask.
    func position(named name: String) throws -> DocumentPosition?
    /// The snapshot rows of a document, newest (largest byte count) first.
    func snapshotRows(documentID: Int64) throws -> [SnapshotRow]
    /// The stored blob of a snapshot, for reading whole or in pieces; nil if the row is gone.
    func snapshotBlob(id: Int64) throws -> (any SnapshotBytes)?
    /// The journal entries of a document that end after `offset`, in order, until `body`
    /// returns false.
    func journal(documentID: Int64, endingAfter offset: UInt64, _ body: (JournalEntry) throws -> Bool) throws
    /// Routing chunks `from ..< from + limit`, in order.
    func routingChunks(documentID: Int64, from first: UInt64, limit: Int) throws -> [RoutingChunk]
    /// The token-route rows of a document that end after token `first`, in order, until `body`
    /// returns false.
    func tokenRoutes(documentID: Int64, endingAfter first: UInt64, _ body: (TokenRouteRecord) throws -> Bool) throws
}

/// A snapshot's stored blob, read in place where the engine allows (SQLite's incremental blob
/// I/O) or held in memory.
package protocol SnapshotBytes {
    var count: Int { get }
    /// `length` bytes from `offset`.
    func read(_ offset: Int, _ length: Int) throws -> [UInt8]
}

extension SnapshotBytes {
    /// The whole blob.
    package func all() throws -> [UInt8] { try read(0, count) }

    /// Where each frame lies, found from frame headers and block sizes alone.
    package func frames() throws -> [Range<Int>] {
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
    package func decompress(_ frame: Range<Int>, expectedSize: Int) throws -> [UInt8] {
        try read(frame.lowerBound, frame.count).withUnsafeBytes { try LZ4Frame.decompress($0, expectedSize: expectedSize) }
    }
}

/// A blob held in memory.
package struct InMemorySnapshotBytes: SnapshotBytes {
    package let bytes: [UInt8]

    package init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    package var count: Int { bytes.count }

    package func read(_ offset: Int, _ length: Int) throws -> [UInt8] {
        guard offset >= 0, length >= 0, offset + length <= bytes.count else {
            throw StoreError(.corruptData, "its frames run past the end of the blob")
        }
        return Array(bytes[offset..<(offset + length)])
    }
}

/// A document's id and acknowledged end.
package struct DocumentPosition: Equatable {
    package var id: Int64
    package var byteCount: UInt64

    package init(id: Int64, byteCount: UInt64) {
        self.id = id
        self.byteCount = byteCount
    }
}

/// One journal row: the input bytes `start ..< end`, as one LZ4 frame (nil if missing).
package struct JournalEntry {
    package var start: UInt64
    package var end: UInt64
    package var frame: [UInt8]?
    /// The fencing token of the writer that acknowledged them, where leases are kept.
    package var fence: Fence?

    package init(start: UInt64, end: UInt64, frame: [UInt8]?, fence: Fence? = nil) {
        self.start = start
        self.end = end
        self.frame = frame
        self.fence = fence
    }
}

/// Where one acknowledged append lies in the journal, and who wrote it.
public struct JournalSpan: Sendable, Equatable, Codable {
    public var start: UInt64
    public var end: UInt64
    /// The writer's fencing token (PostgreSQL); nil in a store that keeps no leases.
    public var fence: Fence?
}

/// Proof that a writer holds a document's lease: the lease's fencing token. A write carrying
/// a token that is no longer the document's current, unexpired one is refused.
public struct Fence: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var token: Int64

    public init(token: Int64) { self.token = token }

    public var description: String { "fencing token \(token)" }
}

/// One acknowledged append, as a transaction stores it.
package struct AppendCommit {
    package var documentID: Int64
    package var name: String
    package var start: UInt64
    package var end: UInt64
    package var tokenCount: UInt64
    /// The appended bytes as one LZ4 frame.
    package var frame: [UInt8]
    package var chunks: [RoutingChunk]
    package var routes: TokenRouteRecord?
    package var fence: Fence?
    /// How long the lease lasts from this commit on: every write renews its writer's lease.
    package var leaseDuration: Duration = LeaseHolder.defaultDuration
}

/// One snapshot, as a transaction stores it.
package struct SnapshotCommit {
    package var documentID: Int64
    package var name: String
    package var blob: [UInt8]
    package var stateBytes: Int
    package var digest: String
    package var byteCount: UInt64
    package var tokenCount: UInt64
    package var retained: Int
    /// Damaged snapshots found on opening, deleted in the same transaction.
    package var discarding: [Int64]
    package var fence: Fence?
    package var leaseDuration: Duration = LeaseHolder.defaultDuration
    package var createdAt: Double
}

extension StoreReading {
    package func documentHeader(named name: String) throws -> DocumentInfo? { try document(named: name) }

    /// One document; `unknownDocument` if none has the name.
    package func requireDocument(named name: String) throws -> DocumentInfo {
        guard let document = try document(named: name) else { throw MoMStore.unknownDocument(name) }
        return document
    }
}

extension MoMStore {
    /// The refusal of a document created again with another configuration.
    static func configurationMismatch(_ document: DocumentInfo, asked configuration: MoMConfiguration) -> StoreError {
        StoreError(
            .configurationMismatch,
            "document '\(document.name)' exists with configuration \(document.configuration.fingerprintHex), not \(configuration.fingerprintHex): drop the memory-model options, or use another name"
        )
    }

    /// Why a guarded write found the document not where the session left it.
    package static func lostDocument(name: String, exists: Bool) -> StoreError {
        guard exists else {
            return StoreError(.unknownDocument, "document '\(name)' was deleted while it was being written")
        }
        return StoreError(
            .concurrentWrite,
            "document '\(name)' was changed by another writer (another momd ingest, or the daemon): nothing was stored; retry when it is done"
        )
    }
}
