import Foundation
import YibaoCrypto

/// 电子处方 — an e-prescription with the platform's field names (PROTOCOL.md `uploadChk`):
/// hospRxno, initRxno, rxTypeCode, prscTime, valiDays, valiEndTime, bizTypeCode, mdtrtinfo {…},
/// diseinfo […], rxdrugdetail […], and the repeat settings maxReptCnt / minInrvDays.
///
/// Every leaf is a JSON string, so the canonical bytes are the same in every language
/// (docs/PRESCRIPTION.md §2): compact JSON, object members sorted by key, no whitespace.
public struct Prescription: Sendable, Hashable {
    /// The document as received (member order kept; canonical bytes sort it).
    public let json: JSONObject

    /// Members required at the top, in `mdtrtinfo`, and in each `rxdrugdetail` line.
    public static let requiredTop = ["hospRxno", "rxTypeCode", "prscTime", "valiDays", "valiEndTime", "bizTypeCode"]
    public static let requiredVisit = ["fixmedinsCode", "fixmedinsName", "mdtrtId", "psnNo", "patnName", "drCode", "prscDrName",
                                       "prscDeptCode", "prscDeptName", "fstdiagFlag", "maindiagCode", "maindiagName"]
    public static let requiredDrug = ["medListCodg", "drugGenname", "drugSpec", "drugCnt", "drugPric", "drugSumamt", "usedFrquName"]

    /// The structural bound of `valiDays` (a century): the policy's bounds (RX-2,
    /// `measures.prescriptionMinimumValidityDays` / `prescriptionMaximumValidityDays`) are checked
    /// where a prescription is uploaded, so a stored one still parses when the settings change.
    public static let structuralValidityLimit = 36_600
    public static let repeatRange = 1...12
    public static let intervalRange = 0...366

    /// Validates the shape; `pointer` prefixes the pointers of refusals (e.g. `/prescription`).
    public init(json: JSONObject, pointer: String = "") throws {
        try Self.requireStringLeaves(.object(json), pointer: pointer)
        for key in Self.requiredTop where (json[key]?.stringValue ?? "").isEmpty {
            throw DomainError.missing("\(pointer)/\(key)", "prescription member \"\(key)\"")
        }
        guard case .object(let visit)? = json["mdtrtinfo"] else { throw DomainError.missing("\(pointer)/mdtrtinfo", "\"mdtrtinfo\" (the visit, an object)") }
        for key in Self.requiredVisit where (visit[key]?.stringValue ?? "").isEmpty {
            throw DomainError.missing("\(pointer)/mdtrtinfo/\(key)", "visit member \"\(key)\"")
        }
        guard case .array(let drugs)? = json["rxdrugdetail"], !drugs.isEmpty else {
            throw DomainError.missing("\(pointer)/rxdrugdetail", "\"rxdrugdetail\" (at least one drug line)")
        }
        for (index, drug) in drugs.enumerated() {
            guard case .object(let line) = drug else { throw DomainError.invalidValue("\(pointer)/rxdrugdetail/\(index)", "a drug line must be an object") }
            for key in Self.requiredDrug where (line[key]?.stringValue ?? "").isEmpty {
                throw DomainError.missing("\(pointer)/rxdrugdetail/\(index)/\(key)", "drug member \"\(key)\"")
            }
            guard let count = Decimal(string: line[key: "drugCnt"]), count > 0 else {
                throw DomainError.invalidValue("\(pointer)/rxdrugdetail/\(index)/drugCnt", "drugCnt must be a positive number written as a string", actual: line[key: "drugCnt"])
            }
        }
        guard Timestamps.parseFSI(json[key: "prscTime"]) != nil else {
            throw DomainError.invalidValue("\(pointer)/prscTime", "prscTime must be yyyy-MM-dd HH:mm:ss", actual: json[key: "prscTime"])
        }
        guard Timestamps.parseFSI(json[key: "valiEndTime"]) != nil else {
            throw DomainError.invalidValue("\(pointer)/valiEndTime", "valiEndTime must be yyyy-MM-dd HH:mm:ss", actual: json[key: "valiEndTime"])
        }
        // rxExraAttrCode: 01 dual channel, 02 outpatient pooling, other as 99 (openhis) or 03 (the spec table's copy).
        if let extra = json["rxExraAttrCode"]?.stringValue, !extra.isEmpty, !Self.extraAttributes.keys.contains(extra) {
            throw DomainError.invalidValue("\(pointer)/rxExraAttrCode", "rxExraAttrCode is 01 (dual channel), 02 (outpatient pooling) or 03/99 (other)",
                                           expected: "01 | 02 | 03 | 99", actual: extra)
        }
        // diseinfo: one object (openhis) or a list (the spec table's copy).
        if let diseases = json["diseinfo"], diseases.objectValue == nil, diseases.arrayValue == nil {
            throw DomainError.invalidValue("\(pointer)/diseinfo", "diseinfo is the diagnosis: an object, or a list of them", actual: diseases.serialized())
        }
        guard ["01", "02"].contains(json[key: "bizTypeCode"]) else {
            throw DomainError.invalidValue("\(pointer)/bizTypeCode", "bizTypeCode is 01 (in person) or 02 (Internet hospital)",
                                           expected: "01 | 02", actual: json[key: "bizTypeCode"], rule: .sc4)
        }
        // The real centre's field list spells the interval minInvDays; PROTOCOL.md minInrvDays: either is read.
        for (key, range) in [("maxReptCnt", Self.repeatRange), ("minInrvDays", Self.intervalRange), ("minInvDays", Self.intervalRange)] where json[key] != nil {
            guard let value = Int(json[key: key]), range.contains(value) else {
                throw DomainError.invalidValue("\(pointer)/\(key)", "\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), written as a string",
                                               actual: json[key: key], rule: .rx4)
            }
        }
        guard let days = Int(json[key: "valiDays"]), (1...Self.structuralValidityLimit).contains(days) else {
            throw DomainError.invalidValue("\(pointer)/valiDays", "valiDays must be a whole number of days from 1 to \(Self.structuralValidityLimit)",
                                           actual: json[key: "valiDays"], rule: .rx2)
        }
        self.json = json
        let latest = prescribedAt.addingTimeInterval(TimeInterval(days * 86_400))
        if valiEndTime < prescribedAt || valiEndTime > latest {
            throw DomainError(.rxValidityInvalid, .invalid, rule: .rx2, pointer: "\(pointer)/valiEndTime",
                              "valiEndTime must fall between prscTime and prscTime + valiDays (\(days) days)",
                              expected: "\(json[key: "prscTime"]) … \(Timestamps.fsi(latest))", actual: json[key: "valiEndTime"])
        }
    }

    /// RX-2: `valiDays` within the policy's bounds (`measures.prescriptionMinimumValidityDays` …
    /// `prescriptionMaximumValidityDays`); `pointer` prefixes the refusal's pointer.
    public func requireValidity(within days: ClosedRange<Int>, pointer: String = "") throws {
        let given = Int(json[key: "valiDays"]) ?? 0
        guard days.contains(given) else {
            throw DomainError.invalidValue("\(pointer)/valiDays", "valiDays must be from \(days.lowerBound) to \(days.upperBound) days under this policy profile",
                                           expected: "\(days.lowerBound)…\(days.upperBound)", actual: json[key: "valiDays"], rule: .rx2)
        }
    }

    /// The canonical bytes the doctor signs: compact JSON, keys sorted, UTF-8.
    public var canonicalBytes: [UInt8] { Array(JSONValue.object(json).serialized(sortedKeys: true).utf8) }

    public var visit: JSONObject { json["mdtrtinfo"]?.objectValue ?? [:] }
    /// The diagnoses, whether `diseinfo` was sent as one object or a list.
    public var diagnoses: [JSONObject] {
        switch json["diseinfo"] {
        case .object(let one)?: [one]
        case .array(let list)?: list.compactMap(\.objectValue)
        default: []
        }
    }
    public static let extraAttributes = ["01": "双通道处方", "02": "门诊统筹处方", "03": "其他", "99": "其他"]
    public static let businessTypes = ["01": "定点医疗机构就诊", "02": "互联网医院问诊"]
    public var hospRxno: String { json[key: "hospRxno"] }
    public var bizTypeCode: String { json[key: "bizTypeCode"] }
    public var prescribedAt: Date { Timestamps.parseFSI(json[key: "prscTime"]) ?? .distantPast }
    public var valiEndTime: Date { Timestamps.parseFSI(json[key: "valiEndTime"]) ?? .distantPast }
    public var institutionCode: String { visit[key: "fixmedinsCode"] }
    public var mdtrtId: String { visit[key: "mdtrtId"] }
    public var psnNo: String { visit[key: "psnNo"] }
    public var doctorCode: String { visit[key: "drCode"] }
    public var deptCode: String { visit[key: "prscDeptCode"] }
    public var mainDiagnosisCode: String { visit[key: "maindiagCode"] }
    /// 初诊标志 fstdiagFlag: "1" first visit, "0" follow-up (复诊).
    public var isFollowUp: Bool { visit[key: "fstdiagFlag"] == "0" }
    /// 最大复用次数: how many times it may be dispensed (default 1).
    public var maxRepeats: Int { Int(json[key: "maxReptCnt"]) ?? 1 }
    /// 最小复用间隔天数 between dispensings of a repeatable prescription (default 0).
    public var minIntervalDays: Int { Int(json[key: "minInrvDays"]) ?? Int(json[key: "minInvDays"]) ?? 0 }
    /// The drug lines: code, generic name, count.
    public var drugs: [(code: String, name: String, count: String)] {
        guard case .array(let lines)? = json["rxdrugdetail"] else { return [] }
        return lines.compactMap(\.objectValue).map { ($0[key: "medListCodg"], $0[key: "drugGenname"], $0[key: "drugCnt"]) }
    }

    static func requireStringLeaves(_ value: JSONValue, pointer: String) throws {
        switch value {
        case .string: return
        case .object(let object):
            for member in object.members { try requireStringLeaves(member.value, pointer: pointer + "/" + member.key) }
        case .array(let items):
            for (index, item) in items.enumerated() { try requireStringLeaves(item, pointer: pointer + "/\(index)") }
        default:
            throw DomainError(.rxFieldNotString, .invalid, rule: .rx1, pointer: pointer,
                              "every prescription value is a JSON string (write numbers as \"2\", \"12.50\"), so its canonical bytes are the same in every language",
                              expected: "string", actual: value.serialized())
        }
    }
}

extension JSONObject {
    /// The string member `key`, or "".
    public subscript(key key: String) -> String { self[key]?.stringValue ?? "" }
}
