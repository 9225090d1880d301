import MoMAPI
import MoMCLI
import MoMServer

/// The link of the binary that has it all: the daemon's client, and a PostgreSQL backend that
/// `main` registered.
struct ClientLink: ServerLink {
    /// `$MOMD_API_KEY`, when set, goes with every request to a TCP daemon.
    func client(of address: ServerAddress) throws -> any DaemonConnection {
        do {
            return MoMClient(address: address, apiKey: try MoMClient.environmentAPIKey())
        } catch let error as ClientError {
            throw CommandError(error.message, exitCode: .usage)
        }
    }

    func openingServerStore() throws {}
}

extension MoMClient: DaemonConnection {}
