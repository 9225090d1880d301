/// The version of momd: what `momd --version` prints and the daemon names itself in its
/// `Server` header. Defined here only.
public enum MoMVersion {
    public static let current = "0.1.0"
}
