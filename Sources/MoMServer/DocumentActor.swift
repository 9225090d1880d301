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

    public init(store: MoMStore, capacity: Int, policy: SnapshotPolicy, metrics: ServerMetrics) {
        precondition(capacity >= 1, "the registry must hold at least one document")
        self.store = store
        self.capacity = capacity
        self.policy = policy
        self.metrics = metrics
    }

    /// Hot documents now.
    public var hotCount: Int { actors.count }

    /// The actor of a document, opening it (and creating it if asked) when cold.
    func actor(for name: String, createIfMissing: Bool) async throws -> DocumentActor {
        try DocumentName.validate(name)
        if let actor = actors[name] { return actor }
        await evict(toMakeRoomFor: 1)
        let session = try store.openSession(named: name, createIfMissing: createIfMissing, policy: policy)
        let actor = DocumentActor(session: session)
        actors[name] = actor
        metrics.hotDocuments.set(to: Double(actors.count))
        return actor
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
            for (name, actor) in actors {
                guard await !actor.isBusy else { continue }
                let used = await actor.lastUsed
                if victim == nil || used < victim!.used { victim = (name, used) }
            }
            guard let victim, let actor = actors[victim.name] else { return }
            do {
                metrics.recordSnapshot(try await actor.close())
                actors[victim.name] = nil
            } catch {
                // Keep it hot: its input is journalled, and a later eviction or shutdown retries.
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
