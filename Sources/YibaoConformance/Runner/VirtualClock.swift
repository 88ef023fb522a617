import Foundation
import Synchronization
import YibaoCrypto

/// The tester's clock: the target's time (its test clock when it has one) plus the real time
/// elapsed since, plus every jump a case makes. Cases never wait: to see a QR code expire they
/// jump, and move the target's test clock by the same amount. Following real time keeps the
/// tester inside the target's ±300 s window however slow the target or the network is.
public final class VirtualClock: WallClock, Sendable {
    /// The target's time at `anchor` (real time).
    private let state: Mutex<(base: Date, anchor: Date)>

    public init(start: Date) {
        state = Mutex((start, Date()))
    }

    public func now() -> Date { state.withLock { $0.base.addingTimeInterval(Date().timeIntervalSince($0.anchor)) } }

    /// Jumps forward by `seconds`.
    @discardableResult
    public func advance(by seconds: TimeInterval) -> Date {
        state.withLock {
            $0.base = $0.base.addingTimeInterval(seconds)
            return $0.base.addingTimeInterval(Date().timeIntervalSince($0.anchor))
        }
    }

    /// Sets the clock (to follow the target's test clock after it moved).
    public func set(_ date: Date) {
        state.withLock { $0 = (date, Date()) }
    }
}

/// SplitMix64: a small, fully specified generator, so `--seed N` gives the same numbers, and so
/// the same messages, on every machine and Swift version.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` decimal digits.
    public mutating func digits(_ count: Int) -> String {
        String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &self))) })
    }

    /// `bytes` random bytes as lowercase hex.
    public mutating func hex(bytes: Int) -> String {
        (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &self)) }.joined()
    }
}
