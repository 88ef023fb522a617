import AsyncHTTPClient
import Foundation
import YibaoClient
import YibaoCore
import YibaoCrypto

/// Suite `prescription-receiver`: plays the platform pushing circulated prescriptions to a
/// hospital's or pharmacy's endpoint (`{"pushType":"RX_CIRCULATE","hiRxno":…,"signedPrescription":{…}}`
/// sealed for its app). Every test of vectors/signed_prescription_test.json is pushed: the valid
/// ones must be acknowledged, every mistake refused. Valid documents get a fresh countersignature
/// over a run-unique hiRxno (the platform's own key), so a receiver that keeps one document per
/// hiRxno can be run again; documents whose mistake is in the countersignature travel unchanged.
public final class PrescriptionReceiverSuite: ConformanceSuite, @unchecked Sendable {
    public let name = "prescription-receiver"
    let sender: PlatformSender
    let credentials: DemoCredentials
    let platformCertificate: Certificate
    let vectors: [VectorTest]
    private var firstPush: JSONObject?

    struct VectorTest {
        var tcId: Int
        var valid: Bool
        var comment: String
        var document: JSONObject
        var failingParty: String?
    }

    /// - Parameters:
    ///   - target: the full URL of the receiving endpoint.
    ///   - vectorsFile: vectors/signed_prescription_test.json.
    public init(target: String, credentials: DemoCredentials, institution: String, platformKey: SM2.PrivateKey, platformCertificate: Certificate,
                vectorsFile: String, seed: UInt64, clock: VirtualClock, recorder: ExchangeRecorder, http: HTTPClient = .shared) throws {
        guard let app = credentials.institutions.first(where: { $0.fixmedins_code == institution }) else {
            throw ConformanceError("no institution \(institution) in certs/demo-credentials.json")
        }
        self.credentials = credentials
        self.platformCertificate = platformCertificate
        sender = PlatformSender(target: target, app: app, platformKey: platformKey, seed: seed, clock: clock, recorder: recorder, http: http)
        vectors = try Self.load(vectorsFile)
    }

    /// The tests of the signed-prescription vectors file.
    static func load(_ path: String) throws -> [VectorTest] {
        guard let data = FileManager.default.contents(atPath: path), let root = (try JSONValue.parse(Array(data))).objectValue else {
            throw ConformanceError("cannot read the prescription vectors at \(path)")
        }
        var tests: [VectorTest] = []
        for group in root["testGroups"]?.arrayValue ?? [] {
            for test in group.objectValue?["tests"]?.arrayValue ?? [] {
                guard let object = test.objectValue, let id = object["tcId"].flatMap({ if case .number(let n) = $0 { Int(n) } else { nil } }),
                      let document = object["document"]?.objectValue else { continue }
                tests.append(VectorTest(tcId: id, valid: object[key: "result"] == "valid", comment: object[key: "comment"], document: document,
                                        failingParty: object["failure"]?.objectValue?["party"]?.stringValue))
            }
        }
        guard !tests.isEmpty else { throw ConformanceError("\(path) has no tests") }
        return tests
    }

    /// The catalogue id of a vector test.
    static func caseId(_ tcId: Int) -> String { String(format: "PRX-VEC-%02d", tcId) }

    public func prepare() async throws {
        let probe = await sender.post(Array("{}".utf8))
        if probe.status == 0 { throw ConformanceError("cannot reach \(sender.target): \(probe.text)") }
    }

    public var implemented: Set<String> { Set(vectors.map { Self.caseId($0.tcId) }).union(Self.envelopeCases.keys) }

    public func run(_ caseId: String) async throws -> String {
        if let body = Self.envelopeCases[caseId] { return try await body(self) }
        guard let test = vectors.first(where: { Self.caseId($0.tcId) == caseId }) else { throw CaseSkipped("no such vector test") }
        let (document, hiRxno) = try push(test)
        let answer = await sender.post(try sender.seal(.object(["pushType": "RX_CIRCULATE", "hiRxno": .string(hiRxno), "signedPrescription": .object(document)])))
        if test.valid {
            try sender.expectAcknowledged(answer, "vector \(test.tcId) (valid: \(test.comment))")
            return "vector \(test.tcId) accepted: \(test.comment)"
        }
        return try sender.expectRefused(answer, "vector \(test.tcId) (\(test.comment))")
    }

    /// The document to push and its hiRxno: countersigned afresh unless the vector's mistake is the countersignature's.
    func push(_ test: VectorTest) throws -> (JSONObject, String) {
        let original = test.document["platformSignature"]?.objectValue
        guard test.failingParty != "platform", original != nil, var document = try? SignedPrescription(json: test.document) else {
            return (test.document, original?[key: "hiRxno"] ?? "HIRX" + sender.runStamp + sender.random.digits(6))
        }
        let hiRxno = "12010" + sender.runStamp + sender.random.digits(3)
        let signTime = original.flatMap { Timestamps.parseFSI($0[key: "signTime"]) } ?? sender.clock.now()
        try document.countersign(platformKey: sender.platformKey, certificate: platformCertificate, hiRxno: hiRxno, at: signTime)
        return (document.json, hiRxno)
    }

    typealias Case = @Sendable (PrescriptionReceiverSuite) async throws -> String

    /// The valid vector 1, pushed the wrong ways.
    func validPush() throws -> (data: JSONValue, document: JSONObject) {
        guard let test = vectors.first(where: \.valid) else { throw CaseFailure("the vectors have no valid test") }
        let (document, hiRxno) = try push(test)
        return (.object(["pushType": "RX_CIRCULATE", "hiRxno": .string(hiRxno), "signedPrescription": .object(document)]), document)
    }

    static let envelopeCases: [String: Case] = [
        "PRX-DUP-001": { suite in
            let envelope = try suite.sender.seal(try suite.validPush().data)
            try suite.sender.expectAcknowledged(await suite.sender.post(envelope), "a valid push")
            try suite.sender.expectAcknowledged(await suite.sender.post(envelope), "the same push delivered again")
            return "a valid push and its byte-identical retry were both acknowledged"
        },
        "PRX-FORGED-001": { suite in
            let envelope = try suite.sender.seal(try suite.validPush().data, key: try suite.sender.impostorKey())
            return try suite.sender.expectRefused(await suite.sender.post(envelope), "a push signed with a key that is not the platform's")
        },
        "PRX-STALE-001": { suite in
            let envelope = try suite.sender.seal(try suite.validPush().data, at: suite.sender.clock.now().addingTimeInterval(-86_400))
            return try suite.sender.expectRefused(await suite.sender.post(envelope), "a never-seen push sealed 24 hours ago")
        },
        "PRX-REPLAY-001": { suite in
            let other = try PlatformSender.otherApp(than: suite.sender.app.fixmedins_code, in: suite.credentials)
            let envelope = try suite.sender.seal(try suite.validPush().data, for: other)
            return try suite.sender.expectRefused(await suite.sender.post(envelope), "a genuine push for another institution (\(other.fixmedins_code)) replayed to this one")
        },
        "PRX-FIELD-001": { suite in
            let envelope = try suite.sender.seal(.object(["pushType": "RX_CIRCULATE", "hiRxno": .string("12010" + suite.sender.runStamp + "999")]))
            return try suite.sender.expectRefused(await suite.sender.post(envelope), "a push without signedPrescription")
        },
        "PRX-HIRXNO-001": { suite in
            var (data, _) = try suite.validPush()
            guard case .object(var object) = data else { throw CaseFailure("internal: push data") }
            object["hiRxno"] = .string("12010" + suite.sender.runStamp + "998")
            data = .object(object)
            return try suite.sender.expectRefused(await suite.sender.post(try suite.sender.seal(data)), "a push whose hiRxno is not the one the platform countersigned")
        },
    ]
}
