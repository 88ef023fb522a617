import Foundation
import YibaoCore
import YibaoCrypto
import YibaoStore

/// FSI 2101/2102/2103: a designated retail pharmacy settles the drugs of a circulated prescription it
/// dispensed (docs/SETTLEMENT.md §11). The fund share is settled **with the pharmacy** (PY-7): the
/// settlement is the pharmacy's (its reconciliation, its statistics), and the prescribing hospital
/// may not settle those drugs (the smart audit's AUD-RX-005).
extension FSITransactions {
    /// 2101 (`commit` false) pre-settles, 2102 settles: the same checks and the same split.
    func pharmacySettle(_ request: FSICall, store: any StoreWriting, now: Date, commit: Bool) async throws -> (JSONValue, TraceEvent) {
        // Nodes as the public vendor model sends them (`druginfo` + `drugdetail`), or `data` + `feedetail`.
        let node = request.input.object["druginfo"] != nil ? "druginfo" : "data"
        let linesNode = request.input.object["drugdetail"] != nil ? "drugdetail" : "feedetail"
        let data = try Fields(in: request.input, node)
        let pharmacy = try await authorise(request.institutionCode, store: store, now: now)
        guard pharmacy.kind == .retailPharmacy else {
            throw DomainError(.retailPharmacyOnly, .forbidden, rule: .py7, pointer: "/fixmedins_code",
                              "\(request.institutionCode) is not a designated retail pharmacy: 2101/2102/2103 are the pharmacy's settlement; a hospital settles its visits with 2206/2207 or mobile payment",
                              actual: request.institutionCode)
        }
        let psnNo = try data.string("psn_no")
        let insutype = try data.string("insutype")
        let useAccount = commit ? try data.oneOf("acct_used_flag", ["0", "1"], rule: .py4) == "1"
                                : (try data.optionalString("acct_used_flag")).map { $0 == "1" } ?? false
        let medium = try IdentityMedium.parse(try data.optionalString("mdtrt_cert_type"), pointer: data.path("mdtrt_cert_type"))
        let certNo = try data.string("mdtrt_cert_no")
        if let begin = try data.optionalString("begntime"), Timestamps.parseFSI(begin) == nil {
            throw DomainError.invalidValue(data.path("begntime"), "begntime must be yyyy-MM-dd HH:mm:ss", expected: "yyyy-MM-dd HH:mm:ss", actual: begin)
        }
        // medins_setl_id (医药机构结算ID), when sent, makes a retried 2102 answer the first settlement; without
        // it a retry is refused by the audit (AUD-RX-002: the prescription is settled already).
        let settlementKey = commit ? try data.optionalString("medins_setl_id") ?? "" : ""
        let digest = Hex.encode((try? SM3.hash(JSONValue.object(request.input.object).serialized(sortedKeys: true))) ?? [])
        let keptScope = "fsi.2102:\(request.institutionCode)"
        if commit, !settlementKey.isEmpty, let kept = try await store.keptAnswer(scope: keptScope, key: settlementKey, at: now),
           let setlId = kept.split(separator: "|").first.map(String.init), let existing = try await store.outpatientSettlement(setlId: setlId),
           existing.status == .settled {
            guard existing.requestDigest == digest else {
                throw DomainError(.idempotencyKeyReused, .conflict, rule: .py6, pointer: data.path("medins_setl_id"),
                                  "medins_setl_id \(settlementKey) was already settled as \(existing.setlId) with a different request")
            }
            return (try JSONValue.parse(Array(existing.answer.utf8)), TraceEvent(at: now, kind: "fsi.2102", actor: request.institutionCode, subject: existing.setlId,
                                                                                 outcome: "replayed", payload: ["msgid": request.msgid]))
        }
        guard var person = try await store.person(psnNo: psnNo) else {
            throw DomainError(.personUnknown, .notFound, rule: .id1, pointer: data.path("psn_no"), "no insured person \(psnNo)", actual: psnNo)
        }
        try await requireSamePerson(medium: medium, certNo: certNo, person: person, data: data, store: store)
        try person.requireRealName(pointer: data.path("psn_no"))
        try person.requireInsured(pointer: data.path("psn_no"))
        try person.requireInternetPaymentAllowed(pointer: data.path("psn_no"))
        guard insutype == person.insutype else {
            throw DomainError.invalidValue(data.path("insutype"), "the person is insured under \(person.insutype)", expected: person.insutype, actual: insutype)
        }

        // The drug lines: a circulated line names the prescription (rxno = hiRxno) this pharmacy dispensed (RX-4).
        guard case .array(let items)? = request.input.object[linesNode], !items.isEmpty else {
            throw DomainError.missing("/input/\(linesNode)", "\"drugdetail\" (at least one drug line)")
        }
        let scope = try SettlementCalculator.region(pharmacy.admdvs, in: regions, pointer: "/fixmedins_code", rule: .xr6)
        var lines: [AuditLine] = [], results: [LineResult] = [], serials = Set<String>()
        for (index, item) in items.enumerated() {
            guard case .object(let object) = item else { throw DomainError.invalidValue("/input/\(linesNode)/\(index)", "a drug line is an object") }
            let line = Fields(object, at: "/input/\(linesNode)/\(index)")
            let sn = try line.string("feedetl_sn")
            guard serials.insert(sn).inserted else {
                throw DomainError(.feedetlSnReused, .conflict, rule: .py10, pointer: line.path("feedetl_sn"), "feedetl_sn \(sn) appears twice in this settlement")
            }
            let count = try line.quantity("cnt")
            guard let cnt = Decimal(string: count), cnt > 0 else { throw DomainError.invalidValue(line.path("cnt"), "cnt must be a positive number", actual: count) }
            let circulated = try line.optionalString("rx_circ_flag") == "1"
            var hiRxno: String?
            if circulated {
                let number = try line.string("rxno", "the platform's prescription number (hiRxno) of a circulated line (rx_circ_flag 1)")
                if let record = try await store.prescription(hiRxno: number), record.psnNo == psnNo {
                    guard record.dispensings.contains(where: { $0.institutionCode == request.institutionCode }) else {
                        throw DomainError(.rxNotDispensedHere, .forbidden, rule: .rx4, pointer: line.path("rxno"),
                                          "prescription \(number) was not dispensed by \(request.institutionCode) (rxDispense): a pharmacy settles only what it dispensed"
                                          + (record.dispensings.last.map { "; it was dispensed by \($0.institutionCode)" } ?? "; it has not been dispensed"))
                    }
                }
                hiRxno = number
            }
            let fee = FeeLine(feedetlSn: sn, medListCodg: try line.string("med_list_codg"), pric: Amount(fen: try line.fen("pric")), cnt: cnt,
                              detItemFeeSumamt: Amount(fen: try line.fen("det_item_fee_sumamt")), online: true, rxCircFlag: circulated)
            do { results.append(try PolicyEngine.classify(fee, scope: scope, index: index)) } catch var error as DomainError {
                if error.pointer.hasPrefix("/feedetail/") { error.pointer = "/input/\(linesNode)/" + error.pointer.dropFirst("/feedetail/".count) }
                throw error
            }
            lines.append(AuditLine(line: fee, hiRxno: hiRxno))
        }
        let total = try data.fen("medfee_sumamt")
        let sum = results.reduce(Int64(0)) { $0 + $1.detItemFeeSumamt.fen }
        guard total == sum else {
            throw DomainError.invalidValue(data.path("medfee_sumamt"), "medfee_sumamt must be the sum of the drug lines", expected: Money.yuan(sum), actual: Money.yuan(total), rule: .py10)
        }
        _ = try CrossRegionRules.requireDirectSettlement(insured: SettlementCalculator.province(person.insuplcAdmdvs), treated: SettlementCalculator.province(pharmacy.admdvs),
                                                         filings: try await store.filings(psnNo: psnNo), at: now, pointer: data.path("psn_no"),
                                                         pilot: policy.measures.filingFreePilot, insuredAdmdvs: person.insuplcAdmdvs, treatedAdmdvs: pharmacy.admdvs)
        // The smart audit (SV-3, SV-6, RX-2 revoked, RX-4 settled once) with the pharmacy as the settling institution.
        let findings = try await SettlementCalculator.audit(lines, person: person, visit: nil, scope: scope, institution: request.institutionCode, measures: policy.measures, store: store)
        if var refusal = SmartAudit.refusal(findings) {
            refusal.pointer = refusal.pointer.replacingOccurrences(of: "/feedetailList/", with: "/input/\(linesNode)/").replacingOccurrences(of: "/hiRxno", with: "/rxno")
            throw refusal
        }
        let year = SettlementCalculator.year(now)
        let (result, used) = try await SettlementCalculator.split(results, person: person, institution: pharmacy, insutype: insutype, useAccount: useAccount,
                                                                  year: year, accountBalanceFen: person.accountBalanceFen, regions: regions, store: store,
                                                                  pointer: data.path("psn_no"))
        guard commit else {
            return (.object(["setlinfo": try SettlementCalculator.encode(result), "detlcutinfo": .array(try results.map { try SettlementCalculator.encode($0) })]),
                    TraceEvent(at: now, kind: "fsi.2101", actor: request.institutionCode, subject: psnNo, payload: ["msgid": request.msgid, "psn_no": psnNo]))
        }
        let setlId = try await Identifiers.mint(.settlement, store: store, now: now)
        let mdtrtId = try await Identifiers.mint(.visit(admdvs: pharmacy.admdvs), store: store, now: now)
        let prescriptions = lines.compactMap(\.hiRxno)
        try await SettlementLedger.post(SettlementPosting(psnNo: psnNo, settledBy: setlId, year: year, accountFen: result.acctPay.fen,
                                                          deductibleFen: result.actPayDedc.fen, fundFen: result.fundPaySumamt.fen, prescriptions: prescriptions),
                                        person: &person, used: used, store: store)
        for (line, classified) in zip(lines, results) {
            var detail = FeeDetail(mdtrtId: mdtrtId, feedetlSn: line.line.feedetlSn, chrgBchno: settlementKey, line: line.line, result: classified,
                                   uploadedAt: now, hiRxno: line.hiRxno)
            detail.status = .settled
            detail.msgid = request.msgid
            try await store.save(detail)
        }
        var setlinfo = try SettlementCalculator.encode(result).objectValue ?? [:]
        setlinfo["setl_id"] = .string(setlId)
        setlinfo["mdtrt_id"] = .string(mdtrtId)
        setlinfo["psn_no"] = .string(psnNo)
        setlinfo["medins_setl_id"] = .string(settlementKey)
        setlinfo["setl_time"] = .string(Timestamps.fsi(now))
        setlinfo["fixmedins_code"] = .string(request.institutionCode)
        // PY-11: the pharmacy's receipt (its e-invoice when druginfo names one, else an e-bill or paper).
        let invono = try data.optionalString("invono")
        try await Receipts.reserveInvoiceNumber(invono, institution: pharmacy.code, settlement: setlId, pointer: data.path("invono"), store: store, now: now)
        let receipt = try await Receipts.issue(for: pharmacy, amountFen: result.medfeeSumamt.fen, invono: invono, store: store, now: now)
        for member in receipt.fsiMembers.members { setlinfo[member.key] = member.value }
        let answer: JSONValue = .object(["setlinfo": .object(setlinfo), "setldetail": .array(Self.fundDetail(result)),
                                         "detlcutinfo": .array(try results.map { try SettlementCalculator.encode($0) })])
        var settlement = OutpatientSettlement(setlId: setlId, mdtrtId: mdtrtId, psnNo: psnNo, institutionCode: request.institutionCode, chrgBchno: settlementKey,
                                              result: result, settledAt: now, requestDigest: digest, answer: answer.serialized())
        settlement.msgid = request.msgid
        settlement.receipt = receipt
        try await store.save(settlement)
        if !settlementKey.isEmpty {
            try await store.keepAnswer(scope: keptScope, key: settlementKey, answer: setlId + "|" + digest, at: now,
                                       expiresAt: now.addingTimeInterval(Self.settlementKeyLifetime))
        }
        return (answer, TraceEvent(at: now, kind: "fsi.2102", actor: request.institutionCode, subject: setlId,
                                   payload: ["msgid": request.msgid, "psn_no": psnNo, "medins_setl_id": settlementKey, "rxno": prescriptions.joined(separator: ","),
                                             "medfee_sumamt": result.medfeeSumamt.description, "fund_pay_sumamt": result.fundPaySumamt.description]))
    }

    /// `setldetail`: the fund's part as one row per fund (the pooled fund of the person's insutype).
    static func fundDetail(_ result: SettlementResult) -> [JSONValue] {
        guard result.fundPaySumamt.fen > 0 else { return [] }
        let fund = result.insutype == "390" ? "390100" : "310100"
        return [.object(["fund_pay_type": .string(fund), "inscp_scp_amt": .string(Money.yuan(result.inscpScpAmt.fen)),
                         "crt_payb_lmt_amt": .string(Money.yuan(result.annualCapRemaining.fen)), "fund_payamt": .string(Money.yuan(result.fundPaySumamt.fen)),
                         "fund_pay_type_name": .string(fund == "390100" ? "城乡居民基本医疗保险基金" : "职工基本医疗保险统筹基金"), "setl_proc_info": .string("")])]
    }

    /// How long 2102's `medins_setl_id` stays an idempotency key: a year.
    static let settlementKeyLifetime: TimeInterval = 366 * 86_400

    /// 2103: cancels the pharmacy's settlement `setl_id` — everything back as 2208 gives it back.
    func cancelPharmacySettlement(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try Fields(in: request.input, "data")
        try await authorise(request.institutionCode, store: store, now: now)
        let setlId = try data.string("setl_id")
        let psnNo = try data.string("psn_no")
        guard var settlement = try await store.outpatientSettlement(setlId: setlId), settlement.institutionCode == request.institutionCode, settlement.psnNo == psnNo else {
            throw DomainError(.settlementUnknown, .notFound, rule: .py6, pointer: data.path("setl_id"), "no settlement \(setlId) of \(psnNo) at \(request.institutionCode)")
        }
        if let mdtrtId = try data.optionalString("mdtrt_id"), mdtrtId != settlement.mdtrtId {
            throw DomainError.invalidValue(data.path("mdtrt_id"), "mdtrt_id must be the settlement's (2102 answered it)", expected: settlement.mdtrtId, actual: mdtrtId)
        }
        try Self.requireInForce(settlement, pointer: data.path("setl_id"))
        try await Self.undo(&settlement, reversedBy: nil, store: store, now: now, pointer: data.path("setl_id"))
        return (Self.cancellationAnswer(settlement),
                TraceEvent(at: now, kind: "fsi.2103", actor: request.institutionCode, subject: setlId, payload: ["msgid": request.msgid, "psn_no": psnNo]))
    }

    /// The identity medium names `person` (an e-voucher token must be one issued for them).
    private func requireSamePerson(medium: IdentityMedium, certNo: String, person: InsuredPerson, data: Fields, store: any StoreReading) async throws {
        let named: String? = switch medium {
        case .eVoucher: try await store.ecToken(certNo)?.psnNo
        case .residentID: try await store.person(certno: certNo)?.psnNo
        case .socialSecurityCard: try await store.person(socialSecurityCardNo: certNo)?.psnNo
        }
        guard named == person.psnNo else {
            throw DomainError(.personMismatch, .forbidden, rule: .id1, pointer: data.path("mdtrt_cert_no"),
                              "mdtrt_cert_no does not identify psn_no \(person.psnNo)")
        }
    }
}
