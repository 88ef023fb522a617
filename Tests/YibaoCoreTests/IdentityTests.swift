import Foundation
import Testing
@testable import YibaoCore

/// ID-1 … ID-5: identity, the e-voucher and its tokens.
@Suite("Identity and e-voucher tokens")
struct IdentityTests {
    let t0 = Date(timeIntervalSince1970: 1_795_000_000)

    func person(verified: Bool = true, status: String = "1", suspended: Bool = false) -> InsuredPerson {
        InsuredPerson(psnNo: "P1", certno: "120101198001011234", name: "Zhang San", gender: "1", birthDate: "1980-01-01", insutype: "310",
                      insuplcAdmdvs: "120100", insuranceStatus: status, realNameVerified: verified, internetPaymentSuspended: suspended)
    }

    func token(business: BusinessType = .registration, lifetime: TimeInterval = 1800) -> ECToken {
        ECToken(token: "T", psnNo: "P1", businessType: business, institutionCode: "H1", issuedAt: t0, expiresAt: t0.addingTimeInterval(lifetime))
    }

    func refusal(_ body: () throws -> Void) -> DomainError? {
        do { try body() } catch let error as DomainError { return error } catch { Issue.record("not a DomainError: \(error)") }
        return nil
    }

    @Test("ID-2: an ecToken is presented once per transaction")
    func tokenOncePerTransaction() throws {
        var ec = token()
        try ec.redeem(transaction: "1101", businessTypes: [], institution: "H1", at: t0, pointer: "/p")
        try ec.redeem(transaction: "2201", businessTypes: [.registration], institution: "H1", at: t0.addingTimeInterval(60), pointer: "/p")
        let error = refusal { try ec.redeem(transaction: "1101", businessTypes: [], institution: "H1", at: t0.addingTimeInterval(61), pointer: "/p") }
        #expect(error?.code.rawValue == "TOKEN_REUSED")
        #expect(error?.rule == .id2)
        #expect(error?.pointer == "/p")
    }

    @Test("ID-2: an ecToken is bound to its business type and institution, and expires at its lifetime (exclusive)")
    func tokenBinding() {
        var ec = token(business: .outpatientSettlement)
        #expect(refusal { try ec.redeem(transaction: "2201", businessTypes: [.registration], institution: "H1", at: t0, pointer: "") }?.code.rawValue == "TOKEN_WRONG_BUSINESS")
        #expect(refusal { try ec.redeem(transaction: "1101", businessTypes: [], institution: "H2", at: t0, pointer: "") }?.code.rawValue == "TOKEN_WRONG_INSTITUTION")
        #expect(refusal { try ec.redeem(transaction: "1101", businessTypes: [], institution: "H1", at: t0.addingTimeInterval(1800), pointer: "") }?.code.rawValue == "TOKEN_EXPIRED")
        #expect(refusal { try ec.redeem(transaction: "1101", businessTypes: [], institution: "H1", at: t0.addingTimeInterval(1799), pointer: "") } == nil)
    }

    @Test("ID-2: a QR code scans once, before it expires")
    func qrCode() throws {
        var qr = VoucherQRCode(code: "Q", psnNo: "P1", channel: "app", issuedAt: t0, expiresAt: t0.addingTimeInterval(120))
        var late = qr
        #expect(refusal { try late.scan(by: "H1", at: t0.addingTimeInterval(120), pointer: "/qrCode") }?.code.rawValue == "QRCODE_EXPIRED")
        try qr.scan(by: "H1", at: t0.addingTimeInterval(119), pointer: "/qrCode")
        let again = refusal { try qr.scan(by: "H1", at: t0.addingTimeInterval(119), pointer: "/qrCode") }
        #expect(again?.code.rawValue == "QRCODE_REUSED")
        #expect(again?.rule == .id2)
    }

    @Test("ID-2: the wallet's authCode is exchanged once; the payAuthNo is spent once and expires")
    func payAuthNo() throws {
        var authorisation = WalletAuthorisation(authCode: "A", psnNo: "P1", institutionCode: "H1", issuedAt: t0, expiresAt: t0.addingTimeInterval(300))
        #expect(refusal { try authorisation.exchange(by: "H2", payAuthNo: "X", at: t0, policy: .standard, pointer: "") }?.code.rawValue == "AUTHCODE_WRONG_INSTITUTION")
        try authorisation.exchange(by: "H1", payAuthNo: "AUTH1", at: t0.addingTimeInterval(10), policy: .standard, pointer: "")
        #expect(authorisation.payAuthNoExpiresAt == t0.addingTimeInterval(10 + 900))
        #expect(refusal { try authorisation.exchange(by: "H1", payAuthNo: "AUTH2", at: t0.addingTimeInterval(11), policy: .standard, pointer: "") }?.code.rawValue == "AUTHCODE_REUSED")
        var expired = authorisation
        #expect(refusal { try expired.spendPayAuthNo(by: "H1", transaction: "6201", at: t0.addingTimeInterval(910), pointer: "") }?.code.rawValue == "PAYAUTHNO_EXPIRED")
        try authorisation.spendPayAuthNo(by: "H1", transaction: "6201", at: t0.addingTimeInterval(20), pointer: "")
        #expect(refusal { try authorisation.spendPayAuthNo(by: "H1", transaction: "6201", at: t0.addingTimeInterval(21), pointer: "") }?.code.rawValue == "PAYAUTHNO_REUSED")
    }

    @Test("ID-3: a person who is not real-name verified is refused with advice; the ID number is masked (SV-5)")
    func realName() throws {
        try person().requireRealName(pointer: "/x")
        let error = refusal { try person(verified: false).requireRealName(pointer: "/x") }
        #expect(error?.rule == .id3)
        #expect(error?.detail.contains("correct their identity information") == true)
        #expect(error?.detail.contains("1201**********1234") == true)
        #expect(error?.detail.contains("120101198001011234") == false)
    }

    @Test("ID-4: only media 01, 02, 03 are accepted", arguments: ["01", "02", "03", "04", "1", ""])
    func identityMedia(_ code: String) {
        let error = refusal { _ = try IdentityMedium.parse(code, pointer: "/t") }
        if ["01", "02", "03"].contains(code) {
            #expect(error == nil)
        } else {
            #expect(error?.rule == (code.isEmpty ? .protocolFields : .id4))
            #expect(error?.pointer == "/t")
        }
    }

    @Test("ID-5: a person with Internet+ payment suspended is refused; ID-1: insurance must be in force")
    func suspension() throws {
        try person().requireInternetPaymentAllowed(pointer: "")
        #expect(refusal { try person(suspended: true).requireInternetPaymentAllowed(pointer: "") }?.rule == .id5)
        #expect(refusal { try person(status: "2").requireInsured(pointer: "") }?.code.rawValue == "PERSON_INSURANCE_NOT_ACTIVE")
    }

    @Test("age on a day counts whole years; money is written in yuan with two decimals")
    func ageAndMoney() {
        #expect(person().age(on: "2026-11-23") == 46)
        #expect(person().age(on: "2025-12-31") == 45)
        #expect(Money.yuan(123456) == "1234.56")
        #expect(Money.yuan(5) == "0.05")
        #expect(Money.yuan(-1050) == "-10.50")
    }

    @Test("FSI times are Beijing time; malformed ones are refused")
    func timestamps() {
        let date = Timestamps.parseFSI("2026-11-24 02:46:42")
        #expect(date == Date(timeIntervalSince1970: 1_795_459_602))
        #expect(date.map(Timestamps.fsi) == "2026-11-24 02:46:42")
        #expect(Timestamps.parseFSI("2026-02-30 00:00:00") == nil)
        #expect(Timestamps.parseFSI("2026-11-24T02:46:42") == nil)
    }
}
