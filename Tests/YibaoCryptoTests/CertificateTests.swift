import Foundation
import Testing
@testable import YibaoCrypto

@Suite("X.509 certificates, chains and CRLs")
struct CertificateTests {
    static let trees = ["sm2", "p256"]
    let inTerm = TestSupport.date("2030-01-01T00:00:00Z")

    func verifier(_ tree: String, clockAt date: Date? = nil, crl: Bool = true) throws -> CertificateChainVerifier {
        CertificateChainVerifier(
            trustAnchors: [try TestSupport.certificate("\(tree)/root.cert.pem")],
            intermediates: [try TestSupport.certificate("\(tree)/intermediate.cert.pem")],
            crls: crl ? [try CertificateRevocationList(contentsOf: TestSupport.certs("\(tree)/intermediate.crl.pem"))] : [],
            clock: FixedWallClock(date ?? inTerm))
    }

    @Test("parses serial, subject, validity and key usage")
    func fields() async throws {
        let doctor = try TestSupport.certificate("sm2/doctor-li.cert.pem")
        #expect(doctor.serialNumberHex == "3004")
        #expect(doctor.subject.contains("CN=Li Wei"))
        #expect(doctor.issuer.contains("CN=Yibao Gateway TEST SM2 Intermediate CA"))
        #expect(doctor.notBefore == TestSupport.date("2025-06-01T00:00:00Z"))
        #expect(doctor.notAfter == TestSupport.date("2035-06-01T00:00:00Z"))
        #expect(doctor.keyUsage == [.digitalSignature, .nonRepudiation])
        #expect(!doctor.isCertificateAuthority)
        #expect(doctor.signatureAlgorithm == .sm2WithSM3)
        #expect(doctor.publicKeyType == "SM2")
        #expect(try TestSupport.certificate("sm2/root.cert.pem").isCertificateAuthority)
        #expect(try TestSupport.certificate("p256/doctor-li.cert.pem").signatureAlgorithm == .ecdsaP256SHA256)
        // DER round trip and the openssl CLI's view of the serial.
        #expect(try Certificate(derRepresentation: doctor.derRepresentation).serialNumberHex == "3004")
        let printed = try await TestSupport.openssl(["x509", "-in", TestSupport.certs("sm2/doctor-li.cert.pem").path, "-noout", "-serial"])
        #expect(printed.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "serial=3004")
        let chain = try Certificate.parseChain(pem: TestSupport.text(TestSupport.certs("sm2/doctor-li.chain.pem")))
        #expect(chain.count == 2)
        #expect { try Certificate(bytes: Array("garbage".utf8)) } throws: { ($0 as? CryptoError)?.code == .invalidCertificate }
        // A bundle whose second block is damaged is refused, not silently truncated.
        let bundle = try TestSupport.text(TestSupport.certs("sm2/doctor-li.chain.pem"))
        let damaged = bundle.replacingOccurrences(of: "-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nMII", with: "-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n!!!")
        #expect(damaged != bundle)
        #expect { try Certificate.parseChain(pem: damaged) } throws: { ($0 as? CryptoError)?.code == .invalidCertificate }
    }

    @Test("valid chains verify, leaf first", arguments: trees)
    func validChains(tree: String) throws {
        for leaf in ["platform", "hospital", "pharmacy", "doctor-li", "doctor-wang", "pharmacist-zhao"] {
            let result = try verifier(tree).verify(TestSupport.certificate("\(tree)/\(leaf).cert.pem"))
            #expect(result.isValid, "\(tree)/\(leaf): \(result.failures)")
            if case .valid(let chain) = result {
                #expect(chain.count == 3)
                #expect(chain.last?.subject.contains("Root CA") == true)
            }
        }
    }

    @Test("validity is checked against the injected clock", arguments: trees)
    func validity(tree: String) throws {
        let leaf = try TestSupport.certificate("\(tree)/doctor-li.cert.pem")
        #expect(try verifier(tree, clockAt: TestSupport.date("2025-03-01T00:00:00Z")).verify(leaf).failures.map(\.code) == [.notYetValid])
        #expect(try verifier(tree, clockAt: TestSupport.date("2036-01-01T00:00:00Z")).verify(leaf).failures.map(\.code) == [.expired])
        let expired = try TestSupport.certificate("\(tree)/expired.cert.pem")
        #expect(try verifier(tree).verify(expired).failures.map(\.code) == [.expired])
    }

    @Test("a revoked certificate is refused; key compromise counts whatever the date", arguments: trees)
    func revocation(tree: String) throws {
        let revoked = try TestSupport.certificate("\(tree)/revoked.cert.pem")
        let failures = try verifier(tree).verify(revoked).failures
        #expect(failures.map(\.code) == [.revoked], "\(failures)")
        #expect(failures.first?.detail.contains("keyCompromise") == true)
        // Revoked 2025-07-01 for keyCompromise: refused even as of 2025-06-15.
        #expect(try verifier(tree, clockAt: TestSupport.date("2025-06-15T00:00:00Z")).verify(revoked).failures.map(\.code) == [.revoked])
        // Without the CRL nothing is known.
        #expect(try verifier(tree, crl: false).verify(revoked).isValid)
        var strict = try verifier(tree, crl: false)
        strict.revocationPolicy = .requireCRL
        #expect(strict.verify(revoked).failures.first?.code == .crlUnavailable)
    }

    /// A CRL signed by Python's `cryptography` with entries out of serial order (tools/testing/make_crl.py).
    func pythonCRL(_ thisUpdate: String, _ nextUpdate: String, _ entries: [String]) async throws -> CertificateRevocationList {
        let script = TestSupport.packageRoot.appendingPathComponent("tools/testing/make_crl.py").path
        let result = try await TestSupport.run("python3", [script, TestSupport.certs("p256").path, thisUpdate, nextUpdate] + entries)
        #expect(result.status == 0, "\(result.stderr)")
        return try CertificateRevocationList(bytes: result.stdout)
    }

    @Test("an unsorted CRL keeps a valid signature after lookups; the newest current CRL decides; reasons and dates count")
    func crlSelection() async throws {
        let fresh = try await pythonCRL("2025-09-01", "2045-01-01", [
            "3109:2025-08-01:superseded", "3107:2025-07-01:key_compromise",
            "3105:2026-01-01:cessation_of_operation", "3106:2027-01-01:key_compromise",
        ])
        let stale = try await pythonCRL("2025-06-01", "2025-08-01", [])
        let intermediate = try TestSupport.certificate("p256/intermediate.cert.pem")
        // OpenSSL sorts the revoked list in place on the first lookup; the signature must not change.
        #expect(fresh.hasValidSignature(issuer: intermediate))
        #expect(fresh.revocation(of: try TestSupport.certificate("p256/doctor-wang.cert.pem"))?.reason == .cessationOfOperation)
        #expect(fresh.hasValidSignature(issuer: intermediate))

        func verify(_ leaf: String, at day: String, crls: [CertificateRevocationList]) throws -> [CertificateChainVerifier.Failure.Code] {
            var v = try verifier("p256", clockAt: TestSupport.date(day + "T00:00:00Z"), crl: false)
            v.crls = crls
            return v.verify(try TestSupport.certificate("p256/\(leaf).cert.pem")).failures.map(\.code)
        }
        // doctor-wang: cessation of operation from 2026-01-01 — good before, refused after.
        #expect(try verify("doctor-wang", at: "2025-10-01", crls: [stale, fresh]) == [])
        #expect(try verify("doctor-wang", at: "2030-01-01", crls: [stale, fresh]) == [.revoked])
        // pharmacist-zhao: key compromise dated 2027 — refused already in 2026.
        #expect(try verify("pharmacist-zhao", at: "2026-01-01", crls: [fresh, stale]) == [.revoked])
        #expect(try verify("doctor-li", at: "2030-01-01", crls: [stale, fresh]) == [])
        // Only an expired CRL, or only one that is not yet issued: refused as stale.
        #expect(try verify("doctor-li", at: "2030-01-01", crls: [stale]) == [.crlExpired])
        #expect(try verify("doctor-li", at: "2025-08-15", crls: [fresh]) == [.crlExpired])
        // A CRL signed by another key is not believed.
        let foreign = try CertificateRevocationList(contentsOf: TestSupport.certs("sm2/intermediate.crl.pem"))
        #expect(!foreign.hasValidSignature(issuer: intermediate))
    }

    @Test("the SM2 CRL's signature needs the distinguishing ID")
    func crlSignature() throws {
        let crl = try CertificateRevocationList(contentsOf: TestSupport.certs("sm2/intermediate.crl.pem"))
        let intermediate = try TestSupport.certificate("sm2/intermediate.cert.pem")
        #expect(crl.isIssued(by: intermediate))
        #expect(crl.hasValidSignature(issuer: intermediate))
        #expect(!crl.hasValidSignature(issuer: intermediate, signerID: []))
        #expect(!crl.hasValidSignature(issuer: try TestSupport.certificate("sm2/root.cert.pem")))
        #expect(crl.revocationDate(of: try TestSupport.certificate("sm2/revoked.cert.pem")) == TestSupport.date("2025-07-01T00:00:00Z"))
        #expect(crl.revocationDate(of: try TestSupport.certificate("sm2/doctor-li.cert.pem")) == nil)
    }

    @Test("key usage without digitalSignature is refused", arguments: trees)
    func keyUsage(tree: String) throws {
        let leaf = try TestSupport.certificate("\(tree)/keyenc-only.cert.pem")
        #expect(leaf.keyUsage == [.keyEncipherment])
        #expect(try verifier(tree).verify(leaf).failures.map(\.code) == [.keyUsage])
        var lenient = try verifier(tree)
        lenient.requiredLeafKeyUsage = []
        #expect(lenient.verify(leaf).isValid)
    }

    @Test("SM2 chains fail without the right distinguishing ID, and across trees")
    func untrusted() throws {
        var wrongID = try verifier("sm2")
        wrongID.signerID = []
        #expect(wrongID.verify(try TestSupport.certificate("sm2/doctor-li.cert.pem")).failures.first?.code == .badSignature)
        let crossTree = try verifier("sm2").verify(TestSupport.certificate("p256/doctor-li.cert.pem"))
        #expect(crossTree.failures.first?.code == .untrustedIssuer)
        let noIntermediate = CertificateChainVerifier(trustAnchors: [try TestSupport.certificate("sm2/root.cert.pem")], clock: FixedWallClock(inTerm))
        #expect(noIntermediate.verify(try TestSupport.certificate("sm2/doctor-li.cert.pem")).failures.first?.code == .untrustedIssuer)
    }

    @Test("a certificate's verifier checks signatures by its key")
    func certificateVerifier() throws {
        let message = Array("prescription".utf8)
        let sm2 = try SM2.PrivateKey(pemRepresentation: TestSupport.text(TestSupport.certs("sm2/doctor-li.key.pem")))
        let verifier = try TestSupport.certificate("sm2/doctor-li.cert.pem").verifier()
        #expect(verifier.algorithm == .sm2WithSM3)
        #expect(verifier.verify(try sm2.signature(for: message).rawRepresentation, for: message))
        #expect(!(try TestSupport.certificate("sm2/doctor-wang.cert.pem").verifier()).verify(try sm2.signature(for: message).rawRepresentation, for: message))
        let p256 = try P256.PrivateKey(pemRepresentation: TestSupport.text(TestSupport.certs("p256/doctor-li.key.pem")))
        let p256Verifier = try TestSupport.certificate("p256/doctor-li.cert.pem").verifier(encoding: .der)
        #expect(p256Verifier.verify(try p256.signature(for: message).derRepresentation, for: message))
    }
}
