import Foundation
import Testing
@testable import YibaoCrypto

@Suite("SM2, ECDSA P-256 and RSA signatures")
struct SignatureTests {
    let message = Array("appId=1G7Q8ABCDEF0123456&key=secret".utf8)

    @Test("SM2 keys round-trip through raw base64 and PEM")
    func sm2KeyForms() throws {
        let key = try SM2.PrivateKey()
        let raw = try key.rawRepresentation
        #expect(raw.count == 32)
        let point = try key.publicKey.rawRepresentation
        #expect(point.count == 65 && point[0] == 0x04)
        let fromRaw = try SM2.PrivateKey(base64: key.base64)
        #expect(try fromRaw.publicKey.rawRepresentation == point)
        let fromPEM = try SM2.PrivateKey(pemRepresentation: key.pemRepresentation)
        #expect(try fromPEM.rawRepresentation == raw)
        #expect(try key.pemRepresentation.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let publicFromPEM = try SM2.PublicKey(pemRepresentation: key.publicKey.pemRepresentation)
        #expect(try publicFromPEM.rawRepresentation == point)
    }

    @Test("SM2 keys from the dev PKI match their raw JSON and certificate")
    func sm2DevPKI() throws {
        let keys = try TestSupport.rawKeys("sm2/doctor-li.raw.json")
        let pem = try SM2.PrivateKey(pemRepresentation: TestSupport.text(TestSupport.certs("sm2/doctor-li.key.pem")))
        #expect(try pem.base64 == keys.privateKey)
        #expect(try pem.publicKey.base64 == keys.publicKey)
        let fromCertificate = try SM2.PublicKey(certificate: TestSupport.certificate("sm2/doctor-li.cert.pem"))
        #expect(try fromCertificate.base64 == keys.publicKey)
    }

    @Test("a public key stored as a compressed point still exports 04‖X‖Y")
    func compressedPoint() async throws {
        // P-256: the openssl CLI writes the compressed SubjectPublicKeyInfo.
        let compressed = try await TestSupport.openssl(["pkey", "-in", TestSupport.certs("p256/doctor-li.key.pem").path, "-pubout", "-ec_conv_form", "compressed"])
        #expect(compressed.status == 0, "\(compressed.stderr)")
        #expect(try P256.PublicKey(pemRepresentation: compressed.stdoutText).base64 == TestSupport.rawKeys("p256/doctor-li.raw.json").publicKey)
        // SM2 (the CLI refuses to compress an SM2 key): SubjectPublicKeyInfo{id-ecPublicKey, SM2} around 02/03‖X.
        let point = try #require([UInt8](base64: TestSupport.rawKeys("sm2/doctor-li.raw.json").publicKey))
        let der: [UInt8] = [0x30, 0x39, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01,
                            0x06, 0x08, 0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x82, 0x2D, 0x03, 0x22, 0x00,
                            point[64] & 1 == 1 ? 0x03 : 0x02] + point[1...32]
        #expect(try SM2.PublicKey(pemOrDER: der).rawRepresentation == point)
    }

    @Test("SM2 refuses invalid keys with coded errors")
    func sm2InvalidKeys() throws {
        #expect { try SM2.PrivateKey(rawRepresentation: [UInt8](repeating: 0, count: 32)) } throws: { ($0 as? CryptoError)?.code == .invalidKey }
        #expect { try SM2.PrivateKey(rawRepresentation: [UInt8](repeating: 0xFF, count: 32)) } throws: { ($0 as? CryptoError)?.code == .invalidKey }
        #expect { try SM2.PrivateKey(rawRepresentation: [1, 2, 3]) } throws: { ($0 as? CryptoError)?.code == .invalidKey }
        var offCurve = try SM2.PrivateKey().publicKey.rawRepresentation
        offCurve[64] ^= 1
        #expect { try SM2.PublicKey(rawRepresentation: offCurve) } throws: { ($0 as? CryptoError)?.code == .invalidKey }
        #expect { try SM2.PublicKey(base64: "not base64!") } throws: { ($0 as? CryptoError)?.code == .invalidKey }
        // A P-256 key is not an SM2 key.
        let p256PEM = try P256.PrivateKey().pemRepresentation
        #expect { try SM2.PrivateKey(pemRepresentation: p256PEM) } throws: { ($0 as? CryptoError)?.code == .invalidKey }
    }

    @Test("SM2 signatures depend on the signer ID")
    func sm2SignerID() throws {
        let key = try SM2.PrivateKey()
        let publicKey = try key.publicKey
        let signature = try key.signature(for: message)
        #expect(publicKey.isValidSignature(signature, for: message))
        #expect(publicKey.isValidSignature(signature, for: message, signerID: SM2.defaultSignerID))
        #expect(!publicKey.isValidSignature(signature, for: message, signerID: []))
        #expect(!publicKey.isValidSignature(signature, for: message, signerID: Array("ALICE123@YAHOO.COM".utf8)))
        #expect(!publicKey.isValidSignature(signature, for: message + [0]))
        let empty = try key.signature(for: message, signerID: [])
        #expect(publicKey.isValidSignature(empty, for: message, signerID: []))
        #expect(!publicKey.isValidSignature(empty, for: message))
    }

    @Test("raw r‖s and DER convert both ways; malformed encodings are refused")
    func signatureEncodings() throws {
        let key = try SM2.PrivateKey()
        let signature = try key.signature(for: message)
        #expect(signature.rawRepresentation.count == 64)
        #expect(try ECSignature(derRepresentation: signature.derRepresentation) == signature)
        #expect(try ECSignature(rawRepresentation: signature.rawRepresentation) == signature)
        #expect { try ECSignature(rawRepresentation: signature.derRepresentation) } throws: { ($0 as? CryptoError)?.code == .invalidSignature }
        #expect { try ECSignature(derRepresentation: signature.rawRepresentation) } throws: { ($0 as? CryptoError)?.code == .invalidSignature }
        var der = signature.derRepresentation
        der.append(0)
        #expect { try ECSignature(derRepresentation: der) } throws: { ($0 as? CryptoError)?.code == .invalidSignature }
        let verifier = SM2Verifier(publicKey: try key.publicKey, encoding: .raw)
        #expect(verifier.verify(signature.rawRepresentation, for: message))
        #expect(!verifier.verify(signature.derRepresentation, for: message))
        #expect(!verifier.verify(Array(signature.rawRepresentation.dropLast()), for: message))
        #expect(!verifier.verify([UInt8](repeating: 0, count: 64), for: message))
    }

    @Test("SM2 signatures interoperate with the openssl CLI in both directions")
    func sm2OpenSSLInterop() async throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try SM2.PrivateKey()
        let keyFile = directory.appendingPathComponent("key.pem"), pubFile = directory.appendingPathComponent("pub.pem")
        let msgFile = directory.appendingPathComponent("msg.bin"), sigFile = directory.appendingPathComponent("sig.der")
        try key.pemRepresentation.write(to: keyFile, atomically: true, encoding: .utf8)
        try key.publicKey.pemRepresentation.write(to: pubFile, atomically: true, encoding: .utf8)
        for sample in [message, Array("处方 rx".utf8), []] {
            try TestSupport.write(sample, to: msgFile)
            // ours → openssl
            try TestSupport.write(key.signature(for: sample).derRepresentation, to: sigFile)
            let verified = try await TestSupport.openssl(["dgst", "-sm3", "-verify", pubFile.path, "-sigopt", "distid:1234567812345678",
                                                    "-signature", sigFile.path, msgFile.path])
            #expect(verified.status == 0 && verified.stdoutText.contains("Verified OK"), "\(verified.stderr)")
            // openssl → ours
            let signed = try await TestSupport.openssl(["dgst", "-sm3", "-sign", keyFile.path, "-sigopt", "distid:1234567812345678",
                                                  "-out", sigFile.path, msgFile.path])
            #expect(signed.status == 0, "\(signed.stderr)")
            let theirs = try ECSignature(derRepresentation: [UInt8](Data(contentsOf: sigFile)))
            #expect(try key.publicKey.isValidSignature(theirs, for: sample))
        }
        // The OpenSSL 3.0 trap: without -sigopt distid the CLI signs with an EMPTY ID.
        try TestSupport.write(message, to: msgFile)
        try await TestSupport.openssl(["dgst", "-sm3", "-sign", keyFile.path, "-out", sigFile.path, msgFile.path])
        let noID = try ECSignature(derRepresentation: [UInt8](Data(contentsOf: sigFile)))
        #expect(try !key.publicKey.isValidSignature(noID, for: message))
        #expect(try key.publicKey.isValidSignature(noID, for: message, signerID: []))
    }

    @Test("ECDSA P-256 signs, verifies and interoperates with the openssl CLI")
    func p256() async throws {
        let key = try P256.PrivateKey()
        let publicKey = try key.publicKey
        let signature = try key.signature(for: message)
        #expect(publicKey.isValidSignature(signature, for: message))
        #expect(!publicKey.isValidSignature(signature, for: message + [1]))
        #expect(try P256.PrivateKey(base64: key.base64).publicKey.rawRepresentation == publicKey.rawRepresentation)
        #expect { try P256.PrivateKey(pemRepresentation: SM2.PrivateKey().pemRepresentation) } throws: { ($0 as? CryptoError)?.code == .invalidKey }

        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pubFile = directory.appendingPathComponent("pub.pem"), msgFile = directory.appendingPathComponent("m"), sigFile = directory.appendingPathComponent("s")
        try publicKey.pemRepresentation.write(to: pubFile, atomically: true, encoding: .utf8)
        try TestSupport.write(message, to: msgFile)
        try TestSupport.write(signature.derRepresentation, to: sigFile)
        let verified = try await TestSupport.openssl(["dgst", "-sha256", "-verify", pubFile.path, "-signature", sigFile.path, msgFile.path])
        #expect(verified.status == 0, "\(verified.stderr)")
        let signed = try await TestSupport.openssl(["dgst", "-sha256", "-sign", TestSupport.certs("p256/doctor-li.key.pem").path, "-out", sigFile.path, msgFile.path])
        #expect(signed.status == 0)
        let doctor = try P256.PublicKey(certificate: TestSupport.certificate("p256/doctor-li.cert.pem"))
        #expect(doctor.isValidSignature(try ECSignature(derRepresentation: [UInt8](Data(contentsOf: sigFile))), for: message))
    }

    @Test("RSA-SHA256 with PKCS#1 v1.5 and PSS; keys under 2048 bits refused")
    func rsa() async throws {
        let key = try RSA.PrivateKey(bits: 2048)
        let publicKey = try key.publicKey
        #expect(publicKey.bits == 2048)
        for padding in RSA.Padding.allCases {
            let signer = RSASigner(privateKey: key, padding: padding)
            let signature = try signer.sign(message)
            #expect(signature.count == 256)
            #expect(RSAVerifier(publicKey: publicKey, padding: padding).verify(signature, for: message))
            #expect(!RSAVerifier(publicKey: publicKey, padding: padding).verify(signature, for: message + [1]))
            let other: RSA.Padding = padding == .pss ? .pkcs1v15 : .pss
            #expect(!RSAVerifier(publicKey: publicKey, padding: other).verify(signature, for: message))
        }
        #expect { try RSA.PrivateKey(bits: 1024) } throws: { ($0 as? CryptoError)?.code == .invalidKey }
        let small = try await TestSupport.openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"])
        #expect { try RSA.PrivateKey(pemRepresentation: small.stdoutText) } throws: { ($0 as? CryptoError)?.code == .invalidKey }
        // PKCS#1 v1.5 interop: openssl verifies ours.
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pubFile = directory.appendingPathComponent("pub.pem"), msgFile = directory.appendingPathComponent("m"), sigFile = directory.appendingPathComponent("s")
        try publicKey.pemRepresentation.write(to: pubFile, atomically: true, encoding: .utf8)
        try TestSupport.write(message, to: msgFile)
        try TestSupport.write(key.signature(for: message, padding: .pss), to: sigFile)
        let pss = try await TestSupport.openssl(["dgst", "-sha256", "-verify", pubFile.path, "-sigopt", "rsa_padding_mode:pss",
                                           "-sigopt", "rsa_pss_saltlen:32", "-signature", sigFile.path, msgFile.path])
        #expect(pss.status == 0, "\(pss.stderr)")
    }

    @Test("Signers and verifiers share one protocol")
    func protocolConformance() throws {
        let sm2 = try SM2.PrivateKey(), p256 = try P256.PrivateKey(), rsa = try RSA.PrivateKey()
        let pairs: [(any MessageSigner, any MessageVerifier)] = [
            (SM2Signer(privateKey: sm2), SM2Verifier(publicKey: try sm2.publicKey)),
            (SM2Signer(privateKey: sm2, encoding: .der), SM2Verifier(publicKey: try sm2.publicKey, encoding: .der)),
            (P256Signer(privateKey: p256), P256Verifier(publicKey: try p256.publicKey)),
            (P256Signer(privateKey: p256, encoding: .raw), P256Verifier(publicKey: try p256.publicKey, encoding: .raw)),
            (RSASigner(privateKey: rsa), RSAVerifier(publicKey: try rsa.publicKey)),
        ]
        for (signer, verifier) in pairs {
            #expect(signer.algorithm == verifier.algorithm)
            #expect(verifier.verify(try signer.sign(message), for: message))
            #expect(!verifier.verify(try signer.sign(message), for: Array(message.dropFirst())))
        }
    }
}

@Suite("SM2 keys in the formats seen in the wild")
struct SM2KeyFormatTests {
    @Test("a 33-byte scalar with a leading zero, hex, PEM; a 64-byte point without 04, hex, PEM — all the same key")
    func formats() throws {
        let key = try SM2.PrivateKey()
        let scalar = try key.rawRepresentation
        let point = try key.publicKey.rawRepresentation
        for text in [scalar.base64, ([0] + scalar).base64, Hex.encode(scalar), Hex.encode([0] + scalar), try key.pemRepresentation] {
            #expect(try SM2.PrivateKey(anyFormat: text).rawRepresentation == scalar, "\(text.prefix(20))")
        }
        for text in [point.base64, Array(point.dropFirst()).base64, Hex.encode(point), Hex.encode(point.dropFirst()), try key.publicKey.pemRepresentation] {
            #expect(try SM2.PublicKey(anyFormat: text).rawRepresentation == point, "\(text.prefix(20))")
        }
        #expect(throws: CryptoError.self) { try SM2.PrivateKey(anyFormat: ([1] + scalar).base64) }
        #expect(throws: CryptoError.self) { try SM2.PublicKey(anyFormat: Array(point.dropFirst(2)).base64) }
    }
}
