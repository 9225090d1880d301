/// Document names: 1 to 128 characters from `A–Z a–z 0–9 . _ -`, so a name is safe in a file
/// name, a URL path segment and a shell word alike.
public enum DocumentName {
    public static let maxLength = 128

    /// Whether `name` is a valid document name.
    public static func isValid(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard (1...maxLength).contains(utf8.count) else { return false }
        return utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
    }

    /// Throws `invalidDocumentName` with a message naming the rule unless `name` is valid.
    public static func validate(_ name: String) throws {
        guard isValid(name) else {
            let shown = name.count > 40 ? String(name.prefix(40)) + "…" : name
            throw StoreError(
                .invalidDocumentName,
                "invalid document name \(shown.debugDescription): use 1 to \(maxLength) characters from A-Z a-z 0-9 . _ -")
        }
    }
}
