import Foundation
import MoMAPI
import Testing

@testable import momd_server

/// `momd serve --listen` as a stranger meets it: curl against a real `momd-server` process, with
/// and without API keys, and the CLI with `MOMD_API_KEY`.
@Suite final class ServeAccessTests {
    static let writeKey = "w-5f0c9e2a7b3d4e1f"
    static let readKey = "r-8a6b2c4d0e9f1a3b"

    let directory: URL
    var database: String { directory.appendingPathComponent("momd.sqlite").path }

    init() throws { directory = try temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(at: directory) }

    /// The binary `momd` hands `serve` to, beside it.
    static var serverBinary: URL { Momd.binary.deletingLastPathComponent().appendingPathComponent("momd-server") }

    /// A key file with one write key and one read key, for its user alone.
    func keyFile() throws -> URL {
        let url = directory.appendingPathComponent("keys.txt")
        try Data("# momd keys\nwrite \(Self.writeKey)\nread \(Self.readKey)\n".utf8).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        return url
    }

    /// What curl got: the status, the headers (lowercase names) and the body.
    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    /// Runs curl with `options` against `url`.
    func curl(_ url: String, _ options: [String] = [], key: String? = nil) throws -> Reply {
        let headers = directory.appendingPathComponent("curl-headers")
        var arguments = ["curl", "-sS", "-D", headers.path] + options
        if let key { arguments += ["-H", "Authorization: Bearer \(key)"] }
        let body = try shell(arguments + [url])
        let lines = try String(contentsOf: headers, encoding: .utf8).split(whereSeparator: \.isNewline)
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Reply(status: status, headers: fields, body: body)
    }

    func code(_ reply: Reply) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any]
        return (object?["error"] as? [String: Any])?["code"] as? String
    }

    @Test(.timeLimit(.minutes(8)))
    func curlMeetsAKeyedDaemon() throws {
        let port = try freeLoopbackPort()
        let daemon = try DaemonProcess.start(
            database: database, directory: directory, name: "serve", listenPort: port, extra: ["--api-key-file", try keyFile().path],
            apiKey: Self.readKey, binary: Self.serverBinary)
        defer { daemon.stop() }
        let base = "http://127.0.0.1:\(port)"
        let text = directory.appendingPathComponent("notes.txt")
        try Data("The garage door code is 4711. The train leaves at 7:45.\n".utf8).write(to: text)
        let ingest = ["-X", "POST", "-H", "Content-Type: application/octet-stream", "--data-binary", "@" + text.path]

        #expect(try curl(base + "/healthz").status == 200, "the health check takes no key")
        let anonymous = try curl(base + "/v1/docs")
        #expect(anonymous.status == 401 && code(anonymous) == "unauthorized", "\(anonymous)")
        #expect(anonymous.headers["www-authenticate"] == #"Bearer realm="momd""#)
        #expect(try curl(base + "/v1/docs/notes/ingest", ingest, key: Self.writeKey).status == 200)
        let digest = try #require(try report(base)["digest"] as? String)

        let readOnly = try curl(base + "/v1/docs/notes/ingest", ingest, key: Self.readKey)
        #expect(readOnly.status == 403 && code(readOnly) == "read_only_key", "\(readOnly)")
        let wrong = try curl(base + "/v1/docs/notes", ["-X", "DELETE"], key: Self.writeKey.uppercased())
        #expect(wrong.status == 401 && code(wrong) == "unauthorized", "\(wrong)")
        let rebound = try curl(
            "http://attacker.example:\(port)/v1/docs/notes", ["-X", "DELETE", "--resolve", "attacker.example:\(port):127.0.0.1",
                "-H", "Origin: http://attacker.example:\(port)"], key: Self.writeKey)
        #expect(rebound.status == 421 && code(rebound) == "misdirected_request", "\(rebound)")
        let crossSite = try curl(base + "/v1/docs/notes", ["-X", "DELETE", "-H", "Origin: http://attacker.example"], key: Self.writeKey)
        #expect(crossSite.status == 403 && code(crossSite) == "cross_origin", "\(crossSite)")
        #expect(crossSite.headers["access-control-allow-origin"] == nil)
        #expect(try report(base)["digest"] as? String == digest, "a refused request changed the document")

        // The CLI sends $MOMD_API_KEY; without a key, or with a read key for a write, it exits 77
        // with the daemon's reason.
        let asked = try Momd.run(["ask", "notes", "What is the garage door code?"], environment: ["MOMD_HOST": base, "MOMD_API_KEY": Self.readKey])
        #expect(asked.status == 0 && asked.stdout == "4711\n", "\(asked.stderr)")
        let noKey = try Momd.run(["docs"], environment: ["MOMD_HOST": base, "MOMD_API_KEY": ""])
        #expect(noKey.status == 77 && noKey.stderr.contains("MOMD_API_KEY"), "\(noKey.stderr)")
        let removed = try Momd.run(["rm", "notes"], environment: ["MOMD_HOST": base, "MOMD_API_KEY": Self.readKey])
        #expect(removed.status == 77 && removed.stderr.contains("needs a write key"), "\(removed.stderr)")
        let badKey = try Momd.run(["docs"], environment: ["MOMD_HOST": base, "MOMD_API_KEY": "two words"])
        #expect(badKey.status == 64 && badKey.stderr.contains("MOMD_API_KEY"), "\(badKey.stderr)")
        #expect(try report(base)["digest"] as? String == digest)
        #expect(try Momd.run(["rm", "notes"], environment: ["MOMD_HOST": base, "MOMD_API_KEY": Self.writeKey]).status == 0)

        #expect(daemon.stop() == 0)
        let log = try String(contentsOf: daemon.log, encoding: .utf8)
        #expect(!log.contains(Self.writeKey) && !log.contains(Self.readKey), "a key reached the log:\n\(log)")
    }

    @Test(.timeLimit(.minutes(8)))
    func aRebindingPageGetsNothingFromAnUnkeyedLoopbackDaemon() throws {
        let port = try freeLoopbackPort()
        let daemon = try DaemonProcess.start(
            database: database, directory: directory, name: "serve", listenPort: port, binary: Self.serverBinary)
        defer { daemon.stop() }
        let base = "http://127.0.0.1:\(port)"
        let text = directory.appendingPathComponent("notes.txt")
        try Data("The garage door code is 4711.\n".utf8).write(to: text)
        _ = try post(text, to: base + "/v1/docs/notes/ingest", curl: ["-f"])
        let digest = try #require(try report(base)["digest"] as? String)

        // attacker.example resolves to 127.0.0.1, as a rebinding page makes it; the browser sends
        // the page's name as Host and Origin.
        let page = "http://attacker.example:\(port)"
        let rebinding = ["--resolve", "attacker.example:\(port):127.0.0.1", "-H", "Origin: \(page)"]
        let ask = try curl(
            page + "/v1/docs/notes/ask", rebinding + ["-X", "POST", "-H", "Content-Type: text/plain", "--data", #"{"question": "What is the garage door code?"}"#])
        #expect(ask.status == 421 && code(ask) == "misdirected_request", "\(ask)")
        #expect(!ask.body.contains("4711"))
        let delete = try curl(page + "/v1/docs/notes", rebinding + ["-X", "DELETE"])
        #expect(delete.status == 421 && code(delete) == "misdirected_request", "\(delete)")
        #expect(try report(base)["digest"] as? String == digest, "the document is still there, unchanged")
    }

    @Test func serveRefusesToStartOpenToAnyone() throws {
        let open = try Momd.run(["serve", "--db", database, "--listen", "0.0.0.0:7411"])
        #expect(open.status == 64)
        #expect(open.stderr.contains("--api-key-file") && open.stderr.contains("--no-auth"), "\(open.stderr)")
        let both = try Momd.run(["serve", "--db", database, "--listen", "0.0.0.0:7411", "--no-auth", "--api-key-file", try keyFile().path])
        #expect(both.status == 64 && both.stderr.contains("not both"), "\(both.stderr)")
        let socketHost = try Momd.run(["serve", "--db", database, "--allowed-host", "momd.internal"])
        #expect(socketHost.status == 64 && socketHost.stderr.contains("--allowed-host applies to --listen"), "\(socketHost.stderr)")
        let badHost = try Momd.run(["serve", "--db", database, "--listen", "127.0.0.1:7411", "--allowed-host", "http://momd.internal"])
        #expect(badHost.status == 64 && badHost.stderr.contains("is not a host name"), "\(badHost.stderr)")

        let malformed = directory.appendingPathComponent("bad-keys.txt")
        try Data("# keys\nwrite \(Self.writeKey)\n\(Self.readKey)\n".utf8).write(to: malformed)
        let refused = try Momd.run(["serve", "--db", database, "--listen", "127.0.0.1:7411", "--api-key-file", malformed.path])
        #expect(refused.status == 64, "\(refused.stderr)")
        #expect(refused.stderr == "momd: \(malformed.path):3: expected `read KEY` or `write KEY`\n")
        #expect(!FileManager.default.fileExists(atPath: database), "nothing was created")
    }

    /// The report of `notes` through the daemon, with the read key if it needs one.
    func report(_ base: String) throws -> [String: Any] {
        let reply = try curl(base + "/v1/docs/notes", key: Self.readKey)
        try #require(reply.status == 200, "\(reply)")
        return try #require(try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any])
    }
}
