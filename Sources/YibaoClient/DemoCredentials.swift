import Foundation
import YibaoCore
import YibaoCrypto

/// `certs/demo-credentials.json`: the demo institutions' app credentials, the admin and channel
/// tokens, and the platform's public key. Test-only secrets (certs/README.md).
public struct DemoCredentials: Sendable, Codable {
    public struct Channel: Sendable, Codable { public var id: String; public var name: String; public var token: String }
    public struct Platform: Sendable, Codable {
        public var publicKey: String
        public var certificate: String
        public var privateKeyPem: String
        public var signerID: String
    }
    public struct Institution: Sendable, Codable {
        public var fixmedins_code: String
        public var fixmedins_name: String
        public var note: String
        public var appId: String
        public var appSecret: String
        public var privateKey: String
        public var publicKey: String
        public var certificate: String?
        public var privateKeyPem: String?
        /// Transport credentials of the dialect profiles (docs/DIALECTS.md).
        public var csb: CSB?
        public var tif: TIF?
        public var oauth: OAuth?
    }
    public struct CSB: Sendable, Codable { public var accessKey: String; public var secretKey: String }
    public struct TIF: Sendable, Codable { public var paasid: String; public var token: String }
    public struct OAuth: Sendable, Codable {
        public var clientId: String
        public var clientSecret: String
        public var username: String
        public var password: String
        public var scope: String?
    }

    public var description: String
    public var adminToken: String
    public var channel: Channel
    public var platform: Platform
    public var institutions: [Institution]

    /// The file name inside the certs directory.
    public static let fileName = "demo-credentials.json"

    /// Reads `certsDirectory/demo-credentials.json`.
    public static func load(certsDirectory: String) throws -> DemoCredentials {
        let path = (certsDirectory as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw YibaoClientError(status: 0, code: "CREDENTIALS_NOT_FOUND", detail: "no \(path); pass --certs DIR (the folder with demo-credentials.json)")
        }
        return try JSONDecoder().decode(DemoCredentials.self, from: data)
    }

    /// The demo hospital with an active Internet+ agreement.
    public static let demoHospital = "H12010100001"

    /// The client credentials of institution `code`.
    public func credentials(for code: String) throws -> YibaoClient.Credentials {
        guard let entry = institutions.first(where: { $0.fixmedins_code == code }) else {
            throw YibaoClientError(status: 0, code: "CREDENTIALS_UNKNOWN_INSTITUTION",
                                   detail: "no credentials for \(code); known: \(institutions.map(\.fixmedins_code).joined(separator: ", "))")
        }
        return YibaoClient.Credentials(fixmedinsCode: entry.fixmedins_code, fixmedinsName: entry.fixmedins_name, appId: entry.appId,
                                       appSecret: entry.appSecret, privateKey: try SM2.PrivateKey(anyFormat: entry.privateKey),
                                       platformPublicKey: try SM2.PublicKey(anyFormat: platform.publicKey),
                                       admdvs: String(entry.fixmedins_code.dropFirst().prefix(6)))
    }
}
