import Foundation

/// An FSI message the platform committed: which transaction a `msgid` of an institution carried
/// and what it made (a settlement, a visit, fee lines, a check's verdict). 2601 reverses by it;
/// the prerequisite checks (2001 before settlement, 3101 before settlement) look for it.
public struct FSIMessage: Sendable, Codable, Hashable {
    public var institutionCode: String
    public var msgid: String
    /// The transaction, e.g. `2207`.
    public var infno: String
    /// What the message is about: the settlement (`setl_id`) of a 2207, the visit (`mdtrt_id`) of a
    /// 2201, 2204 or 3101, the person (`psn_no`) of a 2001.
    public var subject: String
    public var psnNo: String
    public var at: Date
    /// Facts the reversal or a prerequisite check needs (2204: `feedetl_sn` list; 2001: `trt_chk_rslt`).
    public var facts: [String: String]
    /// The 2601 that reversed it: its `msgid`, when, and the answer it got (a repeated 2601 answers it again).
    public var reversedBy: String?
    public var reversedAt: Date?
    public var reversalAnswer: String?

    public init(institutionCode: String, msgid: String, infno: String, subject: String, psnNo: String, at: Date, facts: [String: String] = [:]) {
        self.institutionCode = institutionCode
        self.msgid = msgid
        self.infno = infno
        self.subject = subject
        self.psnNo = psnNo
        self.at = at
        self.facts = facts
    }
}

/// A file an institution uploaded (FSI 9101) or the platform wrote for it (the 3202 result), fetched
/// with 9102 by its `file_qury_no` — by that institution only.
public struct StoredFile: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable { case upload, result }

    /// 文件查询号 `file_qury_no`.
    public var fileQuryNo: String
    public var institutionCode: String
    public var filename: String
    public var kind: Kind
    /// SM3 of the bytes, hex.
    public var sm3: String
    public var size: Int
    public var at: Date
    /// `dld_endtime`: 9102 answers it until then.
    public var expiresAt: Date
    /// The bytes, Base64.
    public var content: String

    public init(fileQuryNo: String, institutionCode: String, filename: String, kind: Kind, sm3: String, size: Int, at: Date, expiresAt: Date, content: String) {
        self.fileQuryNo = fileQuryNo
        self.institutionCode = institutionCode
        self.filename = filename
        self.kind = kind
        self.sm3 = sm3
        self.size = size
        self.at = at
        self.expiresAt = expiresAt
        self.content = content
    }
}
