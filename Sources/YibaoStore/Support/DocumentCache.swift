import Foundation
import Synchronization

/// Decoded documents by their stored JSON text. Records are kept as JSON documents (an
/// institution with its agreement history runs to kilobytes) and the request path reads the same
/// few — the institution, its app, its practitioners — on every request; decoding them again each
/// time was the largest cost after the cryptography (docs/PERFORMANCE.md). Decoding is a pure
/// function of the text, so a value found under the exact bytes it was decoded from is the value
/// decoding would give: a changed record has other text and is decoded afresh. Bounded: when full,
/// the cache starts over.
final class DocumentCache: Sendable {
    /// The process-wide cache both stores use.
    static let shared = DocumentCache(capacity: 2048)

    private struct Key: Hashable, @unchecked Sendable {
        let type: ObjectIdentifier
        let bytes: [UInt8]

        func hash(into hasher: inout Hasher) {
            hasher.combine(type)
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }

        static func == (a: Key, b: Key) -> Bool {
            a.type == b.type && a.bytes.count == b.bytes.count
                && a.bytes.withUnsafeBytes { x in b.bytes.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 } }
        }
    }

    private let capacity: Int
    private let entries = Mutex<[Key: any Sendable]>([:])

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// The value `text` decodes to as `type`, decoded with `decode` only the first time.
    func value<T: Sendable>(_ type: T.Type, text: String, decode: (String) throws -> T) rethrows -> T {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return try decode(text) }
        let key = Key(type: ObjectIdentifier(type), bytes: bytes)
        if let hit = entries.withLock({ $0[key] }) as? T { return hit }
        let value = try decode(text)
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = value
        }
        return value
    }
}
