import Foundation
import Hummingbird
import HummingbirdTesting
import MoMAPI
import MoMBench
import MoMCore
import Testing

@testable import MoMServer

@Suite("The web page at /: embedded files, a strict policy, no key for the page itself")
struct WebPageTests {
    static let pageFiles = ["/", "/app.js", "/app.css"]

    @Test("the page, its script and its stylesheet: their types, a strict Content-Security-Policy, nosniff, no key needed")
    func servesThePage() async throws {
        try await TCPTestDaemon.run(keys: try TestKeys.keys) { daemon in
            for (path, type) in zip(Self.pageFiles, ["text/html", "text/javascript", "text/css"]) {
                let page = try await daemon.send(.GET, path)
                #expect(page.status == 200, "\(path): \(page.status) \(page.body)")
                #expect(page.headers.first(name: "Content-Type") == "\(type); charset=utf-8")
                let policy = page.headers.first(name: "Content-Security-Policy") ?? ""
                #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && policy.contains("style-src 'self'"))
                #expect(!policy.contains("unsafe"), "\(policy)")
                #expect(page.headers.first(name: "X-Content-Type-Options") == "nosniff")
                #expect(page.headers.first(name: "X-Frame-Options") == "DENY")
                #expect(page.headers.first(name: "Access-Control-Allow-Origin") == nil)
                #expect(page.body.utf8.count == WebPage.assets.first { $0.path == path }?.bytes.count)

                let etag = try #require(page.headers.first(name: "ETag"))
                let again = try await daemon.send(.GET, path, extraHeaders: [("If-None-Match", etag)])
                #expect(again.status == 304 && again.body.isEmpty)
            }
            // The page is free to fetch; what it shows is not.
            let list = try await daemon.send(.GET, "/v1/docs")
            try expectRefusal(list, 401, "unauthorized", "the API without a key")
            #expect(try await daemon.send(.GET, "/v1/docs", key: TestKeys.read).status == 200)
        }
    }

    @Test("a foreign Host gets no page (DNS rebinding), and the page's paths take GET alone")
    func refusesStrangers() async throws {
        try await TCPTestDaemon.run(keys: nil) { daemon in
            for path in Self.pageFiles {
                let rebound = try await daemon.send(.GET, path, host: "attacker.example:\(daemon.port)")
                try expectRefusal(rebound, 421, "misdirected_request", "\(path) with a foreign Host")
                let posted = try await daemon.send(.POST, path, body: "x", contentType: "text/plain")
                try expectRefusal(posted, 405, "method_not_allowed", "POST \(path)")
                #expect(posted.headers.first(name: "Allow") == "GET")
            }
            #expect(try await daemon.send(.GET, "/index.html").status == 404)
        }
    }

    @Test("the page holds no inline script, style or handler, and its script writes no markup; 150 KB in all")
    func thePageIsStrict() throws {
        let html = String(decoding: PackageResources.index_html, as: UTF8.self)
        let script = String(decoding: PackageResources.app_js, as: UTF8.self)
        #expect(html.matches(of: /<script\b[^>]*>/).map(\.0) == [#"<script src="/app.js" defer>"#], "one script, from its own file")
        #expect(html.contains("</script>") && !html.contains("<script src=\"/app.js\" defer></script>\n<script"))
        #expect(html.firstMatch(of: /<style\b/) == nil && html.firstMatch(of: /\sstyle\s*=/) == nil, "no inline style")
        #expect(html.firstMatch(of: /\son[a-z]+\s*=/) == nil, "no inline handler")
        #expect(html.firstMatch(of: /(src|href)="(https?:)?\/\//) == nil, "nothing from another origin")
        for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", ".style.", "setAttribute('style'"] {
            #expect(!script.contains(sink), "app.js uses \(sink)")
        }
        #expect(WebPage.weight <= 150_000, "the page weighs \(WebPage.weight) bytes")
    }

    @Test("the document list carries what the page shows: the state's size and the reach bench capacity measured for it")
    func summariesCarryTheReach() async throws {
        let daemon = try TestDaemon()
        try await daemon.test { client in
            _ = try await client.execute(uri: "/v1/docs/notes/ingest", method: .post, body: ByteBuffer(string: "The door code is 4711. "))
            var float32 = MoMConfiguration.default
            float32.rowFormat = .float32
            float32.dk = 2048
            _ = try await client.execute(uri: "/v1/docs/wide", method: .put, body: try json(float32))
            let list = try await client.execute(uri: "/v1/docs", method: .get)
            let documents = try decode(DocumentListResponse.self, list).documents
            let notes = try #require(documents.first { $0.name == "notes" })
            #expect(notes.memoryBytes == 4 << 20 && notes.reachTokens == 32768)
            let wide = try #require(documents.first { $0.name == "wide" })
            #expect(wide.memoryBytes == 4 << 20 && wide.reachTokens == nil, "a shape bench capacity did not measure")
            #expect(notes.lease == nil, "SQLite keeps no leases")
        }
        #expect(DocumentSummary.measuredReach(of: CapacityBenchmark.configuration(mebibytes: 16)) == 131072)
        #expect(DocumentSummary.measuredReach(of: CapacityBenchmark.configuration(mebibytes: 2)) == nil)
    }
}
