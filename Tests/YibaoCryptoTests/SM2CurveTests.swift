import Foundation
import Testing
@testable import YibaoCrypto

/// `CSM2`, this package's SM2 arithmetic, against OpenSSL's generic code and the openssl CLI:
/// every signature one makes the other accepts, and both refuse the same broken ones.
@Suite("SM2 on CSM2, cross-checked with OpenSSL")
struct SM2CurveTests {
    /// The group order n, big-endian.
    static let order: [UInt8] = Hex.decode("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123")!

    static func randomBytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255) } }

    @Test("ours verify under OpenSSL and OpenSSL's verify under ours, with and without the key's comb, for many keys, messages and signer IDs")
    func differential() throws {
        for round in 0..<300 {
            let key = try SM2.PrivateKey()
            let publicKey = try key.publicKey
            // A registered key gets its comb on its eighth use, not before.
            for use in 1..<SM2.PublicKey.combAfterUses {
                #expect(try !SM2.PublicKey.cached(base64: publicKey.base64).verifying.hasComb, "use \(use)")
            }
            let cached = try SM2.PublicKey.cached(base64: publicKey.base64)
            #expect(cached.verifying.hasComb && !publicKey.verifying.hasComb)
            #expect(try SM2.PublicKey.cached(base64: publicKey.base64).verifying.hasComb)
            let message = Self.randomBytes(round % 7 == 0 ? 0 : Int.random(in: 1...600))
            let signerID = round % 5 == 0 ? Array("ALICE123@YAHOO.COM".utf8) : round % 11 == 0 ? [] : SM2.defaultSignerID

            let ours = try key.signature(for: message, signerID: signerID)
            #expect(publicKey.isValidOpenSSLSignature(ours, for: message, signerID: signerID), "OpenSSL refuses ours, round \(round)")
            #expect(publicKey.isValidSignature(ours, for: message, signerID: signerID))
            #expect(cached.isValidSignature(ours, for: message, signerID: signerID))

            let theirs = try key.openSSLSignature(for: message, signerID: signerID)
            #expect(publicKey.isValidSignature(theirs, for: message, signerID: signerID), "we refuse OpenSSL's, round \(round)")
            #expect(cached.isValidSignature(theirs, for: message, signerID: signerID))

            // One flipped bit anywhere — r, s, the message or the ID — and both refuse.
            var raw = ours.rawRepresentation
            raw[Int.random(in: 0..<64)] ^= 1 << UInt8.random(in: 0...7)
            let flipped = try ECSignature(rawRepresentation: raw)
            #expect(!publicKey.isValidSignature(flipped, for: message, signerID: signerID))
            #expect(!cached.isValidSignature(flipped, for: message, signerID: signerID))
            #expect(!publicKey.isValidOpenSSLSignature(flipped, for: message, signerID: signerID))
            #expect(!cached.isValidSignature(ours, for: message + [0x00], signerID: signerID))
            #expect(!cached.isValidSignature(ours, for: message, signerID: signerID + [0x31]))
            // Another key refuses it.
            #expect(try !SM2.PrivateKey().publicKey.isValidSignature(ours, for: message, signerID: signerID))
        }
    }

    @Test("r and s outside 1 … n−1 are refused by both, as is r‖s = 0")
    func outOfRange() throws {
        let key = try SM2.PrivateKey()
        for _ in 1..<SM2.PublicKey.combAfterUses { _ = try SM2.PublicKey.cached(base64: key.publicKey.base64) }
        let publicKey = try SM2.PublicKey.cached(base64: key.publicKey.base64)
        #expect(publicKey.verifying.hasComb)
        let message = Array("处方 rx".utf8)
        let good = try key.signature(for: message)
        let zero = [UInt8](repeating: 0, count: 32)
        let ones = [UInt8](repeating: 0xFF, count: 32)
        var orderPlusOne = Self.order
        orderPlusOne[31] += 1
        for (r, s) in [(zero, good.s), (good.r, zero), (Self.order, good.s), (good.r, Self.order), (orderPlusOne, good.s), (ones, good.s), (good.r, ones), (zero, zero)] {
            let signature = try ECSignature(rawRepresentation: r + s)
            #expect(!publicKey.isValidSignature(signature, for: message))
            #expect(!publicKey.isValidOpenSSLSignature(signature, for: message))
        }
        // r + s = n: refused by the standard's t = 0 check.
        var borrow = 0
        var s = [UInt8](repeating: 0, count: 32)
        for i in (0..<32).reversed() {
            let difference = Int(Self.order[i]) - Int(good.r[i]) - borrow
            s[i] = UInt8((difference + 256) % 256)
            borrow = difference < 0 ? 1 : 0
        }
        let sumToOrder = try ECSignature(rawRepresentation: good.r + s)
        #expect(!publicKey.isValidSignature(sumToOrder, for: message))
        #expect(!publicKey.isValidOpenSSLSignature(sumToOrder, for: message))
    }

    @Test("private scalars at the edges: 1 and n−2 sign; 0, n−1 and n are refused")
    func scalarEdges() throws {
        var nMinus2 = Self.order
        nMinus2[31] -= 2
        for scalar in [[UInt8](repeating: 0, count: 31) + [1], nMinus2] {
            let key = try SM2.PrivateKey(rawRepresentation: scalar)
            let message = Self.randomBytes(64)
            let signature = try key.signature(for: message)
            #expect(try key.publicKey.isValidOpenSSLSignature(signature, for: message))
            #expect(try key.publicKey.isValidSignature(key.openSSLSignature(for: message), for: message))
        }
        var nMinus1 = Self.order
        nMinus1[31] -= 1
        // n − 1 is a valid EC scalar for OpenSSL but has no SM2 signature (1 + d = n has no inverse).
        #expect(throws: CryptoError.self) { try SM2.PrivateKey(rawRepresentation: nMinus1) }
        #expect(throws: CryptoError.self) { try SM2.PrivateKey(rawRepresentation: Self.order) }
        #expect(throws: CryptoError.self) { try SM2.PrivateKey(rawRepresentation: [UInt8](repeating: 0, count: 32)) }
    }

    @Test("the openssl CLI verifies 10,000 signatures made by CSM2, and refuses one with a flipped bit")
    func opensslCLIVerifiesTenThousand() async throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let keys = try (0..<4).map { _ in try SM2.PrivateKey() }
        for (index, key) in keys.enumerated() {
            try key.publicKey.pemRepresentation.write(to: directory.appendingPathComponent("pub\(index).pem"), atomically: true, encoding: .utf8)
        }
        let count = 10_000
        var tampered = 0
        for i in 0..<count {
            let message = Array("request \(i) ".utf8) + Self.randomBytes(i % 97)
            var signature = try keys[i % keys.count].signature(for: message).derRepresentation
            if i == count - 1 {
                signature[signature.count - 1] ^= 0x01
                tampered = i
            }
            try TestSupport.write(message, to: directory.appendingPathComponent("m\(i)"))
            try TestSupport.write(signature, to: directory.appendingPathComponent("s\(i)"))
        }
        // Four workers, each running the CLI once per signature.
        let failures = try await withThrowingTaskGroup(of: [Int].self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var failed: [Int] = []
                    for i in stride(from: worker, to: count, by: 4) {
                        let result = try await TestSupport.openssl(["dgst", "-sm3", "-verify", "pub\(i % keys.count).pem", "-sigopt", "distid:1234567812345678",
                                                                    "-signature", "s\(i)", "m\(i)"], cwd: directory)
                        if result.status != 0 || !result.stdoutText.contains("Verified OK") { failed.append(i) }
                    }
                    return failed
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(failures == [tampered], "the CLI refused \(failures.count) signatures: \(failures.prefix(10))")
    }
}
