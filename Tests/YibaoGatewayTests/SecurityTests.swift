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

#if canImport(Glibc)
import Glibc
#endif

/// Regression tests of the security issue: bounded unauthenticated traffic, durable commits,
/// isolated callbacks, overflow-safe money, connection hygiene, operator safety, admin validation.
@Suite("Security: hostile traffic, durability, operator safety")
struct SecurityTests {
    func adminHeaders(_ harness: GatewayHarness) -> HTTPFields { [.authorization: "Bearer \(harness.credentials.adminToken)"] }

    /// A person input for the admin API with one member changed.
    func person(_ changes: [String: JSONValue] = [:]) -> JSONObject {
        var object: JSONObject = ["psnNo": "12000000000000000077", "certno": "120101198001011242", "name": "Wang Fang", "gender": "2",
                                  "birthDate": "1980-01-01", "insutype": "310", "insuplcAdmdvs": "120100"]
        for (key, value) in changes { object[key] = value }
        return object
    }

    @Test("admin input: ID number length, check character and upper-case X, empty keys, balance bounds, control characters and duplicate keys are refused, naming the member")
    func adminValidation() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let accepted = try await client.postJSON("/admin/persons", person(), headers: adminHeaders(harness))
            #expect(accepted.status == 201, "\(accepted.body)")
            let refusals: [(JSONObject, String)] = [
                (person(["certno": "12010119850615234x"]), "/certno"),          // lower-case x: would be a second person
                (person(["certno": "120101198001011243"]), "/certno"),          // wrong check character
                (person(["certno": "12010119800101124"]), "/certno"),           // 17 characters
                (person(["psnNo": ""]), "/psnNo"),
                (person(["psnNo": "12 34"]), "/psnNo"),
                (person(["name": "Wang\u{0007}Fang"]), "/name"),
                (person(["accountBalanceFen": .number("-1")]), "/accountBalanceFen"),
                (person(["accountBalanceFen": .integer(Int64.max)]), "/accountBalanceFen"),
            ]
            for (body, pointer) in refusals {
                let refused = try await client.postJSON("/admin/persons", body, headers: adminHeaders(harness))
                #expect(refused.status == 400, "\(pointer): \(refused.body)")
                #expect(refused.body.string("pointer") == pointer, "\(refused.body)")
            }
            let duplicate = Array(#"{"psnNo":"12000000000000000078","psnNo":"12000000000000000079","certno":"120101198001011242","name":"W","gender":"2","birthDate":"1980-01-01","insutype":"310","insuplcAdmdvs":"120100"}"#.utf8)
            let refused = try await client.postRaw("/admin/persons", duplicate, headers: adminHeaders(harness))
            #expect(refused.status == 400)
            #expect(refused.body.string("detail")?.contains("duplicate key \"psnNo\"") == true)
            // Nothing half-written: only the accepted person exists.
            let persons = try await harness.gateway.store.read { try await $0.persons() }
            #expect(persons.filter { $0.psnNo.hasPrefix("1200000000000000007") }.map(\.psnNo) == ["12000000000000000077"])
        }
    }

    @Test("the crash-loop repro: an Int64.max balance is refused at the edge, and a refund onto a balance at the limit is a refusal, not a trap")
    func overflow() throws {
        #expect(throws: DomainError.self) { try Money.add(1, to: Int64.max, pointer: "/x", what: "a refund") }
        #expect(throws: DomainError.self) { try Money.add(1, to: Money.maximumFen, pointer: "/x", what: "a refund") }
        #expect(try Money.add(100, to: 5, pointer: "/x", what: "a refund") == 105)
        do {
            _ = try Money.add(Int64.max, to: Int64.max, pointer: "/payOrdId", what: "returning the account share")
            Issue.record("no refusal")
        } catch let error as DomainError {
            #expect(error.code.rawValue == "AMOUNT_OUT_OF_RANGE")
            #expect(error.pointer == "/payOrdId")
        }
    }

    @Test("durable acknowledgements: the store commits with PRAGMA synchronous = FULL")
    func synchronousFull() async throws {
        let harness = try await GatewayHarness.make(fixture: false)
        let store = try #require(harness.gateway.store as? SQLiteStore)
        #expect(try store.synchronousLevel() == 2)
        #expect(try store.journalMode() == "wal")
    }

    @Test("ten 4 MiB unauthenticated requests leave the database under 1 MB larger and the trace unchanged; they are counted per code")
    func unauthenticatedBounded() async throws {
        let harness = try await GatewayHarness.make()
        @Sendable func databaseBytes() -> Int {
            ["", "-wal", "-shm"].map { suffix in
                ((try? FileManager.default.attributesOfItem(atPath: harness.dataDirectory + "/yibao.sqlite" + suffix))?[.size] as? Int) ?? 0
            }.reduce(0, +)
        }
        try await harness.app().test(.router) { client in
            let before = databaseBytes()
            let traceBefore = try await harness.gateway.store.read { try await $0.traceHead()?.seq ?? 0 }
            for index in 0..<10 {
                // 4 MiB inside input (where business data goes), so the signature check has to read it all.
                var envelope = try await harness.fsiEnvelope("1101", input: ["data": .object(["psn_no": "1", "memo": .string(String(repeating: "A", count: 4 << 20 - 4096))])])
                envelope["cainfo"] = .string(Array(repeating: UInt8(index), count: 64).base64)
                let refused = try await client.postJSON(FSIEndpoint.path, envelope)
                #expect(refused.status == 401)
                #expect(refused.body.string("code") == "FSI_SIGNATURE_INVALID")
                // Neither the 4 MiB string to sign nor a diagnosis of forty variants of it comes back.
                #expect(refused.body.string("signString")?.hasPrefix("(not shown") == true)
                #expect(refused.body["diagnosis"]?.arrayValue?.first?.stringValue?.hasPrefix("no diagnosis") == true)
            }
            // A multi-megabyte envelope member other than input is refused before any signature work.
            var long = try await harness.fsiEnvelope("1101", input: ["data": .object(["psn_no": "1"])])
            long["opter_name"] = .string(String(repeating: "A", count: 1 << 20))
            let refusedLong = try await client.postJSON(FSIEndpoint.path, long)
            #expect(refusedLong.status == 400)
            #expect(refusedLong.body.string("pointer") == "/opter_name")
            let grown = databaseBytes() - before
            #expect(grown < 1 << 20, "the database grew by \(grown) bytes")
            #expect(try await harness.gateway.store.read { try await $0.traceHead()?.seq ?? 0 } == traceBefore)
            let counts = try await harness.gateway.store.read { try await $0.unauthenticatedRefusals() }
            #expect(counts.first { $0.code == "FSI_SIGNATURE_INVALID" }?.count == 10)
            #expect(counts.first { $0.code == "FIELD_INVALID" }?.count == 1)
        }
    }

    @Test("JSON bounds: too many values or too deep a nesting is refused before any work, naming the bound")
    func jsonBounds() async throws {
        let harness = try await GatewayHarness.make(fixture: false)
        try await harness.app().test(.router) { client in
            let wide = Array(("[" + String(repeating: "1,", count: 200_000) + "1]").utf8)
            let refused = try await client.postRaw(FSIEndpoint.path, wide)
            #expect(refused.status == 400)
            #expect(refused.body.string("detail")?.contains("more than 100000 values") == true)
            let deep = Array((String(repeating: "[", count: 100) + String(repeating: "]", count: 100)).utf8)
            let nested = try await client.postRaw("/hse/ec.query", deep)
            #expect(nested.body.string("detail")?.contains("nesting deeper than 64") == true)
        }
    }

    @Test("a source that keeps sending garbage is answered 429 with Retry-After; its budget refills")
    func refusalBudget() async throws {
        // 10 a second: after 4 charges on a burst of 3 the bucket is at -1 and needs 200 ms to admit again.
        let limiter = RefusalLimiter(burst: 3, perSecond: 10)
        #expect(limiter.admit("10.0.0.1").allowed)
        for _ in 0..<4 { limiter.charge("10.0.0.1") }
        let denied = limiter.admit("10.0.0.1")
        #expect(!denied.allowed)
        #expect(denied.retryAfterSeconds >= 1)
        #expect(limiter.admit("10.0.0.2").allowed)  // another source is not affected
        try await Task.sleep(for: .milliseconds(400))
        #expect(limiter.admit("10.0.0.1").allowed)  // refilled
    }

    @Test("callbacks are isolated per receiver: beside a trickling and a hanging receiver, the good one's callback is delivered on its first attempt")
    func callbackIsolation() async throws {
        let harness = try await GatewayHarness.make(fixture: false)
        var configuration = harness.gateway.configuration
        configuration.limits.callbackAttemptDeadline = .seconds(3)
        let gateway = try Gateway(store: harness.gateway.store, configuration: configuration, clock: harness.gateway.clock)
        let arrivals = Arrivals()
        let router = Router()
        router.post("/good") { _, _ in
            await arrivals.note("good")
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"code":0}"#)))
        }
        router.post("/hang") { _, _ -> Response in
            await arrivals.note("hang")
            try await Task.sleep(for: .seconds(6))
            return Response(status: .ok)
        }
        router.post("/trickle") { _, _ in
            Response(status: .ok, body: ResponseBody { writer in
                for _ in 0..<12 {
                    try await writer.write(ByteBuffer(string: " "))
                    try await Task.sleep(for: .milliseconds(500))
                }
                try await writer.finish(nil)
            })
        }
        let receivers = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await receivers.test(.live) { live in
            let base = "http://127.0.0.1:\(try #require(live.port))"
            let now = await gateway.clock.now()
            try await gateway.store.write { store in
                for (code, path) in [("H00000000001", "/trickle"), ("H00000000002", "/hang"), ("H00000000003", "/good")] {
                    try await store.save(Callback(id: "CB" + code, institutionCode: code, payOrdId: "ORD" + code, url: base + path, body: "{}",
                                            createdAt: now, firstAttemptAt: now))
                }
            }
            let started = ContinuousClock.now
            let attempted = try await CallbackDispatcher(gateway: gateway).deliverDue()
            #expect(attempted == 3)
            let callbacks = try await gateway.store.read { try await $0.callbacks(institutionCode: nil, limit: 10) }
            let good = try #require(callbacks.first { $0.institutionCode == "H00000000003" })
            #expect(good.state == .delivered)
            #expect(good.attempts == 1)
            for code in ["H00000000001", "H00000000002"] {
                let slow = try #require(callbacks.first { $0.institutionCode == code })
                #expect(slow.state != .delivered)
                // One total deadline per attempt: the trickler is cut off, not read until it stops.
                #expect(slow.log.last?.contains("no complete answer within") == true, "\(slow.log)")
            }
            // The good receiver was served while the hanging one was still being waited for (one after the
            // other, it would only be called once the hanging attempt had been given up).
            let goodArrival = try #require(await arrivals.first("good"))
            let hangArrival = try #require(await arrivals.first("hang"))
            #expect(goodArrival < hangArrival.advanced(by: .seconds(3)), "good at \(started.duration(to: goodArrival)), hanging at \(started.duration(to: hangArrival))")
        }
    }

    @Test("idle and half-sent connections are closed by the idle timeout; trickled heads and bodies, which keep it happy, by the request deadlines")
    func idleConnections() async throws {
        let harness = try await GatewayHarness.make(fixture: false)
        func gateway(idle: Duration, head: Duration, body: Duration) throws -> Gateway {
            var configuration = harness.gateway.configuration
            configuration.limits.idleTimeout = idle
            configuration.limits.headTimeout = head
            configuration.limits.bodyTimeout = body
            return try Gateway(store: harness.gateway.store, configuration: configuration, clock: harness.gateway.clock)
        }
        // The idle timeout alone (the deadlines far away).
        try await gateway(idle: .seconds(1), head: .seconds(60), body: .seconds(60)).application(host: "127.0.0.1", port: 0, quiet: true, callbackInterval: nil).test(.live) { live in
            let port = try #require(live.port)
            let idle = try RawConnection(port: port)
            let halfHeaders = try RawConnection(port: port)
            halfHeaders.send("POST /fsi/api/rsfComIfsService/callService HTTP/1.1\r\nHost: x\r\n")
            let halfBody = try RawConnection(port: port)
            halfBody.send("POST /fsi/api/rsfComIfsService/callService HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"a\":")
            try await Task.sleep(for: .seconds(2.5))
            #expect(idle.isClosedByPeer(), "an idle connection stayed open")
            #expect(halfHeaders.isClosedByPeer(), "a half-sent head stayed open")
            #expect(halfBody.isClosedByPeer(), "a half-sent body stayed open")
        }
        // The request deadlines alone (the idle timeout far away): a byte every 300 ms keeps a connection
        // from ever being idle, but neither the head nor the body is allowed to take longer than 1 s.
        try await gateway(idle: .seconds(60), head: .seconds(1), body: .seconds(1)).application(host: "127.0.0.1", port: 0, quiet: true, callbackInterval: nil).test(.live) { live in
            let port = try #require(live.port)
            let trickledHead = try RawConnection(port: port)
            let trickledBody = try RawConnection(port: port)
            trickledBody.send("POST /fsi/api/rsfComIfsService/callService HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
            for byte in "POST /health HTTP/1.1\r\nHost: trickle\r\n".utf8.prefix(10) {
                trickledHead.send(String(UnicodeScalar(byte)))
                trickledBody.send(" ")
                try await Task.sleep(for: .milliseconds(300))
            }
            #expect(trickledHead.isClosedByPeer(), "a trickled head stayed open")
            #expect(trickledBody.isClosedByPeer(), "a trickled body stayed open")
        }
    }
}

/// `yibao serve` on a public address: refused with the published dev tokens, started with the operator's own.
@Suite("Security: operator safety of yibao serve", .serialized)
struct ServeSafetyTests {
    @Test("a non-loopback --host with the published dev tokens is refused; with tokens from files it starts, and the banner shows no token")
    func publicHost() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-host-\(UUID().uuidString)").path
        let refused = try await EndToEndTests.run(EndToEndTests.binary, ["serve", "--host", "0.0.0.0", "--port", "0", "--data-dir", directory, "--certs", GatewayHarness.certs])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("refusing to listen on 0.0.0.0 with the published dev admin and channel tokens"), "\(refused.stderr)")
        let tooShort = try await EndToEndTests.run(EndToEndTests.binary, ["serve", "--admin-token", "short", "--data-dir", directory, "--certs", GatewayHarness.certs])
        #expect(tooShort.status != 0)
        #expect(tooShort.stderr.contains("at least 16 printable ASCII characters"))

        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let adminToken = "operator-admin-" + UUID().uuidString, channelToken = "operator-channel-" + UUID().uuidString
        try Data((adminToken + "\n").utf8).write(to: URL(fileURLWithPath: directory + "/admin.token"))
        try Data((channelToken + "\n").utf8).write(to: URL(fileURLWithPath: directory + "/channel.token"))
        let server = try ListeningProcess.serve(dataDirectory: directory + "/data", extra: [
            "--host", "0.0.0.0", "--admin-token-file", directory + "/admin.token", "--channel-token-file", directory + "/channel.token"], hostPattern: #"0\.0\.0\.0"#)
        defer { server.stop() }
        let banner = server.banner
        #expect(banner.contains("listening on http://0.0.0.0:"), "\(banner)")
        #expect(banner.contains("set by option or environment (not shown)"))
        let published = try DemoCredentials.load(certsDirectory: GatewayHarness.certs)
        for secret in [adminToken, channelToken, published.adminToken, published.channel.token] { #expect(!banner.contains(secret)) }
    }
}

/// When each receiver was first called.
actor Arrivals {
    private var times: [String: ContinuousClock.Instant] = [:]
    func note(_ name: String) { if times[name] == nil { times[name] = .now } }
    func first(_ name: String) -> ContinuousClock.Instant? { times[name] }
}

/// A plain TCP connection to the server, for clients that misbehave below HTTP.
final class RawConnection: @unchecked Sendable {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw CocoaError(.fileReadUnknown) }
    }

    deinit { close(descriptor) }

    func send(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// True when the server closed the connection (a read returns end of file or a reset), without waiting.
    func isClosedByPeer() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count == 0 { return true }
            if count < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
            // Bytes (an error answer) may precede the close: keep reading.
        }
    }
}
