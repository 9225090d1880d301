import Foundation
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
            try backend.read { db in try Self.load(db, document: try db.requireDocument(named: name), at: selector) }
        }
    }

    /// Loads the selected state of a document whole.
    static func load(_ db: any StoreReading, document: DocumentInfo, at selector: StateSelector) throws -> LoadedState {
        let name = document.name
        switch selector {
        case .current:
            return try Self.restoreCurrent(db, document: document)
        case .atOrBefore(let tokens) where tokens >= document.tokenCount:
            return try Self.restoreCurrent(db, document: document)
        case .atOrBefore(let tokens):
            let rows = try db.snapshotRows(documentID: document.id).filter { $0.tokenCount <= Int64(tokens) }
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
            guard let row = try db.snapshotRows(documentID: document.id).first(where: { $0.id == id }) else {
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
    static func restoreCurrent(_ db: any StoreReading, document: DocumentInfo) throws -> LoadedState {
        let rows = try db.snapshotRows(documentID: document.id)
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
    static func newestValid(_ db: any StoreReading, document: DocumentInfo, rows: [SnapshotRow]) throws -> SnapshotSearch {
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
    static func decodeSnapshot(_ db: any StoreReading, row: SnapshotRow, document: DocumentInfo) throws -> MoMState {
        func damaged(_ reason: String) -> StoreError {
            StoreError(.corruptData, "snapshot \(row.id) of '\(document.name)' is damaged: \(reason)")
        }
        guard let blob = try db.snapshotBlob(id: row.id) else { throw damaged("its blob is missing") }
        let bytes: [UInt8]
        do {
            bytes = try blob.all().withUnsafeBytes { try SnapshotContainer.decompress($0, stateBytes: Int(row.stateBytes)) }
        } catch let error as StoreError {
            throw damaged(error.message)
        }
        // The digest covers every byte the state's own checksum covers, and the checksum too, so
        // the checksum is not hashed a second time; the decode's other checks come first, for
        // their clearer reasons (another configuration's state, an unknown version).
        let state: MoMState
        do {
            state = try MoMState(decoding: bytes, expecting: document.configuration, verifyingChecksum: false)
        } catch let error as MoMError {
            throw damaged(error.message)
        }
        guard StableHash.hexDigest(bytes) == row.digest else { throw damaged("its digest is not the recorded \(row.digest)") }
        guard state.byteCount == UInt64(row.byteCount), state.tokenCount == UInt64(row.tokenCount) else {
            throw damaged("it holds byte \(state.byteCount), token \(state.tokenCount) where its row says byte \(row.byteCount), token \(row.tokenCount)")
        }
        return state
    }

    /// Folds the journal from the state's byte offset to the document's acknowledged end.
    static func replayJournal(_ db: any StoreReading, document: DocumentInfo, into state: inout MoMState) throws {
        let end = document.byteCount
        guard state.byteCount < end else {
            guard state.byteCount == end else {
                throw StoreError(.corruptData, "document '\(document.name)' has a snapshot past its acknowledged end")
            }
            return
        }
        try db.journal(documentID: document.id, endingAfter: state.byteCount) { entry in
            let position = state.byteCount
            guard entry.start <= position else { return false }  // a gap: reported below
            let (start, stop) = (entry.start, entry.end)
            guard let frame = entry.frame else {
                throw StoreError(.corruptData, "journal bytes \(start)..<\(stop) of '\(document.name)' are missing")
            }
            let bytes: [UInt8]
            do {
                bytes = try frame.withUnsafeBytes { try LZ4Frame.decompress($0, expectedSize: Int(stop - start)) }
            } catch let error as StoreError {
                throw StoreError(
                    .corruptData, "journal bytes \(start)..<\(stop) of '\(document.name)' are damaged: \(error.message)")
            }
            bytes.withUnsafeBytes { state.fold(UnsafeRawBufferPointer(rebasing: $0[Int(position - start)...])) }
            return true
        }
        guard state.byteCount == end else {
            throw StoreError(
                .corruptData,
                "document '\(document.name)' cannot be restored: no valid snapshot and journal cover bytes \(state.byteCount)..<\(end)"
            )
        }
    }
}
