import Foundation
import YibaoClient
import YibaoCore
import YibaoCrypto

/// E-voucher, agreement and registration cases (ID-1…ID-5, AG-1, AG-5, SC-3).
extension GatewaySuite {
    static let identityCases: [String: Case] = [
        "ID-QR-001": { suite in
            let qr = try await suite.accepted("the channel's QR code") { try await suite.channel.qrCode(certno: zhangSan.certno) }
            let scan = try await suite.accepted("ec.query") { try await suite.hospital.scanVoucher(qrCode: qr.code, business: .registration) }
            guard scan.userName == zhangSan.name, scan.idNo == zhangSan.certno else {
                throw CaseFailure("ec.query named another person", expected: "\(zhangSan.name) \(zhangSan.certno)", actual: "\(scan.userName) \(scan.idNo)")
            }
            guard scan.businessType == BusinessType.registration.rawValue, !scan.ecToken.isEmpty else {
                throw CaseFailure("ec.query did not bind an ecToken to business 01101", expected: "businessType 01101 and an ecToken",
                                  actual: "businessType \(scan.businessType), ecToken \"\(scan.ecToken)\"")
            }
            return "QR code scanned once: ecToken bound to 01101 and \(hospitalCode) for \(scan.userName)"
        },
        "ID-QR-002": { suite in
            let qr = try await suite.accepted("the channel's QR code") { try await suite.channel.qrCode(certno: zhangSan.certno) }
            _ = try await suite.accepted("the first scan") { try await suite.hospital.scanVoucher(qrCode: qr.code, business: .registration) }
            return try await suite.refused("the same QR code scanned a second time", codes: ["QRCODE_REUSED"], pointer: "/qrCode") {
                _ = try await suite.hospital.scanVoucher(qrCode: qr.code, business: .registration)
            }
        },
        "ID-AUTH-001": { suite in
            let authCode = try await suite.accepted("the wallet authorisation") { try await suite.channel.authorise(certno: zhangSan.certno, orgCodg: hospitalCode) }
            _ = try await suite.accepted("the first ec.payAuth") { try await suite.hospital.payAuthorisation(authCode: authCode) }
            return try await suite.refused("the same authCode exchanged again", codes: ["AUTHCODE_REUSED"], pointer: "/authCode") {
                _ = try await suite.hospital.payAuthorisation(authCode: authCode)
            }
        },
        "ID-TOKEN-001": { suite in
            let token = try await suite.scan(zhangSan.certno, for: .registration, by: suite.hospital)
            let registration = RegistrationRequest(psnNo: zhangSan.psnNo, insutype: "310", beginTime: suite.clock.now(), medium: .eVoucher, certNo: token.ecToken,
                                                   iptOtpNo: suite.unique("MZ", 4), doctorCode: drLi.code, doctorName: drLi.name, deptCode: "A03",
                                                   deptName: "Internal medicine", caty: "A03")
            _ = try await suite.accepted("the first 2201") { try await suite.hospital.register(registration) }
            var again = registration
            again.iptOtpNo = suite.unique("MZ", 4)
            return try await suite.refused("a second 2201 with the same ecToken", codes: ["TOKEN_REUSED"]) { _ = try await suite.hospital.register(again) }
        },
        "ID-4-001": { suite in
            var found: [String] = []
            for (medium, number) in [(IdentityMedium.residentID, zhangSan.certno), (.socialSecurityCard, "TJ1200000001")] {
                let info = try await suite.accepted("1101 by medium \(medium.rawValue)") { try await suite.hospital.personInfo(medium: medium, number: number) }
                guard info.baseinfo.psn_no == zhangSan.psnNo else {
                    throw CaseFailure("1101 by medium \(medium.rawValue) found another person", expected: zhangSan.psnNo, actual: info.baseinfo.psn_no)
                }
                found.append(medium.rawValue)
            }
            try await suite.refused("1101 by an identity medium the profile does not accept (09)", codes: ["IDENTITY_MEDIUM_NOT_ACCEPTED"], rule: "ID-4") {
                _ = try await suite.hospital.call(infno: "1101", input: ["data": .object(["mdtrt_cert_type": "09", "mdtrt_cert_no": .string(zhangSan.certno),
                                                                                         "card_sn": "", "psn_cert_type": "01", "certno": .string(zhangSan.certno)])])
            }
            return "1101 found Zhang San by resident ID (02) and social-security card (03); medium 09 refused IDENTITY_MEDIUM_NOT_ACCEPTED (ID-4)"
        },
        "ID-REALNAME-001": { suite in
            try await suite.refused("1101 for a person who is not real-name verified", codes: ["PERSON_NOT_REAL_NAME_VERIFIED"]) {
                _ = try await suite.hospital.call(infno: "1101", input: personInfoInput(notRealName))
            }
        },
        "ID-SUSPENDED-001": { suite in
            let authCode = try await suite.accepted("the wallet authorisation") { try await suite.channel.authorise(certno: fraudSuspended.certno, orgCodg: hospitalCode) }
            return try await suite.refused("ec.payAuth for a person whose Internet+ payment is suspended", codes: ["PERSON_INTERNET_PAYMENT_SUSPENDED"]) {
                _ = try await suite.hospital.payAuthorisation(authCode: authCode)
            }
        },
        "AG-1-001": { suite in
            let other = try suite.client(noAgreementCode)
            let qr = try await suite.accepted("the channel's QR code") { try await suite.channel.qrCode(certno: zhangSan.certno) }
            return try await suite.refused("ec.query by a designated hospital without an Internet+ agreement", codes: ["INSTITUTION_NOT_AUTHORISED"], rule: "AG-1",
                                           detail: "no Internet+ supplementary agreement") {
                _ = try await other.scanVoucher(qrCode: qr.code, business: .registration)
            }
        },
        "AG-5-001": { suite in
            let other = try suite.client(suspendedCode)
            let qr = try await suite.accepted("the channel's QR code") { try await suite.channel.qrCode(certno: zhangSan.certno) }
            return try await suite.refused("ec.query by a hospital whose entity agreement is suspended", codes: ["INSTITUTION_NOT_AUTHORISED"], rule: "AG-5",
                                           detail: "AG-5") {
                _ = try await other.scanVoucher(qrCode: qr.code, business: .registration)
            }
        },
        "ID-1-002": { suite in
            // Registered by resident ID (ID-4 accepts it), but never authenticated through the e-voucher: not settled.
            let visit = try await suite.accepted("2201 registration by resident ID") {
                try await suite.hospital.register(RegistrationRequest(psnNo: liNa.psnNo, insutype: "310", beginTime: suite.clock.now(), medium: .residentID, certNo: liNa.certno,
                                                                      iptOtpNo: suite.unique("MZ", 4), doctorCode: drLi.code, doctorName: drLi.name,
                                                                      deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
            }
            let batch = suite.unique("B", 4)
            _ = try await suite.accepted("2204 the follow-up consultation") {
                try await suite.hospital.call(infno: "2204", input: ["feedetail": .array([.object([
                    "feedetl_sn": "1", "mdtrt_id": .string(visit), "psn_no": .string(liNa.psnNo), "chrg_bchno": .string(batch), "med_list_codg": "AADG0000",
                    "pric": "20.00", "cnt": "1", "det_item_fee_sumamt": "20.00", "rx_circ_flag": "0"])])])
            }
            return try await suite.refused("2207 of the visit with the resident ID number", codes: ["VISIT_NOT_VOUCHER_AUTHENTICATED"], pointer: "/input/data/mdtrt_cert_type", rule: "ID-1") {
                _ = try await suite.hospital.call(infno: "2207", input: ["data": .object([
                    "psn_no": .string(liNa.psnNo), "mdtrt_cert_type": "02", "mdtrt_cert_no": .string(liNa.certno), "med_type": "11", "medfee_sumamt": "20.00",
                    "psn_setlway": "01", "mdtrt_id": .string(visit), "chrg_bchno": .string(batch), "acct_used_flag": "0", "insutype": "310"])])
            }
        },
        "ID-1-001": { suite in
            try await suite.refused("2201 for a person whose insurance is suspended", codes: ["PERSON_INSURANCE_NOT_ACTIVE"]) {
                _ = try await suite.hospital.register(RegistrationRequest(
                    psnNo: insuranceSuspended.psnNo, insutype: "310", beginTime: suite.clock.now(), medium: .residentID, certNo: insuranceSuspended.certno,
                    iptOtpNo: suite.unique("MZ", 4), doctorCode: drLi.code, doctorName: drLi.name, deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
            }
        },
        "AG-11-001": { suite in
            // A new, not yet designated hospital applies for the entity and the Internet+ agreements at once.
            let code = suite.unique("H1201", 3)
            let now = suite.clock.now()
            _ = try await suite.accepted("POST /admin/institutions for a new hospital with every AG-6 capability") {
                try await suite.admin("/admin/institutions", [
                    "code": .string(code), "name": "Conformance Concurrent Hospital", "kind": "hospital", "admdvs": "120101", "subjects": ["A03"],
                    "capabilities": .array(Capability.allCases.map { .string($0.rawValue) }),
                ])
            }
            func step(_ kind: String, _ action: String, _ body: JSONObject) async throws -> JSONObject {
                try await suite.admin("/admin/institutions/\(code)/agreements/\(kind)/\(action)", body).objectValue ?? [:]
            }
            _ = try await suite.accepted("the entity application") { try await step("entity", "apply", ["at": .string(Timestamps.iso(now))]) }
            let both = try await suite.accepted("the Internet+ application while the entity one is pending (AG-11)") {
                try await step("internetPlus", "apply", ["at": .string(Timestamps.iso(now.addingTimeInterval(60)))])
            }
            let applied = both["internetPlus"]?.objectValue?[key: "state"] ?? ""
            guard applied == "applied" else {
                throw CaseFailure("the Internet+ application made with the entity one is not on record", expected: "internetPlus.state applied", actual: applied)
            }
            _ = try await suite.accepted("the entity application accepted") { try await step("entity", "accept", ["at": .string(Timestamps.iso(now.addingTimeInterval(120)))]) }
            let ended = try await suite.accepted("the entity evaluation failed, with reasons") {
                try await step("entity", "evaluate", ["at": .string(Timestamps.iso(now.addingTimeInterval(180))), "passed": false, "reasons": ["no copy of the licence"]])
            }
            let state = ended["internetPlus"]?.objectValue?[key: "state"] ?? ""
            guard state == "withdrawn" else {
                throw CaseFailure("the Internet+ application outlived the entity application it was made with", expected: "internetPlus.state withdrawn (AG-11)", actual: state)
            }
            return "\(code) applied for both agreements at once; when the entity application failed, the Internet+ one was withdrawn with it"
        },
        "AG-10-001": { suite in
            let list = try await suite.accepted("GET /public/institutions") { try await HTTP.get(suite.http, url: suite.target + "/public/institutions", observer: suite.recorder) }
            let codes = Set((list.arrayValue ?? []).compactMap { $0.objectValue?["code"]?.stringValue })
            let expected: Set<String> = [hospitalCode, pharmacyCode], excluded: Set<String> = [noAgreementCode, suspendedCode]
            guard expected.isSubset(of: codes), codes.isDisjoint(with: excluded) else {
                throw CaseFailure("the public list does not show exactly the institutions with an Internet+ agreement in force",
                                  expected: "\(expected.sorted()) listed, \(excluded.sorted()) not", actual: codes.sorted().joined(separator: ", "))
            }
            // Its services and their prices: the demo hospital's Internet subjects and the follow-up consultation's price.
            let hospital = (list.arrayValue ?? []).compactMap(\.objectValue).first { $0[key: "code"] == hospitalCode } ?? [:]
            let services = hospital["internetSubjects"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let consultation = hospital["prices"]?.arrayValue?.compactMap(\.objectValue).first { $0[key: "code"] == "AADG0000" }
            guard !services.isEmpty, let price = consultation?[key: "price"], Money.fen(price) != nil else {
                throw CaseFailure("the public list does not show the hospital's services and prices (AG-10)", expected: "internetSubjects and a price for AADG0000",
                                  actual: "internetSubjects \(services), prices \(hospital["prices"]?.serialized() ?? "absent")")
            }
            return "the public list (no authentication) shows \(codes.sorted().joined(separator: ", ")), not the hospital without an agreement nor the suspended one; \(hospitalCode) offers \(services.joined(separator: ", ")) online, the follow-up consultation at \(price)"
        },
        "REG-001": { suite in
            let visit = try await suite.register(zhangSan, by: suite.hospital)
            guard !visit.isEmpty else { throw CaseFailure("2201 answered an empty mdtrt_id", expected: "an mdtrt_id", actual: "\"\"") }
            suite.visit = visit
            return "2201 online follow-up registered: mdtrt_id \(visit)"
        },
        "SC-2-001": { suite in
            // H12010100001 is registered for A03, A04, A07 and A50: an online visit in A06 stays offline-only.
            try await suite.refused("2201 in a subject the institution is not registered for (A06)", codes: ["SUBJECT_NOT_REGISTERED"], rule: "SC-2") {
                _ = try await suite.hospital.register(RegistrationRequest(
                    psnNo: liNa.psnNo, insutype: "310", beginTime: suite.clock.now(), medium: .residentID, certNo: liNa.certno,
                    iptOtpNo: suite.unique("MZ", 4), doctorCode: drLi.code, doctorName: drLi.name, deptCode: "A06", deptName: "Dermatology", caty: "A06"))
            }
        },
        "SC-6-001": { suite in
            // H12010100001 practises A07 offline, but its Internet diagnosis subjects were approved separately: A03, A04, A50.
            try await suite.refused("2201 in an offline subject not approved for Internet diagnosis (A07)", codes: ["SUBJECT_NOT_APPROVED_FOR_INTERNET"],
                                    pointer: "/input/data/caty", rule: "SC-6") {
                _ = try await suite.hospital.register(RegistrationRequest(
                    psnNo: liNa.psnNo, insutype: "310", beginTime: suite.clock.now(), medium: .residentID, certNo: liNa.certno,
                    iptOtpNo: suite.unique("MZ", 4), doctorCode: drLi.code, doctorName: drLi.name, deptCode: "A07", deptName: "Paediatrics", caty: "A07"))
            }
        },
        "ID-QR-003": { suite in
            let qr = try await suite.accepted("the channel's QR code") { try await suite.channel.qrCode(certno: zhangSan.certno) }
            guard let expires = Timestamps.parseFSI(qr.expireTime) else {
                throw CaseFailure("the channel's QR code has no expireTime", expected: "yyyy-MM-dd HH:mm:ss", actual: qr.expireTime)
            }
            try await suite.advanceTime(by: max(1, expires.timeIntervalSince(suite.clock.now()) + 1))
            return try await suite.refused("a QR code scanned after its expireTime", codes: ["QRCODE_EXPIRED"], pointer: "/qrCode") {
                _ = try await suite.hospital.scanVoucher(qrCode: qr.code, business: .registration)
            }
        },
    ]
}
