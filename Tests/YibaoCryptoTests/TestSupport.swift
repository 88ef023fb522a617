import Foundation
import Testing
import YibaoTestSupport
@testable import YibaoCrypto

/// Paths and process helpers shared by the tests.
enum TestSupport {
    /// The package root (three levels above this file).
    static let packageRoot: URL = TestWorkspace.packageRoot

    static func certs(_ path: String) -> URL { packageRoot.appendingPathComponent("certs").appendingPathComponent(path) }
    static let vectorsDirectory = packageRoot.appendingPathComponent("vectors")

    static func text(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    static func certificate(_ path: String) throws -> Certificate { try Certificate(contentsOf: certs(path)) }

    /// The raw key pair of a dev PKI leaf (certs/sm2/NAME.raw.json).
    static func rawKeys(_ path: String) throws -> (privateKey: String, publicKey: String) {
        let data = try Data(contentsOf: certs(path))
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return (object["privateKey"] as! String, object["publicKey"] as! String)
    }

    static func date(_ iso: String) -> Date { ISO8601DateFormatter().date(from: iso)! }

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    struct ProcessResult {
        let status: Int32
        let stdout: [UInt8]
        let stderr: String
        var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs an executable (looked up on PATH when not absolute) and collects its output.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], stdin: [UInt8]? = nil, cwd: URL? = nil) async throws -> ProcessResult {
        let result = try await Processes.run(executable, arguments, stdin: stdin, cwd: cwd)
        return ProcessResult(status: result.status, stdout: result.stdoutBytes, stderr: result.stderr)
    }

    /// Runs the `openssl` CLI; fails the test when it is missing.
    @discardableResult
    static func openssl(_ arguments: [String], stdin: [UInt8]? = nil, cwd: URL? = nil) async throws -> ProcessResult {
        try await run("openssl", arguments, stdin: stdin, cwd: cwd)
    }

    /// The built `yibao` executable (a dependency of this test target, so always built).
    static let yibaoExecutable: String = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("yibao"),
            Bundle.main.bundleURL.appendingPathComponent("yibao"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("yibao"),
            packageRoot.appendingPathComponent(".build/debug/yibao"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }?.path ?? candidates.last!.path
    }()

    @discardableResult
    static func yibao(_ arguments: [String], stdin: [UInt8]? = nil) async throws -> ProcessResult {
        try await run(yibaoExecutable, arguments, stdin: stdin)
    }

    static func write(_ bytes: [UInt8], to url: URL) throws { try Data(bytes).write(to: url) }
}
