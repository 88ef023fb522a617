import Testing
@testable import YibaoCrypto

@Suite("Signature diagnosis: where the signed string leaves the canonical one")
struct DiagnosisDifferenceTests {
    @Test("a signature over a string that kept an empty value is diagnosed with the first differing byte; a variant that changes nothing is not reported")
    func firstDifference() throws {
        let key = try SM2.PrivateKey()
        let secret = "B11EDC1FBD3DD31EC68839EA6D187499"
        let envelope: JSONObject = ["appId": "YBH120101000018259B894", "timestamp": "1795000000000",
                                    "data": .object(["a": "1", "remark": ""])]
        let signed = HSESignString.build(envelope: envelope, appSecret: secret, variant: .emptyValuesKept)
        let signature = try key.signature(for: Array(signed.utf8)).rawRepresentation
        let findings = HSEEnvelope.diagnoseSignature(signed: envelope, signature: signature, peerPublicKey: try key.publicKey, appSecret: secret,
                                                     profile: .nhsa20, member: "signData")
        #expect(findings.count == 1, "\(findings)")
        let finding = try #require(findings.first)
        #expect(finding.contains("null / empty values kept"))
        // The difference is shown between the redacted strings (business data as its shape, no secret).
        let shownCanonical = HSESignString.display(envelope: envelope, appSecret: secret)
        let shownSigned = HSESignString.display(envelope: envelope, appSecret: secret, variant: .emptyValuesKept)
        let offset = zip(Array(shownCanonical.utf8), Array(shownSigned.utf8)).prefix { $0 == $1 }.count
        #expect(finding.contains("first difference at byte \(offset)"))
        #expect(finding.contains(#""remark":"""#))
        // No number or boolean in this message: "numbers not stringified" gives the same string and must not appear.
        #expect(!finding.contains("numbers"))
        #expect(!finding.contains(secret))
        #expect(finding.contains("<string:1>"), "business data appears as its shape: \(finding)")
    }
}

@Suite("Signature diagnosis: mistakes seen in public threads")
struct PublicThreadDiagnosisTests {
    @Test("signData that is the Base64 of the signature's hex text (128 ASCII characters) is named as such")
    func hexText() throws {
        let key = try SM2.PrivateKey()
        let secret = "B11EDC1FBD3DD31EC68839EA6D187499"
        let envelope: JSONObject = ["appId": "YBH120101000018259B894", "timestamp": "1795000000000", "data": .object(["a": "1"])]
        let signature = try key.signature(for: Array(HSESignString.build(envelope: envelope, appSecret: secret).utf8)).rawRepresentation
        let asHexText = Array(Hex.encode(signature).utf8)
        #expect(asHexText.count == 128)
        let findings = HSEEnvelope.diagnoseSignature(signed: envelope, signature: asHexText, peerPublicKey: try key.publicKey, appSecret: secret,
                                                     profile: .nhsa20, member: "signData")
        #expect(findings.first?.contains("Base64 of the signature's hex text (128 ASCII characters)") == true, "\(findings)")
    }
}
