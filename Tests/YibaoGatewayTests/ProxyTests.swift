import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import YibaoClient
import YibaoCrypto
import YibaoTestSupport

/// `yibao proxy` between plaintext clients and a live `yibao serve`, driven by the Postman
/// collection of docs/ as Postman's collection runner would run it.
@Suite("Signing proxy")
struct ProxyTests {
    func post(_ url: String, _ body: String, headers: [(String, String)] = []) async throws -> (status: Int, body: JSONValue) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in headers where name.lowercased() != "content-type" { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), try JSONValue.parse(Array(bytes.readableBytesView)))
    }

    /// The first value of `key` anywhere in `value`.
    func find(_ key: String, in value: JSONValue) -> String? {
        switch value {
        case .object(let object):
            if let found = object[key]?.stringValue { return found }
            for member in object.members { if let found = find(key, in: member.value) { return found } }
        case .array(let items):
            for item in items { if let found = find(key, in: item) { return found } }
        default: break
        }
        return nil
    }

    @Test("the Postman collection runs in order through the proxy (every request 200, mdtrt_id and setl_id carried along); a refusal keeps the gateway's status and code")
    func collection() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-proxy-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ListeningProcess.serve(dataDirectory: directory)
        defer { server.stop() }
        // The issue's spelling: --listen HOST:PORT and --target URL.
        let proxy = try ListeningProcess(TestWorkspace.binary, ["proxy", "--listen", "127.0.0.1:0", "--target", server.url, "--certs", TestWorkspace.certs])
        defer { proxy.stop() }
        let collection = try JSONValue.parse(Array(try Data(contentsOf: TestWorkspace.packageRoot.appendingPathComponent("docs/yibao-proxy.postman_collection.json"))))
        let items = try #require(collection.objectValue?["item"]?.arrayValue)
        #expect(items.count >= 8)
        // The collection's own defaults, then the live addresses (as a user edits them in Postman).
        var variables: [String: String] = [:]
        for variable in collection.objectValue?["variable"]?.arrayValue?.compactMap(\.objectValue) ?? [] {
            if let key = variable["key"]?.stringValue, let value = variable["value"]?.stringValue, !value.isEmpty { variables[key] = value }
        }
        variables["proxy"] = proxy.url
        variables["gateway"] = server.url
        #expect(variables["channel_token"] == (try DemoCredentials.load(certsDirectory: TestWorkspace.certs).channel.token))
        // What the collection's test scripts store, from which answer member.
        let stored = ["qr_code": "qrCode", "ec_token": "ecToken", "mdtrt_id": "mdtrt_id", "setl_id": "setl_id"]
        for item in items.compactMap(\.objectValue) {
            let request = try #require(item["request"]?.objectValue)
            var url = try #require(request["url"]?.stringValue)
            var body = try #require(request["body"]?.objectValue?["raw"]?.stringValue)
            var headers = (request["header"]?.arrayValue ?? []).compactMap(\.objectValue).map { ($0["key"]?.stringValue ?? "", $0["value"]?.stringValue ?? "") }
            variables["$timestamp"] = String(Int(Date().timeIntervalSince1970 * 1000))
            for (name, value) in variables {
                url = url.replacingOccurrences(of: "{{\(name)}}", with: value)
                body = body.replacingOccurrences(of: "{{\(name)}}", with: value)
                headers = headers.map { ($0.0, $0.1.replacingOccurrences(of: "{{\(name)}}", with: value)) }
            }
            #expect(!url.contains("{{") && !body.contains("{{") && !headers.contains { $0.1.contains("{{") },
                    "\(item["name"]?.stringValue ?? "?"): a variable is never set")
            let answer = try await post(url, body, headers: headers)
            #expect(answer.status == 200, "\(item["name"]?.stringValue ?? "?"): \(answer.body.serialized())")
            let scripts = (item["event"]?.arrayValue ?? []).compactMap { $0.objectValue?["script"]?.objectValue?["exec"]?.arrayValue }.joined()
            for (variable, member) in stored where scripts.contains(where: { $0.stringValue?.contains("'\(variable)'") == true }) {
                variables[variable] = find(member, in: answer.body)
            }
        }
        #expect(variables["ec_token"] != nil && variables["mdtrt_id"] != nil && variables["setl_id"] != nil)
        let refused = try await post(proxy.url + "/fsi/2201", #"{"data":{}}"#)
        #expect(refused.status == 400 && refused.body.objectValue?["code"]?.stringValue == "FIELD_MISSING")
        #expect(refused.body.objectValue?["pointer"]?.stringValue == "/input/data/psn_no")
        let garbage = try await post(proxy.url + "/fsi/1101", "not json")
        #expect(garbage.status == 400 && garbage.body.objectValue?["code"]?.stringValue == "PROXY_BODY")
    }
}
