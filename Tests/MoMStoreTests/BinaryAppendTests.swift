import Foundation
import MoMCore
import Testing

@testable import MoMStore

@Suite("Appending binary data")
struct BinaryAppendTests {
    let configuration = MoMConfiguration.storeTest

    func storeError(_ body: () throws -> Void) -> StoreError? {
        do {
            try body()
            return nil
        } catch let error as StoreError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test("text then binary in one append: the text lines are committed, the rest refused with its offset")
    func textThenBinary() throws {
        let store = try MoMStore.inMemory()
        var session = try store.openSession(named: "b", configuration: configuration)
        let text = corpus(tokens: 300) + Array("\n".utf8)
        try session.append(bytes: text, at: 0)
        let start = session.committedOffset
        let ls = Array(try Data(contentsOf: URL(fileURLWithPath: "/bin/ls")).prefix(4096))
        let more = Array("one more line of text\n".utf8)
        let chunk = more + ls
        let error = try #require(storeError { try session.append(bytes: chunk, at: start) })
        #expect(error.code == .binaryData)
        let refused = start + UInt64(more.count)
        #expect(error.message.contains("binary data from byte \(refused)"))
        #expect(error.message.contains("--allow-binary"))
        #expect(!error.message.contains("\n"))
        // Everything before the binary line is acknowledged: in the session and in the database.
        #expect(session.committedOffset == refused)
        let reopened = try store.openSession(named: "b", createIfMissing: false)
        #expect(reopened.committedOffset == refused)
        #expect(reopened.state.digest == (try onePassState(text + more, configuration: configuration)).digest)
    }

    @Test("binary from the first byte of an append folds nothing of it")
    func binaryFromTheStart() throws {
        let store = try MoMStore.inMemory()
        var session = try store.openSession(named: "b", configuration: configuration)
        try session.append(bytes: Array("The pass key is 55555. Remember it.\n".utf8), at: 0)
        let before = session.committedOffset
        let digest = session.state.digest
        let ls = Array(try Data(contentsOf: URL(fileURLWithPath: "/bin/ls")).prefix(8192))
        let error = try #require(storeError { try session.append(bytes: ls, at: before) })
        #expect(error.message.hasPrefix("'b': binary data from byte \(before) (a NUL byte at "))
        #expect(session.committedOffset == before)
        #expect(session.state.digest == digest)
    }

    @Test("allowingBinary folds binary data as it is, like any bytes")
    func allowingBinary() throws {
        let store = try MoMStore.inMemory()
        var session = try store.openSession(named: "b", configuration: configuration)
        let ls = Array(try Data(contentsOf: URL(fileURLWithPath: "/bin/ls")).prefix(8192))
        try session.append(bytes: ls, at: 0, allowingBinary: true)
        #expect(session.committedOffset == UInt64(ls.count))
        #expect(session.state.digest == (try onePassState(ls, configuration: configuration)).digest)
    }

    @Test("a retry that re-sends binary bytes the document already holds is not refused")
    func heldBytesAreNotScreened() throws {
        let store = try MoMStore.inMemory()
        var session = try store.openSession(named: "b", configuration: configuration)
        let ls = Array(try Data(contentsOf: URL(fileURLWithPath: "/bin/ls")).prefix(2048))
        try session.append(bytes: ls, at: 0, allowingBinary: true)
        let text = Array(" and then some text.\n".utf8)
        try session.append(bytes: ls + text, at: 0)
        #expect(session.committedOffset == UInt64(ls.count + text.count))
    }
}

extension DocumentSession {
    /// The input path (screened unless `allowingBinary`) over a byte array.
    mutating func append(bytes: [UInt8], at offset: UInt64, allowingBinary: Bool = false) throws {
        try bytes.withUnsafeBytes { _ = try append($0, at: offset, allowingBinary: allowingBinary) }
    }
}
