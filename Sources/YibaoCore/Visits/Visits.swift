import Foundation

/// 就诊 — an outpatient visit opened by 2201 registration (`mdtrt_id`).
public struct Registration: Sendable, Codable, Hashable {
    public enum Status: String, Sendable, Codable { case registered, cancelled }

    /// 就诊 ID, issued by the platform.
    public var mdtrtId: String
    public var psnNo: String
    public var institutionCode: String
    public var insutype: String
    /// 门诊号 `ipt_otp_no`, the hospital's own number.
    public var iptOtpNo: String
    public var beginTime: String
    public var medium: IdentityMedium
    /// ID-1: when the patient was authenticated through the e-voucher for this visit after registering by
    /// another medium (an ecToken presented with 2207); nil if not (or if registered with the e-voucher).
    public var voucherAuthenticatedAt: Date?
    public var doctorCode: String
    public var doctorName: String
    public var deptCode: String
    public var deptName: String
    /// 科别 `caty`.
    public var caty: String
    public var status: Status
    public var registeredAt: Date
    public var cancelledAt: Date?
    /// The `msgid` of the 2601 reversal that cancelled it, if a reversal did.
    public var reversedBy: String?
    /// 医疗类别 `med_type` and the diagnoses of 2203 (5201, 5202 answer them); nil before 2203.
    public var medType: String?
    public var diagnoses: [Diagnosis]?
    /// SC-4: the person is insured in another province than the institution's (异地); every visit registered through
    /// this platform is an Internet+ one. nil on visits stored before it was recorded.
    public var offSite: Bool?

    public init(mdtrtId: String, psnNo: String, institutionCode: String, insutype: String, iptOtpNo: String, beginTime: String,
                medium: IdentityMedium, doctorCode: String, doctorName: String, deptCode: String, deptName: String, caty: String,
                registeredAt: Date) {
        self.mdtrtId = mdtrtId
        self.psnNo = psnNo
        self.institutionCode = institutionCode
        self.insutype = insutype
        self.iptOtpNo = iptOtpNo
        self.beginTime = beginTime
        self.medium = medium
        self.doctorCode = doctorCode
        self.doctorName = doctorName
        self.deptCode = deptCode
        self.deptName = deptName
        self.caty = caty
        self.status = .registered
        self.registeredAt = registeredAt
    }

    /// 2202: cancels the registration of `psnNo` at `institution`; once only.
    public mutating func cancel(psnNo: String, institution: String, at now: Date) throws {
        guard institution == institutionCode else {
            throw DomainError(.visitOtherInstitution, .forbidden, rule: .protocolFields, pointer: "/input/data/mdtrt_id",
                              "visit \(mdtrtId) belongs to institution \(institutionCode)", expected: institutionCode, actual: institution)
        }
        guard psnNo == self.psnNo else {
            throw DomainError(.visitOtherPerson, .invalid, rule: .protocolFields, pointer: "/input/data/psn_no",
                              "visit \(mdtrtId) belongs to another person", expected: self.psnNo, actual: psnNo)
        }
        guard status == .registered else {
            throw DomainError(.visitAlreadyCancelled, .conflict, rule: .protocolFields, pointer: "/input/data/mdtrt_id",
                              "visit \(mdtrtId) was already cancelled at \(cancelledAt.map(Timestamps.iso) ?? "?")")
        }
        status = .cancelled
        cancelledAt = now
    }
}

/// 诊断信息 — one diagnosis of a visit as 2203 uploads it (`diseinfo`) and 5202 answers it.
public struct Diagnosis: Sendable, Codable, Hashable {
    /// `diag_type`: 1 Western medicine, 2 TCM main disease, 3 TCM syndrome.
    public var type: String
    /// `diag_srt_no`: order of the diagnosis.
    public var sortNo: String
    /// `diag_code` (ICD-10) and `diag_name`.
    public var code: String
    public var name: String
    /// `diag_dept`, `dise_dor_no` (diagnosing doctor), `dise_dor_name`, `diag_time`.
    public var dept: String
    public var doctorCode: String
    public var doctorName: String
    public var time: String
    /// `vali_flag`: 1 valid.
    public var valid: Bool

    public init(type: String, sortNo: String, code: String, name: String, dept: String, doctorCode: String, doctorName: String, time: String, valid: Bool) {
        self.type = type
        self.sortNo = sortNo
        self.code = code
        self.name = name
        self.dept = dept
        self.doctorCode = doctorCode
        self.doctorName = doctorName
        self.time = time
        self.valid = valid
    }
}

/// A prior offline (in-person) visit for a condition, which makes a later online visit a
/// follow-up (SC-3).
public struct OfflineVisit: Sendable, Codable, Hashable {
    public var psnNo: String
    /// Diagnosis code (ICD-10), e.g. `E11.900` type 2 diabetes.
    public var diseaseCode: String
    public var diseaseName: String
    public var institutionCode: String
    /// yyyy-MM-dd.
    public var visitDate: String

    public init(psnNo: String, diseaseCode: String, diseaseName: String, institutionCode: String, visitDate: String) {
        self.psnNo = psnNo
        self.diseaseCode = diseaseCode
        self.diseaseName = diseaseName
        self.institutionCode = institutionCode
        self.visitDate = visitDate
    }
}
