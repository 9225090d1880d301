import Foundation
import MoMCore

/// One document open for writing: it owns the document's `MoMState` and is its only write path.
///
/// Every append folds the bytes and then, in one transaction, stores them in the journal
/// (LZ4-compressed, with their byte offsets), stores the routing chunks they completed (and,
/// when the session records them, their tokens' routes) and moves the document's acknowledged
/// offset. That commit is the acknowledgment: after a crash at any
/// instant, opening the document again gives the state an uninterrupted run reaches at the
/// same offset, bit for bit. Snapshots are a separate step (`snapshotIfDue()`), so a caller can
/// acknowledge its client before spending time on one.
///
/// A value type with one owner (the CLI's command, or the daemon's actor of that document).
/// Each transaction checks the document's offset, so a second writer of the same document is
/// refused with `concurrentWrite` instead of interleaving.
public struct DocumentSession: Sendable {
    public let store: MoMStore
    public let documentID: Int64
    public let name: String
    public let configuration: MoMConfiguration
    public var policy: SnapshotPolicy
    /// The state: everything acknowledged, and nothing else (a refused append is rolled back by
    /// restoring from the database).
    public private(set) var state: MoMState
    /// Whether each append also stores its tokens' routes (`token_route`): see
    /// `startRecordingTokenRoutes()`.
    public private(set) var recordsTokenRoutes = false
    /// Who this session writes as, in a store that keeps leases (PostgreSQL); ignored by one
    /// that does not (SQLite).
    public var leaseHolder: LeaseHolder
    /// The lease this session writes under, once it has written: every commit carries its
    /// fencing token and is refused once another writer holds the document.
    public private(set) var fence: Fence?
    /// When the lease is renewed next (a third of its duration after it was last taken).
    var leaseRenewal: ContinuousClock.Instant?
    /// What opening the document worked around (damaged snapshots skipped).
    public let warnings: [StoreWarning]
    /// Snapshots this session has written, and the time it spent writing them.
    public private(set) var snapshotsWritten = 0
    public private(set) var snapshotDuration: Duration = .zero
    /// Time this session spent folding, and committing appends (compression and SQLite).
    public private(set) var foldDuration: Duration = .zero
    public private(set) var commitDuration: Duration = .zero

    var lastSnapshotOffset: UInt64?
    var lastSnapshotTokens: UInt64
    var lastSnapshotTime: ContinuousClock.Instant
    /// Damaged snapshots found on opening, deleted with the next snapshot.
    var damagedSnapshotIDs: [Int64]
    /// Set while the state may be ahead of the database (a fold whose commit failed).
    var needsReload = false

    init(store: MoMStore, loaded: LoadedState, policy: SnapshotPolicy, leaseHolder: LeaseHolder) {
        self.store = store
        self.leaseHolder = leaseHolder
        documentID = loaded.document.id
        name = loaded.document.name
        configuration = loaded.document.configuration
        self.policy = policy
        state = loaded.state
        warnings = loaded.warnings
        lastSnapshotOffset = loaded.snapshot?.byteCount
        lastSnapshotTokens = loaded.snapshot?.tokenCount ?? 0
        lastSnapshotTime = .now
        damagedSnapshotIDs = loaded.damagedSnapshotIDs
    }

    /// Bytes acknowledged: the end of the document.
    public var committedOffset: UInt64 { state.byteCount }

    /// Whether the state holds bytes no snapshot covers yet.
    public var isDirty: Bool { lastSnapshotOffset != state.byteCount && state.byteCount > 0 }

    // MARK: Appending

    /// What an append acknowledged.
    public struct Acknowledgment: Sendable, Equatable {
        /// The document's end after the append: every byte before it is durable.
        public var committedOffset: UInt64
        public var tokenCount: UInt64
    }

    /// Folds and durably stores the next bytes of the document; returns once they are committed.
    @discardableResult
    public mutating func append(_ bytes: UnsafeRawBufferPointer) throws -> Acknowledgment {
        try claim()
        guard bytes.count > 0 else { return acknowledgment }
        let clock = ContinuousClock()
        let started = clock.now
        let start = state.byteCount
        needsReload = true
        state.fold(bytes)
        let chunks = state.drainRoutingChunks()
        let routes = state.drainTokenRoutes()
        let folded = clock.now
        do {
            // A fold longer than a third of the lease renews it before committing.
            if store.keepsLeases { try renewLease() }
            try store.commitAppend(
                documentID: documentID, name: name, from: start, to: state.byteCount, tokenCount: state.tokenCount,
                frame: LZ4Frame.compress(bytes), chunks: chunks, routes: routes, fence: fence,
                leaseDuration: leaseHolder.duration)
        } catch {
            try? reloadIfNeeded()  // back to what the database acknowledged; if that fails too, the next call retries
            throw error
        }
        needsReload = false
        if fence != nil { leaseRenewal = folded + leaseHolder.duration / 3 }  // the commit renewed it
        foldDuration += folded - started
        commitDuration += clock.now - folded
        return acknowledgment
    }

    /// What is acknowledged now.
    public var acknowledgment: Acknowledgment {
        Acknowledgment(committedOffset: committedOffset, tokenCount: state.tokenCount)
    }

    /// Folds and stores a byte array.
    @discardableResult
    public mutating func append(_ bytes: [UInt8]) throws -> Acknowledgment {
        try bytes.withUnsafeBytes { try append($0) }
    }

    /// Appends bytes that begin at `offset` of the document's stream, so a client can retry
    /// after a lost acknowledgment: bytes before the committed offset are skipped (they are
    /// already held), a gap is refused.
    ///
    /// Unless `allowingBinary`, the new bytes are screened first (`BinaryDetector`): when they
    /// hold binary data, the text before it is folded and committed, and nothing from there on.
    ///
    /// - Throws: `offsetMismatch` if `offset` is past the committed offset; `binaryData`, after
    ///   committing the text before it, naming the offset where the refused bytes begin.
    @discardableResult
    public mutating func append(_ bytes: UnsafeRawBufferPointer, at offset: UInt64, allowingBinary: Bool = false) throws
        -> Acknowledgment
    {
        try claim()
        guard offset <= committedOffset else {
            throw StoreError(
                .offsetMismatch,
                "append to '\(name)' at byte \(offset), but the document ends at byte \(committedOffset): resend from there")
        }
        let held = committedOffset - offset
        guard held < UInt64(bytes.count) else { return acknowledgment }
        let new = UnsafeRawBufferPointer(rebasing: bytes[Int(held)...])
        if !allowingBinary, let finding = BinaryDetector.firstBinary(in: new, documentOffset: committedOffset) {
            let start = committedOffset
            if finding.refusedFrom > 0 { try append(UnsafeRawBufferPointer(rebasing: new[..<finding.refusedFrom])) }
            throw Self.binaryRefusal(name: name, finding: finding, chunkOffset: start)
        }
        return try append(new)
    }

    /// The one-line refusal of binary input, the same embedded and through the daemon.
    static func binaryRefusal(name: String, finding: BinaryDetector.Finding, chunkOffset: UInt64) -> StoreError {
        let refused = chunkOffset + UInt64(finding.refusedFrom)
        let evidence = chunkOffset + UInt64(finding.evidenceIndex)
        let why: String
        switch finding.evidence {
        case .nulByte: why = "a NUL byte at \(evidence)"
        case .nonText(let count, let length):
            why = "\(count) of the \(length) bytes around byte \(evidence) are not text"
        }
        return StoreError(
            .binaryData,
            "'\(name)': binary data from byte \(refused) (\(why)): the bytes before it are kept, nothing from there on was folded; ingest with --allow-binary to fold it anyway"
        )
    }

    // MARK: Per-token routes

    /// Makes every later append store its tokens' routes too (the `token_route` table, read
    /// back with `MoMStore.tokenRoutes(of:from:limit:)`), in the same transaction that
    /// acknowledges the bytes. Tokens appended before, or by a session that does not record,
    /// have no stored route.
    ///
    /// - Throws: `invalidArgument` if the document has more than 255 routed memories.
    public mutating func startRecordingTokenRoutes() throws {
        try reloadIfNeeded()
        guard configuration.memories <= TokenRoutes.maxMemories else {
            throw Self.tooManyMemoriesForRoutes(name: name, memories: configuration.memories)
        }
        try state.startRecordingTokenRoutes()
        recordsTokenRoutes = true
    }

    static func tooManyMemoriesForRoutes(name: String, memories: Int) -> StoreError {
        StoreError(
            .invalidArgument,
            "document '\(name)' has \(memories) memories: per-token routes can be recorded for at most \(TokenRoutes.maxMemories); ingest without recording them"
        )
    }

    /// Stops storing per-token routes from the next append on.
    public mutating func stopRecordingTokenRoutes() {
        state.stopRecordingTokenRoutes()
        recordsTokenRoutes = false
    }

    // MARK: Snapshots

    /// Whether the policy asks for a snapshot now.
    public var isSnapshotDue: Bool {
        guard isDirty else { return false }
        if state.tokenCount - lastSnapshotTokens >= policy.everyTokens { return true }
        let elapsed = ContinuousClock.now - lastSnapshotTime
        return elapsed >= .milliseconds(Int64(policy.everySeconds * 1000))
    }

    /// Writes a snapshot if the policy asks for one.
    @discardableResult
    public mutating func snapshotIfDue() throws -> SnapshotInfo? {
        isSnapshotDue ? try snapshot() : nil
    }

    /// Stores the state as a snapshot now, drops the snapshots past the policy's count and the
    /// journal the oldest kept one covers, all in one transaction.
    @discardableResult
    public mutating func snapshot() throws -> SnapshotInfo {
        try claim()
        let clock = ContinuousClock()
        let started = clock.now
        let (encoded, digest) = state.encodedWithDigest()
        if store.keepsLeases { try renewLease() }
        let info = try store.commitSnapshot(
            documentID: documentID, name: name, encoded: encoded, digest: digest, byteCount: state.byteCount,
            tokenCount: state.tokenCount, retained: policy.retained, discarding: damagedSnapshotIDs, fence: fence,
            leaseDuration: leaseHolder.duration)
        damagedSnapshotIDs = []
        lastSnapshotOffset = state.byteCount
        lastSnapshotTokens = state.tokenCount
        lastSnapshotTime = clock.now
        snapshotsWritten += 1
        snapshotDuration += clock.now - started
        return info
    }

    /// Snapshots the state if anything is not yet in a snapshot. Call it when done writing.
    @discardableResult
    public mutating func close() throws -> SnapshotInfo? {
        guard isDirty || needsReload else { return nil }
        try claim()
        return isDirty ? try snapshot() : nil
    }

    // MARK: Leases

    /// Makes the session ready to write: in a store that keeps leases, takes or renews the
    /// document's lease (and, if another writer held it since, reloads the state it left);
    /// then goes back to the acknowledged state if a commit failed.
    ///
    /// - Throws: `leaseHeld`, with the holder, if another writer's lease has not expired.
    public mutating func claim() throws {
        if store.keepsLeases { try renewLease() }
        try reloadIfNeeded()
    }

    mutating func renewLease() throws {
        let asked = ContinuousClock.now
        if fence != nil, let leaseRenewal, asked < leaseRenewal { return }
        let attempt = try store.acquireLease(
            of: name, owner: leaseHolder.owner, address: leaseHolder.address, duration: leaseHolder.duration)
        switch attempt {
        case .acquired(let lease):
            if lease.fence != fence {
                // A new lease: another writer may have written since this state was loaded.
                let stored = try store.position(of: name)
                if stored.id != documentID || stored.byteCount != committedOffset { needsReload = true }
            }
            fence = lease.fence
            leaseRenewal = asked + leaseHolder.duration / 3
        case .heldBy(let lease):
            fence = nil
            leaseRenewal = nil
            let left = max(0, lease.expiresAt.timeIntervalSinceNow)
            let place = lease.address.isEmpty ? "" : " at \(lease.address)"
            throw StoreError(
                .leaseHeld,
                "document '\(name)' is being written by \(lease.owner)\(place) (\(lease.fence), \(String(format: "%.1f", left)) s left on its lease): send the write there, or retry once the lease lapses",
                holder: lease)
        }
    }

    /// Gives the lease up, so another writer can take the document at once (call after
    /// `close()`). A no-op if the session holds none.
    public mutating func releaseLease() throws {
        guard let fence else { return }
        self.fence = nil
        leaseRenewal = nil
        try store.releaseLease(of: name, fence: fence)
    }

    /// Reloads the state if another writer moved the document (a store many daemons share);
    /// returns whether it did. For readers that keep a state between reads.
    @discardableResult
    public mutating func refreshIfBehind() throws -> Bool {
        let stored = try store.position(of: name)
        guard stored.id != documentID || stored.byteCount != committedOffset else { return false }
        needsReload = true
        try reloadIfNeeded()
        return true
    }

    /// After a failed commit, goes back to what the database acknowledged.
    mutating func reloadIfNeeded() throws {
        guard needsReload else { return }
        let loaded = try store.loadState(of: name)
        guard loaded.document.id == documentID else { throw MoMStore.unknownDocument(name) }
        var state = loaded.state
        // The reloaded state is the acknowledged one, so recording goes on from its end.
        if recordsTokenRoutes { try state.startRecordingTokenRoutes() }
        self.state = state
        needsReload = false
    }
}

// MARK: Opening

extension MoMStore {
    /// Opens a document for writing: restores its newest valid snapshot and replays the journal.
    ///
    /// - Parameters:
    ///   - configuration: for a new document, its configuration (`.default` if nil); for an
    ///     existing one, if given, it must be the stored one.
    ///   - createIfMissing: if false, a missing document throws `unknownDocument`.
    ///   - recordsTokenRoutes: whether appends also store each token's route
    ///     (`DocumentSession.startRecordingTokenRoutes()`).
    /// - Throws: `configurationMismatch`, `unknownDocument`, `corruptData` when nothing valid
    ///   covers the acknowledged bytes, `invalidArgument` when recording routes for more than
    ///   255 memories.
    public func openSession(
        named name: String, configuration: MoMConfiguration? = nil, createIfMissing: Bool = true,
        policy: SnapshotPolicy = .default, recordsTokenRoutes: Bool = false, leaseHolder: LeaseHolder = .thisProcess
    ) throws -> DocumentSession {
        try DocumentName.validate(name)
        try policy.validate()
        if recordsTokenRoutes, let configuration, configuration.memories > TokenRoutes.maxMemories {
            // Refused before a new document is created for nothing.
            throw DocumentSession.tooManyMemoriesForRoutes(name: name, memories: configuration.memories)
        }
        let exists = try Self.mapErrors { try backend.read { try $0.position(named: name) != nil } }
        if !exists || configuration != nil {
            guard exists || createIfMissing else { throw Self.unknownDocument(name) }
            try createDocument(named: name, configuration: configuration ?? .default)
        }
        var session = DocumentSession(store: self, loaded: try loadState(of: name), policy: policy, leaseHolder: leaseHolder)
        if recordsTokenRoutes { try session.startRecordingTokenRoutes() }
        return session
    }

    // MARK: Write transactions

    /// Journals one append, stores its routing chunks and token routes, and moves the document's offset.
    func commitAppend(
        documentID: Int64, name: String, from start: UInt64, to end: UInt64, tokenCount: UInt64, frame: [UInt8],
        chunks: [RoutingChunk], routes: TokenRoutes? = nil, fence: Fence? = nil,
        leaseDuration: Duration = LeaseHolder.defaultDuration
    ) throws {
        let append = AppendCommit(
            documentID: documentID, name: name, start: start, end: end, tokenCount: tokenCount, frame: frame, chunks: chunks,
            routes: routes.map { TokenRouteRecord(documentID: documentID, routes: $0) }, fence: fence, leaseDuration: leaseDuration)
        try Self.mapErrors { try backend.commitAppend(append) }
    }

    /// Stores a snapshot; drops snapshots past `retained` and the journal the oldest kept covers.
    func commitSnapshot(
        documentID: Int64, name: String, encoded: [UInt8], digest: String, byteCount: UInt64, tokenCount: UInt64, retained: Int,
        discarding damaged: [Int64], fence: Fence? = nil, leaseDuration: Duration = LeaseHolder.defaultDuration
    ) throws -> SnapshotInfo {
        let snapshot = SnapshotCommit(
            documentID: documentID, name: name, blob: SnapshotContainer.compress(encoded), stateBytes: encoded.count,
            digest: digest, byteCount: byteCount, tokenCount: tokenCount, retained: retained,
            discarding: damaged, fence: fence, leaseDuration: leaseDuration, createdAt: Date().timeIntervalSince1970)
        return try Self.mapErrors { try backend.commitSnapshot(snapshot) }
    }
}
