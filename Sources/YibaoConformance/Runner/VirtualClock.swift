import Foundation
import YibaoCrypto

/// The tester's clock: starts at the target's time (its test clock when it has one) and only
/// moves when a case moves it, so no case ever waits in real time and every message of a run
/// carries a time derived from the start, not from how fast the machine is.
public final class VirtualClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(start: Date) { current = start }

    public func now() -> Date { lock.withLock { current } }

    /// Moves the clock forward by `seconds`.
    @discardableResult
    public func advance(by seconds: TimeInterval) -> Date {
        lock.withLock {
            current = current.addingTimeInterval(seconds)
            return current
        }
    }

    /// Sets the clock (to follow the target's test clock after it moved).
    public func set(_ date: Date) { lock.withLock { current = date } }
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
