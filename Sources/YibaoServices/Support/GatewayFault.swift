/// Faults are data of the use cases: a service that honours one (e.g. `payTwice` in 6202) reads it from its context.
/// A deliberate rule violation a gateway can be started with, to check that the conformance
/// tester's `gateway` suite notices it (the cases whose catalogue entry `detects` it fail, no others).
public enum GatewayFault: String, Sendable, Hashable, CaseIterable, Codable {
    /// FSI `cainfo` and HSE `signData` are not verified (PROTOCOL-ENVELOPE).
    case acceptBadSignature = "accept-bad-signature"
    /// E-voucher QR codes and wallet authorisation codes may be used again (ID-2).
    case reuseToken = "reuse-token"
    /// A retried 6202 pay_order is paid a second time instead of answered idempotently (PY-6).
    case payTwice = "pay-twice"
    /// FSI `inf_time` and HSE `timestamp` are not checked against the ±300 s window (PROTOCOL-REPLAY).
    case skipTimeWindow = "skip-time-window"
    /// A message already processed (same FSI msgid, same HSE signData) is processed again (PROTOCOL-REPLAY).
    case acceptReplay = "accept-replay"

    public var summary: String {
        switch self {
        case .acceptBadSignature: "FSI cainfo and HSE signData are not verified"
        case .reuseToken: "QR codes and wallet authorisation codes are accepted more than once"
        case .payTwice: "a retried 6202 pay_order is paid again"
        case .skipTimeWindow: "inf_time and timestamp are not checked against the time window"
        case .acceptReplay: "a replayed msgid or signData is processed again"
        }
    }
}
