import ArgumentParser
import MoMCLI

/// momd: the command-line binary. It runs the commands on a database file itself and links none
/// of the daemon's libraries (NIO, Hummingbird, AsyncHTTPClient, postgres-nio), which would
/// double what a command-line ask costs to start. `serve`,
/// `bench`, a `postgres://` database and a database a daemon owns are handed to momd-server
/// (`ServerHandOff`).
@main
enum Main {
    static func main() async {
        if ServerHandOff.isServerCommand(CommandLine.arguments) { ServerHandOff.run() }
        InstalledLink.install(ServerHandOff())
        await Momd.main()
    }
}

struct Momd: AsyncParsableCommand {
    static let configuration = MomdCommands.root(adding: [Serve.self, Bench.self])

    /// `serve` as the help lists it; momd-server runs it.
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: MomdCommands.serveAbstract)
        @Argument(parsing: .allUnrecognized) var arguments: [String] = []
        func run() throws { ServerHandOff.run() }
    }

    /// `bench` as the help lists it; momd-server runs it.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: MomdCommands.benchAbstract)
        @Argument(parsing: .allUnrecognized) var arguments: [String] = []
        func run() throws { ServerHandOff.run() }
    }
}
