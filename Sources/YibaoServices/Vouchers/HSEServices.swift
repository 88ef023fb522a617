import Foundation
import YibaoCore
import YibaoCrypto
import YibaoStore

/// The HSE services: the e-voucher's own (ec.query, ec.payAuth) here, mobile payment and
/// e-prescriptions in their use cases; every service routed exhaustively.
package struct HSEServices: Sendable {
    let policy: PolicyProfile
    let prescriptions: PrescriptionServices
    let payments: PaymentServices
    var faults: Set<GatewayFault> = []

    package init(policy: PolicyProfile, prescriptions: PrescriptionServices, payments: PaymentServices, faults: Set<GatewayFault> = []) {
        self.policy = policy
        self.prescriptions = prescriptions
        self.payments = payments
        self.faults = faults
    }

    /// Runs `service` inside the caller's transaction.
    package func run(_ service: HSEService, data: Fields, institution: String, store: any StoreWriting, now: Date) async throws -> ServiceOutcome {
        switch service {
        case .voucher(.query): ServiceOutcome(try await ecQuery(data, institution: institution, store: store, now: now))
        case .voucher(.payAuth): ServiceOutcome(try await payAuth(data, institution: institution, store: store, now: now))
        case .payment(let payment): try await payments.run(payment, data: data, institution: institution, store: store, now: now)
        case .prescription(let prescription): ServiceOutcome(try await prescriptions.run(prescription, data: data, institution: institution, store: store, now: now))
        }
    }

    /// 电子凭证码查询: the institution scans the patient's QR code for a business and gets a bound ecToken.
    /// The official DLL sends the QR content as `ecQrCode` beside `orgId`, `businessType`, `operatorId`,
    /// `operatorName`, `officeId`, `officeName` (docs/DIALECTS.md §9); today's `qrCode` is taken too.
    private func ecQuery(_ data: Fields, institution: String, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let qrKey = data.object["qrCode"] == nil && data.object["ecQrCode"] != nil ? "ecQrCode" : "qrCode"
        let qrText = try data.string(qrKey, "the content of the patient's e-voucher QR code (qrCode, or ecQrCode as the official DLL sends it)")
        let businessText = try data.oneOf("businessType", BusinessType.allCases.map(\.rawValue), rule: .id2)
        let business = BusinessType(rawValue: businessText)!
        let orgId = try data.string("orgId", "the scanning institution's fixmedins_code")
        guard orgId == institution else {
            throw DomainError(.orgMismatch, .forbidden, rule: .id2, pointer: data.path("orgId"),
                              "orgId must be the institution of the appId that sealed the request", expected: institution, actual: orgId)
        }
        try await authorise(institution, store: store, now: now)
        guard var qr = try await store.qrCode(qrText) else {
            throw DomainError(.qrcodeUnknown, .unauthenticated, rule: .id2, pointer: data.path("qrCode"),
                              "this is not a QR code issued by an authorised e-voucher channel")
        }
        if faults.contains(.reuseToken) { qr.scannedAt = nil } // deliberate fault, conformance self-checks only
        try qr.scan(by: institution, at: now, pointer: data.path("qrCode"))
        guard let person = try await store.person(psnNo: qr.psnNo) else {
            throw DomainError(.personUnknown, .notFound, rule: .id1, pointer: data.path("qrCode"), "the QR code's person no longer exists")
        }
        try person.requireRealName(pointer: data.path("qrCode"))
        let token = ECToken(token: TokenGenerator.hex(bytes: 16), psnNo: person.psnNo, businessType: business, institutionCode: institution,
                            issuedAt: now, expiresAt: now.addingTimeInterval(TimeInterval(policy.vouchers.ecTokenLifetimeSeconds)))
        try await store.save(qr)
        try await store.save(token)
        // The online identity check's serial: an Internet hospital prescription cites it (uploadChk authNo).
        let authNo = TokenGenerator.digits(16)
        try await store.setSetting("authNo:" + authNo, person.psnNo + "|" + institution + "|" + String(Int64(token.expiresAt.timeIntervalSince1970)))
        let output: JSONValue = .object([
            "userName": .string(person.name),
            "idNo": .string(person.certno),
            "idType": .string(person.psnCertType),
            "insuOrg": .string(person.insuplcAdmdvs),
            "ecIndexNo": .string(ECIndex.number(for: person)),
            "ecToken": .string(token.token),
            "authNo": .string(authNo),
            "businessType": .string(business.rawValue),
            "expireTime": .string(Timestamps.fsi(token.expiresAt)),
            // The members the official DLL's answer holds too.
            "gender": .string(person.gender),
            "birthday": .string(person.birthDate),
            "nationality": .string(person.nationality),
            "chnlId": .string(qr.channel),
            "ecQrCode": .string(qrText),
            "cardno": .string(person.socialSecurityCardNo ?? ""),
        ])
        return (output, TraceEvent(at: now, kind: "hse.ec.query", actor: institution, subject: person.psnNo,
                                   payload: ["businessType": business.rawValue, "ecToken": String(token.token.prefix(8)) + "…"]))
    }

    /// The wallet authorisation: exchanges the patient's authCode for a single-use payAuthNo.
    private func payAuth(_ data: Fields, institution: String, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let authCode = try data.string("authCode", "the authorisation code the wallet returned")
        let orgCodg = try data.string("orgCodg")
        guard orgCodg == institution else {
            throw DomainError(.orgMismatch, .forbidden, rule: .id2, pointer: data.path("orgCodg"),
                              "orgCodg must be the institution of the appId that sealed the request", expected: institution, actual: orgCodg)
        }
        try await authorise(institution, store: store, now: now)
        guard var authorisation = try await store.walletAuthorisation(authCode: authCode) else {
            throw DomainError(.authcodeUnknown, .unauthenticated, rule: .id2, pointer: data.path("authCode"),
                              "this authorisation code was not issued by an authorised wallet channel")
        }
        if faults.contains(.reuseToken) { authorisation.exchangedAt = nil } // deliberate fault, conformance self-checks only
        try authorisation.exchange(by: institution, payAuthNo: "AUTH" + TokenGenerator.digits(24), at: now, policy: policy.vouchers, pointer: data.path("authCode"))
        guard let person = try await store.person(psnNo: authorisation.psnNo) else {
            throw DomainError(.personUnknown, .notFound, rule: .id1, pointer: data.path("authCode"), "the authorisation's person no longer exists")
        }
        try person.requireRealName(pointer: data.path("authCode"))
        try person.requireInternetPaymentAllowed(pointer: data.path("authCode"))
        try await store.save(authorisation)
        let output: JSONValue = .object([
            "payAuthNo": .string(authorisation.payAuthNo ?? ""),
            "psnNo": .string(person.psnNo),
            "userName": .string(person.name),
            "idNo": .string(person.certno),
            "idType": .string(person.psnCertType),
            "insuOrg": .string(person.insuplcAdmdvs),
            "expireTime": .string(authorisation.payAuthNoExpiresAt.map(Timestamps.fsi) ?? ""),
        ])
        return (output, TraceEvent(at: now, kind: "hse.ec.payAuth", actor: institution, subject: person.psnNo, payload: [:]))
    }

    private func authorise(_ code: String, store: any StoreReading, now: Date) async throws {
        try await InstitutionAuthorisation.require(code, store: store, now: now, pointer: "/appId", measures: policy.measures)
    }
}

/// 电子凭证索引号 — a stable, non-identifying index of a person's voucher.
package enum ECIndex {
    package static func number(for person: InsuredPerson) -> String {
        let digest = (try? SM3.hash("ecIndex:" + person.psnNo)) ?? []
        return Hex.encode(digest.prefix(16), uppercase: true)
    }
}
