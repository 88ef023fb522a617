import Foundation
import YibaoClient
import YibaoCore
import YibaoCrypto

/// Agreement-management cases (AG-2 … AG-9) through the agency API: each registers a hospital of
/// its own (a new code per run) and dates its steps in 2026, so the working-day deadlines are those
/// of the published State Council calendar whatever the day the suite runs.
extension GatewaySuite {
    static let agreementCases: [String: Case] = [
        "AG-2-001": { suite in
            let code = try await suite.newHospital("Conformance Supplement Hospital")
            _ = try await suite.accepted("the entity application (Mon 2 March 2026)") { try await suite.agreementStep(code, "entity", "apply", at: "2026-03-02T09:00:00+08:00") }
            _ = try await suite.accepted("the one notice to supplement (Tue 3 March)") {
                try await suite.agreementStep(code, "entity", "requestSupplement", at: "2026-03-03T10:00:00+08:00", ["materials": ["copy of the practising licence"]])
            }
            // Five working days after the notice: 4, 5, 6, 9, 10 March; the application lapses after Tue 10 March.
            return try await suite.refused("the supplement on the sixth working day (Wed 11 March)", codes: ["AGREEMENT_DEADLINE_PASSED"], rule: "AG-2", detail: "2026-03-10") {
                _ = try await suite.agreementStep(code, "entity", "supplement", at: "2026-03-11T10:00:00+08:00")
            }
        },
        "AG-3-001": { suite in
            let code = try await suite.newHospital("Conformance Evaluation Hospital")
            _ = try await suite.accepted("the entity application") { try await suite.agreementStep(code, "entity", "apply", at: "2026-03-02T09:00:00+08:00") }
            _ = try await suite.accepted("acceptance (materials complete)") { try await suite.agreementStep(code, "entity", "accept", at: "2026-03-02T10:00:00+08:00") }
            // Two calendar months from acceptance: the end of Sat 2 May 2026.
            return try await suite.refused("an evaluation on 3 May, after the two months", codes: ["AGREEMENT_DEADLINE_PASSED"], rule: "AG-3", detail: "2026-05-02") {
                _ = try await suite.agreementStep(code, "entity", "evaluate", at: "2026-05-03T09:00:00+08:00", ["passed": true])
            }
        },
        "AG-3-002": { suite in
            // The agency's time limit binds the agency: a late evaluation lapses the application with a notice, and the
            // institution applies again at once; an approved extension (YZ: the administrative department) moves it.
            let code = try await suite.newHospital("Conformance Lapse Hospital")
            _ = try await suite.accepted("the entity application") { try await suite.agreementStep(code, "entity", "apply", at: "2026-03-02T09:00:00+08:00") }
            _ = try await suite.accepted("acceptance") { try await suite.agreementStep(code, "entity", "accept", at: "2026-03-02T10:00:00+08:00") }
            let lapsed = try await suite.accepted("the new application on 4 May, after the evaluation lapsed") {
                try await suite.agreementStep(code, "entity", "apply", at: "2026-05-04T09:00:00+08:00")
            }
            let ended = lapsed["endedAgreements"]?.arrayValue?.last?.objectValue ?? [:]
            let history = ended["history"]?.arrayValue?.compactMap(\.objectValue) ?? []
            guard lapsed["entity"]?.objectValue?[key: "state"] == "applied",
                  let notice = history.first(where: { $0[key: "action"] == "lapsed" })?[key: "note"], notice.contains("2026-05-02") else {
                throw CaseFailure("the late evaluation did not lapse the application with a notice naming its last day",
                                  expected: "the ended application (endedAgreements) with a history entry \"lapsed\" naming 2026-05-02, and the new application applied",
                                  actual: "state \(lapsed["entity"]?.objectValue?[key: "state"] ?? ""), actions \(history.map { $0[key: "action"] })")
            }
            let other = try await suite.newHospital("Conformance Extension Hospital")
            _ = try await suite.accepted("the entity application") { try await suite.agreementStep(other, "entity", "apply", at: "2026-03-02T09:00:00+08:00") }
            _ = try await suite.accepted("acceptance") { try await suite.agreementStep(other, "entity", "accept", at: "2026-03-02T10:00:00+08:00") }
            _ = try await suite.accepted("an approved extension of 10 working days") {
                try await suite.agreementStep(other, "entity", "extend", at: "2026-04-20T09:00:00+08:00", ["workingDays": .integer(10), "approval": "TJ-EXT-2026-7"])
            }
            _ = try await suite.accepted("the evaluation on 7 May, within the extension") {
                try await suite.agreementStep(other, "entity", "evaluate", at: "2026-05-07T10:00:00+08:00", ["passed": true])
            }
            return "the evaluation due 2026-05-02 lapsed with the notice \"\(notice)\"; the new application was accepted at once; an approved extension let another be evaluated on 2026-05-07"
        },
        "AG-4-001": { suite in
            let code = try await suite.hospitalWithEntityAgreement("Conformance Term Hospital")
            _ = try await suite.accepted("the Internet+ application") { try await suite.agreementStep(code, "internetPlus", "apply", at: "2026-06-02T09:00:00+08:00") }
            _ = try await suite.accepted("acceptance") { try await suite.agreementStep(code, "internetPlus", "accept", at: "2026-06-02T10:00:00+08:00") }
            _ = try await suite.accepted("a passing evaluation") { try await suite.agreementStep(code, "internetPlus", "evaluate", at: "2026-06-10T10:00:00+08:00", ["passed": true]) }
            let refusal = try await suite.refused("signing the Internet+ agreement from the signing day instead of the entity term's first day",
                                                  codes: ["AGREEMENT_TERM_INVALID"], rule: "AG-4", detail: "2026-06-01") {
                _ = try await suite.agreementStep(code, "internetPlus", "sign", at: "2026-06-12T10:00:00+08:00",
                                                  ["termStart": "2026-06-12T00:00:00+08:00", "termEnd": "2028-05-31T23:59:59+08:00"])
            }
            let signed = try await suite.accepted("signing with the entity agreement's term") {
                try await suite.agreementStep(code, "internetPlus", "sign", at: "2026-06-12T10:00:00+08:00",
                                              ["termStart": "2026-06-01T00:00:00+08:00", "termEnd": "2028-05-31T23:59:59+08:00"])
            }
            let state = signed["internetPlus"]?.objectValue?[key: "state"] ?? ""
            guard state == "active" else { throw CaseFailure("the Internet+ agreement signed with the entity term is not active", expected: "active", actual: state) }
            return refusal + "; signed with the entity term 2026-06-01 – 2028-05-31"
        },
        "AG-6-001": { suite in
            let code = try await suite.newHospital("Conformance Capability Hospital", capabilities: Capability.allCases.filter { $0 != .mobilePayment && $0 != .eVoucherAuth })
            _ = try await suite.accepted("the entity application") { try await suite.agreementStep(code, "entity", "apply", at: "2026-03-02T09:00:00+08:00") }
            return try await suite.refused("the Internet+ application of a hospital without mobile payment and e-voucher authentication",
                                           codes: ["INSTITUTION_CAPABILITIES_MISSING"], rule: "AG-6", detail: "mobilePayment") {
                _ = try await suite.agreementStep(code, "internetPlus", "apply", at: "2026-03-02T10:00:00+08:00")
            }
        },
        "AG-7-001": { suite in
            let code = try await suite.newHospital("Conformance Negative-List Hospital")
            _ = try await suite.accepted("the entity application") { try await suite.agreementStep(code, "entity", "apply", at: "2026-03-02T09:00:00+08:00") }
            _ = try await suite.accepted("termination for false information") {
                try await suite.agreementStep(code, "entity", "terminate", at: "2026-03-05T09:00:00+08:00", ["trigger": "falseInformation", "note": "forged licence copy"])
            }
            return try await suite.refused("a new application a month later", codes: ["INSTITUTION_NEGATIVE_LIST"], rule: "AG-7", detail: "3 years") {
                _ = try await suite.agreementStep(code, "entity", "apply", at: "2026-04-06T09:00:00+08:00")
            }
        },
        "AG-8-001": { suite in
            let code = try await suite.newHospital("Conformance First-Term Hospital")
            try await suite.passedEntity(code)
            let refusal = try await suite.refused("a first entity agreement of two years and a day", codes: ["AGREEMENT_TERM_INVALID"], rule: "AG-8", detail: "2028-05-31") {
                _ = try await suite.agreementStep(code, "entity", "sign", at: "2026-05-11T15:00:00+08:00",
                                                  ["termStart": "2026-06-01T00:00:00+08:00", "termEnd": "2028-06-01T23:59:59+08:00"])
            }
            _ = try await suite.accepted("the same agreement for two years") {
                try await suite.agreementStep(code, "entity", "sign", at: "2026-05-11T15:00:00+08:00",
                                              ["termStart": "2026-06-01T00:00:00+08:00", "termEnd": "2028-05-31T23:59:59+08:00"])
            }
            return refusal + "; two years accepted"
        },
        "AG-8-002": { suite in
            // YZ: a renewal is applied for within the 30 days before the term ends, and renewed directly (no new evaluation).
            let code = try await suite.hospitalWithEntityAgreement("Conformance Renewal Hospital")
            let refusal = try await suite.refused("a renewal applied for on 1 May 2028, 31 days before the term ends", codes: ["AGREEMENT_RENEWAL_NOT_DUE"],
                                                  pointer: "/at", rule: "AG-8", detail: "2028-05-02") {
                _ = try await suite.agreementStep(code, "entity", "apply", at: "2028-05-01T09:00:00+08:00")
            }
            _ = try await suite.accepted("the renewal applied for on 10 May 2028") { try await suite.agreementStep(code, "entity", "apply", at: "2028-05-10T09:00:00+08:00") }
            let renewed = try await suite.accepted("the renewal signed for 2028-06-01 – 2031-05-31") {
                try await suite.agreementStep(code, "entity", "sign", at: "2028-05-20T10:00:00+08:00",
                                              ["termStart": "2028-06-01T00:00:00+08:00", "termEnd": "2031-05-31T23:59:59+08:00"])
            }
            let entity = renewed["entity"]?.objectValue ?? [:]
            guard entity[key: "state"] == "active", entity["nextTermEnd"] != nil, entity["nextTermEnd"] != .null else {
                throw CaseFailure("the signed renewal is not the active agreement's next term", expected: "state active with nextTermEnd",
                                  actual: "state \(entity[key: "state"]), nextTermEnd \(entity["nextTermEnd"].map { $0.serialized() } ?? "absent")")
            }
            return refusal + "; applied on 2028-05-10 and renewed for 3 years from 2028-06-01"
        },
        "GEN-1-001": { suite in
            // The measures lapse on 1 June 2027 (TJ 30): in a sandbox of its own, its clock moved past their last day,
            // Internet+ business is refused. The run's own clock is never moved that far.
            guard let sandbox = try await ConformanceSandbox.create(on: suite.gatewayRoot, adminToken: suite.credentials.adminToken, label: "GEN-1-001", http: suite.http) else {
                throw CaseSkipped("the target offers no sandboxes (POST /admin/sandboxes): a clock past the measures' last day would end every other case")
            }
            do {
                let now = try await HTTP.get(suite.http, url: sandbox.target + "/__clock", bearer: suite.credentials.adminToken, observer: suite.recorder)
                guard let text = now.objectValue?["now"]?.stringValue, let start = ISO8601DateFormatter().date(from: text),
                      let lapse = Timestamps.parseFSI("2027-06-01 09:00:00") else {
                    throw CaseSkipped("the sandbox has no test clock")
                }
                let seconds = max(0, lapse.timeIntervalSince(start).rounded(.up))
                let moved = try await HTTP.post(suite.http, url: sandbox.target + "/__clock/advance", body: Array("{\"seconds\":\(Int(seconds))}".utf8),
                                                bearer: suite.credentials.adminToken, observer: suite.recorder)
                let clock = VirtualClock(start: (moved.objectValue?["now"]?.stringValue).flatMap { ISO8601DateFormatter().date(from: $0) } ?? lapse)
                let hospital = try suite.client(hospitalCode, target: sandbox.target, clock: clock)
                let refusal = try await suite.refused("1101 on 1 June 2027, the day the measures are abolished", codes: ["MEASURES_NOT_IN_FORCE"], rule: "GEN-1", detail: "2027-05-31") {
                    _ = try await hospital.call(infno: "1101", input: ["data": .object(["mdtrt_cert_type": "02", "mdtrt_cert_no": .string(zhangSan.certno)])])
                }
                try await sandbox.delete(adminToken: suite.credentials.adminToken, http: suite.http)
                return refusal + " (in sandbox \(sandbox.id), deleted)"
            } catch {
                try? await sandbox.delete(adminToken: suite.credentials.adminToken, http: suite.http)
                throw error
            }
        },
        "AG-12-001": { suite in
            // A designation condition (YZ): no administrative punishment in the 6 months before applying.
            let code = try await suite.newHospital("Conformance Punished Hospital", extra: ["lastAdministrativePunishment": "2026-01-15"])
            let refusal = try await suite.refused("an application on 14 July 2026, six months less a day after the punishment", codes: ["INSTITUTION_RECENTLY_PUNISHED"],
                                                  pointer: "/lastAdministrativePunishment", rule: "AG-12", detail: "2026-07-15") {
                _ = try await suite.agreementStep(code, "entity", "apply", at: "2026-07-14T09:00:00+08:00")
            }
            _ = try await suite.accepted("the application on 15 July 2026") { try await suite.agreementStep(code, "entity", "apply", at: "2026-07-15T09:00:00+08:00") }
            return refusal + "; accepted from 15 July"
        },
        "AG-13-001": { suite in
            let code = try await suite.hospitalWithEntityAgreement("Conformance Moving Hospital")
            // A business address change announced 15 days ahead: the agreement ends 15 days after it; the hospital applies again as new.
            let moved = try await suite.accepted("the address change of 1 September 2026, announced on 17 August") {
                try await suite.admin("/admin/institutions/\(code)/changes", ["item": "address", "value": "8 Youyi Road", "changedOn": "2026-09-01", "reportedOn": "2026-08-17"])
            }.objectValue ?? [:]
            let termEnd = moved["entity"]?.objectValue?[key: "termEnd"] ?? ""
            guard let end = ISO8601DateFormatter().date(from: termEnd), Timestamps.day(end) == "2026-09-16",
                  moved["changes"]?.arrayValue?.last?.objectValue?["late"] == .bool(false) else {
                throw CaseFailure("the address change did not end the agreement 15 days after it", expected: "entity termEnd on 2026-09-16, late false",
                                  actual: "termEnd \(termEnd), changes \(moved["changes"]?.serialized() ?? "absent")")
            }
            // A name change reported 19 days after it: recorded, as a violation of the term (AG-8).
            let renamed = try await suite.accepted("the name change of 1 July 2026, reported on 20 July") {
                try await suite.admin("/admin/institutions/\(code)/changes", ["item": "name", "value": .string("Conformance Renamed Hospital \(code)"),
                                                                               "changedOn": "2026-07-01", "reportedOn": "2026-07-20"])
            }.objectValue ?? [:]
            guard renamed["changes"]?.arrayValue?.last?.objectValue?["late"] == .bool(true), renamed["violationsInCurrentTerm"] == .integer(1) else {
                throw CaseFailure("a name change reported after 15 days is not recorded as late", expected: "late true, violationsInCurrentTerm 1",
                                  actual: "\(renamed["changes"]?.serialized() ?? "absent"), violations \(renamed["violationsInCurrentTerm"]?.serialized() ?? "absent")")
            }
            return "\(code): the address change ends the agreement on 2026-09-16; the name change reported after 19 days is a violation of the term"
        },
        "AG-14-001": { suite in
            // False information binds the legal representative: another institution of the same one is not accepted either.
            let representative = "Legal Rep " + suite.unique("", 4)
            let first = try await suite.newHospital("Conformance False-Information Hospital", extra: ["legalRepresentative": .string(representative)])
            _ = try await suite.accepted("the first hospital's application") { try await suite.agreementStep(first, "entity", "apply", at: "2026-03-02T09:00:00+08:00") }
            _ = try await suite.accepted("its termination for false information") {
                try await suite.agreementStep(first, "entity", "terminate", at: "2026-03-05T09:00:00+08:00", ["trigger": "falseInformation", "note": "forged licence"])
            }
            let second = try await suite.newHospital("Conformance Same-Representative Hospital", extra: ["legalRepresentative": .string(representative)])
            return try await suite.refused("an application by another hospital with the same legal representative", codes: ["INSTITUTION_NEGATIVE_LIST_LINKED"],
                                           pointer: "/legalRepresentative", rule: "AG-14", detail: first) {
                _ = try await suite.agreementStep(second, "entity", "apply", at: "2026-04-06T09:00:00+08:00")
            }
        },
        "PR-2-001": { suite in
            // A designation condition of a retail pharmacy (YZ): two pharmacists, one licensed, none registered yet.
            let code = try await suite.newHospital("Conformance Unstaffed Pharmacy", kind: "retailPharmacy")
            try await suite.passedEntity(code)
            return try await suite.refused("signing the entity agreement of a pharmacy with no pharmacist", codes: ["PHARMACY_STAFFING_INSUFFICIENT"], rule: "PR-2",
                                           detail: "0 pharmacist(s) on duty") {
                _ = try await suite.agreementStep(code, "entity", "sign", at: "2026-05-11T15:00:00+08:00",
                                                  ["termStart": "2026-06-01T00:00:00+08:00", "termEnd": "2028-05-31T23:59:59+08:00"])
            }
        },
        "AG-9-001": { suite in
            let code = try await suite.hospitalWithEntityAgreement("Conformance Suspension Hospital")
            var last: JSONObject = [:]
            for (index, day) in ["2026-07-01", "2026-08-03", "2026-09-01"].enumerated() {
                last = try await suite.accepted("suspension \(index + 1)") {
                    try await suite.agreementStep(code, "entity", "suspend", at: "\(day)T09:00:00+08:00", ["reason": .string("inspection finding \(index + 1)")])
                }
                if index < 2 {
                    _ = try await suite.accepted("resumption \(index + 1)") { try await suite.agreementStep(code, "entity", "resume", at: "\(day)T17:00:00+08:00") }
                }
            }
            let entity = last["entity"]?.objectValue ?? [:]
            guard entity[key: "state"] == "terminated", entity[key: "terminationTrigger"] == "suspendedRepeatedly" else {
                throw CaseFailure("the third suspension within the term did not terminate the agreement", expected: "entity terminated, trigger suspendedRepeatedly",
                                  actual: "entity \(entity[key: "state"]), trigger \(entity[key: "terminationTrigger"])")
            }
            return "\(code): the third suspension within the term terminated the entity agreement (suspendedRepeatedly)"
        },
    ]

    /// Registers a hospital (or another `kind`) in Tianjin through the agency API under a code of its own; its code.
    func newHospital(_ name: String, kind: String = "hospital", capabilities: [Capability] = Capability.allCases, extra: JSONObject = [:]) async throws -> String {
        let code = unique(kind == "hospital" ? "H1201" : "P1201", 3)
        // The name carries the code: a terminated institution's name stays on the negative list (AG-14), and the suite may run again on the same data.
        var body: JSONObject = ["code": .string(code), "name": .string("\(name) \(code)"), "kind": .string(kind), "admdvs": "120101",
                                "subjects": kind == "hospital" ? ["A03"] : [], "capabilities": .array(capabilities.map { .string($0.rawValue) })]
        for member in extra.members { body[member.key] = member.value }
        _ = try await accepted("POST /admin/institutions for \(name)") { try await admin("/admin/institutions", body) }
        return code
    }

    /// One agreement step (GATEWAY.md §7.2) dated `at`; the institution it answers.
    func agreementStep(_ code: String, _ kind: String, _ action: String, at: String, _ body: JSONObject = [:]) async throws -> JSONObject {
        var step = body
        step["at"] = .string(at)
        return try await admin("/admin/institutions/\(code)/agreements/\(kind)/\(action)", step).objectValue ?? [:]
    }

    /// The entity application of `code` accepted on Mon 2 March 2026 and passed on Thu 30 April.
    func passedEntity(_ code: String) async throws {
        _ = try await accepted("the entity application") { try await agreementStep(code, "entity", "apply", at: "2026-03-02T09:00:00+08:00") }
        _ = try await accepted("acceptance") { try await agreementStep(code, "entity", "accept", at: "2026-03-02T10:00:00+08:00") }
        _ = try await accepted("a passing evaluation") { try await agreementStep(code, "entity", "evaluate", at: "2026-04-30T10:00:00+08:00", ["passed": true]) }
    }

    /// A new hospital in Beijing's Chaoyang district (110105) with both agreements signed for 2026-06-01 – 2028-05-31,
    /// a doctor of its own and an app credential with a fresh SM2 key: a client of it, and its doctor.
    func beijingHospital(_ name: String) async throws -> (client: YibaoClient, doctor: (code: String, name: String)) {
        let code = unique("H110105", 2)
        _ = try await accepted("POST /admin/institutions for \(name)") {
            try await admin("/admin/institutions", ["code": .string(code), "name": .string("\(name) \(code)"), "kind": "hospital", "admdvs": "110105",
                                                    "subjects": ["A03"], "capabilities": .array(Capability.allCases.map { .string($0.rawValue) })])
        }
        try await passedEntity(code)
        _ = try await accepted("signing the entity agreement") {
            try await agreementStep(code, "entity", "sign", at: "2026-05-11T15:00:00+08:00", ["termStart": "2026-06-01T00:00:00+08:00", "termEnd": "2028-05-31T23:59:59+08:00"])
        }
        for (action, at) in [("apply", "2026-06-02T09:00:00+08:00"), ("accept", "2026-06-02T10:00:00+08:00")] {
            _ = try await accepted("the Internet+ \(action)") { try await agreementStep(code, "internetPlus", action, at: at) }
        }
        _ = try await accepted("the Internet+ evaluation") { try await agreementStep(code, "internetPlus", "evaluate", at: "2026-06-10T10:00:00+08:00", ["passed": true]) }
        _ = try await accepted("signing the Internet+ agreement") {
            try await agreementStep(code, "internetPlus", "sign", at: "2026-06-12T10:00:00+08:00", ["termStart": "2026-06-01T00:00:00+08:00", "termEnd": "2028-05-31T23:59:59+08:00"])
        }
        let doctor = (code: unique("DBJ", 2), name: "Zhao Min")
        _ = try await accepted("POST /admin/practitioners (the hospital's doctor)") {
            try await admin("/admin/practitioners", ["code": .string(doctor.code), "name": .string(doctor.name), "role": "doctor", "institutionCode": .string(code),
                                                     "qualificationNo": "110000000000001", "independentPracticeSince": "2015-01-01"])
        }
        let key = try SM2.PrivateKey()
        let appId = "YB" + code
        let appSecret = random.digits(27)
        _ = try await accepted("POST /admin/apps (a fresh SM2 key)") {
            try await admin("/admin/apps", ["appId": .string(appId), "appSecret": .string(appSecret), "institutionCode": .string(code),
                                            "publicKey": .string(try key.publicKey.rawRepresentation.base64)])
        }
        let own = YibaoClient.Credentials(fixmedinsCode: code, fixmedinsName: "\(name) \(code)", appId: appId, appSecret: appSecret, privateKey: key,
                                          platformPublicKey: try SM2.PublicKey(anyFormat: credentials.platform.publicKey), admdvs: "110105")
        return (client(credentials: own), doctor)
    }

    /// A new hospital whose entity agreement runs 2026-06-01 – 2028-05-31 (signed Mon 11 May 2026); its code.
    func hospitalWithEntityAgreement(_ name: String) async throws -> String {
        let code = try await newHospital(name)
        try await passedEntity(code)
        _ = try await accepted("signing the entity agreement") {
            try await agreementStep(code, "entity", "sign", at: "2026-05-11T15:00:00+08:00",
                                    ["termStart": "2026-06-01T00:00:00+08:00", "termEnd": "2028-05-31T23:59:59+08:00"])
        }
        return code
    }
}
