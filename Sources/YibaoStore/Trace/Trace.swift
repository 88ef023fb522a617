import Foundation
import YibaoCore
import YibaoCrypto

/// Something that happened, to be appended to the tamper-evident trace (SV-2, RX-5).
/// The payload carries identifiers (psn_no, mdtrt_id, codes), never names or ID numbers (SV-5).
public struct TraceEvent: Sendable, Hashable {
    public var at: Date
    /// What happened, e.g. `fsi.2201`, `hse.ec.query`, `admin.agreement.sign`.
    public var kind: String
    /// Who did it: an institution code, `admin`, a channel id, `platform`.
    public var actor: String
    /// What it happened to: an mdtrt_id, psn_no, institution code …
    public var subject: String
    /// `accepted` or `refused:<CODE>`.
    public var outcome: String
    /// Further facts as a flat JSON object of strings.
    public var payload: [String: String]

    public init(at: Date, kind: String, actor: String, subject: String, outcome: String = "accepted", payload: [String: String] = [:]) {
        self.at = at
        self.kind = kind
        self.actor = actor
        self.subject = subject
        self.outcome = outcome
        self.payload = payload
    }
}

extension TraceEvent {
    /// Longest text member the store keeps in a trace entry.
    public static let storedTextLimit = 2_000

    /// The event with every text member cut to `limit` characters (a note says how much went),
    /// so no single request can make the append-only trace grow without bound.
    public func capped(to limit: Int) -> TraceEvent {
        func cut(_ text: String) -> String { text.cappedUTF8(limit) }
        var event = self
        event.kind = cut(kind)
        event.actor = cut(actor)
        event.subject = cut(subject)
        event.outcome = cut(outcome)
        event.payload = Dictionary(payload.sorted { $0.key < $1.key }.prefix(64).map { (cut($0.key), cut($0.value)) }, uniquingKeysWith: { first, _ in first })
        return event
    }
}

/// A stored trace entry. `hash` = SM3 over ``canonicalText``, which includes the previous
/// entry's hash, so changing, removing or reordering any entry breaks every later hash.
/// Byte-level definition: docs/TRACE.md.
public struct TraceEntry: Sendable, Hashable, Codable {
    public var seq: Int64
    /// Epoch milliseconds.
    public var atMillis: Int64
    public var kind: String
    public var actor: String
    public var subject: String
    public var outcome: String
    /// Compact JSON, keys sorted.
    public var payload: String
    /// Hex SM3 of the previous entry; 64 zeros for the first.
    public var previousHash: String
    /// Hex SM3 of ``canonicalText``.
    public var hash: String

    /// The 64-zero hash that precedes the first entry.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// The bytes hashed: one line per field, in this order, each `name=value`, joined by "\n".
    public var canonicalText: String {
        ["seq=\(seq)", "at=\(atMillis)", "kind=\(kind)", "actor=\(actor)", "subject=\(subject)",
         "outcome=\(outcome)", "payload=\(payload)", "prev=\(previousHash)"].joined(separator: "\n")
    }

    /// The hash this entry should carry.
    public func computedHash() throws -> String { Hex.encode(try SM3.hash(Array(canonicalText.utf8))) }

    /// Builds the next entry after `previous` for `event`.
    public static func next(after previous: TraceEntry?, event: TraceEvent) throws -> TraceEntry {
        let payload = JSONValue.object(JSONObject(event.payload.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .string($0.value)) }))
            .serialized(sortedKeys: true)
        var entry = TraceEntry(seq: (previous?.seq ?? 0) + 1, atMillis: Int64((event.at.timeIntervalSince1970 * 1000).rounded()),
                               kind: event.kind, actor: event.actor, subject: event.subject, outcome: event.outcome,
                               payload: payload, previousHash: previous?.hash ?? genesisHash, hash: "")
        entry.hash = try entry.computedHash()
        return entry
    }
}

/// Checks a trace offline: every entry's hash, every link, no gaps in `seq`.
public struct TraceVerifier {
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public var seq: Int64
        public var reason: String
        public var description: String { "entry \(seq): \(reason)" }
    }

    public struct Report: Sendable {
        public var entries: Int64 = 0
        public var head: TraceEntry?
        public var problems: [Problem] = []
        public var isIntact: Bool { problems.isEmpty }
    }

    private var previous: TraceEntry?
    public private(set) var report = Report()

    public init() {}

    /// Feeds the next entry in seq order.
    public mutating func check(_ entry: TraceEntry) {
        report.entries += 1
        let expectedSeq = (previous?.seq ?? 0) + 1
        if entry.seq != expectedSeq {
            report.problems.append(.init(seq: entry.seq, reason: "expected seq \(expectedSeq): \(entry.seq - expectedSeq) entr\(entry.seq - expectedSeq == 1 ? "y is" : "ies are") missing or out of order"))
        }
        let expectedPrevious = previous?.hash ?? TraceEntry.genesisHash
        if entry.previousHash != expectedPrevious {
            report.problems.append(.init(seq: entry.seq, reason: "prev is \(entry.previousHash.prefix(16))…, but the entry before it hashes to \(expectedPrevious.prefix(16))…"))
        }
        let computed = (try? entry.computedHash()) ?? "(SM3 failed)"
        if computed != entry.hash {
            report.problems.append(.init(seq: entry.seq, reason: "its content does not match its hash (stored \(entry.hash.prefix(16))…, computed \(computed.prefix(16))…): the entry was altered"))
        }
        previous = entry
        report.head = entry
    }
}
