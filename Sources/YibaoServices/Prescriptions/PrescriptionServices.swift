import Foundation
import YibaoCore
import YibaoCrypto
import YibaoStore

/// The e-prescription centre (HSE services, PROTOCOL.md `/fixmedins/…`) and its pharmacy side
/// (designed here, docs/PRESCRIPTION.md): pre-check, countersignature, upload, revocation,
/// queries, download with the patient's e-voucher, dispensing.
package struct PrescriptionServices: Sendable {
    let policy: PolicyProfile
    let verifier: PrescriptionVerifier
    let platformKey: SM2.PrivateKey
    let platformCertificate: Certificate?
    /// The region policies (their catalogues answer circDrugQuery).
    var regions: [String: RegionPolicy] = [:]
    /// The institution's dialect: how rxFixmedinsSign's signDigest is written.
    package var dialect: PrescriptionDialect = .standard

    package init(policy: PolicyProfile, verifier: PrescriptionVerifier, platformKey: SM2.PrivateKey, platformCertificate: Certificate?,
                 regions: [String: RegionPolicy] = [:], dialect: PrescriptionDialect = .standard) {
        self.policy = policy
        self.verifier = verifier
        self.platformKey = platformKey
        self.platformCertificate = platformCertificate
        self.regions = regions
        self.dialect = dialect
    }

    /// Runs `service` inside the caller's transaction.
    package func run(_ service: PrescriptionService, data: Fields, institution: String, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        switch service {
        case .uploadCheck: try await uploadCheck(data, institution: institution, store: store, now: now)
        case .countersign: try await countersign(data, institution: institution, store: store, now: now)
        case .upload: try await upload(data, institution: institution, store: store, now: now)
        case .undo: try await undo(data, institution: institution, store: store, now: now)
        case .download: try await download(data, institution: institution, store: store, now: now)
        case .dispense: try await dispense(data, institution: institution, store: store, now: now)
        case .signatureCheck: try await verifySignatures(data, institution: institution, store: store, now: now)
        case .pharmacyReview: try await uploadPharmacyReview(data, institution: institution, store: store, now: now)
        case .circulatingDrugs: try await circulatingDrugs(data, institution: institution, store: store, now: now)
        case .detailQuery, .reviewQuery, .settlementQuery: try await query(service.rawValue, data, institution: institution, store: store, now: now)
        }
    }

    // MARK: uploadChk — 处方上传前预核验

    private func uploadCheck(_ data: Fields, institution code: String, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        var fields = data.object
        let signatureValue = fields["doctorSignature"]
        fields["doctorSignature"] = nil
        guard signatureValue != nil else {
            throw DomainError(.rxDoctorSignatureMissing, .invalid, rule: .rx1, pointer: "/doctorSignature",
                              "the prescription is uploaded signed by the doctor: add doctorSignature (yibao rx sign, docs/PRESCRIPTION.md)")
        }
        let prescription = try Prescription(json: fields)
        try prescription.requireValidity(within: policy.measures.prescriptionValidityDays)
        let document = SignedPrescription(prescription: prescription, doctorSignature: try RxSignature(json: signatureValue, pointer: "/doctorSignature"))
        guard prescription.institutionCode == code else {
            throw DomainError.invalidValue("/mdtrtinfo/fixmedinsCode", "the prescription names another institution than the appId's",
                                           expected: code, actual: prescription.institutionCode)
        }
        let institution = try await authorise(code, store: store, now: now)
        guard let visit = try await store.registration(mdtrtId: prescription.mdtrtId), visit.institutionCode == code, visit.status == .registered else {
            throw DomainError(.visitUnknown, .notFound, rule: .sc4, pointer: "/mdtrtinfo/mdtrtId",
                              "no open visit \(prescription.mdtrtId) of \(code): register the visit (2201) before prescribing", actual: prescription.mdtrtId)
        }
        guard visit.psnNo == prescription.psnNo else {
            throw DomainError.invalidValue("/mdtrtinfo/psnNo", "the visit belongs to another person", expected: visit.psnNo, actual: prescription.psnNo)
        }
        // SC-4: visits registered through this platform are Internet+ visits, so their prescriptions are Internet hospital ones.
        guard prescription.bizTypeCode == "02" else {
            throw DomainError(.rxBizTypeMismatch, .invalid, rule: .sc4, pointer: "/bizTypeCode",
                              "visit \(visit.mdtrtId) was registered through the Internet+ platform: its prescriptions are Internet hospital prescriptions (bizTypeCode 02)",
                              expected: "02", actual: prescription.bizTypeCode)
        }
        // An Internet hospital prescription cites the patient's online identity check (authNo, from ec.query) by this institution.
        let authNo = try data.string("authNo", "the serial of the patient's online identity check (ec.query's authNo), required for bizTypeCode 02")
        let check = (try await store.setting("authNo:" + authNo))?.split(separator: "|").map(String.init) ?? []
        guard check.count == 3, check[0] == prescription.psnNo, check[1] == code, let until = Double(check[2]), now.timeIntervalSince1970 <= until else {
            throw DomainError(.rxAuthnoInvalid, .forbidden, rule: .id1, pointer: "/authNo",
                              "authNo is not a current online identity check of this patient by \(code) (unknown, another patient's or institution's, or older than the e-voucher token's lifetime): scan the patient's e-voucher (ec.query) and send its authNo")
        }
        let skew = TimeInterval(policy.fsiTimeWindowSeconds)
        guard prescription.prescribedAt >= visit.registeredAt.addingTimeInterval(-skew) else {
            throw DomainError(.rxBeforeVisit, .invalid, rule: .rx1, pointer: "/prscTime",
                              "prscTime is before visit \(visit.mdtrtId) was registered", expected: "from \(Timestamps.fsi(visit.registeredAt))",
                              actual: prescription.json[key: "prscTime"])
        }
        try institution.requireOnlineSubject(prescription.deptCode, pointer: "/mdtrtinfo/prscDeptCode")
        // SC-1 with XR-1: the place of insurance's catalogue, and the diseases the person has filed.
        let insured = try await store.person(psnNo: prescription.psnNo)
        let catalogue = insured.flatMap { regions[String($0.insuplcAdmdvs.prefix(2)) + "0000"]?.chronicDiseases } ?? policy.chronicDiseaseCategories
        try OnlineScope.requireFollowUpOfChronicDisease(prescription, categories: catalogue, filings: try await store.chronicFilings(psnNo: prescription.psnNo),
                                                        pointer: "")
        try OnlineScope.requirePriorOfflineVisit(prescription, visits: try await store.offlineVisits(psnNo: prescription.psnNo), pointer: "")
        guard let doctor = try await store.practitioner(code: prescription.doctorCode), doctor.institutionCode == code, doctor.role == .doctor else {
            throw DomainError(.doctorUnknown, .notFound, rule: .pr1, pointer: "/mdtrtinfo/drCode", "no doctor \(prescription.doctorCode) is registered for \(code)")
        }
        do { try doctor.checkInternetDoctor(at: prescription.prescribedAt, minimumYears: policy.measures.internetDoctorMinimumYears) } catch var error as DomainError {
            error.pointer = "/mdtrtinfo/drCode"
            throw error
        }
        if let failure = PrescriptionVerifier.firstFailure(verifier.verify(document, required: [.doctor])) {
            throw Self.refusal(failure, pointerPrefix: "", wire: true)
        }
        guard prescription.prescribedAt <= now.addingTimeInterval(TimeInterval(policy.fsiTimeWindowSeconds)) else {
            throw DomainError(.rxTimeInFuture, .invalid, rule: .rx1, pointer: "/prscTime",
                              "prscTime is later than the platform's clock", expected: "at most \(Timestamps.fsi(now))", actual: prescription.json[key: "prscTime"])
        }
        if let serial = doctor.certificateSerial, let certificate = try? Certificate(pemRepresentation: document.doctorSignature!.certificate),
           certificate.serialNumberHex.uppercased() != serial.uppercased() {
            throw DomainError(.rxDoctorCertificateNotRegistered, .forbidden, rule: .pr3, pointer: "/doctorSignature/certificate",
                              "the doctor signed with certificate \(certificate.serialNumberHex), not the one registered for \(doctor.code) (\(serial))")
        }
        guard now <= prescription.valiEndTime else {
            throw DomainError(.rxExpired, .forbidden, rule: .rx2, pointer: "/valiEndTime", "the prescription expired at \(Timestamps.fsi(prescription.valiEndTime))")
        }
        if let existing = try await store.prescription(institutionCode: code, hospRxno: prescription.hospRxno) {
            throw DomainError(.rxDuplicate, .conflict, rule: .rx1, pointer: "/hospRxno",
                              "hospRxno \(prescription.hospRxno) was already pre-checked as \(existing.hiRxno)")
        }
        let hiRxno = try await Identifiers.mint(.prescription(admdvs: institution.admdvs), store: store, now: now)
        let record = PrescriptionRecord(hiRxno: hiRxno, rxTraceCode: TokenGenerator.hex(bytes: 12), prescription: prescription,
                                        document: JSONValue.object(document.json).serialized(), at: now)
        try await store.save(record)
        // RX-2: the answer repeats the validity period, for the patient to be told.
        return (.object(["hiRxno": .string(hiRxno), "rxTraceCode": .string(record.rxTraceCode), "hospRxno": .string(prescription.hospRxno),
                         "valiDays": .string(prescription.json[key: "valiDays"]), "valiEndTime": .string(prescription.json[key: "valiEndTime"])]),
                TraceEvent(at: now, kind: "hse.uploadChk", actor: code, subject: hiRxno,
                           payload: ["hospRxno": prescription.hospRxno, "mdtrt_id": prescription.mdtrtId, "drCode": prescription.doctorCode]))
    }

    // MARK: rxFixmedinsSign — 医保电子签名

    private func countersign(_ data: Fields, institution code: String, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        var record = try await recordByTraceCode(data, institution: code, store: store)
        guard record.stage == .prechecked else {
            throw DomainError(.rxWrongStage, .conflict, rule: .rx1, pointer: "/rxTraceCode",
                              "prescription \(record.hiRxno) is \(record.stage.rawValue); the platform countersigns a pre-checked prescription once")
        }
        try await authorise(code, store: store, now: now)
        var document = try decodeDocument(data, "originalValue")
        let stored = try SignedPrescription(bytes: Array(record.document.utf8))
        guard document.prescription.canonicalBytes == stored.prescription.canonicalBytes,
              document.doctorSignature == stored.doctorSignature else {
            throw DomainError(.rxContentChanged, .forbidden, rule: .rx1, pointer: "/originalValue",
                              "the prescription or the doctor's signature differs from what passed uploadChk as \(record.hiRxno)")
        }
        if let failure = PrescriptionVerifier.firstFailure(verifier.verify(document, required: [.doctor, .pharmacist])) {
            throw Self.refusal(failure, pointerPrefix: "/originalValue")
        }
        let review = document.review!
        guard let pharmacist = try await store.practitioner(code: review.pharCode), pharmacist.institutionCode == code, pharmacist.role == .pharmacist else {
            throw DomainError(.pharmacistUnknown, .forbidden, rule: .rx1, pointer: "/originalValue/pharmacistReview/pharCode",
                              "the reviewing pharmacist \(review.pharCode) is not registered for \(code)")
        }
        if let serial = pharmacist.certificateSerial, let certificate = try? Certificate(pemRepresentation: review.signature!.certificate),
           certificate.serialNumberHex.uppercased() != serial.uppercased() {
            throw DomainError(.rxPharmacistCertificateNotRegistered, .forbidden, rule: .pr3, pointer: "/originalValue/pharmacistReview/signature/certificate",
                              "the pharmacist signed with certificate \(certificate.serialNumberHex), not the one registered for \(pharmacist.code) (\(serial))")
        }
        if let reviewed = Timestamps.parseFSI(review.pharChkTime), reviewed > now.addingTimeInterval(TimeInterval(policy.fsiTimeWindowSeconds)) {
            throw DomainError(.rxTimeInFuture, .invalid, rule: .rx1, pointer: "/originalValue/pharmacistReview/pharChkTime",
                              "pharChkTime is later than the platform's clock", expected: "at most \(Timestamps.fsi(now))", actual: review.pharChkTime)
        }
        guard let certificate = platformCertificate else {
            throw DomainError(.platformCertificateMissing, .forbidden, rule: .rx1, pointer: "", "the gateway has no platform certificate to countersign with")
        }
        try document.countersign(platformKey: platformKey, certificate: certificate, hiRxno: record.hiRxno, at: now)
        let text = JSONValue.object(document.json).serialized()
        record.document = text
        record.stage = .countersigned
        record.countersignedAt = now
        try await store.save(record)
        let platform = document.platform!
        // The real centre's signDigest: a detached CMS SignedData over the decoded originalValue (GB/T 35275).
        var signDigest = platform.signDigest
        if dialect.signDigest == .cms, let original = [UInt8](base64: try data.string("originalValue")) {
            signDigest = try DetachedCMS.sign(original, key: platformKey, certificate: certificate, at: now, contentTypes: dialect.cmsContentTypes,
                                              signerID: dialect.cmsSignerId == .empty ? [] : SM2.defaultSignerID).base64
            record.cmsSignDigests = [signDigest]
            try await store.save(record)
        }
        return (.object(["hiRxno": .string(record.hiRxno), "rxFile": .string(Array(text.utf8).base64), "signDigest": .string(signDigest),
                         "signCertSn": .string(platform.signCertSn), "signCertDn": .string(platform.signCertDn), "signTime": .string(platform.signTime)]),
                TraceEvent(at: now, kind: "hse.rxFixmedinsSign", actor: code, subject: record.hiRxno, payload: ["pharCode": review.pharCode]))
    }

    // MARK: rxFileUpld — 处方信息上传

    private func upload(_ data: Fields, institution code: String, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        var record = try await recordByTraceCode(data, institution: code, store: store)
        if let used = record.rxTraceCodeUsedAt {
            throw DomainError(.rxTraceCodeUsed, .conflict, rule: .rx1, pointer: "/rxTraceCode",
                              "rxTraceCode was already used to upload \(record.hiRxno) at \(Timestamps.fsi(used)); it is single-use")
        }
        guard record.stage == .countersigned else {
            throw DomainError(.rxNotCountersigned, .conflict, rule: .rx1, pointer: "/rxTraceCode",
                              "prescription \(record.hiRxno) is \(record.stage.rawValue): the platform countersigns (rxFixmedinsSign) before the upload")
        }
        try await authorise(code, store: store, now: now)
        let document = try decodeDocument(data, "rxFile")
        guard JSONValue.object(document.json).serialized(sortedKeys: true) == (try JSONValue.parse(record.document)).serialized(sortedKeys: true) else {
            throw DomainError(.rxContentChanged, .forbidden, rule: .rx1, pointer: "/rxFile", "rxFile differs from the countersigned prescription \(record.hiRxno)")
        }
        if let failure = PrescriptionVerifier.firstFailure(verifier.verify(document)) {
            throw Self.refusal(failure, pointerPrefix: "/rxFile")
        }
        try await checkUploadFields(data, record: record, document: document, store: store)
        guard now <= record.validUntil else {
            throw DomainError(.rxExpired, .forbidden, rule: .rx2, pointer: "/rxFile", "the prescription expired at \(Timestamps.fsi(record.validUntil))")
        }
        record.stage = .circulating
        record.uploadedAt = now
        record.rxTraceCodeUsedAt = now
        try await store.save(record)
        return (.object(["hiRxno": .string(record.hiRxno), "rxStasCodg": .string(record.statusCode(at: now)), "rxStasName": .string(record.statusName(at: now)),
                         "valiEndTime": .string(Timestamps.fsi(record.validUntil))]),
                TraceEvent(at: now, kind: "hse.rxFileUpld", actor: code, subject: record.hiRxno))
    }

    /// The 20 members real code sends with rxFileUpld (openhis `ElepUploadInput`), each one sent
    /// checked against the prescription it uploads: the visit, the patient, the institution, the
    /// doctor and the reviewing pharmacist. `signDigest` must be a countersignature of this
    /// prescription (the raw one in the file, or the CMS one rxFixmedinsSign answered).
    private func checkUploadFields(_ data: Fields, record: PrescriptionRecord, document: SignedPrescription, store: any StoreReading) async throws {
        let visit = document.prescription.visit
        let person = try await store.person(psnNo: record.psnNo)
        let review = document.review
        let expected: [(String, String?)] = [
            ("hiRxno", record.hiRxno), ("mdtrtId", record.mdtrtId), ("patnName", visit[key: "patnName"]), ("certno", person?.certno),
            ("psnCertType", person?.psnCertType), ("fixmedinsCode", record.institutionCode), ("fixmedinsName", visit[key: "fixmedinsName"]),
            ("drCode", document.prescription.doctorCode), ("prscDrName", visit[key: "prscDrName"]),
            ("pharCode", review?.pharCode), ("pharName", review?.pharName), ("pharChkTime", review?.pharChkTime),
        ]
        for (member, value) in expected {
            guard let sent = try data.optionalString(member), let value else { continue }
            let same = member == "certno" ? sent.uppercased() == value.uppercased() : sent == value
            guard same else {
                // Personal members (names, ID numbers) are named, never echoed.
                let shown = !Redaction.isPersonal(key: member)
                throw DomainError(.rxUploadMismatch, .invalid, rule: .rx1, pointer: data.path(member),
                                  "\(member) is not the countersigned prescription's", expected: shown ? value : nil, actual: shown ? sent : nil)
            }
        }
        if let digest = try data.optionalString("signDigest"), dialect.signDigest == .cms, digest != document.platform?.signDigest,
           [UInt8](base64: digest)?.first != 0x30 {
            throw DomainError(.rxUploadMismatch, .invalid, rule: .rx1, pointer: data.path("signDigest"),
                              "signDigest is not a detached CMS SignedData (Base64 of DER) as this profile's rxFixmedinsSign answered it", expected: "the signDigest rxFixmedinsSign answered")
        }
        if let digest = try data.optionalString("signDigest"), digest != document.platform?.signDigest, !(record.cmsSignDigests ?? []).contains(digest) {
            throw DomainError(.rxUploadMismatch, .invalid, rule: .rx1, pointer: data.path("signDigest"),
                              "signDigest is not the platform's countersignature of \(record.hiRxno) (send the signDigest rxFixmedinsSign answered)")
        }
    }

    // MARK: rxUndo — 处方撤销

    private func undo(_ data: Fields, institution code: String, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        try await authorise(code, store: store, now: now)
        var record = try await recordByNumber(data, store: store)
        guard record.institutionCode == code else { throw Self.unknown(record.hiRxno) }
        let reason = try data.string("undoRea", "the reason for revoking")
        // The real member set (openhis ElepRevokeInput): the revoking doctor, registered here, and the time.
        if let doctorCode = try data.optionalString("drCode") {
            guard let doctor = try await store.practitioner(code: doctorCode), doctor.institutionCode == code, doctor.role == .doctor else {
                throw DomainError(.doctorUnknown, .notFound, rule: .pr1, pointer: data.path("drCode"), "no doctor \(doctorCode) is registered for \(code)")
            }
            if let name = try data.optionalString("undoDrName"), name != doctor.name {
                throw DomainError.invalidValue(data.path("undoDrName"), "undoDrName is not the registered name of doctor \(doctorCode)")
            }
        }
        if let time = try data.optionalString("undoTime"), Timestamps.parseFSI(time) == nil {
            throw DomainError.invalidValue(data.path("undoTime"), "undoTime is yyyy-MM-dd HH:mm:ss", actual: time)
        }
        try record.revoke(by: code, reason: reason, at: now, pointer: "")
        try await store.save(record)
        return (.object(["hiRxno": .string(record.hiRxno), "rxStasCodg": .string(record.statusCode(at: now)), "rxStasName": .string(record.statusName(at: now)),
                         "undoTime": .string(Timestamps.fsi(now))]),
                TraceEvent(at: now, kind: "hse.rxUndo", actor: code, subject: record.hiRxno))
    }

    // MARK: Pharmacy side: rxDownload, rxDispense

    private func download(_ data: Fields, institution code: String, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let institution = try await authorise(code, store: store, now: now)
        guard institution.kind == .retailPharmacy else {
            throw DomainError(.rxDownloadNotPharmacy, .forbidden, rule: .rx4, pointer: "/appId",
                              "circulated prescriptions are downloaded by designated retail pharmacies; \(code) is a \(institution.kind.rawValue)")
        }
        // The token is checked before the prescription is looked up, and a prescription the token's
        // patient does not own answers exactly like one that does not exist: no institution learns
        // which prescription numbers exist.
        let tokenText = try data.string("ecToken", "the patient's e-voucher token scanned for business 02122")
        guard var token = try await store.ecToken(tokenText) else {
            throw DomainError(.tokenUnknown, .unauthenticated, rule: .id2, pointer: "/ecToken", "ecToken is not a token issued by this platform")
        }
        try token.redeem(transaction: "rxDownload", businessTypes: [.prescriptionDownload], institution: code, at: now, pointer: "/ecToken")
        var record = try await recordByNumber(data, store: store)
        guard token.psnNo == record.psnNo else { throw Self.unknown(record.hiRxno) }
        try record.recordDownload(by: code, at: now, pointer: "/hiRxno")
        // The e-prescription token this pharmacy cites in its review upload (rx_chk_up_info.epc_token).
        let epcToken = record.epcTokens?[code] ?? "EPC" + TokenGenerator.hex(bytes: 24).uppercased()
        record.epcTokens = (record.epcTokens ?? [:]).merging([code: epcToken]) { _, new in new }
        try await store.save(token)
        try await store.save(record)
        return (.object(["hiRxno": .string(record.hiRxno), "epc_token": .string(epcToken), "rxFile": .string(Array(record.document.utf8).base64),
                         "rxStasCodg": .string(record.statusCode(at: now)), "rxUsedStasCodg": .string(record.usedStatusCode),
                         "valiEndTime": .string(Timestamps.fsi(record.validUntil))]),
                TraceEvent(at: now, kind: "hse.rxDownload", actor: code, subject: record.hiRxno, payload: ["psn_no": record.psnNo]))
    }

    /// A pharmacy's signature check of a downloaded prescription: the platform verifies the doctor's,
    /// the pharmacist's and its own signature and answers `rx_sign_verify_sn`, which the review upload cites.
    private func verifySignatures(_ data: Fields, institution code: String, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        try await authorise(code, store: store, now: now)
        let fields = Self.pharmacyFields(data)
        var record = try await recordByNumber(fields, key: "hi_rxno", store: store)
        guard record.downloads[code] != nil else { throw Self.unknown(record.hiRxno) }
        try requireEPCToken(fields, record: record, institution: code)
        let document = try SignedPrescription(bytes: Array(record.document.utf8))
        if let failure = PrescriptionVerifier.firstFailure(verifier.verify(document)) {
            throw Self.refusal(failure, pointerPrefix: fields.path("hi_rxno"))
        }
        let serial = try await Identifiers.mint(.signatureCheck, store: store, now: now)
        record.signVerifications = (record.signVerifications ?? [:]).merging([serial: code]) { _, new in new }
        try await store.save(record)
        return (.object(["hi_rxno": .string(record.hiRxno), "rx_sign_verify_sn": .string(serial), "verify_rslt": "1"]),
                TraceEvent(at: now, kind: "hse.rxSignVerify", actor: code, subject: record.hiRxno, payload: ["rx_sign_verify_sn": serial]))
    }

    /// 药师审方信息上传 `rx_chk_up_info` (the one public description of the pharmacy side, snake_case
    /// as FSI writes it): the designated pharmacy's pharmacist reviews the circulated prescription it
    /// downloaded, citing its `epc_token` and a signature check (`rx_sign_verify_sn`) of its own.
    private func uploadPharmacyReview(_ data: Fields, institution code: String, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let institution = try await authorise(code, store: store, now: now)
        guard institution.kind == .retailPharmacy else {
            throw DomainError(.rxDownloadNotPharmacy, .forbidden, rule: .rx4, pointer: "/appId",
                              "the review upload is a designated retail pharmacy's; \(code) is a \(institution.kind.rawValue)")
        }
        let fields = Self.pharmacyFields(data)
        var record = try await recordByNumber(fields, key: "hi_rxno", store: store)
        guard record.downloads[code] != nil else { throw Self.unknown(record.hiRxno) }
        try requireEPCToken(fields, record: record, institution: code)
        let fixmedins = try fields.string("fixmedins_code")
        guard fixmedins == code else {
            throw DomainError.invalidValue(fields.path("fixmedins_code"), "fixmedins_code must be the institution of the appId", expected: code, actual: fixmedins)
        }
        _ = try fields.string("ec_token", "the reviewing pharmacist's own e-voucher token")
        let serial = try fields.string("rx_sign_verify_sn", "the serial of this pharmacy's signature check (rxSignVerify)")
        guard record.signVerifications?[serial] == code else {
            throw DomainError(.rxSignVerifyUnknown, .forbidden, rule: .rx1, pointer: fields.path("rx_sign_verify_sn"),
                              "rx_sign_verify_sn is not a signature check this pharmacy made of \(record.hiRxno): call rxSignVerify first")
        }
        let pharCode = try fields.string("phar_code", "the reviewing pharmacist's code")
        guard let pharmacist = try await store.practitioner(code: pharCode), pharmacist.institutionCode == code, pharmacist.role == .pharmacist else {
            throw DomainError(.pharmacistUnknown, .forbidden, rule: .rx5, pointer: fields.path("phar_code"), "no pharmacist \(pharCode) is registered for \(code)")
        }
        let name = try fields.string("phar_name")
        guard name == pharmacist.name else {
            throw DomainError.invalidValue(fields.path("phar_name"), "phar_name is not the registered name of pharmacist \(pharCode)")
        }
        let status = try fields.oneOf("rx_chk_stas_codg", ["1", "2"], rule: .rx5)
        let time = try fields.string("rx_chk_time")
        guard Timestamps.parseFSI(time) != nil else {
            throw DomainError.invalidValue(fields.path("rx_chk_time"), "rx_chk_time is yyyy-MM-dd HH:mm:ss", actual: time)
        }
        let opinion = try fields.optionalString("rx_chk_opnn") ?? ""
        let review = PharmacyReview(businessSerial: try await Identifiers.mint(.review, store: store, now: now), institutionCode: code, pharmacistCode: pharCode,
                                    status: status, opinion: opinion, reviewedAt: time, signVerification: serial, at: now)
        record.pharmacyReviews = (record.pharmacyReviews ?? []) + [review]
        try await store.save(record)
        return (.object(["msg_code": "0", "flag": "True", "rx_chk_biz_sn": .string(review.businessSerial)]),
                TraceEvent(at: now, kind: "hse.rxChkUpInfo", actor: code, subject: record.hiRxno, payload: ["phar_code": pharCode, "rx_chk_stas_codg": status]))
    }

    /// The members of a pharmacy-side request: inside the node `rx_chk_up_info` (or `data`) when sent so, else at the top.
    static func pharmacyFields(_ data: Fields) -> Fields {
        for node in ["rx_chk_up_info", "data"] {
            if case .object(let inner)? = data.object[node] { return Fields(inner, at: data.path(node)) }
        }
        return data
    }

    /// `epc_token` must be the one this pharmacy got when it downloaded the prescription.
    private func requireEPCToken(_ fields: Fields, record: PrescriptionRecord, institution code: String) throws {
        let sent = try fields.string("epc_token", "the e-prescription token rxDownload returned")
        guard let issued = record.epcTokens?[code], ConstantTime.equal(issued, sent) else {
            throw DomainError(.epcTokenInvalid, .forbidden, rule: .rx4, pointer: fields.path("epc_token"),
                              "epc_token is not the one this pharmacy received when it downloaded \(record.hiRxno)")
        }
    }

    private func dispense(_ data: Fields, institution code: String, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let institution = try await authorise(code, store: store, now: now)
        var record = try await recordByNumber(data, store: store)
        // Only the prescriber and a pharmacy that downloaded it see the prescription; to anyone else it does not exist.
        guard record.institutionCode == code || record.downloads[code] != nil else { throw Self.unknown(record.hiRxno) }
        let routeText = try data.oneOf("route", DispensingRoute.allCases.map(\.rawValue), rule: .rx3)
        let pharCode = try data.string("pharCode", "the dispensing pharmacist's code")
        guard let pharmacist = try await store.practitioner(code: pharCode), pharmacist.institutionCode == code, pharmacist.role == .pharmacist else {
            throw DomainError(.pharmacistUnknown, .forbidden, rule: .rx5, pointer: "/pharCode", "no pharmacist \(pharCode) is registered for \(code)")
        }
        var codes: [String: [String]] = [:]
        if case .array(let lines)? = data.object["traceCodes"] {
            for (index, line) in lines.enumerated() {
                guard case .object(let entry) = line, case .array(let values)? = entry["drugTracCodg"] else {
                    throw DomainError.invalidValue("/traceCodes/\(index)", "each entry is {\"medListCodg\": …, \"drugTracCodg\": [\"…\"]}", rule: .rx5)
                }
                codes[entry[key: "medListCodg"], default: []] += values.compactMap(\.stringValue)
            }
        }
        var courier: String?
        var waybill: String?
        if case .object(let delivery)? = data.object["delivery"] {
            courier = delivery[key: "courier"]
            waybill = delivery[key: "waybillNo"]
        }
        let dispensing = Dispensing(dispenseNo: try await Identifiers.mint(.dispensing, store: store, now: now), at: now, institutionCode: code, route: DispensingRoute(rawValue: routeText)!,
                                    pharmacistCode: pharCode, traceCodes: codes, courier: courier, waybillNo: waybill)
        try record.dispense(dispensing, prescribingKind: code == record.institutionCode, isRetailPharmacy: institution.kind == .retailPharmacy, pointer: "")
        if let sold = try await store.claimTraceCodes(codes.values.flatMap { $0 }, hiRxno: record.hiRxno, at: now) {
            throw DomainError(.rxTraceCodeReused, .conflict, rule: .rx5, pointer: "/traceCodes",
                              "traceability code \(sold.code) was already sold with prescription \(sold.hiRxno): one box, one sale")
        }
        try await store.save(record)
        return (.object(["hiRxno": .string(record.hiRxno), "dispenseNo": .string(dispensing.dispenseNo), "route": .string(routeText),
                         "rxUsedStasCodg": .string(record.usedStatusCode), "dispensedCount": .string(String(record.dispensings.count)),
                         "remaining": .string(String(record.maxRepeats - record.dispensings.count))]),
                TraceEvent(at: now, kind: "hse.rxDispense", actor: code, subject: record.hiRxno,
                           payload: ["route": routeText, "pharCode": pharCode, "traceCodes": codes.values.flatMap { $0 }.sorted().joined(separator: ",")]))
    }

    // MARK: circDrugQuery — 电子处方药品目录查询

    /// The drugs of the institution's region catalogue a prescription may circulate with. The
    /// service's name is public (Chongqing's D008), its members are not: these are ours
    /// (docs/PRESCRIPTION.md §6.10) — data `medListCodg` and/or `drugGenname` (a part of the name)
    /// to filter, `pageNum` (from 1) and `pageSize` (1–100, default 20).
    private func circulatingDrugs(_ data: Fields, institution code: String, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let institution = try await authorise(code, store: store, now: now)
        let region = SettlementCalculator.province(institution.admdvs)
        guard let policy = regions[region] else {
            throw DomainError(.regionPolicyMissing, .forbidden, rule: .xr6, pointer: "", "no policy profile for region \(region) (policies/regions/\(region).json)")
        }
        func number(_ key: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
            let text: String
            switch data.object[key] {
            case nil, .null?: return value
            case .number(let literal)?: text = literal
            default: guard let sent = try data.optionalString(key) else { return value }; text = sent
            }
            guard let number = Int(text), range.contains(number) else {
                throw DomainError.invalidValue(data.path(key), "\(key) is a whole number from \(range.lowerBound) to \(range.upperBound)", actual: text)
            }
            return number
        }
        let page = try number("pageNum", default: 1, range: 1...100_000), size = try number("pageSize", default: 20, range: 1...100)
        let wantedCode = try data.optionalString("medListCodg"), wantedName = try data.optionalString("drugGenname")
        let drugs = policy.catalogue.filter { item in
            item.kind == .drug && (wantedCode == nil || item.code == wantedCode) && (wantedName == nil || item.name.localizedCaseInsensitiveContains(wantedName!))
        }
        let list: [JSONValue] = drugs.dropFirst((page - 1) * size).prefix(size).map { item in
            var entry: JSONObject = ["medListCodg": .string(item.code), "drugGenname": .string(item.name), "listType": .string(item.itemClass.rawValue),
                                     "medChrgitmType": .string(item.medChrgitmType), "rxCircFlag": "1"]
            if let share = item.selfPayShare { entry["selfpayProp"] = .string(share.description) }
            return .object(entry)
        }
        return (.object(["pageNum": .string(String(page)), "pageSize": .string(String(size)), "total": .string(String(drugs.count)), "list": .array(list)]),
                TraceEvent(at: now, kind: "hse.circDrugQuery", actor: code, subject: institution.code))
    }

    // MARK: Queries

    private func query(_ service: String, _ data: Fields, institution code: String, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        try await authorise(code, store: store, now: now)
        let record = try await recordByNumber(data, store: store)
        guard record.institutionCode == code || record.downloads[code] != nil || record.dispensings.contains(where: { $0.institutionCode == code }) else {
            throw Self.unknown(record.hiRxno)
        }
        let document = try SignedPrescription(bytes: Array(record.document.utf8))
        let prescription = document.prescription
        let status: [JSONObject.Member] = [
            .init(key: "rxStasCodg", value: .string(record.statusCode(at: now))), .init(key: "rxStasName", value: .string(record.statusName(at: now))),
            .init(key: "rxUsedStasCodg", value: .string(record.usedStatusCode)), .init(key: "rxUsedStasName", value: .string(record.usedStatusName)),
        ]
        let output: JSONValue
        switch service {
        case "hospRxDetlQuery":
            output = .object(Self.detail(record, prescription, status: status, institutionName: try await store.institution(code: record.institutionCode)?.name ?? "", now: now))
        case "rxChkInfoQuery":
            // The pharmacist's review as real code reads it: rxChkStasCodg 0 not reviewed, 1 approved, 2 rejected.
            let review = document.review
            let chk = review == nil ? "0" : review!.result == "1" ? "1" : "2"
            output = .object(["hiRxno": .string(record.hiRxno), "pharName": .string(review?.pharName ?? ""), "pharCode": .string(review?.pharCode ?? ""),
                              "rxChkStasCodg": .string(chk), "rxChkStasName": .string(["0": "未审核", "1": "审核通过", "2": "审核不通过"][chk] ?? ""),
                              "rxChkOpnn": .string(review == nil ? "" : review!.result == "1" ? "审核通过" : "审核不通过"), "rxChkTime": .string(review?.pharChkTime ?? ""),
                              "pharChkTime": .string(review?.pharChkTime ?? ""),
                              "rxStasCodg": .string(record.statusCode(at: now)), "rxStasName": .string(record.statusName(at: now))])
        default:
            var object = JSONObject([.init(key: "hiRxno", value: .string(record.hiRxno)),
                                     .init(key: "setlTime", value: .string(record.dispensings.last.map { Timestamps.fsi($0.at) } ?? ""))] + status)
            // Who settled it (ours): the settlement or order id, and the institution — the retail pharmacy for a circulated one (PY-7).
            object["setlId"] = .string(record.settledBy ?? "")
            if let settledBy = record.settledBy {
                var settler = try await store.outpatientSettlement(setlId: settledBy)?.institutionCode
                if settler == nil { settler = try await store.paymentOrder(payOrdId: settledBy)?.institutionCode }
                object["setlFixmedinsCode"] = .string(settler ?? "")
            }
            // seltdelts: the drugs and whether they were taken (takeDrugFlag); drugSpec only as a number (openhis reads a BigDecimal).
            let taken = !record.dispensings.isEmpty
            object["seltdelts"] = .array((prescription.json["rxdrugdetail"]?.arrayValue ?? []).compactMap(\.objectValue).map { line in
                var drug: JSONObject = ["medListCodg": .string(line[key: "medListCodg"]), "drugGenname": .string(line[key: "drugGenname"]),
                                        "drugProdname": .string(line[key: "drugProdname"]), "drugDosform": .string(line[key: "drugDosform"]),
                                        "cnt": .string(line[key: "drugCnt"]), "aprvno": .string(line[key: "aprvno"]), "bchno": .string(line[key: "bchno"]),
                                        "manuLotnum": .string(line[key: "manuLotnum"]), "prdrName": .string(line[key: "prdrName"]),
                                        "takeDrugFlag": .string(taken ? "1" : "0")]
                if Decimal(string: line[key: "drugSpec"]) != nil { drug["drugSpec"] = .string(line[key: "drugSpec"]) }
                return .object(drug)
            })
            object["dispensings"] = .array(record.dispensings.map { .object([
                "dispenseNo": .string($0.dispenseNo), "route": .string($0.route.rawValue), "fixmedinsCode": .string($0.institutionCode),
                "pharCode": .string($0.pharmacistCode), "time": .string(Timestamps.fsi($0.at)),
            ]) })
            output = .object(object)
        }
        return (output, TraceEvent(at: now, kind: "hse.\(service)", actor: code, subject: record.hiRxno))
    }

    /// hospRxDetlQuery's answer with the real member set (openhis `QueryPrescription`): the status and
    /// its names, the code lists' names, `reptdCnt`, `minInrvDays`, `rxCircLimitFlag`, `rxDetlList`
    /// (with `takeDrugFlag`), `rxOtpinfo`, `rxDiseList`; and this gateway's own members before them.
    static func detail(_ record: PrescriptionRecord, _ prescription: Prescription, status: [JSONObject.Member], institutionName: String, now: Date) -> JSONObject {
        let json = prescription.json, visit = prescription.visit
        var object = JSONObject([.init(key: "hiRxno", value: .string(record.hiRxno)), .init(key: "hospRxno", value: .string(record.hospRxno))] + status)
        object["stage"] = .string(record.stage.rawValue)
        object["fixmedinsCode"] = .string(record.institutionCode)
        object["fixmedinsName"] = .string(institutionName)
        for key in ["prscTime", "rxDrugCnt", "rxUsedWayCodg", "rxUsedWayName", "rxFrquCodg", "rxFrquName", "rxDosunt", "rxDoscnt", "rxDrordDscr",
                    "valiDays", "valiEndTime", "reptFlag", "rxTypeCode", "longRxFlag", "bizTypeCode", "rxExraAttrCode"] where !json[key: key].isEmpty {
            object[key] = .string(json[key: key])
        }
        object["rxTypeName"] = .string(["1": "西药、中成药处方", "2": "中药饮片处方", "3": "中成药处方"][json[key: "rxTypeCode"]] ?? json[key: "rxTypeCode"])
        object["bizTypeName"] = .string(Prescription.businessTypes[prescription.bizTypeCode] ?? "")
        if !json[key: "rxExraAttrCode"].isEmpty { object["rxExraAttrName"] = .string(Prescription.extraAttributes[json[key: "rxExraAttrCode"]] ?? "") }
        object["maxReptCnt"] = .string(String(record.maxRepeats))
        object["reptdCnt"] = .string(String(record.dispensings.count))
        object["minInrvDays"] = .string(String(record.minIntervalDays))
        // 1: circulation limited — it may be dispensed at most maxReptCnt times, minInrvDays apart.
        object["rxCircLimitFlag"] = .string(record.maxRepeats > 1 || record.minIntervalDays > 0 ? "1" : "0")
        let taken = record.dispensings.isEmpty ? "0" : "1"
        object["rxDetlList"] = .array((json["rxdrugdetail"]?.arrayValue ?? []).compactMap(\.objectValue).map { line in
            var drug = line
            drug["takeDrugFlag"] = .string(taken)
            return .object(drug)
        })
        var otp: JSONObject = [:]
        for key in ["medType", "iptOtpNo", "otpIptFlag", "patnName", "patnAge", "gend", "prscDeptName", "prscDrName", "mdtrtTime", "diseCodg", "diseName",
                    "spDiseFlag", "maindiagCode", "maindiagName", "diseCondDscr", "fstdiagFlag"] where !visit[key: key].isEmpty {
            otp[key] = .string(visit[key: key])
        }
        object["rxOtpinfo"] = .object(otp)
        object["rxDiseList"] = .array(prescription.diagnoses.map { .object($0) })
        // This gateway's own members, kept for clients written against it.
        object["mdtrtId"] = .string(record.mdtrtId)
        object["psnNo"] = .string(record.psnNo)
        object["rxdrugdetail"] = json["rxdrugdetail"] ?? .array([])
        return object
    }

    // MARK: Helpers

    @discardableResult
    private func authorise(_ code: String, store: any StoreReading, now: Date) async throws -> Institution {
        try await InstitutionAuthorisation.require(code, store: store, now: now, pointer: "/appId", measures: policy.measures)
    }

    private func recordByTraceCode(_ data: Fields, institution: String, store: any StoreReading) async throws -> PrescriptionRecord {
        let code = try data.string("rxTraceCode", "the trace code uploadChk returned")
        guard let record = try await store.prescription(rxTraceCode: code), record.institutionCode == institution else {
            throw DomainError(.rxTraceCodeUnknown, .notFound, rule: .rx1, pointer: "/rxTraceCode", "no pre-checked prescription of \(institution) has this rxTraceCode")
        }
        return record
    }

    private func recordByNumber(_ data: Fields, key: String = "hiRxno", store: any StoreReading) async throws -> PrescriptionRecord {
        let number = try data.string(key)
        guard let record = try await store.prescription(hiRxno: number) else { throw Self.unknown(number) }
        return record
    }

    /// The same answer for a number that does not exist and one that is not the caller's.
    static func unknown(_ hiRxno: String) -> DomainError {
        DomainError(.rxUnknown, .notFound, rule: .rx1, pointer: "/hiRxno",
                    "no prescription \(hiRxno) that this institution may see (it prescribed it, or downloaded it with the patient's e-voucher)")
    }

    private func decodeDocument(_ data: Fields, _ key: String) throws -> SignedPrescription {
        let text = try data.string(key, "base64 of the yibao-rx/1 prescription file")
        guard let bytes = [UInt8](base64: text) else { throw DomainError.invalidValue("/\(key)", "\(key) is not base64", rule: .rx1) }
        do { return try SignedPrescription(bytes: bytes) } catch var error as DomainError {
            error.pointer = "/\(key)" + error.pointer
            throw error
        } catch {
            throw DomainError.invalidValue("/\(key)", "\(key) is not a yibao-rx/1 JSON document: \(error)", rule: .rx1)
        }
    }

    /// A verifier's failed check as a refusal: signature and certificate failures are authentication (401), the rest rules (403) or input (400).
    static func refusal(_ failure: RxCheck, pointerPrefix: String, wire: Bool = false) -> DomainError {
        let kind: DomainError.Kind = failure.code.contains("SIGNATURE") || failure.code.contains("CERTIFICATE") ? .unauthenticated
            : failure.code == "FIELD_INVALID" ? .invalid : .forbidden
        let pointer = wire ? wirePointer(failure.pointer) : pointerPrefix + failure.pointer
        // Every code a verifier check fails with is registered (ErrorRegistryTests).
        return DomainError(ErrorCode(rawValue: failure.code) ?? .rxUnknown, kind, rule: failure.rule, pointer: pointer,
                           failure.detail + (failure.causes.isEmpty ? "" : " (\(failure.causes.joined(separator: ", ")))"))
    }

    /// A verifier pointer into the document (`/prescription/mdtrtinfo/drCode`) as a pointer into uploadChk's data (`/mdtrtinfo/drCode`).
    static func wirePointer(_ pointer: String) -> String {
        pointer.hasPrefix("/prescription") ? String(pointer.dropFirst("/prescription".count)) : pointer
    }
}
