import Foundation
import Logging
import MoMAPI
import MoMAsk
import MoMCore
import MoMStore

/// The one owner of a document's hot state in the daemon: folds of the document are serial,
/// different documents' actors run in parallel.
public actor DocumentActor {
    public nonisolated let name: String
    var session: DocumentSession
    /// Set while an ingest request streams into the document, so two streams never interleave.
    var isIngesting = false

    init(session: DocumentSession) {
        name = session.name
        self.session = session
    }

    var committedOffset: UInt64 { session.committedOffset }
    var tokenCount: UInt64 { session.state.tokenCount }

    /// Claims the document for one ingest stream.
    func beginIngest() throws {
        guard !isIngesting else {
            throw APIError(
                .conflict, code: "ingest_in_progress",
                "another ingest into '\(name)' is streaming: wait for it, or resume from its committed offset")
        }
        isIngesting = true
    }

    func endIngest() {
        isIngesting = false
    }

    /// Folds and commits bytes that begin at `offset` of the document (the end if nil); binary
    /// data is refused unless `allowingBinary`; then snapshots the document if the policy asks
    /// for one. Returns the acknowledgment and the seconds spent writing snapshots.
    func append(_ bytes: [UInt8], at offset: UInt64?, allowingBinary: Bool) throws -> (DocumentSession.Acknowledgment, Duration) {
        let before = session.snapshotDuration
        let acknowledgment = try bytes.withUnsafeBytes { raw in
            try session.append(raw, at: offset ?? session.committedOffset, allowingBinary: allowingBinary)
        }
        // The bytes are acknowledged (journalled) whatever becomes of the snapshot: one that
        // fails is retried after the next append, at eviction or at shutdown.
        _ = try? session.snapshotIfDue()
        return (acknowledgment, session.snapshotDuration - before)
    }

    /// Makes the document ready to write here: takes or renews its lease where leases are kept.
    ///
    /// - Throws: `leaseHeld`, naming the holder, when another daemon writes the document.
    func claim() throws {
        try session.claim()
    }

    /// Answers from the hot state; in a store many daemons share, first catches up with what
    /// another daemon acknowledged since.
    func ask(_ question: String, answerer: QuestionAnswerer) throws -> (Answer, UInt64) {
        if session.store.keepsLeases { try session.refreshIfBehind() }
        return (try answerer.answer(question, from: session.state), session.state.tokenCount)
    }

    /// Gives the document's lease up, after `close()`.
    func releaseLease() {
        try? session.releaseLease()
    }

    /// Snapshots the document if anything is not yet in a snapshot; returns the time spent.
    func close() throws -> Duration {
        let before = session.snapshotDuration
        try session.close()
        return session.snapshotDuration - before
    }
}

/// The daemon's documents: hot actors cached up to a bound, cold ones evicted after a snapshot,
/// so memory stays bounded with any number of documents.
public actor DocumentRegistry {
    public nonisolated let store: MoMStore
    public nonisolated let capacity: Int
    public nonisolated let leaseHolder: LeaseHolder
    let policy: SnapshotPolicy
    let metrics: ServerMetrics
    /// Where the damaged snapshots an open or a read skipped are said.
    public nonisolated let logger: Logger
    var actors: [String: DocumentActor] = [:] {
        didSet { metrics.hotDocuments.set(to: Double(actors.count)) }
    }
    /// Requests using each document now; a pinned document is never evicted.
    var pins: [String: Int] = [:]
    /// When each hot document was last checked out or in.
    var lastUsed: [String: ContinuousClock.Instant] = [:]

    public init(
        store: MoMStore, capacity: Int, policy: SnapshotPolicy, metrics: ServerMetrics,
        leaseHolder: LeaseHolder = .thisProcess, logger: Logger = Logger(label: "momd")
    ) {
        precondition(capacity >= 1, "the registry must hold at least one document")
        self.store = store
        self.leaseHolder = leaseHolder
        self.capacity = capacity
        self.policy = policy
        self.metrics = metrics
        self.logger = logger
    }

    /// Says each damaged snapshot an open or a read skipped in the log, and counts it.
    nonisolated func report(_ warnings: [StoreWarning], document: String) {
        for warning in warnings {
            logger.warning("\(warning.message)", metadata: ["document": "\(document)"])
        }
        if !warnings.isEmpty { metrics.snapshotsSkipped.increment(by: Int64(warnings.count)) }
    }

    /// Hot documents now.
    public var hotCount: Int { actors.count }

    /// Whether one more document can be hot without evicting another.
    var hasRoom: Bool { actors.count < capacity }

    /// The actor of a document, opening it (and creating it if asked) when cold, pinned so that
    /// it is not evicted while the caller uses it; every checkout is followed by one `checkIn`.
    func checkOut(_ name: String, createIfMissing: Bool) async throws -> DocumentActor {
        try DocumentName.validate(name)
        if actors[name] == nil {
            await evict(toMakeRoomFor: 1)
            // A concurrent request may have opened it while this one waited for the eviction.
            if actors[name] == nil {
                let session = try store.openSession(
                    named: name, createIfMissing: createIfMissing, policy: policy, leaseHolder: leaseHolder)
                report(session.warnings, document: name)
                actors[name] = DocumentActor(session: session)
            }
        }
        pins[name, default: 0] += 1
        lastUsed[name] = .now
        return actors[name]!
    }

    /// The actor of a document if it is hot, pinned like `checkOut` pins it; nil if it is cold.
    func checkOutIfHot(_ name: String) -> DocumentActor? {
        guard let actor = actors[name] else { return nil }
        pins[name, default: 0] += 1
        lastUsed[name] = .now
        return actor
    }

    /// Unpins a document checked out with `checkOut`. Documents opened beyond the bound while
    /// every hot one was in use are evicted as soon as they are free again.
    func checkIn(_ name: String) async {
        guard let count = pins[name] else { return }
        pins[name] = count > 1 ? count - 1 : nil
        if actors[name] != nil { lastUsed[name] = .now }
        if actors.count > capacity { await evict(toMakeRoomFor: 0) }
    }

    /// Runs `body` with a document's actor checked out.
    nonisolated func withDocument<Result: Sendable>(
        _ name: String, createIfMissing: Bool, _ body: (DocumentActor) async throws -> Result
    ) async throws -> Result {
        try await using(try await checkOut(name, createIfMissing: createIfMissing), body)
    }

    /// Runs `body` with a document's actor if the document is hot; nil (and `body` not run) if
    /// it is cold. Asks use it: a cold document answers from the store, read on demand, without
    /// being opened whole or evicting a hot one.
    nonisolated func withHotDocument<Result: Sendable>(
        _ name: String, _ body: (DocumentActor) async throws -> Result
    ) async throws -> Result? {
        guard let actor = await checkOutIfHot(name) else { return nil }
        return try await using(actor, body)
    }

    /// Runs `body` on a checked-out actor, then checks it in, whether `body` returns or throws.
    nonisolated func using<Result: Sendable>(_ actor: DocumentActor, _ body: (DocumentActor) async throws -> Result)
        async throws -> Result
    {
        do {
            let result = try await body(actor)
            await checkIn(actor.name)
            return result
        } catch {
            await checkIn(actor.name)
            throw error
        }
    }

    /// Deletes a document: drops its hot state without a snapshot and its rows.
    func remove(_ name: String) throws {
        try DocumentName.validate(name)
        actors[name] = nil
        lastUsed[name] = nil
        try store.deleteDocument(named: name)
    }

    /// Snapshots and drops least-recently-used unpinned documents until `count` more fit.
    /// The victim is chosen and removed without a suspension in between, so concurrent
    /// evictions never pick the same one.
    func evict(toMakeRoomFor count: Int) async {
        while actors.count + count > capacity {
            let idle = actors.keys.filter { pins[$0] == nil }
            guard let victim = idle.min(by: { (lastUsed[$0] ?? .now) < (lastUsed[$1] ?? .now) }),
                let actor = actors.removeValue(forKey: victim)
            else { break }
            let used = lastUsed.removeValue(forKey: victim)
            do {
                metrics.recordSnapshot(try await actor.close())
                await actor.releaseLease()
            } catch let error as StoreError where error.code == .leaseLost || error.code == .leaseHeld {
                // Another daemon writes it now: its input is journalled, and the holder snapshots it.
                continue
            } catch {
                // Keep it hot unless a request reopened it meanwhile: its input is journalled
                // either way, and a later eviction or shutdown retries the snapshot.
                if actors[victim] == nil {
                    actors[victim] = actor
                    lastUsed[victim] = used
                }
                break
            }
        }
    }

    /// Snapshots every dirty document (shutdown). Returns the names whose snapshot failed.
    @discardableResult
    public func closeAll() async -> [String] {
        var failed: [String] = []
        for (name, actor) in actors.sorted(by: { $0.key < $1.key }) {
            do {
                metrics.recordSnapshot(try await actor.close())
                await actor.releaseLease()
            } catch let error as StoreError where error.code == .leaseLost || error.code == .leaseHeld {
                continue  // another daemon holds it: nothing of it is this one's to snapshot
            } catch {
                failed.append(name)
            }
        }
        actors.removeAll()
        lastUsed.removeAll()
        return failed
    }
}
