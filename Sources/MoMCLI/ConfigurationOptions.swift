import ArgumentParser
import MoMCore

extension RowFormat: ExpressibleByArgument {}
extension TieBreak: ExpressibleByArgument {}
extension NumberKeys: ExpressibleByArgument {}

/// Memory-model options shared by the commands that create states.
package struct ConfigurationOptions: ParsableArguments {
    @Option(help: "Routed memories (N).")
    package var memories: Int = MoMConfiguration.default.memories

    @Option(name: .customLong("top-k"), help: "Memories each token writes and each query reads.")
    package var topK: Int = MoMConfiguration.default.topK

    @Option(help: "Key dimension: rows of each memory.")
    package var dk: Int = MoMConfiguration.default.dk

    @Option(help: "Value dimension: columns of each memory.")
    package var dv: Int = MoMConfiguration.default.dv

    @Option(name: .customLong("hashes"), help: "Signed hashed positions per n-gram order (s).")
    package var hashesPerOrder: Int = MoMConfiguration.default.hashesPerOrder

    @Option(help: "Tokens of context a key is made from: n-gram orders 1 to this.")
    package var window: Int = MoMConfiguration.default.window

    @Option(
        name: .customLong("order-weights"),
        help: "The weight of each n-gram order, comma-separated, one per window token (default: the built-in weights, 1 for orders past them).")
    package var orderWeights: String?

    @Option(help: "Per-token decay α of written memories, in (0, 1].")
    package var alpha: Float = MoMConfiguration.default.alpha

    @Flag(help: "Add a shared memory that every token writes.")
    package var sharedMemory = false

    @Option(
        name: .customLong("rows"),
        help: "How the memories hold their values: int8 (fixed point, a byte a value) or float32 (four bytes).")
    package var rowFormat: RowFormat = MoMConfiguration.default.rowFormat

    @Option(
        name: .customLong("ties"),
        help: "Which memory takes a key when router logits tie: hashed (spread by a hash of the logits) or lowest (the lowest index, as states made before hashed ties).")
    package var tieBreak: TieBreak = MoMConfiguration.default.tieBreak

    @Option(
        name: .customLong("number-keys"),
        help: "How keys are made inside a number (a word with a digit): anchored (hashed with the three tokens before the number and the place in it) or window (the last tokens alone, as states made before anchored number keys).")
    package var numberKeys: NumberKeys = MoMConfiguration.default.numberKeys

    package init() {}

    @Option(help: "Rows of the topic memory that leads questions to sentences (0: none, as before it).")
    package var topicRows: Int = MoMConfiguration.default.topicRows

    @Option(help: "Signs of a sentence code in the topic memory (a multiple of 64).")
    package var topicWidth: Int = MoMConfiguration.default.topicWidth

    @Option(help: "Latest sentences whose starting context the topic memory keeps.")
    package var sentenceSlots: Int = MoMConfiguration.default.sentenceSlots

    package var configuration: MoMConfiguration {
        var configuration = MoMConfiguration.default
        configuration.memories = memories
        configuration.topK = topK
        configuration.dk = dk
        configuration.dv = dv
        configuration.hashesPerOrder = hashesPerOrder
        configuration.window = window
        configuration.orderWeights = weights
        configuration.alpha = alpha
        configuration.sharedMemory = sharedMemory
        configuration.rowFormat = rowFormat
        configuration.tieBreak = tieBreak
        configuration.numberKeys = numberKeys
        if topicRows == 0 {
            configuration = configuration.withoutTopicMemory
        } else {
            configuration.topicRows = topicRows
            configuration.topicWidth = topicWidth
            configuration.sentenceSlots = sentenceSlots
        }
        return configuration
    }

    /// The order weights: as given, or the built-in ones for the window (1 past them).
    var weights: [Float] {
        if let orderWeights {
            return orderWeights.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) ?? .nan }
        }
        let builtIn = MoMConfiguration.default.orderWeights
        return (0..<max(window, 0)).map { $0 < builtIn.count ? builtIn[$0] : 1 }
    }

    package func validate() throws {
        do { try configuration.validate() } catch let error as MoMError { throw ValidationError(error.message) }
    }
}
