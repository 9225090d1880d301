import Foundation
import MoMCore
import MoMStore

/// The one owner of a document's hot state in the daemon: folds of the document are serial,
/// different documents' actors run in parallel.
public actor DocumentActor {
    public nonisolated let name: String
    var session: DocumentSession
    /// Set while an ingest request streams into the document, so two streams never interleave.
    var isIngesting = false
    var lastUsed = ContinuousClock.now

    init(session: DocumentSession) {
        name = session.name
        self.session = session
    }

    var committedOffset: UInt64 { session.committedOffset }
    var tokenCount: UInt64 { session.state.tokenCount }
    var isDirty: Bool { session.isDirty }
    var isBusy: Bool { isIngesting }

    /// Claims the document for one ingest stream.
    func beginIngest() throws {
        guard !isIngesting else {
            throw APIError(
                .conflict, code: "ingest_in_progress",
                "another ingest into '\(name)' is streaming: wait for it, or resume from its committed offset")
        }
        isIngesting = true
        lastUsed = .now
    }

    func endIngest() {
        isIngesting = false
        lastUsed = .now
    }

    /// Folds and commits bytes that begin at `offset` of the document (the end if nil).
    /// Returns the acknowledgment and the seconds spent writing snapshots.
    func append(_ bytes: [UInt8], at offset: UInt64?) throws -> (DocumentSession.Acknowledgment, Duration) {
        lastUsed = .now
        let before = session.snapshotDuration
        let acknowledgment = try bytes.withUnsafeBytes { raw in
            try session.append(raw, at: offset ?? session.committedOffset)
        }
        return (acknowledgment, session.snapshotDuration - before)
    }

    /// Answers from the hot state.
    func ask(cue: String, options: ReadOptions) throws -> (ReadResult, UInt64) {
        lastUsed = .now
        return (try session.state.read(cue: cue, options: options), session.state.tokenCount)
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
    let policy: SnapshotPolicy
    let metrics: ServerMetrics
    var actors: [String: DocumentActor] = [:]
    /// Requests using each document now; a pinned document is never evicted.
    var pins: [String: Int] = [:]

    public init(store: MoMStore, capacity: Int, policy: SnapshotPolicy, metrics: ServerMetrics) {
        precondition(capacity >= 1, "the registry must hold at least one document")
        self.store = store
        self.capacity = capacity
        self.policy = policy
        self.metrics = metrics
    }

    /// Hot documents now.
    public var hotCount: Int { actors.count }

    /// The actor of a document, opening it (and creating it if asked) when cold, pinned so that
    /// it is not evicted while the caller uses it; every checkout is followed by one `checkIn`.
    func checkOut(_ name: String, createIfMissing: Bool) async throws -> DocumentActor {
        try DocumentName.validate(name)
        if actors[name] == nil {
            await evict(toMakeRoomFor: 1)
            // A concurrent request may have opened it while this one waited for the eviction.
            if actors[name] == nil {
                let session = try store.openSession(named: name, createIfMissing: createIfMissing, policy: policy)
                actors[name] = DocumentActor(session: session)
                metrics.hotDocuments.set(to: Double(actors.count))
            }
        }
        pins[name, default: 0] += 1
        return actors[name]!
    }

    /// Unpins a document checked out with `checkOut`.
    func checkIn(_ name: String) {
        guard let count = pins[name] else { return }
        pins[name] = count > 1 ? count - 1 : nil
    }

    /// Runs `body` with a document's actor checked out.
    nonisolated func withDocument<Result: Sendable>(
        _ name: String, createIfMissing: Bool, _ body: (DocumentActor) async throws -> Result
    ) async throws -> Result {
        let actor = try await checkOut(name, createIfMissing: createIfMissing)
        do {
            let result = try await body(actor)
            await checkIn(name)
            return result
        } catch {
            await checkIn(name)
            throw error
        }
    }

    /// The hot actor of a document, if it has one.
    func hotActor(for name: String) -> DocumentActor? { actors[name] }

    /// Deletes a document: drops its hot state without a snapshot and its rows.
    func remove(_ name: String) throws {
        try DocumentName.validate(name)
        actors[name] = nil
        metrics.hotDocuments.set(to: Double(actors.count))
        try store.deleteDocument(named: name)
    }

    /// Snapshots and drops least-recently-used idle documents until `count` more fit.
    func evict(toMakeRoomFor count: Int) async {
        while actors.count + count > capacity {
            var victim: (name: String, used: ContinuousClock.Instant)?
            for (name, actor) in actors where pins[name] == nil {
                guard await !actor.isBusy, pins[name] == nil else { continue }
                let used = await actor.lastUsed
                if victim == nil || used < victim!.used { victim = (name, used) }
            }
            guard let victim, let actor = actors[victim.name] else { return }
            // Dropped before the snapshot, so no request finds it half-closed; a request that
            // opens it meanwhile restores the same acknowledged state from snapshot and journal.
            actors[victim.name] = nil
            do {
                metrics.recordSnapshot(try await actor.close())
            } catch {
                // Keep it hot unless a request reopened it meanwhile: its input is journalled
                // either way, and a later eviction or shutdown retries the snapshot.
                if actors[victim.name] == nil { actors[victim.name] = actor }
                metrics.hotDocuments.set(to: Double(actors.count))
                return
            }
        }
        metrics.hotDocuments.set(to: Double(actors.count))
    }

    /// Snapshots every dirty document (shutdown). Returns the names whose snapshot failed.
    @discardableResult
    public func closeAll() async -> [String] {
        var failed: [String] = []
        for (name, actor) in actors.sorted(by: { $0.key < $1.key }) {
            do { metrics.recordSnapshot(try await actor.close()) } catch { failed.append(name) }
        }
        actors.removeAll()
        metrics.hotDocuments.set(to: 0.0)
        return failed
    }
}
