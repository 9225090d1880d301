import Foundation
import MoMAPI
import Testing

@testable import momd_server

#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection that sends what a hostile client sends, byte by byte if need be.
final class RawConnection {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0, "cannot connect to 127.0.0.1:\(port)")
    }

    deinit { close(descriptor) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// What arrives until the server closes the connection or `seconds` pass; whether it closed.
    func receive(for seconds: Double) -> (text: String, closed: Bool) {
        var received: [UInt8] = []
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000)))
            if ready <= 0 { continue }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { return (String(decoding: received, as: UTF8.self), true) }
            received += buffer[0..<count]
        }
        return (String(decoding: received, as: UTF8.self), false)
    }
}

/// A TCP listener against clients that would hold it: heads and bodies that never finish,
/// connections left open, more connections than it serves, bodies past their route's bound.
@Suite final class ConnectionBoundsTests {
    let directory: URL
    var database: String { directory.appendingPathComponent("momd.sqlite").path }

    init() throws { directory = try temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(at: directory) }

    static var serverBinary: URL { Momd.binary.deletingLastPathComponent().appendingPathComponent("momd-server") }

    func metric(_ name: String, port: Int) throws -> Int? {
        let text = try shell(["curl", "-sS", "http://127.0.0.1:\(port)/metrics"])
        return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Int($0.split(separator: " ")[1]) }
    }

    // Generous limits: the full suite runs every test in parallel on two cores, and these block
    // on sockets; alone each takes well under a minute.
    @Test(.timeLimit(.minutes(10)))
    func slowHeadsStalledBodiesIdleConnectionsAndTooManyConnectionsAreBounded() throws {
        let port = try freeLoopbackPort()
        let daemon = try DaemonProcess.start(
            database: database, directory: directory, name: "serve", listenPort: port,
            extra: ["--header-timeout", "1", "--body-timeout", "1", "--idle-timeout", "2", "--max-connections", "3"],
            binary: Self.serverBinary)
        defer { daemon.stop() }
        let text = directory.appendingPathComponent("notes.txt")
        try Data("The garage door code is 4711.\n".utf8).write(to: text)
        _ = try post(text, to: "http://127.0.0.1:\(port)/v1/docs/notes/ingest", curl: ["-f"])

        // Slowloris: a head that never ends is answered 408 about a second after its first byte,
        // and the connection closed, however it keeps trickling.
        let slow = try RawConnection(port: port)
        let started = Date()
        slow.send("GET /v1/docs HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        var reply = (text: "", closed: false)
        for header in ["X-A: 1\r\n", "X-B: 2\r\n", "X-C: 3\r\n"] where !reply.closed {
            slow.send(header)
            reply = slow.receive(for: 0.4)
        }
        if !reply.closed { reply = slow.receive(for: 3) }
        #expect(reply.text.hasPrefix("HTTP/1.1 408"), "\(reply.text)")
        #expect(reply.text.contains("\"request_timeout\"") && reply.closed, "\(reply)")
        #expect(Date().timeIntervalSince(started) < 3)

        // A body that stops: 408 from the route, and the document as it was.
        let stalled = try RawConnection(port: port)
        stalled.send(
            "POST /v1/docs/notes/ingest?offset=30 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 100\r\n\r\nThe boat")
        let stalledReply = stalled.receive(for: 5)
        #expect(stalledReply.text.hasPrefix("HTTP/1.1 408") && stalledReply.text.contains("\"request_timeout\""), "\(stalledReply)")
        #expect(stalledReply.closed)
        let shown = try Momd.run(["show", "notes", "--json"], environment: ["MOMD_HOST": daemon.host]).json()
        #expect(shown["bytes"] as? Int == 30)

        // A connection that sends nothing is closed after --idle-timeout, without a word.
        let idle = try RawConnection(port: port)
        let idleReply = idle.receive(for: 5)
        #expect(idleReply.closed && idleReply.text.isEmpty, "\(idleReply)")

        // Past --max-connections (3): the fourth connection's request is answered 503 with
        // Retry-After; once the others close, requests are served again.
        let held = try (0..<3).map { _ in try RawConnection(port: port) }
        usleep(200_000)
        let extra = try RawConnection(port: port)
        extra.send("GET /v1/docs HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let refused = extra.receive(for: 3)
        #expect(refused.text.hasPrefix("HTTP/1.1 503") && refused.text.lowercased().contains("retry-after: 1"), "\(refused)")
        #expect(refused.text.contains("\"too_many_connections\""), "\(refused)")
        withExtendedLifetime(held) {}
        for connection in held { close(connection.descriptor) }
        usleep(300_000)
        #expect(try shell(["curl", "-sS", "-f", "http://127.0.0.1:\(port)/v1/docs"]).contains("\"notes\""))

        // A body whose declared length is past its route's bound: 413 before any of it is read.
        let large = try RawConnection(port: port)
        large.send(
            "POST /v1/docs/notes/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{\"question\":")
        let tooLarge = large.receive(for: 3)
        #expect(tooLarge.text.hasPrefix("HTTP/1.1 413") && tooLarge.text.contains("\"request_too_large\""), "\(tooLarge)")
        #expect(tooLarge.closed, "the rest of the body is not read")

        #expect(try metric("momd_request_timeouts_total", port: port) == 2)
        #expect(try metric("momd_requests_too_large_total", port: port) == 1)
        #expect(try metric("momd_connections_refused_total", port: port) == 1)
        // The daemon still answers, and asks find what was acknowledged.
        let asked = try Momd.run(["ask", "notes", "What is the garage door code?"], environment: ["MOMD_HOST": daemon.host])
        #expect(asked.status == 0 && asked.stdout == "4711\n", "\(asked.stderr)")
    }

    @Test(.timeLimit(.minutes(10)))
    func aSlowHeadIsBoundedOverTLSToo() throws {
        let certificates = try TestCertificates.make(in: directory.appendingPathComponent("tls"))
        let port = try freeLoopbackPort()
        let daemon = try DaemonProcess.start(
            database: database, directory: directory, name: "serve", listenPort: port, extra: ["--header-timeout", "1"],
            certificates: certificates, binary: Self.serverBinary)
        defer { daemon.stop() }
        // A TLS handshake begun and never finished holds the connection no longer than a head.
        let handshake = try RawConnection(port: port)
        handshake.send("\u{16}\u{03}\u{01}")
        let reply = handshake.receive(for: 5)
        #expect(reply.closed, "\(reply)")
    }
}
