import AsyncHTTPClient
import Foundation
import NIOSSL
import Testing
import YibaoClient
import YibaoGateway
import YibaoTestSupport

/// HTTPS and mutual TLS with the dev certificates of certs/tls (certs/generate-tls.sh).
@Suite("TLS and mutual TLS")
struct TLSTests {
    static let directory = TestWorkspace.certs + "/tls"

    func client(certificate: Bool) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(Self.directory + "/ca.cert.pem"))
        if certificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(Self.directory + "/client.cert.pem").map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: Self.directory + "/client.key.pem", format: .pem))
        }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
    }

    @Test("with a client CA: the hospital's certificate gets /health and a signed FSI answer over HTTPS; no certificate, or plaintext, gets nothing")
    func mutual() async throws {
        let harness = try await GatewayHarness.make()
        let tls = try GatewayTLS.configuration(certificateChain: Self.directory + "/server.cert.pem", privateKey: Self.directory + "/server.key.pem",
                                               clientCA: Self.directory + "/ca.cert.pem")
        try await harness.gateway.application(host: "127.0.0.1", port: 0, quiet: true, callbackInterval: nil, tls: tls).test(.live) { live in
            let port = try #require(live.port)
            let hospital = try client(certificate: true)
            let anonymous = try client(certificate: false)
            do {
                let health = try await hospital.execute(HTTPClientRequest(url: "https://127.0.0.1:\(port)/health"), timeout: .seconds(10))
                #expect(health.status == .ok)
                // The typed client over mutual TLS: a signed 9001 and its verified answer.
                let typed = YibaoClient(baseURL: "https://localhost:\(port)", credentials: try harness.clientCredentials(),
                                        clock: GatewayClockMirror(await harness.gateway.clock.now()), httpClient: hospital)
                #expect(try await !typed.signIn().isEmpty)
                await #expect(throws: (any Error).self) {
                    _ = try await anonymous.execute(HTTPClientRequest(url: "https://127.0.0.1:\(port)/health"), timeout: .seconds(10))
                }
                await #expect(throws: (any Error).self) {
                    _ = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"), timeout: .seconds(10))
                }
            } catch {
                try? await hospital.shutdown()
                try? await anonymous.shutdown()
                throw error
            }
            try await hospital.shutdown()
            try await anonymous.shutdown()
        }
    }

    @Test("files that cannot serve are named before the gateway starts: a key that is not the certificate's, a missing file")
    func refusedFiles() throws {
        #expect(throws: GatewayTLS.Failure.self) {
            try GatewayTLS.configuration(certificateChain: Self.directory + "/server.cert.pem", privateKey: Self.directory + "/client.key.pem")
        }
        do {
            _ = try GatewayTLS.configuration(certificateChain: Self.directory + "/missing.pem", privateKey: Self.directory + "/server.key.pem")
            Issue.record("a missing certificate file was accepted")
        } catch let failure as GatewayTLS.Failure {
            #expect(failure.description.contains("--tls-certificate") && failure.description.contains("missing.pem"))
        }
    }
}
