import Foundation
import YibaoCore
import YibaoCrypto

/// The dev PKI's trust: both roots (SM2, P-256), their intermediates and CRLs, the platform certificate.
public struct DevTrust: Sendable {
    public let certs: String
    public let roots: [Certificate]
    public let intermediates: [Certificate]
    public let revocationLists: [CertificateRevocationList]
    public let platformCertificate: Certificate

    /// Reads `certs`/{sm2,p256}/{root,intermediate}.cert.pem, the intermediates' CRLs and the platform certificate.
    public init(certs: String, credentials: DemoCredentials? = nil) throws {
        self.certs = certs
        func read(_ name: String) throws -> String { try Self.read(name, in: certs) }
        var roots: [Certificate] = [], intermediates: [Certificate] = [], crls: [CertificateRevocationList] = []
        for tree in ["sm2", "p256"] {
            roots.append(try Certificate(pemRepresentation: try read("\(tree)/root.cert.pem")))
            intermediates.append(try Certificate(pemRepresentation: try read("\(tree)/intermediate.cert.pem")))
            crls.append(try CertificateRevocationList(pemRepresentation: try read("\(tree)/intermediate.crl.pem")))
        }
        self.roots = roots
        self.intermediates = intermediates
        revocationLists = crls
        platformCertificate = try Certificate(pemRepresentation: try read(credentials?.platform.certificate ?? "sm2/platform.cert.pem"))
    }

    /// The text of `name` under the certs folder.
    public func file(_ name: String) throws -> String { try Self.read(name, in: certs) }

    /// The text of `name` under `certs`, without reading the whole PKI.
    public static func read(_ name: String, in certs: String) throws -> String {
        let path = (certs as NSString).appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw YibaoClientError(status: 0, code: "DEV_PKI_FILE_MISSING", detail: "missing \(path) (the dev PKI in certs/, see certs/README.md)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// A verifier of signed prescriptions trusting the dev PKI.
    public var prescriptionVerifier: PrescriptionVerifier {
        PrescriptionVerifier(trustAnchors: roots, intermediates: intermediates, revocationLists: revocationLists, platformCertificate: platformCertificate)
    }
}

