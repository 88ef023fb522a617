import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// One keep-alive HTTP/1.1 connection of `yibao bench gateway`: it writes a request's bytes as they
/// are and reads back the status and the body, one request in flight, nothing else — no connection
/// pool, no request state machines. A generator on the gateway's own machine takes CPU the gateway
/// could have had; this one costs a few tens of microseconds per request, where a general HTTP
/// client cost about 0.2 ms (docs/PERFORMANCE.md). `https` URLs speak TLS with the system's trust.
final class LoadConnection: Sendable {
    /// An HTTP answer: its status code and body.
    struct Answer: Sendable {
        var status: Int
        var body: [UInt8]
    }

    /// Why a connection gave up.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Where the load goes: a gateway's base URL (`http://host:port`, `https://…`, with a path
    /// prefix such as a sandbox's `/sandboxes/ID` kept), read once for every connection of a run.
    struct Target: Sendable {
        let host: String
        let port: Int
        /// The `Host` header: the host (IPv6 in brackets) and the port unless it is the scheme's.
        let hostHeader: String
        /// Put before every request's path (no trailing `/`; empty for none).
        let pathPrefix: String
        /// For `https`: one TLS context for the run, the system's trust.
        let tls: NIOSSLContext?

        init(_ base: URL) throws {
            guard let scheme = base.scheme?.lowercased(), scheme == "http" || scheme == "https", let host = base.host, !host.isEmpty else {
                throw Failure(description: "\(base) is not an http:// or https:// URL")
            }
            self.host = host
            port = base.port ?? (scheme == "https" ? 443 : 80)
            let named = host.contains(":") ? "[\(host)]" : host
            hostHeader = port == (scheme == "https" ? 443 : 80) ? named : "\(named):\(port)"
            var prefix = base.path
            while prefix.hasSuffix("/") { prefix.removeLast() }
            pathPrefix = prefix
            tls = scheme == "https" ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
        }

        /// The host name to send as TLS SNI: none for an IP address (its certificate is checked against the address).
        var serverName: String? {
            var ipv4 = in_addr()
            var ipv6 = in6_addr()
            if inet_pton(AF_INET, host, &ipv4) == 1 || inet_pton(AF_INET6, host, &ipv6) == 1 { return nil }
            return host
        }
    }

    private let channel: any Channel
    private let target: Target

    private init(channel: any Channel, target: Target) {
        self.channel = channel
        self.target = target
    }

    /// Opens a connection to `target`.
    static func connect(to target: Target) async throws -> LoadConnection {
        let (tls, serverName) = (target.tls, target.serverName)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverName)) }
                    try channel.pipeline.syncOperations.addHandler(AnswerReader())
                }
            }
            .connect(host: target.host, port: target.port).get()
        return LoadConnection(channel: channel, target: target)
    }

    /// Whether the connection is still open (the gateway closes idle ones, and those it answered
    /// with `Connection: close`).
    var isOpen: Bool { channel.isActive }

    /// POSTs `body` (JSON) to the target's `path` and returns the answer once all of it has
    /// arrived. Throws when the request cannot be written (the connection is closed), when the
    /// connection closes before the whole answer, or after `timeout` without it; the connection is
    /// then of no further use. One request at a time: another one sent meanwhile fails.
    func post(path: String, body: [UInt8], timeout: TimeAmount = .seconds(30)) async throws -> Answer {
        var bytes = channel.allocator.buffer(capacity: body.count + 200)
        bytes.writeString("POST \(target.pathPrefix)\(path) HTTP/1.1\r\nHost: \(target.hostHeader)\r\n"
                          + "Content-Type: application/json; charset=utf-8\r\nContent-Length: \(body.count)\r\n\r\n")
        bytes.writeBytes(body)
        let answer = channel.eventLoop.makePromise(of: Answer.self)
        let written = channel.eventLoop.makePromise(of: Void.self)
        // A write on a closed channel never reaches the reader: its failure is the answer's.
        written.futureResult.whenFailure { answer.fail($0) }
        let timer = channel.eventLoop.scheduleTask(in: timeout) {
            answer.fail(Failure(description: "no whole answer within \(timeout.nanoseconds / 1_000_000_000) s"))
        }
        answer.futureResult.whenComplete { _ in timer.cancel() }
        channel.writeAndFlush(AnswerReader.Request(bytes: bytes, answer: answer), promise: written)
        return try await answer.futureResult.get()
    }

    func close() async {
        try? await channel.close()
    }
}

/// Writes a request and reads its answer: the status line, the headers (`Content-Length` or
/// chunked), the body. A connection the gateway closes, or an answer it cannot read, fails the
/// request in flight.
private final class AnswerReader: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Request
    typealias OutboundOut = ByteBuffer

    struct Request: Sendable {
        var bytes: ByteBuffer
        var answer: EventLoopPromise<LoadConnection.Answer>
    }

    private var answer: EventLoopPromise<LoadConnection.Answer>?
    private var received: ByteBuffer?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard answer == nil else {
            // One request in flight: the one already waiting keeps its answer.
            let failure = LoadConnection.Failure(description: "a request was sent before the previous answer")
            request.answer.fail(failure)
            promise?.fail(failure)
            return
        }
        answer = request.answer
        received?.clear()
        context.writeAndFlush(wrapOutboundOut(request.bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if received == nil { received = incoming } else { received!.writeBuffer(&incoming) }
        guard let buffer = received else { return }
        switch Self.parse(buffer) {
        case .incomplete:
            return
        case .failed(let reason):
            fail(reason)
            context.close(promise: nil)
        case .complete(let result, let closes):
            received?.clear()
            let waiting = answer
            answer = nil
            waiting?.succeed(result)
            if closes { context.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail("the gateway closed the connection")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail("\(error)")
        context.close(promise: nil)
    }

    private func fail(_ reason: String) {
        let waiting = answer
        answer = nil
        waiting?.fail(LoadConnection.Failure(description: reason))
    }

    enum Parsed {
        case incomplete
        case failed(String)
        /// The answer, and whether the gateway closes the connection after it.
        case complete(LoadConnection.Answer, closes: Bool)
    }

    /// An HTTP/1.1 answer read from the start of `buffer` (bytes compared in place: this runs for
    /// every answer of the load).
    static func parse(_ buffer: ByteBuffer) -> Parsed {
        buffer.withUnsafeReadableBytes { bytes -> Parsed in
            guard let headEnd = find(crlfcrlf, in: bytes, from: 0) else {
                return bytes.count > 64 * 1024 ? .failed("an answer's head longer than 64 KiB") : .incomplete
            }
            // "HTTP/1.x NNN reason": exactly three digits between a space and a space or the line's end.
            guard headEnd >= 12, bytes.starts(with: Array("HTTP/1.".utf8)), bytes[8] == UInt8(ascii: " "),
                  (9..<12).allSatisfy({ bytes[$0] >= UInt8(ascii: "0") && bytes[$0] <= UInt8(ascii: "9") }),
                  bytes[12] == UInt8(ascii: " ") || bytes[12] == 13, let status = decimal(bytes, 9..<12) else {
                return .failed("not an HTTP/1.1 answer")
            }
            var length: Int?
            var sawLength = false
            var chunked = false
            var closes = false
            var lineStart = (find(crlf, in: bytes, from: 0) ?? headEnd) + 2
            while lineStart < headEnd {
                let lineEnd = find(crlf, in: bytes, from: lineStart) ?? headEnd
                if let colon = (lineStart..<lineEnd).first(where: { bytes[$0] == UInt8(ascii: ":") }) {
                    var valueStart = colon + 1
                    while valueStart < lineEnd, bytes[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
                    if named("content-length", bytes, lineStart..<colon) {
                        sawLength = true
                        length = decimal(bytes, valueStart..<lineEnd)
                    } else if named("transfer-encoding", bytes, lineStart..<colon) {
                        chunked = contains("chunked", bytes, valueStart..<lineEnd)
                    } else if named("connection", bytes, lineStart..<colon) {
                        closes = contains("close", bytes, valueStart..<lineEnd)
                    }
                }
                lineStart = lineEnd + 2
            }
            let bodyStart = headEnd + 4
            if chunked {
                var body: [UInt8] = []
                var position = bodyStart
                while true {
                    guard let sizeEnd = find(crlf, in: bytes, from: position) else { return .incomplete }
                    var size = 0
                    var digits = 0
                    for index in position..<sizeEnd {
                        guard let digit = hexDigit(bytes[index]) else { break }
                        size = size * 16 + digit
                        digits += 1
                        if digits > 8 { return .failed("a chunk size over 8 hex digits") }
                    }
                    guard digits > 0 else { return .failed("a malformed chunk size") }
                    let dataStart = sizeEnd + 2
                    if size == 0 {
                        // The last chunk, then trailer lines, if any, up to an empty line.
                        var trailer = dataStart
                        while true {
                            guard let lineEnd = find(crlf, in: bytes, from: trailer) else { return .incomplete }
                            if lineEnd == trailer { return .complete(.init(status: status, body: body), closes: closes) }
                            trailer = lineEnd + 2
                        }
                    }
                    guard body.count + size <= maximumBody else { return .failed("an answer body over \(maximumBody) bytes") }
                    guard bytes.count - dataStart >= size + 2 else { return .incomplete }
                    guard bytes[dataStart + size] == 13, bytes[dataStart + size + 1] == 10 else { return .failed("a chunk not ended by CRLF") }
                    body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[dataStart..<(dataStart + size)]))
                    position = dataStart + size + 2
                }
            }
            if sawLength, length == nil { return .failed("a malformed Content-Length") }
            // No length and not chunked: only answers that never have a body (a body read to the close is not supported).
            guard length != nil || (100..<200).contains(status) || status == 204 || status == 304 else {
                return .failed("an answer with neither Content-Length nor chunked encoding")
            }
            let count = length ?? 0
            guard count <= maximumBody else { return .failed("an answer body of \(count) bytes, over \(maximumBody)") }
            guard bytes.count - bodyStart >= count else { return .incomplete }
            return .complete(.init(status: status, body: Array(UnsafeRawBufferPointer(rebasing: bytes[bodyStart..<(bodyStart + count)]))), closes: closes)
        }
    }

    /// The longest answer body read (the gateway's are a few KiB).
    static let maximumBody = 16 << 20
    private static let crlf: [UInt8] = [13, 10]
    private static let crlfcrlf: [UInt8] = [13, 10, 13, 10]

    /// Where `needle` first starts in `bytes` at or after `from`.
    private static func find(_ needle: [UInt8], in bytes: UnsafeRawBufferPointer, from: Int) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        var index = from
        while index <= bytes.count - needle.count {
            if bytes[index] == needle[0] {
                var matched = 1
                while matched < needle.count, bytes[index + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return index }
            }
            index += 1
        }
        return nil
    }

    /// The decimal number spelt by `range` (digits only, at most 9), nil otherwise.
    private static func decimal(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        var end = range.upperBound
        while end > range.lowerBound, bytes[end - 1] == UInt8(ascii: " ") { end -= 1 }
        guard range.lowerBound < end, end - range.lowerBound <= 9 else { return nil }
        var value = 0
        for index in range.lowerBound..<end {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func hexDigit(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }

    /// Whether the header name in `range` is `name` (lower case), ignoring case.
    private static func named(_ name: StaticString, _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        guard range.count == name.utf8CodeUnitCount else { return false }
        let expected = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        for offset in 0..<range.count where bytes[range.lowerBound + offset] | 0x20 != expected[offset] { return false }
        return true
    }

    /// Whether `word` (lower case) occurs in `range`, ignoring case.
    private static func contains(_ word: StaticString, _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        let expected = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard range.count >= expected.count else { return false }
        for start in range.lowerBound...(range.upperBound - expected.count) {
            if (0..<expected.count).allSatisfy({ bytes[start + $0] | 0x20 == expected[$0] }) { return true }
        }
        return false
    }
}
