/// When a session writes snapshots and how many it keeps.
///
/// The journal is kept back to the oldest kept snapshot, so that a damaged snapshot can be
/// skipped for an older one plus the journal: keep at least 2 for that fallback to exist. The
/// journal then holds up to about `retained × everyTokens` tokens of input, compressed.
public struct SnapshotPolicy: Sendable, Equatable, Codable {
    /// A snapshot once this many tokens were folded since the last one.
    public var everyTokens: UInt64
    /// A snapshot once this many seconds passed since the last one (and something was folded).
    public var everySeconds: Double
    /// Snapshots kept per document, newest first.
    public var retained: Int

    public init(everyTokens: UInt64 = 1 << 20, everySeconds: Double = 60, retained: Int = 3) {
        self.everyTokens = everyTokens
        self.everySeconds = everySeconds
        self.retained = retained
    }

    public static let `default` = SnapshotPolicy()

    /// Throws `invalidArgument` naming the first field out of range.
    public func validate() throws {
        guard everyTokens >= 1 else { throw StoreError(.invalidArgument, "snapshots need an interval of at least 1 token") }
        guard everySeconds > 0, everySeconds.isFinite else {
            throw StoreError(.invalidArgument, "the snapshot interval must be a positive number of seconds, got \(everySeconds)")
        }
        guard (1...1000).contains(retained) else {
            throw StoreError(.invalidArgument, "snapshots kept must be in 1...1000, got \(retained)")
        }
    }
}
