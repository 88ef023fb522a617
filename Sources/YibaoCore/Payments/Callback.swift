import Foundation

/// 结算结果通知 — a settlement callback to the hospital's URL: a signed HSE message, identical on
/// every retry, retried with exponential backoff until acknowledged.
public struct Callback: Sendable, Codable, Hashable {
    public enum State: String, Sendable, Codable { case pending, delivered, abandoned }

    public var id: String
    public var institutionCode: String
    public var payOrdId: String
    public var url: String
    /// The sealed envelope, JSON text: the same bytes on every attempt.
    public var body: String
    public var state: State
    public var attempts: Int
    public var createdAt: Date
    public var nextAttemptAt: Date
    public var deliveredAt: Date?
    /// One line per attempt: time, outcome.
    public var log: [String]

    public init(id: String, institutionCode: String, payOrdId: String, url: String, body: String, createdAt: Date, firstAttemptAt: Date) {
        self.id = id
        self.institutionCode = institutionCode
        self.payOrdId = payOrdId
        self.url = url
        self.body = body
        self.state = .pending
        self.attempts = 0
        self.createdAt = createdAt
        self.nextAttemptAt = firstAttemptAt
        self.log = []
    }

    /// Records a failed attempt and schedules the next: base × 2^(attempts−1), at most `maxAttempts` in all.
    public mutating func failed(at now: Date, reason: String, policy: CallbackPolicy) {
        attempts += 1
        log.append("\(Timestamps.iso(now)) attempt \(attempts): \(reason)")
        if attempts >= policy.maxAttempts {
            state = .abandoned
        } else {
            let delay = Double(policy.baseDelaySeconds) * pow(2, Double(attempts - 1))
            nextAttemptAt = now.addingTimeInterval(min(delay, Double(policy.maxDelaySeconds)))
        }
    }

    /// Records the acknowledgement.
    public mutating func delivered(at now: Date) {
        attempts += 1
        log.append("\(Timestamps.iso(now)) attempt \(attempts): acknowledged")
        state = .delivered
        deliveredAt = now
    }
}

/// Retry settings of settlement callbacks (a policy-profile setting; PROTOCOL.md leaves them open).
public struct CallbackPolicy: Sendable, Codable, Hashable {
    /// Delay before the second attempt; doubled after every failure.
    public var baseDelaySeconds: Int = 5
    public var maxDelaySeconds: Int = 3600
    public var maxAttempts: Int = 10

    public init() {}
    public static let standard = CallbackPolicy()
}

/// Faults a hospital can switch on for its own callback handler, to test it (issue 5 §4).
public struct CallbackFaults: Sendable, Codable, Hashable {
    /// Hold each first delivery this many seconds.
    public var delaySeconds: Int = 0
    /// Deliver every callback twice.
    public var duplicate: Bool = false
    /// Deliver pending callbacks newest first.
    public var outOfOrder: Bool = false

    public init(delaySeconds: Int = 0, duplicate: Bool = false, outOfOrder: Bool = false) {
        self.delaySeconds = delaySeconds
        self.duplicate = duplicate
        self.outOfOrder = outOfOrder
    }

    /// Every member is optional in JSON.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        delaySeconds = try container.decodeIfPresent(Int.self, forKey: .delaySeconds) ?? 0
        duplicate = try container.decodeIfPresent(Bool.self, forKey: .duplicate) ?? false
        outOfOrder = try container.decodeIfPresent(Bool.self, forKey: .outOfOrder) ?? false
    }
}
