import Foundation

/// 费用明细 — one uploaded fee line of a visit (2204), with the platform's classification.
public struct FeeDetail: Sendable, Codable, Hashable {
    public enum Status: String, Sendable, Codable { case uploaded, cancelled, settled }

    public var mdtrtId: String
    public var feedetlSn: String
    public var chrgBchno: String
    public var line: FeeLine
    public var result: LineResult
    public var status: Status
    public var uploadedAt: Date
    /// 医保处方编号 of a circulated-prescription line (`rxno` with `rx_circ_flag` 1).
    public var hiRxno: String?
    /// The `msgid` of the 2204 that uploaded it (a 2601 of that message cancels it).
    public var msgid: String?

    public init(mdtrtId: String, feedetlSn: String, chrgBchno: String, line: FeeLine, result: LineResult, uploadedAt: Date, hiRxno: String? = nil) {
        self.mdtrtId = mdtrtId
        self.feedetlSn = feedetlSn
        self.chrgBchno = chrgBchno
        self.line = line
        self.result = result
        self.status = .uploaded
        self.uploadedAt = uploadedAt
        self.hiRxno = hiRxno
    }
}

/// 门诊结算 — an outpatient settlement by FSI 2207, cancellable by 2208.
public struct OutpatientSettlement: Sendable, Codable, Hashable {
    public enum Status: String, Sendable, Codable { case settled, cancelled }

    public var setlId: String
    public var mdtrtId: String
    public var psnNo: String
    public var institutionCode: String
    public var chrgBchno: String
    public var result: SettlementResult
    public var status: Status
    public var settledAt: Date
    public var cancelledAt: Date?
    /// The `msgid` of the 2601 reversal that cancelled it (a 2208 leaves it nil): 5203 calls it reversed.
    public var reversedBy: String?
    /// The `msgid` of the 2207 that settled it (what a 2601 names as `omsgid`).
    public var msgid: String?
    /// The request digest and answer of 2207, for an idempotent retry.
    public var requestDigest: String
    /// PY-11: the receipt the settlement yielded.
    public var receipt: Receipt?
    /// Findings that did not refuse it (smart-audit flags, XR-7), kept for manual review (PY-10), as 6201 keeps them.
    public var flags: [String]?
    /// PY-10: the reviewers' decisions on those flags.
    public var flagReviews: [FlagReview]?
    public var answer: String

    public init(setlId: String, mdtrtId: String, psnNo: String, institutionCode: String, chrgBchno: String, result: SettlementResult,
                settledAt: Date, requestDigest: String, answer: String) {
        self.setlId = setlId
        self.mdtrtId = mdtrtId
        self.psnNo = psnNo
        self.institutionCode = institutionCode
        self.chrgBchno = chrgBchno
        self.result = result
        self.status = .settled
        self.settledAt = settledAt
        self.requestDigest = requestDigest
        self.answer = answer
    }
}
