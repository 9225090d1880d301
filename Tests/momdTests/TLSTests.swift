import Foundation
import MoMAPI
import Testing

@testable import momd_server

/// `momd serve --listen --tls-cert --tls-key` met by curl and by momd's own client, with a CA
/// made for the test by openssl.
@Suite final class TLSTests {
    let directory: URL
    var database: String { directory.appendingPathComponent("momd.sqlite").path }

    init() throws { directory = try temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(at: directory) }

    static var serverBinary: URL { Momd.binary.deletingLastPathComponent().appendingPathComponent("momd-server") }

    /// curl's exit status and output, without throwing on failure.
    func curl(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-sS"] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    @Test(.timeLimit(.minutes(8)))
    func curlAndTheCLIReachATLSDaemonThatTheirCAVouchesFor() throws {
        let certificates = try TestCertificates.make(in: directory.appendingPathComponent("tls"))
        let port = try freeLoopbackPort()
        let daemon = try DaemonProcess.start(
            database: database, directory: directory, name: "serve", listenPort: port, certificates: certificates, binary: Self.serverBinary)
        defer { daemon.stop() }
        let base = "https://127.0.0.1:\(port)"
        let text = directory.appendingPathComponent("notes.txt")
        try Data("The garage door code is 4711. The train leaves at 7:45.\n".utf8).write(to: text)

        // curl with the CA: the API as over plain TCP.
        let health = try curl(["--cacert", certificates.authority, base + "/healthz"])
        #expect(health.status == 0 && health.stdout.contains("ok"), "\(health)")
        let ingested = try curl([
            "--cacert", certificates.authority, "-f", "-X", "POST", "-H", "Content-Type: application/octet-stream", "--data-binary",
            "@" + text.path, base + "/v1/docs/notes/ingest",
        ])
        #expect(ingested.status == 0 && ingested.stdout.contains("\"committed_offset\":56"), "\(ingested)")
        let byName = try curl(["--cacert", certificates.authority, "-f", "https://localhost:\(port)/v1/docs"])
        #expect(byName.stdout.contains("\"notes\""), "the certificate names localhost too: \(byName)")
        // Without the CA the certificate is not trusted (curl's 60), with another CA neither; a
        // plain HTTP request to the TLS port gets no answer.
        #expect(try curl([base + "/healthz"]).status == 60)
        #expect(try curl(["--cacert", certificates.otherAuthority, base + "/healthz"]).status == 60)
        let plain = try curl(["-m", "10", "http://127.0.0.1:\(port)/v1/docs"])
        #expect(plain.status != 0 && !plain.stdout.contains("notes"), "\(plain)")

        // momd's client: MOMD_HOST=https://…, the CA from MOMD_CACERT or --cacert.
        let asked = try Momd.run(
            ["ask", "notes", "What is the garage door code?"], environment: ["MOMD_HOST": base, "MOMD_CACERT": certificates.authority])
        #expect(asked.status == 0 && asked.stdout == "4711\n", "\(asked.stderr)")
        let more = directory.appendingPathComponent("more.txt")
        try Data("The boat to Faro sails on Sundays.\n".utf8).write(to: more)
        let appended = try Momd.run(
            ["ingest", "notes", "--cacert", certificates.authority, "--json"], stdin: more, environment: ["MOMD_HOST": base, "MOMD_CACERT": ""])
        #expect(appended.status == 0, "\(appended.stderr)")
        #expect(try appended.json()["bytes"] as? Int == 91)
        // The database's daemon found through its lock names itself https://; the CLI trusts
        // the CA it is given.
        let listed = try Momd.run(["docs", "--db", database], environment: ["MOMD_CACERT": certificates.authority])
        #expect(listed.status == 0 && listed.stdout.hasPrefix("notes\t"), "\(listed.stderr)")

        // Not trusted: the system's roots, or the wrong CA: exit 69, saying how to trust it.
        let untrusted = try Momd.run(["docs"], environment: ["MOMD_HOST": base, "MOMD_CACERT": ""])
        #expect(untrusted.status == 69 && untrusted.stderr.contains("TLS") && untrusted.stderr.contains("--cacert"), "\(untrusted.stderr)")
        let wrongCA = try Momd.run(["docs"], environment: ["MOMD_HOST": base, "MOMD_CACERT": certificates.otherAuthority])
        #expect(wrongCA.status == 69, "\(wrongCA.stderr)")
        let missing = try Momd.run(["docs"], environment: ["MOMD_HOST": base, "MOMD_CACERT": directory.appendingPathComponent("none.pem").path])
        #expect(missing.status == 66 && missing.stderr.contains("no such file"), "\(missing.stderr)")
        // An http:// client meets a TLS listener: refused, nothing changed.
        let plainClient = try Momd.run(["docs"], environment: ["MOMD_HOST": "http://127.0.0.1:\(port)"])
        #expect(plainClient.status == 69, "\(plainClient.stderr)")
        #expect(daemon.stop() == 0)
    }

    @Test func serveRefusesTLSFilesItCannotUse() throws {
        let certificates = try TestCertificates.make(in: directory.appendingPathComponent("tls"))
        let listen = ["serve", "--db", database, "--listen", "127.0.0.1:\(try freeLoopbackPort())"]
        let alone = try Momd.run(listen + ["--tls-cert", certificates.serverCertificate])
        #expect(alone.status == 64 && alone.stderr.contains("together"), "\(alone.stderr)")
        let socket = try Momd.run(["serve", "--db", database, "--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey])
        #expect(socket.status == 64 && socket.stderr.contains("--tls-cert applies to --listen"), "\(socket.stderr)")
        let swapped = try Momd.run(listen + ["--tls-cert", certificates.serverKey, "--tls-key", certificates.serverCertificate])
        #expect(swapped.status == 66 && swapped.stderr.contains("holds no PEM certificate"), "\(swapped.stderr)")
        let otherKey = directory.appendingPathComponent("tls/other-ca.key").path
        let mismatched = try Momd.run(listen + ["--tls-cert", certificates.serverCertificate, "--tls-key", otherKey])
        #expect(mismatched.status == 66 && mismatched.stderr.contains("is not the private key"), "\(mismatched.stderr)")
        #expect(!FileManager.default.fileExists(atPath: database), "nothing was created")
    }
}
