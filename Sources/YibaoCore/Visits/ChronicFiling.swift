import Foundation

/// 门诊慢特病备案 — a person's filing of an outpatient chronic or special disease (FSI 2503, cancelled
/// by 2504, queried by 5301). The disease must be on the region's catalogue of fileable diseases
/// (the policy's chronic categories, SC-1); an Internet+ follow-up of a filed disease is in scope.
public struct ChronicFiling: Sendable, Codable, Hashable {
    public enum Status: String, Sendable, Codable { case filed, cancelled }

    /// 待遇申报明细流水号 `trt_dcla_detl_sn`, issued by the platform.
    public var trtDclaDetlSn: String
    public var psnNo: String
    /// `insutype` the benefit is filed under.
    public var insutype: String
    /// 门慢门特病种目录代码 `opsp_dise_code` and name `opsp_dise_name`.
    public var diseaseCode: String
    public var diseaseName: String
    /// The designated institution that filed it (`fixmedins_code`).
    public var institutionCode: String
    /// `begndate` / `enddate`: yyyy-MM-dd, both inclusive.
    public var beginDate: String
    public var endDate: String
    /// 鉴定医师 `atddr_no`/`doc_name`, 诊断医院 `hosp_dise_diag_date` etc. are kept as sent.
    public var doctorCode: String
    public var doctorName: String
    public var diagnosisDate: String
    public var status: Status
    public var filedAt: Date
    public var cancelledAt: Date?
    public var cancelReason: String?

    /// Checks the dates (yyyy-MM-dd, begin ≤ end) and the catalogue (SC-1); `pointer` names the `data` node.
    public init(trtDclaDetlSn: String, psnNo: String, insutype: String, diseaseCode: String, diseaseName: String, institutionCode: String,
                beginDate: String, endDate: String, doctorCode: String, doctorName: String, diagnosisDate: String, catalogue: [String],
                at now: Date, pointer: String) throws {
        guard Timestamps.parseDay(beginDate) != nil else {
            throw DomainError.invalidValue(pointer + "/begndate", "begndate must be yyyy-MM-dd", expected: "yyyy-MM-dd", actual: beginDate)
        }
        guard Timestamps.parseDay(endDate) != nil else {
            throw DomainError.invalidValue(pointer + "/enddate", "enddate must be yyyy-MM-dd", expected: "yyyy-MM-dd", actual: endDate)
        }
        guard beginDate <= endDate else {
            throw DomainError.invalidValue(pointer + "/enddate", "enddate must not be before begndate", expected: "≥ \(beginDate)", actual: endDate)
        }
        let category = OnlineScope.category(diseaseCode)
        guard catalogue.contains(category) else {
            throw DomainError(.chronicDiseaseNotFileable, .forbidden, rule: .sc1, pointer: pointer + "/opsp_dise_code",
                              "\(diseaseCode) is not on the region's catalogue of outpatient chronic and special diseases that may be filed",
                              expected: catalogue.joined(separator: " | "), actual: diseaseCode)
        }
        self.trtDclaDetlSn = trtDclaDetlSn
        self.psnNo = psnNo
        self.insutype = insutype
        self.diseaseCode = diseaseCode
        self.diseaseName = diseaseName
        self.institutionCode = institutionCode
        self.beginDate = beginDate
        self.endDate = endDate
        self.doctorCode = doctorCode
        self.doctorName = doctorName
        self.diagnosisDate = diagnosisDate
        self.status = .filed
        self.filedAt = now
    }

    /// In force on `day` (yyyy-MM-dd).
    public func inForce(on day: String) -> Bool { status == .filed && beginDate <= day && day <= endDate }

    /// Whether it covers diagnosis `code` (same ICD-10 category).
    public func covers(_ code: String) -> Bool { OnlineScope.category(code) == OnlineScope.category(diseaseCode) }

    /// 2504: cancels the filing, once, by the institution that filed it.
    public mutating func cancel(at now: Date, reason: String, pointer: String) throws {
        guard status == .filed else {
            throw DomainError(.chronicFilingAlreadyCancelled, .conflict, rule: .sc1, pointer: pointer,
                              "filing \(trtDclaDetlSn) was already cancelled at \(cancelledAt.map(Timestamps.fsi) ?? "?")")
        }
        status = .cancelled
        cancelledAt = now
        cancelReason = reason
    }
}
