import Foundation
import Testing

/// A throwaway certificate authority made with `openssl` for one test: its certificate, and a
/// server certificate it signed for `localhost`, 127.0.0.1 and ::1 with that server's key (PEM
/// files, the keys for their owner alone).
struct TestCertificates {
    let directory: URL
    /// The CA's certificate: what clients trust (`--cacert`, `MOMD_CACERT`, `sslrootcert=`).
    var authority: String { directory.appendingPathComponent("ca.pem").path }
    var serverCertificate: String { directory.appendingPathComponent("server.pem").path }
    var serverKey: String { directory.appendingPathComponent("server.key").path }
    /// A CA nobody signed anything with, to trust instead of the right one.
    var otherAuthority: String { directory.appendingPathComponent("other-ca.pem").path }

    /// Makes the CA, a second unrelated CA and the server's certificate in `directory`.
    static func make(in directory: URL) throws -> TestCertificates {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificates = TestCertificates(directory: directory)
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        func authority(_ name: String, _ subject: String) throws {
            try shell([
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", subject, "-keyout", path("\(name).key"), "-out", path("\(name).pem"),
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        }
        try authority("ca", "/CN=momd test CA")
        try authority("other-ca", "/CN=another test CA")
        try shell([
            "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
            "-keyout", path("server.key"), "-out", path("server.csr"),
        ])
        try Data(
            """
            basicConstraints=CA:FALSE
            keyUsage=critical,digitalSignature,keyEncipherment
            extendedKeyUsage=serverAuth
            subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1

            """.utf8
        ).write(to: directory.appendingPathComponent("server.ext"))
        try shell([
            "openssl", "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-set_serial",
            "\(UInt32.random(in: 1...UInt32.max))", "-days", "2", "-extfile", path("server.ext"), "-out", path("server.pem"),
        ])
        for key in ["ca.key", "other-ca.key", "server.key"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path(key))
        }
        return certificates
    }
}
