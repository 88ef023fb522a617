import Foundation
import YibaoCore
import YibaoCrypto
import YibaoStore

/// How the channel knows the payer is the patient (channel-mode payment).
package enum ChannelPaymentProof: Sendable {
    /// The wallet's own knowledge of its user: the resident ID number.
    case certno(String)
    /// The token of the cashier page 6201 returned.
    case cashierToken(String)
}

/// Mobile payment (移动支付, HSE, PROTOCOL.md `/org/local/api/hos/…`): 6201 uldFeeInfo, 6202
/// pay_order, 6203 refund_Order, 6301 query_order_info, 6401 revoke_order. Idempotent on
/// medOrgOrd / chrgBchno (6201), payOrdId (6202) and appRefdSn (6203): the same key with the same
/// body gets the first answer again; the same key with a different body is refused naming the field.
package struct PaymentServices: Sendable {

    let policy: PolicyProfile
    let settlement: SettlementCalculator
    /// The institution's dialect: answer amounts, 6301 while processing, the cashier page (docs/DIALECTS.md §10).
    package var dialect: PaymentDialect = .standard
    /// 6201 lines name an own item code (`medinsListCodg`) mapped by 3301 (the FSI profile's `requireCatalogueMapping`).
    package var catalogueMapping = false

    package init(policy: PolicyProfile, settlement: SettlementCalculator, dialect: PaymentDialect = .standard, catalogueMapping: Bool = false) {
        self.policy = policy
        self.settlement = settlement
        self.dialect = dialect
        self.catalogueMapping = catalogueMapping
    }

    /// Runs `service` inside the caller's transaction.
    package func run(_ service: PaymentService, data: Fields, institution: String, store: any StoreWriting, now: Date) async throws -> ServiceOutcome {
        switch service {
        case .upload: ServiceOutcome(try await upload(data, institution: institution, store: store, now: now))
        case .pay: try await pay(data, institution: institution, store: store, now: now)
        case .refund: ServiceOutcome(try await refund(data, institution: institution, store: store, now: now))
        case .revoke: ServiceOutcome(try await revoke(data, institution: institution, store: store, now: now))
        case .query: ServiceOutcome(try await query(data, institution: institution, store: store, now: now))
        }
    }

    /// SM3 of the canonical business data: what "the same body" means for idempotency.
    static func digest(_ data: Fields) -> String {
        Hex.encode((try? SM3.hash(JSONValue.object(data.object).serialized(sortedKeys: true))) ?? [])
    }

    /// The first member whose value differs between two bodies, for "same key, different body".
    static func firstDifference(_ stored: JSONObject, _ sent: JSONObject) -> String {
        let keys = Set(stored.keys).union(sent.keys).sorted()
        return keys.first { stored[$0] != sent[$0] } ?? ""
    }

    private func answer(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    // MARK: 6201 uldFeeInfo — 费用明细上传

    private func upload(_ data: Fields, institution code: String, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let medOrgOrd = try data.string("medOrgOrd", "the hospital's order number")
        let chrgBchno = try data.string("chrgBchno", "the charge batch number")
        let digest = Self.digest(data)
        for (key, existing) in [("medOrgOrd", try await store.paymentOrder(institutionCode: code, medOrgOrd: medOrgOrd)),
                                ("chrgBchno", try await store.paymentOrder(institutionCode: code, chrgBchno: chrgBchno))] {
            guard let existing else { continue }
            if existing.uploadDigest == digest {
                return (try answer(existing.uploadAnswer), TraceEvent(at: now, kind: "hse.6201", actor: code, subject: existing.payOrdId, outcome: "replayed"))
            }
            let stored = (try? JSONValue.parse(existing.uploadRequest))?.objectValue ?? [:]
            let field = Self.firstDifference(stored, data.object)
            throw DomainError(.idempotencyKeyReused, .conflict, rule: .py6, pointer: "/\(field.isEmpty ? key : field)",
                              "\(key) \(key == "medOrgOrd" ? medOrgOrd : chrgBchno) was already used for order \(existing.payOrdId) with a different body (first difference: \(field)); a retry must send the same body, a new order a new \(key)")
        }
        let computed = try await settlement.uploadFees(data, institution: code, store: store, now: now, catalogueMapping: catalogueMapping)
        var order = computed.order
        order.uploadDigest = digest
        order.uploadRequest = JSONValue.object(data.object).serialized()
        var output = JSONObject([.init(key: "payOrdId", value: .string(order.payOrdId)), .init(key: "payToken", value: .string(order.payToken)),
                                 .init(key: "ordStas", value: .string(order.status.rawValue))] + amounts(order))
        if dialect.cashierUrl {
            // Channel-mode payment: the patient may pay on the platform's cashier page or in the wallet; the hospital learns the outcome by callback or 6301.
            let token = TokenGenerator.hex(bytes: 16)
            order.cashierToken = token
            output["cashierUrl"] = .string("/channel/cashier/\(order.payOrdId)?token=\(token)")
        }
        output["extData"] = .object(["preSetl": computed.setlinfo, "feedetail": computed.lines,
                                     // Objects, not plain strings: real clients' empty-value filter casts array elements to objects.
                                     "auditFlags": .array(order.auditFindings.map { .object(["finding": .string($0)]) })])
        order.uploadAnswer = JSONValue.object(output).serialized()
        try await store.save(order)
        return (.object(output), TraceEvent(at: now, kind: "hse.6201", actor: code, subject: order.payOrdId,
                                   payload: ["medOrgOrd": medOrgOrd, "mdtrt_id": order.mdtrtId, "feeSumamt": Money.yuan(order.feeSumFen)]))
    }

    // MARK: 6202 pay_order — 支付下单

    private func pay(_ data: Fields, institution code: String, store: any StoreWriting, now: Date) async throws -> ServiceOutcome {
        var order = try await ownOrder(data, institution: code, store: store)
        let digest = Self.digest(data)
        if let channel = order.paidInChannel {
            throw DomainError(.orderPaidInChannel, .conflict, rule: .py6, pointer: "/payOrdId",
                              "order \(order.payOrdId) was paid by the patient in the channel (\(channel)) at \(order.paidAt.map(Timestamps.fsi) ?? "?"); query it (6301) instead of paying it")
        }
        if let paid = order.payDigest {
            guard paid == digest else {
                let field = Self.firstDifference((order.payRequest.flatMap { try? JSONValue.parse($0) })?.objectValue ?? [:], data.object)
                throw DomainError(.idempotencyKeyReused, .conflict, rule: .py6, pointer: "/\(field.isEmpty ? "payOrdId" : field)",
                                  "order \(order.payOrdId) was already paid with a different request (first difference: \(field)); a retry must send the same body")
            }
            if settlement.faults.contains(.payTwice), order.status == .complete {
                return ServiceOutcome(try await payAgain(&order, store: store, now: now)) // deliberate fault, conformance self-checks only
            }
            // A retry gets the real outcome: the timeout persona's lost answer is the paid order; a settlement failure stays one.
            return ServiceOutcome((try answer(order.payAnswer ?? "{}"), TraceEvent(at: now, kind: "hse.6202", actor: code, subject: order.payOrdId, outcome: "replayed")),
                                  failureAfterCommit: order.status == .settlementFailed ? SettlementCalculator.settlementFailure(psnNo: order.psnNo) : nil)
        }
        let payToken = try data.string("payToken")
        let payment = try await settlement.pay(&order, data: data, payToken: payToken, institution: code, store: store, now: now)
        let output = withDialectAmounts(payment.output, order: order)
        order.payDigest = digest
        order.payRequest = JSONValue.object(data.object).serialized()
        order.payAnswer = output.serialized()
        try await store.save(order)
        return ServiceOutcome((output, TraceEvent(at: now, kind: "hse.6202", actor: code, subject: order.payOrdId,
                                                  payload: ["setl_id": order.setlId ?? "", "ordStas": order.status.rawValue])),
                              failureAfterCommit: payment.failureAfterCommit)
    }

    /// The order whose cashier page `token` opens (the token 6201 returned), compared in constant time.
    package static func cashierOrder(payOrdId: String, token: String, store: any StoreReading) async throws -> PaymentOrder {
        guard let order = try await store.paymentOrder(payOrdId: payOrdId), let expected = order.cashierToken, ConstantTime.equal(expected, token) else {
            throw DomainError(.cashierTokenInvalid, .forbidden, rule: .id2, pointer: "/token", "this is not the cashier page 6201 returned for order \(payOrdId)")
        }
        return order
    }

    /// Channel-mode payment: the patient pays an order awaiting payment in the wallet or on the
    /// cashier page, with the authorisation the order was uploaded with; the hospital never calls
    /// 6202 and learns the outcome by callback or 6301. `proof` is the channel's check that this is
    /// the patient (the certno the wallet knows, or the cashier token of the page).
    package func payInChannel(payOrdId: String, proof: ChannelPaymentProof, channel: String, profile: String, store: any StoreWriting, now: Date) async throws -> JSONValue {
        guard var order = try await store.paymentOrder(payOrdId: payOrdId) else {
            throw DomainError(.orderUnknown, .notFound, rule: .py6, pointer: "/payOrdId", "no payment order \(payOrdId)")
        }
        // Only where the institution's dialect offers it: an nhsa-2.0 hospital pays its orders itself (6202).
        guard dialect.cashierUrl else {
            throw DomainError(.channelPaymentNotOffered, .forbidden, rule: .py6, pointer: "/payOrdId",
                              "order \(payOrdId)'s institution speaks profile \(profile), in which the hospital pays with 6202; channel-mode payment is offered by profiles with a cashierUrl (national, hainan)")
        }
        switch proof {
        case .certno(let certno):
            guard let person = try await store.person(psnNo: order.psnNo), person.certno.uppercased() == certno.uppercased() else {
                throw DomainError(.orderIdentityMismatch, .forbidden, rule: .id1, pointer: "/certno", "the order was not made for this person")
            }
        case .cashierToken(let token):
            guard let expected = order.cashierToken, ConstantTime.equal(expected, token) else {
                throw DomainError(.cashierTokenInvalid, .forbidden, rule: .id2, pointer: "/token",
                                  "this is not the cashier page 6201 returned for order \(payOrdId)")
            }
        }
        guard order.payDigest == nil, order.status == .awaitingPayment else {
            throw DomainError(.orderWrongState, .conflict, rule: .py6, pointer: "/payOrdId",
                              "order \(payOrdId) is \(order.status.rawValue) (\(order.status.label)); only an order awaiting payment (2) can be paid")
        }
        var fields: JSONObject = ["orgCodg": .string(order.institutionCode), "mdtrtId": .string(order.mdtrtId), "chrgBchno": .string(order.chrgBchno),
                                  "payOrdId": .string(order.payOrdId), "payToken": .string(order.payToken)]
        if let credential = order.credential, credential.hasPrefix("payAuthNo:") { fields["payAuthNo"] = .string(String(credential.dropFirst("payAuthNo:".count))) }
        let data = Fields(fields, at: "")
        // A persona's lost answer is the hospital's to learn (6301, callback), not the wallet's.
        let output = try await settlement.pay(&order, data: data, payToken: order.payToken, institution: order.institutionCode, store: store, now: now).output
        order.payDigest = Self.digest(data)
        order.payRequest = JSONValue.object(fields).serialized()
        order.paidInChannel = channel
        order.payAnswer = withDialectAmounts(output, order: order).serialized()
        try await store.save(order)
        try await store.appendTrace(TraceEvent(at: now, kind: "channel.pay", actor: channel, subject: order.payOrdId,
                                         payload: ["setl_id": order.setlId ?? "", "ordStas": order.status.rawValue]))
        return .object(["payOrdId": .string(order.payOrdId), "ordStas": .string(order.status.rawValue), "ordStasName": .string(order.status.label)])
    }

    /// The `pay-twice` fault: a retried 6202 takes the account share again under a new setlId,
    /// the double payment the idempotency rule exists to prevent.
    private func payAgain(_ order: inout PaymentOrder, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        if var person = try await store.person(psnNo: order.psnNo) {
            person.accountBalanceFen -= min(order.accountFen, person.accountBalanceFen)
            try await store.save(person)
        }
        let setlId = try await Identifiers.mint(.settlement, store: store, now: now)
        var object = (try answer(order.payAnswer ?? "{}")).objectValue ?? [:]
        object["setlId"] = .string(setlId)
        order.setlId = setlId
        order.payAnswer = JSONValue.object(object).serialized()
        try await store.save(order)
        return (.object(object), TraceEvent(at: now, kind: "hse.6202", actor: order.institutionCode, subject: order.payOrdId,
                                            outcome: "paid-again-fault", payload: ["setl_id": setlId]))
    }

    // MARK: 6203 refund_Order — 退款

    private func refund(_ data: Fields, institution code: String, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let appRefdSn = try data.string("appRefdSn", "the hospital's refund serial number")
        let digest = Self.digest(data)
        if let existing = try await store.paymentOrder(institutionCode: code, appRefdSn: appRefdSn), let refund = existing.refunds.first(where: { $0.appRefdSn == appRefdSn }) {
            guard refund.requestDigest == digest else {
                let field = Self.firstDifference((refund.request.flatMap { try? JSONValue.parse($0) })?.objectValue ?? [:], data.object)
                throw DomainError(.idempotencyKeyReused, .conflict, rule: .py6, pointer: "/\(field.isEmpty ? "appRefdSn" : field)",
                                  "appRefdSn \(appRefdSn) was already used for a refund of \(existing.payOrdId) with a different body (first difference: \(field)); a retry must send the same body")
            }
            return (try answer(refund.answer), TraceEvent(at: now, kind: "hse.6203", actor: code, subject: existing.payOrdId, outcome: "replayed"))
        }
        var order = try await ownOrder(data, institution: code, store: store)
        let refundType = try data.oneOf("refdType", ["ALL", "CASH", "HI"], rule: .py6)
        if let time = try data.optionalString("appRefdTime"), HSEDialect.detect(time)?.format != .compact, Timestamps.parseFSI(time) == nil {
            throw DomainError.invalidValue(data.path("appRefdTime"), "appRefdTime is the refund's time as yyyyMMddHHmmss (real clients) or yyyy-MM-dd HH:mm:ss",
                                           expected: "e.g. 20261203101500", actual: time, rule: .py6)
        }
        try await checkAuthorisation(data, order: order, store: store)
        if let extData = data.object["extData"], extData != .null, extData.objectValue == nil {
            throw DomainError.invalidValue(data.path("extData"), "extData is an object ({opter, systemNo})", actual: extData.serialized(), rule: .py6)
        }
        // Parts sent as null (or left out) are derived from refdType: what is left of that part, or 0.00.
        let left = (account: order.accountFen - order.refundedFen.account, fund: order.fundFen - order.refundedFen.fund, cash: order.cashFen - order.refundedFen.cash)
        func part(_ name: String, _ remaining: Int64, insurance: Bool) throws -> Int64 {
            if let value = data.object[name], value != .null { return try data.fen(name) }
            switch refundType {
            case "ALL": return remaining
            case "HI": return insurance ? remaining : 0
            default: return insurance ? 0 : remaining
            }
        }
        let accountFen = try part("psnAcctRefdAmt", left.account, insurance: true)
        let fundFen = try part("fundRefdAmt", left.fund, insurance: true)
        let cashFen = try part("cashRefdAmt", left.cash, insurance: false)
        var refund = Refund(appRefdSn: appRefdSn, refundType: refundType, totalFen: try data.fen("totlRefdAmt"), accountFen: accountFen,
                            fundFen: fundFen, cashFen: cashFen, at: now, requestDigest: digest, answer: "")
        try order.refund(refund, pointer: "")
        let person = try await store.person(psnNo: order.psnNo)
        let held = person?.testPersona == .refundAwaitingConfirmation
        if held {
            // Test persona: the refund awaits the platform's confirmation (refStatus EXP, ordStas 17) until the hospital queries it.
            order.holdLastRefund()
        } else {
            try await settlement.returnToAccount(refund.accountFen, fundFen: refund.fundFen, order: order, store: store, now: now)
        }
        let output: JSONValue = .object([
            "payOrdId": .string(order.payOrdId), "appRefdSn": .string(appRefdSn), "refStatus": .string(held ? "EXP" : "SUCC"), "ordStas": .string(order.status.rawValue),
            "totlRefdAmt": .string(Money.yuan(refund.totalFen)), "psnAcctRefdAmt": .string(Money.yuan(refund.accountFen)),
            "fundRefdAmt": .string(Money.yuan(refund.fundFen)), "cashRefdAmt": .string(Money.yuan(refund.cashFen)),
        ])
        refund.answer = output.serialized()
        refund.request = JSONValue.object(data.object).serialized()
        refund.awaitingConfirmation = held ? true : nil
        order.refunds[order.refunds.count - 1] = refund
        try await store.save(order)
        return (output, TraceEvent(at: now, kind: "hse.6203", actor: code, subject: order.payOrdId, outcome: held ? "awaiting-confirmation" : "accepted",
                                   payload: ["appRefdSn": appRefdSn, "refdType": refundType, "totlRefdAmt": Money.yuan(refund.totalFen)]))
    }

    /// 6203's `ecToken` or `payAuthNo`, when sent: at most one, and the order's person's.
    private func checkAuthorisation(_ data: Fields, order: PaymentOrder, store: any StoreReading) async throws {
        let ecToken = try data.optionalString("ecToken"), payAuthNo = try data.optionalString("payAuthNo")
        if ecToken != nil, payAuthNo != nil {
            throw DomainError.invalidValue(data.path("ecToken"), "send at most one of ecToken and payAuthNo", rule: .id2)
        }
        if let ecToken, try await store.ecToken(ecToken)?.psnNo != order.psnNo {
            throw DomainError(.orderIdentityMismatch, .forbidden, rule: .id1, pointer: data.path("ecToken"),
                              "ecToken is not one issued for the person order \(order.payOrdId) was made for")
        }
        if let payAuthNo, try await store.walletAuthorisation(payAuthNo: payAuthNo)?.psnNo != order.psnNo {
            throw DomainError(.orderIdentityMismatch, .forbidden, rule: .id1, pointer: data.path("payAuthNo"),
                              "payAuthNo is not one issued for the person order \(order.payOrdId) was made for")
        }
    }

    /// The answer's amount members in the dialect's set.
    private func amounts(_ order: PaymentOrder) -> [JSONObject.Member] {
        PaymentAmounts.members(feeSumFen: order.feeSumFen, cashFen: order.cashFen, accountFen: order.accountFen, fundFen: order.fundFen,
                               set: dialect.answerAmounts)
    }

    /// A 6202 answer with the dialect's amount set (V2.2.5's members after `fundPay`).
    private func withDialectAmounts(_ output: JSONValue, order: PaymentOrder) -> JSONValue {
        guard dialect.answerAmounts == .v225, case .object(let object) = output, object["feeSumamt"] != nil else { return output }
        var members: [JSONObject.Member] = []
        for member in object.members {
            members.append(member)
            if member.key == "fundPay" { members += amounts(order).dropFirst(4) }
        }
        return .object(JSONObject(members))
    }

    // MARK: 6401 revoke_order, 6301 query_order_info

    private func revoke(_ data: Fields, institution code: String, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        var order = try await ownOrder(data, institution: code, store: store)
        try await checkIdentity(data, order: order, store: store)
        if order.status != .cancelled { try order.revoke(at: now, pointer: "") }
        try await store.save(order)
        return (.object(["payOrdId": .string(order.payOrdId), "ordStas": .string(order.status.rawValue)]),
                TraceEvent(at: now, kind: "hse.6401", actor: code, subject: order.payOrdId))
    }

    private func query(_ data: Fields, institution code: String, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        var order = try await ownOrder(data, institution: code, store: store)
        try await checkIdentity(data, order: order, store: store)
        // A refund awaiting confirmation (refStatus EXP) is confirmed by the query: its money goes back now.
        let confirmed = order.confirmRefunds()
        if !confirmed.isEmpty {
            for refund in confirmed { try await settlement.returnToAccount(refund.accountFen, fundFen: refund.fundFen, order: order, store: store, now: now) }
            try await store.save(order)
        }
        if dialect.processingWithoutAmounts, [.saved, .preSettled, .awaitingPayment].contains(order.status) {
            // Still processing: real platforms answer the order and its status only.
            return (.object(["payOrdId": .string(order.payOrdId), "ordStas": .string(order.status.rawValue)]),
                    TraceEvent(at: now, kind: "hse.6301", actor: code, subject: order.payOrdId))
        }
        var output = JSONObject([.init(key: "payOrdId", value: .string(order.payOrdId)), .init(key: "medOrgOrd", value: .string(order.medOrgOrd)),
                                 .init(key: "ordStas", value: .string(order.status.rawValue)), .init(key: "ordStasName", value: .string(order.status.label))]
                                + amounts(order))
        output["setlId"] = .string(order.setlId ?? "")
        if let receipt = order.receipt { output["receipt"] = receipt.hseObject }
        output["refunds"] = .array(order.refunds.map {
            .object(["appRefdSn": .string($0.appRefdSn), "refdType": .string($0.refundType), "refStatus": .string($0.awaitingConfirmation == true ? "EXP" : "SUCC"),
                     "totlRefdAmt": .string(Money.yuan($0.totalFen)), "refdTime": .string(Timestamps.fsi($0.at))])
        })
        return (.object(output), TraceEvent(at: now, kind: "hse.6301", actor: code, subject: order.payOrdId,
                                            outcome: confirmed.isEmpty ? "accepted" : "refund-confirmed"))
    }

    /// Real 6301/6401 calls carry `payToken`, `idNo`, `idType` and `userName` (docs/DIALECTS.md §9):
    /// each one sent must be the order's, or the request is refused naming it (ID-1).
    private func checkIdentity(_ data: Fields, order: PaymentOrder, store: any StoreReading) async throws {
        if let token = try data.optionalString("payToken"), token != order.payToken {
            throw DomainError(.payTokenMismatch, .forbidden, rule: .py6, pointer: data.path("payToken"),
                              "payToken is not the one 6201 returned for order \(order.payOrdId)")
        }
        let sent = [("idNo", try data.optionalString("idNo")), ("idType", try data.optionalString("idType")), ("userName", try data.optionalString("userName"))]
        guard sent.contains(where: { $0.1 != nil }) else { return }
        let person = try await store.person(psnNo: order.psnNo)
        for (member, value) in sent {
            guard let value else { continue }
            let expected = member == "idNo" ? person?.certno : member == "idType" ? person?.psnCertType : person?.name
            // An ID number's check character may come in either case.
            guard let expected, member == "idNo" ? value.uppercased() == expected.uppercased() : value == expected else {
                throw DomainError(.orderIdentityMismatch, .forbidden, rule: .id1, pointer: data.path(member),
                                  "\(member) is not that of the person order \(order.payOrdId) was made for")
            }
        }
    }

    /// The order named by payOrdId; another institution's is answered like an unknown one.
    private func ownOrder(_ data: Fields, institution: String, store: any StoreReading) async throws -> PaymentOrder {
        let id = try data.string("payOrdId")
        guard let order = try await store.paymentOrder(payOrdId: id), order.institutionCode == institution else {
            throw DomainError(.orderUnknown, .notFound, rule: .py6, pointer: "/payOrdId", "no payment order \(id)")
        }
        return order
    }
}

extension Fields {
    /// A quantity (`cnt`), sent as a JSON number or a string of one (real vendor code sends both): its text.
    func quantity(_ key: String) throws -> String {
        switch object[key] {
        case .string(let text)? where !text.isEmpty: return text
        case .number(let literal)?: return literal
        case nil, .null?, .string?: throw DomainError.missing(path(key), "\"\(key)\" (a quantity)")
        case let value?: throw DomainError.invalidValue(path(key), "\"\(key)\" is a quantity: a number or a string of one", expected: "1 or \"1\"", actual: value.serialized())
        }
    }

    /// An amount in yuan, sent as a JSON string or number with at most two decimals, as fen.
    func fen(_ key: String) throws -> Int64 {
        guard let value = object[key] else { throw DomainError.missing(path(key), "\"\(key)\" (an amount in yuan)") }
        let text: String
        switch value {
        case .string(let s): text = s
        case .number(let literal): text = literal
        default: throw DomainError.invalidValue(path(key), "\"\(key)\" is an amount in yuan", expected: "\"12.50\"", actual: value.serialized())
        }
        guard let fen = Money.fen(text) else {
            throw DomainError.invalidValue(path(key), "\"\(key)\" must be an amount in yuan with at most two decimals", expected: "e.g. 12.50", actual: text)
        }
        return fen
    }
}
