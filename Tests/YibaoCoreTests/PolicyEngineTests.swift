import Foundation
import Testing
@testable import YibaoCore

// Worked examples for the policy engine, computed by hand in the comments from the simulator values
// in policies/regions/120000.json (Tianjin) and 110000.json (Beijing):
//
//                               Tianjin 120000        Beijing 110000
//   AADG0000 consultation price 20.00                 50.00
//   310 deductible / cap        800.00 / 10000.00     1800.00 / 20000.00
//   310 ratio level 1 / 2 / 3   0.90 / 0.85 / 0.80    0.90 / 0.70 / 0.70
//   390 deductible / cap        500.00 / 4000.00      100.00 / 4500.00
//   390 ratio level 1 / 2 / 3   0.60 / 0.55 / 0.50    0.55 / 0.50 / 0.50
//   gliclazide SR (B) share     0.10                  0.05
//   atorvastatin (B) share/cap  0.05 / 30.00          0.10 / 28.00
//   amlodipine 2nd mfr (A) cap  15.00                 14.00
//   test strips (B 0.20)        in catalogue          outside

private let metformin = "XA10BAE054A001010100483"      // A
private let gliclazide = "XA10BBG001A001010103929"     // B, share 0.10 (Tianjin)
private let amlodipine = "XC08CAA001A001010101789"     // A
private let amlodipineCapped = "XC08CAA012A001010103039" // A, cap 15.00 (Tianjin)
private let atorvastatin = "XC10AAA051A001010100256"   // B 0.05, cap 30.00 (Tianjin)
private let vitaminC = "XA11GAV001B001010100010"       // C
private let glucoseTest = "250305007"                  // A service, cap 6.00 (Tianjin)
private let strips = "C14010100100"                    // B 0.20 consumable, Tianjin only
private let delivery = "DELIVERY0001"                  // delivery
private let consultation = "AADG0000"
private let unknownCode = "XZZZZZZ999Z999999999999"

private func regions() throws -> [String: RegionPolicy] {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return try RegionPolicy.load(directory: root.appendingPathComponent("policies/regions"))
}
private func tianjin() throws -> RegionPolicy { try #require(try regions()["120000"]) }
private func beijing() throws -> RegionPolicy { try #require(try regions()["110000"]) }

private func line(_ sn: String, _ code: String, _ pric: Amount, _ cnt: Decimal = 1, online: Bool = true, rxCircFlag: Bool = false) -> FeeLine {
    FeeLine(feedetlSn: sn, medListCodg: code, pric: pric, cnt: cnt, online: online, rxCircFlag: rxCircFlag)
}

/// The diabetes follow-up of samples/rx/diabetes-followup.json: metformin 12.50 × 2 = 25.00 (A) and gliclazide SR
/// 28.60 × 1 = 28.60 (B). In Tianjin's scope: gliclazide preselfpay 28.60 × 0.10 = 2.86, in scope 25.74;
/// medfee 53.60, preselfpay 2.86, inscp 25.00 + 25.74 = 50.74.
private func diabetesLines(scope: RegionPolicy) throws -> [LineResult] {
    try PolicyEngine.classify([line("1", metformin, "12.50", 2), line("2", gliclazide, "28.60")], scope: scope)
}

/// Parses through the failable initialisers. (`Amount("12.5")` with a literal argument is the literal itself —
/// SE-0213 — so parsing is tested with a `String` value.)
private func parsed(_ text: String) -> Amount? { Amount(text) }
private func parsedRatio(_ text: String) -> Ratio? { Ratio(text) }

@Suite("Amount and Ratio — decimal money, half-up rounding, string wire form")
struct AmountTests {
    private struct Box: Codable, Equatable { var a: Amount }
    private struct RatioBox: Codable, Equatable { var r: Ratio }

    @Test("parsing keeps the value; description has at least two decimals")
    func parsing() throws {
        #expect(parsed("12.5")?.description == "12.50")
        #expect(parsed("12.50")?.description == "12.50")
        #expect(parsed("12")?.description == "12.00")
        #expect(parsed("1234.56")?.description == "1234.56")
        #expect(parsed("-3.1")?.description == "-3.10")
        #expect(parsed("0.125")?.description == "0.125")   // kept: rounding only where documented
        #expect(parsed("12.5") == parsed("12.50"))
        for bad in ["", "-", "12.", ".5", " 12", "12 ", "1e3", "12abc", "1,5", "+1", "0x10", "١٢"] {
            #expect(Amount(bad) == nil, "\(bad) is refused")
        }
        let error = refusal(.fieldInvalid, .protocolFields, pointer: "/pric") { _ = try Amount.parse("12.3.4", pointer: "/pric") }
        #expect(error?.actual == "12.3.4")
    }

    @Test("rounded(): half-up to 0.01, away from zero on a tie")
    func roundingHalfUp() {
        #expect(("0.005" as Amount).rounded() == "0.01")
        #expect(("0.004" as Amount).rounded() == "0.00")
        #expect(("0.0049999" as Amount).rounded() == "0.00")
        #expect(("2.675" as Amount).rounded() == "2.68")     // 2.675 as a double would round to 2.67
        #expect(("1.235" as Amount).rounded() == "1.24")
        #expect(("24.592" as Amount).rounded() == "24.59")
        #expect(("45.666" as Amount).rounded() == "45.67")
        #expect(("-0.005" as Amount).rounded() == "-0.01")
        #expect(("7" as Amount).rounded().description == "7.00")
        #expect(("0.125" as Amount).isWholeFen == false)
        #expect(("0.12" as Amount).isWholeFen)
    }

    @Test("arithmetic is exact decimal: 0.1 + 0.2 = 0.3")
    func arithmetic() {
        let a: Amount = "0.1", b: Amount = "0.2"
        #expect(a + b == "0.3")
        #expect(("10.00" as Amount) - "0.01" == "9.99")
        #expect(("12.50" as Amount) * Decimal(2) == "25.00")
        #expect(("30.74" as Amount) * ("0.80" as Ratio) == "24.592")
        #expect(-("1.50" as Amount) == "-1.50")
        #expect(("1.50" as Amount) < "1.51")
        #expect(min(("3.00" as Amount), "2.99") == "2.99")
        #expect([("1.10" as Amount), "2.20", "3.30"].sum() == "6.60")
        #expect(Amount(fen: 1234) == "12.34")
        #expect(Amount(fen: -5) == "-0.05")
        #expect(("0.125" as Amount).fen == 13)
        #expect(("1234.56" as Amount).fen == 123_456)
    }

    @Test("JSON: a string with two decimals; strings and numbers are read exactly")
    func json() throws {
        #expect(String(decoding: try JSONEncoder().encode(Box(a: "12.5")), as: UTF8.self) == #"{"a":"12.50"}"#)
        #expect(String(decoding: try JSONEncoder().encode(Box(a: "0")), as: UTF8.self) == #"{"a":"0.00"}"#)
        #expect(String(decoding: try JSONEncoder().encode(Box(a: "0.125")), as: UTF8.self) == #"{"a":"0.125"}"#)
        #expect(try JSONDecoder().decode(Box.self, from: Data(#"{"a":"12.5"}"#.utf8)) == Box(a: "12.50"))
        #expect(try JSONDecoder().decode(Box.self, from: Data(#"{"a":"12"}"#.utf8)) == Box(a: "12.00"))
        #expect(try JSONDecoder().decode(Box.self, from: Data(#"{"a":28.60}"#.utf8)) == Box(a: "28.60"))
        #expect(try JSONDecoder().decode(Box.self, from: Data(#"{"a":0.1}"#.utf8)).a + "0.2" == "0.3")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Box.self, from: Data(#"{"a":"1e3"}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Box.self, from: Data(#"{"a":"12,50"}"#.utf8)) }
    }

    @Test("Ratio: 0…1, written \"0.85\"")
    func ratio() throws {
        #expect(parsedRatio("0.85")?.description == "0.85")
        #expect(parsedRatio("0.1")?.description == "0.10")
        #expect(parsedRatio("1")?.description == "1.00")
        #expect(parsedRatio("1.01") == nil)
        #expect(parsedRatio("-0.1") == nil)
        #expect(("0.80" as Ratio).complement == "0.20")
        #expect(String(decoding: try JSONEncoder().encode(RatioBox(r: "0.9")), as: UTF8.self) == #"{"r":"0.90"}"#)
        #expect(try JSONDecoder().decode(RatioBox.self, from: Data(#"{"r":"0.85"}"#.utf8)) == RatioBox(r: "0.85"))
        #expect(try JSONDecoder().decode(RatioBox.self, from: Data(#"{"r":0.85}"#.utf8)) == RatioBox(r: "0.85"))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RatioBox.self, from: Data(#"{"r":"1.5"}"#.utf8)) }
    }
}

@Suite("RegionPolicy — the data files")
struct RegionPolicyTests {
    @Test("policies/regions holds Tianjin, Beijing and Shanghai (for cross-region tests), labelled simulator values")
    func load() throws {
        let all = try regions()
        #expect(Set(all.keys) == ["110000", "120000", "310000"])
        for policy in all.values {
            #expect(policy.note?.contains("SIMULATOR VALUES") == true)
            #expect(policy.insurance["310"]?.personalAccountPaysIndividualShare == true)
            #expect(policy.insurance["390"]?.personalAccountPaysIndividualShare == false)
            #expect(policy.item(code: delivery)?.kind == .delivery)
            #expect(policy.item(code: unknownCode) == nil)
        }
        let tj = try tianjin()
        #expect(tj.item(code: metformin)?.itemClass == .A)
        #expect(tj.item(code: gliclazide)?.selfPayShare == "0.10")
        #expect(tj.item(code: amlodipine)?.itemClass == .A)
        #expect(tj.item(code: vitaminC)?.itemClass == .C)
        #expect(tj.item(code: amlodipineCapped)?.priceCap == "15.00")
        // PY-1: AADG0000 comes from `consultation`, a class-A service capped at its price.
        let aadg = try #require(tj.item(code: consultation))
        #expect(aadg.itemClass == .A && aadg.kind == .service && aadg.priceCap == "20.00" && aadg.medChrgitmType == "02")
        // Beijing differs where the cross-region tests look.
        let bj = try beijing()
        #expect(bj.insurance["310"]?.deductiblePerYear != tj.insurance["310"]?.deductiblePerYear)
        #expect(bj.insurance["310"]?.ratioByLevel["3"] != tj.insurance["310"]?.ratioByLevel["3"])
        #expect(bj.item(code: strips) == nil)
    }

    @Test("a policy file encodes and decodes to the same value")
    func roundTrip() throws {
        let tj = try tianjin()
        #expect(try RegionPolicy.decode(JSONEncoder().encode(tj)) == tj)
    }

    @Test("incoherent files are refused with POLICY_INVALID and a pointer")
    func invalid() throws {
        var tj = try tianjin()
        tj.catalogue[1].selfPayShare = nil   // gliclazide is class B
        refusal(.policyInvalid, .py3, pointer: "/catalogue/1/selfPayShare") { try tj.validate() }

        tj = try tianjin()
        tj.catalogue[0].selfPayShare = "0.10"   // metformin is class A
        refusal(.policyInvalid, .py3, pointer: "/catalogue/0/selfPayShare") { try tj.validate() }

        tj = try tianjin()
        tj.catalogue.append(tj.catalogue[0])
        refusal(.policyInvalid, .py3, pointer: "/catalogue/\(tj.catalogue.count - 1)/code") { try tj.validate() }

        tj = try tianjin()
        tj.catalogue.append(tj.consultation.item)
        refusal(.policyInvalid, .py1, pointer: "/catalogue/\(tj.catalogue.count - 1)/code") { try tj.validate() }

        tj = try tianjin()
        tj.consultation.price = .zero
        refusal(.policyInvalid, .py1, pointer: "/consultation/price") { try tj.validate() }

        tj = try tianjin()
        tj.chronicDiseases = ["E11", "diabetes"]
        refusal(.policyInvalid, .sc1, pointer: "/chronicDiseases/1") { try tj.validate() }

        refusal(.policyInvalid, .py3) { _ = try RegionPolicy.decode(Data(#"{"admdvs":"120000"}"#.utf8), source: "x.json") }
    }

    @Test("a file must be named after its admdvs")
    func fileName() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try JSONEncoder().encode(try tianjin()).write(to: dir.appendingPathComponent("130000.json"))
        refusal(.policyInvalid, .py3, pointer: "/admdvs") { _ = try RegionPolicy.load(directory: dir) }
    }
}

@Suite("PolicyEngine — classification (2204) and settlement (2207)")
struct PolicyEngineTests {

    // MARK: Sum check

    @Test("det_item_fee_sumamt must be pric × cnt rounded half-up, else FIELD_INVALID naming it")
    func sumCheck() throws {
        let tj = try tianjin()
        // 12.50 × 2 = 25.00, not 25.01.
        let bad = FeeLine(feedetlSn: "2", medListCodg: metformin, pric: "12.50", cnt: 2, detItemFeeSumamt: "25.01")
        let error = refusal(.fieldInvalid, .sv3, pointer: "/feedetail/1/det_item_fee_sumamt") {
            _ = try PolicyEngine.classify(bad, scope: tj, index: 1)
        }
        #expect(error?.expected == "25.00" && error?.actual == "25.01")
        refusal(.fieldInvalid, .sv3, pointer: "/det_item_fee_sumamt") { _ = try PolicyEngine.classify(bad, scope: tj) }
        // Through the array form the index is the line's position.
        refusal(.fieldInvalid, .sv3, pointer: "/feedetail/1/det_item_fee_sumamt") {
            _ = try PolicyEngine.classify([line("1", amlodipine, "19.80"), bad], scope: tj)
        }
        // 0.333 × 3 = 0.999 → 1.00 is accepted; cnt 0 is refused.
        #expect(try PolicyEngine.classify(FeeLine(feedetlSn: "1", medListCodg: metformin, pric: "0.333", cnt: 3, detItemFeeSumamt: "1.00"), scope: tj).inscpScpAmt == "1.00")
        refusal(.fieldInvalid, .sv3, pointer: "/feedetail/0/cnt") {
            _ = try PolicyEngine.classify(FeeLine(feedetlSn: "1", medListCodg: metformin, pric: "1.00", cnt: 0, detItemFeeSumamt: "0.00"), scope: tj, index: 0)
        }
    }

    // MARK: PY-1

    @Test("PY-1, PY-2: AADG0000 is decomposed at upload — priced above the consultation price, the excess is over-limit, the rest in scope")
    func consultationOverLimit() throws {
        let tj = try tianjin()
        // 25.00 × 1 = 25.00; cap 20.00 → overlmt (25.00 − 20.00) × 1 = 5.00; class A → preselfpay 0; inscp 20.00.
        let over = try PolicyEngine.classify(line("1", consultation, "25.00"), scope: tj)
        #expect(over.pricUplmtAmt == "20.00")
        #expect(over.overlmtAmt == "5.00")
        #expect(over.preselfpayAmt == .zero && over.fulamtOwnpayAmt == .zero)
        #expect(over.inscpScpAmt == "20.00")
        #expect(over.chrgitmLv == "01" && over.medChrgitmType == "02" && over.selfpayProp == .zero)
        #expect(over.notes.contains { $0.hasPrefix("PY-1: price 25.00 above the cap 20.00") })
        // At the consultation price (samples/uldFeeInfo.json): 20.00, nothing over.
        let atPrice = try PolicyEngine.classify(line("1", consultation, "20.00"), scope: tj)
        #expect(atPrice.overlmtAmt == .zero && atPrice.inscpScpAmt == "20.00")
        // In Beijing (50.00) the same 25.00 is within the price.
        #expect(try PolicyEngine.classify(line("1", consultation, "25.00"), scope: beijing()).overlmtAmt == .zero)
    }

    // MARK: PY-3 classes

    @Test("PY-3: class A is fully in scope")
    func classA() throws {
        // Metformin 12.50 × 2 = 25.00 → inscp 25.00, chrgitm_lv 01.
        let result = try PolicyEngine.classify(line("1", metformin, "12.50", 2), scope: tianjin())
        #expect(result.detItemFeeSumamt == "25.00" && result.inscpScpAmt == "25.00")
        #expect(result.fulamtOwnpayAmt == .zero && result.overlmtAmt == .zero && result.preselfpayAmt == .zero)
        #expect(result.chrgitmLv == "01" && result.medChrgitmType == "09" && result.kind == .drug)
        #expect(result.pricUplmtAmt == nil)
    }

    @Test("PY-3: class B pays its self-pay share first")
    func classB() throws {
        // Gliclazide 28.60 × 1: preselfpay 28.60 × 0.10 = 2.86; inscp 28.60 − 2.86 = 25.74.
        let result = try PolicyEngine.classify(line("2", gliclazide, "28.60"), scope: tianjin())
        #expect(result.selfpayProp == "0.10")
        #expect(result.preselfpayAmt == "2.86")
        #expect(result.inscpScpAmt == "25.74")
        #expect(result.chrgitmLv == "02")
        #expect(result.notes.contains { $0.hasPrefix("PY-3: class B") })
    }

    @Test("PY-3: class C and items outside the catalogue are paid in full by the person")
    func classCAndOutside() throws {
        let tj = try tianjin()
        // Vitamin C 15.00 × 1 → fulamt 15.00, inscp 0.00, chrgitm_lv 03.
        let c = try PolicyEngine.classify(line("1", vitaminC, "15.00"), scope: tj)
        #expect(c.fulamtOwnpayAmt == "15.00" && c.inscpScpAmt == .zero && c.chrgitmLv == "03")
        // Outside the catalogue: 40.00 × 1 → fulamt 40.00, chrgitm_lv 03, med_chrgitm_type 14, no kind.
        let outside = try PolicyEngine.classify(line("2", unknownCode, "40.00"), scope: tj)
        #expect(outside.fulamtOwnpayAmt == "40.00" && outside.inscpScpAmt == .zero)
        #expect(outside.chrgitmLv == "03" && outside.medChrgitmType == "14" && outside.kind == nil)
        #expect(outside.notes.contains { $0.hasPrefix("PY-3: \(unknownCode) is outside the catalogue of 120000") })
    }

    @Test("PY-3: price cap — over-limit, then class B's share on what is left")
    func priceCap() throws {
        let tj = try tianjin()
        // Amlodipine (2nd mfr, A, cap 15.00): 16.25 × 3 = 48.75; overlmt (16.25 − 15.00) × 3 = 3.75; inscp 45.00.
        let a = try PolicyEngine.classify(line("1", amlodipineCapped, "16.25", 3), scope: tj)
        #expect(a.pricUplmtAmt == "15.00" && a.overlmtAmt == "3.75" && a.inscpScpAmt == "45.00")
        // A three-decimal price: 15.333 × 3 = 45.999 → 46.00; overlmt 0.333 × 3 = 0.999 → 1.00; inscp 45.00.
        let fine = try PolicyEngine.classify(line("2", amlodipineCapped, "15.333", 3), scope: tj)
        #expect(fine.detItemFeeSumamt == "46.00" && fine.overlmtAmt == "1.00" && fine.inscpScpAmt == "45.00")
        // Atorvastatin (B 0.05, cap 30.00): 33.00 × 2 = 66.00; overlmt (33.00 − 30.00) × 2 = 6.00;
        // preselfpay (66.00 − 6.00) × 0.05 = 3.00; inscp 66.00 − 6.00 − 3.00 = 57.00.
        let b = try PolicyEngine.classify(line("3", atorvastatin, "33.00", 2), scope: tj)
        #expect(b.overlmtAmt == "6.00" && b.preselfpayAmt == "3.00" && b.inscpScpAmt == "57.00" && b.selfpayProp == "0.05")
        // Below the cap nothing is over: 12.50 × 1 under 15.00.
        #expect(try PolicyEngine.classify(line("4", amlodipineCapped, "12.50"), scope: tj).overlmtAmt == .zero)
    }

    // MARK: PY-5

    @Test("PY-5: delivery fees are never paid by the fund")
    func deliveryFee() throws {
        let tj = try tianjin()
        // DELIVERY0001 10.00 × 1 → fulamt 10.00, inscp 0.00.
        let result = try PolicyEngine.classify(line("3", delivery, "10.00", rxCircFlag: true), scope: tj)
        #expect(result.fulamtOwnpayAmt == "10.00" && result.inscpScpAmt == .zero && result.kind == .delivery)
        #expect(result.notes.contains("PY-5: delivery fees are never paid by the fund: 10.00 paid in full by the person"))
        #expect(result.notes.contains { $0.hasPrefix("PY-7") })
        // In a settlement the fund pays nothing of it: deductible used up, ratio 0.80, only delivery → hifp 0.00.
        let setl = try PolicyEngine.settle([result], insurance: tj, insutype: "310", institutionLevel: "3",
                                           person: PersonYear(deductibleUsed: "800.00"), useAccount: false)
        #expect(setl.fundPaySumamt == .zero && setl.psnCashPay == "10.00")
    }

    // MARK: SC-4

    @Test("SC-4: online and offline lines are told apart in lines and totals")
    func onlineTagging() throws {
        let tj = try tianjin()
        // Online AADG0000 20.00 + offline glucose test 5.00 → online 20.00, offline 5.00.
        let lines = try PolicyEngine.classify([line("1", consultation, "20.00"), line("2", glucoseTest, "5.00", online: false)], scope: tj)
        #expect(lines.map(\.online) == [true, false])
        #expect(lines[0].notes.contains("SC-4: Internet+ (online) fee") && lines[1].notes.contains("SC-4: offline fee"))
        let setl = try PolicyEngine.settle(lines, insurance: tj, insutype: "310", institutionLevel: "3", person: PersonYear(), useAccount: false)
        #expect(setl.onlineFeeSumamt == "20.00" && setl.offlineFeeSumamt == "5.00")
    }

    @Test("SC-4: an item provided offline only is refused on an Internet+ line, the Internet consultation on an offline line")
    func serviceModes() throws {
        let tj = try tianjin()
        let offline = refusal(.itemServiceModeMismatch, .sc4, pointer: "/feedetail/1/med_list_codg") {
            _ = try PolicyEngine.classify([line("1", metformin, "12.50"), line("2", glucoseTest, "5.00")], scope: tj)
        }
        #expect(offline?.detail.contains("offline (in person) only") == true && offline?.actual == "offline only")
        let internet = refusal(.itemServiceModeMismatch, .sc4, pointer: "/feedetail/0/med_list_codg") {
            _ = try PolicyEngine.classify([line("1", consultation, "20.00", online: false)], scope: tj)
        }
        #expect(internet?.detail.contains("Internet service") == true)
        // Items without a mode go either way.
        #expect(try PolicyEngine.classify([line("1", metformin, "12.50", online: false), line("2", metformin, "12.50")], scope: tj).count == 2)
    }

    // MARK: Deductible

    @Test("the deductible partly used: the rest of it comes first, then the ratio")
    func deductiblePartlyUsed() throws {
        let tj = try tianjin()
        // Tianjin 310, tertiary (0.80); medfee 53.60, preselfpay 2.86, inscp 50.74.
        // Deductible 800.00 − used 780.00 = 20.00 → act_pay_dedc min(50.74, 20.00) = 20.00.
        // base 50.74 − 20.00 = 30.74 × 0.80 = 24.592 → hifp_pay 24.59 (cap 10000.00 far away).
        // pool_prop_selfpay 30.74 − 24.59 = 6.15; psn_part 53.60 − 24.59 = 29.01 (= 2.86 + 20.00 + 6.15).
        // Account 100.00 → acct_pay 29.01, cash 0.00, balc 70.99.
        let person = PersonYear(deductibleUsed: "780.00", fundPaid: "0.00", accountBalance: "100.00")
        let r = try PolicyEngine.settle(diabetesLines(scope: tj), insurance: tj, insutype: "310", institutionLevel: "3", person: person, useAccount: true)
        #expect(r.medfeeSumamt == "53.60")
        #expect(r.fulamtOwnpayAmt == .zero && r.overlmtSelfpay == .zero)
        #expect(r.preselfpayAmt == "2.86")
        #expect(r.inscpScpAmt == "50.74")
        #expect(r.deductibleRemaining == "20.00")
        #expect(r.actPayDedc == "20.00")
        #expect(r.hifpPay == "24.59")
        #expect(r.poolPropSelfpay == "6.15")
        #expect(r.fundPaySumamt == "24.59")
        #expect(r.psnPartAmt == "29.01")
        #expect(r.acctPay == "29.01" && r.psnCashPay == .zero && r.balc == "70.99")
        #expect(r.ratio == "0.80" && r.deductible == "800.00" && r.deductibleUsedBefore == "780.00")
        #expect(r.insuplcAdmdvs == "120000" && r.mdtrtareaAdmdvs == "120000" && !r.crossRegion)
        #expect(r.steps.contains("PY-3: inscope 50.74 − deductible 20.00 = 30.74 × ratio 0.80 = 24.592 → 24.59 (half-up to 0.01)"))
        #expect(r.steps.last == "check: fund 24.59 + account 29.01 + cash 0.00 = 53.60 = medfee_sumamt 53.60")
        // The next year state: deductible 800.00 used, fund 24.59, balance 70.99.
        #expect(person.applying(r) == PersonYear(deductibleUsed: "800.00", fundPaid: "24.59", accountBalance: "70.99"))

        // Nothing used yet: 50.74 all goes to the deductible, the fund pays nothing.
        let fresh = try PolicyEngine.settle(diabetesLines(scope: tj), insurance: tj, insutype: "310", institutionLevel: "3",
                                            person: PersonYear(), useAccount: false)
        #expect(fresh.actPayDedc == "50.74" && fresh.hifpPay == .zero && fresh.psnCashPay == "53.60")
    }

    // MARK: PY-4

    @Test("PY-4: the personal account pays the individual share, up to its balance")
    func accountUpToBalance() throws {
        let tj = try tianjin()
        // As above, psn_part 29.01 but the balance is 10.00 → acct_pay 10.00, cash 19.01, balc 0.00.
        let r = try PolicyEngine.settle(diabetesLines(scope: tj), insurance: tj, insutype: "310", institutionLevel: "3",
                                        person: PersonYear(deductibleUsed: "780.00", accountBalance: "10.00"), useAccount: true)
        #expect(r.psnPartAmt == "29.01" && r.acctPay == "10.00" && r.psnCashPay == "19.01" && r.balc == "0.00")
    }

    @Test("PY-4: not for residents (390)")
    func noAccountForResidents() throws {
        let tj = try tianjin()
        // Tianjin 390, tertiary 0.50, deductible 500.00 fully used → act_pay_dedc 0.00;
        // 50.74 × 0.50 = 25.37 → hifp 25.37; pool 25.37; psn_part 53.60 − 25.37 = 28.23; acct 0.00 despite the
        // flag and a balance of 100.00 → cash 28.23, balc 100.00.
        let r = try PolicyEngine.settle(diabetesLines(scope: tj), insurance: tj, insutype: "390", institutionLevel: "3",
                                        person: PersonYear(deductibleUsed: "500.00", accountBalance: "100.00"), useAccount: true)
        #expect(r.actPayDedc == .zero && r.hifpPay == "25.37" && r.poolPropSelfpay == "25.37" && r.psnPartAmt == "28.23")
        #expect(r.acctPay == .zero && r.psnCashPay == "28.23" && r.balc == "100.00" && !r.accountAllowed)
        #expect(r.steps.contains { $0.hasPrefix("PY-4: insutype 390") })
    }

    @Test("PY-4: not when the person does not ask (acctUsedFlag 0)")
    func noAccountWhenNotAsked() throws {
        let tj = try tianjin()
        // The 310 example with useAccount false: acct 0.00, cash 29.01, balc 100.00.
        let r = try PolicyEngine.settle(diabetesLines(scope: tj), insurance: tj, insutype: "310", institutionLevel: "3",
                                        person: PersonYear(deductibleUsed: "780.00", accountBalance: "100.00"), useAccount: false)
        #expect(r.acctPay == .zero && r.psnCashPay == "29.01" && r.balc == "100.00")
    }

    // MARK: Annual cap

    @Test("the annual cap reached: the fund pays only what is left of it")
    func annualCap() throws {
        let tj = try tianjin()
        // Tianjin 310, primary (0.90), deductible used up, fund paid 9990.00 of 10000.00 → 10.00 left.
        // 50.74 × 0.90 = 45.666 → 45.67; hifp = min(45.67, 10.00) = 10.00; pool 50.74 − 10.00 = 40.74;
        // psn_part 53.60 − 10.00 = 43.60 (= 2.86 + 0.00 + 40.74).
        let r = try PolicyEngine.settle(diabetesLines(scope: tj), insurance: tj, insutype: "310", institutionLevel: "1",
                                        person: PersonYear(deductibleUsed: "800.00", fundPaid: "9990.00"), useAccount: false)
        #expect(r.annualCapRemaining == "10.00")
        #expect(r.hifpPay == "10.00" && r.capReached)
        #expect(r.poolPropSelfpay == "40.74" && r.psnPartAmt == "43.60" && r.psnCashPay == "43.60")
        // Cap already exhausted (or exceeded): nothing more from the fund.
        let spent = try PolicyEngine.settle(diabetesLines(scope: tj), insurance: tj, insutype: "310", institutionLevel: "1",
                                            person: PersonYear(deductibleUsed: "800.00", fundPaid: "10000.01"), useAccount: false)
        #expect(spent.annualCapRemaining == .zero && spent.hifpPay == .zero && spent.poolPropSelfpay == "50.74")
    }

    // MARK: XR-1 / XR-6

    @Test("XR-1/XR-6: a Beijing-insured person treated in Tianjin — Tianjin's scope, Beijing's deductible and ratio")
    func crossRegion() throws {
        let tj = try tianjin(), bj = try beijing()
        // Scope from Tianjin: gliclazide's share is Tianjin's 0.10 (2.86), not Beijing's 0.05 (1.43).
        let lines = try diabetesLines(scope: tj)
        #expect(lines[1].preselfpayAmt == "2.86")
        #expect(try diabetesLines(scope: bj)[1].preselfpayAmt == "1.43")
        // Test strips 30.00 (B 0.20 in Tianjin) → preselfpay 6.00, inscp 24.00; in Beijing's scope they are outside.
        #expect(try PolicyEngine.classify(line("9", strips, "30.00"), scope: tj).inscpScpAmt == "24.00")
        #expect(try PolicyEngine.classify(line("9", strips, "30.00"), scope: bj).fulamtOwnpayAmt == "30.00")
        // AADG0000 at 25.00 in Tianjin is capped at Tianjin's 20.00 whoever the patient is.
        #expect(try PolicyEngine.classify(line("1", consultation, "25.00"), scope: tj).overlmtAmt == "5.00")

        // Parameters from Beijing: 310, tertiary 0.70, deductible 1800.00 with 1780.00 used → 20.00 left.
        // act_pay_dedc 20.00; 30.74 × 0.70 = 21.518 → hifp 21.52; pool 30.74 − 21.52 = 9.22;
        // psn_part 53.60 − 21.52 = 32.08 (= 2.86 + 20.00 + 9.22).
        let bjPerson = try PolicyEngine.settle(lines, insurance: bj, insutype: "310", institutionLevel: "3",
                                               person: PersonYear(deductibleUsed: "1780.00"), useAccount: false)
        #expect(bjPerson.crossRegion && bjPerson.insuplcAdmdvs == "110000" && bjPerson.mdtrtareaAdmdvs == "120000")
        #expect(bjPerson.deductible == "1800.00" && bjPerson.ratio == "0.70")
        #expect(bjPerson.actPayDedc == "20.00" && bjPerson.hifpPay == "21.52" && bjPerson.poolPropSelfpay == "9.22" && bjPerson.psnPartAmt == "32.08")
        // A Tianjin-insured person with the same lines and 20.00 of deductible left gets 24.59 (0.80).
        let tjPerson = try PolicyEngine.settle(lines, insurance: tj, insutype: "310", institutionLevel: "3",
                                               person: PersonYear(deductibleUsed: "780.00"), useAccount: false)
        #expect(tjPerson.hifpPay == "24.59" && tjPerson.hifpPay != bjPerson.hifpPay)

        // Same counters (790.00 used) for both: Tianjin has 10.00 left → base 40.74 × 0.80 = 32.592 → 32.59;
        // Beijing has 1010.00 left → all 50.74 goes to the deductible, the fund pays 0.00.
        let same = PersonYear(deductibleUsed: "790.00")
        let tjSame = try PolicyEngine.settle(lines, insurance: tj, insutype: "310", institutionLevel: "3", person: same, useAccount: false)
        let bjSame = try PolicyEngine.settle(lines, insurance: bj, insutype: "310", institutionLevel: "3", person: same, useAccount: false)
        #expect(tjSame.actPayDedc == "10.00" && tjSame.hifpPay == "32.59" && tjSame.psnPartAmt == "21.01")
        #expect(bjSame.actPayDedc == "50.74" && bjSame.hifpPay == .zero && bjSame.psnPartAmt == "53.60")
        #expect(bjSame.steps[1].contains("cross-region"))
    }

    @Test("XR-1 / PY-3: an insutype or level the place of insurance has no parameters for is refused")
    func unknownParameters() throws {
        let tj = try tianjin(), bj = try beijing()
        let lines = try diabetesLines(scope: tj)
        let error = refusal(.insutypeUnsupported, .xr1, pointer: "/insutype") {
            _ = try PolicyEngine.settle(lines, insurance: bj, insutype: "999", institutionLevel: "3", person: PersonYear(), useAccount: false)
        }
        #expect(error?.expected == "310 | 390")
        refusal(.insutypeUnsupported, .py3, pointer: "/insutype") {
            _ = try PolicyEngine.settle(lines, insurance: tj, insutype: "999", institutionLevel: "3", person: PersonYear(), useAccount: false)
        }
        refusal(.institutionLevelUnsupported, .py3) {
            _ = try PolicyEngine.settle(lines, insurance: tj, insutype: "310", institutionLevel: "9", person: PersonYear(), useAccount: false)
        }
    }

    @Test("settle refuses no lines, mixed scopes, inconsistent lines and bad counters")
    func settleRefusals() throws {
        let tj = try tianjin(), bj = try beijing()
        refusal(.fieldMissing, .protocolFields, pointer: "/feedetail") {
            _ = try PolicyEngine.settle([], insurance: tj, insutype: "310", institutionLevel: "3", person: PersonYear(), useAccount: false)
        }
        let mixed = [try PolicyEngine.classify(line("1", metformin, "1.00"), scope: tj), try PolicyEngine.classify(line("2", metformin, "1.00"), scope: bj)]
        refusal(.fieldInvalid, .xr6, pointer: "/feedetail/1") {
            _ = try PolicyEngine.settle(mixed, insurance: tj, insutype: "310", institutionLevel: "3", person: PersonYear(), useAccount: false)
        }
        var edited = try diabetesLines(scope: tj)
        edited[0].inscpScpAmt = "26.00"   // 25.00 + 1.00 out of nowhere
        refusal(.fieldInvalid, .xr6, pointer: "/feedetail/0/inscp_scp_amt") {
            _ = try PolicyEngine.settle(edited, insurance: tj, insutype: "310", institutionLevel: "3", person: PersonYear(), useAccount: false)
        }
        refusal(.fieldInvalid, .py3, pointer: "/accountBalance") {
            _ = try PolicyEngine.settle(try diabetesLines(scope: tj), insurance: tj, insutype: "310", institutionLevel: "3",
                                        person: PersonYear(accountBalance: "-1.00"), useAccount: true)
        }
    }

    // MARK: Rounding through the engine

    @Test("rounding half-up in the engine: a class-B share of 0.005 becomes 0.01")
    func roundingInEngine() throws {
        let tj = try tianjin()
        // Gliclazide 0.05 × 1: preselfpay 0.05 × 0.10 = 0.005 → 0.01; inscp 0.04.
        let b = try PolicyEngine.classify(line("1", gliclazide, "0.05"), scope: tj)
        #expect(b.preselfpayAmt == "0.01" && b.inscpScpAmt == "0.04")
        // Test strips 0.125 × 1 = 0.125 → sum 0.13; preselfpay 0.13 × 0.20 = 0.026 → 0.03; inscp 0.10.
        let strip = try PolicyEngine.classify(line("2", strips, "0.125"), scope: tj)
        #expect(strip.detItemFeeSumamt == "0.13" && strip.preselfpayAmt == "0.03" && strip.inscpScpAmt == "0.10")
        // Fund: Tianjin 310 primary 0.90, deductible used up; inscp 0.04 + 0.10 = 0.14 × 0.90 = 0.126 → 0.13;
        // pool 0.01; psn_part 0.18 − 0.13 = 0.05 (= preselfpay 0.04 + pool 0.01).
        let r = try PolicyEngine.settle([b, strip], insurance: tj, insutype: "310", institutionLevel: "1",
                                        person: PersonYear(deductibleUsed: "800.00"), useAccount: false)
        #expect(r.medfeeSumamt == "0.18" && r.hifpPay == "0.13" && r.poolPropSelfpay == "0.01" && r.psnPartAmt == "0.05")
        // A tie in the fund share: 0.05 × 0.90 = 0.045 → 0.05 (half-up); psn_part 0.00.
        let tie = try PolicyEngine.settle([try PolicyEngine.classify(line("1", metformin, "0.05"), scope: tj)], insurance: tj, insutype: "310",
                                          institutionLevel: "1", person: PersonYear(deductibleUsed: "800.00"), useAccount: false)
        #expect(tie.hifpPay == "0.05" && tie.psnPartAmt == "0.00")
    }

    // MARK: JSON

    @Test("the results are written with the platform's field names and string amounts")
    func resultJSON() throws {
        let tj = try tianjin()
        let lines = try diabetesLines(scope: tj)
        let r = try PolicyEngine.settle(lines, insurance: tj, insutype: "310", institutionLevel: "3",
                                        person: PersonYear(deductibleUsed: "780.00", accountBalance: "100.00"), useAccount: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(r), as: UTF8.self)
        for fragment in [#""medfee_sumamt":"53.60""#, #""hifp_pay":"24.59""#, #""act_pay_dedc":"20.00""#, #""acct_pay":"29.01""#,
                         #""balc":"70.99""#, #""insuplc_admdvs":"120000""#, #""mdtrtarea_admvs":"120000""#, #""ratio":"0.80""#,
                         #""preselfpay_amt":"2.86""#, #""selfpay_prop":"0.10""#, #""chrgitm_lv":"02""#, #""cnt":"2""#] {
            #expect(text.contains(fragment), "\(fragment)")
        }
        #expect(try JSONDecoder().decode(SettlementResult.self, from: Data(text.utf8)) == r)
        let feeLine = line("1", metformin, "12.50", 2)
        #expect(try JSONDecoder().decode(FeeLine.self, from: JSONEncoder().encode(feeLine)) == feeLine)
        // A fee line from the wire with a numeric cnt.
        let wire = #"{"feedetl_sn":"1","med_list_codg":"\#(metformin)","pric":"12.5","cnt":2,"det_item_fee_sumamt":"25","online":true}"#
        #expect(try JSONDecoder().decode(FeeLine.self, from: Data(wire.utf8)) == feeLine)
    }

    // MARK: The parts always add up

    @Test("the parts always add up (seeded generated line sets)", arguments: Array(UInt64(1)...UInt64(40)))
    func partsAddUp(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let all = try regions()
        let scopes = all.keys.sorted()
        let codes = [metformin, gliclazide, amlodipine, amlodipineCapped, atorvastatin, vitaminC, glucoseTest, strips, delivery, consultation, unknownCode]
        let counts: [Decimal] = [1, 2, 3, Decimal(string: "0.5")!, Decimal(string: "1.5")!, 10]
        for round in 0..<5 {
            let scope = all[scopes[Int.random(in: 0..<scopes.count, using: &random)]]!
            let insurance = all[scopes[Int.random(in: 0..<scopes.count, using: &random)]]!
            let feeLines = (0..<Int.random(in: 1...6, using: &random)).map { index -> FeeLine in
                let pric = Int.random(in: 0..<5, using: &random) == 0
                    ? Amount(Decimal(Int.random(in: 1...99_999, using: &random)) / 1000)   // three decimals
                    : Amount(fen: Int64.random(in: 1...9_999, using: &random))
                let code = codes[Int.random(in: 0..<codes.count, using: &random)]
                // SC-4: the glucose test is provided offline only, the consultation online only; other items either way.
                let online = code == glucoseTest ? false : code == consultation ? true : Bool.random(using: &random)
                return line("\(index + 1)", code, pric, counts[Int.random(in: 0..<counts.count, using: &random)], online: online)
            }
            let lines = try PolicyEngine.classify(feeLines, scope: scope)
            let person = PersonYear(deductibleUsed: Amount(fen: Int64.random(in: 0...200_000, using: &random)),
                                    fundPaid: Amount(fen: Int64.random(in: 0...2_100_000, using: &random)),
                                    accountBalance: Amount(fen: Int64.random(in: 0...5_000, using: &random)))
            let insutype = ["310", "390"][Int.random(in: 0...1, using: &random)]
            let level = ["1", "2", "3"][Int.random(in: 0...2, using: &random)]
            let useAccount = Bool.random(using: &random)
            let r = try PolicyEngine.settle(lines, insurance: insurance, insutype: insutype, institutionLevel: level, person: person, useAccount: useAccount)
            let label = "seed \(seed) round \(round)"

            for l in lines {
                #expect(l.fulamtOwnpayAmt + l.overlmtAmt + l.preselfpayAmt + l.inscpScpAmt == l.detItemFeeSumamt, "\(label)")
                #expect([l.fulamtOwnpayAmt, l.overlmtAmt, l.preselfpayAmt, l.inscpScpAmt].allSatisfy { !$0.isNegative && $0.isWholeFen }, "\(label)")
                if l.kind == .delivery || l.kind == nil || l.chrgitmLv == "03" {
                    #expect(l.inscpScpAmt == .zero && l.fulamtOwnpayAmt == l.detItemFeeSumamt, "\(label): PY-3/PY-5")
                }
            }
            #expect(r.fundPaySumamt + r.acctPay + r.psnCashPay == r.medfeeSumamt, "\(label)")
            #expect(r.medfeeSumamt == lines.map(\.detItemFeeSumamt).sum(), "\(label)")
            #expect(r.fulamtOwnpayAmt + r.overlmtSelfpay + r.preselfpayAmt + r.inscpScpAmt == r.medfeeSumamt, "\(label)")
            #expect(r.fulamtOwnpayAmt + r.overlmtSelfpay + r.preselfpayAmt + r.actPayDedc + r.poolPropSelfpay == r.psnPartAmt, "\(label)")
            #expect(r.actPayDedc <= r.deductibleRemaining && r.hifpPay <= r.annualCapRemaining, "\(label)")
            #expect(r.acctPay <= person.accountBalance && !r.balc.isNegative && r.balc + r.acctPay == person.accountBalance, "\(label)")
            #expect(r.onlineFeeSumamt + r.offlineFeeSumamt == r.medfeeSumamt, "\(label)")
            if !useAccount || insutype == "390" { #expect(r.acctPay == .zero, "\(label): PY-4") }
            #expect(r.crossRegion == (scope.admdvs != insurance.admdvs), "\(label)")
        }
    }
}

/// A small deterministic generator (SplitMix64), so the generated cases are the same on every run.
private struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
