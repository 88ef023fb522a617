import Foundation
import NIOSSL

/// HTTPS for the gateway (`yibao serve --tls-certificate … --tls-key … [--tls-client-ca …]`),
/// with swift-nio-ssl: TLS 1.2 or 1.3, and with a client CA, mutual TLS — a client that presents no
/// certificate signed by that CA is refused during the handshake, before any request is read.
/// Dev certificates: certs/tls/ (certs/generate-tls.sh), test-only.
public enum GatewayTLS {
    /// Why a TLS setting cannot be used, naming the file.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The server configuration from PEM files: the certificate chain (leaf first), its private key
    /// and, for mutual TLS, the CA bundle client certificates must chain to.
    public static func configuration(certificateChain: String, privateKey: String, clientCA: String? = nil) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certificateChain) } catch {
            throw Failure(description: "--tls-certificate \(certificateChain): not a readable PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else { throw Failure(description: "--tls-certificate \(certificateChain): no certificate in the file") }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: privateKey, format: .pem) } catch {
            throw Failure(description: "--tls-key \(privateKey): not a readable PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        if let clientCA {
            let roots: [NIOSSLCertificate]
            do { roots = try NIOSSLCertificate.fromPEMFile(clientCA) } catch {
                throw Failure(description: "--tls-client-ca \(clientCA): not a readable PEM certificate bundle (\(error))")
            }
            guard !roots.isEmpty else { throw Failure(description: "--tls-client-ca \(clientCA): no certificate in the file") }
            configuration.trustRoots = .certificates(roots)
            configuration.certificateVerification = .noHostnameVerification
        }
        do { _ = try NIOSSLContext(configuration: configuration) } catch {
            throw Failure(description: "--tls-certificate \(certificateChain) with --tls-key \(privateKey): cannot be used together (\(error)); is the key the certificate's?")
        }
        return configuration
    }
}
