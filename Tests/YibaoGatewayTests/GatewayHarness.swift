import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import YibaoTestSupport
import YibaoDevKit
@testable import YibaoClient
import YibaoCore
import YibaoCrypto
@testable import YibaoGateway
import YibaoStore

/// A gateway on a fresh SQLite database with the demo fixture, as `yibao serve` builds it.
struct GatewayHarness {
    static let packageRoot = TestWorkspace.packageRoot
    static let certs = TestWorkspace.certs
    static let fixturePath = TestWorkspace.fixturePath

    let dataDirectory: String
    let gateway: Gateway
    let credentials: DemoCredentials

    /// A new gateway; `dataDirectory` reuses an existing database (restart).
    static func make(dataDirectory: String? = nil, testClock: Bool = true, fixture: Bool = true, policy: PolicyProfile = .nhsa20) async throws -> GatewayHarness {
        let directory = dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("yibao-gw-\(UUID().uuidString)").path
        let credentials = try DemoCredentials.load(certsDirectory: certs)
        let gateway = try GatewaySetup.make(certs: certs, credentials: credentials, dataDirectory: directory, testClock: testClock, policy: policy)
        if fixture {
            _ = try await gateway.loadOnFirstStart(try GatewaySetup.fixture(path: fixturePath, certs: certs, credentials: credentials))
        }
        return GatewayHarness(dataDirectory: directory, gateway: gateway, credentials: credentials)
    }

    /// The gateway's application; `callbacks` false leaves callback delivery to the test (CallbackDispatcher.deliverDue).
    func app(callbacks: Bool = true) -> some ApplicationProtocol {
        gateway.application(host: "127.0.0.1", port: 0, callbackInterval: callbacks ? .milliseconds(250) : nil)
    }

    func clientCredentials(_ code: String = DemoCredentials.demoHospital) throws -> YibaoClient.Credentials {
        try credentials.credentials(for: code)
    }

    /// A client of the live server on `port`, stamping requests with the gateway's (test) clock.
    func client(port: Int, institution: String = DemoCredentials.demoHospital) async throws -> YibaoClient {
        YibaoClient(baseURL: "http://127.0.0.1:\(port)", credentials: try clientCredentials(institution), clock: GatewayClockMirror(await gateway.clock.now()))
    }

    func channel(port: Int) -> VoucherChannel { VoucherChannel(baseURL: "http://127.0.0.1:\(port)", token: credentials.channel.token) }

    /// A visit of `person` at the demo hospital with `boxes` boxes of metformin (12.50 each) uploaded in batch B1:
    /// 2201 with the e-voucher (`.eVoucher`, an ecToken scanned for registration) or by resident ID (`.residentID`),
    /// then 2204; the visit's mdtrt_id.
    func visitWithMetformin(port: Int, hospital: YibaoClient, person: (psnNo: String, certno: String), insutype: String = "310",
                            medium: IdentityMedium = .eVoucher, boxes: Int = 1) async throws -> String {
        let certNo = medium == .eVoucher ? try await ecToken(port: port, certno: person.certno, hospital: hospital) : person.certno
        let visit = try await hospital.register(RegistrationRequest(
            psnNo: person.psnNo, insutype: insutype, beginTime: Date(), medium: medium, certNo: certNo, iptOtpNo: "MZ" + TokenGenerator.digits(6),
            doctorCode: Demo.doctorLi, doctorName: "Li Wei", deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
        _ = try await hospital.call(infno: "2204", input: ["feedetail": .array([.object([
            "feedetl_sn": "1", "mdtrt_id": .string(visit), "psn_no": .string(person.psnNo), "chrg_bchno": "B1",
            "med_list_codg": "XA10BAE054A001010100483", "pric": "12.50", "cnt": .string(String(boxes)),
            "det_item_fee_sumamt": .string(Money.yuan(Int64(boxes) * 1_250))])])])
        return visit
    }

    /// The patient's e-voucher QR code (from the channel) scanned by `hospital` for `business`: the ecToken that
    /// authenticates the person by real name (ID-1), e.g. to register a visit that may settle through 2207.
    func ecToken(port: Int, certno: String, business: BusinessType = .registration, hospital: YibaoClient) async throws -> String {
        let qr = try await channel(port: port).qrCode(certno: certno)
        return try await hospital.scanVoucher(qrCode: qr.code, business: business).ecToken
    }

    /// Advances the gateway's test clock.
    func advance(seconds: TimeInterval) async throws { _ = try await gateway.clock.advance(by: seconds) }

    // MARK: Requests built by hand (in-process route tests)

    func fsiEnvelope(_ infno: String, input: JSONObject, signNo: String = "", institution: String = DemoCredentials.demoHospital,
                     at: Date? = nil, msgid: String? = nil) async throws -> JSONObject {
        let now = await gateway.clock.now()
        return try FSIRequestSigner(credentials: try clientCredentials(institution)).envelope(infno: infno, input: input, signNo: signNo, at: at ?? now, msgid: msgid)
    }

    func hseEnvelope(_ data: JSONValue, institution: String = DemoCredentials.demoHospital, at: Date? = nil) async throws -> JSONObject {
        let credentials = try clientCredentials(institution)
        let now = await gateway.clock.now()
        return try HSEEnvelope(appId: credentials.appId, appSecret: credentials.appSecret)
            .sealRequest(data: data, privateKey: credentials.privateKey, timestamp: at ?? now)
    }
}

/// A wall clock that starts at a given instant and runs with real time (follows an advanced test clock).
struct GatewayClockMirror: WallClock {
    let offset: TimeInterval
    init(_ gatewayNow: Date) { offset = gatewayNow.timeIntervalSinceNow }
    func now() -> Date { Date().addingTimeInterval(offset) }
}

extension TestClientProtocol {
    /// POSTs a JSON object and returns status and parsed body.
    func postJSON(_ uri: String, _ body: JSONObject, headers: HTTPFields = [:]) async throws -> (status: Int, body: JSONObject) {
        try await postRaw(uri, Array(JSONValue.object(body).serialized().utf8), headers: headers)
    }

    func postRaw(_ uri: String, _ bytes: [UInt8], headers: HTTPFields = [:]) async throws -> (status: Int, body: JSONObject) {
        try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: bytes)) { response in
            let body = Array(response.body.readableBytesView)
            SecretScan.check(body, "POST \(uri)")
            let object = (try? JSONValue.parse(body))?.objectValue ?? [:]
            return (Int(response.status.code), object)
        }
    }

    func getJSON(_ uri: String, headers: HTTPFields = [:]) async throws -> (status: Int, body: JSONValue) {
        try await execute(uri: uri, method: .get, headers: headers) { response in
            let body = Array(response.body.readableBytesView)
            SecretScan.check(body, "GET \(uri)")
            return (Int(response.status.code), (try? JSONValue.parse(body)) ?? .null)
        }
    }
}

/// Every answer of every in-process route test is searched for every demo secret (docs/SECURITY.md §1):
/// a hit is a recorded issue in whichever test got the answer.
enum SecretScan {
    static let secrets: [(name: String, bytes: [UInt8])] = {
        guard let credentials = try? DemoCredentials.load(certsDirectory: GatewayHarness.certs) else { return [] }
        var all: [(String, String?)] = [("admin token", credentials.adminToken), ("channel token", credentials.channel.token)]
        for institution in credentials.institutions {
            all += [("appSecret of \(institution.fixmedins_code)", institution.appSecret), ("CSB secret key", institution.csb?.secretKey),
                    ("x-tif token", institution.tif?.token), ("OAuth client secret", institution.oauth?.clientSecret),
                    ("OAuth password", institution.oauth?.password), ("OAuth client id (SM4 key)", institution.oauth?.clientId)]
        }
        return all.compactMap { name, value in value.map { (name, Array($0.utf8)) } }
    }()

    static func check(_ body: [UInt8], _ request: String, sourceLocation: SourceLocation = #_sourceLocation) {
        if secrets.isEmpty { Issue.record("no demo secrets loaded to scan for (certs/demo-credentials.json)", sourceLocation: sourceLocation) }
        for secret in secrets where body.count >= secret.bytes.count {
            if body.indices.dropLast(secret.bytes.count - 1).contains(where: { body[$0..<($0 + secret.bytes.count)].elementsEqual(secret.bytes) }) {
                Issue.record("the answer to \(request) holds the \(secret.name)", sourceLocation: sourceLocation)
            }
        }
    }
}

extension JSONObject {
    func string(_ key: String) -> String? { self[key]?.stringValue }
}

/// The demo fixture's people and codes.
enum Demo {
    static let hospital = "H12010100001"
    static let hospitalWithoutAgreement = "H12010100002"
    static let suspendedHospital = "H11010500003"
    static let pharmacy = "P12010100001"
    static let zhangSan = (psnNo: "12000000000000000001", certno: "120101198001011234")
    static let liNa = (psnNo: "12000000000000000002", certno: "12010119850615234X")
    static let liuWeiSuspended = (psnNo: "12000000000000000004", certno: "120102197511204564")
    static let chenJingUnverified = (psnNo: "12000000000000000005", certno: "120101199212085676")
    static let doctorLi = "D12010100001"
    static let doctorWangJunior = "D12010100002"
}

/// Expects `body` to be refused by the gateway with `code` and `rule` (and `pointer`, when given).
func expectRefusal(_ code: String, rule: String?, pointer: String? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                   _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected a refusal \(code)", sourceLocation: sourceLocation)
    } catch let error as YibaoClientError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(error.rule == rule, "\(error)", sourceLocation: sourceLocation)
        if let pointer { #expect(error.pointer == pointer, "\(error)", sourceLocation: sourceLocation) }
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}
