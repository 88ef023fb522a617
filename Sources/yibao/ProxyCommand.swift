import ArgumentParser
import Foundation
import Hummingbird
import Logging
import YibaoClient
import YibaoCore
import YibaoCrypto

/// `yibao proxy`: plaintext JSON in (what Postman, curl, or a Java or C# test sends), the
/// institution's signed and sealed request out, the platform's answer opened, verified and
/// returned as plaintext — so a team can try every transaction before writing any SM2 code.
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "A signing proxy: plaintext JSON in, signed requests to the gateway, verified plaintext answers back.",
        discussion: """
        POST /fsi/{infno} with the FSI `input` node as the body (e.g. {"data":{…}}): the proxy signs \
        in (9001) when it has no sign_no, builds the envelope, signs cainfo with --institution's key \
        and answers the platform's `output` (after verifying the platform's signature). POST \
        /hse/{service} with the business data: sealed (SM4 + SM2), the answer opened and verified, its \
        data answered. A refusal is answered with the gateway's HTTP status and its problem \
        document (code, rule, pointer, diagnosis). Each exchange is printed on standard output with \
        personal data (names, ID numbers, …) masked. Keys come from certs/demo-credentials.json. Listens on loopback \
        unless --host says otherwise: anyone who can reach it signs as the institution.

        docs/PROXY.md has a Postman collection of the demo flow and Java and C# examples.

        Examples:
          yibao serve &
          yibao proxy                                          # http://127.0.0.1:8090 → http://127.0.0.1:8080
          curl -s localhost:8090/fsi/1101 -d '{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"120101198001011234"}}'
          yibao proxy --institution P12010100001 --listen 127.0.0.1:8091 --gateway http://127.0.0.1:8081
        """
    )

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port: Int = 8090

    @Option(help: ArgumentHelp("HOST:PORT to listen on, instead of --host and --port.", valueName: "host:port"))
    var listen: String?

    @OptionGroup var options: GatewayClientOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        if let listen, Self.split(listen) == nil { throw ValidationError("--listen \(listen): give HOST:PORT, e.g. 127.0.0.1:8090") }
    }

    /// `HOST:PORT` (the host may be `[::1]`), nil when malformed.
    static func split(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return host.isEmpty ? nil : (host, port)
    }

    func run() async throws {
        let (host, port) = listen.flatMap(Self.split) ?? (host, port)
        let client = try options.client()
        let institution = options.institution
        let gateway = options.gateway
        let router = Router()
        router.get("/") { _, _ in
            "yibao proxy for \(institution) → \(gateway)\nPOST /fsi/{infno} with the input node; POST /hse/{service} with the business data.\n"
        }
        router.post("/fsi/:infno") { request, context -> Response in
            let infno = context.parameters.get("infno") ?? ""
            guard infno.count == 4, infno.allSatisfy(\.isNumber) else {
                return Self.problem(400, code: "PROXY_PATH", detail: "/fsi/{infno}: infno is a four-digit FSI transaction code, not \(infno)")
            }
            let body = try await request.body.collect(upTo: 8 << 20)
            guard let input = (try? JSONValue.parse(Array(body.readableBytesView)))?.objectValue else {
                return Self.problem(400, code: "PROXY_BODY", detail: "the body must be a JSON object: the FSI input node, e.g. {\"data\":{…}}")
            }
            Self.show("→ FSI \(infno)", .object(input))
            return await Self.answer { try await client.call(infno: infno, input: input) }
        }
        router.post("/hse/:service") { request, context -> Response in
            let service = context.parameters.get("service") ?? ""
            let body = try await request.body.collect(upTo: 8 << 20)
            guard let data = try? JSONValue.parse(Array(body.readableBytesView)) else {
                return Self.problem(400, code: "PROXY_BODY", detail: "the body must be JSON: the business data of \(service)")
            }
            Self.show("→ HSE \(service)", data)
            return await Self.answer { try await client.hse(service: service, data: data) }
        }
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "yibao-proxy"),
                              onServerRunning: { channel in
                                  let bound = channel.localAddress?.port ?? port
                                  Self.write("yibao proxy listening on http://\(host):\(bound) → \(gateway) as \(institution)")
                              }, logger: { var logger = Logger(label: "yibao-proxy"); logger.logLevel = .warning; return logger }())
        try await app.runService()
    }

    /// The gateway's answer as plaintext JSON, or its refusal with the gateway's status.
    static func answer(_ call: () async throws -> JSONValue) async -> Response {
        do {
            let value = try await call()
            show("← 200", value)
            return json(200, value)
        } catch let error as YibaoClientError {
            let problem = error.problem ?? .object(["code": .string(error.code), "detail": .string(error.detail)])
            show("← \(error.status) \(error.code)", problem)
            return json(error.status == 0 ? 502 : error.status, problem)
        } catch {
            write("← 502 \(error)")
            return problem(502, code: "PROXY_GATEWAY", detail: "the gateway could not be reached or answered something unreadable: \(error)")
        }
    }

    static func show(_ heading: String, _ value: JSONValue) {
        // The caller gets its answer in plaintext; the log keeps personal data and secrets masked.
        write(heading + " " + Redaction.maskIDNumbers(in: Redaction.maskPersonal(value).serialized()))
    }

    /// One line on standard output, written at once (a log a test or a terminal reads as it comes).
    static func write(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func json(_ status: Int, _ value: JSONValue) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: value.serialized())))
    }

    static func problem(_ status: Int, code: String, detail: String) -> Response {
        json(status, .object(["code": .string(code), "detail": .string(detail)]))
    }
}
