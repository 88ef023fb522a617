import Foundation
import Testing
@testable import YibaoCore
import YibaoCrypto

/// The signed prescription document, its verifier, and the dispensing rules (RX-1 … RX-5, SC-1, SC-3).
@Suite("Prescriptions")
struct PrescriptionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func file(_ path: String) throws -> String { try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8) }

    static func sample(mdtrtId: String = "12010120261123000001", edit: (inout JSONObject) -> Void = { _ in }) throws -> Prescription {
        guard case .object(var json) = try JSONValue.parse(try file("samples/rx/diabetes-followup.json")) else { throw DomainError.missing("", "sample") }
        var visit = json["mdtrtinfo"]!.objectValue!
        visit["mdtrtId"] = .string(mdtrtId)
        json["mdtrtinfo"] = .object(visit)
        edit(&json)
        return try Prescription(json: json)
    }

    static func key(_ tree: String, _ name: String) throws -> RxSigningKey {
        try RxSigningKey(keyPEM: try file("certs/\(tree)/\(name).key.pem"), certificatePEM: try file("certs/\(tree)/\(name).cert.pem"))
    }

    static func verifier() throws -> PrescriptionVerifier {
        var roots: [Certificate] = [], intermediates: [Certificate] = [], crls: [CertificateRevocationList] = []
        for tree in ["sm2", "p256"] {
            roots.append(try Certificate(pemRepresentation: try file("certs/\(tree)/root.cert.pem")))
            intermediates.append(try Certificate(pemRepresentation: try file("certs/\(tree)/intermediate.cert.pem")))
            crls.append(try CertificateRevocationList(pemRepresentation: try file("certs/\(tree)/intermediate.crl.pem")))
        }
        return PrescriptionVerifier(trustAnchors: roots, intermediates: intermediates, revocationLists: crls,
                                    platformCertificate: try Certificate(pemRepresentation: try file("certs/sm2/platform.cert.pem")))
    }

    /// Doctor Li, pharmacist Zhao, the platform.
    static func fullySigned(doctorTree: String = "sm2") throws -> SignedPrescription {
        var document = SignedPrescription(prescription: try sample())
        try document.signAsDoctor(with: try key(doctorTree, "doctor-li"))
        try document.addReview(pharCode: "Y12010100001", pharName: "Zhao Min", pharChkTime: "2026-11-23 10:20:00", approved: true,
                               key: try key("sm2", "pharmacist-zhao"))
        try document.countersign(platformKey: try SM2.PrivateKey(pemRepresentation: try file("certs/sm2/platform.key.pem")),
                                 certificate: try Certificate(pemRepresentation: try file("certs/sm2/platform.cert.pem")),
                                 hiRxno: "HIRX12010100000000001", at: Timestamps.parseFSI("2026-11-23 10:25:00")!)
        return document
    }

    @Test("RX-1: doctor (SM2 or P-256), pharmacist and platform signatures verify, and survive a round trip through the file format", arguments: ["sm2", "p256"])
    func fullyValid(doctorTree: String) throws {
        let document = try Self.fullySigned(doctorTree: doctorTree)
        let reread = try SignedPrescription(bytes: Array(JSONValue.object(document.json).serialized().utf8))
        #expect(reread == document)
        let checks = try Self.verifier().verify(reread)
        #expect(checks.map(\.passed) == [true, true, true], "\(checks)")
    }

    @Test("RX-1: the canonical bytes sort keys and keep every value a string")
    func canonicalBytes() throws {
        let prescription = try Self.sample()
        let text = String(decoding: prescription.canonicalBytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"bizTypeCode":"02","diseinfo":[{"diagCode":"E11.900","#))
        #expect(!text.contains(" \"") && !text.contains(": "))
        let numeric = #expect(throws: DomainError.self) {
            _ = try Self.sample { json in json["valiDays"] = .number("3") }
        }
        #expect(numeric?.code.rawValue == "RX_FIELD_NOT_STRING")
        #expect(numeric?.pointer == "/valiDays")
        let missing = #expect(throws: DomainError.self) {
            _ = try Self.sample { json in var visit = json["mdtrtinfo"]!.objectValue!; visit["drCode"] = nil; json["mdtrtinfo"] = .object(visit) }
        }
        #expect(missing?.pointer == "/mdtrtinfo/drCode")
        // RX-2: valiEndTime lies within valiDays of prscTime (sample: 2026-11-23 10:05:00 + 3 days).
        let tooLong = #expect(throws: DomainError.self) { _ = try Self.sample { json in json["valiEndTime"] = "2026-11-26 10:05:01" } }
        #expect(tooLong?.code.rawValue == "RX_VALIDITY_INVALID")
        #expect(tooLong?.rule == .rx2)
        _ = try Self.sample { json in json["valiEndTime"] = "2026-11-26 10:05:00" }
        // Bounds keep the arithmetic safe: a validity of 200000000000000 days is refused, not trapped on.
        let huge = #expect(throws: DomainError.self) { _ = try Self.sample { json in json["valiDays"] = "200000000000000" } }
        #expect(huge?.pointer == "/valiDays")
        #expect(throws: DomainError.self) { _ = try Self.sample { json in json["minInrvDays"] = "9999999999999" } }
        #expect(throws: DomainError.self) { _ = try Self.sample { json in json["bizTypeCode"] = "99" } }
        // The real centre spells the interval minInvDays: read and bounded like minInrvDays.
        #expect(try Self.sample { json in json["minInrvDays"] = nil; json["minInvDays"] = "3" }.minIntervalDays == 3)
        #expect(throws: DomainError.self) { _ = try Self.sample { json in json["minInvDays"] = "9999999999999" } }
    }

    @Test("RX-1: a changed quantity breaks every signature; the failure names the doctor's first")
    func tamperedQuantity() throws {
        var document = try Self.fullySigned()
        var json = document.prescription.json
        guard case .array(var lines) = json["rxdrugdetail"]!, case .object(var first) = lines[0] else { Issue.record("sample"); return }
        first["drugCnt"] = "20"
        lines[0] = .object(first)
        json["rxdrugdetail"] = .array(lines)
        document.prescription = try Prescription(json: json)
        let checks = try Self.verifier().verify(document)
        #expect(checks.map(\.code) == ["RX_DOCTOR_SIGNATURE_INVALID", "RX_PHARMACIST_SIGNATURE_INVALID", "RX_PLATFORM_SIGNATURE_INVALID"])
    }

    @Test("PR-3: a certificate of another doctor, an expired one, a revoked one are refused", arguments: [
        ("doctor-wang", "RX_DOCTOR_CERTIFICATE_MISMATCH", nil),
        ("expired", "RX_DOCTOR_CERTIFICATE_INVALID", "CERT_EXPIRED"),
        ("revoked", "RX_DOCTOR_CERTIFICATE_INVALID", "CERT_REVOKED"),
    ] as [(String, String, String?)])
    func doctorCertificates(signer: String, code: String, cause: String?) throws {
        var document = SignedPrescription(prescription: try Self.sample())
        try document.signAsDoctor(with: try Self.key("sm2", signer))
        let failure = PrescriptionVerifier.firstFailure(try Self.verifier().verify(document, required: [.doctor]))
        #expect(failure?.code == code)
        if let cause { #expect(failure?.causes.contains(cause) == true, "\(String(describing: failure))") }
    }

    @Test("RX-1: a missing or rejected review fails the pharmacist's check")
    func review() throws {
        var document = SignedPrescription(prescription: try Self.sample())
        try document.signAsDoctor(with: try Self.key("sm2", "doctor-li"))
        #expect(PrescriptionVerifier.firstFailure(try Self.verifier().verify(document, required: [.doctor, .pharmacist]))?.code == "RX_REVIEW_MISSING")
        try document.addReview(pharCode: "Y12010100001", pharName: "Zhao Min", pharChkTime: "2026-11-23 10:20:00", approved: false, key: try Self.key("sm2", "pharmacist-zhao"))
        #expect(PrescriptionVerifier.firstFailure(try Self.verifier().verify(document, required: [.doctor, .pharmacist]))?.code == "RX_REVIEW_REJECTED")
        // A review signed with a key that does not match its certificate is refused before signing.
        #expect(throws: DomainError.self) {
            _ = try RxSigningKey(keyPEM: try Self.file("certs/sm2/doctor-li.key.pem"), certificatePEM: try Self.file("certs/sm2/pharmacist-zhao.cert.pem"))
        }
    }

    // MARK: Dispensing rules

    static let t0 = Timestamps.parseFSI("2026-11-23 10:30:00")!

    static func record(maxRepeats: String = "1", interval: String = "0") throws -> PrescriptionRecord {
        let prescription = try sample { json in
            json["maxReptCnt"] = .string(maxRepeats)
            json["minInrvDays"] = .string(interval)
            json["valiEndTime"] = "2026-11-26 10:05:00"
        }
        var record = PrescriptionRecord(hiRxno: "HI1", rxTraceCode: "T", prescription: prescription, document: "{}", at: t0)
        record.stage = .circulating
        return record
    }

    static func dispensing(_ route: DispensingRoute, at: Date = t0, by institution: String = "P12010100001", codes: [String: [String]]? = nil) -> Dispensing {
        Dispensing(dispenseNo: "D", at: at, institutionCode: institution, route: route, pharmacistCode: "Y1",
                   traceCodes: codes ?? ["XA10BAE054A001010100483": ["81", "83"], "XA10BBG001A001010103929": ["82"]],
                   courier: route == .homeDelivery ? "SF" : nil, waybillNo: route == .homeDelivery ? "SF1" : nil)
    }

    @Test("RX-4: dispensed at most once; RX-2: not after valiEndTime")
    func once() throws {
        var record = try Self.record()
        try record.recordDownload(by: "P12010100001", at: Self.t0, pointer: "")
        try record.dispense(Self.dispensing(.retailPharmacy), prescribingKind: false, isRetailPharmacy: true, pointer: "")
        let again = #expect(throws: DomainError.self) {
            try record.dispense(Self.dispensing(.retailPharmacy, codes: ["XA10BAE054A001010100483": ["91", "93"], "XA10BBG001A001010103929": ["92"]]),
                                prescribingKind: false, isRetailPharmacy: true, pointer: "")
        }
        #expect(again?.code.rawValue == "RX_ALREADY_DISPENSED")
        #expect(again?.rule == .rx4)
        var fresh = try Self.record()
        // 2026-11-26 10:05:00 is the last valid moment (inclusive); one second later is expired.
        let late = Timestamps.parseFSI("2026-11-26 10:05:01")!
        let expired = #expect(throws: DomainError.self) {
            try fresh.dispense(Self.dispensing(.atInstitution, at: late, by: "H12010100001"), prescribingKind: true, isRetailPharmacy: false, pointer: "")
        }
        #expect(expired?.rule == .rx2)
        try fresh.dispense(Self.dispensing(.atInstitution, at: Timestamps.parseFSI("2026-11-26 10:05:00")!, by: "H12010100001"),
                           prescribingKind: true, isRetailPharmacy: false, pointer: "")
    }

    @Test("RX-4: a repeatable prescription dispenses up to maxReptCnt, minInrvDays apart")
    func repeats() throws {
        var record = try Self.record(maxRepeats: "2", interval: "1")
        try record.dispense(Self.dispensing(.atInstitution, by: "H12010100001"), prescribingKind: true, isRetailPharmacy: false, pointer: "")
        #expect(record.usedStatusCode == "2")
        let codes = ["XA10BAE054A001010100483": ["93", "95"], "XA10BBG001A001010103929": ["94"]]
        let soon = #expect(throws: DomainError.self) {
            try record.dispense(Self.dispensing(.atInstitution, at: Self.t0.addingTimeInterval(86_399), by: "H12010100001", codes: codes),
                                prescribingKind: true, isRetailPharmacy: false, pointer: "")
        }
        #expect(soon?.code.rawValue == "RX_REPEAT_TOO_SOON")
        try record.dispense(Self.dispensing(.atInstitution, at: Self.t0.addingTimeInterval(86_400), by: "H12010100001", codes: codes),
                            prescribingKind: true, isRetailPharmacy: false, pointer: "")
        #expect(record.usedStatusCode == "3")
    }

    @Test("RX-3: each route by whom it belongs to; RX-5: a code per drug line, never sold twice; delivery is recorded")
    func routesAndTraceCodes() throws {
        var record = try Self.record(maxRepeats: "3")
        #expect(throws: DomainError.self) { try record.dispense(Self.dispensing(.atInstitution), prescribingKind: false, isRetailPharmacy: true, pointer: "") }
        let notDownloaded = #expect(throws: DomainError.self) {
            try record.dispense(Self.dispensing(.retailPharmacy), prescribingKind: false, isRetailPharmacy: true, pointer: "")
        }
        #expect(notDownloaded?.code.rawValue == "RX_NOT_DOWNLOADED")
        var delivery = Self.dispensing(.homeDelivery, by: "H12010100001")
        delivery.waybillNo = nil
        #expect(throws: DomainError.self) { try record.dispense(delivery, prescribingKind: true, isRetailPharmacy: false, pointer: "") }
        let missing = #expect(throws: DomainError.self) {
            try record.dispense(Self.dispensing(.atInstitution, by: "H12010100001", codes: ["XA10BAE054A001010100483": ["81"]]),
                                prescribingKind: true, isRetailPharmacy: false, pointer: "")
        }
        #expect(missing?.rule == .rx5)
        // One code per box: metformin sells 2 boxes.
        let short = #expect(throws: DomainError.self) {
            try record.dispense(Self.dispensing(.atInstitution, by: "H12010100001", codes: ["XA10BAE054A001010100483": ["81"], "XA10BBG001A001010103929": ["82"]]),
                                prescribingKind: true, isRetailPharmacy: false, pointer: "")
        }
        #expect(short?.code.rawValue == "RX_TRACE_CODES_COUNT")
        let twice = #expect(throws: DomainError.self) {
            try record.dispense(Self.dispensing(.atInstitution, by: "H12010100001", codes: ["XA10BAE054A001010100483": ["81", "81"], "XA10BBG001A001010103929": ["82"]]),
                                prescribingKind: true, isRetailPharmacy: false, pointer: "")
        }
        #expect(twice?.code.rawValue == "RX_TRACE_CODE_REUSED")
        let foreign = #expect(throws: DomainError.self) {
            try record.dispense(Self.dispensing(.atInstitution, by: "H12010100001", codes: ["XA10BAE054A001010100483": ["81", "83"], "XA10BBG001A001010103929": ["82"], "OTHER": ["99"]]),
                                prescribingKind: true, isRetailPharmacy: false, pointer: "")
        }
        #expect(foreign?.code.rawValue == "RX_TRACE_CODE_UNKNOWN_DRUG")
        // A pharmacy delivering home needs the patient's download too.
        let pharmacyDelivery = #expect(throws: DomainError.self) {
            try record.dispense(Self.dispensing(.homeDelivery), prescribingKind: false, isRetailPharmacy: true, pointer: "")
        }
        #expect(pharmacyDelivery?.code.rawValue == "RX_NOT_DOWNLOADED")
        try record.dispense(Self.dispensing(.homeDelivery, by: "H12010100001"), prescribingKind: true, isRetailPharmacy: false, pointer: "")
        let reused = #expect(throws: DomainError.self) {
            try record.dispense(Self.dispensing(.atInstitution, by: "H12010100001"), prescribingKind: true, isRetailPharmacy: false, pointer: "")
        }
        #expect(reused?.code.rawValue == "RX_TRACE_CODE_REUSED")
        #expect(record.dispensings.map(\.route) == [.homeDelivery])
    }

    @Test("uploadChk as real code sends it: diseinfo as one object or a list, rxExraAttrCode 01/02/03/99, minInvDays or minInrvDays; an unknown attribute code is refused naming it")
    func realFieldSets() throws {
        let listed = try Self.sample { json in
            json["diseinfo"] = .array([.object(["diagType": "1", "maindiagFlag": "1", "diagCode": "E11.900", "diagName": "2型糖尿病"])])
            json["rxExraAttrCode"] = "03"
            json["minInrvDays"] = nil
            json["minInvDays"] = "7"
        }
        #expect(listed.diagnoses.first?[key: "diagCode"] == "E11.900")
        #expect(listed.minIntervalDays == 7)
        let single = try Self.sample { json in
            json["diseinfo"] = .object(["diagType": "1", "diagCode": "I10.x00"])
            json["rxExraAttrCode"] = "99"
        }
        #expect(single.diagnoses.map { $0[key: "diagCode"] } == ["I10.x00"])
        let refused = #expect(throws: DomainError.self) { _ = try Self.sample { $0["rxExraAttrCode"] = "05" } }
        #expect(refused?.pointer == "/rxExraAttrCode")
        let shape = #expect(throws: DomainError.self) { _ = try Self.sample { $0["diseinfo"] = "E11" } }
        #expect(shape?.pointer == "/diseinfo")
    }

    @Test("rxUndo: only the prescriber, only before dispensing; a revoked prescription is not dispensed")
    func revoke() throws {
        var record = try Self.record()
        #expect(throws: DomainError.self) { try record.revoke(by: "H99", reason: "x", at: Self.t0, pointer: "") }
        try record.revoke(by: "H12010100001", reason: "wrong dose", at: Self.t0, pointer: "")
        let refused = #expect(throws: DomainError.self) {
            try record.dispense(Self.dispensing(.atInstitution, by: "H12010100001"), prescribingKind: true, isRetailPharmacy: false, pointer: "")
        }
        #expect(refused?.code.rawValue == "RX_REVOKED")
        #expect(record.statusCode(at: Self.t0) == "3")   // 已撤销, as the real centre codes it
        #expect(record.statusName(at: Self.t0) == "已撤销")
    }

    @Test("SC-1: online only for follow-ups of listed chronic diseases; SC-3: a prior offline visit for the same ICD-10 category")
    func scope() throws {
        let categories = OnlineScope.defaultChronicCategories
        try OnlineScope.requireFollowUpOfChronicDisease(try Self.sample(), categories: categories, pointer: "")
        let first = #expect(throws: DomainError.self) {
            try OnlineScope.requireFollowUpOfChronicDisease(try Self.sample { json in
                var visit = json["mdtrtinfo"]!.objectValue!; visit["fstdiagFlag"] = "1"; json["mdtrtinfo"] = .object(visit)
            }, categories: categories, pointer: "")
        }
        #expect(first?.rule == .sc1)
        let acute = #expect(throws: DomainError.self) {
            try OnlineScope.requireFollowUpOfChronicDisease(try Self.sample { json in
                var visit = json["mdtrtinfo"]!.objectValue!; visit["maindiagCode"] = "J06.900"; json["mdtrtinfo"] = .object(visit)
            }, categories: categories, pointer: "")
        }
        #expect(acute?.code.rawValue == "SCOPE_DISEASE_NOT_CHRONIC")
        // In-person prescriptions (bizTypeCode 01) are not limited by SC-1.
        try OnlineScope.requireFollowUpOfChronicDisease(try Self.sample { json in
            json["bizTypeCode"] = "01"
            var visit = json["mdtrtinfo"]!.objectValue!; visit["fstdiagFlag"] = "1"; json["mdtrtinfo"] = .object(visit)
        }, categories: categories, pointer: "")
        let psn = "12000000000000000001"
        let diabetes = OfflineVisit(psnNo: psn, diseaseCode: "E11.901", diseaseName: "T2DM", institutionCode: "H1", visitDate: "2026-09-10")
        try OnlineScope.requirePriorOfflineVisit(try Self.sample(), visits: [diabetes], pointer: "")
        let hypertension = OfflineVisit(psnNo: psn, diseaseCode: "I10.x00", diseaseName: "HT", institutionCode: "H1", visitDate: "2026-09-10")
        #expect(throws: DomainError.self) { try OnlineScope.requirePriorOfflineVisit(try Self.sample(), visits: [hypertension], pointer: "") }
        let later = OfflineVisit(psnNo: psn, diseaseCode: "E11.900", diseaseName: "T2DM", institutionCode: "H1", visitDate: "2026-12-01")
        let notBefore = #expect(throws: DomainError.self) { try OnlineScope.requirePriorOfflineVisit(try Self.sample(), visits: [later], pointer: "") }
        #expect(notBefore?.rule == .sc3)
    }

    @Test("SC-1 with filings: a disease off the catalogue is in scope while the person's 2503 filing of it is in force on the prescription's day, not before nor after it, not once cancelled")
    func scopeByFiling() throws {
        let onlyDiabetes = ["E11"]
        let hypertension = try Self.sample { json in
            var visit = json["mdtrtinfo"]!.objectValue!; visit["maindiagCode"] = "I10.x00"; json["mdtrtinfo"] = .object(visit)
        }
        let day = Timestamps.day(hypertension.prescribedAt)
        func filing(from: String, to: String) throws -> ChronicFiling {
            try ChronicFiling(trtDclaDetlSn: "TD1", psnNo: "12000000000000000001", insutype: "310", diseaseCode: "I10.x00", diseaseName: "HT",
                              institutionCode: "H1", beginDate: from, endDate: to, doctorCode: "", doctorName: "", diagnosisDate: "",
                              catalogue: ["I10"], at: Self.t0, pointer: "/input/data")
        }
        #expect(throws: DomainError.self) { try OnlineScope.requireFollowUpOfChronicDisease(hypertension, categories: onlyDiabetes, pointer: "") }
        try OnlineScope.requireFollowUpOfChronicDisease(hypertension, categories: onlyDiabetes, filings: [try filing(from: day, to: "2099-12-31")], pointer: "")
        #expect(throws: DomainError.self) {
            try OnlineScope.requireFollowUpOfChronicDisease(hypertension, categories: onlyDiabetes, filings: [try filing(from: "2000-01-01", to: "2000-12-31")], pointer: "")
        }
        var cancelled = try filing(from: day, to: "2099-12-31")
        try cancelled.cancel(at: Self.t0, reason: "moved", pointer: "")
        #expect(throws: DomainError.self) { try OnlineScope.requireFollowUpOfChronicDisease(hypertension, categories: onlyDiabetes, filings: [cancelled], pointer: "") }
        let twice = #expect(throws: DomainError.self) { try cancelled.cancel(at: Self.t0, reason: "again", pointer: "/input/data/trt_dcla_detl_sn") }
        #expect(twice?.code == .chronicFilingAlreadyCancelled)
    }

    @Test("a chronic filing checks its dates (yyyy-MM-dd, begin ≤ end) and the catalogue (SC-1), naming the member")
    func chronicFilingRules() throws {
        func make(code: String = "E11.900", from: String = "2026-01-01", to: String = "2026-12-31") throws -> ChronicFiling {
            try ChronicFiling(trtDclaDetlSn: "TD1", psnNo: "P1", insutype: "310", diseaseCode: code, diseaseName: "", institutionCode: "H1",
                              beginDate: from, endDate: to, doctorCode: "", doctorName: "", diagnosisDate: "", catalogue: ["E11"], at: Self.t0,
                              pointer: "/input/data")
        }
        #expect(try make().inForce(on: "2026-06-01"))
        #expect(!(try make()).inForce(on: "2027-01-01"))
        let outside = #expect(throws: DomainError.self) { try make(code: "S72.000") }
        #expect(outside?.code == .chronicDiseaseNotFileable && outside?.pointer == "/input/data/opsp_dise_code" && outside?.rule == .sc1)
        let malformed = #expect(throws: DomainError.self) { try make(from: "2026/01/01") }
        #expect(malformed?.pointer == "/input/data/begndate")
        let reversed = #expect(throws: DomainError.self) { try make(from: "2026-12-31", to: "2026-01-01") }
        #expect(reversed?.pointer == "/input/data/enddate")
    }

    @Test("RX-2: valiDays within the policy's bounds (measures.prescription…ValidityDays); the stored document still parses when they change")
    func validityBounds() throws {
        let three = try Self.sample()
        #expect(three.json[key: "valiDays"] == "3")
        try three.requireValidity(within: MeasureNumbers.standard.prescriptionValidityDays)
        try three.requireValidity(within: 3...3)
        let error = #expect(throws: DomainError.self) { try three.requireValidity(within: 1...2, pointer: "/prescription") }
        #expect(error?.rule == .rx2 && error?.pointer == "/prescription/valiDays" && error?.expected == "1…2")
        #expect(throws: DomainError.self) { try three.requireValidity(within: 5...30) }
    }
}

