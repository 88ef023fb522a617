import ArgumentParser
import Foundation
import YibaoClient
import YibaoCore
import YibaoCrypto
import YibaoDevKit
import YibaoGateway

/// Where the dev certificates and the demo fixture are: `--certs`, else `./certs`, else the
/// `certs/` of the checkout the binary was built in (found by walking up from the executable).
struct WorkspaceOptions: ParsableArguments {
    @Option(help: "Folder with the dev PKI and demo-credentials.json (default: ./certs, else the checkout's certs/).")
    var certs: String?

    func certsDirectory() throws -> String {
        if let certs { return certs }
        let fm = FileManager.default
        if fm.fileExists(atPath: "certs/\(DemoCredentials.fileName)") { return "certs" }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<8 {
            let candidate = url.appendingPathComponent("certs/\(DemoCredentials.fileName)").path
            if fm.fileExists(atPath: candidate) { return url.appendingPathComponent("certs").path }
            url.deleteLastPathComponent()
        }
        throw ValidationError("cannot find certs/\(DemoCredentials.fileName): run from the repository root or pass --certs DIR")
    }

    /// The dev credentials, with the admin and channel tokens replaced by `YIBAO_ADMIN_TOKEN` and
    /// `YIBAO_CHANNEL_TOKEN` when those are set (a gateway started with other tokens, docs/SECURITY.md).
    func credentials() throws -> DemoCredentials {
        var credentials = try DemoCredentials.load(certsDirectory: try certsDirectory())
        let environment = ProcessInfo.processInfo.environment
        if let token = environment["YIBAO_ADMIN_TOKEN"], !token.isEmpty { credentials.adminToken = token }
        if let token = environment["YIBAO_CHANNEL_TOKEN"], !token.isEmpty { credentials.channel.token = token }
        return credentials
    }

    /// The tokens published in certs/demo-credentials.json, whatever the environment says.
    func publishedCredentials() throws -> DemoCredentials { try DemoCredentials.load(certsDirectory: try certsDirectory()) }
}

/// Options of the commands that talk to a running gateway.
struct GatewayClientOptions: ParsableArguments {
    @Option(name: [.customLong("gateway"), .customLong("target")], help: "Base URL of the gateway (--target: another name for it).")
    var gateway: String = "http://127.0.0.1:8080"

    @Option(help: "The institution (fixmedins_code) whose credentials sign the request.")
    var institution: String = DemoCredentials.demoHospital

    @Option(help: ArgumentHelp("The dialect the gateway answers this institution in (yibao profiles): how answers and refusals look.", valueName: "name"))
    var profile: String = DialectProfile.nhsa20.name

    @OptionGroup var workspace: WorkspaceOptions

    func client() throws -> YibaoClient {
        var client = YibaoClient(baseURL: gateway, credentials: try workspace.credentials().credentials(for: institution))
        guard let dialect = try ProfilesCommand.all(workspace).first(where: { $0.name == profile }) else {
            throw ValidationError("no dialect profile \(profile) (yibao profiles)")
        }
        client.dialect = dialect
        return client
    }
}

/// Prints a client error and exits 1.
func fail(_ error: any Error) -> ExitCode {
    if let error = error as? YibaoClientError {
        printError("refused (HTTP \(error.status)): \(error)")
    } else {
        printError("error: \(error)")
    }
    return ExitCode(1)
}

/// Indented JSON that keeps member order and number literals (`1234.56` stays `1234.56`).
func pretty(_ value: JSONValue, indent: String = "") -> String {
    let inner = indent + "  "
    switch value {
    case .object(let object) where !object.members.isEmpty:
        let members = object.members.map { inner + JSONValue.string($0.key).serialized() + ": " + pretty($0.value, indent: inner) }
        return "{\n" + members.joined(separator: ",\n") + "\n" + indent + "}"
    case .array(let items) where !items.isEmpty:
        return "[\n" + items.map { inner + pretty($0, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
    default:
        return value.serialized()
    }
}

/// Runs a set-up step of the dev kit; its errors (a missing file, an unknown profile) are usage
/// errors of the command line.
func setUp<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as DevKitError { throw ValidationError(error.description) }
}
