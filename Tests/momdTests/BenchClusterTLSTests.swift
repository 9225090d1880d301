import Foundation
import Testing

@testable import momd_server

/// `momd bench cluster --tls`: the same daemon count over plain TCP and over TLS with API keys in
/// one run, the cost of TLS reported, and the failover phase over TLS losing nothing.
@Suite struct BenchClusterTLSTests {
    @Test(.timeLimit(.minutes(5)))
    func benchClusterReportsTLSAgainstPlainTCPAndLosesNothingOverTLS() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try ClusterTests.newDatabase()
        let result = try Momd.run([
            "bench", "cluster", "--db", database, "--daemons", "2", "--clients", "2", "--seconds", "1", "--kills", "3",
            "--kill-bytes", "8192", "--lease-seconds", "1", "--store-tokens", "0", "--tls", "--directory",
            directory.appendingPathComponent("bench").path, "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try result.json()
        let rows = try #require(json["throughput"] as? [[String: Any]])
        #expect(rows.compactMap { $0["tls"] as? Bool } == [false, true])
        for row in rows {
            #expect(row["ingest_errors"] as? Int == 0 && row["ask_errors"] as? Int == 0, "\(row)")
            #expect((row["asks"] as? Int ?? 0) > 0 && (row["ingest_bytes"] as? Int ?? 0) > 0, "\(row)")
        }
        let cost = try #require((json["tls_cost"] as? [[String: Any]])?.first)
        #expect(cost["daemons"] as? Int == 2)
        #expect((cost["ingest_throughput_ratio"] as? Double ?? 0) > 0 && (cost["ask_throughput_ratio"] as? Double ?? 0) > 0)
        let failover = try #require(json["failover"] as? [String: Any])
        #expect(failover["tls"] as? Bool == true)
        #expect(failover["acknowledged_bytes_lost"] as? Int == 0)
        #expect(failover["double_owners"] as? Int == 0)
        #expect(failover["digest"] as? String == failover["uninterrupted_digest"] as? String)
    }
}
