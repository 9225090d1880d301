import Foundation
import MoMCore

/// What a function of a document's state gave, and where the state came from.
public struct StateRead<Value> {
    public var value: Value
    /// The document read (its storage statistics are not summed: zero).
    public var document: DocumentInfo
    /// Tokens of the state read.
    public var tokenCount: UInt64
    /// Memories decompressed for the read; all of them when the state was loaded whole.
    public var memoriesLoaded: Int
    /// Whether the state was loaded whole (a journal to replay, a snapshot in the old one-frame
    /// blob, or a damaged one) rather than piece by piece.
    public var loadedWhole: Bool
    /// Whether the state came from a kept image (`StateImageCache`) rather than the database.
    public var fromImage = false
    /// Damaged snapshots skipped on the way, each said in a warning.
    public var warnings: [StoreWarning]
}

extension StateRead: Sendable where Value: Sendable {}

extension MoMStore {
    /// Runs `body` on the selected state of a document, decompressing only what it reads: the
    /// snapshot's prefix and suffix (header, configuration, vocabulary, counters), then each
    /// memory the first time a read asks for it.
    ///
    /// `body` may run more than once: a run that asks for a memory not yet in place is discarded,
    /// the memories it asked for are loaded (after `incrementalRuns` such runs, every memory left)
    /// and `body` runs again, so it must be a pure function of the state (reads are). The value
    /// returned is the one the whole state gives. When the state needs a journal replayed, or a
    /// piece fails its checks, the state is loaded whole as `loadState` does (with its fallback to
    /// an older snapshot and its warnings).
    ///
    /// With an `imageCache`, a snapshot read before is read from its image (one file, no LZ4),
    /// and a snapshot read on demand leaves an image for the next read.
    public func read<Value>(
        _ name: String, at selector: StateSelector = .current, _ body: (MoMState) throws -> Value
    ) throws -> StateRead<Value> {
        try DocumentName.validate(name)
        return try Self.mapErrors {
            try backend.read { db in
                guard let document = try db.documentHeader(named: name) else { throw Self.unknownDocument(name) }
                let row = try Self.standaloneSnapshot(db, document: document, at: selector)
                if let row, let imageCache, let state = imageCache.state(document: document, row: row) {
                    return StateRead(
                        value: try body(state), document: document, tokenCount: state.tokenCount,
                        memoriesLoaded: state.memoryBank.count, loadedWhole: false, fromImage: true, warnings: [])
                }
                if let row, var pieces = try? OnDemandSnapshot(db, row: row, document: document) {
                    var runs = 0
                    while true {
                        let (value, misses) = try pieces.state.recordingMisses(body)
                        if misses.isEmpty {
                            let loaded = pieces.memoriesLoaded
                            // The next cold read of this snapshot reads one file instead. Only
                            // the current state is kept: a document keeps one image, and an ask
                            // of an older state should not push out the one asked most.
                            if let imageCache, case .current = selector, (try? pieces.load(pieces.state.absentMemories)) != nil {
                                imageCache.keep(pieces.state, document: document, row: row)
                            }
                            return StateRead(
                                value: value, document: document, tokenCount: pieces.state.tokenCount,
                                memoriesLoaded: loaded, loadedWhole: false, warnings: [])
                        }
                        runs += 1
                        do {
                            // A short read finds its few memories in a run or four. One that still
                            // misses after that is a long decode (each step routes anew, and a run
                            // past a miss reads on with nothing there): the rest come in at once
                            // rather than one run each.
                            try pieces.load(runs < Self.incrementalRuns ? misses : pieces.state.absentMemories)
                        } catch {
                            break  // damaged: the whole load below finds it again and falls back
                        }
                    }
                }
                let loaded = try Self.load(db, document: document, at: selector)
                return StateRead(
                    value: try body(loaded.state), document: document, tokenCount: loaded.state.tokenCount,
                    memoriesLoaded: loaded.state.memoryBank.count, loadedWhole: true, warnings: loaded.warnings)
            }
        }
    }

    /// Runs of a read on demand that load only the memories they missed; after them, a run that
    /// misses loads every memory left.
    static let incrementalRuns = 4

    /// The snapshot that is the selected state by itself (no journal after it), if any.
    static func standaloneSnapshot(_ db: any StoreReading, document: DocumentInfo, at selector: StateSelector) throws -> SnapshotRow? {
        let rows = try db.snapshotRows(documentID: document.id)
        switch selector {
        case .current:
            return rows.first.flatMap { $0.byteCount == Int64(document.byteCount) ? $0 : nil }
        case .atOrBefore(let tokens) where tokens >= document.tokenCount:
            return rows.first.flatMap { $0.byteCount == Int64(document.byteCount) ? $0 : nil }
        case .atOrBefore(let tokens):
            return rows.first { $0.tokenCount <= Int64(tokens) }
        case .snapshot(let id):
            return rows.first { $0.id == id }
        }
    }
}

/// A snapshot opened piece by piece: its prefix and suffix decoded, memories loaded on demand.
struct OnDemandSnapshot {
    let blob: any SnapshotBytes
    let frames: [Range<Int>]
    let layout: StateLayout
    var state: MoMState
    var memoriesLoaded = 0

    /// Opens the pieces of a snapshot; throws for a blob of one frame (the old layout) and for
    /// any damage found in the frames it reads.
    init(_ db: any StoreReading, row: SnapshotRow, document: DocumentInfo) throws {
        guard let blob = try db.snapshotBlob(id: row.id) else { throw StoreError(.corruptData, "its blob is missing") }
        self.blob = blob
        frames = try blob.frames()
        guard frames.count > 2 else { throw StoreError(.corruptData, "the blob is one frame: it is read whole") }
        let prefix = try blob.read(frames[0].lowerBound, frames[0].count).withUnsafeBytes {
            try LZ4Frame.decompress($0, limit: Int(row.stateBytes))
        }
        guard let layout = StateLayout(header: prefix, totalLength: Int(row.stateBytes)), prefix.count == layout.prefixLength,
            frames.count == layout.pieces.count
        else {
            throw StoreError(.corruptData, "its frames do not match the state's layout")
        }
        self.layout = layout
        let suffix = try blob.decompress(frames[frames.count - 1], expectedSize: layout.totalLength - layout.suffixStart)
        state = try MoMState(decodingPrefix: prefix, suffix: suffix, expecting: document.configuration)
        guard state.byteCount == UInt64(row.byteCount), state.tokenCount == UInt64(row.tokenCount) else {
            throw StoreError(.corruptData, "it holds other offsets than its row")
        }
    }

    /// Decompresses the planes of each memory and puts it in place.
    mutating func load(_ memories: [Int]) throws {
        let values = layout.valuesPerMemory
        for memory in memories {
            var planes = [UInt8]()
            planes.reserveCapacity(layout.planeCount * values)
            for plane in 0..<layout.planeCount {
                planes += try blob.decompress(frames[layout.pieceIndex(plane: plane, of: memory)], expectedSize: values)
            }
            try planes.withUnsafeBytes { try state.install(memory: memory, planes: $0) }
            memoriesLoaded += 1
        }
    }
}

extension MoMStore {
    /// The stored blob of a snapshot and its encoded length, as they are in the database (for
    /// measuring what a load costs, step by step).
    public func snapshotBlob(of name: String, id: Int64) throws -> (blob: [UInt8], stateBytes: Int) {
        try DocumentName.validate(name)
        return try Self.mapErrors {
            try backend.read { db in
                let document = try db.requireDocument(named: name)
                guard let row = try db.snapshotRows(documentID: document.id).first(where: { $0.id == id }),
                    let blob = try db.snapshotBlob(id: id)
                else {
                    throw StoreError(.unknownSnapshot, "document '\(name)' has no snapshot \(id)")
                }
                return (try blob.all(), Int(row.stateBytes))
            }
        }
    }
}
