import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import YibaoClient
import YibaoCore
@testable import YibaoServices
import YibaoCrypto
@testable import YibaoGateway
import YibaoStore

@Suite("Declarations, flags and settlement channels (PY-6, PY-8, PY-10, SC-4)")
struct DeclarationTests {
    @Test("PY-10: flags are listed and reviewed — a refusal takes its amount off the month's payable fund share; the declaration is recomputed after a reversal and split Internet / offline and local / off-site (SC-4)")
    func reviewAndRecompute() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.gateway.store.write { store in
            // The fund pays a share of each settlement (deductible met); a budget of 0.01 flags every settlement (PY-12).
            try await store.savePersonYear(psnNo: Demo.zhangSan.psnNo, year: SettlementCalculator.year(Date()), deductibleUsedFen: 1_000_000, fundPaidFen: 0)
            var hospital = try #require(try await store.institution(code: Demo.hospital))
            hospital.annualBudgetFen = 1
            try await store.save(hospital)
        }
        try await harness.app(callbacks: false).test(.live) { live in
            let port = try #require(live.port)
            let hospital = try await harness.client(port: port)
            let admin = harness.credentials.adminToken
            let base = "http://127.0.0.1:\(port)/admin"
            func settle() async throws -> (setlId: String, visit: String, fund: Int64) {
                let visit = try await harness.visitWithMetformin(port: port, hospital: hospital, person: (Demo.zhangSan.psnNo, Demo.zhangSan.certno), boxes: 2)
                let setlinfo = try await hospital.call(infno: "2207", input: ["data": .object([
                    "psn_no": .string(Demo.zhangSan.psnNo), "mdtrt_id": .string(visit), "chrg_bchno": "B1", "insutype": "310",
                    "acct_used_flag": "0", "medfee_sumamt": "25.00"])]).objectValue?["setlinfo"]?.objectValue ?? [:]
                return (try #require(setlinfo.string("setl_id")), visit, Money.fen(setlinfo.string("fund_pay_sumamt") ?? "") ?? 0)
            }
            let first = try await settle(), second = try await settle()
            #expect(first.fund > 500 && second.fund > 500, "the fund pays a share: \(first.fund), \(second.fund)")

            let open = try await HTTP.get(.shared, url: base + "/audit-flags?institution=\(Demo.hospital)", bearer: admin).objectValue ?? [:]
            let listed = open["settlements"]?.arrayValue?.compactMap(\.objectValue) ?? []
            #expect(Set(listed.map { $0[key: "id"] }) == [first.setlId, second.setlId], "\(open)")
            let flags = listed.first { $0[key: "id"] == first.setlId }?["flags"]?.arrayValue?.compactMap(\.objectValue) ?? []
            let budget = try #require(flags.firstIndex { $0[key: "finding"] == "PY-12" }, "\(flags)")

            func review(_ body: JSONObject) async throws -> (status: Int, body: JSONObject) {
                let answer = try await HTTP.exchange(.shared, url: base + "/audit-flags/review", method: .POST,
                                                     body: Array(JSONValue.object(body).serialized().utf8), bearer: admin)
                return (answer.status, (try? JSONValue.parse(answer.body).objectValue) ?? [:])
            }
            let noReason = try await review(["kind": "2207", "id": .string(first.setlId), "flag": .integer(budget), "decision": "refused", "refusedFundAmt": "5.00"])
            #expect(noReason.status == 400 && noReason.body[key: "pointer"] == "/note", "\(noReason)")
            let tooMuch = try await review(["kind": "2207", "id": .string(first.setlId), "flag": .integer(budget), "decision": "refused",
                                            "refusedFundAmt": .string(Money.yuan(first.fund + 1)), "note": "over budget"])
            #expect(tooMuch.status == 400 && tooMuch.body[key: "pointer"] == "/refusedFundAmt" && tooMuch.body[key: "rule"] == "PY-10", "\(tooMuch)")
            let refused = try await review(["kind": "2207", "id": .string(first.setlId), "flag": .integer(budget), "decision": "refused",
                                            "refusedFundAmt": "5.00", "note": "beyond the year's budget"])
            #expect(refused.status == 200 && refused.body[key: "finding"] == "PY-12" && refused.body[key: "refusedFundAmt"] == "5.00", "\(refused)")
            let twice = try await review(["kind": "2207", "id": .string(first.setlId), "flag": .integer(budget), "decision": "accepted"])
            #expect(twice.status == 409 && twice.body[key: "code"] == "FLAG_ALREADY_REVIEWED", "\(twice)")

            let month = String(Timestamps.day(await harness.gateway.clock.now()).prefix(7)).replacingOccurrences(of: "-", with: "")
            let total = first.fund + second.fund
            let declared = try await hospital.call(infno: "3203", input: ["data": .object(["clr_type": "11", "setlym": .string(month), "fund_appy_sum": .string(Money.yuan(total))])]).objectValue ?? [:]
            #expect(declared[key: "clr_stas"] == "accepted" && declared[key: "internet_fund_sum"] == Money.yuan(total), "\(declared)")
            #expect(declared[key: "offline_fund_sum"] == "0.00" && declared[key: "local_fund_sum"] == Money.yuan(total) && declared[key: "offsite_fund_sum"] == "0.00")

            // The second settlement is reversed after the declaration: the month as it stands counts the first only, less what was refused.
            _ = try await hospital.call(infno: "2208", input: ["data": .object(["setl_id": .string(second.setlId), "mdtrt_id": .string(second.visit), "psn_no": .string(Demo.zhangSan.psnNo)])])
            let now = try await HTTP.get(.shared, url: base + "/declarations?institution=\(Demo.hospital)&setlym=\(month)", bearer: admin).objectValue ?? [:]
            #expect(now["declared"]?.objectValue?[key: "fundAppySum"] == Money.yuan(total), "\(now)")
            let current = now["now"]?.objectValue ?? [:]
            #expect(current["settlements"] == .integer(1) && current[key: "fundPaySumamt"] == Money.yuan(first.fund), "\(current)")
            #expect(current[key: "refusedFundAmt"] == "5.00" && current[key: "payableFundAmt"] == Money.yuan(first.fund - 500), "\(current)")
            #expect(now["internet"]?.objectValue?[key: "payableFundAmt"] == Money.yuan(first.fund - 500) && now["offSite"]?.objectValue?["settlements"] == .integer(0))
            // Other flags of the first settlement (if any) stay open; the refused one is reviewed.
            let reviewedFlags = try await HTTP.get(.shared, url: base + "/audit-flags?institution=\(Demo.hospital)&status=all", bearer: admin).objectValue ?? [:]
            let kept = reviewedFlags["settlements"]?.arrayValue?.compactMap(\.objectValue).first { $0[key: "id"] == first.setlId }
            #expect(kept?["flags"]?.arrayValue?[budget].objectValue?["review"]?.objectValue?[key: "decision"] == "refused", "\(reviewedFlags)")
            let badMonth = try await HTTP.exchange(.shared, url: base + "/declarations?institution=\(Demo.hospital)&setlym=2026-1", method: .GET, body: nil, bearer: admin)
            #expect(badMonth.status == 400)
        }
    }

    @Test("PY-6: by default an Internet+ visit settles through mobile payment (the e-voucher), not a swiped card; with Beijing's setting the card settles the drugs, never the consultation, and only the person's own card")
    func cardSwipe() async throws {
        let zhangSanCard = "TJ1200000001", liNaCard = "TJ1200000002"
        func attempt(_ harness: GatewayHarness, card: String, consultation: Bool, medium: IdentityMedium = .residentID, presettle: Bool = false) async throws {
            try await harness.app(callbacks: false).test(.live) { live in
                let port = try #require(live.port)
                let hospital = try await harness.client(port: port)
                // Registered by resident ID: not authenticated through the e-voucher.
                let visit = try await harness.visitWithMetformin(port: port, hospital: hospital, person: (Demo.zhangSan.psnNo, Demo.zhangSan.certno), medium: medium)
                var batch = "B1", total = "12.50"
                if consultation {
                    batch = "B2"
                    total = "20.00"
                    _ = try await hospital.call(infno: "2204", input: ["feedetail": .array([.object([
                        "feedetl_sn": "9", "mdtrt_id": .string(visit), "psn_no": .string(Demo.zhangSan.psnNo), "chrg_bchno": "B2",
                        "med_list_codg": "AADG0000", "pric": "20.00", "cnt": "1", "det_item_fee_sumamt": "20.00"])])])
                }
                _ = try await hospital.call(infno: presettle ? "2206" : "2207", input: ["data": .object([
                    "psn_no": .string(Demo.zhangSan.psnNo), "mdtrt_id": .string(visit), "chrg_bchno": .string(batch), "insutype": "310",
                    "acct_used_flag": "0", "medfee_sumamt": .string(total), "mdtrt_cert_type": "03", "mdtrt_cert_no": .string(card)])])
            }
        }
        let standard = try await GatewayHarness.make()
        await expectRefusal("VISIT_NOT_VOUCHER_AUTHENTICATED", rule: "ID-1", pointer: "/input/data/mdtrt_cert_type") {
            try await attempt(standard, card: zhangSanCard, consultation: false)
        }
        var beijing = PolicyProfile.nhsa20
        beijing.measures.cardSwipeSettlement = true
        try await attempt(try await GatewayHarness.make(policy: beijing), card: zhangSanCard, consultation: false)
        await expectRefusal("PERSON_MISMATCH", rule: "PY-6", pointer: "/input/data/mdtrt_cert_no") {
            try await attempt(try await GatewayHarness.make(policy: beijing), card: liNaCard, consultation: false)
        }
        await expectRefusal("CARD_SETTLEMENT_NOT_ALLOWED", rule: "PY-6", pointer: "/input/data/mdtrt_cert_type") {
            try await attempt(try await GatewayHarness.make(policy: beijing), card: zhangSanCard, consultation: true)
        }
        // 2206 pre-settles by the same rule, so a pre-settlement never promises what 2207 refuses.
        await expectRefusal("CARD_SETTLEMENT_NOT_ALLOWED", rule: "PY-6", pointer: "/input/data/mdtrt_cert_type") {
            try await attempt(try await GatewayHarness.make(policy: beijing), card: zhangSanCard, consultation: true, presettle: true)
        }
        // A visit authenticated through the e-voucher settles as such, whatever medium the 2207 names: the consultation too.
        try await attempt(try await GatewayHarness.make(policy: beijing), card: zhangSanCard, consultation: true, medium: .eVoucher)
    }

    @Test("SC-3: an online visit is a follow-up — 2201 of a person with no offline visit on record (or only one dated later) is refused; once seen in person, registered")
    func followUpAtRegistration() async throws {
        let harness = try await GatewayHarness.make()
        let person = PersonInput(psnNo: "12000000000000000088", certno: "120101198404040019", name: "Qian Yu", gender: "1", birthDate: "1984-04-04",
                                 insutype: "310", insuplcAdmdvs: "120100", accountBalanceFen: 10_000, voucherActivated: true)
        let stored = person.person
        try await harness.gateway.store.write {
            try await $0.save(stored)
            try await $0.add(OfflineVisit(psnNo: person.psnNo, diseaseCode: "E11.900", diseaseName: "Type 2 diabetes mellitus", institutionCode: Demo.hospital, visitDate: "2099-01-01"))
        }
        try await harness.app(callbacks: false).test(.live) { live in
            let port = try #require(live.port)
            let hospital = try await harness.client(port: port)
            func register() async throws -> String {
                try await hospital.register(RegistrationRequest(psnNo: person.psnNo, insutype: "310", beginTime: Date(), medium: .residentID, certNo: person.certno,
                                                               iptOtpNo: "MZ" + TokenGenerator.digits(6), doctorCode: Demo.doctorLi, doctorName: "Li Wei",
                                                               deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
            }
            await expectRefusal("SCOPE_NO_PRIOR_OFFLINE_VISIT", rule: "SC-3", pointer: "/input/data/psn_no") { _ = try await register() }
            try await harness.gateway.store.write {
                try await $0.add(OfflineVisit(psnNo: person.psnNo, diseaseCode: "E11.900", diseaseName: "Type 2 diabetes mellitus", institutionCode: Demo.hospital, visitDate: "2026-09-01"))
            }
            let visit = try await register()
            let stored = try await harness.gateway.store.read { try await $0.registration(mdtrtId: visit) }
            #expect(stored?.offSite == false, "SC-4: a Tianjin-insured person at a Tianjin hospital is local")
        }
    }

    @Test("PY-12: the agency sets an institution's budget at any time and removes it with null; an empty body changes nothing")
    func budgetSetting() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app(callbacks: false).test(.live) { live in
            let port = try #require(live.port)
            let url = "http://127.0.0.1:\(port)/admin/institutions/\(Demo.hospital)/budget"
            let admin = harness.credentials.adminToken
            let set = try await HTTP.post(.shared, url: url, body: Array(#"{"annualBudgetFen":150000}"#.utf8), bearer: admin)
            #expect(set.objectValue?["annualBudgetFen"] == .integer(150_000), "\(set)")
            let empty = try await HTTP.exchange(.shared, url: url, body: Array("{}".utf8), bearer: admin)
            let problem = try JSONValue.parse(empty.body).objectValue ?? [:]
            #expect(empty.status == 400 && problem[key: "code"] == "FIELD_MISSING" && problem[key: "pointer"] == "/annualBudgetFen", "\(problem)")
            let negative = try await HTTP.exchange(.shared, url: url, body: Array(#"{"annualBudgetFen":-1}"#.utf8), bearer: admin)
            #expect(negative.status == 400)
            #expect(try await harness.gateway.store.read { try await $0.institution(code: Demo.hospital)?.annualBudgetFen } == 150_000)
            let removed = try await HTTP.post(.shared, url: url, body: Array(#"{"annualBudgetFen":null}"#.utf8), bearer: admin)
            #expect(removed.objectValue?["annualBudgetFen"] == nil || removed.objectValue?["annualBudgetFen"] == .null, "\(removed)")
        }
    }
}
