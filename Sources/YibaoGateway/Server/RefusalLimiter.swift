import Foundation
import Synchronization

/// A token bucket per source address, spent by refusals of unauthenticated requests (a bad
/// signature, an unknown appId, a body that is not JSON …). Accepted requests cost nothing, so a
/// working integration is never slowed; a source that keeps sending garbage is answered
/// `429 RATE_LIMITED` before its body is even parsed, until the bucket refills. A lock, not an
/// actor: every request is admitted here, and a short critical section costs no executor hop.
public final class RefusalLimiter: Sendable {
    private struct Bucket { var tokens: Double; var updated: ContinuousClock.Instant }
    private let state = Mutex<[String: Bucket]>([:])
    private let burst: Double
    private let perSecond: Double
    private let clock = ContinuousClock()
    /// Sources kept at most; the fullest buckets (those that behave) are forgotten first.
    private let maximumSources = 10_000

    public init(burst: Int, perSecond: Double) {
        self.burst = Double(max(1, burst))
        self.perSecond = max(0.001, perSecond)
    }

    /// Whether `source` may be served now; if not, in how many seconds it may again.
    public func admit(_ source: String) -> (allowed: Bool, retryAfterSeconds: Int) {
        let now = clock.now
        return state.withLock { buckets in
            guard var bucket = buckets[source] else { return (true, 0) }
            refill(&bucket, now: now)
            buckets[source] = bucket
            if bucket.tokens >= 1 { return (true, 0) }
            return (false, max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up))))
        }
    }

    /// Spends one token of `source` for a refusal of an unauthenticated request.
    public func charge(_ source: String) {
        let now = clock.now
        state.withLock { buckets in
            var bucket = buckets[source] ?? Bucket(tokens: burst, updated: now)
            refill(&bucket, now: now)
            bucket.tokens -= 1
            buckets[source] = bucket
            if buckets.count > maximumSources { forgetFullest(&buckets) }
        }
    }

    private func refill(_ bucket: inout Bucket, now: ContinuousClock.Instant) {
        let elapsed = bucket.updated.duration(to: now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        bucket.tokens = min(burst, bucket.tokens + seconds * perSecond)
        bucket.updated = now
    }

    /// Forgets the sources whose bucket is full again (they behave); if that is not enough, the
    /// half least recently charged — memory stays bounded even under rotating addresses.
    private func forgetFullest(_ buckets: inout [String: Bucket]) {
        let now = clock.now
        for key in Array(buckets.keys) {
            var bucket = buckets[key]!
            refill(&bucket, now: now)
            if bucket.tokens >= burst { buckets[key] = nil } else { buckets[key] = bucket }
        }
        if buckets.count > maximumSources {
            let oldest = buckets.sorted { $0.value.updated < $1.value.updated }.prefix(buckets.count / 2).map(\.key)
            for key in oldest { buckets[key] = nil }
        }
    }
}
