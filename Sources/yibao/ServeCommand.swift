import ArgumentParser
import Foundation
import Logging
import YibaoClient
import YibaoCore
import YibaoServices
import YibaoCrypto
import YibaoGateway
import YibaoStore
import YibaoDevKit

/// `yibao serve`: the reference platform on the embedded SQLite database or on PostgreSQL.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the reference platform gateway (FSI, HSE, e-voucher channel, admin API).",
        discussion: """
        Data is kept in SQLite (WAL) under --data-dir, or in PostgreSQL with --database \
        postgres://… (several `yibao serve` processes may share one database: scripts/start-postgres.sh \
        starts a dev server and prints its URL). The demo fixture (fixtures/demo.json, \
        credentials in certs/demo-credentials.json) is loaded on the first start only, so a \
        restart keeps everything. The platform signs with certs/sm2/platform.key.pem.

        Endpoints:
          POST /fsi/api/rsfComIfsService/callService   FSI: 9001/9002, 9101/9102, 1101, 1312–1319, 1901, 2001, 2101–2103, 2201–2208, 2503/2504, 2601, 3101/3102, 3201–3203, 3301/3302, 4301, 4701, 5201–5206, 5301
          POST /hse/{service}                          HSE envelopes (docs/ENVELOPE.md): ec.query, ec.payAuth,
                                                       prescriptions (docs/PRESCRIPTION.md), mobile payment
          POST /org/local/api/hos/{6201…6401 name}     mobile payment (docs/SETTLEMENT.md)
          POST /channel/ec/qrcode, /channel/wallet/authorize, /channel/ec/activate   (channel token)
          /admin/...                                   agency API (admin token): fixtures, agreements, callbacks,
                                                       filings, reimbursements, reconciliation, statistics, trace
          GET  /public/institutions                    AG-10 public list
          POST /admin/sandboxes                        an isolated world (own test clock, fixture copy, orders, trace) for one CI run,
                                                       addressed by /sandboxes/{id}/… or the header X-Yibao-Sandbox
          GET  /openapi.json, /console                 the OpenAPI 3.1 document; the web console (admin token)
          GET  /health, /ready, /metrics               liveness, readiness (database, migrations), Prometheus text

        Settings also come from a JSON file (--config FILE or $YIBAO_CONFIG: {"port": 8081, "log-format": "json"}, \
        keys as the long options; an unknown key is refused naming it) and from $YIBAO_<OPTION> (YIBAO_PORT, \
        YIBAO_TEST_CLOCK=1, YIBAO_FAULT=a,b …); the command line wins over the environment, the environment \
        over the file.

        One log line per request on standard error (time, method, route, status, institution, transaction,
        profile, outcome code, rule, duration; no bodies, no personal data): --log-level info (default),
        --log-format json for one JSON object per line.

        Examples:
          yibao serve                                      # embedded SQLite in .yibao/, dev certificates
          yibao serve --test-clock --log-format json 2> requests.jsonl
          yibao serve --database postgres://yibao:yibao@127.0.0.1:54329/yibao --port 8081
          yibao serve --tls-certificate certs/tls/server.cert.pem --tls-key certs/tls/server.key.pem --tls-client-ca certs/tls/ca.cert.pem
        See docs/GATEWAY.md.
        """
    )

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port: Int = 8080

    @Option(name: .customLong("data-dir"), help: "Folder of the SQLite database.")
    var dataDirectory: String = ".yibao"

    @Option(name: .customLong("database"), help: ArgumentHelp("""
        The database: postgres://user:password@host:port/database (PostgreSQL; several gateways may share it;         default: $YIBAO_DATABASE_URL, else the embedded SQLite file under --data-dir).
        """, valueName: "url"))
    var database: String?

    @Option(help: "Fixture to load on the first start (default: fixtures/demo.json beside certs/).")
    var fixture: String?

    @Flag(name: .customLong("no-fixture"), help: "Start empty: do not load the demo fixture.")
    var noFixture = false

    @Flag(name: .customLong("test-clock"), help: "Allow POST /__clock/advance (tests and demos only).")
    var testClock = false

    @Option(help: "Policy profile JSON (token lifetimes, agreement deadlines, holidays, FSI time window); start from --print-policy.")
    var policy: String?

    @Flag(name: .customLong("print-policy"), help: "Print the default policy profile as JSON and exit.")
    var printPolicy = false

    @Option(help: ArgumentHelp("Dialect profile of institutions without their own (profiles/*.json; `yibao profiles` lists them).", valueName: "name"))
    var profile: String = DialectProfile.nhsa20.name

    @Option(name: .customLong("admin-token"), help: ArgumentHelp("Bearer token of the admin API and the test clock (default: $YIBAO_ADMIN_TOKEN, else the published dev token of certs/demo-credentials.json).", valueName: "token"))
    var adminToken: String?

    @Option(name: .customLong("admin-token-file"), help: ArgumentHelp("Read the admin token from this file (first line).", valueName: "path"))
    var adminTokenFile: String?

    @Option(name: .customLong("channel-token"), help: ArgumentHelp("Bearer token of the e-voucher channel (default: $YIBAO_CHANNEL_TOKEN, else the published dev token).", valueName: "token"))
    var channelToken: String?

    @Option(name: .customLong("channel-token-file"), help: ArgumentHelp("Read the channel token from this file (first line).", valueName: "path"))
    var channelTokenFile: String?

    @Flag(name: .customLong("insecure-dev-tokens"), help: "Allow listening on a non-loopback address with the published dev tokens (anyone on the network could administer the gateway).")
    var insecureDevTokens = false

    @Option(name: .customLong("fault"), parsing: .singleValue,
            help: ArgumentHelp("Break a rule on purpose, to prove the conformance tester catches it (repeatable): \(GatewayFault.allCases.map(\.rawValue).joined(separator: ", ")). Never for real use.",
                               valueName: "fault"))
    var faults: [GatewayFault] = []

    @Option(name: .customLong("tls-certificate"), help: ArgumentHelp("Serve HTTPS with this PEM certificate chain (leaf first; dev: certs/tls/server.cert.pem).", valueName: "path"))
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("The PEM private key of --tls-certificate (dev: certs/tls/server.key.pem).", valueName: "path"))
    var tlsKey: String?

    @Option(name: .customLong("tls-client-ca"), help: ArgumentHelp("Mutual TLS: accept only clients presenting a certificate of this PEM CA (dev: certs/tls/ca.cert.pem).", valueName: "path"))
    var tlsClientCA: String?

    @Option(name: .customLong("log-level"), help: ArgumentHelp("Lowest level logged: trace, debug, info (one line per request), notice, warning, error, critical.", valueName: "level"))
    var logLevel: Logger.Level = .info

    @Option(name: .customLong("log-format"), help: ArgumentHelp("text, or json (one JSON object per line).", valueName: "format"))
    var logFormat: LogFormat = .text

    enum LogFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

    @OptionGroup var workspace: WorkspaceOptions

    /// 127.0.0.0/8 (an IPv4 literal), ::1 and localhost; a host name is never taken for loopback.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber) && (Int(part) ?? 256) <= 255
        }
    }

    /// A token from its option or its file (first line, trimmed); nil when neither is given.
    static func token(option: String?, file: String?, name: String) throws -> String? {
        if option != nil && file != nil { throw ValidationError("give --\(name)-token or --\(name)-token-file, not both") }
        var token = option
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("--\(name)-token-file: no file at \(file)") }
            token = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        }
        guard let token else { return nil }
        guard token.utf8.count >= 16, token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw ValidationError("the \(name) token must have at least 16 printable ASCII characters and no spaces")
        }
        return token
    }

    func gatewayOption(_ bound: Int) -> String {
        host == "127.0.0.1" && bound == 8080 ? "" : " --gateway http://\(host):\(bound)"
    }

    func validate() throws {
        if (tlsCertificate == nil) != (tlsKey == nil) { throw ValidationError("give --tls-certificate and --tls-key together") }
        if tlsClientCA != nil && tlsCertificate == nil { throw ValidationError("--tls-client-ca needs --tls-certificate and --tls-key (mutual TLS is TLS)") }
    }

    func run() async throws {
        if printPolicy {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(PolicyProfile.nhsa20), as: UTF8.self))
            return
        }
        // TLS files are checked before anything else is opened: a bad one is named at once.
        let tls = try tlsCertificate.map { certificate in
            do { return try GatewayTLS.configuration(certificateChain: certificate, privateKey: tlsKey ?? "", clientCA: tlsClientCA) } catch {
                printError("error: \(error)")
                throw ExitCode(64)
            }
        }
        var policyProfile = PolicyProfile.nhsa20
        if let policy {
            guard let data = FileManager.default.contents(atPath: policy) else { throw ValidationError("no policy file at \(policy)") }
            do { policyProfile = try JSONDecoder().decode(PolicyProfile.self, from: data) } catch {
                throw ValidationError("\(policy) is not a policy profile (start from `yibao serve --print-policy`): \(error)")
            }
            if let problem = policyProfile.measures.problem { throw ValidationError("\(policy): \(problem)") }
        }
        let certs = try workspace.certsDirectory()
        var credentials = try workspace.credentials()
        let published = try workspace.publishedCredentials()
        if let token = try Self.token(option: adminToken, file: adminTokenFile, name: "admin") { credentials.adminToken = token }
        if let token = try Self.token(option: channelToken, file: channelTokenFile, name: "channel") { credentials.channel.token = token }
        // Tokens from the environment obey the same rule as those from options and files.
        if credentials.adminToken != published.adminToken { _ = try Self.token(option: credentials.adminToken, file: nil, name: "admin") }
        if credentials.channel.token != published.channel.token { _ = try Self.token(option: credentials.channel.token, file: nil, name: "channel") }
        let devTokens = [credentials.adminToken == published.adminToken ? "admin" : nil,
                         credentials.channel.token == published.channel.token ? "channel" : nil].compactMap { $0 }
        if !Self.isLoopback(host) {
            if !devTokens.isEmpty && !insecureDevTokens {
                throw ValidationError("""
                    refusing to listen on \(host) with the published dev \(devTokens.joined(separator: " and ")) token\(devTokens.count > 1 ? "s" : ""): \
                    anyone who can reach this address could administer the gateway. Set your own with --admin-token-file/--channel-token-file \
                    (or $YIBAO_ADMIN_TOKEN/$YIBAO_CHANNEL_TOKEN), or pass --insecure-dev-tokens on a trusted network.
                    """)
            }
            FileHandle.standardError.write(Data("WARNING: listening on \(host), not loopback: the gateway is reachable from other machines\(devTokens.isEmpty ? "" : " and uses the published dev \(devTokens.joined(separator: " and ")) token(s)").\n".utf8))
        }
        let databaseURL = database ?? ProcessInfo.processInfo.environment["YIBAO_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let store: any GatewayStore
        do {
            store = try await GatewaySetup.openStore(database: databaseURL, dataDirectory: dataDirectory)
        } catch let error as DevKitError {
            // One line and status 2: a database that cannot be used is an operator's matter, not a crash.
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
        var gateway = try setUp { try GatewaySetup.make(certs: certs, credentials: credentials, store: store, testClock: testClock, policy: policyProfile,
                                            faults: Set(faults), dialect: profile) }
        for fault in faults {
            FileHandle.standardError.write(Data("WARNING: started with fault \(fault.rawValue): \(fault.summary). This gateway is deliberately wrong.\n".utf8))
        }
        if !noFixture {
            let path = fixture ?? ((certs as NSString).deletingLastPathComponent as NSString).appendingPathComponent("fixtures/demo.json")
            let loadedFixture = try setUp { try GatewaySetup.fixture(path: path, certs: certs, credentials: credentials) }
            let loaded = try await gateway.loadOnFirstStart(loadedFixture)
            FileHandle.standardOutput.write(Data((loaded ? "loaded fixture \(path)" : "data kept from the previous start (fixture not reloaded)").utf8 + [0x0A]))
            // Every sandbox starts from the same fixture (re-read: it may have changed since the data was first loaded).
            gateway = gateway.enablingSandboxes(fixture: loadedFixture)
        } else {
            gateway = gateway.enablingSandboxes(fixture: Fixture())
        }
        let served = gateway
        let demo = credentials.institutions.first { $0.fixmedins_code == DemoCredentials.demoHospital }
        let format = logFormat
        LoggingSystem.bootstrap { label in
            format == .json ? JSONLinesLogHandler(label: label) as any LogHandler : StreamLogHandler.standardError(label: label)
        }
        var logger = Logger(label: "yibao-gateway")
        logger.logLevel = logLevel
        let scheme = tls == nil ? "http" : "https"
        let transport = tls == nil ? "" : "\n  tls:         \(tlsCertificate ?? "")\(tlsClientCA.map { "; mutual TLS, clients of \($0)" } ?? "")"
        let app = served.application(host: host, port: port, logger: logger, tls: tls) { bound in
            FileHandle.standardOutput.write(Data("""
            yibao gateway listening on \(scheme)://\(host):\(bound)\(transport)
              data:        \((store as? PostgresStore).map { "\($0.displayURL) (PostgreSQL)" } ?? "\((store as? SQLiteStore)?.path ?? dataDirectory) (SQLite, WAL)")
              profile:     \(served.configuration.policy.name); envelope \(served.configuration.envelopeProfile.summary)
              dialect:     \(served.configuration.defaultDialect) (per institution: POST /admin/institutions/{code}/profile; docs/DIALECTS.md)
              demo appId:  \(demo?.appId ?? "?") (\(demo?.fixmedins_code ?? "") \(demo?.fixmedins_name ?? ""))
              keys:        \((certs as NSString).appendingPathComponent(DemoCredentials.fileName)) (appSecret, SM2 keys, platform public key)
              sandboxes:   POST /admin/sandboxes (admin token), then /sandboxes/{id}/… or the header X-Yibao-Sandbox (docs/GATEWAY.md §13)
              admin token: \(devTokens.contains("admin") ? "the published dev token (certs/\(DemoCredentials.fileName))" : "set by option or environment (not shown)")\(testClock ? "\n  test clock:  POST /__clock/advance {\"seconds\": N} (admin token)" : "")
            try:  yibao voucher issue\(gatewayOption(bound))      then  yibao call 1101\(gatewayOption(bound)) --data '{"data":{"mdtrt_cert_type":"01","mdtrt_cert_no":"<ecToken>"}}'

            """.utf8))
        }
        let watchdog = ShutdownWatchdog(seconds: 10, logger: logger)
        watchdog.arm()
        try await app.runService()
        withExtendedLifetime(watchdog) {}
    }
}

extension GatewayFault: ExpressibleByArgument {}

extension Logger.Level: @retroactive ExpressibleByArgument {}
