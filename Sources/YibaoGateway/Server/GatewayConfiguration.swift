import Foundation
import Synchronization
import YibaoCore
import YibaoCrypto
import YibaoStore
import YibaoServices

/// Everything a gateway needs besides its store. Defaults are the dev set-up: the dev PKI in
/// `certs/`, the `nhsa-2.0` profiles.
public struct GatewayConfiguration: Sendable {
    /// The platform's SM2 signing key: signs every response and countersignature.
    public var platformKey: SM2.PrivateKey
    /// The platform's certificate (its serial and DN go into prescription countersignatures).
    public var platformCertificate: Certificate?
    /// Envelope settings (signer ID, signature encoding, hex case, timestamp window).
    public var envelopeProfile: HSEProfile
    /// Policy settings (token lifetimes, agreement deadlines, calendar, FSI time window).
    public var policy: PolicyProfile
    /// Bearer token of the admin API.
    public var adminToken: String
    /// Authorised e-voucher channels (ID-2): channel id → bearer token.
    public var channels: [String: String]
    /// Trust anchors and intermediates for practitioners' certificates.
    public var trustedRoots: [Certificate]
    public var intermediates: [Certificate]
    public var revocationLists: [CertificateRevocationList]
    /// Region policy profiles (policies/regions/*.json) by province-level admdvs, for settlement.
    public var regions: [String: RegionPolicy] = [:]
    /// Allows `POST /__clock/advance` (tests and demos only).
    public var testClock: Bool
    /// On a bad signature, try the known SDK mistakes to say which one was made (~40 extra SM2
    /// verifications per failure). On by default: this is a developer tool.
    public var diagnoseSignatures: Bool
    /// Bounds on bodies, JSON, connections, refusals, callbacks and the passive log.
    public var limits = GatewayLimits()
    /// The dialect profiles this gateway knows (profiles/*.json), by name; `nhsa-2.0` is always there.
    public var dialects: [String: DialectProfile] = [DialectProfile.nhsa20.name: .nhsa20]
    /// The dialect of institutions without their own (`yibao serve --profile`).
    public var defaultDialect = DialectProfile.nhsa20.name

    /// The profile `name` (an institution's), else the gateway's default.
    public func dialect(named name: String?) -> DialectProfile {
        if let name, let profile = dialects[name] { return profile }
        return dialects[defaultDialect] ?? .nhsa20
    }
    /// Deliberate rule violations (`yibao serve --fault`), so the conformance tester can prove it
    /// catches them. Empty, always, outside such self-checks.
    public var faults: Set<GatewayFault> = []

    public init(platformKey: SM2.PrivateKey, platformCertificate: Certificate? = nil, envelopeProfile: HSEProfile = .nhsa20, policy: PolicyProfile = .nhsa20,
                adminToken: String, channels: [String: String], trustedRoots: [Certificate] = [], intermediates: [Certificate] = [],
                revocationLists: [CertificateRevocationList] = [], testClock: Bool = false, diagnoseSignatures: Bool = true) {
        self.platformKey = platformKey
        self.platformCertificate = platformCertificate
        self.envelopeProfile = envelopeProfile
        self.policy = policy
        self.adminToken = adminToken
        self.channels = channels
        self.trustedRoots = trustedRoots
        self.intermediates = intermediates
        self.revocationLists = revocationLists
        self.testClock = testClock
        self.diagnoseSignatures = diagnoseSignatures
    }
}

/// The gateway's clock: the wall clock plus an offset that `POST /__clock/advance` moves
/// (only when the gateway was started with a test clock), so tests never wait in real time.
/// With a store, the offset is kept in the database (setting `clock.offset`, seconds): every
/// gateway process on one database tells the same time, and a restart keeps it. A lock, not an
/// actor: every request asks the time, and without a test clock that costs no hop to an executor.
public final class GatewayClock: Sendable {
    static let offsetSetting = "clock.offset"
    private let offset = Mutex<TimeInterval>(0)
    private let base: any WallClock
    private let store: (any GatewayStore)?

    public init(base: any WallClock = SystemWallClock(), store: (any GatewayStore)? = nil) {
        self.base = base
        self.store = store
    }

    public func now() async -> Date {
        if let store, let stored = try? await store.read({ try await $0.setting(Self.offsetSetting) }), let seconds = TimeInterval(stored) {
            offset.withLock { $0 = seconds }
        }
        return base.now().addingTimeInterval(offset.withLock { $0 })
    }

    /// Moves the clock forward by `seconds` and returns the new time.
    public func advance(by seconds: TimeInterval) async throws -> Date {
        if let store {
            let moved = try await store.write { store in
                let moved = (try await store.setting(Self.offsetSetting).flatMap(TimeInterval.init) ?? 0) + seconds
                try await store.setSetting(Self.offsetSetting, String(moved))
                return moved
            }
            offset.withLock { $0 = moved }
        } else {
            offset.withLock { $0 += seconds }
        }
        return base.now().addingTimeInterval(offset.withLock { $0 })
    }
}

