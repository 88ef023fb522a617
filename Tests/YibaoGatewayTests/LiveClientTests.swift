import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import YibaoClient
import YibaoCore
import YibaoCrypto
@testable import YibaoGateway
import YibaoStore

/// The typed client against a live gateway on loopback.
@Suite("Client against a live gateway")
struct LiveClientTests {
    func scan(_ harness: GatewayHarness, port: Int, certno: String = Demo.zhangSan.certno, business: BusinessType = .registration,
              institution: String = Demo.hospital) async throws -> VoucherScan {
        let qr = try await harness.channel(port: port).qrCode(certno: certno)
        return try await harness.client(port: port, institution: institution).scanVoucher(qrCode: qr.code, business: business)
    }

    func registration(token: String, doctor: String = Demo.doctorLi, psnNo: String = Demo.zhangSan.psnNo) -> RegistrationRequest {
        RegistrationRequest(psnNo: psnNo, insutype: "310", beginTime: Date(), medium: .eVoucher, certNo: token, iptOtpNo: "MZ\(Int.random(in: 1000...9999))",
                            doctorCode: doctor, doctorName: "Li Wei", deptCode: "A03", deptName: "Internal medicine", caty: "A03")
    }

    @Test("voucher → 1101 → 2201 → 2202, each answer verified; the reused token is refused (ID-2)")
    func story() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.live) { live in
            let port = try #require(live.port)
            let client = try await harness.client(port: port)
            let voucher = try await scan(harness, port: port)
            #expect(voucher.userName == "Zhang San")
            let info = try await client.personInfo(medium: .eVoucher, number: voucher.ecToken)
            #expect(info.baseinfo.psn_no == Demo.zhangSan.psnNo)
            #expect(info.insuinfo.first?.balc == Decimal(string: "1234.56"))
            await expectRefusal("TOKEN_REUSED", rule: "ID-2", pointer: "/input/data/mdtrt_cert_no") {
                _ = try await client.personInfo(medium: .eVoucher, number: voucher.ecToken)
            }
            let request = registration(token: voucher.ecToken)
            let mdtrtId = try await client.register(request)
            #expect(mdtrtId.hasPrefix("120101"))
            await expectRefusal("TOKEN_REUSED", rule: "ID-2") { _ = try await client.register(registration(token: voucher.ecToken)) }
            try await client.cancelRegistration(psnNo: Demo.zhangSan.psnNo, mdtrtId: mdtrtId, iptOtpNo: request.iptOtpNo)
            await expectRefusal("VISIT_ALREADY_CANCELLED", rule: "PROTOCOL-FIELDS") {
                try await client.cancelRegistration(psnNo: Demo.zhangSan.psnNo, mdtrtId: mdtrtId, iptOtpNo: request.iptOtpNo)
            }
        }
    }

    @Test("ID-2: a token scanned for another business or by another institution is refused; an expired one too")
    func tokenBinding() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.live) { live in
            let port = try #require(live.port)
            let forSettlement = try await scan(harness, port: port, business: .outpatientSettlement)
            await expectRefusal("TOKEN_WRONG_BUSINESS", rule: "ID-2") {
                _ = try await harness.client(port: port).register(registration(token: forSettlement.ecToken))
            }
            let scannedByPharmacy = try await scan(harness, port: port, institution: Demo.pharmacy)
            await expectRefusal("TOKEN_WRONG_INSTITUTION", rule: "ID-2") {
                _ = try await harness.client(port: port).personInfo(medium: .eVoucher, number: scannedByPharmacy.ecToken)
            }
            let fresh = try await scan(harness, port: port)
            try await harness.advance(seconds: TimeInterval(PolicyProfile.nhsa20.vouchers.ecTokenLifetimeSeconds + 1))
            let later = try await harness.client(port: port)   // its clock follows the advanced gateway clock
            await expectRefusal("TOKEN_EXPIRED", rule: "ID-2") { _ = try await later.personInfo(medium: .eVoucher, number: fresh.ecToken) }
        }
    }

    @Test("ID-2: a QR code scans once and expires; payAuthNo comes from the wallet's authorisation once")
    func qrCodeAndPayAuth() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.live) { live in
            let port = try #require(live.port)
            let client = try await harness.client(port: port)
            let qr = try await harness.channel(port: port).qrCode(certno: Demo.zhangSan.certno)
            _ = try await client.scanVoucher(qrCode: qr.code, business: .registration)
            await expectRefusal("QRCODE_REUSED", rule: "ID-2", pointer: "/qrCode") { _ = try await client.scanVoucher(qrCode: qr.code, business: .registration) }
            let authCode = try await harness.channel(port: port).authorise(certno: Demo.zhangSan.certno, orgCodg: Demo.hospital)
            let authorisation = try await client.payAuthorisation(authCode: authCode)
            #expect(authorisation.payAuthNo.hasPrefix("AUTH"))
            #expect(authorisation.psnNo == Demo.zhangSan.psnNo)
            await expectRefusal("AUTHCODE_REUSED", rule: "ID-2") { _ = try await client.payAuthorisation(authCode: authCode) }
        }
    }

    @Test("ID-5 and PR-1 refuse a registration; SC-2 refuses a subject the hospital is not registered for")
    func registrationRules() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.live) { live in
            let port = try #require(live.port)
            let client = try await harness.client(port: port)
            let suspended = try await scan(harness, port: port, certno: Demo.liuWeiSuspended.certno)
            await expectRefusal("PERSON_INTERNET_PAYMENT_SUSPENDED", rule: "ID-5") {
                _ = try await client.register(registration(token: suspended.ecToken, psnNo: Demo.liuWeiSuspended.psnNo))
            }
            let junior = try await scan(harness, port: port)
            await expectRefusal("PRACTITIONER_PRACTICE_TOO_SHORT", rule: "PR-1", pointer: "/input/data/atddr_no") {
                _ = try await client.register(registration(token: junior.ecToken, doctor: Demo.doctorWangJunior))
            }
            var outside = registration(token: try await scan(harness, port: port).ecToken)
            outside.caty = "A21"
            await expectRefusal("SUBJECT_NOT_REGISTERED", rule: "SC-2", pointer: "/input/data/caty") { _ = try await client.register(outside) }
        }
    }

    @Test("a restart keeps all data; the fixture is not loaded twice; the trace stays intact")
    func restart() async throws {
        let first = try await GatewayHarness.make()
        let mdtrtId = try await first.app().test(.live) { live in
            let port = try #require(live.port)
            let voucher = try await scan(first, port: port)
            return try await first.client(port: port).register(registration(token: voucher.ecToken))
        }
        let second = try await GatewayHarness.make(dataDirectory: first.dataDirectory)
        let kept = try await second.gateway.store.read { try await $0.registration(mdtrtId: mdtrtId) }
        #expect(kept?.psnNo == Demo.zhangSan.psnNo)
        let institutions = try await second.gateway.store.read { try await $0.institutions().count }
        #expect(institutions == 4)
        let report = try await TraceAudit.verify(second.gateway.store)
        #expect(report.isIntact)
        #expect(report.entries > 20)
        let journal = try (second.gateway.store as! SQLiteStore).journalMode()
        #expect(journal == "wal")
    }
}
