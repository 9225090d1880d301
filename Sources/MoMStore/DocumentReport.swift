import Foundation
import MoMCore

/// Everything `show` tells about a document, embedded or through the daemon.
public struct DocumentReport: Codable, Sendable, Equatable {
    public var document: String
    public var tokens: UInt64
    public var bytes: UInt64
    /// Bytes of the encoded state (before compression): constant for a configuration, give or
    /// take the vocabulary.
    public var stateBytes: Int
    /// Equal digests mean equal states, bit for bit.
    public var digest: String
    public var snapshots: Int
    public var snapshotBytes: Int64
    public var journalBytes: Int64
    public var storedBytes: Int64
    public var routingChunks: Int
    public var vocabulary: Int
    /// Writes per memory since the document began.
    public var memoryLoad: [UInt64]
    /// The busiest memory's writes over the quietest's: 1 is a perfectly balanced router. Nil
    /// while some memory has taken no write (or nothing was folded).
    public var loadImbalance: Double?
    public var fingerprint: String
    public var configuration: MoMConfiguration
    /// The snapshot the state was restored from, if any.
    public var restoredFrom: Int64?
    public var snapshotList: [SnapshotInfo]
    public var createdAt: Date
    public var updatedAt: Date
    /// Seconds it took to load the state: decompress and check the snapshot, replay the journal.
    public var loadSeconds: Double = 0
    public var warnings: [String]
    /// Who may write the document, in a store many daemons share (PostgreSQL): the lease as it
    /// stands, lapsed or not; nil where leases are not kept or it was never taken.
    public var lease: Lease?

    public init(loaded: LoadedState, snapshots: [SnapshotInfo]) {
        let info = loaded.document
        document = info.name
        tokens = loaded.state.tokenCount
        bytes = loaded.state.byteCount
        if let snapshot = loaded.snapshot, loaded.replayedBytes == 0 {
            // The state is the snapshot's bytes decoded, which the load checked against this
            // digest; encoding and hashing 4 MiB again was a quarter of a command-line `show`.
            stateBytes = snapshot.stateBytes
            digest = snapshot.digest
        } else {
            let (encoded, digest) = loaded.state.encodedWithDigest()
            stateBytes = encoded.count
            self.digest = digest
        }
        self.snapshots = info.snapshotCount
        snapshotBytes = info.snapshotBytes
        journalBytes = info.journalBytes
        storedBytes = info.storedBytes
        routingChunks = info.routingChunkCount
        vocabulary = loaded.state.vocabulary.count
        memoryLoad = loaded.state.memoryLoad
        if let quietest = memoryLoad.min(), quietest > 0, let busiest = memoryLoad.max() {
            loadImbalance = Double(busiest) / Double(quietest)
        }
        fingerprint = info.configuration.fingerprintHex
        configuration = info.configuration
        restoredFrom = loaded.snapshot?.id
        snapshotList = snapshots
        createdAt = info.createdAt
        updatedAt = info.updatedAt
        warnings = loaded.warnings.map(\.message)
    }
}

extension MoMStore {
    /// The report `show` prints, for the current state or an older snapshot.
    public func report(of name: String, at selector: StateSelector = .current) throws -> DocumentReport {
        let clock = ContinuousClock()
        let started = clock.now
        let loaded = try loadState(of: name, at: selector)
        let elapsed = (clock.now - started).components
        var report = DocumentReport(loaded: loaded, snapshots: try snapshots(of: name))
        if keepsLeases { report.lease = try leaseHolder(of: name) }
        report.loadSeconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
        return report
    }
}
