import Foundation

/// A sandbox: an isolated world inside one gateway — its own test clock, copy of the fixture,
/// orders and trace — so several CI runs can share one gateway (docs/GATEWAY.md §13). The record
/// lives in the gateway's own store, so every process on one PostgreSQL database knows it; the
/// world itself is a store of its own (``GatewayStore/sandboxStore(name:)``).
public struct SandboxRecord: Sendable, Codable, Hashable {
    /// `sb` and twelve lower-case hex digits.
    public var id: String
    /// What the creator called it (a CI job's name), if anything.
    public var label: String?
    public var createdAt: Date
    /// Raised by every reset: each generation is a store of its own, so a reset never edits a
    /// world another process may be serving from; it replaces it.
    public var generation: Int

    public init(id: String, label: String?, createdAt: Date, generation: Int = 1) {
        self.id = id
        self.label = label
        self.createdAt = createdAt
        self.generation = generation
    }

    /// The name of this generation's store: a SQLite file name or a PostgreSQL schema suffix.
    public var storeName: String { "\(id)_g\(generation)" }

    /// Whether `text` has the form of a sandbox id (anything else is never looked up).
    public static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == 14 && text.hasPrefix("sb") && text.utf8.dropFirst(2).allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// A fresh random id.
    public static func newIdentifier() -> String {
        var generator = SystemRandomNumberGenerator()
        return "sb" + (0..<12).map { _ in String(Int(generator.next() % 16), radix: 16) }.joined()
    }

    /// Whether `name` has the form of ``storeName`` (what a store accepts to open or destroy).
    public static func isWellFormedStoreName(_ name: String) -> Bool {
        guard let separator = name.range(of: "_g") else { return false }
        return isWellFormed(String(name[..<separator.lowerBound])) && Int(name[separator.upperBound...]).map { $0 > 0 } == true
    }
}
