import Foundation
import YibaoCrypto

/// A dialect of the platform's interface as real HIS code speaks it in one province (方言):
/// how FSI requests are authenticated, how answers and refusals look. One JSON file per profile
/// in `profiles/` documents its public source (docs/DIALECTS.md); `nhsa-2.0` is the idealised
/// dialect of PROTOCOL.md and the default.
public struct DialectProfile: Sendable, Hashable, Codable {
    public var name: String
    /// One paragraph: what differs and who speaks it.
    public var summary: String
    /// Where the behaviour was seen: public repositories and files, search ids.
    public var sources: [String]
    public var fsi: FSIDialect
    /// How HSE envelopes are read and answered (strict when absent).
    public var hse: HSEDialect
    /// Mobile-payment answers and the settlement callback (PROTOCOL.md's when absent).
    public var payment: PaymentDialect
    /// The e-prescription centre's signatures (PROTOCOL.md's raw r‖s when absent).
    public var prescription: PrescriptionDialect

    public init(name: String, summary: String, sources: [String], fsi: FSIDialect, hse: HSEDialect = .strict, payment: PaymentDialect = .standard,
                prescription: PrescriptionDialect = .standard) {
        self.name = name
        self.summary = summary
        self.sources = sources
        self.fsi = fsi
        self.hse = hse
        self.payment = payment
        self.prescription = prescription
    }

    enum CodingKeys: String, CodingKey { case name, summary, sources, fsi, hse, payment, prescription }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        summary = try container.decode(String.self, forKey: .summary)
        sources = try container.decode([String].self, forKey: .sources)
        fsi = try container.decode(FSIDialect.self, forKey: .fsi)
        hse = try container.decodeIfPresent(HSEDialect.self, forKey: .hse) ?? .strict
        payment = try container.decodeIfPresent(PaymentDialect.self, forKey: .payment) ?? .standard
        prescription = try container.decodeIfPresent(PrescriptionDialect.self, forKey: .prescription) ?? .standard
    }

    /// The idealised dialect, built in so a gateway runs without the `profiles/` folder.
    public static let nhsa20 = DialectProfile(
        name: "nhsa-2.0",
        summary: "The idealised dialect of PROTOCOL.md: every FSI request signed in cainfo, refusals as HTTP 4xx application/problem+json, answers signed by the platform.",
        sources: ["docs/GATEWAY.md §3"],
        fsi: FSIDialect())

    /// Reads a profile file; `name` must match the file's name.
    public static func decode(_ data: Data, fileName: String? = nil) throws -> DialectProfile {
        let profile: DialectProfile
        do { profile = try JSONDecoder().decode(DialectProfile.self, from: data) } catch {
            throw DomainError.invalidValue("", "not a dialect profile: \(error)", rule: nil)
        }
        if let fileName, fileName != profile.name {
            throw DomainError.invalidValue("/name", "the profile in \(fileName).json is named \(profile.name): a profile's file is its name", rule: nil)
        }
        guard !profile.name.isEmpty, profile.name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") }) else {
            throw DomainError.invalidValue("/name", "a profile name is letters, digits, '-', '.' and '_'", actual: profile.name, rule: nil)
        }
        return profile
    }
}

/// How one dialect speaks the FSI envelope.
public struct FSIDialect: Sendable, Hashable, Codable {
    /// Authentication at the transport, before the envelope.
    public enum TransportAuth: String, Sendable, Hashable, Codable, CaseIterable {
        /// None: the hospital's network is trusted (the national interface, nhsa-2.0).
        case none
        /// Alibaba CSB gateway headers `_api_*` with an HMAC-SHA1 signature (Henan).
        case csb
        /// Guangdong digital-government gateway headers `x-tif-*` with a SHA-256 signature.
        case tif
        /// OAuth2 password grant at `/auth/oauth/token`, then `Authorization: Bearer` (Jilin).
        case oauth
    }

    /// What `cainfo` must be.
    public enum Cainfo: String, Sendable, Hashable, Codable {
        /// Always present and verified.
        case required
        /// May be empty or null; a non-empty one is verified.
        case optional
    }

    /// How `input`/`output` travel.
    public enum Encryption: String, Sendable, Hashable, Codable {
        case none
        /// `input` = Base64(SM4-ECB-PKCS7(key = the OAuth client id's 16 bytes, JSON)), `output` likewise;
        /// `cainfo` = Base64(raw r‖s SM3-with-SM2, default signer ID) over that JSON (Jilin).
        case sm4Input = "sm4-input"
    }

    /// How refusals are answered.
    public enum Refusals: String, Sendable, Hashable, Codable {
        /// HTTP 4xx `application/problem+json` (nhsa-2.0).
        case problemJSON = "problem+json"
        /// HTTP 200 with `infcode` -1 (system) or -2 (business), `err_msg`, `output` null — real
        /// clients throw on any other status; the full problem document rides along in `problem`.
        case http200 = "http-200"
    }

    public enum InfcodeType: String, Sendable, Hashable, Codable { case number, string }
    /// How an answer writes a member it has no value for (`err_msg`, `warn_msg`, `cainfo`, `signtype`).
    public enum EmptyValue: String, Sendable, Hashable, Codable {
        case emptyString = "empty-string"
        case null
    }
    /// `refmsg_time` / `respond_time`.
    public enum AnswerTime: String, Sendable, Hashable, Codable {
        case dateTime = "yyyy-MM-dd HH:mm:ss"
        case compactMillis = "yyyyMMddHHmmssSSS"
    }
    /// `inf_refmsgid`.
    public enum RefMsgId: String, Sendable, Hashable, Codable {
        /// The institution's area (6) + yyyyMMddHHmmss + 8 digits (28 characters; nhsa-2.0 as before).
        case legacy
        /// The receiver's admdvs (6) + yyyyMMddHHmmss + a 10-digit serial: 30 characters.
        case admdvsTimeSerial = "admdvs-time-serial"
    }

    public var transportAuth: TransportAuth = .none
    public var cainfo: Cainfo = .required
    public var encryption: Encryption = .none
    public var refusals: Refusals = .problemJSON
    public var infcodeType: InfcodeType = .number
    public var emptyAnswerMembers: EmptyValue = .emptyString
    public var answerTime: AnswerTime = .dateTime
    public var refMsgId: RefMsgId = .legacy
    /// Whether the platform signs its answers in `cainfo`.
    public var signAnswers: Bool = true
    /// Transport timestamps (`_api_timestamp`, `x-tif-timestamp`) must be within this many seconds of the platform's clock.
    public var transportWindowSeconds: Int = 300
    /// OAuth access tokens live this many seconds (`expires_in`).
    public var tokenLifetimeSeconds: Int = 7200
    /// Transactions that must precede 2206/2207 of a visit, as some provinces require: `2001` (a passed
    /// benefit check of the person) and/or `3101` (a pre-event audit of the visit; a 3102 counts too).
    public var beforeSettlement: [String] = []
    /// The transactions ``beforeSettlement`` may name.
    public static let settlementPrerequisites = ["2001", "3101"]
    /// Whether 2204 and 6201 refuse a fee line whose own item code (`medins_list_codg`, `medinsListCodg`) is not
    /// mapped to its catalogue code by a 3301 mapping in force — the real platforms' behaviour.
    public var requireCatalogueMapping: Bool = false

    public init() {}

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        transportAuth = try container.decodeIfPresent(TransportAuth.self, forKey: .transportAuth) ?? .none
        cainfo = try container.decodeIfPresent(Cainfo.self, forKey: .cainfo) ?? .required
        encryption = try container.decodeIfPresent(Encryption.self, forKey: .encryption) ?? .none
        refusals = try container.decodeIfPresent(Refusals.self, forKey: .refusals) ?? .problemJSON
        infcodeType = try container.decodeIfPresent(InfcodeType.self, forKey: .infcodeType) ?? .number
        emptyAnswerMembers = try container.decodeIfPresent(EmptyValue.self, forKey: .emptyAnswerMembers) ?? .emptyString
        answerTime = try container.decodeIfPresent(AnswerTime.self, forKey: .answerTime) ?? .dateTime
        refMsgId = try container.decodeIfPresent(RefMsgId.self, forKey: .refMsgId) ?? .legacy
        signAnswers = try container.decodeIfPresent(Bool.self, forKey: .signAnswers) ?? true
        transportWindowSeconds = try container.decodeIfPresent(Int.self, forKey: .transportWindowSeconds) ?? 300
        tokenLifetimeSeconds = try container.decodeIfPresent(Int.self, forKey: .tokenLifetimeSeconds) ?? 7200
        beforeSettlement = try container.decodeIfPresent([String].self, forKey: .beforeSettlement) ?? []
        requireCatalogueMapping = try container.decodeIfPresent(Bool.self, forKey: .requireCatalogueMapping) ?? false
        if let unknown = beforeSettlement.first(where: { !Self.settlementPrerequisites.contains($0) }) {
            throw DecodingError.dataCorruptedError(forKey: .beforeSettlement, in: container,
                                                   debugDescription: "beforeSettlement names \(unknown); it may name \(Self.settlementPrerequisites.joined(separator: ", "))")
        }
        if encryption == .sm4Input && transportAuth != .oauth {
            throw DecodingError.dataCorruptedError(forKey: .encryption, in: container,
                                                   debugDescription: "sm4-input takes its key from the OAuth client id: transportAuth must be oauth")
        }
    }
}
