import ArgumentParser
import Foundation
import MoMCore

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure momd: fold throughput, pass-key recall against the full-context baseline.",
        subcommands: [FoldBench.self]
    )
}

struct FoldBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fold",
        abstract: "Fold a generated corpus (words and numbers) with the default configuration and report tokens/s."
    )

    @Option(help: "Tokens in the generated corpus.")
    var tokens: Int = 10_000_000

    @Option(help: "Seed of the generated corpus.")
    var seed: UInt64 = 42

    @Option(help: "Bytes handed to each fold call.")
    var chunkBytes: Int = 1 << 16

    @OptionGroup(title: "Memory model")
    var model: ConfigurationOptions

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        guard tokens > 0 else { throw ValidationError("--tokens must be positive") }
        guard chunkBytes > 0 else { throw ValidationError("--chunk-bytes must be positive") }
    }

    func run() throws {
        let result = try FoldBenchmark(tokens: tokens, seed: seed, chunkBytes: chunkBytes, configuration: model.configuration).run()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print("folded \(result.tokens) tokens (\(result.bytes) bytes) in \(String(format: "%.3f", result.seconds)) s")
            print("\(Int(result.tokensPerSecond)) tokens/s, \(String(format: "%.1f", result.bytesPerSecond / 1e6)) MB/s")
            print("vocabulary \(result.vocabulary), state digest \(result.digest)")
        }
    }
}
