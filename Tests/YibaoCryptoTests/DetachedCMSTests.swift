import Foundation
import Testing
@testable import YibaoCrypto

/// The e-prescription centre's signDigest as a detached CMS SignedData (GB/T 35275), checked by an
/// independent implementation (tools/testing/cms_sm2.py, pure Python) and parsed by the openssl CLI.
@Suite("Detached CMS with SM2-with-SM3")
struct DetachedCMSTests {
    static let sm2 = TestSupport.packageRoot.appendingPathComponent("certs/sm2")
    static let script = TestSupport.packageRoot.appendingPathComponent("tools/testing/cms_sm2.py").path

    func write(_ bytes: [UInt8], _ name: String, in directory: URL) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test("the platform's signature over originalValue verifies with the Python implementation up to the dev root, in both OID families; changed content, another ID or another CA does not", arguments: DetachedCMS.ContentTypes.allCases)
    func independentVerification(_ types: DetachedCMS.ContentTypes) async throws {
        let key = try SM2.PrivateKey(pemRepresentation: String(contentsOf: Self.sm2.appendingPathComponent("platform.key.pem"), encoding: .utf8))
        let certificate = try Certificate(pemRepresentation: String(contentsOf: Self.sm2.appendingPathComponent("platform.cert.pem"), encoding: .utf8))
        let content = Array(#"{"hiRxno":"HIRX120101000000000001","rxTraceCode":"A1B2","patnName":"张三"}"#.utf8)
        let cms = try DetachedCMS.sign(content, key: key, certificate: certificate, at: Date(timeIntervalSince1970: 1_790_000_000), contentTypes: types)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let signature = try write(cms, "sig.der", in: directory), original = try write(content, "content.bin", in: directory)
        let family = types == .rfc5652 ? "--rfc" : "--gbt"
        let chain = ["--CAfile", Self.sm2.appendingPathComponent("root.cert.pem").path, "--certfile", Self.sm2.appendingPathComponent("intermediate.cert.pem").path]
        let verified = try await TestSupport.run("python3", [Self.script, "verify", "--in", signature, "--content", original, family] + chain)
        #expect(verified.status == 0, "\(verified.stdoutText)\(verified.stderr)")

        let changed = try write(content + [0x20], "changed.bin", in: directory)
        #expect(try await TestSupport.run("python3", [Self.script, "verify", "--in", signature, "--content", changed] + chain).status == 1)
        #expect(try await TestSupport.run("python3", [Self.script, "verify", "--in", signature, "--content", original, "--id", ""] + chain).status == 1)
        let otherCA = ["--CAfile", TestSupport.packageRoot.appendingPathComponent("certs/p256/root.cert.pem").path]
        #expect(try await TestSupport.run("python3", [Self.script, "verify", "--in", signature, "--content", original] + otherCA).status == 1)

        // The openssl CLI parses it as DER (it cannot verify SM2 CMS with the default ID: docs/PRESCRIPTION.md §6.2).
        let parsed = try await TestSupport.run("openssl", ["asn1parse", "-inform", "DER", "-in", signature])
        #expect(parsed.status == 0)
        #expect(parsed.stdoutText.contains(types == .rfc5652 ? "pkcs7-signedData" : "1.2.156.10197.6.1.4.2.2"), "\(parsed.stdoutText)")

        // …and verifies the SignerInfo's signature over its signed attributes re-tagged as a SET, with the default ID.
        let (attributes, signatureValue) = try Self.signerParts(cms)
        let attributesFile = try write([0x31] + attributes.dropFirst(), "attrs.der", in: directory)
        let signatureFile = try write(signatureValue, "value.der", in: directory)
        let publicKey = try await TestSupport.run("openssl", ["x509", "-pubkey", "-noout", "-in", Self.sm2.appendingPathComponent("platform.cert.pem").path])
        let publicKeyFile = try write(Array(publicKey.stdoutText.utf8), "pub.pem", in: directory)
        let dgst = try await TestSupport.run("openssl", ["dgst", "-sm3", "-verify", publicKeyFile, "-sigopt", "distid:1234567812345678", "-signature", signatureFile, attributesFile])
        #expect(dgst.stdoutText.contains("Verified OK"), "\(dgst.stdoutText)\(dgst.stderr)")
        let tampered = try write([0x31] + attributes.dropFirst().dropLast() + [attributes.last! ^ 1], "tampered.der", in: directory)
        let refused = try await TestSupport.run("openssl", ["dgst", "-sm3", "-verify", publicKeyFile, "-sigopt", "distid:1234567812345678", "-signature", signatureFile, tampered])
        #expect(!refused.stdoutText.contains("Verified OK"))
        // The messageDigest attribute is the SM3 of the content, as `openssl dgst -sm3` computes it.
        let digest = try await TestSupport.run("openssl", ["dgst", "-sm3", "-r", original])
        #expect(Hex.encode(attributes).lowercased().contains(String(digest.stdoutText.prefix(64)).lowercased()))
    }

    @Test("with an empty signer ID (a profile option) the signature is what OpenSSL 3.0's `openssl cms -verify` checks: it verifies; the default-ID one it refuses")
    func opensslCMSVerify() async throws {
        let key = try SM2.PrivateKey(pemRepresentation: String(contentsOf: Self.sm2.appendingPathComponent("platform.key.pem"), encoding: .utf8))
        let certificate = try Certificate(pemRepresentation: String(contentsOf: Self.sm2.appendingPathComponent("platform.cert.pem"), encoding: .utf8))
        let content = Array(#"{"hiRxno":"HIRX120101000000000002"}"#.utf8)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = try write(content, "content.bin", in: directory)
        func opensslVerify(_ signerID: [UInt8]) async throws -> TestSupport.ProcessResult {
            let cms = try DetachedCMS.sign(content, key: key, certificate: certificate, at: Date(), signerID: signerID)
            let file = try write(cms, "sig-\(signerID.count).der", in: directory)
            // -noverify: OpenSSL 3.0 cannot check the dev PKI's SM2 certificate signatures either (they use the default ID).
            return try await TestSupport.run("openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", file, "-content", original, "-noverify", "-out", "/dev/null"])
        }
        let empty = try await opensslVerify([])
        #expect(empty.status == 0, "\(empty.stdoutText)\(empty.stderr)")
        #expect(empty.stderr.contains("Verification successful"), "\(empty.stderr)")
        #expect(try await opensslVerify(SM2.defaultSignerID).status != 0)
    }

    /// The SignerInfo's `[0]` signed attributes (whole element) and its signature value, read with the DER reader.
    static func signerParts(_ cms: [UInt8]) throws -> (attributes: [UInt8], signature: [UInt8]) {
        var contentInfo = DER.Reader(cms)
        var outer = try contentInfo.enter(0x30)
        _ = try outer.element()                                  // contentType
        var explicit = try outer.enter(0xA0)
        var signedData = try explicit.enter(0x30)
        for _ in 0..<4 { _ = try signedData.element() }         // version, digestAlgorithms, encapContentInfo, [0] certificates
        var signerInfos = try signedData.enter(0x31)
        var signerInfo = try signerInfos.enter(0x30)
        for _ in 0..<3 { _ = try signerInfo.element() }         // version, sid, digestAlgorithm
        let attributes = try signerInfo.element()
        _ = try signerInfo.element()                             // signatureAlgorithm
        let octets = try signerInfo.element()
        return (attributes, Array(octets.dropFirst(DetachedCMS.headerLength(octets))))
    }
}
