import Foundation
import Logging
import MoMAPI
import MoMBench
import MoMCore
import MoMServer
import MoMStore
import NIOCore
import ServiceLifecycle
import Testing

@Suite("A live daemon over its Unix socket")
struct LiveDaemonTests {
    @Test("socket 0600, streaming ingest, ask, graceful shutdown snapshots every dirty document")
    func liveSocket() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("momd-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let databasePath = directory.appendingPathComponent("momd.sqlite").path
        let socketPath = directory.appendingPathComponent("momd.sock").path
        let store = try MoMStore.open(path: databasePath)
        var logger = Logger(label: "momd-test")
        logger.logLevel = .warning
        let app = try buildApplication(
            store: store, options: ServerOptions(address: .unixSocket(path: socketPath)), logger: logger)
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        let text = Array(passkeyText(key: "27182", tokens: 6000).utf8)

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let client = MoMClient(address: .unixSocket(path: socketPath))
            var ready = false
            for _ in 0..<200 where !ready {
                if (try? await client.health()) != nil { ready = true } else { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(ready)
            let attributes = try FileManager.default.attributesOfItem(atPath: socketPath)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

            let chunks = AsyncStream<ByteBuffer> { continuation in
                var offset = 0
                while offset < text.count {
                    let end = min(offset + 1000, text.count)
                    continuation.yield(ByteBuffer(bytes: text[offset..<end]))
                    offset = end
                }
                continuation.finish()
            }
            let ingest = try await client.ingest("live", offset: 0, chunks: chunks)
            #expect(ingest.committedOffset == UInt64(text.count))

            let answer = try await client.ask("live", AskRequest(question: Passkey.question))
            #expect(Passkey.firstDigits(answer.answer) == "27182")
            let before = try await client.report(of: "live")
            #expect(before.snapshots == 0)  // the default policy snapshots every 1M tokens

            do {
                _ = try await client.ask("missing", AskRequest(question: "hello"))
                Issue.record("asking an unknown document should fail")
            } catch let error as ClientError {
                #expect(error.code == "unknown_document")
                #expect(error.status == 404)
            }

            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }

        // Shutdown snapshotted the dirty document; reopening restores the same state.
        let reopened = try MoMStore.open(path: databasePath)
        let report = try reopened.report(of: "live")
        #expect(report.snapshots == 1)
        var embedded = try MoMState()
        embedded.fold(text)
        #expect(report.digest == embedded.digest)
    }
}
