import Foundation
import Testing
@testable import YibaoCrypto

/// The vectors were checked against the openssl CLI when they were generated; these tests
/// check them again on every run, so a vector only counts while OpenSSL agrees with it.
@Suite("Vectors agree with the openssl CLI")
struct VectorOpenSSLCrossCheckTests {
    func load(_ name: String) throws -> [[String: Any]] {
        let url = TestSupport.vectorsDirectory.appendingPathComponent(name)
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return root["testGroups"] as! [[String: Any]]
    }

    @Test("every valid SM2 vector verifies with openssl pkeyutl and its signer ID; tampered ones do not")
    func sm2() async throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pub = directory.appendingPathComponent("pub.pem"), msg = directory.appendingPathComponent("msg"), sig = directory.appendingPathComponent("sig")
        var valid = 0, invalid = 0
        for group in try load("sm2_verify_test.json") {
            let key = try SM2.PublicKey(rawRepresentation: Hex.decode(group["publicKey"] as! String)!)
            try key.pemRepresentation.write(to: pub, atomically: true, encoding: .utf8)
            let id = Array((group["signerId"] as! String).utf8)
            let encoding = SignatureEncoding(rawValue: group["sigEncoding"] as! String)!
            for test in group["tests"] as! [[String: Any]] {
                let flags = test["flags"] as! [String]
                let isValid = test["result"] as! String == "valid"
                // Only cases whose defect OpenSSL itself can see: valid ones, tampered messages, wrong IDs.
                guard isValid || flags.contains("TamperedMessage") || flags.contains("WrongSignerId") || flags.contains("EmptySignerId") else { continue }
                guard let signature = try? ECSignature(Hex.decode(test["sig"] as! String)!, encoding: encoding) else { continue }
                try TestSupport.write(Hex.decode(test["msg"] as! String)!, to: msg)
                try TestSupport.write(signature.derRepresentation, to: sig)
                let result = try await TestSupport.openssl(["pkeyutl", "-verify", "-pubin", "-inkey", pub.path, "-rawin", "-digest", "sm3",
                                                      "-pkeyopt", "hexdistid:\(id.hex)", "-in", msg.path, "-sigfile", sig.path])
                #expect((result.status == 0) == isValid, "tcId \(test["tcId"]!) \(flags): openssl says \(result.stdoutText)\(result.stderr)")
                if isValid { valid += 1 } else { invalid += 1 }
            }
        }
        #expect(valid >= 10 && invalid >= 3)
    }

    @Test("every valid SM3 vector matches openssl dgst -sm3")
    func sm3() async throws {
        for group in try load("sm3_test.json") {
            for test in group["tests"] as! [[String: Any]] where test["result"] as! String == "valid" {
                let result = try await TestSupport.openssl(["dgst", "-sm3", "-r"], stdin: Hex.decode(test["msg"] as! String)!)
                #expect(result.stdoutText.hasPrefix(test["digest"] as! String + " "), "tcId \(test["tcId"]!)")
            }
        }
    }

    @Test("every valid one-round SM4 vector matches openssl enc")
    func sm4() async throws {
        for group in try load("sm4_test.json") {
            let mode = (group["mode"] as! String).lowercased(), padding = group["padding"] as! String
            for test in group["tests"] as! [[String: Any]] where test["result"] as! String == "valid" && (test["iterations"] as? Int ?? 1) == 1 {
                var arguments = ["enc", "-sm4-\(mode)", "-K", test["key"] as! String]
                if mode == "cbc" { arguments += ["-iv", test["iv"] as! String] }
                if padding == "none" { arguments.append("-nopad") }
                let result = try await TestSupport.openssl(arguments, stdin: Hex.decode(test["msg"] as! String)!)
                #expect(result.stdout.hex == test["ct"] as! String, "tcId \(test["tcId"]!)")
            }
        }
    }
}
