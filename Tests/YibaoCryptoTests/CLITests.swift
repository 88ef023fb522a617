import Foundation
import Testing
@testable import YibaoCrypto

@Suite("The yibao command line, end to end")
struct CLITests {
    @Test("every command explains itself with --help", arguments: [
        [], ["keygen"], ["sign"], ["verify"], ["envelope"], ["envelope", "seal"], ["envelope", "open"],
        ["envelope", "sign-string"], ["vectors", "check"], ["bench", "crypto"],
        ["serve"], ["voucher", "issue"], ["call"], ["trace", "verify"], ["rx", "sign"], ["rx", "review"], ["rx", "verify"], ["demo"],
        ["conformance"], ["conformance", "list"], ["conformance", "run"], ["conformance", "report"], ["conformance", "sample-receiver"], ["rules"],
    ])
    func help(command: [String]) async throws {
        let result = try await TestSupport.yibao(command + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdoutText.contains("USAGE: yibao"))
        #expect(result.stdoutText.contains("OVERVIEW:"))
    }

    @Test("keygen prints raw base64 keys that load", arguments: ["sm2", "p256"])
    func keygen(alg: String) async throws {
        let result = try await TestSupport.yibao(["keygen", "--alg", alg])
        #expect(result.status == 0)
        let object = try JSONValue.parse(result.stdout).objectValue!
        let privateKey = try #require(object["privateKey"]?.stringValue), publicKey = try #require(object["publicKey"]?.stringValue)
        #expect([UInt8](base64: privateKey)?.count == 32)
        #expect([UInt8](base64: publicKey)?.count == 65)
        if alg == "sm2" { #expect(try SM2.PrivateKey(base64: privateKey).publicKey.base64 == publicKey) }
        else { #expect(try P256.PrivateKey(base64: privateKey).publicKey.base64 == publicKey) }
    }

    @Test("a yibao signature verifies with openssl, and an openssl signature with yibao")
    func signVerifyInterop() async throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let message = directory.appendingPathComponent("msg.txt"), signature = directory.appendingPathComponent("msg.sig")
        let publicKey = directory.appendingPathComponent("pub.pem")
        try TestSupport.write(Array("互联网复诊 AADG0000".utf8), to: message)
        let key = TestSupport.certs("sm2/doctor-li.key.pem").path, certificate = TestSupport.certs("sm2/doctor-li.cert.pem").path
        let signed = try await TestSupport.yibao(["sign", "--private-key-file", key, "--encoding", "der", "--output", "binary", message.path])
        #expect(signed.status == 0, "\(signed.stderr)")
        try TestSupport.write(signed.stdout, to: signature)
        try await TestSupport.openssl(["x509", "-in", certificate, "-pubkey", "-noout", "-out", publicKey.path])
        let verified = try await TestSupport.openssl(["dgst", "-sm3", "-verify", publicKey.path, "-sigopt", "distid:1234567812345678",
                                                "-signature", signature.path, message.path])
        #expect(verified.status == 0, "\(verified.stderr)")

        try await TestSupport.openssl(["dgst", "-sm3", "-sign", key, "-sigopt", "distid:1234567812345678", "-out", signature.path, message.path])
        #expect(try await TestSupport.yibao(["verify", "--certificate", certificate, "--signature-file", signature.path, message.path]).status == 0)
        // Raw base64 (the platform's form) round trip, and a refusal with a wrong ID.
        let raw = try TestSupport.rawKeys("sm2/doctor-li.raw.json")
        let sig = try await TestSupport.yibao(["sign", "--private-key", raw.privateKey, message.path]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect([UInt8](base64: sig)?.count == 64)
        #expect(try await TestSupport.yibao(["verify", "--public-key", raw.publicKey, "--signature", sig, message.path]).status == 0)
        let wrong = try await TestSupport.yibao(["verify", "--public-key", raw.publicKey, "--signature", sig, "--signer-id", "x", message.path])
        #expect(wrong.status == 1 && wrong.stderr.contains("invalid"))
        // A usage mistake names the options.
        let usage = try await TestSupport.yibao(["sign", message.path])
        #expect(usage.status != 0 && usage.stderr.contains("--private-key"))
    }

    @Test("envelope seal and open, with a diagnosis on failure")
    func envelope() async throws {
        let raw = try TestSupport.rawKeys("sm2/hospital.raw.json")
        let credentials = ["--app-id", "1G7Q8ABCDEF0123456", "--app-secret", "S3CR3T"]
        let data = Array(#"{"payOrdId":"ORD20261123","feeSumamt":12.00}"#.utf8)
        let sealed = try await TestSupport.yibao(["envelope", "seal"] + credentials + ["--private-key", raw.privateKey, "-"], stdin: data)
        #expect(sealed.status == 0, "\(sealed.stderr)")
        let opened = try await TestSupport.yibao(["envelope", "open"] + credentials + ["--peer-public-key", raw.publicKey, "-"], stdin: sealed.stdout)
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(opened.stdoutText.contains(#""feeSumamt": 12.00"#))
        let der = try await TestSupport.yibao(["envelope", "open"] + credentials + ["--peer-public-key", raw.publicKey, "--signature-encoding", "der", "-"], stdin: sealed.stdout)
        #expect(der.status == 1)
        #expect(der.stderr.contains("ENV_SIGNATURE_INVALID") && der.stderr.contains("raw r‖s") && der.stderr.contains("string we verified"))
        let other = try TestSupport.rawKeys("sm2/pharmacy.raw.json")
        let wrongKey = try await TestSupport.yibao(["envelope", "open"] + credentials + ["--peer-public-key", other.publicKey, "-"], stdin: sealed.stdout)
        #expect(wrongKey.status == 1 && wrongKey.stderr.contains("different key"))
        let signString = try await TestSupport.yibao(["envelope", "sign-string", "--app-secret", "S", "-"],
                                               stdin: Array(#"{"b":"2","a":1,"data":{"y":[1],"x":""}}"#.utf8))
        #expect(signString.stdoutText == "a=1&b=2&data={\"y\":[\"1\"]}&key=S\n")
    }

    @Test("vectors check passes on the shipped vectors and prints counts")
    func vectorsCheck() async throws {
        let result = try await TestSupport.yibao(["vectors", "check", TestSupport.vectorsDirectory.path])
        #expect(result.status == 0, "\(result.stdoutText)")
        #expect(result.stdoutText.contains(" 0 failed"))
        #expect(result.stdoutText.range(of: #"vectors: \d+ passed, 0 failed"#, options: .regularExpression) != nil)
    }

    @Test("bench crypto reports every figure")
    func bench() async throws {
        let result = try await TestSupport.yibao(["bench", "crypto", "--seconds", "0.05"])
        #expect(result.status == 0)
        for name in ["SM2 sign", "SM2 verify", "P-256 sign", "P-256 verify", "SM4-ECB"] {
            #expect(result.stdoutText.contains(name))
        }
    }
}

@Suite("Interoperability through the command line")
struct CLIInteropTests {
    @Test("yibao envelope open accepts an envelope sealed by the independent Python implementation, and refuses it tampered")
    func pythonEnvelope() async throws {
        let keys = try TestSupport.rawKeys("sm2/pharmacy.raw.json")
        let credentials = ["--app-id", "1G7Q8ABCDEF0123456", "--app-secret", "Yibao-Demo-Secret-2026"]
        let script = TestSupport.packageRoot.appendingPathComponent("tools/vectors/hse.py").path
        let sample = TestSupport.packageRoot.appendingPathComponent("samples/uldFeeInfo.json").path
        let sealed = try await TestSupport.run("python3", [script, "seal"] + credentials + ["--private-key", keys.privateKey, sample])
        #expect(sealed.status == 0, "\(sealed.stderr)")
        let opened = try await TestSupport.yibao(["envelope", "open"] + credentials + ["--peer-public-key", keys.publicKey, "-"], stdin: sealed.stdout)
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(opened.stdoutText.contains(#""medfeeSumamt": 32.50"#))

        var envelope = try JSONValue.parse(sealed.stdout).objectValue!
        envelope["version"] = .string("9.9.9")
        let tampered = try await TestSupport.yibao(["envelope", "open"] + credentials + ["--peer-public-key", keys.publicKey, "-"],
                                             stdin: Array(JSONValue.object(envelope).serialized().utf8))
        #expect(tampered.status == 1 && tampered.stderr.contains("ENV_SIGNATURE_INVALID"))
    }
}
