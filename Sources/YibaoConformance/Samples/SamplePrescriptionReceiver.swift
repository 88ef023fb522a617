import Foundation
import Hummingbird
import YibaoCore
import YibaoCrypto

/// A sample receiver of circulated e-prescriptions (处方流转), the pharmacy's side: the reference a
/// pharmacy developer copies, and the target the conformance tester's `prescription-receiver`
/// suite drives.
///
/// The platform POSTs an HSE **request** envelope (docs/ENVELOPE.md) sealed with the platform's
/// SM2 key for this institution's app, whose business data is
/// `{"pushType":"RX_CIRCULATE","hiRxno":"…","signedPrescription":{…}}`, the document being the
/// signed file `yibao-rx/1` (docs/PRESCRIPTION.md §4, checked as in §5). The receiver trusts nothing it cannot check offline: the document's
/// three signatures — doctor, pharmacist, platform — are verified against the dev PKI.
///
/// A strict receiver checks, in this order (each refusal is `{"code":N,"message":"…"}` naming the field):
///
/// | step | check | refusal |
/// |---|---|---|
/// | 1 | the body is a JSON object whose `appId` is ours | 400, code 1 |
/// | 2 | the envelope opens: decrypts with our appSecret, `signData` verifies with the platform's key | 401, code 2 |
/// | 3 | a signature already **accepted** is a retry: the same acknowledgement again | — |
/// | 4 | `timestamp` within ±`windowSeconds` of our clock | 401, code 3 |
/// | 5 | `data` is `{"pushType":"RX_CIRCULATE","hiRxno":…,"signedPrescription":{"format":"yibao-rx/1",…}}` and the document reads | 400, code 4 |
/// | 6 | `PrescriptionVerifier` passes for all three parties | 422, code 6 (the failing checks' codes) |
/// | 7 | the countersignature's `hiRxno` is `data.hiRxno` | 422, code 7 |
/// | 8 | no *different* document was accepted under this `hiRxno` (the same one again is acknowledged) | 409, code 8 |
/// | 9 | keep it, remember the signature, acknowledge `{"code":0,"message":"accepted","hiRxno":…}` | — |
///
/// Steps 1, 2 and 4 are `SampleEnvelopeGate`, shared with ``SampleCallbackReceiver``.
///
/// `sloppy: true` makes the deliberately bad receiver: it acknowledges everything that is JSON.
public actor SamplePrescriptionReceiver {
    /// What the receiver has done so far, for demos and tests.
    public struct Tally: Sendable, Hashable {
        /// Distinct prescriptions (`hiRxno`s) accepted.
        public var prescriptionsAccepted = 0
        /// Retries acknowledged again without processing: byte-identical pushes, or the same document
        /// pushed again in a new envelope.
        public var duplicatesIgnored = 0
        /// Pushes refused (any non-zero code).
        public var refused = 0
        /// Acknowledgements sent (`code` 0), retries and sloppy ones included.
        public var acknowledged = 0

        public init() {}
    }

    /// The `pushType` of a circulated prescription.
    public static let pushType = "RX_CIRCULATE"

    public let appId: String
    public let windowSeconds: Int
    public let sloppy: Bool
    private let gate: SampleEnvelopeGate
    private let verifier: PrescriptionVerifier
    private let clock: any WallClock

    /// Accepted prescriptions by `hiRxno`, with the canonical bytes of the document accepted.
    private var prescriptions: [String: (document: SignedPrescription, canonical: String)] = [:]
    /// Accepted pushes: hex of the signature bytes → the acknowledgement we sent.
    private var acknowledgements: [String: [UInt8]] = [:]
    private var tally = Tally()

    /// - Parameters:
    ///   - appId, appSecret: this institution's app credentials (`demo-credentials.json`).
    ///   - platformPublicKey: the platform's SM2 key (`platform.publicKey`), which signs every push.
    ///   - verifier: the trust store for the prescriptions' signatures (roots, intermediates, CRLs,
    ///     the platform's signing certificate).
    ///   - windowSeconds: how far `timestamp` may be from our clock, either way (exactly ± is accepted).
    ///   - sloppy: acknowledge everything that is JSON, check nothing (the bad receiver).
    ///   - clock: our clock for the timestamp window.
    public init(appId: String, appSecret: String, platformPublicKey: SM2.PublicKey, verifier: PrescriptionVerifier,
                profile: HSEProfile = .nhsa20, windowSeconds: Int = SampleCallbackReceiver.defaultWindowSeconds, sloppy: Bool = false,
                clock: any WallClock = SystemWallClock()) {
        self.appId = appId
        self.windowSeconds = windowSeconds
        self.sloppy = sloppy
        self.verifier = verifier
        self.clock = clock
        gate = SampleEnvelopeGate(appId: appId, appSecret: appSecret, platformPublicKey: platformPublicKey, profile: profile,
                                  windowSeconds: windowSeconds)
    }

    /// What it processed: prescriptions accepted, duplicates ignored, refusals, acknowledgements.
    public var processed: Tally { tally }

    /// The prescription accepted under `hiRxno`, if any.
    public func prescription(hiRxno: String) -> SignedPrescription? { prescriptions[hiRxno]?.document }

    /// Handles one POSTed body; returns (HTTP status, JSON answer bytes).
    public func handle(_ body: [UInt8]) -> (status: Int, body: [UInt8]) {
        if sloppy { return acknowledgeBlindly(body) }
        do {
            return try process(body)
        } catch {
            tally.refused += 1
            return error.answer
        }
    }

    /// The strict receiver, steps 1–9 of the type's documentation.
    private func process(_ body: [UInt8]) throws(SampleRefusal) -> (status: Int, body: [UInt8]) {
        // 1–2. Ours, and authentic.
        let opened = try gate.open(try gate.parse(body))

        // 3. A retry of a push we already accepted.
        let signature = gate.signatureKey(opened)
        if let acknowledgement = acknowledgements[signature] {
            tally.duplicatesIgnored += 1
            tally.acknowledged += 1
            return (200, acknowledgement)
        }

        // 4. Fresh.
        try gate.checkFresh(opened, now: clock.now())

        // 5. The push and the document.
        guard case .object(let data)? = opened.data else {
            throw SampleRefusal(status: 400, code: 4, message: "/data: the decrypted business data must be a JSON object")
        }
        let pushType = try SampleEnvelopeGate.requireString(data, "pushType")
        guard pushType == Self.pushType else {
            throw SampleRefusal(status: 400, code: 4, message: "/data/pushType: must be \(Self.pushType), got \"\(pushType)\"")
        }
        let hiRxno = try SampleEnvelopeGate.requireString(data, "hiRxno")
        guard let documentValue = data["signedPrescription"] else {
            throw SampleRefusal(status: 400, code: 4, message: "/data/signedPrescription is missing (a \(SignedPrescription.format) document)")
        }
        guard case .object(let documentObject) = documentValue else {
            throw SampleRefusal(status: 400, code: 4, message: "/data/signedPrescription must be a \(SignedPrescription.format) document (a JSON object)")
        }
        let base = "/data/signedPrescription"
        // A bare prescription (no `format`) would read too; a circulated one must be the signed file.
        guard documentObject["format"]?.stringValue == SignedPrescription.format else {
            throw SampleRefusal(status: 400, code: 4, message: "\(base)/format must be \"\(SignedPrescription.format)\", got "
                                + (documentObject["format"]?.serialized() ?? "nothing"))
        }
        let document: SignedPrescription
        do {
            document = try SignedPrescription(json: documentObject, pointer: base)
        } catch let error as DomainError {
            throw SampleRefusal(status: 400, code: 4, message: "\(error.pointer): \(error.code.rawValue): \(error.detail)")
        } catch {
            throw SampleRefusal(status: 400, code: 4, message: "\(base): the document does not read: \(error)")
        }

        // 6. Doctor, pharmacist and platform signatures, each signer's certificate at signing time.
        let failures = verifier.verify(document).filter { !$0.passed }
        guard failures.isEmpty else {
            let listed = failures.map { "\($0.code) (\($0.party.rawValue) at \(base)\($0.pointer): \($0.detail))" }
            throw SampleRefusal(status: 422, code: 6, message: "\(base): the prescription does not verify: " + listed.joined(separator: "; "))
        }

        // 7. The countersignature names the prescription we were told about.
        let countersigned = document.platform?.hiRxno ?? ""
        guard countersigned == hiRxno else {
            throw SampleRefusal(status: 422, code: 7, message: "\(base)/platformSignature/hiRxno: the platform countersigned \(countersigned), "
                                + "but /data/hiRxno is \(hiRxno)")
        }

        // 8. One prescription per hiRxno: the same document again is a retry, a different one a conflict.
        let canonical = JSONValue.object(documentObject).serialized(sortedKeys: true)
        let acknowledgement = SampleAnswer.body(code: 0, message: "accepted", extra: [.init(key: "hiRxno", value: .string(hiRxno))])
        if let earlier = prescriptions[hiRxno] {
            guard earlier.canonical == canonical else {
                throw SampleRefusal(status: 409, code: 8, message: "/data/hiRxno: \(hiRxno) was already accepted with a different document; "
                                    + "a circulated prescription is never replaced")
            }
            tally.duplicatesIgnored += 1
        } else {
            // 9. Keep it. A real pharmacy would store it with the signature it remembers, in one transaction.
            prescriptions[hiRxno] = (document, canonical)
            tally.prescriptionsAccepted = prescriptions.count
        }
        acknowledgements[signature] = acknowledgement
        tally.acknowledged += 1
        return (200, acknowledgement)
    }

    /// The bad receiver: "accepted" for any JSON, unread and unverified.
    private func acknowledgeBlindly(_ body: [UInt8]) -> (status: Int, body: [UInt8]) {
        guard (try? JSONValue.parse(body)) != nil else {
            tally.refused += 1
            return SampleRefusal(status: 400, code: 1, message: "the body is not JSON").answer
        }
        tally.acknowledged += 1
        return (200, SampleAnswer.body(code: 0, message: "accepted"))
    }

    // MARK: HTTP

    /// `POST /prescriptions`: collects the body (at most 1 MiB) and answers what `handle` says.
    public nonisolated func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        SampleReceiverHTTP.route(router, path: "/prescriptions") { body in await self.handle(body) }
        return router
    }

    /// An application serving `router()` on `host:port` (port 0: any free port); `onRunning` gets the bound port.
    public static func application(_ receiver: SamplePrescriptionReceiver, host: String = "127.0.0.1", port: Int,
                                   onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        SampleReceiverHTTP.application(router: receiver.router(), name: "sample-prescription-receiver", host: host, port: port, onRunning: onRunning)
    }
}
