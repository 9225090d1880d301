import MoMAPI
import MoMCLI
import MoMServer

/// The link of the binary that has it all: the daemon's client, and a PostgreSQL backend that
/// `main` registered.
struct ClientLink: ServerLink {
    /// `$MOMD_API_KEY`, when set, goes with every request to a TCP daemon; an `https://` daemon is
    /// verified against `caCertificates` (--cacert, $MOMD_CACERT) or the system's roots.
    func client(of address: ServerAddress, caCertificates: String?) throws -> any DaemonConnection {
        do {
            let tls = address.isSecure ? try DaemonTLS.client(caFile: caCertificates) : nil
            return MoMClient(address: address, apiKey: try MoMClient.environmentAPIKey(), tls: tls)
        } catch let error as ClientError {
            throw CommandError(error.message, exitCode: .usage)
        } catch let error as DaemonTLSError {
            throw CommandError(error.description, exitCode: .noInput)
        }
    }

    func openingServerStore() throws {}
}

extension MoMClient: DaemonConnection {}
