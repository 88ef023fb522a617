import Foundation
import YibaoCore
import YibaoCrypto
import YibaoStore

/// FSI outpatient transactions around the policy engine: 2203 visit info, 2204 fee details,
/// 2205 cancel details, 2206 pre-settlement, 2207 settlement, 2208 cancel settlement.
extension FSITransactions {
    /// The open visit `mdtrtId` of the requesting institution (another institution's answers like an unknown one).
    func openVisit(_ mdtrtId: String, psnNo: String?, request: FSICall, store: any StoreReading, pointer: String) async throws -> Registration {
        guard let visit = try await store.registration(mdtrtId: mdtrtId), visit.institutionCode == request.institutionCode else {
            throw DomainError(.visitUnknown, .notFound, rule: .protocolFields, pointer: pointer, "no visit \(mdtrtId) of \(request.institutionCode)")
        }
        guard visit.status == .registered else {
            throw DomainError(.visitCancelled, .conflict, rule: .protocolFields, pointer: pointer, "visit \(mdtrtId) was cancelled (2202)")
        }
        if let psnNo, psnNo != visit.psnNo {
            throw DomainError.invalidValue(pointer.replacingOccurrences(of: "mdtrt_id", with: "psn_no"), "the visit belongs to another person",
                                           expected: visit.psnNo, actual: psnNo)
        }
        return visit
    }

    /// PY-6: where the policy lets the card be swiped (`measures.cardSwipeSettlement`, BJ), a 2206/2207 presenting the
    /// person's own social-security card (`mdtrt_cert_type` 03) for a visit not authenticated through the e-voucher
    /// settles by the card: true. Nothing is spent, so 2206 checks it as 2207 does.
    private func cardSettlement(of visit: Registration, data: Fields, store: any StoreReading) async throws -> Bool {
        guard policy.measures.cardSwipeSettlement, visit.medium != .eVoucher, visit.voucherAuthenticatedAt == nil,
              try data.optionalString("mdtrt_cert_type") == IdentityMedium.socialSecurityCard.rawValue else { return false }
        let card = try data.string("mdtrt_cert_no", "the social-security card number")
        guard let holder = try await store.person(socialSecurityCardNo: card), holder.psnNo == visit.psnNo else {
            throw DomainError(.personMismatch, .forbidden, rule: .py6, pointer: data.path("mdtrt_cert_no"),
                              "the social-security card swiped is not the card of the visit's person \(visit.psnNo)", expected: visit.psnNo, actual: "another card")
        }
        return true
    }

    /// ID-1: an Internet+ visit is settled (2207) only after the patient's real-name authentication through the
    /// e-voucher: the visit was registered with an ecToken (`mdtrt_cert_type` 01), or this 2207 presents one of
    /// the same person, scanned for settlement (01301) at this institution, which it spends.
    private func requireVoucherAuthentication(of visit: Registration, data: Fields, request: FSICall, store: any StoreWriting, now: Date) async throws {
        let medium = try data.optionalString("mdtrt_cert_type") ?? ""
        guard visit.medium != .eVoucher, visit.voucherAuthenticatedAt == nil else { return }
        guard medium == IdentityMedium.eVoucher.rawValue else {
            throw DomainError(.visitNotVoucherAuthenticated, .forbidden, rule: .id1, pointer: data.path("mdtrt_cert_type"),
                              "visit \(visit.mdtrtId) was registered with identity medium \(visit.medium.rawValue), not the e-voucher; an Internet+ visit settles only after the patient's real-name authentication through the e-voucher: register it with mdtrt_cert_type 01 and the ecToken of ec.query, or send mdtrt_cert_type 01 with an ecToken scanned for settlement (01301) in this 2207"
                                + (policy.measures.cardSwipeSettlement ? "; under this policy the person's own social-security card (mdtrt_cert_type 03) also settles everything but the consultation (PY-6)" : ""),
                              expected: IdentityMedium.eVoucher.rawValue, actual: medium.isEmpty ? "absent" : medium)
        }
        let person = try await identify(medium: .eVoucher, certNo: try data.string("mdtrt_cert_no", "the ecToken"), transaction: "2207",
                                        businessTypes: [.outpatientSettlement], data: data, institution: request.institutionCode, store: store, now: now)
        guard person.psnNo == visit.psnNo else {
            throw DomainError(.personMismatch, .forbidden, rule: .id1, pointer: data.path("mdtrt_cert_no"),
                              "the ecToken identifies another person than the visit's", expected: visit.psnNo, actual: person.psnNo)
        }
        // The visit is now authenticated: a settlement sent again after a reversal needs no second token.
        var authenticated = visit
        authenticated.voucherAuthenticatedAt = now
        try await store.save(authenticated)
    }

    private func regionPolicy(_ admdvs: String, pointer: String, rule: Rule) throws -> RegionPolicy {
        try SettlementCalculator.region(admdvs, in: regions, pointer: pointer, rule: rule)
    }

    // MARK: 2203 visit info

    func visitInfo(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try Fields(in: request.input, "mdtrtinfo")
        try await authorise(request.institutionCode, store: store, now: now)
        let mdtrtId = try data.string("mdtrt_id")
        var visit = try await openVisit(mdtrtId, psnNo: try data.string("psn_no"), request: request, store: store, pointer: data.path("mdtrt_id"))
        let medType = try data.string("med_type")
        let code = try data.string("dise_codg", "the diagnosis code")
        // The diagnoses (diseinfo) when sent, else the main one of mdtrtinfo: 5201 and 5202 answer them.
        var diagnoses: [Diagnosis] = []
        for (index, item) in (request.input.object["diseinfo"]?.arrayValue ?? []).enumerated() {
            guard case .object(let object) = item else { throw DomainError.invalidValue("/input/diseinfo/\(index)", "a diagnosis is an object") }
            let line = Fields(object, at: "/input/diseinfo/\(index)")
            diagnoses.append(Diagnosis(type: try line.optionalString("diag_type") ?? "1", sortNo: try line.optionalString("diag_srt_no") ?? String(index + 1),
                                       code: try line.string("diag_code"), name: try line.optionalString("diag_name") ?? "",
                                       dept: try line.optionalString("diag_dept") ?? visit.deptName, doctorCode: try line.optionalString("dise_dor_no") ?? visit.doctorCode,
                                       doctorName: try line.optionalString("dise_dor_name") ?? visit.doctorName,
                                       time: try line.optionalString("diag_time") ?? Timestamps.fsi(now), valid: (try line.optionalString("vali_flag") ?? "1") == "1"))
        }
        if diagnoses.isEmpty {
            diagnoses = [Diagnosis(type: "1", sortNo: "1", code: code, name: try data.optionalString("dise_name") ?? "", dept: visit.deptName,
                                   doctorCode: visit.doctorCode, doctorName: visit.doctorName, time: Timestamps.fsi(now), valid: true)]
        }
        visit.medType = medType
        visit.diagnoses = diagnoses
        try await store.save(visit)
        return (.object([:]), TraceEvent(at: now, kind: "fsi.2203", actor: request.institutionCode, subject: visit.mdtrtId,
                                        payload: ["msgid": request.msgid, "dise_codg": code]))
    }

    // MARK: 2204 fee details

    func uploadDetails(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        try await authorise(request.institutionCode, store: store, now: now)
        guard case .array(let items)? = request.input.object["feedetail"], !items.isEmpty else {
            throw DomainError.missing("/input/feedetail", "\"feedetail\" (at least one fee line)")
        }
        guard let institution = try await store.institution(code: request.institutionCode) else {
            throw DomainError(.institutionUnknown, .notFound, rule: .ag1, pointer: "/fixmedins_code", "no institution")
        }
        let scope = try regionPolicy(institution.admdvs, pointer: "/fixmedins_code", rule: .xr6)
        var known: [String: Set<String>] = [:]
        var results: [JSONValue] = []
        var mdtrtIds = Set<String>()
        for (index, item) in items.enumerated() {
            guard case .object(let object) = item else { throw DomainError.invalidValue("/input/feedetail/\(index)", "a fee line is an object") }
            let line = Fields(object, at: "/input/feedetail/\(index)")
            let mdtrtId = try line.string("mdtrt_id")
            let visit = try await openVisit(mdtrtId, psnNo: try line.optionalString("psn_no"), request: request, store: store, pointer: line.path("mdtrt_id"))
            if known[mdtrtId] == nil { known[mdtrtId] = Set(try await store.feeDetails(mdtrtId: mdtrtId).filter { $0.status != .cancelled }.map(\.feedetlSn)) }
            let sn = try line.string("feedetl_sn")
            guard known[mdtrtId, default: []].insert(sn).inserted else {
                throw DomainError(.feedetlSnReused, .conflict, rule: .py10, pointer: line.path("feedetl_sn"),
                                  "feedetl_sn \(sn) was already uploaded for visit \(mdtrtId); cancel it (2205) before uploading it again")
            }
            let count = try line.quantity("cnt")
            guard let cnt = Decimal(string: count), cnt > 0 else { throw DomainError.invalidValue(line.path("cnt"), "cnt must be a positive number", actual: count) }
            if request.prerequisites.catalogueMapping {
                try await Self.requireMapped(try line.optionalString("medins_list_codg"), medListCodg: try line.string("med_list_codg"),
                                             institution: request.institutionCode, store: store, now: now, pointer: line.path("medins_list_codg"))
            }
            let fee = FeeLine(feedetlSn: sn, medListCodg: try line.string("med_list_codg"), pric: Amount(fen: try line.fen("pric")), cnt: cnt,
                              detItemFeeSumamt: Amount(fen: try line.fen("det_item_fee_sumamt")), online: true,
                              rxCircFlag: (try line.optionalString("rx_circ_flag")) == "1")
            let result: LineResult
            do { result = try PolicyEngine.classify(fee, scope: scope, index: index) } catch var error as DomainError {
                if error.pointer.hasPrefix("/feedetail/") { error.pointer = "/input" + error.pointer }
                throw error
            }
            var detail = FeeDetail(mdtrtId: visit.mdtrtId, feedetlSn: sn, chrgBchno: try line.string("chrg_bchno"), line: fee, result: result, uploadedAt: now,
                                   hiRxno: fee.rxCircFlag ? try line.optionalString("rxno") : nil)
            detail.msgid = request.msgid
            try await store.save(detail)
            results.append(try SettlementCalculator.encode(result))
            mdtrtIds.insert(mdtrtId)
        }
        return (.object(["result": .array(results)]), TraceEvent(at: now, kind: "fsi.2204", actor: request.institutionCode, subject: mdtrtIds.sorted().joined(separator: ","),
                                                              payload: ["msgid": request.msgid, "lines": String(items.count)]))
    }

    // MARK: 2205 cancel details

    func cancelDetails(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try Fields(in: request.input, "data")
        try await authorise(request.institutionCode, store: store, now: now)
        let mdtrtId = try data.string("mdtrt_id")
        _ = try await openVisit(mdtrtId, psnNo: try data.string("psn_no"), request: request, store: store, pointer: data.path("mdtrt_id"))
        let batch = try data.string("chrg_bchno")
        let details = try await store.feeDetails(mdtrtId: mdtrtId).filter { $0.chrgBchno == batch && $0.status == .uploaded }
        guard !details.isEmpty else {
            throw DomainError(.feeDetailsNone, .notFound, rule: .py10, pointer: data.path("chrg_bchno"),
                              "no unsettled fee details of batch \(batch) on visit \(mdtrtId)")
        }
        for var detail in details {
            detail.status = .cancelled
            try await store.save(detail)
        }
        return (.object([:]), TraceEvent(at: now, kind: "fsi.2205", actor: request.institutionCode, subject: mdtrtId,
                                        payload: ["msgid": request.msgid, "chrg_bchno": batch, "lines": String(details.count)]))
    }

    // MARK: 2206 / 2207

    func settle(_ request: FSICall, store: any StoreWriting, now: Date, commit: Bool, loseAnswer: inout Bool) async throws -> (JSONValue, TraceEvent) {
        let data = try Fields(in: request.input, "data")
        let institution = try await authorise(request.institutionCode, store: store, now: now)
        let mdtrtId = try data.string("mdtrt_id")
        let psnNo = try data.string("psn_no")
        let visit = try await openVisit(mdtrtId, psnNo: psnNo, request: request, store: store, pointer: data.path("mdtrt_id"))
        let batch = try data.string("chrg_bchno")
        let insutype = try data.string("insutype")
        let useAccount = try data.oneOf("acct_used_flag", ["0", "1"], rule: .py4) == "1"
        let digest = Hex.encode((try? SM3.hash(JSONValue.object(data.object).serialized(sortedKeys: true))) ?? [])
        let previous = commit ? try await store.outpatientSettlement(mdtrtId: mdtrtId, chrgBchno: batch) : nil
        if let existing = previous, existing.status == .settled {
            guard existing.requestDigest == digest else {
                throw DomainError(.idempotencyKeyReused, .conflict, rule: .py6, pointer: data.path("chrg_bchno"),
                                  "batch \(batch) of visit \(mdtrtId) was already settled as \(existing.setlId) with a different request")
            }
            return (try JSONValue.parse(existing.answer), TraceEvent(at: now, kind: "fsi.2207", actor: request.institutionCode, subject: existing.setlId, outcome: "replayed"))
        }
        guard var person = try await store.person(psnNo: psnNo) else {
            throw DomainError(.personUnknown, .notFound, rule: .id1, pointer: data.path("psn_no"), "no insured person \(psnNo)")
        }
        try person.requireRealName(pointer: data.path("psn_no"))
        try person.requireInsured(pointer: data.path("psn_no"))
        try person.requireInternetPaymentAllowed(pointer: data.path("psn_no"))
        guard insutype == person.insutype else {
            throw DomainError.invalidValue(data.path("insutype"), "the person is insured under \(person.insutype)", expected: person.insutype, actual: insutype)
        }
        let cardSwiped = try await cardSettlement(of: visit, data: data, store: store)
        if commit, !cardSwiped { try await requireVoucherAuthentication(of: visit, data: data, request: request, store: store, now: now) }
        try await requirePrerequisites(request, visit: visit, store: store, pointer: data.path("mdtrt_id"))
        let details = try await store.feeDetails(mdtrtId: mdtrtId).filter { $0.chrgBchno == batch && $0.status == .uploaded }
        guard !details.isEmpty else {
            throw DomainError(.feeDetailsNone, .notFound, rule: .py10, pointer: data.path("chrg_bchno"),
                              "no unsettled fee details of batch \(batch): upload them with 2204 first")
        }
        // PY-6 (BJ annex §1(3)): the Internet follow-up consultation is settled online in real time, never by the card.
        if cardSwiped, let consultation = details.first(where: { $0.line.medListCodg == PolicyEngine.consultationCode }) {
            throw DomainError(.cardSettlementNotAllowed, .forbidden, rule: .py6, pointer: data.path("mdtrt_cert_type"),
                              "batch \(batch) holds the Internet follow-up consultation \(PolicyEngine.consultationCode) (feedetl_sn \(consultation.feedetlSn)), which settles online through mobile payment with the e-voucher; the card settles the rest (the drugs, their delivery, special-disease fees): upload the consultation in a batch of its own",
                              expected: IdentityMedium.eVoucher.rawValue, actual: IdentityMedium.socialSecurityCard.rawValue)
        }
        let total = try data.fen("medfee_sumamt")
        let sum = details.reduce(Int64(0)) { $0 + $1.result.detItemFeeSumamt.fen }
        guard total == sum else {
            throw DomainError.invalidValue(data.path("medfee_sumamt"), "medfee_sumamt must be the sum of the batch's fee details",
                                           expected: Money.yuan(sum), actual: Money.yuan(total), rule: .py10)
        }
        let sentMedType = try data.optionalString("med_type")
        try person.requireSpecialDiseaseInstitution(institution.code, medType: sentMedType ?? visit.medType,
                                                    local: SettlementCalculator.province(person.insuplcAdmdvs) == SettlementCalculator.province(institution.admdvs),
                                                    pointer: sentMedType == nil ? data.path("mdtrt_id") : data.path("med_type"))
        _ = try CrossRegionRules.requireDirectSettlement(insured: SettlementCalculator.province(person.insuplcAdmdvs), treated: SettlementCalculator.province(institution.admdvs),
                                                         filings: try await store.filings(psnNo: psnNo), at: now, pointer: data.path("psn_no"),
                                                         medType: try data.optionalString("med_type") ?? visit.medType, institution: institution.code,
                                                         pilot: policy.measures.filingFreePilot, insuredAdmdvs: person.insuplcAdmdvs, treatedAdmdvs: institution.admdvs)
        // Smart audit (PY-10, SV-3, SV-6) on the batch, as for mobile payment.
        let scope = try regionPolicy(institution.admdvs, pointer: "/fixmedins_code", rule: .xr6)
        let history = try await SettlementCalculator.SettlementHistory.of(psnNo, store: store)
        let findings = try await SettlementCalculator.audit(details.map { AuditLine(line: $0.line, hiRxno: $0.hiRxno) }, person: person, visit: visit, scope: scope,
                                                           institution: request.institutionCode, measures: policy.measures, store: store, history: history,
                                                           medType: sentMedType)
        if var refusal = SmartAudit.refusal(findings) {
            refusal.pointer = refusal.pointer.replacingOccurrences(of: "/feedetailList/", with: "/input/feedetail/")
            throw refusal
        }
        // Flags are kept with the settlement for manual review (PY-10): the audit's, and XR-7's settlement in both places.
        var flags = findings.map(\.stored)
        if let both = try await SettlementCalculator.settledInBothPlaces(psnNo: psnNo, insured: SettlementCalculator.province(person.insuplcAdmdvs),
                                                                          treated: SettlementCalculator.province(institution.admdvs), store: store, now: now,
                                                                          pointer: data.path("psn_no"), history: history) {
            flags.append(both)
        }
        let year = SettlementCalculator.year(now)
        let (result, used) = try await SettlementCalculator.split(details.map(\.result), person: person, institution: institution, insutype: insutype,
                                                            useAccount: useAccount, year: year, accountBalanceFen: person.accountBalanceFen,
                                                            regions: regions, store: store, pointer: data.path("psn_no"))
        guard commit else {
            return (.object(["setlinfo": try SettlementCalculator.encode(result)]),
                    TraceEvent(at: now, kind: "fsi.2206", actor: request.institutionCode, subject: mdtrtId, payload: ["msgid": request.msgid, "chrg_bchno": batch]))
        }
        let setlId = try await Identifiers.mint(.settlement, store: store, now: now)
        try await SettlementLedger.post(SettlementPosting(psnNo: psnNo, settledBy: setlId, year: year, accountFen: result.acctPay.fen,
                                                          deductibleFen: result.actPayDedc.fen, fundFen: result.fundPaySumamt.fen,
                                                          prescriptions: details.compactMap(\.hiRxno)),
                                        person: &person, used: used, store: store)
        for var detail in details {
            detail.status = .settled
            try await store.save(detail)
        }
        // PY-11: the receipt — the institution's e-invoice when 2207 names one (invono), else an e-bill or a paper receipt.
        let invono = try data.optionalString("invono")
        try await Receipts.reserveInvoiceNumber(invono, institution: institution.code, settlement: setlId, pointer: data.path("invono"), store: store, now: now)
        let receipt = try await Receipts.issue(for: institution, amountFen: result.medfeeSumamt.fen, invono: invono, store: store, now: now)
        var setlinfo = try SettlementCalculator.encode(result).objectValue ?? [:]
        setlinfo["setl_id"] = .string(setlId)
        setlinfo["mdtrt_id"] = .string(mdtrtId)
        setlinfo["psn_no"] = .string(psnNo)
        setlinfo["setl_time"] = .string(Timestamps.fsi(now))
        for member in receipt.fsiMembers.members { setlinfo[member.key] = member.value }
        let answer: JSONValue = .object(["setlinfo": .object(setlinfo), "setldetail": .array(try details.map { try SettlementCalculator.encode($0.result) })])
        var settlement = OutpatientSettlement(setlId: setlId, mdtrtId: mdtrtId, psnNo: psnNo, institutionCode: request.institutionCode, chrgBchno: batch,
                                              result: result, settledAt: now, requestDigest: digest, answer: answer.serialized())
        settlement.msgid = request.msgid
        settlement.receipt = receipt
        if let overBudget = try await SettlementCalculator.budgetFlag(institution, fundFen: result.fundPaySumamt.fen, store: store, now: now, pointer: "/fixmedins_code") {
            flags.append(overBudget)
        }
        settlement.flags = flags.isEmpty ? nil : flags
        try await store.save(settlement)
        // The lost-answer persona loses the first settlement of a batch; one after a reversal answers.
        loseAnswer = person.testPersona == .lostAnswer && previous == nil
        return (answer, TraceEvent(at: now, kind: "fsi.2207", actor: request.institutionCode, subject: setlId,
                                   payload: ["msgid": request.msgid, "psn_no": psnNo, "mdtrt_id": mdtrtId, "medfee_sumamt": result.medfeeSumamt.description,
                                             "fund_pay_sumamt": result.fundPaySumamt.description, "acct_pay": result.acctPay.description]))
    }

    // MARK: 2208 cancel settlement

    func cancelSettlement(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try Fields(in: request.input, "data")
        try await authorise(request.institutionCode, store: store, now: now)
        let setlId = try data.string("setl_id")
        guard var settlement = try await store.outpatientSettlement(setlId: setlId), settlement.institutionCode == request.institutionCode else {
            throw DomainError(.settlementUnknown, .notFound, rule: .py6, pointer: data.path("setl_id"), "no settlement \(setlId) of \(request.institutionCode)")
        }
        guard settlement.mdtrtId == (try data.string("mdtrt_id")), settlement.psnNo == (try data.string("psn_no")) else {
            throw DomainError.invalidValue(data.path("mdtrt_id"), "mdtrt_id and psn_no must be the settlement's", expected: "\(settlement.mdtrtId) / \(settlement.psnNo)")
        }
        try Self.requireInForce(settlement, pointer: data.path("setl_id"))
        try await Self.undo(&settlement, reversedBy: nil, store: store, now: now, pointer: data.path("setl_id"))
        return (Self.cancellationAnswer(settlement),
                TraceEvent(at: now, kind: "fsi.2208", actor: request.institutionCode, subject: setlId, payload: ["msgid": request.msgid]))
    }

    /// 2208's and 2103's guard: a settlement is cancelled once.
    static func requireInForce(_ settlement: OutpatientSettlement, pointer: String) throws {
        guard settlement.status == .settled else {
            throw DomainError(.settlementAlreadyCancelled, .conflict, rule: .py6, pointer: pointer,
                              "settlement \(settlement.setlId) was already cancelled at \(settlement.cancelledAt.map(Timestamps.fsi) ?? "?")")
        }
    }

    /// 2208's and 2103's answer: `setlinfo` with the settlement's amounts negated.
    static func cancellationAnswer(_ settlement: OutpatientSettlement) -> JSONValue {
        func negated(_ amount: Amount) -> JSONValue { .string(Money.yuan(-amount.fen)) }
        return .object(["setlinfo": .object(["setl_id": .string(settlement.setlId), "mdtrt_id": .string(settlement.mdtrtId), "psn_no": .string(settlement.psnNo),
                                              "medfee_sumamt": negated(settlement.result.medfeeSumamt),
                                              "fund_pay_sumamt": negated(settlement.result.fundPaySumamt),
                                              "acct_pay": negated(settlement.result.acctPay),
                                              "psn_cash_pay": negated(settlement.result.psnCashPay)])])
    }

    /// Cancels `settlement` (2208, or a 2601 of its 2207): its lines back to uploaded, account money,
    /// deductible, fund counter and prescriptions given back (SettlementLedger), the record saved.
    static func undo(_ settlement: inout OutpatientSettlement, reversedBy: String?, store: any StoreWriting, now: Date, pointer: String) async throws {
        settlement.status = .cancelled
        settlement.cancelledAt = now
        settlement.reversedBy = reversedBy
        var prescriptions: [String] = []
        for var detail in try await store.feeDetails(mdtrtId: settlement.mdtrtId) where detail.chrgBchno == settlement.chrgBchno && detail.status == .settled {
            detail.status = .uploaded
            try await store.save(detail)
            if let number = detail.hiRxno { prescriptions.append(number) }
        }
        try await SettlementLedger.reverse(SettlementPosting(psnNo: settlement.psnNo, settledBy: settlement.setlId, year: SettlementCalculator.year(settlement.settledAt),
                                                             accountFen: settlement.result.acctPay.fen, deductibleFen: settlement.result.actPayDedc.fen,
                                                             fundFen: settlement.result.fundPaySumamt.fen, prescriptions: prescriptions),
                                           store: store, pointer: pointer)
        try await store.save(settlement)
    }
}
