import ArgumentParser
import MoMCore

/// The commands both binaries run, and the words both use for the root and for what only
/// momd-server runs (momd lists those and hands them over).
package enum MomdCommands {
    /// The commands on a database, or on the daemon that owns it.
    package static let shared: [any ParsableCommand.Type] = [
        IngestCommand.self, AskCommand.self, RecallCommand.self, ShowCommand.self, DocsCommand.self, RemoveCommand.self,
    ]

    /// The root command of either binary: the shared commands and `others`.
    package static func root(adding others: [any ParsableCommand.Type]) -> CommandConfiguration {
        CommandConfiguration(
            commandName: "momd", abstract: abstract, discussion: discussion, version: MoMVersion.current,
            subcommands: shared + others)
    }

    static let abstract =
        "A streaming long-document memory: fold text into a fixed-size Mixture-of-Memories state and ask it."
    static let discussion = """
        The database is $XDG_DATA_HOME/momd/momd.sqlite unless --db or MOMD_DB names another \
        (a file, or postgres://user@host:port/database). While a daemon owns the database, the \
        commands go through it; MOMD_HOST names a daemon explicitly.

        Examples:
          momd bench haystack --tokens 16K --key 68048 | momd ingest notes
          momd ask notes "What is the pass key?"
          momd recall notes "What is the pass key?" --top 3
          momd show notes
        """
    package static let serveAbstract = "Run the daemon: the HTTP API on a Unix socket (mode 0600) or a loopback port."
    package static let benchAbstract =
        "Measure momd: fold throughput, pass-key recall against the full-context baseline, the daemon under load."
}
