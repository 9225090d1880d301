import ArgumentParser
import MoMCLI
import MoMStorePostgres

/// momd-server: every command, with the daemon, the benchmarks, the daemon's client and the
/// PostgreSQL backend. `momd` runs the commands on a database file itself and hands the rest to
/// this binary, with the same arguments.
@main
enum Main {
    static func main() async {
        PostgresStore.register()
        InstalledLink.install(ClientLink())
        await Momd.main()
    }
}

struct Momd: AsyncParsableCommand {
    static let configuration = MomdCommands.root(adding: [ServeCommand.self, BenchCommand.self])
}
