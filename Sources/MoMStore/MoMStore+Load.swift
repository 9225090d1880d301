import Foundation
import GRDB
import MoMCore

/// Which state of a document to load.
public enum StateSelector: Sendable, Equatable {
    /// The acknowledged state: the newest valid snapshot plus the journal after it.
    case current
    /// One kept snapshot, by id.
    case snapshot(id: Int64)
    /// The newest valid kept snapshot at or before this many tokens (the current state if the
    /// document holds no more tokens than that).
    case atOrBefore(tokens: UInt64)
}

/// A document's state as loaded, with where it came from.
public struct LoadedState: Sendable {
    public var document: DocumentInfo
    public var state: MoMState
    /// The snapshot the state was restored from, nil if it was rebuilt from the journal alone.
    public var snapshot: SnapshotInfo?
    /// Journal bytes folded on top of the snapshot.
    public var replayedBytes: UInt64
    /// Damaged snapshots skipped on the way, each said in a warning.
    public var damagedSnapshotIDs: [Int64]
    public var warnings: [StoreWarning]
}

extension MoMStore {
    /// Loads a document's state, all or nothing: every snapshot and journal entry used passes its
    /// LZ4 block and content checksums, the state's own checksum, its version and its configuration
    /// fingerprint, and the result holds exactly the acknowledged bytes and tokens.
    ///
    /// A damaged snapshot is skipped for the one before it plus the journal (a warning says so).
    /// Never a silently wrong state: when nothing valid covers the document it throws
    /// `corruptData`.
    public func loadState(of name: String, at selector: StateSelector = .current) throws -> LoadedState {
        try DocumentName.validate(name)
        return try Self.mapErrors {
            try writer.read { db in try Self.load(db, document: try Self.fetchDocument(db, named: name), at: selector) }
        }
    }

    /// Loads the selected state of a document whole.
    static func load(_ db: Database, document: DocumentInfo, at selector: StateSelector) throws -> LoadedState {
        let name = document.name
        switch selector {
        case .current:
            return try Self.restoreCurrent(db, document: document)
        case .atOrBefore(let tokens) where tokens >= document.tokenCount:
            return try Self.restoreCurrent(db, document: document)
        case .atOrBefore(let tokens):
            let rows = try Self.snapshotRows(db, documentID: document.id).filter { $0.tokenCount <= Int64(tokens) }
            let found = try Self.newestValid(db, document: document, rows: rows)
            guard let state = found.state, let row = found.row else {
                throw StoreError(
                    .unknownSnapshot,
                    "document '\(name)' keeps no valid snapshot at or before token \(tokens); `momd show \(name)` lists the kept ones"
                )
            }
            return LoadedState(
                document: document, state: state, snapshot: row.info, replayedBytes: 0,
                damagedSnapshotIDs: found.damaged.map(\.row.id), warnings: found.warnings(document))
        case .snapshot(let id):
            guard let row = try Self.snapshotRows(db, documentID: document.id).first(where: { $0.id == id }) else {
                throw StoreError(.unknownSnapshot, "document '\(name)' has no snapshot \(id); `momd show \(name)` lists the kept ones")
            }
            let state = try Self.decodeSnapshot(db, row: row, document: document)
            return LoadedState(
                document: document, state: state, snapshot: row.info, replayedBytes: 0, damagedSnapshotIDs: [],
                warnings: [])
        }
    }

    // MARK: Restore

    /// The newest valid snapshot plus the journal after it.
    static func restoreCurrent(_ db: Database, document: DocumentInfo) throws -> LoadedState {
        let rows = try snapshotRows(db, documentID: document.id)
        let found = try newestValid(db, document: document, rows: rows)
        var state: MoMState
        if let restored = found.state {
            state = restored
        } else {
            state = try MoMState(configuration: document.configuration)
        }
        let base = state.byteCount
        do {
            try replayJournal(db, document: document, into: &state)
        } catch let error as StoreError where error.code == .corruptData && !found.damaged.isEmpty {
            let skipped = found.damaged.map { "snapshot \($0.row.id) (\($0.error.message))" }.joined(separator: "; ")
            throw StoreError(.corruptData, "\(error.message); damaged: \(skipped)")
        }
        _ = state.drainRoutingChunks()  // already stored when these bytes were acknowledged
        guard state.tokenCount == document.tokenCount else {
            throw StoreError(
                .corruptData,
                "document '\(document.name)' restores to \(state.tokenCount) tokens but \(document.tokenCount) were acknowledged; refusing a wrong state"
            )
        }
        return LoadedState(
            document: document, state: state, snapshot: found.row?.info, replayedBytes: state.byteCount - base,
            damagedSnapshotIDs: found.damaged.map(\.row.id), warnings: found.warnings(document))
    }

    /// The outcome of trying snapshots newest first: the first valid one and the damaged ones
    /// skipped on the way.
    struct SnapshotSearch {
        var state: MoMState?
        var row: SnapshotRow?
        var damaged: [(row: SnapshotRow, error: StoreError)] = []

        func warnings(_ document: DocumentInfo) -> [StoreWarning] {
            let fallback = row.map { "snapshot \($0.id) (byte \($0.byteCount))" } ?? "the start of the document"
            return damaged.map { skipped in
                StoreWarning(
                    "snapshot \(skipped.row.id) of '\(document.name)' (byte \(skipped.row.byteCount), token \(skipped.row.tokenCount)) was skipped: \(skipped.error.message); restored from \(fallback) plus the journal"
                )
            }
        }
    }

    /// Tries `rows` (newest first) until one decodes.
    static func newestValid(_ db: Database, document: DocumentInfo, rows: [SnapshotRow]) throws -> SnapshotSearch {
        var search = SnapshotSearch()
        for row in rows {
            do {
                search.state = try decodeSnapshot(db, row: row, document: document)
                search.row = row
                return search
            } catch let error as StoreError where error.code == .corruptData {
                search.damaged.append((row, error))
            }
        }
        return search
    }

    /// Decompresses and decodes one snapshot, checking it against its row and its document.
    static func decodeSnapshot(_ db: Database, row: SnapshotRow, document: DocumentInfo) throws -> MoMState {
        func damaged(_ reason: String) -> StoreError {
            StoreError(.corruptData, "snapshot \(row.id) of '\(document.name)' is damaged: \(reason)")
        }
        guard let blob = try Data.fetchOne(db, sql: "SELECT state FROM snapshot WHERE id = ?", arguments: [row.id]) else {
            throw damaged("its blob is missing")
        }
        let bytes: [UInt8]
        let state: MoMState
        do {
            bytes = try blob.withUnsafeBytes { try SnapshotContainer.decompress($0, stateBytes: Int(row.stateBytes)) }
            state = try MoMState(decoding: bytes, expecting: document.configuration)
        } catch let error as StoreError {
            throw damaged(error.message)
        } catch let error as MoMError {
            throw damaged(error.message)
        }
        guard state.byteCount == UInt64(row.byteCount), state.tokenCount == UInt64(row.tokenCount) else {
            throw damaged("it holds byte \(state.byteCount), token \(state.tokenCount) where its row says byte \(row.byteCount), token \(row.tokenCount)")
        }
        guard StableHash.hexDigest(bytes) == row.digest else { throw damaged("its digest is not the recorded \(row.digest)") }
        return state
    }

    /// Folds the journal from the state's byte offset to the document's acknowledged end.
    static func replayJournal(_ db: Database, document: DocumentInfo, into state: inout MoMState) throws {
        let end = document.byteCount
        guard state.byteCount < end else {
            guard state.byteCount == end else {
                throw StoreError(.corruptData, "document '\(document.name)' has a snapshot past its acknowledged end")
            }
            return
        }
        let rows = try Row.fetchCursor(
            db,
            sql: "SELECT start_offset, end_offset, data FROM journal WHERE document_id = ? AND end_offset > ? ORDER BY start_offset",
            arguments: [document.id, Int64(state.byteCount)])
        while let row = try rows.next() {
            let start = UInt64(row["start_offset"] as Int64)
            let stop = UInt64(row["end_offset"] as Int64)
            let position = state.byteCount
            guard start <= position else { break }  // a gap: reported below
            let bytes = try row.withUnsafeData(named: "data") { data -> [UInt8] in
                guard let data else {
                    throw StoreError(.corruptData, "journal bytes \(start)..<\(stop) of '\(document.name)' are missing")
                }
                do {
                    return try data.withUnsafeBytes { try LZ4Frame.decompress($0, expectedSize: Int(stop - start)) }
                } catch let error as StoreError {
                    throw StoreError(
                        .corruptData, "journal bytes \(start)..<\(stop) of '\(document.name)' are damaged: \(error.message)")
                }
            }
            bytes.withUnsafeBytes { state.fold(UnsafeRawBufferPointer(rebasing: $0[Int(position - start)...])) }
        }
        guard state.byteCount == end else {
            throw StoreError(
                .corruptData,
                "document '\(document.name)' cannot be restored: no valid snapshot and journal cover bytes \(state.byteCount)..<\(end)"
            )
        }
    }
}
