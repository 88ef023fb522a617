import COpenSSL
import Foundation

/// Verifies a certificate chain to trust anchors with OpenSSL's `X509_verify_cert`, then
/// checks key usage and revocation. SM2 chains work: the distinguishing ID is set on a
/// private copy of every SM2-signed certificate before verification.
public struct CertificateChainVerifier: Sendable {
    /// What to do about revocation.
    public enum RevocationPolicy: String, Sendable {
        /// Do not look at CRLs.
        case disabled
        /// Check every certificate against the CRLs of its issuer when one is present.
        case checkWhenCRLPresent
        /// Every non-root certificate must be covered by a valid CRL.
        case requireCRL
    }

    /// Why a chain was not accepted.
    public struct Failure: Sendable, Hashable, CustomStringConvertible {
        public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
            public let rawValue: String
            public init(rawValue: String) { self.rawValue = rawValue }
            public var description: String { rawValue }

            public static let expired = Code(rawValue: "CERT_EXPIRED")
            public static let notYetValid = Code(rawValue: "CERT_NOT_YET_VALID")
            public static let untrustedIssuer = Code(rawValue: "CERT_UNTRUSTED_ISSUER")
            public static let badSignature = Code(rawValue: "CERT_BAD_SIGNATURE")
            public static let revoked = Code(rawValue: "CERT_REVOKED")
            public static let keyUsage = Code(rawValue: "CERT_KEY_USAGE")
            public static let crlUnavailable = Code(rawValue: "CRL_UNAVAILABLE")
            public static let crlBadSignature = Code(rawValue: "CRL_BAD_SIGNATURE")
            public static let crlExpired = Code(rawValue: "CRL_EXPIRED")
            public static let other = Code(rawValue: "CERT_CHAIN_INVALID")
        }

        public let code: Code
        /// Subject DN of the certificate the failure is about.
        public let subject: String
        public let detail: String

        public var description: String { "\(code): \(detail) [\(subject)]" }
    }

    /// The outcome: the verified chain (leaf first) or the failures.
    public enum Result: Sendable {
        case valid(chain: [Certificate])
        case invalid([Failure])

        public var isValid: Bool { if case .valid = self { return true } else { return false } }
        public var failures: [Failure] { if case .invalid(let f) = self { return f } else { return [] } }
    }

    public var trustAnchors: [Certificate]
    public var intermediates: [Certificate]
    public var crls: [CertificateRevocationList]
    public var revocationPolicy: RevocationPolicy
    /// Key usages the leaf must have (any of them suffices); empty for no check.
    public var requiredLeafKeyUsage: KeyUsage
    /// SM2 distinguishing ID used for SM2-signed certificates and CRLs.
    public var signerID: [UInt8]
    public var clock: any WallClock

    public init(trustAnchors: [Certificate], intermediates: [Certificate] = [], crls: [CertificateRevocationList] = [],
                revocationPolicy: RevocationPolicy = .checkWhenCRLPresent,
                requiredLeafKeyUsage: KeyUsage = [.digitalSignature, .nonRepudiation],
                signerID: [UInt8] = SM2.defaultSignerID, clock: any WallClock = SystemWallClock()) {
        self.trustAnchors = trustAnchors
        self.intermediates = intermediates
        self.crls = crls
        self.revocationPolicy = revocationPolicy
        self.requiredLeafKeyUsage = requiredLeafKeyUsage
        self.signerID = signerID
        self.clock = clock
    }

    /// Verifies `leaf` at the clock's current time.
    public func verify(_ leaf: Certificate) -> Result { verify(leaf, at: clock.now()) }

    /// Verifies `leaf` as of `time` (validity periods, revocation dates).
    public func verify(_ leaf: Certificate, at time: Date) -> Result {
        do {
            let chain = try buildChain(leaf, at: time)
            var failures: [Failure] = []
            if !requiredLeafKeyUsage.isEmpty, let usage = leaf.keyUsage, usage.isDisjoint(with: requiredLeafKeyUsage) {
                failures.append(Failure(code: .keyUsage, subject: leaf.subject,
                                        detail: "key usage \(usage) does not include \(requiredLeafKeyUsage)"))
            }
            failures += revocationFailures(chain, at: time)
            return failures.isEmpty ? .valid(chain: chain) : .invalid(failures)
        } catch let failure as Failure {
            return .invalid([failure])
        } catch {
            return .invalid([Failure(code: .other, subject: leaf.subject, detail: "\(error)")])
        }
    }

    private func prepared(_ certificate: Certificate) throws -> X509Box {
        let copy = try certificate.duplicate()
        if X509_get_signature_nid(copy.pointer) == NID_SM2_with_SM3 {
            let ok = signerID.withUnsafeBufferPointer { yb_x509_set_distinguishing_id(copy.pointer, $0.baseAddress, $0.count) }
            guard ok == 1 else { throw CryptoError.openSSL("setting the SM2 distinguishing ID failed") }
        }
        return copy
    }

    private func buildChain(_ leaf: Certificate, at time: Date) throws -> [Certificate] {
        clearOpenSSLErrors()
        guard let store = X509_STORE_new() else { throw CryptoError.openSSL("X509_STORE_new failed") }
        defer { X509_STORE_free(store) }
        for anchor in trustAnchors {
            let copy = try prepared(anchor)
            try withExtendedLifetime(copy) {
                // The store takes its own reference.
                guard X509_STORE_add_cert(store, copy.pointer) == 1 else { throw CryptoError.openSSL("X509_STORE_add_cert failed") }
            }
        }
        let untrustedCopies = try intermediates.map(prepared)
        guard let untrusted = yb_x509_stack_new() else { throw CryptoError.openSSL("sk_X509_new failed") }
        defer { yb_x509_stack_free(untrusted) }
        for copy in untrustedCopies { _ = yb_x509_stack_push(untrusted, copy.pointer) }
        let leafCopy = try prepared(leaf)
        // The copies must outlive the store context that borrows their pointers.
        return try withExtendedLifetime((untrustedCopies, leafCopy)) {
            try verifyWithOpenSSL(store: store, leaf: leafCopy, untrusted: untrusted, fallbackSubject: leaf.subject, at: time)
        }
    }

    private func verifyWithOpenSSL(store: OpaquePointer, leaf leafCopy: X509Box, untrusted: OpaquePointer,
                                   fallbackSubject: String, at time: Date) throws -> [Certificate] {

        guard let context = X509_STORE_CTX_new() else { throw CryptoError.openSSL("X509_STORE_CTX_new failed") }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, leafCopy.pointer, untrusted) == 1 else {
            throw CryptoError.openSSL("X509_STORE_CTX_init failed")
        }
        X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(context), time_t(time.timeIntervalSince1970))

        let verified = X509_verify_cert(context) == 1
        let error = X509_STORE_CTX_get_error(context)
        let subject = X509_STORE_CTX_get_current_cert(context).map { Certificate.format(X509_get_subject_name($0)) } ?? fallbackSubject
        clearOpenSSLErrors()
        guard verified else {
            let text = String(cString: X509_verify_cert_error_string(Int(error)))
            throw Failure(code: Self.code(for: error), subject: subject, detail: "\(text) (X509_V_ERR \(error))")
        }
        guard let chainStack = X509_STORE_CTX_get1_chain(context) else { throw CryptoError.openSSL("no chain after verification") }
        defer { yb_x509_stack_free(chainStack) }
        return (0..<yb_x509_stack_count(chainStack)).compactMap { i in
            yb_x509_stack_value(chainStack, i).map { Certificate(takingOwnershipOf: $0) } // get1_chain gave us one reference each
        }
    }

    /// For each certificate below the root: among its issuer's CRLs that verify and are current
    /// (thisUpdate ≤ time ≤ nextUpdate), the newest decides. A revocation counts from its date,
    /// except key compromise, which counts whatever the date (signatures by the key are suspect).
    private func revocationFailures(_ chain: [Certificate], at time: Date) -> [Failure] {
        guard revocationPolicy != .disabled else { return [] }
        var failures: [Failure] = []
        for (index, certificate) in chain.enumerated() where index + 1 < chain.count {
            let issuer = chain[index + 1]
            let candidates = crls.filter { $0.isIssued(by: issuer) }
            if candidates.isEmpty {
                if revocationPolicy == .requireCRL {
                    failures.append(Failure(code: .crlUnavailable, subject: certificate.subject, detail: "no CRL from \(issuer.subject)"))
                }
                continue
            }
            if let usage = issuer.keyUsage, !usage.contains(.cRLSign) {
                failures.append(Failure(code: .crlBadSignature, subject: certificate.subject,
                                        detail: "the CRL issuer \(issuer.subject) may not sign CRLs (key usage \(usage))"))
                continue
            }
            let signed = candidates.filter { $0.hasValidSignature(issuer: issuer, signerID: signerID) }
            let current = signed.filter { $0.thisUpdate <= time && ($0.nextUpdate.map { time <= $0 } ?? true) }
            guard let crl = current.max(by: { $0.thisUpdate < $1.thisUpdate }) else {
                let detail = signed.isEmpty
                    ? "no CRL from \(issuer.subject) has a valid signature"
                    : "no CRL from \(issuer.subject) is current at \(time) (thisUpdate … nextUpdate)"
                failures.append(Failure(code: signed.isEmpty ? .crlBadSignature : .crlExpired, subject: certificate.subject, detail: detail))
                continue
            }
            if let revocation = crl.revocation(of: certificate), revocation.isCompromise || revocation.date <= time {
                let reason = revocation.reason.map { " (\($0))" } ?? ""
                failures.append(Failure(code: .revoked, subject: certificate.subject,
                                        detail: "serial \(certificate.serialNumberHex) revoked at \(revocation.date)\(reason)"))
            }
        }
        return failures
    }

    static func code(for error: Int32) -> Failure.Code {
        switch error {
        case X509_V_ERR_CERT_HAS_EXPIRED: return .expired
        case X509_V_ERR_CERT_NOT_YET_VALID: return .notYetValid
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
             X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
             X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            return .untrustedIssuer
        case X509_V_ERR_CERT_SIGNATURE_FAILURE, X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE: return .badSignature
        default: return .other
        }
    }
}

extension CertificateChainVerifier.Failure: Error {}
