import MoMStore

/// The PostgreSQL backend's entry point: an executable that links this module registers it, and
/// `MoMStore.open(location:)` then opens `postgres://` locations with it.
public enum PostgresStore {
    /// Makes `MoMStore.open(location:)` open `postgres://` (and `postgresql://`) URLs here.
    public static func register() {
        MoMStore.registerServerBackend { url in try PostgresBackend(url: url) }
    }
}
