import ArgumentParser
import Foundation
import YibaoCrypto

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput: the crypto on one core, or a running gateway under load.",
        discussion: """
        Examples:
          yibao bench crypto --seconds 2
          bash scripts/bench-gateway.sh --connections 16 --duration 10
        """,
        subcommands: [CryptoBenchCommand.self, GatewayBenchCommand.self]
    )
}

struct CryptoBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crypto",
        abstract: "Print ops/s for SM2 and P-256 sign/verify and MB/s for SM4, on one core.",
        discussion: """
        Each figure runs for --seconds on a 20-byte message (as `openssl speed` does) after a short \
        warm-up. SM2 runs on this package's own curve arithmetic (CSM2); a registered key (one the \
        gateway verifies institutions with) carries a comb that makes verification faster still. The \
        (OpenSSL) lines run the same operations through OpenSSL's generic elliptic-curve code. \
        Compare with: openssl speed -seconds 2 sm2 ecdsap256

        Examples:
          yibao bench crypto
          yibao bench crypto --seconds 5
        """
    )

    @Option(name: .long, help: "Seconds per measurement.")
    var seconds: Double = 2

    func validate() throws {
        guard seconds > 0, seconds <= 60 else { throw ValidationError("--seconds must be in (0, 60]") }
    }

    func run() throws {
        let message = [UInt8](repeating: 0x61, count: 20)
        let sm2 = try SM2.PrivateKey()
        let sm2Public = try sm2.publicKey
        for _ in 1..<SM2.PublicKey.combAfterUses { _ = try SM2.PublicKey.cached(base64: sm2Public.base64) }
        let sm2Registered = try SM2.PublicKey.cached(base64: sm2Public.base64)
        let sm2Signature = try sm2.signature(for: message)
        let p256 = try P256.PrivateKey()
        let p256Public = try p256.publicKey
        let p256Signature = try p256.signature(for: message)

        print("yibao bench crypto (\(seconds) s each, one core, 20-byte messages)")
        try report("SM2 sign", unit: "ops/s") { _ = try sm2.signature(for: message) }
        try report("SM2 verify", unit: "ops/s") { guard sm2Public.isValidSignature(sm2Signature, for: message) else { throw ExitCode(2) } }
        try report("SM2 verify, registered key", unit: "ops/s") { guard sm2Registered.isValidSignature(sm2Signature, for: message) else { throw ExitCode(2) } }
        try report("SM2 sign (OpenSSL)", unit: "ops/s") { _ = try sm2.openSSLSignature(for: message) }
        try report("SM2 verify (OpenSSL)", unit: "ops/s") { guard sm2Public.isValidOpenSSLSignature(sm2Signature, for: message) else { throw ExitCode(2) } }
        try report("P-256 sign", unit: "ops/s") { _ = try p256.signature(for: message) }
        try report("P-256 verify", unit: "ops/s") { guard p256Public.isValidSignature(p256Signature, for: message) else { throw ExitCode(2) } }

        let key = [UInt8](repeating: 7, count: 16)
        for size in [16, 1024, 16384] {
            let context = try SM4Context(encrypt: true, key: key, mode: .ecb, padding: .none)
            let block = [UInt8](repeating: 0x5A, count: size)
            let (count, elapsed) = try measure { _ = try context.update(block) }
            let megabytes = Double(count * size) / 1_000_000 / elapsed
            print("  SM4-ECB encrypt \(String(size).padding(toLength: 5, withPad: " ", startingAt: 0)) B blocks  \(String(format: "%10.1f", megabytes)) MB/s")
        }
    }

    private func report(_ name: String, unit: String, _ body: () throws -> Void) throws {
        let (count, elapsed) = try measure(body)
        print("  \(name.padding(toLength: 26, withPad: " ", startingAt: 0))  \(String(format: "%10.0f", Double(count) / elapsed)) \(unit)")
    }

    /// Runs `body` repeatedly for `seconds` (after 10 % warm-up); returns the count and the elapsed seconds.
    private func measure(_ body: () throws -> Void) throws -> (Int, Double) {
        let warmUp = Date().addingTimeInterval(seconds * 0.1)
        while Date() < warmUp { try body() }
        let start = DispatchTime.now().uptimeNanoseconds
        let end = start + UInt64(seconds * 1e9)
        var count = 0
        var now = start
        while now < end {
            for _ in 0..<16 { try body() }
            count += 16
            now = DispatchTime.now().uptimeNanoseconds
        }
        return (count, Double(now - start) / 1e9)
    }
}
