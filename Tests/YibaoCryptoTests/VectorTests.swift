import Foundation
import Testing
import YibaoVectors

@Suite("Language-neutral test vectors")
struct VectorTests {
    static let required = [
        "sm3_test.json", "sm4_test.json", "sm2_verify_test.json", "ecdsa_p256_verify_test.json", "signed_prescription_test.json",
        "hse_sign_string_test.json", "hse_encryption_test.json", "hse_envelope_test.json",
        "hse_envelope_prompt.json", "hse_sign_string_prompt.json",
    ]

    @Test("every required vector file is present")
    func present() throws {
        let names = Set(try VectorChecker.vectorFiles(in: TestSupport.vectorsDirectory).map(\.lastPathComponent))
        for name in Self.required { #expect(names.contains(name), "missing vectors/…/\(name)") }
    }

    @Test("every vector's result is what YibaoCrypto computes", arguments: try VectorChecker.vectorFiles(in: TestSupport.vectorsDirectory))
    func vectorFile(url: URL) throws {
        let report = try VectorChecker.check(file: url)
        #expect(report.passed > 0)
        #expect(report.failed == 0, "\(report.mismatches.map(\.description).joined(separator: "\n"))")
    }

    @Test("the independent Python implementation agrees with every vector, and every file matches its JSON Schema")
    func independentCheck() async throws {
        let script = TestSupport.packageRoot.appendingPathComponent("tools/vectors/check.py").path
        // --skip-slow leaves out the 1,000,000-round SM4 example in pure Python (YibaoCrypto runs it).
        let result = try await TestSupport.run("python3", [script, "--skip-slow"])
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderr)")
        #expect(result.stdoutText.range(of: #"\d+ passed, 0 failed"#, options: .regularExpression) != nil, "\(result.stdoutText)")
    }

    @Test("the openssl CLI verifies every dialect vector's signData over its signString (and refuses the wrong-key one)")
    func opensslSignStrings() async throws {
        let script = TestSupport.packageRoot.appendingPathComponent("tools/vectors/openssl_signstrings.py").path
        let result = try await TestSupport.run("python3", [script])
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderr)")
        #expect(result.stdoutText.range(of: #"[1-9]\d* signStrings checked, 0 failed"#, options: .regularExpression) != nil, "\(result.stdoutText)")
    }

    @Test("the checker notices a vector whose result is flipped")
    func checkerCanFail() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = TestSupport.vectorsDirectory.appendingPathComponent("sm2_verify_test.json")
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: source)) as! [String: Any]
        var groups = object["testGroups"] as! [[String: Any]]
        var tests = groups[0]["tests"] as! [[String: Any]]
        tests[0]["result"] = (tests[0]["result"] as! String) == "valid" ? "invalid" : "valid"
        groups[0]["tests"] = tests
        object["testGroups"] = groups
        let target = directory.appendingPathComponent("sm2_verify_test.json")
        try JSONSerialization.data(withJSONObject: object).write(to: target)
        let report = try VectorChecker.check(file: target)
        #expect(report.failed == 1)
    }
}
