import HTTPTypes
import Hummingbird
import MoMCore

/// The web page every listener serves at `GET /`: one HTML file, one stylesheet and one script,
/// compiled into the binary (`Sources/MoMServer/Web`, embedded by SwiftPM), so a copied binary
/// serves it offline and nothing is fetched from anywhere else. The script builds everything it
/// shows with DOM calls and `textContent` from the JSON API, so document text, which is
/// anyone's input, is never parsed as markup.
public enum WebPage {
    /// One file of the page.
    public struct Asset: Sendable {
        public let path: String
        public let contentType: String
        public let bytes: [UInt8]
        /// A strong validator: the content's hash, so a daemon upgraded in place is re-fetched.
        public let etag: String

        init(path: String, contentType: String, bytes: [UInt8]) {
            self.path = path
            self.contentType = contentType
            self.bytes = bytes
            etag = "\"" + StableHash.hexDigest(bytes) + "\""
        }
    }

    public static let assets: [Asset] = [
        Asset(path: "/", contentType: "text/html; charset=utf-8", bytes: PackageResources.index_html),
        Asset(path: "/app.js", contentType: "text/javascript; charset=utf-8", bytes: PackageResources.app_js),
        Asset(path: "/app.css", contentType: "text/css; charset=utf-8", bytes: PackageResources.app_css),
    ]

    /// What the page may load and run: its own script and stylesheet and requests to its own
    /// origin, nothing inline (no `unsafe-inline`: an injected `<script>` or `style=` would not
    /// run), no frames around it, no form posting anywhere (the script sends every request).
    /// The icon is an empty `data:` image, so the browser asks for no /favicon.ico.
    public static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        + "form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

    /// Bytes of the whole page (HTML, CSS, JavaScript), uncompressed.
    public static var weight: Int { assets.reduce(0) { $0 + $1.bytes.count } }

    static func asset(at path: String) -> Asset? { assets.first { $0.path == path } }

    static func response(for asset: Asset, ifNoneMatch: String?) -> Response {
        let headers: HTTPFields = [
            .contentType: asset.contentType,
            .contentSecurityPolicy: contentSecurityPolicy,
            .xContentTypeOptions: "nosniff",
            PageHeader.referrerPolicy: "no-referrer",
            PageHeader.frameOptions: "DENY",
            PageHeader.openerPolicy: "same-origin",
            PageHeader.resourcePolicy: "same-origin",
            // Revalidated on every load (a 304 while the binary is the same).
            .cacheControl: "no-cache",
            .eTag: asset.etag,
        ]
        if ifNoneMatch == asset.etag { return Response(status: .notModified, headers: headers) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}

/// Serves the page's files ahead of the API's checks: a TCP listener's Host check still runs
/// (a rebinding page gets a 421 here too), but no API key is asked for, since a browser opening
/// the page cannot send one; the files hold no data, and every API request the page then makes
/// carries the key the page asked for. Other methods on these paths are 405.
struct WebPageMiddleware<Context: RequestContext>: RouterMiddleware {
    let access: ListenerAccess?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let asset = WebPage.asset(at: request.uri.path) else { return try await next(request, context) }
        try access?.checkHost(request)
        guard request.method == .get else {
            let body = try JSONCoding.encoder.encode(
                APIError.Body(error: .init(code: "method_not_allowed", message: "\(request.method) is not served on \(asset.path); it takes GET")))
            return Response(
                status: .methodNotAllowed, headers: [.contentType: "application/json", .allow: "GET"],
                body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        return WebPage.response(for: asset, ifNoneMatch: request.headers[.ifNoneMatch])
    }
}

/// Response fields HTTPTypes has no names for.
private enum PageHeader {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
    static let openerPolicy = HTTPField.Name("Cross-Origin-Opener-Policy")!
    static let resourcePolicy = HTTPField.Name("Cross-Origin-Resource-Policy")!
}
