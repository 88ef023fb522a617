import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import YibaoClient
import YibaoCore
import YibaoCrypto
@testable import YibaoGateway

/// The prescription centre and the pharmacy side through the client, against a live gateway.
@Suite("Prescriptions through a live gateway")
struct PrescriptionFlowTests {
    static func file(_ path: String) throws -> String {
        try String(contentsOf: GatewayHarness.packageRoot.appendingPathComponent(path), encoding: .utf8)
    }

    static func key(_ name: String, tree: String = "sm2") throws -> RxSigningKey {
        try RxSigningKey(keyPEM: try file("certs/\(tree)/\(name).key.pem"), certificatePEM: try file("certs/\(tree)/\(name).cert.pem"))
    }

    /// A context: the harness, the live port, the hospital and pharmacy clients.
    struct Context {
        let harness: GatewayHarness
        let port: Int
        let hospital: YibaoClient
        let pharmacy: YibaoClient

        func scan(_ certno: String, _ business: BusinessType, by client: YibaoClient) async throws -> String {
            let qr = try await harness.channel(port: port).qrCode(certno: certno)
            return try await client.scanVoucher(qrCode: qr.code, business: business).ecToken
        }

        func register(_ certno: String = Demo.zhangSan.certno, psnNo: String = Demo.zhangSan.psnNo) async throws -> String {
            let token = try await scan(certno, .registration, by: hospital)
            return try await hospital.register(RegistrationRequest(psnNo: psnNo, insutype: "310", beginTime: Date(), medium: .eVoucher, certNo: token,
                                                                   iptOtpNo: "MZ" + TokenGenerator.digits(6), doctorCode: Demo.doctorLi, doctorName: "Li Wei",
                                                                   deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
        }

        /// The diabetes sample for `mdtrtId`, prescribed now, valid 3 days; `edit` changes fields before signing.
        func prescription(mdtrtId: String, psnNo: String = Demo.zhangSan.psnNo, edit: (inout JSONObject) -> Void = { _ in }) async throws -> Prescription {
            guard case .object(var json) = try JSONValue.parse(try PrescriptionFlowTests.file("samples/rx/diabetes-followup.json")) else { throw DomainError.missing("", "sample") }
            let now = await harness.gateway.clock.now()
            json["hospRxno"] = .string("RX" + TokenGenerator.digits(12))
            // The patient's online identity check by the hospital (ec.query's authNo), which an Internet hospital prescription cites.
            let certno = psnNo == Demo.zhangSan.psnNo ? Demo.zhangSan.certno : try await harness.gateway.store.read { try await $0.person(psnNo: psnNo)?.certno } ?? ""
            let qr = try await harness.channel(port: port).qrCode(certno: certno)
            json["authNo"] = .string(try await hospital.scanVoucher(qrCode: qr.code, business: .consultation).authNo)
            json["prscTime"] = .string(Timestamps.fsi(now))
            json["valiEndTime"] = .string(Timestamps.fsi(now.addingTimeInterval(3 * 86_400)))
            var visit = json["mdtrtinfo"]!.objectValue!
            visit["mdtrtId"] = .string(mdtrtId)
            visit["psnNo"] = .string(psnNo)
            json["mdtrtinfo"] = .object(visit)
            edit(&json)
            return try Prescription(json: json)
        }

        /// Signed, pre-checked, reviewed, countersigned, uploaded: circulating.
        func circulate(_ prescription: Prescription) async throws -> (document: SignedPrescription, hiRxno: String) {
            var document = SignedPrescription(prescription: prescription)
            try document.signAsDoctor(with: try PrescriptionFlowTests.key("doctor-li"))
            let precheck = try await hospital.uploadCheck(document)
            try document.addReview(pharCode: "Y12010100001", pharName: "Zhao Min", pharChkTime: Timestamps.fsi(await harness.gateway.clock.now()),
                                   approved: true, key: try PrescriptionFlowTests.key("pharmacist-zhao"))
            document = try await hospital.countersign(document, rxTraceCode: precheck.rxTraceCode)
            _ = try await hospital.uploadPrescription(document, rxTraceCode: precheck.rxTraceCode)
            return (document, precheck.hiRxno)
        }

        /// One fresh traceability code per box of every drug line.
        func codes(_ document: SignedPrescription) -> [String: [String]] {
            Dictionary(uniqueKeysWithValues: document.prescription.drugs.map { drug in
                (drug.code, (0..<(Int(drug.count) ?? 1)).map { _ in "8" + TokenGenerator.digits(19) })
            })
        }
    }

    func withContext(_ body: @Sendable (Context) async throws -> Void) async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.live) { live in
            let port = try #require(live.port)
            try await body(Context(harness: harness, port: port, hospital: try await harness.client(port: port),
                                   pharmacy: try await harness.client(port: port, institution: Demo.pharmacy)))
        }
    }

    @Test("RX-4: a pharmacy cannot settle (2102) a prescription it did not dispense — here one the hospital delivered home")
    func pharmacyCannotSettleWhatItDidNotDispense() async throws {
        try await withContext { context in
            let mdtrtId = try await context.register()
            let (document, hiRxno) = try await context.circulate(try await context.prescription(mdtrtId: mdtrtId))
            // The institution's prescriptions, newest first (what the web console lists).
            let issued = try await context.harness.gateway.store.read { try await $0.prescriptions(institutionCode: Demo.hospital, limit: 10) }
            #expect(issued.first?.hiRxno == hiRxno && issued.first?.mainDiagnosisCode?.isEmpty == false)
            #expect(try await context.harness.gateway.store.read { try await $0.prescriptions(institutionCode: "H99999999999", limit: 10) }.isEmpty)
            _ = try await context.hospital.dispense(hiRxno: hiRxno, route: .homeDelivery, pharmacistCode: "Y12010100001", traceCodes: context.codes(document),
                                                    courier: "SF", waybillNo: "SF" + TokenGenerator.digits(10))
            let lines: [JSONValue] = (document.prescription.json["rxdrugdetail"]?.arrayValue ?? []).compactMap(\.objectValue).enumerated().map { index, drug in
                .object(["feedetl_sn": .string(String(index + 1)), "rxno": .string(hiRxno), "rx_circ_flag": "1", "med_list_codg": .string(drug[key: "medListCodg"]),
                         "det_item_fee_sumamt": .string(drug[key: "drugSumamt"]), "cnt": .string(drug[key: "drugCnt"]), "pric": .string(drug[key: "drugPric"])])
            }
            let total = (document.prescription.json["rxdrugdetail"]?.arrayValue ?? []).compactMap(\.objectValue).reduce(Int64(0)) { $0 + (Money.fen($1[key: "drugSumamt"]) ?? 0) }
            await expectRefusal("RX_NOT_DISPENSED_HERE", rule: "RX-4", pointer: "/input/drugdetail/0/rxno") {
                _ = try await context.pharmacy.call(infno: "2102", input: [
                    "druginfo": .object(["psn_no": .string(Demo.zhangSan.psnNo), "mdtrt_cert_type": "02", "mdtrt_cert_no": .string(Demo.zhangSan.certno),
                                         "medfee_sumamt": .string(Money.yuan(total)), "insutype": "310", "acct_used_flag": "0"]),
                    "drugdetail": .array(lines)])
            }
        }
    }

    @Test("PY-7 through the independent client: the pharmacy that dispensed the prescription settles it (2101 → 2102 → 2103 → 2102, tools/testing/his_recovery.py); the hospital's 2102 and an unknown rxno are refused; the settlement is in the pharmacy's reconciliation, not the hospital's")
    func pharmacySettlesItsPrescription() async throws {
        try await withContext { context in
            let mdtrtId = try await context.register()
            let (document, hiRxno) = try await context.circulate(try await context.prescription(mdtrtId: mdtrtId))
            let token = try await context.scan(Demo.zhangSan.certno, .prescriptionDownload, by: context.pharmacy)
            _ = try await context.pharmacy.downloadPrescription(hiRxno: hiRxno, ecToken: token)
            _ = try await context.pharmacy.dispense(hiRxno: hiRxno, route: .retailPharmacy, pharmacistCode: "Y12010100101", traceCodes: context.codes(document))
            let drugs: [JSONValue] = (document.prescription.json["rxdrugdetail"]?.arrayValue ?? []).compactMap(\.objectValue).map {
                .object(["code": .string($0[key: "medListCodg"]), "pric": .string($0[key: "drugPric"]), "cnt": .string($0[key: "drugCnt"]),
                         "sumamt": .string($0[key: "drugSumamt"])])
            }
            let script = GatewayHarness.packageRoot.appendingPathComponent("tools/testing/his_recovery.py").path
            let arguments = ["python3", script, "--gateway", "http://127.0.0.1:\(context.port)", "--profile", "nhsa-2.0", "--rxno", hiRxno,
                             "--drugs", JSONValue.array(drugs).serialized(), "pharmacy"]
            // The client talks to this process's server (Processes.run waits off the cooperative pool).
            let run = try await EndToEndTests.run("/usr/bin/env", arguments)
            #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains("\"step\": \"passed\""), "\(run.stdout)")
            let state = try await context.pharmacy.queryPrescription("rxSetlInfoQuery", hiRxno: hiRxno).objectValue ?? [:]
            #expect(state[key: "setlFixmedinsCode"] == Demo.pharmacy && !state[key: "setlId"].isEmpty)
            // The pharmacy's settlement is in its reconciliation, not the hospital's (PY-7).
            let entries = try await context.harness.gateway.store.read { store in
                (try await store.settlementEntries(institutionCode: Demo.pharmacy, from: .distantPast, to: .distantFuture),
                 try await store.settlementEntries(institutionCode: Demo.hospital, from: .distantPast, to: .distantFuture))
            }
            #expect(entries.0.map(\.id) == [state[key: "setlId"]])
            #expect(entries.1.isEmpty)
        }
    }

    @Test("RX-1 … RX-5: sign, pre-check, review, countersign, upload, download with 02122, verify offline, dispense once")
    func story() async throws {
        try await withContext { context in
            let mdtrtId = try await context.register()
            let (document, hiRxno) = try await context.circulate(try await context.prescription(mdtrtId: mdtrtId))
            #expect(document.platform?.signCertSn == "3001")
            let token = try await context.scan(Demo.zhangSan.certno, .prescriptionDownload, by: context.pharmacy)
            let downloaded = try await context.pharmacy.downloadPrescription(hiRxno: hiRxno, ecToken: token)
            #expect(downloaded == document)
            let verifier = PrescriptionVerifier(trustAnchors: context.harness.gateway.configuration.trustedRoots,
                                                          intermediates: context.harness.gateway.configuration.intermediates,
                                                          revocationLists: context.harness.gateway.configuration.revocationLists,
                                                          platformCertificate: context.harness.gateway.configuration.platformCertificate)
            #expect(PrescriptionVerifier.firstFailure(verifier.verify(downloaded)) == nil)
            let dispensed = try await context.pharmacy.dispense(hiRxno: hiRxno, route: .retailPharmacy, pharmacistCode: "Y12010100101", traceCodes: context.codes(downloaded))
            #expect(dispensed.objectValue?[key: "rxUsedStasCodg"] == "3")
            await expectRefusal("RX_ALREADY_DISPENSED", rule: "RX-4") {
                _ = try await context.pharmacy.dispense(hiRxno: hiRxno, route: .retailPharmacy, pharmacistCode: "Y12010100101", traceCodes: context.codes(downloaded))
            }
            let settled = try await context.hospital.queryPrescription("rxSetlInfoQuery", hiRxno: hiRxno).objectValue ?? [:]
            #expect(settled[key: "rxUsedStasCodg"] == "3")
            // The real member sets (docs/PRESCRIPTION.md §6.5–6.7): names beside codes, seltdelts, reptdCnt, rxDetlList.
            #expect(settled[key: "rxStasName"] == "有效")
            #expect(settled[key: "rxUsedStasName"] == "已取药")
            let drugs = settled["seltdelts"]?.arrayValue?.compactMap(\.objectValue) ?? []
            #expect(drugs.count == document.prescription.drugs.count)
            #expect(drugs.allSatisfy { $0[key: "takeDrugFlag"] == "1" && !$0[key: "medListCodg"].isEmpty && !$0[key: "cnt"].isEmpty })
            let review = try await context.hospital.queryPrescription("rxChkInfoQuery", hiRxno: hiRxno).objectValue ?? [:]
            #expect(review[key: "pharCode"] == "Y12010100001")
            #expect(review[key: "rxChkStasCodg"] == "1")
            #expect(review[key: "rxChkStasName"] == "审核通过")
            #expect(!review[key: "rxChkTime"].isEmpty)
            let detail = try await context.hospital.queryPrescription("hospRxDetlQuery", hiRxno: hiRxno).objectValue ?? [:]
            #expect(detail[key: "reptdCnt"] == "1")
            #expect(detail[key: "bizTypeName"] == "互联网医院问诊")
            #expect(detail[key: "fixmedinsCode"] == Demo.hospital)
            #expect(detail["rxDetlList"]?.arrayValue?.first?.objectValue?[key: "takeDrugFlag"] == "1")
            #expect(detail["rxOtpinfo"]?.objectValue?[key: "maindiagCode"].isEmpty == false)
            let kinds = try await context.harness.gateway.store.read { try await $0.traceEntries(from: 1, limit: 1000).map(\.kind) }
            for kind in ["hse.uploadChk", "hse.rxFixmedinsSign", "hse.rxFileUpld", "hse.rxDownload", "hse.rxDispense"] { #expect(kinds.contains(kind)) }
        }
    }

    @Test("profile national: rxFixmedinsSign's signDigest is a detached CMS SignedData (GB/T 35275) over originalValue, verified by the independent Python implementation up to the dev root; nhsa-2.0 keeps the raw r‖s")
    func cmsSignDigest() async throws {
        try await withContext { base in
            _ = try await HTTP.post(.shared, url: "http://127.0.0.1:\(base.port)/admin/institutions/\(Demo.hospital)/profile",
                                    body: Array(#"{"profile":"national"}"#.utf8), bearer: base.harness.credentials.adminToken)
            var hospital = base.hospital
            hospital.dialect = try PaymentDialectTests.profile("national")
            let context = Context(harness: base.harness, port: base.port, hospital: hospital, pharmacy: base.pharmacy)
            var document = SignedPrescription(prescription: try await context.prescription(mdtrtId: try await context.register()))
            try document.signAsDoctor(with: try Self.key("doctor-li"))
            let precheck = try await hospital.uploadCheck(document)
            try document.addReview(pharCode: "Y12010100001", pharName: "Zhao Min", pharChkTime: Timestamps.fsi(await base.harness.gateway.clock.now()),
                                   approved: true, key: try Self.key("pharmacist-zhao"))
            let originalValue = YibaoClient.base64(document)
            let answer = try await hospital.hse(service: "rxFixmedinsSign", data: .object([
                "rxTraceCode": .string(precheck.rxTraceCode), "originalValue": .string(originalValue)])).objectValue ?? [:]
            let cms = try #require([UInt8](base64: answer[key: "signDigest"]))
            #expect(cms.count > 64)  // not a raw r‖s
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-cms-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            try Data(cms).write(to: directory.appendingPathComponent("sig.der"))
            try Data([UInt8](base64: originalValue)!).write(to: directory.appendingPathComponent("content.bin"))
            let script = GatewayHarness.packageRoot.appendingPathComponent("tools/testing/cms_sm2.py").path
            let verified = try await EndToEndTests.run("/usr/bin/env", ["python3", script, "verify", "--in", directory.appendingPathComponent("sig.der").path,
                                                                  "--content", directory.appendingPathComponent("content.bin").path,
                                                                  "--CAfile", GatewayHarness.packageRoot.appendingPathComponent("certs/sm2/root.cert.pem").path,
                                                                  "--certfile", GatewayHarness.packageRoot.appendingPathComponent("certs/sm2/intermediate.cert.pem").path])
            #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
            #expect(answer[key: "signCertSn"] == base.harness.gateway.configuration.platformCertificate?.serialNumberHex)
        }
    }

    @Test("pharmacy side as publicly described: rxDownload answers an epc_token; rxSignVerify answers rx_sign_verify_sn; the review upload rx_chk_up_info cites both and answers msg_code 0, flag True, rx_chk_biz_sn; a wrong token or an unknown check is refused naming it")
    func pharmacyReview() async throws {
        try await withContext { context in
            let (_, hiRxno) = try await context.circulate(try await context.prescription(mdtrtId: try await context.register()))
            let token = try await context.scan(Demo.zhangSan.certno, .prescriptionDownload, by: context.pharmacy)
            let downloaded = try await context.pharmacy.hse(service: "rxDownload", data: .object(["hiRxno": .string(hiRxno), "ecToken": .string(token)])).objectValue ?? [:]
            let epcToken = downloaded[key: "epc_token"]
            #expect(epcToken.hasPrefix("EPC") && epcToken.count <= 100)
            await expectRefusal("EPC_TOKEN_INVALID", rule: "RX-4", pointer: "/epc_token") {
                _ = try await context.pharmacy.hse(service: "rxSignVerify", data: .object(["hi_rxno": .string(hiRxno), "epc_token": "EPC00"]))
            }
            let verified = try await context.pharmacy.hse(service: "rxSignVerify", data: .object(["hi_rxno": .string(hiRxno), "epc_token": .string(epcToken)])).objectValue ?? [:]
            let serial = verified[key: "rx_sign_verify_sn"]
            #expect(serial.hasPrefix("RSV"))
            func review(_ sn: String) -> JSONValue {
                .object(["rx_chk_up_info": .object([
                    "hi_rxno": .string(hiRxno), "epc_token": .string(epcToken), "ec_token": "PHARMACIST-EC-TOKEN", "fixmedins_code": .string(Demo.pharmacy),
                    "fixmedins_name": "Demo Pharmacy", "phar_cert_type": "01", "phar_certno": "120101199001010011", "phar_code": "Y12010100101",
                    "phar_name": "Qian Lei", "rx_chk_opnn": "合理", "rx_chk_time": .string(Timestamps.fsi(Date())), "rx_chk_stas_codg": "1",
                    "rx_sign_verify_sn": .string(sn)])])
            }
            await expectRefusal("RX_SIGN_VERIFY_UNKNOWN", rule: "RX-1", pointer: "/rx_chk_up_info/rx_sign_verify_sn") {
                _ = try await context.pharmacy.hse(service: "rxChkUpInfo", data: review("RSV0"))
            }
            let answer = try await context.pharmacy.hse(service: "rxChkUpInfo", data: review(serial)).objectValue ?? [:]
            #expect(answer[key: "msg_code"] == "0")
            #expect(answer[key: "flag"] == "True")
            #expect(answer[key: "rx_chk_biz_sn"].hasPrefix("RCB"))
            // The hospital's own institution cannot upload a pharmacy review.
            await expectRefusal("RX_DOWNLOAD_NOT_PHARMACY", rule: "RX-4") {
                _ = try await context.hospital.hse(service: "rxChkUpInfo", data: review(serial))
            }
        }
    }

    @Test("rxFileUpld with the 20 real members checks each against the prescription; rxUndo with the real members checks the revoking doctor; the answers name the status (3 已撤销)")
    func realUploadAndUndo() async throws {
        try await withContext { context in
            var document = SignedPrescription(prescription: try await context.prescription(mdtrtId: try await context.register()))
            try document.signAsDoctor(with: try Self.key("doctor-li"))
            let precheck = try await context.hospital.uploadCheck(document)
            let checkTime = Timestamps.fsi(await context.harness.gateway.clock.now())
            try document.addReview(pharCode: "Y12010100001", pharName: "Zhao Min", pharChkTime: checkTime, approved: true, key: try Self.key("pharmacist-zhao"))
            document = try await context.hospital.countersign(document, rxTraceCode: precheck.rxTraceCode)
            let visit = document.prescription.visit
            var upload: JSONObject = [
                "rxTraceCode": .string(precheck.rxTraceCode), "hiRxno": .string(precheck.hiRxno), "mdtrtId": .string(visit[key: "mdtrtId"]),
                "patnName": .string(visit[key: "patnName"]), "psnCertType": "01", "certno": .string(Demo.zhangSan.certno),
                "fixmedinsName": .string(visit[key: "fixmedinsName"]), "fixmedinsCode": .string(Demo.hospital), "drCode": .string(Demo.doctorLi),
                "prscDrName": .string(visit[key: "prscDrName"]), "pharDeptName": "药剂科", "pharDeptCode": "A99", "pharProfttlCodg": "", "pharProfttlName": "",
                "pharCode": "Y12010100001", "pharCertType": "01", "pharCertno": "", "pharName": "Zhao Min", "pharPracCertNo": "", "pharChkTime": .string(checkTime),
                "rxFile": .string(YibaoClient.base64(document)), "signDigest": .string(document.platform?.signDigest ?? ""),
            ]
            upload["pharName"] = "Qian Lei"
            let named = await #expect(throws: YibaoClientError.self) { _ = try await context.hospital.hse(service: "rxFileUpld", data: .object(upload)) }
            #expect(named?.code == "RX_UPLOAD_MISMATCH")
            #expect(named?.pointer == "/pharName")
            // A name is named, never echoed.
            #expect(named.map { "\($0.detail) \($0.expected ?? "") \($0.actual ?? "")" }?.contains("Zhao Min") == false)
            #expect(named.map { "\($0.detail) \($0.expected ?? "") \($0.actual ?? "")" }?.contains("Qian Lei") == false)
            upload["pharName"] = "Zhao Min"
            upload["signDigest"] = "AAAA"
            await expectRefusal("RX_UPLOAD_MISMATCH", rule: "RX-1", pointer: "/signDigest") {
                _ = try await context.hospital.hse(service: "rxFileUpld", data: .object(upload))
            }
            upload["signDigest"] = .string(document.platform?.signDigest ?? "")
            let uploaded = try await context.hospital.hse(service: "rxFileUpld", data: .object(upload)).objectValue ?? [:]
            #expect(uploaded[key: "rxStasCodg"] == "1")
            #expect(uploaded[key: "rxStasName"] == "有效")

            var undo: JSONObject = ["hiRxno": .string(precheck.hiRxno), "fixmedinsCode": .string(Demo.hospital), "drCode": .string(Demo.doctorLi),
                                    "undoDrName": "Wang Fang", "undoDrCertType": "01", "undoDrCertno": "120101197501011234", "undoRea": "剂量有误",
                                    "undoTime": .string(Timestamps.fsi(Date()))]
            await expectRefusal("FIELD_INVALID", rule: "PROTOCOL-FIELDS", pointer: "/undoDrName") {
                _ = try await context.hospital.hse(service: "rxUndo", data: .object(undo))
            }
            undo["undoDrName"] = "Li Wei"
            let revoked = try await context.hospital.hse(service: "rxUndo", data: .object(undo)).objectValue ?? [:]
            #expect(revoked[key: "rxStasCodg"] == "3")
            #expect(revoked[key: "rxStasName"] == "已撤销")
        }
    }

    @Test("an Internet hospital prescription (bizTypeCode 02) cites the patient's online identity check: no authNo, or another patient's, is refused (ID-1)")
    func authNoRequired() async throws {
        try await withContext { context in
            let mdtrtId = try await context.register()
            var missing = SignedPrescription(prescription: try await context.prescription(mdtrtId: mdtrtId) { $0["authNo"] = nil })
            try missing.signAsDoctor(with: try Self.key("doctor-li"))
            await expectRefusal("FIELD_MISSING", rule: "PROTOCOL-FIELDS", pointer: "/authNo") { _ = try await context.hospital.uploadCheck(missing) }
            let qr = try await context.harness.channel(port: context.port).qrCode(certno: "12010119850615234X")
            let liNas = try await context.hospital.scanVoucher(qrCode: qr.code, business: .consultation).authNo
            var other = SignedPrescription(prescription: try await context.prescription(mdtrtId: mdtrtId) { $0["authNo"] = .string(liNas) })
            try other.signAsDoctor(with: try Self.key("doctor-li"))
            await expectRefusal("RX_AUTHNO_INVALID", rule: "ID-1", pointer: "/authNo") { _ = try await context.hospital.uploadCheck(other) }
        }
    }

    @Test("circDrugQuery lists the region catalogue's drugs a prescription may circulate with, filtered and paged; a bad page size is refused naming it")
    func circulatingDrugs() async throws {
        try await withContext { context in
            let all = try await context.hospital.hse(service: "circDrugQuery", data: .object([:])).objectValue ?? [:]
            let list = all["list"]?.arrayValue?.compactMap(\.objectValue) ?? []
            #expect(!list.isEmpty && list.count == Int(all[key: "total"]))
            #expect(list.allSatisfy { $0[key: "rxCircFlag"] == "1" && !$0[key: "medListCodg"].isEmpty })
            let one = try await context.hospital.hse(service: "circDrugQuery", data: .object(["medListCodg": "XA10BAE054A001010100483"])).objectValue ?? [:]
            #expect(one[key: "total"] == "1")
            let paged = try await context.hospital.hse(service: "circDrugQuery", data: .object(["pageNum": "1", "pageSize": .number("1")])).objectValue ?? [:]
            #expect(paged["list"]?.arrayValue?.count == 1)
            await expectRefusal("FIELD_INVALID", rule: "PROTOCOL-FIELDS", pointer: "/pageSize") {
                _ = try await context.hospital.hse(service: "circDrugQuery", data: .object(["pageSize": "500"]))
            }
        }
    }

    @Test("SC-1, SC-2, SC-3, PR-1 and RX-1 refuse at uploadChk")
    func precheckRefusals() async throws {
        try await withContext { context in
            let mdtrtId = try await context.register()
            func upload(_ prescription: Prescription, signer: String = "doctor-li") async throws {
                var document = SignedPrescription(prescription: prescription)
                try document.signAsDoctor(with: try PrescriptionFlowTests.key(signer))
                _ = try await context.hospital.uploadCheck(document)
            }
            func visit(_ key: String, _ value: String) -> (inout JSONObject) -> Void {
                { json in var visit = json["mdtrtinfo"]!.objectValue!; visit[key] = .string(value); json["mdtrtinfo"] = .object(visit) }
            }
            await expectRefusal("SCOPE_FIRST_VISIT_ONLINE", rule: "SC-1") { try await upload(try await context.prescription(mdtrtId: mdtrtId, edit: visit("fstdiagFlag", "1"))) }
            await expectRefusal("SCOPE_DISEASE_NOT_CHRONIC", rule: "SC-1") { try await upload(try await context.prescription(mdtrtId: mdtrtId, edit: visit("maindiagCode", "J06.900"))) }
            await expectRefusal("SUBJECT_NOT_REGISTERED", rule: "SC-2") { try await upload(try await context.prescription(mdtrtId: mdtrtId, edit: visit("prscDeptCode", "A21"))) }
            await expectRefusal("SCOPE_NO_PRIOR_OFFLINE_VISIT", rule: "SC-3") { try await upload(try await context.prescription(mdtrtId: mdtrtId, edit: visit("maindiagCode", "I10.x00"))) }
            await expectRefusal("PRACTITIONER_PRACTICE_TOO_SHORT", rule: "PR-1") {
                try await upload(try await context.prescription(mdtrtId: mdtrtId, edit: visit("drCode", Demo.doctorWangJunior)), signer: "doctor-wang")
            }
            await expectRefusal("RX_DOCTOR_CERTIFICATE_MISMATCH", rule: "PR-3") { try await upload(try await context.prescription(mdtrtId: mdtrtId), signer: "doctor-wang") }
            await expectRefusal("RX_BIZ_TYPE_MISMATCH", rule: "SC-4") {
                try await upload(try await context.prescription(mdtrtId: mdtrtId) { json in json["bizTypeCode"] = "01" })
            }
            await expectRefusal("RX_TIME_IN_FUTURE", rule: "RX-1") {
                try await upload(try await context.prescription(mdtrtId: mdtrtId) { json in
                    json["prscTime"] = "2031-01-01 10:00:00"
                    json["valiEndTime"] = "2031-01-02 10:00:00"
                })
            }
            // The answer to a valid one, then the same hospRxno again.
            let prescription = try await context.prescription(mdtrtId: mdtrtId)
            try await upload(prescription)
            await expectRefusal("RX_DUPLICATE", rule: "RX-1") { try await upload(prescription) }
        }
    }

    @Test("the platform countersigns only what passed uploadChk; rxTraceCode uploads once")
    func countersignAndUpload() async throws {
        try await withContext { context in
            let mdtrtId = try await context.register()
            var document = SignedPrescription(prescription: try await context.prescription(mdtrtId: mdtrtId))
            try document.signAsDoctor(with: try Self.key("doctor-li"))
            let precheck = try await context.hospital.uploadCheck(document)
            await expectRefusal("RX_REVIEW_MISSING", rule: "RX-1") { _ = try await context.hospital.countersign(document, rxTraceCode: precheck.rxTraceCode) }
            await expectRefusal("RX_NOT_COUNTERSIGNED", rule: "RX-1") { _ = try await context.hospital.uploadPrescription(document, rxTraceCode: precheck.rxTraceCode) }
            // A quantity changed after the pre-check, then re-signed by the doctor and reviewed: the platform sees the change.
            var changed = SignedPrescription(prescription: try await context.prescription(mdtrtId: mdtrtId) { json in
                json["hospRxno"] = .string(document.prescription.hospRxno)
                json["prscTime"] = .string(document.prescription.json[key: "prscTime"])
                json["valiEndTime"] = .string(document.prescription.json[key: "valiEndTime"])
                guard case .array(var lines) = json["rxdrugdetail"]!, case .object(var first) = lines[0] else { return }
                first["drugCnt"] = "9"
                lines[0] = .object(first)
                json["rxdrugdetail"] = .array(lines)
            })
            try changed.signAsDoctor(with: try Self.key("doctor-li"))
            try changed.addReview(pharCode: "Y12010100001", pharName: "Zhao Min", pharChkTime: Timestamps.fsi(await context.harness.gateway.clock.now()),
                                  approved: true, key: try Self.key("pharmacist-zhao"))
            await expectRefusal("RX_CONTENT_CHANGED", rule: "RX-1") { _ = try await context.hospital.countersign(changed, rxTraceCode: precheck.rxTraceCode) }
            try document.addReview(pharCode: "Y12010100001", pharName: "Zhao Min", pharChkTime: Timestamps.fsi(await context.harness.gateway.clock.now()),
                                   approved: true, key: try Self.key("pharmacist-zhao"))
            let countersigned = try await context.hospital.countersign(document, rxTraceCode: precheck.rxTraceCode)
            _ = try await context.hospital.uploadPrescription(countersigned, rxTraceCode: precheck.rxTraceCode)
            await expectRefusal("RX_TRACE_CODE_USED", rule: "RX-1") { _ = try await context.hospital.uploadPrescription(countersigned, rxTraceCode: precheck.rxTraceCode) }
        }
    }

    @Test("the pharmacy side: ID-2 the patient's 02122 token; RX-2 expiry; RX-4 revoked; RX-3 route 03 only for pharmacies; RX-5 codes")
    func pharmacySide() async throws {
        try await withContext { context in
            let mdtrtId = try await context.register()
            let (document, hiRxno) = try await context.circulate(try await context.prescription(mdtrtId: mdtrtId))
            let registrationToken = try await context.scan(Demo.zhangSan.certno, .registration, by: context.pharmacy)
            await expectRefusal("TOKEN_WRONG_BUSINESS", rule: "ID-2") { _ = try await context.pharmacy.downloadPrescription(hiRxno: hiRxno, ecToken: registrationToken) }
            let otherPatient = try await context.scan("12010119850615234X", .prescriptionDownload, by: context.pharmacy)
            await expectRefusal("RX_UNKNOWN", rule: "RX-1") { _ = try await context.pharmacy.downloadPrescription(hiRxno: hiRxno, ecToken: otherPatient) }
            let hospitalToken = try await context.scan(Demo.zhangSan.certno, .prescriptionDownload, by: context.hospital)
            await expectRefusal("RX_DOWNLOAD_NOT_PHARMACY", rule: "RX-4") { _ = try await context.hospital.downloadPrescription(hiRxno: hiRxno, ecToken: hospitalToken) }
            await expectRefusal("RX_ROUTE_NOT_ALLOWED", rule: "RX-3") {
                _ = try await context.hospital.dispense(hiRxno: hiRxno, route: .retailPharmacy, pharmacistCode: "Y12010100001", traceCodes: context.codes(document))
            }
            await expectRefusal("RX_TRACE_CODES_MISSING", rule: "RX-5") {
                _ = try await context.hospital.dispense(hiRxno: hiRxno, route: .atInstitution, pharmacistCode: "Y12010100001", traceCodes: [:])
            }
            // Route 01 at the hospital works.
            let sold = context.codes(document)
            let atHospital = try await context.hospital.dispense(hiRxno: hiRxno, route: .atInstitution, pharmacistCode: "Y12010100001", traceCodes: sold)
            #expect(atHospital.objectValue?[key: "route"] == "01")

            // A second prescription, revoked before dispensing.
            let (resold, resoldNumber) = try await context.circulate(try await context.prescription(mdtrtId: mdtrtId))
            _ = resold
            // RX-5: the boxes sold with the first prescription cannot be sold again with another one.
            await expectRefusal("RX_TRACE_CODE_REUSED", rule: "RX-5") {
                _ = try await context.hospital.dispense(hiRxno: resoldNumber, route: .atInstitution, pharmacistCode: "Y12010100001", traceCodes: sold)
            }
            let (_, revoked) = try await context.circulate(try await context.prescription(mdtrtId: mdtrtId))
            _ = try await context.hospital.revokePrescription(hiRxno: revoked, reason: "dose changed")
            let token = try await context.scan(Demo.zhangSan.certno, .prescriptionDownload, by: context.pharmacy)
            await expectRefusal("RX_REVOKED", rule: "RX-1") { _ = try await context.pharmacy.downloadPrescription(hiRxno: revoked, ecToken: token) }

            // A third, left until it expires (the test clock moves 3 days and a minute).
            let (_, expiring) = try await context.circulate(try await context.prescription(mdtrtId: mdtrtId))
            try await context.harness.advance(seconds: 3 * 86_400 + 60)
            let late = try await context.harness.client(port: context.port, institution: Demo.pharmacy)
            let qr = try await context.harness.channel(port: context.port).qrCode(certno: Demo.zhangSan.certno)
            let lateToken = try await late.scanVoucher(qrCode: qr.code, business: .prescriptionDownload).ecToken
            await expectRefusal("RX_EXPIRED", rule: "RX-2") { _ = try await late.downloadPrescription(hiRxno: expiring, ecToken: lateToken) }
        }
    }
}
