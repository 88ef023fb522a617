import Foundation
import Testing
@testable import YibaoCrypto

/// Beyond valid / invalid: each invalid envelope vector must be refused at the step its
/// flag describes, and a signature mistake must be named in the diagnosis.
@Suite("Envelope vectors are refused for the right reason")
struct EnvelopeVectorDiagnosisTests {
    /// flag → (failure code, a phrase the diagnosis must contain), most specific first.
    static let expectations: [(flag: String, code: HSEOpenFailure.Code, phrase: String?)] = [
        ("LowerCaseHex", .encDataHexCase, nil),
        ("UpperCaseHex", .encDataHexCase, nil),
        ("MissingSignData", .missingField, nil),
        ("UnknownAppId", .appIdMismatch, nil),
        ("WrongAppSecret", .decryptionFailed, nil),
        ("StaleTimestamp", .timestampOutOfWindow, nil),
        ("FutureTimestamp", .timestampOutOfWindow, nil),
        ("DerSignature", .signatureInvalid, "DER-encoded"),
        ("RawSignature", .signatureInvalid, "raw r‖s"),
        ("EmptySignerId", .signatureInvalid, "EMPTY signer ID"),
        ("WrongSignerId", .signatureInvalid, "signer ID"),
        ("UnsortedKeys", .signatureInvalid, "keys not sorted"),
        ("NumbersNotStringified", .signatureInvalid, "not written as strings"),
        ("EmptyValuesKept", .signatureInvalid, "empty values kept"),
        ("WrongKey", .signatureInvalid, "different key"),
        ("TamperedEncData", .signatureInvalid, nil),
        ("ResponseFieldsNotSigned", .signatureInvalid, nil),
        // The dialect variants (groups with and without `dialect`), refused under the strict profile.
        ("UnrecognisedTimestamp", .badTimestamp, nil),
        ("UnknownEncType", .unsupportedEncType, nil),
        ("LowerCaseTypes", .unsupportedEncType, nil),
        ("TimestampSeconds", .timestampOutOfWindow, "epoch seconds"),
        ("TimestampCompact", .timestampOutOfWindow, "yyyyMMddHHmmss"),
        ("CaseInsensitiveSort", .signatureInvalid, "case-insensitively"),
        ("NativeTypes", .signatureInvalid, "not written as strings"),
        ("EmptyObjectDropped", .signatureInvalid, "empty objects dropped"),
    ]

    @Test("every invalid envelope vector fails at its flag's step")
    func reasons() throws {
        let url = TestSupport.vectorsDirectory.appendingPathComponent("hse_envelope_test.json")
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        var checked = 0
        for group in root["testGroups"] as! [[String: Any]] {
            let profile = try JSONDecoder().decode(HSEProfile.self, from: JSONSerialization.data(withJSONObject: group["profile"]!))
            let envelope = try HSEEnvelope(appId: group["appId"] as! String, appSecret: group["appSecret"] as! String, profile: profile)
            let key = try SM2.PublicKey(base64: group["senderPublicKey"] as! String)
            let now = Date(timeIntervalSince1970: Double(group["now"] as! Int) / 1000)
            for test in group["tests"] as! [[String: Any]] where test["result"] as? String == "invalid" {
                let flags = test["flags"] as! [String]
                let expectation = try #require(Self.expectations.first { flags.contains($0.flag) }, "no expectation for flags \(flags)")
                let result = envelope.open(Array((test["envelope"] as! String).utf8), peerPublicKey: key, now: now)
                guard case .failure(let failure) = result else {
                    Issue.record("tcId \(test["tcId"]!) was accepted")
                    continue
                }
                #expect(failure.code == expectation.code, "tcId \(test["tcId"]!) \(flags): \(failure)")
                if let phrase = expectation.phrase {
                    #expect(failure.diagnosis.contains { $0.contains(phrase) }, "tcId \(test["tcId"]!) \(flags): \(failure.diagnosis)")
                }
                checked += 1
            }
        }
        #expect(checked >= 20)
    }
}
