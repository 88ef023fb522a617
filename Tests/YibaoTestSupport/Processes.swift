import Foundation
import Testing

/// The checkout the tests run in, and the tools they start.
public enum TestWorkspace {
    /// The package root (three levels above this file).
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let certs = packageRoot.appendingPathComponent("certs").path
    public static let fixturePath = packageRoot.appendingPathComponent("fixtures/demo.json").path
    /// The built `yibao` executable (test targets depend on it, so it is built first).
    public static let binary = packageRoot.appendingPathComponent(".build/debug/yibao").path
    public static let roundRobinProxy = packageRoot.appendingPathComponent("tools/testing/round_robin_proxy.py").path
}

/// What a finished process left.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdoutBytes: [UInt8]
    public let stderr: String
    public var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }
}

public enum Processes {
    /// Runs `executable` (looked up on PATH when not absolute) in `cwd` (default: the package root),
    /// feeding `stdin`, and collects both outputs — read side by side, so a chatty stderr cannot block it.
    /// `environment`: added to this process's environment.
    ///
    /// The wait happens on a thread of its own, never on the cooperative pool: a test waiting for a
    /// child (which may be calling a gateway served by this very test process) must not take one
    /// of the pool's few threads from the in-process gateways of the tests running beside it.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], stdin: [UInt8]? = nil, cwd: URL? = nil,
                           environment: [String: String] = [:]) async throws -> ProcessResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try runBlocking(executable, arguments, stdin: stdin, cwd: cwd, environment: environment) })
            }.start()
        }
    }

    private static func runBlocking(_ executable: String, _ arguments: [String], stdin: [UInt8]?, cwd: URL?,
                                    environment: [String: String]) throws -> ProcessResult {
        let process = Process()
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        if executable.hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        process.currentDirectoryURL = cwd ?? TestWorkspace.packageRoot
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin)) }
        try input.fileHandleForWriting.close()
        nonisolated(unsafe) var errData = Data()
        let errThread = Thread { errData = err.fileHandleForReading.readDataToEndOfFile() }
        errThread.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while errThread.isExecuting || !errThread.isFinished { usleep(1000) }
        return ProcessResult(status: process.terminationStatus, stdoutBytes: [UInt8](outData), stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// A long-running child process that prints the URL it listens on (`yibao serve --port 0`, the
/// round-robin proxy); stopped with SIGTERM, once.
public final class ListeningProcess: Sendable {
    private let process: Process
    /// The URL the process printed.
    public let url: String
    /// Everything it printed up to the URL (the serve banner).
    public let banner: String
    /// Its process id.
    public var processIdentifier: Int32 { process.processIdentifier }

    /// Starts `executable` and waits (at most 60 s) for a line naming `http://HOST:PORT` with `hostPattern`.
    /// `errorFile`: where its standard error goes (default: nowhere).
    public init(_ executable: String, _ arguments: [String], hostPattern: String = #"127\.0\.0\.1"#, errorFile: String? = nil,
                environment: [String: String] = [:]) throws {
        let process = Process()
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = TestWorkspace.packageRoot
        process.standardOutput = output
        if let errorFile, FileManager.default.createFile(atPath: errorFile, contents: nil), let handle = FileHandle(forWritingAtPath: errorFile) {
            process.standardError = handle
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while !text.contains("listening on http://"), Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let range = text.range(of: "http://" + hostPattern + ":[0-9]+", options: .regularExpression) else {
            process.terminate()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "\((executable as NSString).lastPathComponent) did not start: \(text)"])
        }
        self.process = process
        url = String(text[range])
        banner = text
    }

    /// `yibao serve --port 0 --data-dir DIR --certs certs/` plus `extra`.
    public static func serve(dataDirectory: String, extra: [String] = [], hostPattern: String = #"127\.0\.0\.1"#, errorFile: String? = nil,
                             environment: [String: String] = [:]) throws -> ListeningProcess {
        try ListeningProcess(TestWorkspace.binary, ["serve", "--port", "0", "--data-dir", dataDirectory, "--certs", TestWorkspace.certs] + extra,
                             hostPattern: hostPattern, errorFile: errorFile, environment: environment)
    }

    /// tools/testing/round_robin_proxy.py over `backends`.
    public static func roundRobin(_ backends: [String]) throws -> ListeningProcess {
        try ListeningProcess("/usr/bin/env", ["python3", TestWorkspace.roundRobinProxy, "--listen", "127.0.0.1:0"] + backends)
    }

    /// Stops the process (SIGTERM); stopping it again does nothing. A process still running 15 s
    /// later is killed and the running test fails saying so: a server that does not shut down is a
    /// bug, and waiting for it would hang the suite.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("\((process.executableURL?.lastPathComponent ?? "the process")) did not stop within 15 s of SIGTERM; killed")
        }
        process.waitUntilExit()
    }
}
