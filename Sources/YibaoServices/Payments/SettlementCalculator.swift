import Foundation
import YibaoCore
import YibaoCrypto
import YibaoStore

/// The rules around a mobile payment: who may pay (AG-1, ID-1, ID-3, ID-5, ID-2 payAuthNo), the
/// split from the policy engine (scope of the place of treatment, parameters of the place of
/// insurance: XR-1, XR-6), the personal account and the year's counters, the settlement callback.
package struct SettlementCalculator: Sendable {
    /// Region policy profiles (policies/regions), by province code.
    package let regions: [String: RegionPolicy]
    /// Queues the settlement callback, in the caller's transaction (the gateway seals it).
    package let notifier: any SettlementNotifier
    /// Rules broken on purpose (conformance self-checks only).
    package let faults: Set<GatewayFault>

    /// The smart audit's thresholds (SV-3, PY-1) among them.
    package let measures: MeasureNumbers

    package init(regions: [String: RegionPolicy], notifier: any SettlementNotifier, faults: Set<GatewayFault> = [], measures: MeasureNumbers = .standard) {
        self.measures = measures
        self.regions = regions
        self.notifier = notifier
        self.faults = faults
    }

    /// The province-level code of an admdvs (first two digits + "0000"), which names its region policy file.
    static func province(_ admdvs: String) -> String { String(admdvs.prefix(2)) + "0000" }

    /// The region policy of an admdvs, from `regions`.
    static func region(_ admdvs: String, in regions: [String: RegionPolicy], pointer: String, rule: Rule) throws -> RegionPolicy {
        let key = province(admdvs)
        guard let policy = regions[key] else {
            throw DomainError(.regionPolicyMissing, .forbidden, rule: rule, pointer: pointer,
                              "no policy profile for region \(key) (policies/regions/\(key).json)", actual: admdvs)
        }
        return policy
    }

    func region(_ admdvs: String, pointer: String, rule: Rule) throws -> RegionPolicy {
        try Self.region(admdvs, in: regions, pointer: pointer, rule: rule)
    }

    static func year(_ date: Date) -> Int { Int(Timestamps.day(date).prefix(4)) ?? 0 }

    static func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try JSONValue.parse(Array(try encoder.encode(value)))
    }

    /// 6201: checks, classification and pre-settlement; a new order awaiting payment.
    func uploadFees(_ data: Fields, institution code: String, store: any StoreWriting, now: Date,
                    catalogueMapping: Bool = false) async throws -> (order: PaymentOrder, setlinfo: JSONValue, lines: JSONValue) {
        let orgCodg = try data.string("orgCodg")
        guard orgCodg == code else {
            throw DomainError.invalidValue("/orgCodg", "orgCodg must be the institution of the appId that sealed the request", expected: code, actual: orgCodg)
        }
        let institution = try await InstitutionAuthorisation.require(code, store: store, now: now, pointer: "/orgCodg", measures: measures)
        let psnNo = try data.string("psnNo")
        let mdtrtId = try data.string("mdtrtId")
        let insutype = try data.string("insutype")
        // acctUsedFlag "0"/"1", 0/1 as a number, or "" (no account use) as real code sends it.
        let acctUsed: Bool
        switch data.object["acctUsedFlag"] {
        case nil, .null?, .string("")?: acctUsed = false
        case .number(let literal)? where literal == "0" || literal == "1": acctUsed = literal == "1"
        default: acctUsed = try data.oneOf("acctUsedFlag", ["0", "1"], rule: .py4) == "1"
        }
        guard let visit = try await store.registration(mdtrtId: mdtrtId), visit.institutionCode == code, visit.status == .registered else {
            throw DomainError(.visitUnknown, .notFound, rule: .sc4, pointer: "/mdtrtId", "no open visit \(mdtrtId) of \(code)", actual: mdtrtId)
        }
        guard visit.psnNo == psnNo else { throw DomainError.invalidValue("/psnNo", "the visit belongs to another person", expected: visit.psnNo, actual: psnNo) }
        guard let person = try await store.person(psnNo: psnNo) else {
            throw DomainError(.personUnknown, .notFound, rule: .id1, pointer: "/psnNo", "no insured person \(psnNo)")
        }
        try person.requireRealName(pointer: "/psnNo")
        try person.requireInsured(pointer: "/psnNo")
        try person.requireInternetPaymentAllowed(pointer: "/psnNo")
        guard insutype == person.insutype else {
            throw DomainError.invalidValue("/insutype", "the person is insured under \(person.insutype)", expected: person.insutype, actual: insutype)
        }
        // Real 6201 calls carry the patient's identity (idNo, idType, userName): each one sent must be the person's.
        for (member, expected) in [("idNo", person.certno), ("idType", person.psnCertType), ("userName", person.name)] {
            guard let sent = try data.optionalString(member) else { continue }
            guard member == "idNo" ? sent.uppercased() == expected.uppercased() : sent == expected else {
                throw DomainError(.orderIdentityMismatch, .forbidden, rule: .id1, pointer: data.path(member),
                                  "\(member) is not that of person \(psnNo), whose visit this is")
            }
        }
        if try data.optionalString("ecToken") != nil, try data.optionalString("payAuthNo") != nil {
            throw DomainError.invalidValue("/ecToken", "send exactly one of ecToken and payAuthNo (the patient's authorisation, one way or the other)",
                                           rule: .id2)
        }
        // The patient's authorisation: a payAuthNo from the wallet (online), or an ecToken from scanning the e-voucher at the counter.
        let credential: String
        if let ecToken = try data.optionalString("ecToken") {
            guard var token = try await store.ecToken(ecToken), token.psnNo == psnNo else {
                throw DomainError(.tokenUnknown, .unauthenticated, rule: .id2, pointer: data.path("ecToken"),
                                  "ecToken is not one this platform issued for person \(psnNo) (ec.query returns it when the patient's QR code is scanned)")
            }
            try token.redeem(transaction: "6201 \(try data.string("medOrgOrd"))", businessTypes: [], institution: code, at: now, pointer: data.path("ecToken"))
            try await store.save(token)
            credential = "ecToken:" + ecToken
        } else {
            let payAuthNo = try data.string("payAuthNo", "the patient's authorisation: payAuthNo from the wallet (ec.payAuth) or ecToken from a scan (ec.query)")
            try await checkPayAuthNo(payAuthNo, psnNo: psnNo, institution: code, store: store, now: now, pointer: "/payAuthNo")
            credential = "payAuthNo:" + payAuthNo
        }
        // Read as real code sends them: the upload's location "longitude,latitude" and the settlement way.
        if let location = try data.optionalString("uldLatlnt") {
            let parts = location.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, let longitude = parts[0], let latitude = parts[1], abs(longitude) <= 180, abs(latitude) <= 90 else {
                throw DomainError.invalidValue(data.path("uldLatlnt"), "uldLatlnt is the upload's location as \"longitude,latitude\" in degrees",
                                               expected: "e.g. \"117.2,39.1\"", actual: location)
            }
        }
        if try data.optionalString("psnSetlway") != nil {
            _ = try data.oneOf("psnSetlway", ["01", "02"], rule: .py6) // 01 by item, 02 by flat rate
        }

        guard case .array(let items)? = data.object["feedetailList"], !items.isEmpty else {
            throw DomainError.missing("/feedetailList", "\"feedetailList\" (at least one fee line)")
        }
        var lines: [FeeLine] = []
        var prescriptionNumbers: [String?] = []
        for (index, item) in items.enumerated() {
            guard case .object(let object) = item else { throw DomainError.invalidValue("/feedetailList/\(index)", "a fee line is an object") }
            let line = Fields(object, at: "/feedetailList/\(index)")
            let count = try line.quantity("cnt")
            guard let cnt = Decimal(string: count), cnt > 0 else { throw DomainError.invalidValue(line.path("cnt"), "cnt must be a positive number", actual: count) }
            if catalogueMapping {
                try await FSITransactions.requireMapped(try line.optionalString("medinsListCodg"), medListCodg: try line.string("medListCodg"),
                                                        institution: code, store: store, now: now, pointer: line.path("medinsListCodg"))
            }
            lines.append(FeeLine(feedetlSn: try line.string("feedetlSn"), medListCodg: try line.string("medListCodg"),
                                 pric: Amount(fen: try line.fen("pric")), cnt: cnt, detItemFeeSumamt: Amount(fen: try line.fen("detItemFeeSumamt")),
                                 online: true, rxCircFlag: (try line.optionalString("rxCircFlag")) == "1"))
            let circulated = (try line.optionalString("rxCircFlag")) == "1"
            prescriptionNumbers.append(circulated ? try line.optionalString("hiRxno") ?? line.optionalString("rxno") : nil)
        }
        let total = try data.fen("medfeeSumamt")
        let sum = lines.reduce(Int64(0)) { $0 + $1.detItemFeeSumamt.fen }
        guard total == sum else {
            throw DomainError.invalidValue("/medfeeSumamt", "medfeeSumamt must be the sum of the fee lines' detItemFeeSumamt",
                                           expected: Money.yuan(sum), actual: Money.yuan(total), rule: .py6)
        }
        // The optional parts a HIS pre-computes must add up to the total when sent (Shanxi's check).
        let parts = ["fulamtOwnpayAmt", "preselfpayAmt", "inscpScpAmt"]
        if parts.contains(where: { data.object[$0] != nil && data.object[$0] != .null }) {
            var partsFen: Int64 = 0
            for part in parts where data.object[part] != nil && data.object[part] != .null { partsFen += try data.fen(part) }
            guard partsFen == total else {
                throw DomainError.invalidValue("/inscpScpAmt", "fulamtOwnpayAmt + preselfpayAmt + inscpScpAmt must equal medfeeSumamt when they are sent",
                                               expected: Money.yuan(total), actual: Money.yuan(partsFen), rule: .py6)
            }
        }
        let insuredRegion = Self.province(person.insuplcAdmdvs), treatedRegion = Self.province(institution.admdvs)
        _ = try CrossRegionRules.requireDirectSettlement(insured: insuredRegion, treated: treatedRegion,
                                                         filings: try await store.filings(psnNo: psnNo), at: now, pointer: "/psnNo",
                                                         pilot: measures.filingFreePilot, insuredAdmdvs: person.insuplcAdmdvs, treatedAdmdvs: institution.admdvs)
        let history = try await SettlementHistory.of(psnNo, store: store)
        let doubleSettlement = try await Self.settledInBothPlaces(psnNo: psnNo, insured: insuredRegion, treated: treatedRegion, store: store, now: now, history: history)
        let scope = try region(institution.admdvs, pointer: "/orgCodg", rule: .xr6)
        var classified: [LineResult] = []
        for (index, line) in lines.enumerated() {
            do { classified.append(try PolicyEngine.classify(line, scope: scope, index: index)) } catch var error as DomainError {
                if error.pointer.hasPrefix("/feedetail/") {
                    error.pointer = "/feedetailList/" + error.pointer.dropFirst("/feedetail/".count)
                    for (fsi, hse) in [("/med_list_codg", "/medListCodg"), ("/det_item_fee_sumamt", "/detItemFeeSumamt")] where error.pointer.hasSuffix(fsi) {
                        error.pointer = String(error.pointer.dropLast(fsi.count)) + hse
                    }
                }
                throw error
            }
        }
        // Smart audit before settlement (PY-10, SV-3, SV-6): a refusing finding refuses; flags are kept with the order.
        // SC-3: the disease 6201 names (diseCodg) is a condition of the visit too.
        let findings = try await Self.audit(zip(lines, prescriptionNumbers).map { AuditLine(line: $0.0, hiRxno: $0.1) }, person: person, visit: visit, scope: scope,
                                            institution: code, measures: measures, store: store, history: history,
                                            declaredDiagnosis: try data.optionalString("diseCodg"))
        if let refusal = SmartAudit.refusal(findings) { throw refusal }
        let result = try await Self.split(classified, person: person, institution: institution, insutype: insutype, useAccount: acctUsed, year: Self.year(now),
                                    accountBalanceFen: person.accountBalanceFen, regions: regions, store: store, pointer: "/psnNo").result
        var order = PaymentOrder(payOrdId: try await Identifiers.mint(.paymentOrder, store: store, now: now), payToken: TokenGenerator.hex(bytes: 16),
                                 institutionCode: code, medOrgOrd: try data.string("medOrgOrd"), chrgBchno: try data.string("chrgBchno"), psnNo: psnNo,
                                 mdtrtId: mdtrtId, insutype: insutype, feeSumFen: result.medfeeSumamt.fen, fundFen: result.fundPaySumamt.fen,
                                 accountFen: result.acctPay.fen, cashFen: result.psnCashPay.fen, acctUsedFlag: acctUsed,
                                 settlement: try Self.encode(result).serialized(), lines: try Self.encode(classified).serialized(),
                                 createdAt: now, uploadDigest: "", uploadAnswer: "")
        order.prescriptionNumbers = Array(Set(prescriptionNumbers.compactMap { $0 })).sorted()
        order.credential = credential
        order.invono = try data.optionalString("invono")
        try await Receipts.reserveInvoiceNumber(order.invono, institution: code, settlement: nil, pointer: "/invono", store: store, now: now)
        order.auditFindings = findings.map(\.stored)
        if let doubleSettlement { order.auditFindings.append(doubleSettlement) }
        if let overBudget = try await Self.budgetFlag(institution, fundFen: result.fundPaySumamt.fen, store: store, now: now, pointer: "/orgCodg") {
            order.auditFindings.append(overBudget)
        }
        return (order, try Self.encode(result), try Self.encode(classified))
    }

    /// A person's settlements the checks around a new one look at — the same-day duplicates of the smart audit,
    /// XR-7's settlements in the other place — read once per settlement: their paid mobile orders and FSI settlements.
    struct SettlementHistory: Sendable {
        var orders: [PaymentOrder]
        var settlements: [OutpatientSettlement]

        static func of(_ psnNo: String, store: any StoreReading) async throws -> SettlementHistory {
            SettlementHistory(orders: try await store.paymentOrders(psnNo: psnNo), settlements: try await store.outpatientSettlements(psnNo: psnNo))
        }
    }

    /// PY-12: a settlement whose fund share takes the institution's fund payments of the year (its FSI settlements
    /// and mobile payments, net of refunds) beyond its total budget is flagged for the year-end appraisal (AG-15).
    static func budgetFlag(_ institution: Institution, fundFen: Int64, store: any StoreReading, now: Date, pointer: String) async throws -> String? {
        guard let budget = institution.annualBudgetFen, fundFen > 0 else { return nil }
        let year = Self.year(now)
        guard let start = Timestamps.parseDay("\(year)-01-01") else { return nil }
        // Up to and including now (the range's end is exclusive): a settlement at this very instant counts too.
        let paid = try await store.settlementEntries(institutionCode: institution.code, from: start, to: now.addingTimeInterval(0.001)).reduce(Int64(0)) { $0 + $1.fund }
        guard paid + fundFen > budget else { return nil }
        return AuditFinding(id: "PY-12", rule: .py12, action: .flag, pointer: pointer,
                            detail: "the fund's payments to \(institution.code) in \(year) reach \(Money.yuan(paid + fundFen)) with this settlement's \(Money.yuan(fundFen)), beyond its total budget of \(Money.yuan(budget)); recorded for the year-end appraisal").stored
    }

    /// XR-7: a settlement in a month in which the person also settled in the other place — away from home after
    /// one at home, or at home after one away — is flagged for verification, whichever path settled each (mobile
    /// payment, FSI 2207, a pharmacy's 2102); `pointer` names the person in the request. nil when there is none.
    static func settledInBothPlaces(psnNo: String, insured: String, treated: String, store: any StoreReading, now: Date,
                                    pointer: String = "/psnNo", history known: SettlementHistory? = nil) async throws -> String? {
        let history: SettlementHistory
        if let known { history = known } else { history = try await SettlementHistory.of(psnNo, store: store) }
        let month = String(Timestamps.day(now).prefix(7))
        var regions: [String: String] = [:]
        func province(of code: String) async throws -> String {
            if let known = regions[code] { return known }
            let found = try await store.institution(code: code).map { Self.province($0.admdvs) } ?? ""
            regions[code] = found
            return found
        }
        var earlier: [(institution: String, what: String)] = []
        for order in history.orders where order.setlId != nil && order.status != .refunded {
            guard let paid = order.paidAt, Timestamps.day(paid).hasPrefix(month) else { continue }
            earlier.append((order.institutionCode, "order \(order.payOrdId)"))
        }
        for settlement in history.settlements where settlement.status == .settled && Timestamps.day(settlement.settledAt).hasPrefix(month) {
            earlier.append((settlement.institutionCode, "settlement \(settlement.setlId)"))
        }
        for (institution, what) in earlier {
            let place = try await province(of: institution)
            guard !place.isEmpty, place != treated else { continue }
            if treated != insured, place == insured {
                return AuditFinding(id: "XR-7", rule: .xr7, action: .flag, pointer: pointer,
                                    detail: "settled in \(treated) in \(month) after settling in the place of insurance \(insured) (\(what)); flagged for verification").stored
            }
            if treated == insured {
                return AuditFinding(id: "XR-7", rule: .xr7, action: .flag, pointer: pointer,
                                    detail: "settled in the place of insurance \(insured) in \(month) after settling away in \(place) (\(what)); flagged for verification").stored
            }
        }
        return nil
    }

    /// XR-4 / PY-9: a cross-region visit paid in cash without a filing, claimed after the person filed (the filing's
    /// start covers the visit): classified with the place of treatment's catalogue, split with the place of insurance's
    /// parameters, the fund share reimbursed; once per claimNo.
    func reimburseAfterTheFact(_ input: ReimbursementInput, store: any StoreWriting, now: Date) async throws -> JSONValue {
        guard let claimNo = input.claimNo, !claimNo.isEmpty else { throw DomainError.missing("/claimNo", "\"claimNo\" (or payOrdId)") }
        guard try await store.setting("reimbursement:\(claimNo)") == nil else {
            throw DomainError(.reimbursementDone, .conflict, rule: .py9, pointer: "/claimNo", "claim \(claimNo) was already reimbursed")
        }
        let visitKey = "reimbursement-visit:\(input.psnNo):\(input.institutionCode ?? ""):\(input.visitDate ?? "")"
        if let earlier = try await store.setting(visitKey) {
            throw DomainError(.reimbursementDone, .conflict, rule: .py9, pointer: "/visitDate",
                              "this person's visit to \(input.institutionCode ?? "") on \(input.visitDate ?? "") was already reimbursed (\(earlier))")
        }
        guard let person = try await store.person(psnNo: input.psnNo) else {
            throw DomainError(.personUnknown, .notFound, rule: .xr4, pointer: "/psnNo", "no person \(input.psnNo)")
        }
        guard let code = input.institutionCode, let institution = try await store.institution(code: code) else {
            throw DomainError(.institutionUnknown, .notFound, rule: .xr4, pointer: "/institutionCode", "no institution \(input.institutionCode ?? "")")
        }
        guard let day = input.visitDate, let visitDate = Timestamps.parseDay(day) else {
            throw DomainError.invalidValue("/visitDate", "visitDate must be yyyy-MM-dd", actual: input.visitDate, rule: .xr4)
        }
        let insured = Self.province(person.insuplcAdmdvs), treated = Self.province(institution.admdvs)
        guard insured != treated else {
            throw DomainError(.reimbursementNotCrossRegion, .invalid, rule: .xr4, pointer: "/institutionCode",
                              "this claim path is for visits away from the place of insurance (XR-4); \(input.psnNo) is insured in \(insured)")
        }
        guard visitDate <= now else {
            throw DomainError.invalidValue("/visitDate", "the visit cannot be in the future", actual: input.visitDate, rule: .xr4)
        }
        _ = try CrossRegionRules.requireDirectSettlement(insured: insured, treated: treated, filings: try await store.filings(psnNo: person.psnNo),
                                                         at: visitDate.addingTimeInterval(12 * 3600), pointer: "/visitDate",
                                                         pilot: measures.filingFreePilot, insuredAdmdvs: person.insuplcAdmdvs, treatedAdmdvs: institution.admdvs)
        // XR-4: no double payment — a visit the fund already paid by direct settlement (6202, 2207) is not reimbursed again.
        let direct = try await store.paymentOrders(psnNo: person.psnNo).first {
            $0.institutionCode == code && $0.setlId != nil && $0.status != .refunded && $0.paidAt.map(Timestamps.day) == day
        }.map { "order \($0.payOrdId)" }
        let settled = try await store.outpatientSettlements(psnNo: person.psnNo).first {
            $0.institutionCode == code && $0.status == .settled && Timestamps.day($0.settledAt) == day
        }.map { "settlement \($0.setlId)" }
        if let earlier = direct ?? settled {
            throw DomainError(.reimbursementSettledDirectly, .conflict, rule: .xr4, pointer: "/visitDate",
                              "\(input.psnNo)'s visit to \(code) on \(day) was settled directly (\(earlier)): the fund paid it, so it is not reimbursed again",
                              actual: earlier)
        }
        let lines = try (input.feedetailList ?? []).enumerated().map { index, line -> FeeLine in
            guard let pric = Money.fen(line.pric), let sum = Money.fen(line.detItemFeeSumamt), let cnt = Decimal(string: line.cnt) else {
                throw DomainError.invalidValue("/feedetailList/\(index)", "pric, cnt and detItemFeeSumamt are amounts written as strings", rule: .xr4)
            }
            // SC-4: a claim after the fact is for an offline visit away, paid in cash.
            return FeeLine(feedetlSn: line.feedetlSn, medListCodg: line.medListCodg, pric: Amount(fen: pric), cnt: cnt, detItemFeeSumamt: Amount(fen: sum),
                           online: false, rxCircFlag: false)
        }
        guard !lines.isEmpty else { throw DomainError.missing("/feedetailList", "the fee lines of the visit") }
        let classified: [LineResult]
        do { classified = try PolicyEngine.classify(lines, scope: try region(institution.admdvs, pointer: "/institutionCode", rule: .xr6)) } catch var error as DomainError {
            if error.pointer.hasPrefix("/feedetail/") {
                error.pointer = "/feedetailList/" + error.pointer.dropFirst("/feedetail/".count).replacingOccurrences(of: "med_list_codg", with: "medListCodg")
            }
            throw error
        }
        let year = Self.year(visitDate)
        let (result, used) = try await Self.split(classified, person: person, institution: institution, insutype: person.insutype, useAccount: false, year: year,
                                            accountBalanceFen: nil, regions: regions, store: store, pointer: "/psnNo")
        try await store.savePersonYear(psnNo: person.psnNo, year: year, deductibleUsedFen: used.deductibleUsedFen + result.actPayDedc.fen,
                                 fundPaidFen: used.fundPaidFen + result.fundPaySumamt.fen)
        try await store.setSetting("reimbursement:\(claimNo)", Timestamps.iso(now))
        try await store.setSetting(visitKey, claimNo)
        try await store.appendTrace(TraceEvent(at: now, kind: "admin.reimbursement", actor: "admin", subject: person.psnNo,
                                         payload: ["claimNo": claimNo, "institution": code, "fund": result.fundPaySumamt.description]))
        return .object(["claimNo": .string(claimNo), "psnNo": .string(person.psnNo), "medfeeSumamt": .string(result.medfeeSumamt.description),
                        "reimbursedAmt": .string(result.fundPaySumamt.description), "rule": .string(Rule.xr4.rawValue),
                        "setlinfo": try Self.encode(result)])
    }

    /// The split of classified lines for `person` at `institution`: the place of insurance's parameters and the
    /// year's counters as stored (XR-1); `accountBalanceFen` nil means no account (a cash claim). Also returns the counters used.
    static func split(_ lines: [LineResult], person: InsuredPerson, institution: Institution, insutype: String, useAccount: Bool, year: Int,
                      accountBalanceFen: Int64?, regions: [String: RegionPolicy], store: any StoreReading,
                      pointer: String) async throws -> (result: SettlementResult, used: (deductibleUsedFen: Int64, fundPaidFen: Int64)) {
        let used = try await store.personYear(psnNo: person.psnNo, year: year)
        let result = try PolicyEngine.settle(lines, insurance: try region(person.insuplcAdmdvs, in: regions, pointer: pointer, rule: .xr1), insutype: insutype,
                                             institutionLevel: institution.level ?? "1",
                                             person: PersonYear(deductibleUsed: Amount(fen: used.deductibleUsedFen), fundPaid: Amount(fen: used.fundPaidFen),
                                                                accountBalance: Amount(fen: accountBalanceFen ?? 0)),
                                             useAccount: useAccount && accountBalanceFen != nil)
        return (result, used)
    }

    /// Runs the smart audit over fee lines of `person`'s `visit`.
    /// The smart audit of `lines` settled by `institution` (PY-7: nil skips the check).
    static func audit(_ lines: [AuditLine], person: InsuredPerson, visit: Registration?, scope: RegionPolicy, institution: String?,
                      measures: MeasureNumbers = .standard, store: any StoreReading, history known: SettlementHistory? = nil,
                      declaredDiagnosis: String? = nil, medType: String? = nil) async throws -> [AuditFinding] {
        let history: SettlementHistory
        if let known { history = known } else { history = try await SettlementHistory.of(person.psnNo, store: store) }
        var prescriptions: [String: PrescriptionRecord] = [:]
        var settled = Set<String>()
        for number in Set(lines.compactMap(\.hiRxno)) {
            guard let record = try await store.prescription(hiRxno: number) else { continue }
            prescriptions[number] = record
            if record.settledBy != nil { settled.insert(number) }
        }
        let day = visit.map { Timestamps.day($0.registeredAt) } ?? "9999-12-31"
        // SC-3: a follow-up of the same condition — an offline visit, on or before the visit's day, for a condition of
        // this visit (its 2203 diagnoses, the main diagnoses of the prescriptions settled), compared by ICD-10 category.
        // A visit whose condition is not known (no 2203, no prescription) needs any prior offline visit.
        // The disease a 6201 names (diseCodg) counts only when nothing better is known: it cannot stand in for a 2203 diagnosis.
        var conditions = Set((visit?.diagnoses ?? []).filter(\.valid).map { OnlineScope.category($0.code) }
                             + prescriptions.values.compactMap { $0.mainDiagnosisCode.map(OnlineScope.category) })
        if conditions.isEmpty, let declared = declaredDiagnosis, !declared.isEmpty { conditions.insert(OnlineScope.category(declared)) }
        let followUp = try await store.offlineVisits(psnNo: person.psnNo).contains {
            $0.visitDate <= day && (conditions.isEmpty || conditions.contains(OnlineScope.category($0.diseaseCode)))
        }
        // The person's lines settled earlier the same day (mobile orders and FSI settlements), for duplicates.
        var sameDay: [FeeLine] = []
        for order in history.orders where order.setlId != nil && order.status != .refunded {
            guard let paid = order.paidAt, Timestamps.day(paid) == day else { continue }
            let results = (try? JSONDecoder().decode([LineResult].self, from: Data(order.lines.utf8))) ?? []
            sameDay += results.map { FeeLine(feedetlSn: $0.feedetlSn, medListCodg: $0.medListCodg, pric: $0.pric, cnt: $0.cnt, detItemFeeSumamt: $0.detItemFeeSumamt) }
        }
        for settlement in history.settlements where settlement.status == .settled
            && Timestamps.day(settlement.settledAt) == day {
            sameDay += settlement.result.lines.map { FeeLine(feedetlSn: $0.feedetlSn, medListCodg: $0.medListCodg, pric: $0.pric, cnt: $0.cnt, detItemFeeSumamt: $0.detItemFeeSumamt) }
        }
        var context = AuditContext(person: person, visit: visit, followUpDiagnosis: followUp, prescriptions: prescriptions,
                                   settledPrescriptions: settled, sameDayLines: sameDay, scope: scope,
                                   maxDrugBoxesPerLine: measures.maxDrugBoxesPerLine,
                                   maxConsultationsPerVisit: measures.maxConsultationsPerVisit, settlingInstitution: institution)
        if let visit { context.medicalRecordUploaded = try await medicalRecordUploaded(mdtrtId: visit.mdtrtId, institution: visit.institutionCode, store: store) }
        // SV-6: a special-disease visit is checked against the person's chronic-disease filings in force that day.
        if (medType ?? visit?.medType) == "14" {
            context.specialDiseaseFilings = try await store.chronicFilings(psnNo: person.psnNo).filter { $0.inForce(on: day) }
        }
        return SmartAudit.review(lines, context: context)
    }

    /// SV-1: whether visit `mdtrtId`'s medical record was uploaded by `institution` (FSI 4301 or 4701, recorded as ``FSIMessage``s).
    static func medicalRecordUploaded(mdtrtId: String, institution: String, store: any StoreReading) async throws -> Bool {
        for infno in ["4301", "4701"] where try await !store.fsiMessages(institutionCode: institution, infno: infno, subject: mdtrtId).isEmpty {
            return true
        }
        return false
    }

    /// The payAuthNo must be the patient's, for this institution, unexpired and unspent (ID-2).
    func checkPayAuthNo(_ payAuthNo: String, psnNo: String, institution: String, store: any StoreReading, now: Date, pointer: String) async throws {
        guard let authorisation = try await store.walletAuthorisation(payAuthNo: payAuthNo) else {
            throw DomainError(.payauthnoUnknown, .unauthenticated, rule: .id2, pointer: pointer,
                              "payAuthNo is not one the platform issued; the patient authorises payment in the wallet, then ec.payAuth exchanges the code")
        }
        guard authorisation.psnNo == psnNo else {
            throw DomainError(.payauthnoOtherPerson, .forbidden, rule: .id2, pointer: pointer, "payAuthNo belongs to another person")
        }
        var probe = authorisation
        try probe.spendPayAuthNo(by: institution, transaction: "probe", at: now, pointer: pointer)
    }

    /// The patient's authorisation a payment spends: the payAuthNo sent, or the ecToken of an order
    /// uploaded with one (the same token, presented once to this order's payment).
    enum SpentAuthorisation {
        case wallet(WalletAuthorisation)
        case voucher(ECToken)

        func save(in store: any StoreWriting) async throws {
            switch self {
            case .wallet(let authorisation): try await store.save(authorisation)
            case .voucher(let token): try await store.save(token)
            }
        }
    }

    func spendAuthorisation(_ data: Fields, order: PaymentOrder, institution code: String, store: any StoreReading, now: Date) async throws -> SpentAuthorisation {
        let uploadedToken = order.credential.flatMap { $0.hasPrefix("ecToken:") ? String($0.dropFirst("ecToken:".count)) : nil }
        let sentToken = try data.optionalString("ecToken")
        if try data.optionalString("payAuthNo") == nil, let ecToken = sentToken ?? uploadedToken {
            guard var token = try await store.ecToken(ecToken), token.psnNo == order.psnNo, order.credential == "ecToken:" + ecToken else {
                throw DomainError(.tokenUnknown, .unauthenticated, rule: .id2, pointer: sentToken == nil ? "/payAuthNo" : "/ecToken",
                                  "ecToken is not the one order \(order.payOrdId) was uploaded with (6201)")
            }
            try token.redeem(transaction: "6202 \(order.payOrdId)", businessTypes: [], institution: code, at: now, pointer: "/ecToken")
            return .voucher(token)
        }
        let payAuthNo = try data.string("payAuthNo", "the payAuthNo of the patient's wallet authorisation (or, for an order uploaded with an ecToken, that ecToken)")
        guard var authorisation = try await store.walletAuthorisation(payAuthNo: payAuthNo), authorisation.psnNo == order.psnNo else {
            throw DomainError(.payauthnoUnknown, .unauthenticated, rule: .id2, pointer: "/payAuthNo", "payAuthNo is not the patient's")
        }
        try authorisation.spendPayAuthNo(by: code, transaction: "6202 \(order.payOrdId)", at: now, pointer: "/payAuthNo")
        return .wallet(authorisation)
    }

    /// 6202: spends the payAuthNo, takes the account share, counts the year, queues the callback.
    /// The answer of a payment and, for the test personas, the failure it is answered with after its writes commit.
    package struct Payment: Sendable {
        package var output: JSONValue
        package var failureAfterCommit: CommittedFailure?
    }

    /// PY-9's test persona: the fund refused in real time; the patient pays in full and is reimbursed manually.
    static func settlementFailure(psnNo: String) -> CommittedFailure {
        CommittedFailure(status: 502, code: .settlementFailed, rule: .py9,
                         detail: "test persona \(psnNo): real-time settlement failed (ordStas 15); the patient pays in full and is reimbursed manually (PY-9)")
    }

    func pay(_ order: inout PaymentOrder, data: Fields, payToken: String, institution code: String, store: any StoreWriting, now: Date) async throws -> Payment {
        for key in ["orgCodg", "mdtrtId", "chrgBchno"] {
            let expected = key == "orgCodg" ? order.institutionCode : key == "mdtrtId" ? order.mdtrtId : order.chrgBchno
            let sent = try data.string(key)
            guard sent == expected else { throw DomainError.invalidValue("/\(key)", "\(key) differs from the order's", expected: expected, actual: sent, rule: .py6) }
        }
        let authorisation = try await spendAuthorisation(data, order: order, institution: code, store: store, now: now)
        guard var person = try await store.person(psnNo: order.psnNo) else {
            throw DomainError(.personUnknown, .notFound, rule: .id1, pointer: "/payOrdId", "the order's person no longer exists")
        }
        try person.requireInternetPaymentAllowed(pointer: "/payOrdId")
        let institution = try await InstitutionAuthorisation.require(code, store: store, now: now, pointer: "/orgCodg", measures: measures)
        try person.requireInsured(pointer: "/payOrdId")
        guard let visit = try await store.registration(mdtrtId: order.mdtrtId), visit.status == .registered else {
            throw DomainError(.visitCancelled, .conflict, rule: .py6, pointer: "/mdtrtId", "visit \(order.mdtrtId) was cancelled (2202) after the fees were uploaded")
        }
        _ = try CrossRegionRules.requireDirectSettlement(insured: Self.province(person.insuplcAdmdvs), treated: Self.province(institution.admdvs),
                                                         filings: try await store.filings(psnNo: person.psnNo), at: now, pointer: "/payOrdId",
                                                         pilot: measures.filingFreePilot, insuredAdmdvs: person.insuplcAdmdvs, treatedAdmdvs: institution.admdvs)
        for number in order.prescriptionNumbers {
            if let record = try await store.prescription(hiRxno: number), let other = record.settledBy, other != order.payOrdId {
                throw DomainError(.auditRefused, .forbidden, rule: .sv6, pointer: "/payOrdId",
                                  "\(SmartAudit.prescriptionSettledTwice): prescription \(number) was settled by order \(other) after this order was uploaded")
            }
        }
        // The split was computed at 6201; if the year's counters or the account changed since (another payment in between), it is stale.
        let lines = try JSONDecoder().decode([LineResult].self, from: Data(order.lines.utf8))
        let (current, used) = try await Self.split(lines, person: person, institution: institution, insutype: order.insutype, useAccount: order.acctUsedFlag,
                                             year: Self.year(now), accountBalanceFen: person.accountBalanceFen, regions: regions,
                                             store: store, pointer: "/payOrdId")
        guard current.fundPaySumamt.fen == order.fundFen, current.acctPay.fen == order.accountFen, current.psnCashPay.fen == order.cashFen else {
            throw DomainError(.presettlementStale, .conflict, rule: .py6, pointer: "/payOrdId",
                              "the split pre-settled at 6201 (fund \(Money.yuan(order.fundFen)), account \(Money.yuan(order.accountFen)), cash \(Money.yuan(order.cashFen))) no longer holds: now fund \(current.fundPaySumamt), account \(current.acctPay), cash \(current.psnCashPay) — another payment changed the deductible, cap or account; upload the fees again (6201) with a new medOrgOrd")
        }
        try order.pay(payToken: payToken, at: now, setlId: try await Identifiers.mint(.settlement, store: store, now: now), pointer: "")
        if person.testPersona == .settlementFailure {
            // Test persona: the fund refuses; nothing is paid; the person is reimbursed manually (PY-9).
            order.status = .settlementFailed
            order.setlId = nil
            try await authorisation.save(in: store)
            try await notifier.queue(try notice(order, kind: .settlement, setlinfo: [:], store: store, now: now), order: order, store: store, now: now)
            return Payment(output: .object(["payOrdId": .string(order.payOrdId), "ordStas": .string(order.status.rawValue)]),
                           failureAfterCommit: Self.settlementFailure(psnNo: person.psnNo))
        }
        let settlement = try JSONValue.parse(order.settlement).objectValue ?? [:]
        try await SettlementLedger.post(SettlementPosting(psnNo: order.psnNo, settledBy: order.payOrdId, year: Self.year(now), accountFen: order.accountFen,
                                                          deductibleFen: Money.fen(settlement[key: "act_pay_dedc"]) ?? 0, fundFen: order.fundFen,
                                                          prescriptions: order.prescriptionNumbers),
                                        person: &person, used: used, store: store)
        try await authorisation.save(in: store)
        try await Receipts.reserveInvoiceNumber(order.invono, institution: institution.code, settlement: order.payOrdId, pointer: "/payOrdId", store: store, now: now)
        order.receipt = try await Receipts.issue(for: institution, amountFen: order.feeSumFen, invono: order.invono, store: store, now: now)
        var setlinfo = settlement
        setlinfo["setl_id"] = .string(order.setlId ?? "")
        setlinfo["balc"] = .string(Money.yuan(person.accountBalanceFen))
        try await notifier.queue(try notice(order, kind: .settlement, setlinfo: setlinfo, store: store, now: now), order: order, store: store, now: now)
        if person.testPersona == .platformTimeout {
            // Test persona: the payment is made, but the answer is lost; a retry of 6202 or a 6301 query tells the truth.
            return Payment(output: .object([
                "payOrdId": .string(order.payOrdId), "ordStas": .string(order.status.rawValue), "setlId": .string(order.setlId ?? ""),
                "feeSumamt": .string(Money.yuan(order.feeSumFen)), "ownPayAmt": .string(Money.yuan(order.cashFen)),
                "psnAcctPay": .string(Money.yuan(order.accountFen)), "fundPay": .string(Money.yuan(order.fundFen)),
                "extData": .object(["setlinfo": .object(setlinfo)]), "receipt": order.receipt?.hseObject ?? .null,
            ]), failureAfterCommit: CommittedFailure(status: 504, code: .platformTimeout, rule: .py6,
                detail: "test persona \(person.psnNo): the platform did not answer in time; the order may be paid — query it (6301) or retry 6202 with the same body"))
        }
        return Payment(output: .object([
            "payOrdId": .string(order.payOrdId), "ordStas": .string(order.status.rawValue), "setlId": .string(order.setlId ?? ""),
            "feeSumamt": .string(Money.yuan(order.feeSumFen)), "ownPayAmt": .string(Money.yuan(order.cashFen)),
            "psnAcctPay": .string(Money.yuan(order.accountFen)), "fundPay": .string(Money.yuan(order.fundFen)),
            "extData": .object(["setlinfo": .object(setlinfo)]), "receipt": order.receipt?.hseObject ?? .null,
        ]))
    }

    /// 6203: the account share goes back to the account; the fund share leaves the year's count; a callback tells the hospital.
    func returnToAccount(_ accountFen: Int64, fundFen: Int64, order: PaymentOrder, store: any StoreWriting, now: Date) async throws {
        // A full refund undoes the settlement: the deductible it used counts no more, its prescriptions may be settled again.
        let full = order.status == .refunded
        let deductible = full ? (Money.fen((try? JSONValue.parse(order.settlement))?.objectValue?[key: "act_pay_dedc"] ?? "") ?? 0) : 0
        try await SettlementLedger.reverse(SettlementPosting(psnNo: order.psnNo, settledBy: order.payOrdId, year: Self.year(order.paidAt ?? now),
                                                             accountFen: accountFen, deductibleFen: deductible, fundFen: fundFen,
                                                             prescriptions: full ? order.prescriptionNumbers : []),
                                           store: store, pointer: "/payOrdId")
        try await notifier.queue(try notice(order, kind: .refund, setlinfo: [:], store: store, now: now), order: order, store: store, now: now)
    }

    /// The callback of `order` (its settlement, or a refund), written in the institution's dialect when queued.
    func notice(_ order: PaymentOrder, kind: SettlementNotice.Kind, setlinfo: JSONObject, store: any StoreReading, now: Date) async throws -> SettlementNotice {
        let refunded = order.refundedFen
        let inScope = Money.fen((try? JSONValue.parse(order.settlement))?.objectValue?[key: "inscp_scp_amt"] ?? "") ?? 0
        let lines = order.fundFen > 0 ? [SettlementNotice.fundLine(insutype: order.insutype, fundFen: order.fundFen, inScopeFen: inScope)] : []
        let person = try await store.person(psnNo: order.psnNo)
        // Signed data holds what the real platform sends: the derivation's sentences stay with the order (SignedAnswer).
        let signedSetlinfo = SignedAnswer.split(.object(setlinfo)).signed.objectValue ?? [:]
        return SettlementNotice(kind: kind, payOrdId: order.payOrdId, medOrgOrd: order.medOrgOrd, ordStas: order.status.rawValue,
                                feeSumFen: order.feeSumFen, cashFen: order.cashFen, accountFen: order.accountFen, fundFen: order.fundFen,
                                refundedFen: refunded.account + refunded.fund + refunded.cash, at: now, setlinfo: signedSetlinfo,
                                setldetail: kind == .settlement && !setlinfo.members.isEmpty ? lines : [], institutionCode: order.institutionCode,
                                institutionName: try await store.institution(code: order.institutionCode)?.name ?? "", setlId: order.setlId ?? "",
                                mdtrtId: order.mdtrtId, ecCode: person.map(ECIndex.number(for:)) ?? "", revsToken: TokenGenerator.hex(bytes: 8))
    }
}
