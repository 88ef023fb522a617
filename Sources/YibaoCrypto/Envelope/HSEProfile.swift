/// The points where hospital SDKs differ, as settings of a named profile.
/// ``nhsa20`` (`nhsa-2.0`) is the default; see docs/ENVELOPE.md.
public struct HSEProfile: Sendable, Hashable, Codable {
    /// Which SM2 signer ID vendors use.
    public enum SignerIDSetting: String, Sendable, Codable, CaseIterable {
        /// `1234567812345678`.
        case `default`
        /// The UTF-8 bytes of the appSecret.
        case appSecret
    }

    /// Letter case of the `encData` hex.
    public enum HexCase: String, Sendable, Codable, CaseIterable {
        case upper, lower
    }

    public var name: String
    public var signerID: SignerIDSetting
    public var signatureEncoding: SignatureEncoding
    public var encDataHexCase: HexCase
    /// The `version` written when sealing.
    public var version: String
    /// How far a request's `timestamp` may be from the receiver's clock.
    public var timestampWindowSeconds: Int

    public init(name: String = "nhsa-2.0", signerID: SignerIDSetting = .default, signatureEncoding: SignatureEncoding = .raw,
                encDataHexCase: HexCase = .upper, version: String = "2.0.1", timestampWindowSeconds: Int = 300) {
        self.name = name
        self.signerID = signerID
        self.signatureEncoding = signatureEncoding
        self.encDataHexCase = encDataHexCase
        self.version = version
        self.timestampWindowSeconds = timestampWindowSeconds
    }

    /// Profile `nhsa-2.0` with its defaults: default ID, raw r‖s, upper-case hex, version 2.0.1, 300 s.
    public static let nhsa20 = HSEProfile()

    /// The signer ID bytes for `appSecret` under this profile.
    public func signerIDBytes(appSecret: String) -> [UInt8] {
        signerID == .default ? SM2.defaultSignerID : Array(appSecret.utf8)
    }

    /// A one-line summary, e.g. `nhsa-2.0 (signerID=default, signatureEncoding=raw, encDataHexCase=upper, version=2.0.1)`.
    public var summary: String {
        "\(name) (signerID=\(signerID.rawValue), signatureEncoding=\(signatureEncoding.rawValue), encDataHexCase=\(encDataHexCase.rawValue), version=\(version))"
    }
}
