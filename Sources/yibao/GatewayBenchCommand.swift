import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
import YibaoClient
import YibaoCore
import YibaoCrypto

/// `yibao bench gateway`: a load generator for a running gateway. It signs FSI requests as a demo
/// institution would (or pre-signs a pool first, so the generator's own SM2 work stays out of the
/// timed run), sends them over N connections for S seconds, and reports throughput, latency
/// percentiles, refusals by code — and the SM2 ceiling of this machine measured in the same run.
struct GatewayBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Load a running gateway with signed FSI requests; report req/s, latency percentiles, errors by code and the SM2 ceiling.",
        discussion: """
        Each request is signed as --institution: FSI 1101 (person info by resident ID number) or 9001 \
        (sign-in), each with a unique msgid; HSE 6301 (query_order_info of an order the bench creates \
        first: 2201 registration, wallet authorisation, ec.payAuth, 6201) or ec.query (a fresh e-voucher \
        QR code per request, issued through the channel API beforehand: codes live 120 s); or mix, the \
        three in turn (1101, 6301, ec.query). The gateway verifies one SM2 signature and signs one \
        answer per request: the ceiling is cores / (1/sign + 1/verify), both measured on one core in \
        this run with the gateway's own SM2 (CSM2, a registered key); the ratio says how much of it the \
        gateway reaches. The same ceiling with OpenSSL's generic SM2 code (as `openssl speed sm2` \
        measures it) is reported beside it. With --presign every request is signed \
        before the clock starts (a pool of --pool requests; the run stops early when it is used up). \
        The generator shares the machine with the gateway when both run here: use --presign.

        With --rate the connections send at most that many requests per second in all (paced, each \
        on its own schedule): latency at a given load, e.g. half the saturated rate. With \
        --gateway-pid (a gateway on this machine) the report adds the gateway process's CPU — cores \
        busy and CPU time per request: more than one core busy means requests run side by side — \
        and its resident memory — and the most signature checks the gateway ran at the same moment \
        (from its /metrics): 2 or more means signed requests were verified side by side on several \
        cores. The generator's own CPU is reported too: on a shared machine it is what the gateway \
        could not have; its connections are lean keep-alive HTTP/1.1 ones, opened before the clock \
        starts. The report also gives the run's group commits, from the gateway's /metrics: how many \
        commits (fsyncs) carried how many write transactions.

        Examples:
          yibao bench gateway --gateway http://127.0.0.1:8080 --connections 16 --duration 10 --presign
          yibao bench gateway --transaction 9001 --connections 1 --duration 5 --json
          yibao bench gateway --transaction 6301 --presign --connections 16 --duration 10
          yibao bench gateway --transaction mix --presign --pool 6000
          yibao bench gateway --presign --connections 16 --rate 600 --gateway-pid 4242
          yibao bench gateway --gateway http://127.0.0.1:8081 --serial-range 5000-9999   # beside another generator on 0-4999
          bash scripts/bench-gateway.sh        # a release gateway on a fresh data directory, then this
        """
    )

    enum Transaction: String, ExpressibleByArgument, CaseIterable {
        case personInfo = "1101"
        case signIn = "9001"
        case orderQuery = "6301"
        case voucherQuery = "ec.query"
        case mix
    }

    /// The transactions `mix` sends in turn.
    static let mixed: [Transaction] = [.personInfo, .orderQuery, .voucherQuery]

    @Option(name: [.customLong("gateway"), .customLong("target")], help: "Base URL of the gateway (--target: the older name).")
    var target: String = "http://127.0.0.1:8080"

    @Option(help: ArgumentHelp("Transaction to send: 1101 or 9001 (FSI), 6301 or ec.query (HSE), or mix.", valueName: "transaction"))
    var transaction: Transaction = .personInfo

    @Option(help: "Concurrent connections (one request in flight on each).")
    var connections: Int = 16

    @Option(help: "Seconds of load.")
    var duration: Double = 10

    @Option(help: ArgumentHelp("Requests per second in all, paced across the connections (default: as fast as answered).", valueName: "per-second"))
    var rate: Double?

    @Option(help: ArgumentHelp("Process id of the gateway (on this machine): report its CPU and memory.", valueName: "pid"))
    var gatewayPid: Int32?

    @Option(help: ArgumentHelp("The msgid serials (the last 4 digits) this generator uses, FROM-TO: two generators signing as one institution at once take disjoint ranges.", valueName: "from-to"))
    var serialRange: String = "0-9999"

    @Flag(help: "Sign every request before the timed run.")
    var presign = false

    @Option(help: "Requests signed ahead with --presign.")
    var pool: Int = 20_000

    @Option(help: "Institution to act as (certs/demo-credentials.json).")
    var institution: String = DemoCredentials.demoHospital

    @Option(help: ArgumentHelp("Resident ID number of the insured person: 1101 asks for it; 6301's order and ec.query's QR codes are theirs.", valueName: "certno"))
    var certno: String = "120101198001011234"

    @Option(help: ArgumentHelp("Practitioner of --institution who sees the patient in the visit 6301's order is for.", valueName: "code"))
    var doctor: String = "D12010100001"

    @Option(help: ArgumentHelp("The practitioner's name, as registered.", valueName: "name"))
    var doctorName: String = "Li Wei"

    @Flag(help: "Print the result as one JSON object (for CI).")
    var json = false

    @OptionGroup var workspace: WorkspaceOptions

    func validate() throws {
        guard (1...1024).contains(connections) else { throw ValidationError("--connections must be from 1 to 1024") }
        guard duration > 0, duration <= 600 else { throw ValidationError("--duration must be in (0, 600] seconds") }
        guard (1...200_000).contains(pool) else { throw ValidationError("--pool must be from 1 to 200000") }
        guard Self.serials(serialRange) != nil else { throw ValidationError("--serial-range must be FROM-TO with 0 ≤ FROM ≤ TO ≤ 9999, e.g. 0-4999") }
        if let rate, !(rate > 0 && rate <= 1_000_000) { throw ValidationError("--rate must be in (0, 1000000] requests per second") }
        if let gatewayPid, ProcessUsage.read(pid: gatewayPid) == nil {
            throw ValidationError("--gateway-pid \(gatewayPid): no such process readable in /proc on this machine")
        }
    }

    func run() async throws {
        let http = HTTPClient(eventLoopGroupProvider: .singleton,
                              configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)))
        do {
            try await run(http: http)
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    /// The whole run on `http` (shut down by the caller, whatever happens).
    func run(http: HTTPClient) async throws {
        let credentials = try workspace.credentials()
        let institutionCredentials = try credentials.credentials(for: institution)
        let signer = FSIRequestSigner(credentials: institutionCredentials)
        let base = target.hasSuffix("/") ? String(target.dropLast()) : target

        // The gateway's time (its test clock, when it has one): requests must fall in its ±300 s window.
        let offset = await Self.clockOffset(http: http, base: base, adminToken: credentials.adminToken)
        let now: @Sendable () -> Date = { Date().addingTimeInterval(offset) }
        // The ceiling first: its seconds also put this run's msgids after those of a run that just ended.
        let ceiling = try Self.sm2Ceiling()
        if !json {
            print("SM2 on one core: sign \(Int(ceiling.sign))/s, verify \(Int(ceiling.verify))/s; ceiling \(Int(ceiling.requests)) req/s on \(ceiling.cores) cores")
            print("  (OpenSSL's generic SM2: sign \(Int(ceiling.openSSLSign))/s, verify \(Int(ceiling.openSSLVerify))/s; ceiling \(Int(ceiling.openSSLRequests)) req/s)")
        }
        let serials = MsgidSerials(institution: institution, range: Self.serials(serialRange) ?? 0...9999)
        var client = YibaoClient(baseURL: base, credentials: institutionCredentials, clock: OffsetClock(offset: offset), httpClient: http)
        client.operatorCode = "BENCH01"
        // The set-up's own FSI requests draw from the same serials as the load: no msgid twice.
        client.msgidSuffix = { date in String(serials.next(at: date).suffix(4)) }
        let channel = VoucherChannel(baseURL: base, token: credentials.channel.token, httpClient: http)
        let sent = transaction == .mix ? Self.mixed : [transaction]
        let signNo: String
        let orderId: String?
        do {
            signNo = try await client.signIn()
            orderId = sent.contains(.orderQuery) ? try await prepareOrder(client: client, channel: channel, now: now()) : nil
        } catch {
            throw ValidationError("cannot prepare the run at \(base) as \(institution): \(error)")
        }
        let hse = try HSEEnvelope(appId: institutionCredentials.appId, appSecret: institutionCredentials.appSecret, profile: client.profile, dialect: client.dialect.hse)
        let (institution, certno, privateKey) = (institution, certno, institutionCredentials.privateKey)
        // The index-th request: mix takes the transactions in turn.
        let makeRequest: @Sendable (Int) async throws -> BenchRequest = { index in
            let at = now()
            switch sent[index % sent.count] {
            case .personInfo, .signIn, .mix:
                let infno = sent[index % sent.count] == .signIn ? "9001" : "1101"
                let input: JSONObject = infno == "9001"
                    ? ["signIn": .object(["opter_no": .string("BENCH01"), "mac": .string("00-16-3E-00-00-01"), "ip": .string("127.0.0.1")])]
                    : ["data": .object(["mdtrt_cert_type": .string("02"), "mdtrt_cert_no": .string(certno)])]
                let envelope = try signer.envelope(infno: infno, input: input, signNo: infno == "9001" ? "" : signNo, at: at,
                                                   operatorCode: "BENCH01", msgid: serials.next(at: at))
                return BenchRequest(transaction: infno, path: "/fsi/api/rsfComIfsService/callService", body: Array(JSONValue.object(envelope).serialized().utf8))
            case .orderQuery:
                let sealed = try hse.sealRequest(data: .object(["payOrdId": .string(orderId ?? ""), "orgCodg": .string(institution)]), privateKey: privateKey, timestamp: at)
                return BenchRequest(transaction: "6301", path: "/hse/query_order_info", body: Array(JSONValue.object(sealed).serialized().utf8))
            case .voucherQuery:
                let code = try await channel.qrCode(certno: certno).code
                let sealed = try hse.sealRequest(data: .object(["qrCode": .string(code), "businessType": .string(BusinessType.registration.rawValue),
                                                                "orgId": .string(institution), "operatorId": "BENCH01", "operatorName": "Bench"]),
                                                 privateKey: privateKey, timestamp: at)
                return BenchRequest(transaction: "ec.query", path: "/hse/ec.query", body: Array(JSONValue.object(sealed).serialized().utf8))
            }
        }

        var pooled: [BenchRequest] = []
        if presign {
            let started = Date()
            // Signed over the connections at once (ec.query's QR codes are requests to the gateway).
            pooled = try await withThrowingTaskGroup(of: [(Int, BenchRequest)].self) { group in
                let workers = max(1, min(connections, 16))
                for worker in 0..<workers {
                    group.addTask {
                        var made: [(Int, BenchRequest)] = []
                        for index in stride(from: worker, to: pool, by: workers) { made.append((index, try await makeRequest(index))) }
                        return made
                    }
                }
                var all: [(Int, BenchRequest)] = []
                for try await part in group { all += part }
                return all.sorted { $0.0 < $1.0 }.map(\.1)
            }
            if !json { print("pre-signed \(pool) requests in \(String(format: "%.1f", Date().timeIntervalSince(started))) s") }
        }
        let requests = BodySource(pool: presign ? pooled : nil, make: makeRequest)
        let results = Results()
        let gaugesBefore = await Self.gauges(http: http, base: base)
        if !json { print("loading \(base) with \(transaction.rawValue) on \(connections) connection(s) for \(duration) s…") }
        // The connections are opened before the clock starts and before the CPU is first read (lean ones: LoadConnection).
        let loadTarget: LoadConnection.Target
        do { loadTarget = try LoadConnection.Target(URL(string: base) ?? URL(fileURLWithPath: "/")) } catch {
            throw ValidationError("--gateway \(base): \(error)")
        }
        let opened = await withTaskGroup(of: Result<LoadConnection, any Error>.self) { group in
            for _ in 0..<connections { group.addTask { do { return .success(try await LoadConnection.connect(to: loadTarget)) } catch { return .failure(error) } } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        var connectionsOpened: [LoadConnection] = []
        var connectError: (any Error)?
        for result in opened {
            switch result {
            case .success(let connection): connectionsOpened.append(connection)
            case .failure(let error): connectError = error
            }
        }
        if let connectError {
            for connection in connectionsOpened { await connection.close() }
            throw ValidationError("cannot open \(connections) connections to \(base): \(connectError)")
        }
        let usageBefore = gatewayPid.flatMap { ProcessUsage.read(pid: $0) }
        let generatorBefore = ProcessUsage.read(pid: getpid())
        let start = ContinuousClock.now
        let deadline = start.advanced(by: .milliseconds(Int64(duration * 1000)))
        // Paced: each connection sends every `connections / rate` seconds, the connections staggered.
        let connectionCount = connections
        let interval: Duration? = rate.map { .nanoseconds(Int64(1e9 * Double(connectionCount) / $0)) }
        await withTaskGroup(of: Void.self) { group in
            for (index, first) in connectionsOpened.enumerated() {
                group.addTask {
                    var connection: LoadConnection? = first
                    var due = interval.map { start.advanced(by: $0 * index / connectionCount) }
                    while ContinuousClock.now < deadline {
                        if let scheduled = due, let interval {
                            if scheduled > ContinuousClock.now { try? await Task.sleep(until: scheduled, clock: .continuous) }
                            if ContinuousClock.now >= deadline { break }
                            due = scheduled.advanced(by: interval)
                        }
                        let next: BenchRequest
                        do { next = try await requests.next() } catch is BodySource.Exhausted { break } catch {
                            // Not signed, or ec.query's QR code not issued: counted, and the connection goes on.
                            results.recordUnsent("REQUEST_NOT_MADE")
                            try? await Task.sleep(for: .milliseconds(10))
                            continue
                        }
                        let sent = ContinuousClock.now
                        do {
                            // The gateway closes idle connections (its head timeout) and those it answered with `Connection: close`.
                            if connection?.isOpen != true {
                                await connection?.close()
                                connection = try await LoadConnection.connect(to: loadTarget)
                            }
                            let answer = try await connection!.post(path: next.path, body: next.body)
                            results.record(latency: ContinuousClock.now - sent, transaction: next.transaction,
                                           outcome: Self.outcome(status: answer.status, body: answer.body))
                        } catch {
                            // Counted; the next request opens a new connection.
                            results.record(latency: ContinuousClock.now - sent, transaction: next.transaction, outcome: "TRANSPORT_ERROR")
                            await connection?.close()
                            connection = nil
                            try? await Task.sleep(for: .milliseconds(10))
                        }
                    }
                    await connection?.close()
                }
            }
        }
        let elapsed = ContinuousClock.now - start
        let gateway = gatewayPid.flatMap { pid in
            usageBefore.flatMap { before in ProcessUsage.read(pid: pid).map { GatewayUsage(before: before, after: $0, elapsed: elapsed) } }
        }
        let generator = generatorBefore.flatMap { before in ProcessUsage.read(pid: getpid()).map { GatewayUsage(before: before, after: $0, elapsed: elapsed) } }
        let gaugesAfter = await Self.gauges(http: http, base: base)
        // The gauge is the most since the gateway started: it speaks for this run only when the run raised it, or when it was 1 or less before.
        let verificationsBefore = gaugesBefore["yibao_signature_checks_at_once_max"] ?? 0
        let atOnce = gaugesAfter["yibao_signature_checks_at_once_max"].flatMap { after in verificationsBefore < after || verificationsBefore <= 1 ? after : nil }
        // The run's own group commits: the counters' growth over it.
        var commits: (commits: Int, writes: Int)?
        if let before = gaugesBefore["yibao_store_commits"], let after = gaugesAfter["yibao_store_commits"],
           let writesBefore = gaugesBefore["yibao_store_committed_writes"], let writesAfter = gaugesAfter["yibao_store_committed_writes"],
           after >= before, writesAfter >= writesBefore {  // not when the gateway restarted meanwhile
            commits = (after - before, writesAfter - writesBefore)
        }
        let report = results.report(elapsed: elapsed, ceiling: ceiling, exhausted: requests.exhausted, rate: rate, gateway: gateway,
                                    generator: generator, signatureChecksAtOnce: atOnce, commits: commits)
        if json {
            print(report.json.serialized(sortedKeys: true))
        } else {
            print(report.text)
        }
        if report.accepted == 0 { throw ExitCode(1) }
    }

    /// Creates the mobile-payment order a 6301 load queries, through the public API as a hospital
    /// would: 1101 for the person's psn_no, 2201 registration by resident ID, the wallet's
    /// authorisation (channel API), ec.payAuth, 6201 for a 20.00 consultation. Returns its payOrdId.
    func prepareOrder(client: YibaoClient, channel: VoucherChannel, now: Date) async throws -> String {
        let person = try await client.call(infno: "1101", input: ["data": .object(["mdtrt_cert_type": "02", "mdtrt_cert_no": .string(certno)])])
        guard let psnNo = person.objectValue?["baseinfo"]?.objectValue?["psn_no"]?.stringValue else {
            throw ValidationError("1101 for \(certno) answered no baseinfo.psn_no")
        }
        let serial = Timestamps.compact(now) + TokenGenerator.digits(4)
        let visit = try await client.register(RegistrationRequest(psnNo: psnNo, insutype: "310", beginTime: now, medium: .residentID, certNo: certno,
                                                                  iptOtpNo: "MZ" + serial, doctorCode: doctor, doctorName: doctorName,
                                                                  deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
        let authCode = try await channel.authorise(certno: certno, orgCodg: institution)
        let payAuthNo = try await client.payAuthorisation(authCode: authCode).payAuthNo
        let order = try await client.hse(service: "uldFeeInfo", data: .object([
            "orgCodg": .string(institution), "medOrgOrd": .string("MO" + serial), "chrgBchno": .string("CB" + serial), "psnNo": .string(psnNo),
            "insutype": "310", "mdtrtId": .string(visit), "medType": "11", "medfeeSumamt": "20.00", "acctUsedFlag": "1",
            "payAuthNo": .string(payAuthNo), "rxCircFlag": "0",
            "feedetailList": .array([.object(["feedetlSn": "1", "medListCodg": "AADG0000", "pric": "20.00", "cnt": "1", "detItemFeeSumamt": "20.00", "rxCircFlag": "0"])]),
        ]))
        guard let payOrdId = order.objectValue?["payOrdId"]?.stringValue, !payOrdId.isEmpty else { throw ValidationError("6201 answered no payOrdId") }
        return payOrdId
    }

    /// The gateway's unlabelled gauges from `GET /metrics` (`yibao_signature_checks_at_once_max`,
    /// `yibao_store_commits`, `yibao_store_committed_writes`, …) by name; empty when it has none.
    static func gauges(http: HTTPClient, base: String) async -> [String: Int] {
        guard let response = try? await http.execute(HTTPClientRequest(url: base + "/metrics"), timeout: .seconds(5)), response.status == .ok,
              let body = try? await response.body.collect(upTo: 1 << 22) else { return [:] }
        var gauges: [String: Int] = [:]
        for line in String(decoding: body.readableBytesView, as: UTF8.self).split(separator: "\n") where line.hasPrefix("yibao_") && !line.contains("{") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]), value.isFinite, let whole = Int(exactly: value.rounded()) { gauges[String(parts[0])] = whole }
        }
        return gauges
    }
    /// `FROM-TO` as a range of msgid serials, nil when malformed.
    static func serials(_ text: String) -> ClosedRange<Int>? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let from = parts[0], let to = parts[1], 0 <= from, from <= to, to <= 9999 else { return nil }
        return from...to
    }

    /// `accepted`, or the refusal's code (problem+json `code`, or `infcode` of an HTTP-200 refusal).
    /// FSI accepts with `infcode` 0, HSE with `code` 0 (a number or a string, by dialect).
    static func outcome(status: Int, body: [UInt8]) -> String {
        let object = (try? JSONValue.parse(body))?.objectValue ?? [:]
        func isZero(_ value: JSONValue?) -> Bool { value?.stringValue == "0" || value == .integer(0) || value == .number("0") }
        if status == 200, isZero(object["infcode"]) || (isZero(object["code"]) && object["success"] != .bool(false)) { return "accepted" }
        // An HTTP-200 refusal carries its problem document in `problem` (its `code` is then -1 or -2).
        if let code = object["problem"]?.objectValue?["code"]?.stringValue { return code }
        if let code = object["code"]?.stringValue { return code }
        return "HTTP_\(status)"
    }

    /// The gateway's clock minus ours, from `GET /__clock` when it has a test clock; else 0.
    static func clockOffset(http: HTTPClient, base: String, adminToken: String) async -> TimeInterval {
        var request = HTTPClientRequest(url: base + "/__clock")
        request.headers.add(name: "Authorization", value: "Bearer \(adminToken)")
        guard let response = try? await http.execute(request, timeout: .seconds(5)), response.status == .ok,
              let body = try? await response.body.collect(upTo: 1 << 16),
              let text = (try? JSONValue.parse(Array(body.readableBytesView)))?.objectValue?["now"]?.stringValue,
              let date = ISO8601DateFormatter().date(from: text) else { return 0 }
        return date.timeIntervalSinceNow
    }

    /// One verify and one sign per request at the gateway: the most requests per second SM2 allows,
    /// with the SM2 the gateway runs (CSM2, a registered key with its comb) and, for reference, with
    /// OpenSSL 3.0's generic elliptic-curve code (what `openssl speed sm2` measures).
    struct Ceiling {
        var sign: Double
        var verify: Double
        var openSSLSign: Double
        var openSSLVerify: Double
        var cores: Int
        var requests: Double { Double(cores) / (1 / sign + 1 / verify) }
        var openSSLRequests: Double { Double(cores) / (1 / openSSLSign + 1 / openSSLVerify) }
    }

    static func sm2Ceiling(seconds: Double = 1) throws -> Ceiling {
        let message = [UInt8](repeating: 0x61, count: 256)
        let key = try SM2.PrivateKey()
        // The gateway verifies with registered keys, which carry their comb once used a few times.
        let base64 = try key.publicKey.base64
        for _ in 1..<SM2.PublicKey.combAfterUses { _ = try SM2.PublicKey.cached(base64: base64) }
        let publicKey = try SM2.PublicKey.cached(base64: base64)
        let signature = try key.signature(for: message)
        func rate(_ seconds: Double, _ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            let end = start + UInt64(seconds * 1e9)
            var count = 0, now = start
            while now < end {
                for _ in 0..<8 { try body() }
                count += 8
                now = DispatchTime.now().uptimeNanoseconds
            }
            return Double(count) / (Double(now - start) / 1e9)
        }
        let sign = try rate(seconds) { _ = try key.signature(for: message) }
        let verify = rate(seconds) { _ = publicKey.isValidSignature(signature, for: message) }
        let openSSLSign = try rate(seconds / 2) { _ = try key.openSSLSignature(for: message) }
        let openSSLVerify = rate(seconds / 2) { _ = publicKey.isValidOpenSSLSignature(signature, for: message) }
        return Ceiling(sign: sign, verify: verify, openSSLSign: openSSLSign, openSSLVerify: openSSLVerify,
                       cores: ProcessInfo.processInfo.activeProcessorCount)
    }
}

/// The clock the bench's own sign-in stamps with: the gateway's.
struct OffsetClock: WallClock {
    let offset: TimeInterval
    func now() -> Date { Date().addingTimeInterval(offset) }
}

/// msgid = fixmedins_code + yyyyMMddHHmmss + 4 digits from `range`: at most `range.count` per
/// second; a second that used them all borrows the next second's stamp (still inside the ±300 s window).
final class MsgidSerials: Sendable {
    private let institution: String
    private let range: ClosedRange<Int>
    private let state = Mutex<(second: Int64, used: Int)>((0, 0))

    init(institution: String, range: ClosedRange<Int> = 0...9999) {
        self.institution = institution
        self.range = range
    }

    func next(at date: Date) -> String {
        let (second, serial): (Int64, Int) = state.withLock { state in
            let now = Int64(date.timeIntervalSince1970)
            if now > state.second { state = (now, 0) }
            if state.used == range.count { state = (state.second + 1, 0) }
            state.used += 1
            return (state.second, state.used - 1)
        }
        return institution + Timestamps.compact(Date(timeIntervalSince1970: Double(second))) + String(format: "%04d", range.lowerBound + serial)
    }
}

/// One signed request of the load: where it goes and its bytes.
struct BenchRequest: Sendable {
    /// 1101, 9001, 6301 or ec.query.
    var transaction: String
    var path: String
    var body: [UInt8]
}

/// Requests: from the pre-signed pool, or signed on demand (the index-th of the run).
final class BodySource: Sendable {
    private let pool: [BenchRequest]?
    private let index = Mutex(0)
    private let make: @Sendable (Int) async throws -> BenchRequest

    init(pool: [BenchRequest]?, make: @escaping @Sendable (Int) async throws -> BenchRequest) {
        self.pool = pool
        self.make = make
    }

    struct Exhausted: Error {}

    func next() async throws -> BenchRequest {
        let position = index.withLock { value in defer { value += 1 }; return value }
        guard let pool else { return try await make(position) }
        guard position < pool.count else { throw Exhausted() }
        return pool[position]
    }

    var exhausted: Bool { pool.map { pool in index.withLock { $0 >= pool.count } } ?? false }
}

/// Latencies and outcomes, gathered from every connection.
final class Results: Sendable {
    private let state = Mutex<(latencies: [Double], outcomes: [String: Int], accepted: [String: Int])>(([], [:], [:]))

    /// A request that could not be made (never sent): its outcome only.
    func recordUnsent(_ outcome: String) {
        state.withLock { $0.outcomes[outcome, default: 0] += 1 }
    }

    func record(latency: Duration, transaction: String, outcome: String) {
        let milliseconds = Double(latency.components.seconds) * 1000 + Double(latency.components.attoseconds) / 1e15
        state.withLock {
            $0.latencies.append(milliseconds)
            $0.outcomes[outcome, default: 0] += 1
            if outcome == "accepted" { $0.accepted[transaction, default: 0] += 1 }
        }
    }

    struct Report {
        var json: JSONValue
        var text: String
        var accepted: Int
    }

    /// - Parameter generator: this process's own CPU over the run.
    /// - Parameter signatureChecksAtOnce: the most signature checks the gateway ran at one moment.
    /// - Parameter commits: the gateway's store commits during the run and the write transactions they carried.
    func report(elapsed: Duration, ceiling: GatewayBenchCommand.Ceiling, exhausted: Bool, rate target: Double? = nil, gateway: GatewayUsage? = nil,
                generator: GatewayUsage? = nil, signatureChecksAtOnce: Int? = nil, commits: (commits: Int, writes: Int)? = nil) -> Report {
        let (latencies, outcomes, byTransaction) = state.withLock { ($0.latencies.sorted(), $0.outcomes, $0.accepted) }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let accepted = outcomes["accepted"] ?? 0
        let rate = Double(accepted) / max(seconds, 1e-9)
        func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            let rank = Int((p / 100 * Double(latencies.count)).rounded(.up))
            return latencies[min(max(rank - 1, 0), latencies.count - 1)]
        }
        let errors = outcomes.filter { $0.key != "accepted" }
        let ratio = rate / ceiling.requests
        let openSSLRatio = rate / ceiling.openSSLRequests
        var json: JSONObject = [
            "requests": .integer(latencies.count), "accepted": .integer(accepted), "seconds": .number(String(format: "%.3f", seconds)),
            "requestsPerSecond": .number(String(format: "%.1f", rate)),
            "latencyMs": .object(["p50": .number(String(format: "%.2f", percentile(50))), "p90": .number(String(format: "%.2f", percentile(90))),
                                  "p99": .number(String(format: "%.2f", percentile(99))), "max": .number(String(format: "%.2f", latencies.last ?? 0))]),
            "errors": .object(JSONObject(errors.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .integer($0.value)) })),
            "sm2": .object(["signPerSecond": .number(String(format: "%.0f", ceiling.sign)), "verifyPerSecond": .number(String(format: "%.0f", ceiling.verify)),
                            "cores": .integer(ceiling.cores), "ceilingRequestsPerSecond": .number(String(format: "%.0f", ceiling.requests)),
                            "openSSL": .object(["signPerSecond": .number(String(format: "%.0f", ceiling.openSSLSign)),
                                                "verifyPerSecond": .number(String(format: "%.0f", ceiling.openSSLVerify)),
                                                "ceilingRequestsPerSecond": .number(String(format: "%.0f", ceiling.openSSLRequests))])]),
            "ratioOfCeiling": .number(String(format: "%.3f", ratio)),
            "ratioOfOpenSSLCeiling": .number(String(format: "%.3f", openSSLRatio)),
            "poolExhausted": .bool(exhausted),
        ]
        if let target { json["targetRequestsPerSecond"] = .number(String(format: "%.1f", target)) }
        json["acceptedByTransaction"] = .object(JSONObject(byTransaction.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .integer($0.value)) }))
        if let generator { json["generatorCoresBusy"] = .number(String(format: "%.2f", generator.cores)) }
        if let signatureChecksAtOnce { json["signatureChecksAtOnce"] = .integer(signatureChecksAtOnce) }
        if let commits { json["groupCommit"] = .object(["commits": .integer(commits.commits), "writes": .integer(commits.writes)]) }
        if let gateway {
            json["gateway"] = .object([
                "coresBusy": .number(String(format: "%.2f", gateway.cores)),
                "cpuMsPerRequest": .number(String(format: "%.3f", accepted > 0 ? gateway.cpuSeconds * 1000 / Double(latencies.count) : 0)),
                "residentMB": .number(String(format: "%.1f", gateway.residentMB)), "peakResidentMB": .number(String(format: "%.1f", gateway.peakResidentMB)),
            ])
        }
        var lines = [
            "\(latencies.count) requests in \(String(format: "%.2f", seconds)) s: \(accepted) accepted, \(String(format: "%.1f", rate)) req/s",
            "latency ms: p50 \(String(format: "%.2f", percentile(50)))  p90 \(String(format: "%.2f", percentile(90)))  p99 \(String(format: "%.2f", percentile(99)))  max \(String(format: "%.2f", latencies.last ?? 0))",
            "SM2 ceiling \(String(format: "%.0f", ceiling.requests)) req/s → \(String(format: "%.1f", ratio * 100)) % of it; "
                + "with OpenSSL's generic SM2 \(String(format: "%.0f", ceiling.openSSLRequests)) req/s → \(String(format: "%.1f", openSSLRatio * 100)) % of that",
        ]
        if let target { lines.insert("paced at \(String(format: "%.0f", target)) req/s in all", at: 0) }
        if let gateway {
            let perRequest = latencies.isEmpty ? 0 : gateway.cpuSeconds * 1000 / Double(latencies.count)
            lines.append("gateway: \(String(format: "%.2f", gateway.cores)) cores busy, \(String(format: "%.3f", perRequest)) ms CPU per request; "
                         + "resident \(String(format: "%.1f", gateway.residentMB)) MB (peak \(String(format: "%.1f", gateway.peakResidentMB)) MB)")
        }
        if byTransaction.count > 1 { lines.append("accepted by transaction: " + byTransaction.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")) }
        if let generator { lines.append("generator (this process): \(String(format: "%.2f", generator.cores)) cores busy") }
        if let signatureChecksAtOnce {
            lines.append("signature checks running at one moment in the gateway: at most \(signatureChecksAtOnce)"
                         + (signatureChecksAtOnce >= 2 ? " — signed requests were verified side by side" : ""))
        }
        if let commits, commits.commits > 0 {
            lines.append("group commit: \(commits.commits) commits (fsyncs) carried \(commits.writes) write transactions, "
                         + "\(String(format: "%.1f", Double(commits.writes) / Double(commits.commits))) per commit")
        }
        if !errors.isEmpty { lines.append("errors: " + errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")) }
        if exhausted { lines.append("the pre-signed pool ran out before --duration: raise --pool") }
        return Report(json: .object(json), text: lines.joined(separator: "\n"), accepted: accepted)
    }
}

/// A process's CPU time and memory from `/proc/PID/stat` and `/proc/PID/status` (Linux).
struct ProcessUsage {
    var cpuSeconds: Double
    var residentMB: Double
    var peakResidentMB: Double

    static func read(pid: Int32) -> ProcessUsage? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After "pid (comm)": state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        func kilobytes(_ name: String) -> Double {
            let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") } ?? ""
            return Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map(String.init) ?? "") ?? 0
        }
        return ProcessUsage(cpuSeconds: (user + system) / ticks, residentMB: kilobytes("VmRSS") / 1024, peakResidentMB: kilobytes("VmHWM") / 1024)
    }
}

/// The gateway's CPU over the timed run and its memory at the end.
struct GatewayUsage {
    var cpuSeconds: Double
    var cores: Double
    var residentMB: Double
    var peakResidentMB: Double

    init(before: ProcessUsage, after: ProcessUsage, elapsed: Duration) {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        cpuSeconds = after.cpuSeconds - before.cpuSeconds
        cores = cpuSeconds / max(seconds, 1e-9)
        residentMB = after.residentMB
        peakResidentMB = after.peakResidentMB
    }
}
