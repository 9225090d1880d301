import ArgumentParser
import MoMCore
import MoMStorePostgres

@main
enum Main {
    static func main() async {
        PostgresStore.register()
        await Momd.main()
    }
}

struct Momd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "momd",
        abstract: "A streaming long-document memory: fold text into a fixed-size Mixture-of-Memories state and ask it.",
        version: MoMVersion.current,
        subcommands: [IngestCommand.self, AskCommand.self, ShowCommand.self, DocsCommand.self, RemoveCommand.self, ServeCommand.self, BenchCommand.self]
    )
}
