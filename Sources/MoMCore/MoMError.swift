/// An error the memory engine reports, with a stable code and a message a user can act on.
public struct MoMError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, stable across releases so callers can map it to exit codes and statuses.
    public enum Code: String, Sendable, Codable {
        case invalidConfiguration = "invalid_configuration"
        case corruptState = "corrupt_state"
        case unsupportedStateVersion = "unsupported_state_version"
        case configurationMismatch = "configuration_mismatch"
        case emptyCue = "empty_cue"
        case invalidQuestion = "invalid_question"
        case emptyDocument = "empty_document"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
