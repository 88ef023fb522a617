import Foundation
import YibaoCore
import YibaoCrypto
import YibaoStore

/// The FSI transactions, each: rules from YibaoCore, state through the store (inside the
/// caller's transaction), an output node and a trace event.
package struct FSITransactions: Sendable {
    /// The transaction codes offered.
    package static let supported = FSITransaction.allCases.map(\.rawValue)
    let policy: PolicyProfile
    /// Region policy profiles for settlement (policies/regions).
    var regions: [String: RegionPolicy] = [:]

    package init(policy: PolicyProfile, regions: [String: RegionPolicy]) {
        self.policy = policy
        self.regions = regions
    }

    /// Runs `request` inside the caller's transaction: its output node, its trace event, and whether
    /// the answer is to be lost (test persona). Messages that a 2601 may reverse, or that a later
    /// settlement may require (2001, 3101), are recorded with what they made.
    package func run(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> FSIOutcome {
        var loseAnswer = false
        var download: StoredFile?
        let (output, event): (JSONValue, TraceEvent) = switch request.transaction {
        case .signIn: try await signIn(request, store: store, now: now)
        case .signOut: try await signOut(request, store: store, now: now)
        case .personInfo: try await personInfo(request, store: store, now: now)
        case .catalogueQuery: try await catalogueQuery(request, store: store, now: now)
        case .listMatchQuery: try await listMatchQuery(request, store: store, now: now)
        case .institutionMatchQuery: try await institutionMatchQuery(request, store: store, now: now)
        case .priceLimitQuery: try await priceLimitQuery(request, store: store, now: now)
        case .selfPayRatioQuery: try await selfPayRatioQuery(request, store: store, now: now)
        case .dictionaryQuery: try await dictionaryQuery(request, store: store, now: now)
        case .uploadMappings: try await uploadMappings(request, store: store, now: now)
        case .cancelMapping: try await cancelMapping(request, store: store, now: now)
        case .benefitCheck: try await benefitCheck(request, store: store, now: now)
        case .pharmacyPreSettle: try await pharmacySettle(request, store: store, now: now, commit: false)
        case .pharmacySettle: try await pharmacySettle(request, store: store, now: now, commit: true)
        case .pharmacyCancel: try await cancelPharmacySettlement(request, store: store, now: now)
        case .register: try await register(request, store: store, now: now)
        case .cancelRegistration: try await cancelRegistration(request, store: store, now: now)
        case .visitInfo: try await visitInfo(request, store: store, now: now)
        case .uploadDetails: try await uploadDetails(request, store: store, now: now)
        case .cancelDetails: try await cancelDetails(request, store: store, now: now)
        case .preSettle: try await settle(request, store: store, now: now, commit: false, loseAnswer: &loseAnswer)
        case .settle: try await settle(request, store: store, now: now, commit: true, loseAnswer: &loseAnswer)
        case .cancelSettlement: try await cancelSettlement(request, store: store, now: now)
        case .fileChronicDisease: try await fileChronicDisease(request, store: store, now: now)
        case .cancelChronicFiling: try await cancelChronicFiling(request, store: store, now: now)
        case .reverse: try await reverse(request, store: store, now: now)
        case .preEventAudit, .inEventAudit: try await audit(request, store: store, now: now)
        case .reconcile: try await reconcile(request, store: store, now: now)
        case .detailReconcile: try await reconcileDetails(request, store: store, now: now)
        case .fileUpload: try await uploadFile(request, store: store, now: now)
        case .fileDownload: try await { () async throws -> (JSONValue, TraceEvent) in
            let (output, event, file) = try await downloadFile(request, store: store, now: now)
            download = file
            return (output, event)
        }()
        case .declare: try await declare(request, store: store, now: now)
        case .visitQuery: try await visitQuery(request, store: store, now: now)
        case .diagnosisQuery: try await diagnosisQuery(request, store: store, now: now)
        case .settlementQuery: try await settlementQuery(request, store: store, now: now)
        case .feeDetailQuery: try await feeDetailQuery(request, store: store, now: now)
        case .chronicMedicationQuery: try await chronicMedicationQuery(request, store: store, now: now)
        case .cumulativeQuery: try await cumulativeQuery(request, store: store, now: now)
        case .chronicFilingQuery: try await chronicFilingQuery(request, store: store, now: now)
        case .outpatientRecord: try await uploadOutpatientRecord(request, store: store, now: now)
        case .medicalRecord: try await uploadMedicalRecord(request, store: store, now: now)
        }
        if Self.recorded.contains(request.transaction), event.outcome != "replayed" {
            try await store.save(FSIMessage(institutionCode: request.institutionCode, msgid: request.msgid, infno: request.infno,
                                            subject: event.subject, psnNo: event.payload["psn_no"] ?? "", at: now, facts: event.payload))
        }
        return FSIOutcome(output, event, loseAnswer: loseAnswer, download: download)
    }

    /// The transactions whose messages are recorded (``FSIMessage``): the reversible ones and the prerequisites.
    static let recorded: Set<FSITransaction> = FSITransaction.reversible.union([.benefitCheck, .preEventAudit, .inEventAudit, .outpatientRecord, .medicalRecord])

    // MARK: 9001 sign-in

    private func signIn(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let input = try Fields(in: request.input, "signIn")
        let operatorNo = try input.string("opter_no", "the operator's number")
        _ = try input.string("mac", "the terminal's MAC address")
        _ = try input.string("ip", "the terminal's IP address")
        guard try await store.institution(code: request.institutionCode) != nil else {
            throw DomainError(.institutionUnknown, .notFound, rule: .ag1, pointer: "/fixmedins_code", "no institution \(request.institutionCode)")
        }
        let signIn = SignIn(signNo: try await Identifiers.mint(.signIn, store: store, now: now), institutionCode: request.institutionCode, operatorNo: operatorNo, signedInAt: now)
        try await store.save(signIn)
        let output: JSONValue = .object(["signinoutb": .object([
            "sign_time": .string(Timestamps.fsi(now)),
            "sign_no": .string(signIn.signNo),
        ])])
        return (output, TraceEvent(at: now, kind: "fsi.9001", actor: request.institutionCode, subject: operatorNo, payload: ["msgid": request.msgid]))
    }

    // MARK: 1101 person info

    private func personInfo(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try Fields(in: request.input, "data")
        try await authorise(request.institutionCode, store: store, now: now)
        let medium = try IdentityMedium.parse(try data.optionalString("mdtrt_cert_type"), pointer: data.path("mdtrt_cert_type"))
        let certNo = try data.string("mdtrt_cert_no", medium == .eVoucher ? "the ecToken" : medium == .residentID ? "the resident ID number" : "the social-security card number")
        let person = try await identify(medium: medium, certNo: certNo, transaction: "1101", businessTypes: [], data: data,
                                  institution: request.institutionCode, store: store, now: now)
        if let name = try data.optionalString("psn_name"), name != person.name {
            throw DomainError(.personNameMismatch, .forbidden, rule: .id1, pointer: data.path("psn_name"),
                              "psn_name does not match the insured person identified by mdtrt_cert_no")
        }
        try person.requireRealName(pointer: data.path("mdtrt_cert_no"))
        let today = Timestamps.day(now)
        let output: JSONValue = .object([
            "baseinfo": .object([
                "psn_no": .string(person.psnNo),
                "psn_cert_type": .string(person.psnCertType),
                "certno": .string(person.certno),
                "psn_name": .string(person.name),
                "gend": .string(person.gender),
                "naty": .string(person.nationality),
                "brdy": .string(person.birthDate),
                "age": .number(String(person.age(on: today) ?? 0)),
            ]),
            "insuinfo": .array([.object([
                "insuplc_admdvs": .string(person.insuplcAdmdvs),
                "insutype": .string(person.insutype),
                "balc": .number(Money.yuan(person.accountBalanceFen)),
                "psn_type": .string(person.psnType),
                "psn_insu_stas": .string(person.insuranceStatus),
                "psn_insu_date": .string(person.insuredSince),
                "cvlserv_flag": .string(person.civilServant ? "1" : "0"),
                "emp_name": .string(person.employer),
                "paus_insu_date": .string(""),
            ])]),
            "idetinfo": .array([]),
        ])
        return (output, TraceEvent(at: now, kind: "fsi.1101", actor: request.institutionCode, subject: person.psnNo,
                                   payload: ["msgid": request.msgid, "mdtrt_cert_type": medium.rawValue]))
    }

    // MARK: 2201 registration

    private func register(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try Fields(in: request.input, "data")
        let institution = try await authorise(request.institutionCode, store: store, now: now)
        let psnNo = try data.string("psn_no")
        let insutype = try data.string("insutype")
        let beginTime = try data.string("begntime")
        guard Timestamps.parseFSI(beginTime) != nil else {
            throw DomainError.invalidValue(data.path("begntime"), "begntime must be yyyy-MM-dd HH:mm:ss", expected: "yyyy-MM-dd HH:mm:ss", actual: beginTime)
        }
        let medium = try IdentityMedium.parse(try data.optionalString("mdtrt_cert_type"), pointer: data.path("mdtrt_cert_type"))
        let certNo = try data.string("mdtrt_cert_no")
        let iptOtpNo = try data.string("ipt_otp_no", "the hospital's outpatient number")
        let doctorCode = try data.string("atddr_no", "the attending doctor's code")
        let doctorName = try data.string("dr_name")
        let deptCode = try data.string("dept_code")
        let deptName = try data.string("dept_name")
        let caty = try data.string("caty", "the clinical subject code")

        guard let registered = try await store.person(psnNo: psnNo) else {
            throw DomainError(.personUnknown, .notFound, rule: .id1, pointer: data.path("psn_no"), "no insured person \(psnNo)", actual: psnNo)
        }
        let person = try await identify(medium: medium, certNo: certNo, transaction: "2201", businessTypes: [.registration], data: data,
                                  institution: request.institutionCode, store: store, now: now)
        guard person.psnNo == registered.psnNo else {
            throw DomainError(.personMismatch, .forbidden, rule: .id1, pointer: data.path("mdtrt_cert_no"),
                              "mdtrt_cert_no identifies another person than psn_no", expected: psnNo, actual: person.psnNo)
        }
        try person.requireRealName(pointer: data.path("psn_no"))
        try person.requireInsured(pointer: data.path("psn_no"))
        try person.requireInternetPaymentAllowed(pointer: data.path("psn_no"))
        guard insutype == person.insutype else {
            throw DomainError.invalidValue(data.path("insutype"), "the person is insured under \(person.insutype), not \(insutype)", expected: person.insutype, actual: insutype)
        }
        try institution.requireOnlineSubject(caty, pointer: data.path("caty"))
        try person.requireOwnDesignatedInstitution(institution.code, local: SettlementCalculator.province(person.insuplcAdmdvs) == SettlementCalculator.province(institution.admdvs),
                                                   pointer: "/fixmedins_code")
        // SC-3: an Internet+ visit is a follow-up, so the person was seen in person before; the condition itself is matched
        // once it is known (uploadChk of a prescription, the consultation at settlement).
        let today = Timestamps.day(now)
        guard try await store.offlineVisits(psnNo: psnNo).contains(where: { $0.visitDate <= today }) else {
            throw DomainError(.scopeNoPriorOfflineVisit, .forbidden, rule: .sc3, pointer: data.path("psn_no"),
                              "\(psnNo) has no offline (in-person) visit on record up to \(today): an Internet+ visit is the follow-up of a condition first seen in person (SC-1, SC-3); the first visit is offline",
                              expected: "an offline visit on or before \(today)", actual: "none")
        }
        guard let doctor = try await store.practitioner(code: doctorCode), doctor.institutionCode == institution.code else {
            throw DomainError(.doctorUnknown, .notFound, rule: .pr1, pointer: data.path("atddr_no"),
                              "no doctor \(doctorCode) is registered for \(institution.code)", actual: doctorCode)
        }
        do { try doctor.checkInternetDoctor(at: now, minimumYears: policy.measures.internetDoctorMinimumYears) } catch var error as DomainError {
            error.pointer = data.path("atddr_no")
            throw error
        }
        let mdtrtId = try await Identifiers.mint(.visit(admdvs: institution.admdvs), store: store, now: now)
        var registration = Registration(mdtrtId: mdtrtId, psnNo: psnNo,
                                        institutionCode: institution.code, insutype: insutype, iptOtpNo: iptOtpNo, beginTime: beginTime,
                                        medium: medium, doctorCode: doctorCode, doctorName: doctorName, deptCode: deptCode,
                                        deptName: deptName, caty: caty, registeredAt: now)
        registration.offSite = SettlementCalculator.province(person.insuplcAdmdvs) != SettlementCalculator.province(institution.admdvs)
        try await store.save(registration)
        let output: JSONValue = .object(["data": .object([
            "mdtrt_id": .string(registration.mdtrtId),
            "psn_no": .string(psnNo),
            "ipt_otp_no": .string(iptOtpNo),
            "exp_content": .string(""),
        ])])
        return (output, TraceEvent(at: now, kind: "fsi.2201", actor: institution.code, subject: registration.mdtrtId,
                                   payload: ["msgid": request.msgid, "psn_no": psnNo, "atddr_no": doctorCode, "mdtrt_cert_type": medium.rawValue,
                                             "off_site": registration.offSite == true ? "1" : "0"]))
    }

    // MARK: 2202 cancel registration

    private func cancelRegistration(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try Fields(in: request.input, "data")
        try await authorise(request.institutionCode, store: store, now: now)
        let psnNo = try data.string("psn_no")
        let mdtrtId = try data.string("mdtrt_id")
        let iptOtpNo = try data.string("ipt_otp_no")
        // Another institution's visit is "unknown" too: no probing of other institutions' visits.
        guard var registration = try await store.registration(mdtrtId: mdtrtId), registration.institutionCode == request.institutionCode else {
            throw DomainError(.visitUnknown, .notFound, rule: .protocolFields, pointer: data.path("mdtrt_id"),
                              "no visit \(mdtrtId) of \(request.institutionCode)", actual: mdtrtId)
        }
        guard registration.iptOtpNo == iptOtpNo else {
            throw DomainError.invalidValue(data.path("ipt_otp_no"), "ipt_otp_no does not match the registration", expected: registration.iptOtpNo, actual: iptOtpNo)
        }
        try await requireNothingSettled(on: registration, institution: request.institutionCode, store: store, pointer: data.path("mdtrt_id"))
        try registration.cancel(psnNo: psnNo, institution: request.institutionCode, at: now)
        try await store.save(registration)
        return (.object([:]), TraceEvent(at: now, kind: "fsi.2202", actor: request.institutionCode, subject: mdtrtId, payload: ["msgid": request.msgid, "psn_no": psnNo]))
    }

    // MARK: Shared checks

    /// AG-1 (and AG-5 through the cascade): the institution may serve Internet+ business.
    @discardableResult
    func authorise(_ code: String, store: any StoreReading, now: Date) async throws -> Institution {
        try await InstitutionAuthorisation.require(code, store: store, now: now, pointer: "/fixmedins_code", measures: policy.measures)
    }

    /// Finds the person behind an identity medium (ID-4); an ecToken is spent for `transaction` (ID-2).
    func identify(medium: IdentityMedium, certNo: String, transaction: String, businessTypes: Set<BusinessType>, data: Fields,
                          institution: String, store: any StoreWriting, now: Date) async throws -> InsuredPerson {
        let pointer = data.path("mdtrt_cert_no")
        switch medium {
        case .eVoucher:
            guard var token = try await store.ecToken(certNo) else {
                throw DomainError(.tokenUnknown, .unauthenticated, rule: .id2, pointer: pointer,
                                  "mdtrt_cert_no is not an ecToken issued by this platform; scan the patient's e-voucher QR code (ec.query) to get one")
            }
            try token.redeem(transaction: transaction, businessTypes: businessTypes, institution: institution, at: now, pointer: pointer)
            try await store.save(token)
            guard let person = try await store.person(psnNo: token.psnNo) else {
                throw DomainError(.personUnknown, .notFound, rule: .id1, pointer: pointer, "the token's person no longer exists")
            }
            return person
        case .residentID:
            guard let person = try await store.person(certno: certNo) else {
                throw DomainError(.personUnknown, .notFound, rule: .id1, pointer: pointer, "no insured person with this resident ID number")
            }
            return person
        case .socialSecurityCard:
            guard let person = try await store.person(socialSecurityCardNo: certNo) else {
                throw DomainError(.personUnknown, .notFound, rule: .id1, pointer: pointer, "no insured person with this social-security card")
            }
            return person
        }
    }
}
