import Foundation

/// 取药方式 — the three dispensing routes of RX-3.
public enum DispensingRoute: String, Sendable, Codable, CaseIterable {
    /// 01 at the prescribing institution's own pharmacy.
    case atInstitution = "01"
    /// 02 home delivery (paid on the courier's mobile terminal).
    case homeDelivery = "02"
    /// 03 at a designated retail pharmacy, after downloading the circulated prescription.
    case retailPharmacy = "03"

    public var label: String {
        switch self {
        case .atInstitution: "at the institution"
        case .homeDelivery: "home delivery"
        case .retailPharmacy: "designated retail pharmacy"
        }
    }
}

/// A designated pharmacy's pharmacist review of a circulated prescription (`rx_chk_up_info`).
public struct PharmacyReview: Sendable, Codable, Hashable {
    /// `rx_chk_biz_sn`, the platform's number for the upload.
    public var businessSerial: String
    public var institutionCode: String
    public var pharmacistCode: String
    /// `rx_chk_stas_codg`: 1 approved, 2 rejected.
    public var status: String
    public var opinion: String
    public var reviewedAt: String
    public var signVerification: String
    public var at: Date

    public init(businessSerial: String, institutionCode: String, pharmacistCode: String, status: String, opinion: String, reviewedAt: String,
                signVerification: String, at: Date) {
        self.businessSerial = businessSerial
        self.institutionCode = institutionCode
        self.pharmacistCode = pharmacistCode
        self.status = status
        self.opinion = opinion
        self.reviewedAt = reviewedAt
        self.signVerification = signVerification
        self.at = at
    }
}

/// One dispensing of a prescription (RX-3, RX-4, RX-5).
public struct Dispensing: Sendable, Codable, Hashable {
    public var dispenseNo: String
    public var at: Date
    public var institutionCode: String
    public var route: DispensingRoute
    public var pharmacistCode: String
    /// medListCodg → the drug traceability codes (追溯码) scanned at sale.
    public var traceCodes: [String: [String]]
    /// For home delivery: courier company and waybill number.
    public var courier: String?
    public var waybillNo: String?

    public init(dispenseNo: String, at: Date, institutionCode: String, route: DispensingRoute, pharmacistCode: String,
                traceCodes: [String: [String]], courier: String? = nil, waybillNo: String? = nil) {
        self.dispenseNo = dispenseNo
        self.at = at
        self.institutionCode = institutionCode
        self.route = route
        self.pharmacistCode = pharmacistCode
        self.traceCodes = traceCodes
        self.courier = courier
        self.waybillNo = waybillNo
    }
}

/// The platform's record of a circulated prescription: its stage, the current signed document,
/// downloads and dispensings. 处方状态 rxStasCodg: 1 有效 valid, 2 已失效 expired, 3 已撤销 revoked;
/// 使用状态 rxUsedStasCodg: 1 not dispensed, 2 partly (repeatable), 3 dispensed.
public struct PrescriptionRecord: Sendable, Codable, Hashable {
    public enum Stage: String, Sendable, Codable {
        /// uploadChk passed: rxTraceCode issued.
        case prechecked
        /// rxFixmedinsSign: the platform countersigned.
        case countersigned
        /// rxFileUpld: circulating, may be downloaded and dispensed.
        case circulating
        /// rxUndo.
        case revoked
    }

    /// 医保处方编号.
    public var hiRxno: String
    /// Single-use trace code from uploadChk, spent by rxFileUpld.
    public var rxTraceCode: String
    public var rxTraceCodeUsedAt: Date?
    public var hospRxno: String
    public var institutionCode: String
    public var psnNo: String
    public var mdtrtId: String
    public var stage: Stage
    /// The signed prescription (yibao-rx/1 JSON text) at the current stage.
    public var document: String
    public var prescribedAt: Date
    public var validUntil: Date
    public var maxRepeats: Int
    public var minIntervalDays: Int
    /// medListCodg of every drug line, in order.
    public var drugCodes: [String]
    /// drugCnt of every drug line, in order (boxes; one traceability code per box).
    public var drugCounts: [String]
    public var precheckedAt: Date
    public var countersignedAt: Date?
    public var uploadedAt: Date?
    public var revokedAt: Date?
    public var undoReason: String?
    /// Institution code → when it downloaded the prescription.
    public var downloads: [String: Date]
    /// The CMS signDigest values rxFixmedinsSign answered (dialects with `prescription.signDigest` cms).
    public var cmsSignDigests: [String]?
    /// The e-prescription token (`epc_token`) given to each pharmacy that downloaded it, by institution code.
    public var epcTokens: [String: String]?
    /// Signature verifications done for pharmacies (`rx_sign_verify_sn` → the pharmacy's code).
    public var signVerifications: [String: String]?
    /// Pharmacist reviews uploaded by pharmacies (`rx_chk_up_info`), newest last.
    public var pharmacyReviews: [PharmacyReview]?
    public var dispensings: [Dispensing]
    /// The payment order that settled it (smart audit: never settled twice).
    public var settledBy: String?
    /// The visit's main diagnosis (`maindiagCode`): the condition the prescription follows up (SC-3
    /// at settlement). Nil on records kept before it was.
    public var mainDiagnosisCode: String?

    public init(hiRxno: String, rxTraceCode: String, prescription: Prescription, document: String, at: Date) {
        self.hiRxno = hiRxno
        self.rxTraceCode = rxTraceCode
        self.hospRxno = prescription.hospRxno
        self.institutionCode = prescription.institutionCode
        self.psnNo = prescription.psnNo
        self.mdtrtId = prescription.mdtrtId
        self.stage = .prechecked
        self.document = document
        self.prescribedAt = prescription.prescribedAt
        self.mainDiagnosisCode = prescription.mainDiagnosisCode.isEmpty ? nil : prescription.mainDiagnosisCode
        self.validUntil = prescription.valiEndTime
        self.maxRepeats = max(1, prescription.maxRepeats)
        self.minIntervalDays = max(0, prescription.minIntervalDays)
        self.drugCodes = prescription.drugs.map(\.code)
        self.drugCounts = prescription.drugs.map(\.count)
        self.precheckedAt = at
        self.downloads = [:]
        self.dispensings = []
    }

    /// rxStasCodg at `now`, as the real centre codes it: 1 有效 (valid), 2 已失效 (expired), 3 已撤销 (revoked).
    public func statusCode(at now: Date) -> String {
        if stage == .revoked { return "3" }
        if now > validUntil { return "2" }
        return "1"
    }

    /// rxStasName for ``statusCode(at:)``.
    public func statusName(at now: Date) -> String { Self.statusNames[statusCode(at: now)] ?? "" }
    public static let statusNames = ["1": "有效", "2": "已失效", "3": "已撤销"]

    /// rxUsedStasCodg: 1 not dispensed, 2 dispensed and may be again (repeatable), 3 used up.
    public var usedStatusCode: String {
        dispensings.isEmpty ? "1" : dispensings.count < maxRepeats ? "2" : "3"
    }

    /// rxUsedStasName for ``usedStatusCode`` (no public list: ours, docs/PRESCRIPTION.md §6.5).
    public var usedStatusName: String { ["1": "未取药", "2": "部分取药", "3": "已取药"][usedStatusCode] ?? "" }

    // MARK: Rules

    /// The prescription may be handed out (downloaded or dispensed) at `now`: circulating (RX-1),
    /// not revoked, not expired (RX-2), not used up (RX-4).
    public func requireDispensable(at now: Date, pointer: String) throws {
        switch stage {
        case .prechecked, .countersigned:
            throw DomainError(.rxNotCirculating, .conflict, rule: .rx1, pointer: pointer,
                              "prescription \(hiRxno) has not been uploaded (rxFileUpld) after the platform's countersignature; it cannot be dispensed yet")
        case .revoked:
            throw DomainError(.rxRevoked, .conflict, rule: .rx1, pointer: pointer,
                              "prescription \(hiRxno) was revoked by \(institutionCode) at \(revokedAt.map(Timestamps.fsi) ?? "?"): \(undoReason ?? "")")
        case .circulating: break
        }
        guard now >= prescribedAt else {
            throw DomainError(.rxNotYetValid, .forbidden, rule: .rx2, pointer: pointer,
                              "prescription \(hiRxno) is dated \(Timestamps.fsi(prescribedAt)), later than now")
        }
        guard now <= validUntil else {
            throw DomainError(.rxExpired, .forbidden, rule: .rx2, pointer: pointer,
                              "prescription \(hiRxno) expired at \(Timestamps.fsi(validUntil)); an expired prescription cannot be dispensed — the patient needs a new one",
                              expected: "at or before \(Timestamps.fsi(validUntil))", actual: Timestamps.fsi(now))
        }
        guard dispensings.count < maxRepeats else {
            let last = dispensings.last
            throw DomainError(.rxAlreadyDispensed, .conflict, rule: .rx4, pointer: pointer,
                              "prescription \(hiRxno) was already dispensed \(dispensings.count) time(s) (at most \(maxRepeats)); last by \(last?.institutionCode ?? "?") at \(last.map { Timestamps.fsi($0.at) } ?? "?")")
        }
        if let last = dispensings.last, minIntervalDays > 0 {
            let next = last.at.addingTimeInterval(TimeInterval(minIntervalDays * 86_400))
            guard now >= next else {
                throw DomainError(.rxRepeatTooSoon, .conflict, rule: .rx4, pointer: pointer,
                                  "a repeat of \(hiRxno) is allowed \(minIntervalDays) days after the last dispensing, from \(Timestamps.fsi(next))",
                                  expected: "at or after \(Timestamps.fsi(next))", actual: Timestamps.fsi(now))
            }
        }
    }

    /// Records a download by a retail pharmacy (RX-4).
    public mutating func recordDownload(by institution: String, at now: Date, pointer: String) throws {
        try requireDispensable(at: now, pointer: pointer)
        downloads[institution] = now
    }

    /// Dispenses once along `route` (RX-3), with a traceability code for every drug line (RX-5),
    /// no code sold before, within the repeat limits (RX-4) and validity (RX-2).
    public mutating func dispense(_ dispensing: Dispensing, prescribingKind institutionIsPrescriber: Bool, isRetailPharmacy: Bool,
                                  pointer: String) throws {
        try requireDispensable(at: dispensing.at, pointer: pointer + "/hiRxno")
        switch dispensing.route {
        case .atInstitution:
            guard institutionIsPrescriber else {
                throw DomainError(.rxRouteNotAllowed, .forbidden, rule: .rx3, pointer: pointer + "/route",
                                  "route 01 (at the institution) is for the prescribing institution \(institutionCode) itself")
            }
        case .homeDelivery:
            guard institutionIsPrescriber || isRetailPharmacy else {
                throw DomainError(.rxRouteNotAllowed, .forbidden, rule: .rx3, pointer: pointer + "/route",
                                  "route 02 (home delivery) is for the prescribing institution or a designated retail pharmacy")
            }
            if isRetailPharmacy && !institutionIsPrescriber && downloads[dispensing.institutionCode] == nil {
                throw DomainError(.rxNotDownloaded, .conflict, rule: .rx4, pointer: pointer + "/hiRxno",
                                  "a pharmacy delivers from the circulated prescription: download it (rxDownload) with the patient's e-voucher first")
            }
            guard !(dispensing.courier ?? "").isEmpty, !(dispensing.waybillNo ?? "").isEmpty else {
                throw DomainError(.rxDeliveryIncomplete, .invalid, rule: .rx5, pointer: pointer + "/delivery",
                                  "home delivery records the courier and the waybill number so delivery stays traceable")
            }
        case .retailPharmacy:
            guard isRetailPharmacy else {
                throw DomainError(.rxRouteNotAllowed, .forbidden, rule: .rx3, pointer: pointer + "/route",
                                  "route 03 is for a designated retail pharmacy")
            }
            guard downloads[dispensing.institutionCode] != nil else {
                throw DomainError(.rxNotDownloaded, .conflict, rule: .rx4, pointer: pointer + "/hiRxno",
                                  "the pharmacy dispenses from the circulated prescription: download it (rxDownload) with the patient's e-voucher first")
            }
        }
        if let unknown = dispensing.traceCodes.keys.sorted().first(where: { !drugCodes.contains($0) }) {
            throw DomainError(.rxTraceCodeUnknownDrug, .invalid, rule: .rx5, pointer: pointer + "/traceCodes",
                              "traceability codes are given for \(unknown), which is not a drug line of the prescription")
        }
        for (index, code) in drugCodes.enumerated() {
            let codes = dispensing.traceCodes[code] ?? []
            guard !codes.isEmpty, codes.allSatisfy({ !$0.isEmpty }) else {
                throw DomainError(.rxTraceCodesMissing, .invalid, rule: .rx5, pointer: pointer + "/traceCodes",
                                  "drug line \(index + 1) (\(code)) has no traceability code: scan the code on every box sold")
            }
            if let boxes = Int(drugCounts[index]), codes.count != boxes {
                throw DomainError(.rxTraceCodesCount, .invalid, rule: .rx5, pointer: pointer + "/traceCodes",
                                  "drug line \(index + 1) (\(code)) sells \(boxes) box(es): scan one traceability code per box",
                                  expected: String(boxes), actual: String(codes.count))
            }
        }
        let scanned = dispensing.traceCodes.values.flatMap { $0 }
        if Set(scanned).count != scanned.count {
            throw DomainError(.rxTraceCodeReused, .conflict, rule: .rx5, pointer: pointer + "/traceCodes",
                              "the same traceability code is scanned twice in one dispensing")
        }
        let sold = Set(dispensings.flatMap { $0.traceCodes.values.flatMap { $0 } })
        if let reused = scanned.first(where: sold.contains) {
            throw DomainError(.rxTraceCodeReused, .conflict, rule: .rx5, pointer: pointer + "/traceCodes",
                              "traceability code \(reused) was already sold with this prescription")
        }
        dispensings.append(dispensing)
    }

    /// rxUndo: the prescribing institution revokes a prescription that has not been dispensed.
    public mutating func revoke(by institution: String, reason: String, at now: Date, pointer: String) throws {
        guard institution == institutionCode else {
            // As for an unknown number: another institution's prescriptions cannot be probed.
            throw DomainError(.rxUnknown, .notFound, rule: .rx1, pointer: pointer + "/hiRxno", "no prescription \(hiRxno)")
        }
        guard stage != .revoked else {
            throw DomainError(.rxRevoked, .conflict, rule: .rx1, pointer: pointer + "/hiRxno", "prescription \(hiRxno) was already revoked")
        }
        guard dispensings.isEmpty else {
            throw DomainError(.rxAlreadyDispensed, .conflict, rule: .rx4, pointer: pointer + "/hiRxno",
                              "prescription \(hiRxno) has been dispensed and can no longer be revoked")
        }
        stage = .revoked
        revokedAt = now
        undoReason = reason
    }
}

/// SC-1 and SC-3: Internet diagnosis is for follow-up visits of common and chronic diseases,
/// of a patient with a prior offline visit for the same condition.
public enum OnlineScope {
    /// ICD-10 categories counted as common and chronic diseases — a policy setting (PolicyProfile).
    public static let defaultChronicCategories = ["E03", "E05", "E10", "E11", "E78", "F32", "G40", "I10", "I11", "I20", "I25", "I48",
                                                  "I50", "J44", "J45", "K21", "K29", "M17", "M81", "N18"]

    /// The ICD-10 category (first 3 characters) of a code.
    public static func category(_ code: String) -> String { String(code.prefix(3)).uppercased() }

    /// SC-1 for an Internet prescription (bizTypeCode 02): a follow-up, of a disease on `categories` (the
    /// catalogue of the person's place of insurance, XR-1) or of one the person has filed (2503) and
    /// whose filing is in force on the prescription's day.
    public static func requireFollowUpOfChronicDisease(_ prescription: Prescription, categories: [String], filings: [ChronicFiling] = [],
                                                       pointer: String) throws {
        guard prescription.bizTypeCode == "02" else { return }
        guard prescription.isFollowUp else {
            throw DomainError(.scopeFirstVisitOnline, .forbidden, rule: .sc1, pointer: pointer + "/mdtrtinfo/fstdiagFlag",
                              "Internet diagnosis is limited to follow-up visits; a first visit (fstdiagFlag 1) must happen offline",
                              expected: "0", actual: prescription.visit[key: "fstdiagFlag"])
        }
        let category = category(prescription.mainDiagnosisCode)
        let day = Timestamps.day(prescription.prescribedAt)
        let filed = filings.contains { $0.inForce(on: day) && $0.covers(prescription.mainDiagnosisCode) }
        guard categories.contains(category) || filed else {
            throw DomainError(.scopeDiseaseNotChronic, .forbidden, rule: .sc1, pointer: pointer + "/mdtrtinfo/maindiagCode",
                              "\(prescription.mainDiagnosisCode) is neither on the place of insurance's list of common and chronic diseases for online follow-up nor a chronic disease the person has filed (2503)",
                              expected: categories.joined(separator: " | "), actual: prescription.mainDiagnosisCode)
        }
    }

    /// SC-3: a prior offline visit of the person for the same condition (same ICD-10 category), before the prescription.
    public static func requirePriorOfflineVisit(_ prescription: Prescription, visits: [OfflineVisit], pointer: String) throws {
        guard prescription.bizTypeCode == "02" else { return }
        let category = category(prescription.mainDiagnosisCode)
        let day = Timestamps.day(prescription.prescribedAt)
        guard visits.contains(where: { Self.category($0.diseaseCode) == category && $0.visitDate <= day }) else {
            throw DomainError(.scopeNoPriorOfflineVisit, .forbidden, rule: .sc3, pointer: pointer + "/mdtrtinfo/maindiagCode",
                              "no offline visit of \(prescription.psnNo) for \(category) before \(day) is on record: the patient is not a follow-up patient for this condition")
        }
    }
}
