import AsyncHTTPClient
import Foundation
import Synchronization
import YibaoClient
import YibaoCore
import YibaoCrypto

/// Suite `gateway`: plays a hospital (and a pharmacy, and the patient's app) against a platform
/// implementation and checks that it follows the profile — envelopes, vouchers, registration,
/// prescriptions, payment. Needs the demo fixture's parties (fixtures/demo.json) and their
/// credentials (certs/demo-credentials.json); cases that move time need the target's test clock
/// (`yibao serve --test-clock`) and are reported as skipped without it.
public final class GatewaySuite: ConformanceSuite, @unchecked Sendable {
    public let name = "gateway"
    let target: String
    let credentials: DemoCredentials
    let certs: String
    let clock: VirtualClock
    let recorder: ExchangeRecorder
    let http: HTTPClient
    var random: SeededRandom
    let msgidSerial: MessageSerial
    let hospital: YibaoClient
    let pharmacy: YibaoClient
    /// yyyyMMddHHmmss of the run's virtual start: part of every number that must stay unique across
    /// runs against the same persistent target (the seeded digits repeat by design).
    private(set) var runStamp = "00000000000000"
    /// Whether the target offers `GET /__clock` and `POST /__clock/advance` (admin token).
    private(set) var hasTestClock = false

    // Parties of the demo fixture.
    static let hospitalCode = "H12010100001"
    static let pharmacyCode = "P12010100001"
    static let noAgreementCode = "H12010100002"
    static let suspendedCode = "H11010500003"
    static let zhangSan = (certno: "120101198001011234", psnNo: "12000000000000000001", name: "Zhang San")
    static let liNa = (certno: "12010119850615234X", psnNo: "12000000000000000002", name: "Li Na")
    static let fraudSuspended = (certno: "120102197511204564", psnNo: "12000000000000000004")
    static let notRealName = (certno: "120101199212085676", psnNo: "12000000000000000005", name: "Chen Jing")
    static let wangQiang = (certno: "110105199003033451", psnNo: "11000000000000000003", name: "Wang Qiang")
    // The fixture's test personas (fixtures/README.md): seen in person for diabetes (Test Account Low: for asthma only).
    static let accountLow = (certno: "120101197001010018", psnNo: "12000000000000000011", name: "Test Account Low")
    static let insuranceSuspended = (certno: "120101197001010026", psnNo: "12000000000000000012", name: "Test Insurance Suspended")
    static let platformTimeout = (certno: "120101197001010034", psnNo: "12000000000000000013", name: "Test Platform Timeout")
    static let settlementFailure = (certno: "120101197001010042", psnNo: "12000000000000000014", name: "Test Settlement Failure")
    static let drLi = (code: "D12010100001", name: "Li Wei")
    static let drWang = (code: "D12010100002", name: "Wang Fang")
    static let pharmacistZhao = (code: "Y12010100001", name: "Zhao Min")
    static let pharmacyPharmacist = "Y12010100101"

    // State shared by the cases of one run, in catalogue order.
    var visit: String?
    var circulated: (document: SignedPrescription, hiRxno: String)?
    var rxTraceCode: String?
    var upload: JSONObject?
    var dispensedCodes: [String: [String]] = [:]
    var order: JSONObject?
    var payRequest: JSONObject?
    var paid: JSONObject?
    /// The online identity check (ec.query's authNo) of each visit registered by ``register(_:by:)``, for its prescriptions.
    var visitAuthNumbers: [String: String] = [:]
    var failedOrder: JSONObject?
    var shanghai: (certno: String, psnNo: String, name: String)?

    /// - Parameters:
    ///   - target: the platform's base URL.
    ///   - certs: the dev PKI folder (certs/), beside samples/rx.
    public init(target: String, credentials: DemoCredentials, certs: String, seed: UInt64, clock: VirtualClock, recorder: ExchangeRecorder,
                http: HTTPClient = .shared) throws {
        let target = target.hasSuffix("/") ? String(target.dropLast()) : target
        self.target = target
        self.credentials = credentials
        self.certs = certs
        self.clock = clock
        self.recorder = recorder
        self.http = http
        random = SeededRandom(seed: seed)
        let serial = MessageSerial(start: Int(seed % 5000))
        msgidSerial = serial
        // The personas' names are masked in every sentence of the reports (SV-5).
        recorder.maskNames([Self.zhangSan.name, Self.liNa.name, Self.notRealName.name, Self.wangQiang.name, "Liu Wei", "Zhou Min",
                            Self.accountLow.name, Self.insuranceSuspended.name, Self.platformTimeout.name, Self.settlementFailure.name, Self.lostAnswer.name])
        hospital = try Self.makeClient(Self.hospitalCode, target: target, credentials: credentials, clock: clock, recorder: recorder, http: http, serial: serial)
        pharmacy = try Self.makeClient(Self.pharmacyCode, target: target, credentials: credentials, clock: clock, recorder: recorder, http: http, serial: serial)
    }

    // MARK: Set-up

    public func prepare() async throws {
        do {
            _ = try await HTTP.get(http, url: target + "/health", observer: recorder)
        } catch let error as YibaoClientError where error.status == 0 {
            throw ConformanceError("cannot reach \(target): \(error.detail)")
        } catch {
            // Any answer means something listens; /health is ours, not the protocol's.
        }
        if let answer = try? await HTTP.get(http, url: target + "/__clock", bearer: credentials.adminToken, observer: recorder),
           let now = answer.objectValue?["now"]?.stringValue, let date = ISO8601DateFormatter().date(from: now) {
            hasTestClock = true
            clock.set(date)
            // Each run starts at 09:00 Beijing time on the target's next day: per-day rules (one
            // AADG0000 consultation a day, AUD-CONSULT-002) then judge this run alone, however
            // often it runs, and no run straddles midnight.
            try await advanceTime(by: Self.secondsToNextMorning(from: date))
        } else {
            clock.set(Date())
        }
        runStamp = Timestamps.compact(clock.now())
    }

    /// Seconds from `date` to 09:00 Beijing time (UTC+8) on the next day.
    static func secondsToNextMorning(from date: Date) -> TimeInterval {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        let today = calendar.startOfDay(for: date)
        let morning = calendar.date(byAdding: DateComponents(day: 1, hour: 9), to: today) ?? date.addingTimeInterval(86_400)
        return morning.timeIntervalSince(date).rounded(.up)
    }

    /// `prefix` + the run's stamp + `count` seeded digits.
    func unique(_ prefix: String, _ count: Int) -> String { prefix + runStamp + random.digits(count) }

    /// Moves the target's test clock and ours by `seconds`; skips the case when the target has none.
    func advanceTime(by seconds: TimeInterval) async throws {
        guard hasTestClock else { throw CaseSkipped("the target has no test clock (start it with --test-clock); this case would have to wait \(Int(seconds)) s in real time") }
        let answer = try await HTTP.post(http, url: target + "/__clock/advance", body: Array("{\"seconds\":\(Int(seconds))}".utf8),
                                         bearer: credentials.adminToken, observer: recorder)
        if let now = answer.objectValue?["now"]?.stringValue, let date = ISO8601DateFormatter().date(from: now) { clock.set(date) } else { clock.advance(by: seconds) }
    }

    func client(_ code: String) throws -> YibaoClient {
        try Self.makeClient(code, target: target, credentials: credentials, clock: clock, recorder: recorder, http: http, serial: msgidSerial)
    }

    /// A client of `code` for another base URL (a sandbox of its own) on another clock.
    func client(_ code: String, target other: String, clock otherClock: VirtualClock) throws -> YibaoClient {
        try Self.makeClient(code, target: other, credentials: credentials, clock: otherClock, recorder: recorder, http: http, serial: msgidSerial)
    }

    /// A client of an institution the run registered itself, with its own credentials.
    func client(credentials own: YibaoClient.Credentials) -> YibaoClient {
        var client = YibaoClient(baseURL: target, credentials: own, clock: clock, httpClient: http)
        client.observer = recorder
        client.msgidSuffix = { [msgidSerial] _ in msgidSerial.next() }
        return client
    }

    /// The gateway's own base URL: the target without a sandbox's `/sandboxes/{id}` prefix.
    var gatewayRoot: String {
        guard let range = target.range(of: #"/sandboxes/[^/]+/?$"#, options: .regularExpression) else { return target }
        return String(target[..<range.lowerBound])
    }

    private static func makeClient(_ code: String, target: String, credentials: DemoCredentials, clock: VirtualClock, recorder: ExchangeRecorder,
                                   http: HTTPClient, serial: MessageSerial) throws -> YibaoClient {
        var client = YibaoClient(baseURL: target, credentials: try credentials.credentials(for: code), clock: clock, httpClient: http)
        client.observer = recorder
        client.msgidSuffix = { _ in serial.next() }
        return client
    }

    var channel: VoucherChannel {
        var channel = VoucherChannel(baseURL: target, token: credentials.channel.token, httpClient: http)
        channel.observer = recorder
        return channel
    }

    func scan(_ certno: String, for business: BusinessType, by client: YibaoClient) async throws -> VoucherScan {
        let qr = try await accepted("the channel's QR code") { try await self.channel.qrCode(certno: certno) }
        return try await accepted("ec.query") { try await client.scanVoucher(qrCode: qr.code, business: business) }
    }

    func fsiSigner(_ code: String) throws -> FSIRequestSigner { FSIRequestSigner(credentials: try credentials.credentials(for: code)) }

    func msgid(_ code: String) -> String { code + Timestamps.compact(clock.now()) + msgidSerial.next() }

    func send(_ path: String, _ envelope: JSONObject) async throws -> JSONValue {
        try await HTTP.post(http, url: target + path, body: Array(JSONValue.object(envelope).serialized().utf8), observer: recorder)
    }

    static let fsiPath = "/fsi/api/rsfComIfsService/callService"

    // MARK: Dispatch

    public var implemented: Set<String> { Set(cases.keys) }

    public func run(_ caseId: String) async throws -> String {
        guard let body = cases[caseId] else { throw CaseSkipped("not implemented") }
        return try await body(self)
    }

    private var cases: [String: @Sendable (GatewaySuite) async throws -> String] {
        var all: [String: @Sendable (GatewaySuite) async throws -> String] = [:]
        all.merge(Self.envelopeCases) { a, _ in a }
        all.merge(Self.identityCases) { a, _ in a }
        all.merge(Self.prescriptionCases) { a, _ in a }
        all.merge(Self.paymentCases) { a, _ in a }
        all.merge(Self.dialectCases) { a, _ in a }
        all.merge(Self.aroundSettlementCases) { a, _ in a }
        all.merge(Self.pharmacyCases) { a, _ in a }
        all.merge(Self.filesCases) { a, _ in a }
        all.merge(Self.agreementCases) { a, _ in a }
        return all
    }

    // MARK: Expectations

    /// Runs `body`, which must be accepted; a refusal fails the case with the target's problem document.
    func accepted<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as YibaoClientError {
            throw CaseFailure("\(what) was refused: \(error.details.sentence)",
                              expected: "accepted", actual: "HTTP \(error.status) \(error.code)", diagnosis: Self.lines(of: error))
        }
    }

    /// Runs `body`, which must be refused with one of `codes` (any code when empty); returns a sentence for the report.
    @discardableResult
    /// `diagnosis`: when the target sends a `diagnosis` (profile nhsa-2.0 does, for signatures), one line must contain it.
    /// `rule`: the docs/RULES.md rule the refusal must name; `detail`: words its sentence must contain.
    /// `named`: words the refusal's sentence or one of its diagnosis lines must contain (a diagnosis is required).
    func refused(_ what: String, codes: Set<String>, pointer: String? = nil, rule: String? = nil, detail: String? = nil, diagnosis: String? = nil,
                 named: String? = nil, _ body: () async throws -> Void) async throws -> String {
        do {
            try await body()
        } catch let error as YibaoClientError {
            if error.status == 0 && error.code == "CLIENT_CONNECTION_FAILED" {
                throw CaseFailure("the target did not answer: \(error.detail)")
            }
            let expected = "refused with \(codes.sorted().joined(separator: " or "))\(pointer.map { " at \($0)" } ?? "")"
            if !codes.isEmpty && !codes.contains(error.code) {
                throw CaseFailure("\(what) was refused, but with \(error.code) instead of \(codes.sorted().joined(separator: " or "))",
                                  expected: expected, actual: "\(error.code) at \(error.pointer ?? "")", diagnosis: Self.lines(of: error))
            }
            if let pointer, error.pointer != pointer {
                throw CaseFailure("\(what) was refused with \(error.code), but the pointer names \(error.pointer ?? "nothing") instead of \(pointer)",
                                  expected: expected, actual: "\(error.code) at \(error.pointer ?? "")", diagnosis: Self.lines(of: error))
            }
            if let rule, error.rule != rule {
                throw CaseFailure("\(what) was refused with \(error.code), but under rule \(error.rule ?? "none") instead of \(rule)",
                                  expected: "\(expected) under rule \(rule)", actual: "\(error.code) under \(error.rule ?? "no rule")", diagnosis: Self.lines(of: error))
            }
            if let detail, !error.detail.contains(detail) {
                throw CaseFailure("\(what) was refused with \(error.code), but its sentence does not say why (\(detail))",
                                  expected: "a detail mentioning \"\(detail)\"", actual: error.detail, diagnosis: Self.lines(of: error))
            }
            if let named, !(error.detail + " " + error.diagnosis.joined(separator: " ")).contains(named) {
                throw CaseFailure("\(what) was refused with \(error.code), but neither its sentence nor its diagnosis names the mistake",
                                  expected: "a refusal naming \"\(named)\"", actual: ([error.detail] + error.diagnosis).joined(separator: " | "), diagnosis: Self.lines(of: error))
            }
            if let diagnosis, !error.diagnosis.isEmpty, !error.diagnosis.contains(where: { $0.contains(diagnosis) }) {
                throw CaseFailure("\(what) was refused with \(error.code), but its diagnosis does not name the mistake",
                                  expected: "a diagnosis line mentioning \"\(diagnosis)\"", actual: error.diagnosis.joined(separator: " | "), diagnosis: Self.lines(of: error))
            }
            guard error.status >= 400 else {
                throw CaseFailure("\(what) was refused in a 2xx answer (HTTP \(error.status)): a refusal must not look like success",
                                  expected: "HTTP 4xx/5xx problem+json", actual: "HTTP \(error.status)")
            }
            return "\(what) refused: \(error.code)\(error.rule.map { " [\($0)]" } ?? "") at \(error.pointer ?? "")"
                + ((diagnosis != nil || named != nil) && !error.diagnosis.isEmpty ? "; diagnosis: \(error.diagnosis.joined(separator: " | "))" : "")
        }
        throw CaseFailure("\(what) was accepted", expected: "refused with \(codes.sorted().joined(separator: " or "))\(pointer.map { " at \($0)" } ?? "")",
                          actual: "accepted")
    }

    static func lines(of error: YibaoClientError) -> [String] {
        var lines = ["detail: \(error.detail)"]
        if let rule = error.rule { lines.append("rule: \(rule)") }
        if let expected = error.expected { lines.append("expected by target: \(expected)") }
        if let actual = error.actual { lines.append("actual per target: \(actual)") }
        if let signString = error.signString { lines.append("signString: \(signString)") }
        lines += error.diagnosis.map { "diagnosis: \($0)" }
        return lines
    }

    /// A precondition another case establishes.
    func require<T>(_ value: T?, _ what: String) throws -> T {
        guard let value else { throw CaseFailure("cannot run: \(what) (an earlier case that sets it up failed)") }
        return value
    }

    // MARK: Visits and prescriptions

    /// A fresh online follow-up registration (2201) of `person` with Dr Li.
    func register(_ person: (certno: String, psnNo: String, name: String), by client: YibaoClient) async throws -> String {
        let token = try await scan(person.certno, for: .registration, by: client)
        let visit = try await accepted("2201 registration") {
            try await client.register(RegistrationRequest(
                psnNo: person.psnNo, insutype: "310", beginTime: clock.now(), medium: .eVoucher, certNo: token.ecToken,
                iptOtpNo: unique("MZ", 4), doctorCode: Self.drLi.code, doctorName: Self.drLi.name, deptCode: "A03",
                deptName: "Internal medicine", caty: "A03"))
        }
        visitAuthNumbers[visit] = token.authNo
        return visit
    }

    func key(_ name: String, tree: String = "sm2") throws -> RxSigningKey {
        try RxSigningKey(keyPEM: try file("\(tree)/\(name).key.pem"), certificatePEM: try file("\(tree)/\(name).cert.pem"))
    }

    /// A file of the dev PKI (certs/).
    func file(_ relative: String) throws -> String { try DevTrust.read(relative, in: certs) }

    /// samples/rx/`name`.json for `visit`, stamped with the virtual clock and a seeded hospRxno.
    func samplePrescription(_ name: String = "diabetes-followup", visit: String, doctor: (code: String, name: String) = GatewaySuite.drLi,
                            patient: (certno: String, psnNo: String, name: String) = GatewaySuite.zhangSan, firstVisit: Bool = false) throws -> Prescription {
        let path = ((certs as NSString).deletingLastPathComponent as NSString).appendingPathComponent("samples/rx/\(name).json")
        guard let data = FileManager.default.contents(atPath: path), case .object(var json) = try JSONValue.parse(Array(data)) else {
            throw ConformanceError("cannot read \(path)")
        }
        let now = clock.now()
        json["hospRxno"] = .string(unique("RX", 4))
        json["authNo"] = .string(visitAuthNumbers[visit] ?? "")
        json["prscTime"] = .string(Timestamps.fsi(now))
        json["valiEndTime"] = .string(Timestamps.fsi(now.addingTimeInterval(3 * 86_400)))
        var info = json["mdtrtinfo"]?.objectValue ?? [:]
        info["mdtrtId"] = .string(visit)
        info["mdtrtTime"] = .string(Timestamps.fsi(now))
        info["drCode"] = .string(doctor.code)
        info["prscDrName"] = .string(doctor.name)
        info["psnNo"] = .string(patient.psnNo)
        info["certno"] = .string(patient.certno)
        info["patnName"] = .string(patient.name)
        if firstVisit { info["fstdiagFlag"] = "1" }
        json["mdtrtinfo"] = .object(info)
        return try Prescription(json: json)
    }

    /// A doctor-signed prescription for a fresh visit of Zhang San.
    func doctorSigned(doctor: String = "doctor-li", as prescriber: (code: String, name: String) = GatewaySuite.drLi, firstVisit: Bool = false) async throws -> SignedPrescription {
        let visit = try await register(Self.zhangSan, by: hospital)
        var document = SignedPrescription(prescription: try samplePrescription(visit: visit, doctor: prescriber, firstVisit: firstVisit))
        try document.signAsDoctor(with: try key(doctor))
        return document
    }

    /// Pharmacist Zhao's approving review, at the virtual time.
    func review(_ document: inout SignedPrescription, approved: Bool = true, key name: String = "pharmacist-zhao",
                pharCode: String = GatewaySuite.pharmacistZhao.code) throws {
        try document.addReview(pharCode: pharCode, pharName: Self.pharmacistZhao.name, pharChkTime: Timestamps.fsi(clock.now()), approved: approved, key: try key(name))
    }

    /// One traceability code per box (20 digits, seeded).
    func traceCodes(for document: SignedPrescription) -> [String: [String]] {
        var codes: [String: [String]] = [:]
        for drug in document.prescription.drugs { codes[drug.code] = (0..<(Int(drug.count) ?? 1)).map { _ in "8" + runStamp.suffix(12) + random.digits(7) } }
        return codes
    }
}

/// Counts msgid suffixes (0000–9999) so messages in the same second never share a msgid.
final class MessageSerial: Sendable {
    private let value: Mutex<Int>
    init(start: Int) { value = Mutex(start) }
    func next() -> String {
        value.withLock {
            $0 = ($0 + 1) % 10_000
            return String(format: "%04d", $0)
        }
    }
}
