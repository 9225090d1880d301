import ArgumentParser
import MoMCore

/// Memory-model options shared by the commands that create states.
struct ConfigurationOptions: ParsableArguments {
    @Option(help: "Routed memories (N).")
    var memories: Int = MoMConfiguration.default.memories

    @Option(name: .customLong("top-k"), help: "Memories each token writes and each query reads.")
    var topK: Int = MoMConfiguration.default.topK

    @Option(help: "Key dimension: rows of each memory.")
    var dk: Int = MoMConfiguration.default.dk

    @Option(help: "Value dimension: columns of each memory.")
    var dv: Int = MoMConfiguration.default.dv

    @Option(name: .customLong("hashes"), help: "Signed hashed positions per n-gram order (s).")
    var hashesPerOrder: Int = MoMConfiguration.default.hashesPerOrder

    @Option(help: "Per-token decay α of written memories, in (0, 1].")
    var alpha: Float = MoMConfiguration.default.alpha

    @Flag(help: "Add a shared memory that every token writes.")
    var sharedMemory = false

    var configuration: MoMConfiguration {
        var configuration = MoMConfiguration.default
        configuration.memories = memories
        configuration.topK = topK
        configuration.dk = dk
        configuration.dv = dv
        configuration.hashesPerOrder = hashesPerOrder
        configuration.alpha = alpha
        configuration.sharedMemory = sharedMemory
        return configuration
    }

    func validate() throws {
        do { try configuration.validate() } catch let error as MoMError { throw ValidationError(error.message) }
    }
}
