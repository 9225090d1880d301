import MoMAPI
import MoMCLI
import MoMServer

/// The link of the binary that has it all: the daemon's client, and a PostgreSQL backend that
/// `main` registered.
struct ClientLink: ServerLink {
    func client(of address: ServerAddress) throws -> any DaemonConnection { MoMClient(address: address) }
    func openingServerStore() throws {}
}

extension MoMClient: DaemonConnection {}
