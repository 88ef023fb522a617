import Foundation
import Testing
import YibaoClient
@testable import YibaoConformance
import YibaoCore
import YibaoCrypto

/// The dev credentials and keys of certs/, and envelopes sealed the way the platform seals them.
struct SampleReceiverFixtures: Sendable {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let certs = packageRoot.appendingPathComponent("certs").path

    /// A fixed instant for the receivers' clocks; envelopes are stamped relative to it.
    static let now = Date(timeIntervalSince1970: 1_795_000_000)

    let credentials: DemoCredentials
    let platformKey: SM2.PrivateKey
    let platformPublicKey: SM2.PublicKey

    init() throws {
        credentials = try DemoCredentials.load(certsDirectory: Self.certs)
        platformKey = try SM2.PrivateKey(pemRepresentation: try Self.read(credentials.platform.privateKeyPem))
        platformPublicKey = try SM2.PublicKey(base64: credentials.platform.publicKey)
    }

    static func read(_ name: String) throws -> String {
        let path = (certs as NSString).appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: path) else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path]) }
        return String(decoding: data, as: UTF8.self)
    }

    func institution(_ code: String) throws -> DemoCredentials.Institution {
        try #require(credentials.institutions.first { $0.fixmedins_code == code })
    }

    /// A request envelope for `institution`'s app carrying `data`, signed by `key` (the platform's unless a forger's).
    func seal(_ data: JSONObject, for institution: DemoCredentials.Institution, at timestamp: Date = now,
              key: SM2.PrivateKey? = nil) throws -> [UInt8] {
        let envelope = try HSEEnvelope(appId: institution.appId, appSecret: institution.appSecret)
        let sealed = try envelope.sealRequest(data: .object(data), privateKey: key ?? platformKey, timestamp: timestamp)
        return Array(JSONValue.object(sealed).serialized().utf8)
    }

    /// The trust store of `yibao rx verify` (DevTrust): both trees' roots, intermediates and CRLs, the platform certificate.
    func prescriptionVerifier() throws -> PrescriptionVerifier {
        var roots: [Certificate] = [], intermediates: [Certificate] = [], crls: [CertificateRevocationList] = []
        for tree in ["sm2", "p256"] {
            roots.append(try Certificate(pemRepresentation: try Self.read("\(tree)/root.cert.pem")))
            intermediates.append(try Certificate(pemRepresentation: try Self.read("\(tree)/intermediate.cert.pem")))
            crls.append(try CertificateRevocationList(pemRepresentation: try Self.read("\(tree)/intermediate.crl.pem")))
        }
        return PrescriptionVerifier(trustAnchors: roots, intermediates: intermediates, revocationLists: crls,
                                    platformCertificate: try Certificate(pemRepresentation: try Self.read(credentials.platform.certificate)))
    }

    /// The `document` of test `tcId` in vectors/signed_prescription_test.json.
    static func vectorDocument(_ tcId: Int) throws -> JSONObject {
        let url = packageRoot.appendingPathComponent("vectors/signed_prescription_test.json")
        let root = try JSONValue.parse(Array(try Data(contentsOf: url)))
        for group in root.objectValue?["testGroups"]?.arrayValue ?? [] {
            for test in group.objectValue?["tests"]?.arrayValue ?? [] {
                guard let object = test.objectValue, object["tcId"] == .integer(tcId) else { continue }
                return try #require(object["document"]?.objectValue)
            }
        }
        throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "no tcId \(tcId)"])
    }
}

/// The answer's `code` and `message`.
private func answer(_ result: (status: Int, body: [UInt8])) throws -> (status: Int, code: Int, message: String, object: JSONObject) {
    let object = try #require(try JSONValue.parse(result.body).objectValue)
    guard case .number(let text)? = object["code"], let code = Int(text) else {
        Issue.record("the answer has no numeric code: \(String(decoding: result.body, as: UTF8.self))")
        throw CocoaError(.coderInvalidValue)
    }
    return (result.status, code, object["message"]?.stringValue ?? "", object)
}

@Suite("Sample callback receiver")
struct SampleCallbackReceiverTests {
    let fixtures: SampleReceiverFixtures
    let hospital: DemoCredentials.Institution

    init() throws {
        fixtures = try SampleReceiverFixtures()
        hospital = try fixtures.institution(DemoCredentials.demoHospital)
    }

    func receiver(sloppy: Bool = false) -> SampleCallbackReceiver {
        SampleCallbackReceiver(appId: hospital.appId, appSecret: hospital.appSecret, platformPublicKey: fixtures.platformPublicKey,
                               sloppy: sloppy, clock: FixedWallClock(SampleReceiverFixtures.now))
    }

    /// A callback as `SettlementCalculator.callbackData` makes it.
    func callback(_ callType: String, payOrdId: String = "ORD20261124040202413343", ordStas: String = "6") -> JSONObject {
        [
            "ordStas": .string(ordStas), "callType": .string(callType), "payOrdId": .string(payOrdId),
            "medOrgOrd": "MO202611240402022275", "traceTime": "2026-11-24 04:02:02", "feeSumamt": "73.60",
            "ownpayAmt": "0.00", "psnAcctPay": "17.01", "fundPay": "56.59", "setlType": "1", "revsToken": "8F1226CA1893FE46",
            "refdAmt": .string(callType == "REFUND" ? "5.00" : "0.00"), "extData": .object(["setlinfo": .object([:])]),
        ]
    }

    @Test("a valid SETL is acknowledged; its byte-identical retry is acknowledged again but processed once")
    func validAndDuplicate() async throws {
        let receiver = receiver()
        let body = try fixtures.seal(callback("SETL"), for: hospital)

        let first = await receiver.handle(body)
        let opened = try answer(first)
        #expect(opened.status == 200)
        #expect(opened.code == 0)
        #expect(opened.message == "received")

        let retry = await receiver.handle(body)
        #expect(retry.status == first.status)
        #expect(retry.body == first.body)

        let tally = await receiver.processed
        #expect(tally.ordersPaid == 1)
        #expect(tally.duplicatesIgnored == 1)
        #expect(tally.acknowledged == 2)
        #expect(tally.refused == 0)
        #expect(await receiver.isPaid("ORD20261124040202413343"))
    }

    @Test("a callback signed with another SM2 key is refused with code 2")
    func forged() async throws {
        let receiver = receiver()
        let body = try fixtures.seal(callback("SETL"), for: hospital, key: try SM2.PrivateKey())
        let refused = try answer(await receiver.handle(body))
        #expect(refused.code == 2)
        #expect(refused.status == 401)
        #expect(refused.message.contains("/signData"))
        #expect(refused.message.contains("ENV_SIGNATURE_INVALID"))
        #expect(await receiver.processed.ordersPaid == 0)
    }

    @Test("a callback for another app is refused with code 1 naming /appId")
    func otherApp() async throws {
        let receiver = receiver()
        let other = try fixtures.institution("H12010100002")
        let refused = try answer(await receiver.handle(try fixtures.seal(callback("SETL"), for: other)))
        #expect(refused.code == 1)
        #expect(refused.message.contains("/appId"))
        let notJSON = try answer(await receiver.handle(Array("not json".utf8)))
        #expect(notJSON.code == 1)
    }

    @Test("a callback stamped 10 minutes ago is refused as stale with code 3")
    func stale() async throws {
        let receiver = receiver()
        let body = try fixtures.seal(callback("SETL"), for: hospital, at: SampleReceiverFixtures.now.addingTimeInterval(-7201))
        let refused = try answer(await receiver.handle(body))
        #expect(refused.code == 3)
        #expect(refused.message.contains("stale"))
        #expect(refused.message.contains("/timestamp"))
        #expect(refused.message.contains(Timestamps.iso(SampleReceiverFixtures.now)))
        #expect(refused.message.contains(Timestamps.iso(SampleReceiverFixtures.now.addingTimeInterval(-7201))))
        #expect(await receiver.processed.ordersPaid == 0)

        // Exactly at the window's edge is still fresh.
        let edge = try fixtures.seal(callback("SETL"), for: hospital, at: SampleReceiverFixtures.now.addingTimeInterval(-7200))
        #expect(try answer(await receiver.handle(edge)).code == 0)
    }

    @Test("a REFUND before its SETL is refused with code 5; the identical retry is acknowledged once the SETL arrived")
    func refundBeforeSettlement() async throws {
        let receiver = receiver()
        let refund = try fixtures.seal(callback("REFUND", ordStas: "9"), for: hospital)
        let early = try answer(await receiver.handle(refund))
        #expect(early.code == 5)
        #expect(early.status == 409)
        #expect(early.message.contains("REFUND before SETL for payOrdId ORD20261124040202413343"))

        #expect(try answer(await receiver.handle(try fixtures.seal(callback("SETL"), for: hospital))).code == 0)
        let retried = try answer(await receiver.handle(refund))
        #expect(retried.code == 0)
        #expect(retried.message == "received")

        let tally = await receiver.processed
        #expect(tally.ordersPaid == 1)
        #expect(tally.refundsApplied == 1)
        #expect(tally.duplicatesIgnored == 0)
        #expect(tally.refused == 1)
    }

    @Test("missing or wrong business fields are refused with code 4 naming the pointer", arguments: [
        ("payOrdId", JSONValue?.none, "/data/payOrdId"),
        ("payOrdId", JSONValue?.some(""), "/data/payOrdId"),
        ("callType", JSONValue?.some("PAY"), "/data/callType"),
        ("ordStas", JSONValue?.some(.integer(6)), "/data/ordStas"),
        ("feeSumamt", JSONValue?.none, "/data/feeSumamt"),
    ])
    func fields(member: String, value: JSONValue?, pointer: String) async throws {
        let receiver = receiver()
        var data = callback("SETL")
        data[member] = value
        let refused = try answer(await receiver.handle(try fixtures.seal(data, for: hospital)))
        #expect(refused.code == 4)
        #expect(refused.message.hasPrefix(pointer))
    }

    @Test("the sloppy receiver acknowledges a forged callback")
    func sloppy() async throws {
        let receiver = receiver(sloppy: true)
        let forged = try fixtures.seal(callback("SETL"), for: hospital, key: try SM2.PrivateKey())
        let acknowledged = try answer(await receiver.handle(forged))
        #expect(acknowledged.code == 0)
        #expect(acknowledged.status == 200)
        #expect(await receiver.processed.acknowledged == 1)
    }
}

@Suite("Sample prescription receiver")
struct SamplePrescriptionReceiverTests {
    let fixtures: SampleReceiverFixtures
    let pharmacy: DemoCredentials.Institution
    static let hiRxno = "1201012026112300000001"

    init() throws {
        fixtures = try SampleReceiverFixtures()
        pharmacy = try fixtures.institution("P12010100001")
    }

    func receiver(sloppy: Bool = false) throws -> SamplePrescriptionReceiver {
        SamplePrescriptionReceiver(appId: pharmacy.appId, appSecret: pharmacy.appSecret, platformPublicKey: fixtures.platformPublicKey,
                                   verifier: try fixtures.prescriptionVerifier(), sloppy: sloppy, clock: FixedWallClock(SampleReceiverFixtures.now))
    }

    func push(_ tcId: Int, hiRxno: String = hiRxno) throws -> [UInt8] {
        try fixtures.seal(["pushType": "RX_CIRCULATE", "hiRxno": .string(hiRxno),
                           "signedPrescription": .object(try SampleReceiverFixtures.vectorDocument(tcId))], for: pharmacy)
    }

    @Test("vector tcId 1 (valid) is accepted with its hiRxno; the same bytes again get the same answer")
    func valid() async throws {
        let receiver = try receiver()
        let body = try push(1)
        let first = await receiver.handle(body)
        let accepted = try answer(first)
        #expect(accepted.status == 200)
        #expect(accepted.code == 0)
        #expect(accepted.message == "accepted")
        #expect(accepted.object["hiRxno"] == .string(Self.hiRxno))

        let retry = await receiver.handle(body)
        #expect(retry.body == first.body)
        // The same document in a fresh envelope is a retry too.
        #expect(try answer(await receiver.handle(try push(1))).code == 0)

        let tally = await receiver.processed
        #expect(tally.prescriptionsAccepted == 1)
        #expect(tally.duplicatesIgnored == 2)
        #expect(await receiver.prescription(hiRxno: Self.hiRxno) != nil)
    }

    @Test("vector tcId 7 (drugCnt changed after signing) is refused with code 6 listing the failed checks")
    func modified() async throws {
        let receiver = try receiver()
        let refused = try answer(await receiver.handle(try push(7)))
        #expect(refused.code == 6)
        #expect(refused.message.contains("RX_DOCTOR_SIGNATURE_INVALID"))
        #expect(refused.message.contains("RX_PHARMACIST_SIGNATURE_INVALID"))
        #expect(refused.message.contains("RX_PLATFORM_SIGNATURE_INVALID"))
        #expect(await receiver.processed.prescriptionsAccepted == 0)
    }

    @Test("a push whose hiRxno is not the countersigned one is refused with code 7")
    func hiRxnoMismatch() async throws {
        let receiver = try receiver()
        let refused = try answer(await receiver.handle(try push(1, hiRxno: "1201012026112300000099")))
        #expect(refused.code == 7)
        #expect(refused.message.contains("/data/signedPrescription/platformSignature/hiRxno"))
    }

    @Test("a different valid document under an accepted hiRxno is refused with code 8")
    func replaced() async throws {
        let receiver = try receiver()
        #expect(try answer(await receiver.handle(try push(1))).code == 0)
        let refused = try answer(await receiver.handle(try push(2)))
        #expect(refused.code == 8)
        #expect(refused.message.contains("/data/hiRxno"))
    }

    @Test("a push that is not RX_CIRCULATE or carries no yibao-rx/1 document is refused with code 4")
    func shape() async throws {
        let receiver = try receiver()
        let document = JSONValue.object(try SampleReceiverFixtures.vectorDocument(1))
        let wrongType = try fixtures.seal(["pushType": "RX_UNDO", "hiRxno": .string(Self.hiRxno), "signedPrescription": document], for: pharmacy)
        let refusedType = try answer(await receiver.handle(wrongType))
        #expect(refusedType.code == 4)
        #expect(refusedType.message.hasPrefix("/data/pushType"))

        let noDocument = try fixtures.seal(["pushType": "RX_CIRCULATE", "hiRxno": .string(Self.hiRxno)], for: pharmacy)
        let refusedDocument = try answer(await receiver.handle(noDocument))
        #expect(refusedDocument.code == 4)
        #expect(refusedDocument.message.hasPrefix("/data/signedPrescription"))
    }

    @Test("a forged push is refused with code 2; the sloppy receiver acknowledges it")
    func forged() async throws {
        let forged = try fixtures.seal(["pushType": "RX_CIRCULATE", "hiRxno": .string(Self.hiRxno),
                                        "signedPrescription": .object(try SampleReceiverFixtures.vectorDocument(7))],
                                       for: pharmacy, key: try SM2.PrivateKey())
        #expect(try answer(await receiver().handle(forged)).code == 2)
        #expect(try answer(await receiver(sloppy: true).handle(forged)).code == 0)
    }
}
