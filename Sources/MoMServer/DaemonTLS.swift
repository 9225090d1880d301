import Foundation
import NIOSSL

/// TLS for the API: the daemon's certificate and key (`momd serve --tls-cert FILE --tls-key
/// FILE`), and what a client trusts when it reaches an `https://` daemon (the system's roots, or
/// the CA certificates of `--cacert FILE` / `MOMD_CACERT`). TLS 1.2 at least, both ways.
public enum DaemonTLS {
    /// The environment variable the CLI reads its CA certificates' file from.
    public static let caCertificatesVariable = "MOMD_CACERT"

    /// A server configuration from a PEM certificate chain (the daemon's certificate first, then
    /// any intermediates) and its PEM private key; refused if either cannot be read or the key is
    /// not the certificate's.
    public static func server(certificateFile: String, keyFile: String) throws -> TLSConfiguration {
        let chain = try certificates(in: certificateFile, option: "--tls-cert")
        let keyBytes = try contents(of: keyFile, option: "--tls-key")
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem)
        } catch {
            throw DaemonTLSError("--tls-key \(keyFile) holds no PEM private key (a passphrase-protected key is not read: decrypt it with `openssl pkey`)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw DaemonTLSError("--tls-key \(keyFile) is not the private key of the certificate in --tls-cert \(certificateFile)")
        }
        return configuration
    }

    /// A client configuration that verifies the daemon's certificate and name against the CA
    /// certificates in `caFile` (PEM), or the system's roots when nil.
    public static func client(caFile: String?) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .fullVerification
        if let caFile {
            configuration.trustRoots = .certificates(try certificates(in: caFile, option: "--cacert"))
        }
        return configuration
    }

    static func certificates(in file: String, option: String) throws -> [NIOSSLCertificate] {
        let bytes = try contents(of: file, option: option)
        let certificates = (try? NIOSSLCertificate.fromPEMBytes(bytes)) ?? []
        guard !certificates.isEmpty else { throw DaemonTLSError("\(option) \(file) holds no PEM certificate (-----BEGIN CERTIFICATE-----)") }
        return certificates
    }

    static func contents(of file: String, option: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: file) else {
            let reason = FileManager.default.fileExists(atPath: file) ? "it cannot be read" : "no such file"
            throw DaemonTLSError("\(option) \(file): \(reason)")
        }
        return [UInt8](data)
    }

    /// Whether a connection failed in TLS (a handshake refused, a certificate not trusted or for
    /// another name), as against not reaching the daemon at all.
    static func isTLSFailure(_ error: any Error) -> Bool {
        error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError
    }
}

/// A TLS file that cannot be used, said as the command line named it.
public struct DaemonTLSError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
