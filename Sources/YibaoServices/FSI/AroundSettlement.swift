import Foundation
import YibaoCore
import YibaoCrypto
import YibaoStore

/// The FSI transactions real HIS code calls around a settlement (docs/SETTLEMENT.md §10): 2601
/// reversal, 2001 benefit check, 2503/2504 chronic-disease filings, 3101/3102 pre- and in-event
/// audit, 9002 sign-out, and the prerequisites a profile puts before 2206/2207.
extension FSITransactions {
    // MARK: 2601 reversal (冲正)

    /// Reverses what the message `omsgid` committed: a 2207 as 2208 would (account money, deductible
    /// and fund counter given back), a 2201 as 2202 would, a 2204's lines as 2205 would. Idempotent:
    /// a second 2601 for the same `omsgid` answers what the first did.
    func reverse(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try Fields(in: request.input, "data")
        try await authorise(request.institutionCode, store: store, now: now)
        let psnNo = try data.string("psn_no")
        let omsgid = try data.string("omsgid", "the msgid of the transaction to reverse")
        let oinfno = try data.string("oinfno", "the infno of the transaction to reverse")
        guard let original = FSITransaction(rawValue: oinfno), FSITransaction.reversible.contains(original) else {
            throw DomainError(.reversalNotReversible, .conflict, rule: .py6, pointer: data.path("oinfno"),
                              "transaction \(oinfno) cannot be reversed: 2601 reverses 2201 registration, 2204 fee details and 2207 settlement (2206 commits nothing, queries change nothing)",
                              expected: "2201 | 2204 | 2207", actual: oinfno)
        }
        // Another institution's message is unknown too: no probing of other institutions' traffic.
        guard var message = try await store.fsiMessage(institutionCode: request.institutionCode, msgid: omsgid) else {
            throw DomainError(.reversalOriginalUnknown, .notFound, rule: .py6, pointer: data.path("omsgid"),
                              "no transaction with msgid \(omsgid) was committed for \(request.institutionCode): a refused request, or one that never arrived, committed nothing to reverse",
                              actual: omsgid)
        }
        guard message.infno == oinfno else {
            throw DomainError(.reversalInfnoMismatch, .invalid, rule: .py6, pointer: data.path("oinfno"),
                              "msgid \(omsgid) carried transaction \(message.infno), not \(oinfno)", expected: message.infno, actual: oinfno)
        }
        guard message.psnNo.isEmpty || message.psnNo == psnNo else {
            throw DomainError.invalidValue(data.path("psn_no"), "psn_no must be the person of the original transaction", expected: message.psnNo, actual: psnNo)
        }
        if let kept = message.reversalAnswer {
            return (try JSONValue.parse(Array(kept.utf8)), TraceEvent(at: now, kind: "fsi.2601", actor: request.institutionCode, subject: message.subject,
                                                                     outcome: "replayed", payload: ["msgid": request.msgid, "omsgid": omsgid]))
        }
        var answer: JSONObject = ["omsgid": .string(omsgid), "oinfno": .string(oinfno), "psn_no": .string(psnNo), "rvs_time": .string(Timestamps.fsi(now))]
        switch original {
        case .settle:
            guard var settlement = try await store.outpatientSettlement(setlId: message.subject), settlement.institutionCode == request.institutionCode else {
                throw DomainError(.reversalOriginalUnknown, .notFound, rule: .py6, pointer: data.path("omsgid"), "the settlement of msgid \(omsgid) no longer exists")
            }
            guard settlement.status == .settled else {
                throw DomainError(.reversalAlreadyCancelled, .conflict, rule: .py6, pointer: data.path("omsgid"),
                                  "settlement \(settlement.setlId) of msgid \(omsgid) was already cancelled (2208) at \(settlement.cancelledAt.map(Timestamps.fsi) ?? "?")")
            }
            try await Self.undo(&settlement, reversedBy: request.msgid, store: store, now: now, pointer: data.path("omsgid"))
            answer["setl_id"] = .string(settlement.setlId)
            answer["mdtrt_id"] = .string(settlement.mdtrtId)
        case .register:
            guard var visit = try await store.registration(mdtrtId: message.subject), visit.institutionCode == request.institutionCode else {
                throw DomainError(.reversalOriginalUnknown, .notFound, rule: .py6, pointer: data.path("omsgid"), "the visit of msgid \(omsgid) no longer exists")
            }
            guard visit.status == .registered else {
                throw DomainError(.reversalAlreadyCancelled, .conflict, rule: .py6, pointer: data.path("omsgid"),
                                  "visit \(visit.mdtrtId) of msgid \(omsgid) was already cancelled (2202)")
            }
            try await requireNothingSettled(on: visit, institution: request.institutionCode, store: store, pointer: data.path("omsgid"))
            try visit.cancel(psnNo: visit.psnNo, institution: request.institutionCode, at: now)
            visit.reversedBy = request.msgid
            try await store.save(visit)
            answer["mdtrt_id"] = .string(visit.mdtrtId)
        case .uploadDetails:
            var cancelled = 0
            for mdtrtId in message.subject.split(separator: ",").map(String.init) {
                let lines = try await store.feeDetails(mdtrtId: mdtrtId).filter { $0.msgid == omsgid }
                if let settled = lines.first(where: { $0.status == .settled }) {
                    throw DomainError(.visitSettled, .conflict, rule: .py6, pointer: data.path("omsgid"),
                                      "fee line \(settled.feedetlSn) of msgid \(omsgid) is settled: reverse or cancel its settlement (2601 of the 2207, or 2208) first")
                }
                for var line in lines where line.status == .uploaded {
                    line.status = .cancelled
                    try await store.save(line)
                    cancelled += 1
                }
            }
            guard cancelled > 0 else {
                throw DomainError(.reversalAlreadyCancelled, .conflict, rule: .py6, pointer: data.path("omsgid"),
                                  "the fee lines of msgid \(omsgid) were already cancelled (2205)")
            }
            answer["mdtrt_id"] = .string(message.subject)
        default:
            preconditionFailure("FSITransaction.reversible names only 2201, 2204 and 2207")
        }
        let output: JSONValue = .object(["data": .object(answer)])
        message.reversedBy = request.msgid
        message.reversedAt = now
        message.reversalAnswer = output.serialized()
        try await store.save(message)
        return (output, TraceEvent(at: now, kind: "fsi.2601", actor: request.institutionCode, subject: message.subject,
                                   payload: ["msgid": request.msgid, "omsgid": omsgid, "oinfno": oinfno, "psn_no": psnNo]))
    }

    /// 2202's and 2601's guard: a visit with a settlement in force cannot be cancelled.
    func requireNothingSettled(on visit: Registration, institution: String, store: any StoreReading, pointer: String) async throws {
        let settledDetails = try await store.feeDetails(mdtrtId: visit.mdtrtId).contains { $0.status == .settled }
        let paidOrders = try await store.paymentOrders(psnNo: visit.psnNo).contains {
            $0.institutionCode == institution && $0.mdtrtId == visit.mdtrtId && $0.setlId != nil && $0.status != .refunded
        }
        guard !settledDetails && !paidOrders else {
            throw DomainError(.visitSettled, .conflict, rule: .py6, pointer: pointer,
                              "visit \(visit.mdtrtId) has a settlement in force: cancel the settlement (2208) or refund the order (6203) first")
        }
    }

    // MARK: 9002 sign-out

    /// The `sign_no` stops working at once; a later request with it is refused (SIGN_NO_SIGNED_OUT).
    func signOut(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let input = try Fields(in: request.input, "signOut")
        let signNo = try input.string("sign_no")
        _ = try input.string("opter_no", "the operator's number")
        guard var signIn = try await store.signIn(signNo: signNo), signIn.institutionCode == request.institutionCode else {
            throw DomainError(.signNoUnknown, .unauthenticated, rule: .protocolSignIn, pointer: input.path("sign_no"),
                              "sign_no \(signNo) was not issued to \(request.institutionCode) by 9001 sign-in", actual: signNo)
        }
        if let out = signIn.signedOutAt {
            throw DomainError(.signNoSignedOut, .unauthenticated, rule: .protocolSignIn, pointer: input.path("sign_no"),
                              "sign_no \(signNo) was signed out at \(Timestamps.fsi(out))")
        }
        signIn.signedOutAt = now
        try await store.save(signIn)
        return (.object(["signoutoutb": .object(["sign_time": .string(Timestamps.fsi(now))])]),
                TraceEvent(at: now, kind: "fsi.9002", actor: request.institutionCode, subject: signIn.operatorNo, payload: ["msgid": request.msgid]))
    }

    // MARK: 2001 benefit check (人员待遇享受检查)

    /// One row of `trtinfo` per check: insurance status (ID-1), Internet+ payment (ID-5), the place of
    /// insurance (XR-2/XR-5 cross-region filing), and for an outpatient chronic-disease visit (med_type
    /// 14) or a diagnosis on the catalogue, the person's chronic filing. Never refuses for a failed
    /// check: the answer says what is enjoyed (`trt_enjymnt_flag`), as the platform does.
    func benefitCheck(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try request.dataOrInput()
        let institution = try await authorise(request.institutionCode, store: store, now: now)
        let psnNo = try data.string("psn_no")
        let insutype = try data.string("insutype")
        let medType = try data.string("med_type", "the medical type, e.g. 11 general outpatient, 14 chronic/special disease")
        let begin = try data.string("begntime")
        guard let beginAt = Timestamps.parseFSI(begin) ?? Timestamps.parseDay(begin) else {
            throw DomainError.invalidValue(data.path("begntime"), "begntime must be yyyy-MM-dd HH:mm:ss", expected: "yyyy-MM-dd HH:mm:ss", actual: begin)
        }
        if let code = try data.optionalString("fixmedins_code"), code != request.institutionCode {
            throw DomainError.invalidValue(data.path("fixmedins_code"), "fixmedins_code must be the sending institution's", expected: request.institutionCode, actual: code)
        }
        guard let person = try await store.person(psnNo: psnNo) else {
            throw DomainError(.personUnknown, .notFound, rule: .id1, pointer: data.path("psn_no"), "no insured person \(psnNo)", actual: psnNo)
        }
        guard insutype == person.insutype else {
            throw DomainError.invalidValue(data.path("insutype"), "the person is insured under \(person.insutype), not \(insutype)", expected: person.insutype, actual: insutype)
        }
        let day = Timestamps.day(beginAt)
        let fund = insutype == "390" ? "390100" : "310100"
        let year = String(day.prefix(4))
        func row(_ type: String, _ enjoyed: Bool, _ result: String, from: String = "\(year)-01-01", to: String = "\(year)-12-31") -> JSONValue {
            .object(["psn_no": .string(psnNo), "trt_chk_type": .string(type), "fund_pay_type": .string(fund),
                     "trt_enjymnt_flag": .string(enjoyed ? "1" : "0"), "begndate": .string(from), "enddate": .string(to), "trt_chk_rslt": .string(result)])
        }
        var rows: [JSONValue] = []
        let insured = person.insuranceStatus == "1"
        rows.append(row(BenefitCheckType.insurance, insured, insured ? "参保正常" : "参保状态异常（psn_insu_stas \(person.insuranceStatus)），不能享受待遇"))
        rows.append(row(BenefitCheckType.onlinePayment, !person.internetPaymentSuspended,
                        person.internetPaymentSuspended ? "医保在线支付及直接结算已暂停（ID-5）" : "可使用医保在线支付"))
        let insuredProvince = SettlementCalculator.province(person.insuplcAdmdvs)
        let treatedProvince = SettlementCalculator.province(institution.admdvs)
        if insuredProvince != treatedProvince {
            let filings = try await store.filings(psnNo: psnNo)
            let direct = (try? CrossRegionRules.requireDirectSettlement(insured: insuredProvince, treated: treatedProvince, filings: filings,
                                                                       at: beginAt, pointer: data.path("psn_no"),
                                                                       // A pharmacy purchase (41) is judged as 2102 settles it: with no med_type.
                                                                       medType: medType == "41" ? nil : medType, institution: institution.code, pilot: policy.measures.filingFreePilot,
                                                                       insuredAdmdvs: person.insuplcAdmdvs, treatedAdmdvs: institution.admdvs)) != nil
            rows.append(row(BenefitCheckType.crossRegion, direct, direct ? "异地就医可直接结算（已备案或免备案）" : "未办理异地就医备案，不能直接结算（XR-2）"))
        }
        let diagnosis = try data.optionalString("dise_codg")
        let catalogue = chronicCatalogue(for: person)
        if medType == "14" || diagnosis.map({ catalogue.contains(OnlineScope.category($0)) }) == true {
            let filings = try await store.chronicFilings(psnNo: psnNo).filter { $0.inForce(on: day) }
            let filed = filings.first { filing in diagnosis.map(filing.covers) ?? true }
            rows.append(row(BenefitCheckType.chronicDisease, filed != nil,
                            filed.map { "已备案门诊慢特病 \($0.diseaseCode) \($0.diseaseName)" } ?? "未备案该门诊慢特病（2503）",
                            from: filed?.beginDate ?? day, to: filed?.endDate ?? day))
        }
        let passed = rows.allSatisfy { $0.objectValue?["trt_enjymnt_flag"]?.stringValue == "1" }
        return (.object(["trtinfo": .array(rows)]),
                TraceEvent(at: now, kind: "fsi.2001", actor: request.institutionCode, subject: psnNo,
                           payload: ["msgid": request.msgid, "psn_no": psnNo, "med_type": medType, "passed": passed ? "1" : "0"]))
    }

    /// The place of insurance's catalogue of fileable chronic diseases (XR-1), else the policy's.
    func chronicCatalogue(for person: InsuredPerson) -> [String] {
        regions[SettlementCalculator.province(person.insuplcAdmdvs)]?.chronicDiseases ?? policy.chronicDiseaseCategories
    }

    /// What the institution's profile requires before 2206/2207: a passed 2001 of the person since the
    /// visit began, a 3101/3102 of the visit.
    func requirePrerequisites(_ request: FSICall, visit: Registration, store: any StoreReading, pointer: String) async throws {
        if request.prerequisites.benefitCheck {
            let checks = try await store.fsiMessages(institutionCode: request.institutionCode, infno: FSITransaction.benefitCheck.rawValue, subject: visit.psnNo)
                .filter { Timestamps.day($0.at) >= Timestamps.day(visit.registeredAt) }
            guard let latest = checks.last else {
                throw DomainError(.benefitCheckRequired, .forbidden, rule: .id1, pointer: pointer,
                                  "this institution's profile requires a 2001 benefit check of \(visit.psnNo) on or after the visit's day before 2206/2207")
            }
            guard latest.facts["passed"] == "1" else {
                throw DomainError(.benefitCheckFailed, .forbidden, rule: .id1, pointer: pointer,
                                  "the latest 2001 benefit check of \(visit.psnNo) (msgid \(latest.msgid)) found a benefit not enjoyed: see its trtinfo")
            }
        }
        if request.prerequisites.preEventAudit {
            var audits = try await store.fsiMessages(institutionCode: request.institutionCode, infno: FSITransaction.preEventAudit.rawValue, subject: visit.mdtrtId)
            audits += try await store.fsiMessages(institutionCode: request.institutionCode, infno: FSITransaction.inEventAudit.rawValue, subject: visit.mdtrtId)
            guard !audits.isEmpty else {
                throw DomainError(.auditRequired, .forbidden, rule: .sv3, pointer: pointer,
                                  "this institution's profile requires a 3101 pre-event (or 3102 in-event) audit of visit \(visit.mdtrtId) before 2206/2207")
            }
        }
    }

    // MARK: 2503 / 2504 chronic and special disease filing

    func fileChronicDisease(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try Fields(in: request.input, "data")
        try await authorise(request.institutionCode, store: store, now: now)
        let psnNo = try data.string("psn_no")
        guard let person = try await store.person(psnNo: psnNo) else {
            throw DomainError(.personUnknown, .notFound, rule: .id1, pointer: data.path("psn_no"), "no insured person \(psnNo)", actual: psnNo)
        }
        try person.requireInsured(pointer: data.path("psn_no"))
        let insutype = try data.string("insutype")
        guard insutype == person.insutype else {
            throw DomainError.invalidValue(data.path("insutype"), "the person is insured under \(person.insutype), not \(insutype)", expected: person.insutype, actual: insutype)
        }
        let code = try data.string("opsp_dise_code", "the chronic/special disease's catalogue code")
        let sn = try await Identifiers.mint(.chronicFiling, store: store, now: now)
        let filing = try ChronicFiling(trtDclaDetlSn: sn, psnNo: psnNo, insutype: insutype, diseaseCode: code,
                                       diseaseName: try data.string("opsp_dise_name"), institutionCode: request.institutionCode,
                                       beginDate: try Self.day(data, "begndate"), endDate: try Self.day(data, "enddate"),
                                       doctorCode: try data.optionalString("diag_dr_codg") ?? "", doctorName: try data.optionalString("diag_dr_name") ?? "",
                                       diagnosisDate: try data.optionalString("hosp_ide_date") ?? "", catalogue: chronicCatalogue(for: person),
                                       at: now, pointer: data.pointer)
        if let existing = try await store.chronicFilings(psnNo: psnNo).first(where: {
            $0.status == .filed && $0.covers(code) && $0.beginDate <= filing.endDate && filing.beginDate <= $0.endDate
        }) {
            throw DomainError(.chronicFilingExists, .conflict, rule: .sc1, pointer: data.path("opsp_dise_code"),
                              "\(psnNo) already has filing \(existing.trtDclaDetlSn) of \(existing.diseaseCode) from \(existing.beginDate) to \(existing.endDate); cancel it (2504) first",
                              actual: code)
        }
        try await store.save(filing)
        return (.object(["result": .object(["trt_dcla_detl_sn": .string(sn)])]),
                TraceEvent(at: now, kind: "fsi.2503", actor: request.institutionCode, subject: sn,
                           payload: ["msgid": request.msgid, "psn_no": psnNo, "opsp_dise_code": code]))
    }

    func cancelChronicFiling(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try Fields(in: request.input, "data")
        try await authorise(request.institutionCode, store: store, now: now)
        let psnNo = try data.string("psn_no")
        let sn = try data.string("trt_dcla_detl_sn")
        // Another institution's filing answers like an unknown one.
        guard var filing = try await store.chronicFiling(trtDclaDetlSn: sn), filing.institutionCode == request.institutionCode, filing.psnNo == psnNo else {
            throw DomainError(.chronicFilingUnknown, .notFound, rule: .sc1, pointer: data.path("trt_dcla_detl_sn"),
                              "no chronic-disease filing \(sn) of \(psnNo) made by \(request.institutionCode)", actual: sn)
        }
        try filing.cancel(at: now, reason: try data.optionalString("memo") ?? "", pointer: data.path("trt_dcla_detl_sn"))
        try await store.save(filing)
        return (.object([:]), TraceEvent(at: now, kind: "fsi.2504", actor: request.institutionCode, subject: sn, payload: ["msgid": request.msgid, "psn_no": psnNo]))
    }

    /// A date member sent as yyyy-MM-dd or yyyy-MM-dd HH:mm:ss (vendor code sends both): its day.
    static func day(_ fields: Fields, _ key: String) throws -> String {
        let text = try fields.string(key)
        if Timestamps.parseDay(text) != nil { return text }
        if Timestamps.parseFSI(text) != nil { return String(text.prefix(10)) }
        throw DomainError.invalidValue(fields.path(key), "\(key) must be yyyy-MM-dd (or yyyy-MM-dd HH:mm:ss)", expected: "yyyy-MM-dd", actual: text)
    }

    // MARK: 3101 / 3102 pre-event and in-event audit (事前 / 事中审核)

    /// The smart audit (SV-3, SV-6, PY-10, ID-5, SC-1, RX-2) of the orders a client sends, as the real
    /// transactions answer it: `result`, one entry per finding with the offending lines.
    func audit(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try Fields(in: request.input, "data")
        let institution = try await authorise(request.institutionCode, store: store, now: now)
        let scenario = try Self.triggerScenario(data)
        // Vendor code sends patient_dtos and fsi_encounter_dtos as one object or as a list of them.
        let (patient, patientPointer) = try Self.single(data, "patient_dtos")
        let psnNo = try patient.string("patn_id", "the person (psn_no)")
        let (encounter, _) = try Self.single(patient, "fsi_encounter_dtos")
        let mdtrtId = try encounter.string("mdtrt_id")
        guard let visit = try await store.registration(mdtrtId: mdtrtId), visit.institutionCode == request.institutionCode else {
            throw DomainError(.visitUnknown, .notFound, rule: .protocolFields, pointer: encounter.path("mdtrt_id"), "no visit \(mdtrtId) of \(request.institutionCode)")
        }
        guard visit.psnNo == psnNo else {
            throw DomainError.invalidValue(patientPointer + "/patn_id", "the visit belongs to another person", expected: visit.psnNo, actual: psnNo)
        }
        guard let person = try await store.person(psnNo: psnNo) else {
            throw DomainError(.personUnknown, .notFound, rule: .id1, pointer: patientPointer + "/patn_id", "no insured person \(psnNo)")
        }
        var lines: [AuditLine] = []
        var orders: [(rxId: String, amount: Int64)] = []
        let items = encounter.object["fsi_order_dtos"]?.arrayValue ?? []
        for (index, item) in items.enumerated() {
            guard case .object(let object) = item else { throw DomainError.invalidValue(encounter.path("fsi_order_dtos") + "/\(index)", "an order is an object") }
            let order = Fields(object, at: encounter.path("fsi_order_dtos") + "/\(index)")
            let rxId = try order.string("rx_id", "the order's id")
            let code = try order.string("hilist_code", "the platform catalogue code")
            let count = try order.quantity("cnt")
            guard let cnt = Decimal(string: count), cnt > 0 else { throw DomainError.invalidValue(order.path("cnt"), "cnt must be a positive number", actual: count) }
            let sum = try order.fen("sumamt")
            let price = (try? order.fen("pric")) ?? sum
            var hiRxno: String?
            if let number = try order.optionalString("rxno"), try await store.prescription(hiRxno: number) != nil { hiRxno = number }
            lines.append(AuditLine(line: FeeLine(feedetlSn: rxId, medListCodg: code, pric: Amount(fen: price), cnt: cnt, detItemFeeSumamt: Amount(fen: sum),
                                                 online: true, rxCircFlag: hiRxno != nil), hiRxno: hiRxno))
            orders.append((rxId, sum))
        }
        let scope = try SettlementCalculator.region(institution.admdvs, in: regions, pointer: "/fixmedins_code", rule: .xr6)
        let findings = try await SettlementCalculator.audit(lines, person: person, visit: visit, scope: scope, institution: request.institutionCode, measures: policy.measures, store: store)
        var result: [JSONValue] = []
        for (number, finding) in findings.enumerated() {
            // The finding's pointer names a line as /feedetailList/N/…: the order N.
            let parts = finding.pointer.split(separator: "/")
            let line = parts.first == "feedetailList" && parts.count > 1 ? Int(parts[1]) : nil
            let offending = line.flatMap { orders.indices.contains($0) ? [orders[$0]] : nil } ?? []
            let amount = offending.reduce(Int64(0)) { $0 + $1.amount }
            let summary = SmartAudit.rules.first { $0.id == finding.id }?.summary ?? finding.detail
            let jrId = "\(request.msgid)-\(number + 1)"
            result.append(.object([
                "jr_id": .string(jrId), "rule_id": .string(finding.id), "rule_name": .string(summary), "vola_cont": .string(finding.detail),
                "patn_id": .string(psnNo), "mdtrt_id": .string(mdtrtId), "vola_amt": .string(Money.yuan(amount)),
                "vola_amt_stas": .string(finding.action == .refuse ? "1" : "0"), "sev_deg": .string(finding.action == .refuse ? "1" : "2"),
                "vola_evid": .string("\(finding.rule.rawValue) \(finding.pointer)"), "vola_bhvr_type": .string(finding.rule.rawValue),
                "task_id": .string(try data.optionalString("task_id") ?? ""),
                "judge_result_detail_dtos": .array(offending.enumerated().map { index, order in
                    .object(["jrd_id": .string("\(jrId)-\(index + 1)"), "patn_id": .string(psnNo), "mdtrt_id": .string(mdtrtId),
                             "rx_id": .string(order.rxId), "vola_item_type": .string("1"), "vola_amt": .string(Money.yuan(order.amount))])
                }),
            ]))
        }
        let refusals = findings.filter { $0.action == .refuse }.count
        return (.object(["result": .array(result)]),
                TraceEvent(at: now, kind: "fsi.\(request.infno)", actor: request.institutionCode, subject: mdtrtId,
                           payload: ["msgid": request.msgid, "psn_no": psnNo, "trig_scen": scenario, "findings": String(findings.count), "refusals": String(refusals)]))
    }

    /// `trig_scen`, a number or a string of one, 1–10 (hsa-his `TrigScen`).
    static func triggerScenario(_ data: Fields) throws -> String {
        let text: String
        switch data.object["trig_scen"] {
        case .string(let value)?: text = value
        case .number(let value)?: text = value
        case nil, .null?: throw DomainError.missing(data.path("trig_scen"), "\"trig_scen\" (1 registration … 6 outpatient settlement, 7 outpatient pre-settlement …)")
        case let value?: throw DomainError.invalidValue(data.path("trig_scen"), "trig_scen is a number 1–10", actual: value.serialized())
        }
        guard let value = Int(text), (1...10).contains(value) else {
            throw DomainError.invalidValue(data.path("trig_scen"), "trig_scen is 1–10 (1–5 pre-event, 6–10 in-event)", expected: "1…10", actual: text)
        }
        return String(value)
    }

    /// A member sent as one object or as a list of objects (the first is used).
    static func single(_ fields: Fields, _ key: String) throws -> (Fields, String) {
        switch fields.object[key] {
        case .object(let object)?: return (Fields(object, at: fields.path(key)), fields.path(key))
        case .array(let items)? where !items.isEmpty:
            guard case .object(let object) = items[0] else { throw DomainError.invalidValue(fields.path(key) + "/0", "\(key) holds objects") }
            return (Fields(object, at: fields.path(key) + "/0"), fields.path(key) + "/0")
        case nil, .null?, .array?: throw DomainError.missing(fields.path(key), "\"\(key)\" (an object, or a list of one)")
        case let value?: throw DomainError.invalidValue(fields.path(key), "\(key) is an object or a list of objects", expected: "object", actual: value.typeName)
        }
    }
}

/// `trt_chk_type` of a 2001 answer row: which benefit was checked (ours; the public vendor code passes
/// the rows through without switching on the type — docs/SETTLEMENT.md §10.2).
enum BenefitCheckType {
    /// Insurance status (`psn_insu_stas` 1), ID-1.
    static let insurance = "01"
    /// Internet+ payment and direct settlement not suspended, ID-5.
    static let onlinePayment = "02"
    /// Cross-region direct settlement (filing or filing-free pair), XR-2 / XR-5.
    static let crossRegion = "03"
    /// An outpatient chronic/special-disease filing in force (2503), SC-1.
    static let chronicDisease = "04"
}
