import Foundation
import YibaoCore
import YibaoCrypto
import YibaoStore

/// The agency's register (the admin API and fixtures): institutions and their agreement steps
/// (AG-1…AG-9), practitioners with verified certificates (PR-3), insured persons (one per ID
/// number and card: ID-1, ID-4), offline visits, app credentials and their dialect credentials.
package enum AgencyRegistry {
    /// Registers a new institution.
    package static func register(_ institution: Institution, store: any StoreWriting, now: Date) async throws -> Institution {
        guard try await store.institution(code: institution.code) == nil else {
            throw DomainError(.institutionExists, .conflict, rule: nil, pointer: "/code", "institution \(institution.code) is already registered")
        }
        try await store.save(institution)
        try await store.appendTrace(TraceEvent(at: now, kind: "admin.institution.register", actor: "admin", subject: institution.code))
        return institution
    }

    /// Registers a practitioner of a known institution.
    package static func register(_ practitioner: Practitioner, store: any StoreWriting, now: Date) async throws -> Practitioner {
        guard try await store.institution(code: practitioner.institutionCode) != nil else {
            throw DomainError(.institutionUnknown, .notFound, rule: nil, pointer: "/institutionCode", "no institution \(practitioner.institutionCode)")
        }
        try await store.save(practitioner)
        try await store.appendTrace(TraceEvent(at: now, kind: "admin.practitioner.register", actor: "admin", subject: practitioner.code))
        return practitioner
    }

    /// Adds an offline visit of a known person (the prior visit SC-3 asks of a follow-up).
    package static func add(_ visit: OfflineVisit, store: any StoreWriting, now: Date) async throws {
        guard try await store.person(psnNo: visit.psnNo) != nil else {
            throw DomainError(.personUnknown, .notFound, rule: nil, pointer: "/psnNo", "no person \(visit.psnNo)")
        }
        try await store.add(visit)
        try await store.appendTrace(TraceEvent(at: now, kind: "admin.offline-visit.add", actor: "admin", subject: visit.psnNo,
                                               payload: ["diseaseCode": visit.diseaseCode]))
    }

    /// Sets the dialect profile an institution's app speaks (nil: the gateway's default).
    package static func setProfile(_ profile: String?, institution code: String, store: any StoreWriting, now: Date) async throws -> AppCredential {
        guard var app = try await store.app(institutionCode: code) else {
            throw DomainError(.appUnknown, .notFound, rule: nil, pointer: "", "\(code) has no registered app")
        }
        app.profile = profile
        try await store.save(app)
        try await store.appendTrace(TraceEvent(at: now, kind: "admin.profile.set", actor: "admin", subject: code, payload: ["profile": profile ?? ""]))
        return app
    }

    /// Sets where an institution's settlement callbacks go and which receiver faults are switched on.
    package static func configureCallback(url: String?, faults: CallbackFaults?, institution code: String, store: any StoreWriting, now: Date) async throws -> AppCredential {
        guard var app = try await store.app(institutionCode: code) else {
            throw DomainError(.appUnknown, .notFound, rule: nil, pointer: "", "\(code) has no registered app")
        }
        if let url, !url.isEmpty, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw DomainError.invalidValue("/url", "url must be an http(s) URL", actual: url)
        }
        app.callbackURL = url
        app.callbackFaults = faults
        try await store.save(app)
        try await store.appendTrace(TraceEvent(at: now, kind: "admin.callback.configure", actor: "admin", subject: code))
        return app
    }

    /// PY-12: sets (or, with nil, removes) the institution's total fund budget for the year; settlements beyond it are flagged.
    package static func setBudget(_ fen: Int64?, institution code: String, store: any StoreWriting, now: Date) async throws -> Institution {
        if let fen, !(0...Money.maximumFen).contains(fen) {
            throw DomainError.invalidValue("/annualBudgetFen", "annualBudgetFen must be from 0 to \(Money.maximumFen) fen, or null for no budget",
                                           expected: "0 … \(Money.maximumFen) or null", actual: String(fen), rule: .py12)
        }
        guard var institution = try await store.institution(code: code) else {
            throw DomainError(.institutionUnknown, .notFound, rule: nil, pointer: "", "no institution \(code)")
        }
        institution.annualBudgetFen = fen
        try await store.save(institution)
        try await store.appendTrace(TraceEvent(at: now, kind: "admin.institution.budget", actor: "admin", subject: code,
                                               payload: ["annualBudget": fen.map(Money.yuan) ?? "none"]))
        return institution
    }

    /// AG-13: records a change `code` reports (``ChangeReport``); the institution as it now stands.
    package static func reportChange(_ report: ChangeReport, institution code: String, days: Int, store: any StoreWriting, now: Date) async throws -> Institution {
        guard var institution = try await store.institution(code: code) else {
            throw DomainError(.institutionUnknown, .notFound, rule: nil, pointer: "", "no institution \(code)")
        }
        guard let item = InstitutionChange.Item(rawValue: report.item) else {
            throw DomainError.invalidValue("/item", "item is what changed", expected: InstitutionChange.Item.allCases.map(\.rawValue).joined(separator: " | "),
                                           actual: report.item, rule: .ag13)
        }
        guard let changedOn = Timestamps.parseDay(report.changedOn) else {
            throw DomainError.invalidValue("/changedOn", "changedOn must be yyyy-MM-dd", expected: "yyyy-MM-dd", actual: report.changedOn, rule: .ag13)
        }
        var reportedOn = now
        if let day = report.reportedOn {
            guard let parsed = Timestamps.parseDay(day) else {
                throw DomainError.invalidValue("/reportedOn", "reportedOn must be yyyy-MM-dd", expected: "yyyy-MM-dd", actual: day, rule: .ag13)
            }
            reportedOn = parsed
        }
        let change = try institution.reportChange(item, value: report.value, changedOn: changedOn, reportedOn: reportedOn, days: days)
        try await store.save(institution)
        try await store.appendTrace(TraceEvent(at: now, kind: "admin.institution.change", actor: "admin", subject: code,
                                               outcome: change.late ? "late" : "accepted",
                                               payload: ["item": item.rawValue, "changedOn": report.changedOn, "late": change.late ? "1" : "0"]))
        return institution
    }

    package static func runStep(_ step: AgreementStep, kind: AgreementKind, code: String, store: any StoreWriting, now: Date, policy: PolicyProfile) async throws -> Institution {
        guard var institution = try await store.institution(code: code) else {
            throw DomainError(.institutionUnknown, .notFound, rule: nil, pointer: "", "no institution \(code)")
        }
        let staff = try await store.practitioners(institutionCode: code)
        if step.action == .apply { try institution.checkNegativeListLinks(try await store.institutions(), at: step.at ?? now) }
        try await settleLapses(&institution, at: step.at ?? now, store: store, now: now)
        try step.apply(to: &institution, kind: kind, staff: staff, now: now, policy: policy)
        try await store.save(institution)
        try await store.appendTrace(TraceEvent(at: step.at ?? now, kind: "admin.agreement.\(step.action.rawValue)", actor: "admin", subject: code,
                                         payload: ["agreement": kind.rawValue,
                                                   "state": institution.agreement(kind)?.effectiveState(at: step.at ?? now).rawValue ?? ""]))
        return institution
    }

    /// Writes down the lapses that need no decision (AG-2, AG-3, AG-8) as of `at`; a lapse's notice to the applicant
    /// (AG-3) goes into the trace. Run in a write of its own before a step, so a refused step does not undo them.
    package static func settleLapses(code: String, at: Date, store: any StoreWriting, now: Date) async throws {
        guard var institution = try await store.institution(code: code) else { return }
        let before = institution
        try await settleLapses(&institution, at: at, store: store, now: now)
        if institution != before { try await store.save(institution) }
    }

    private static func settleLapses(_ institution: inout Institution, at: Date, store: any StoreWriting, now: Date) async throws {
        let before = institution
        institution.settle(at: at)
        for kind in AgreementKind.allCases {
            guard let agreement = institution.agreement(kind), agreement.state != before.agreement(kind)?.state,
                  agreement.state == .lapsed || agreement.state == .waived, let notice = agreement.lapseNotice else { continue }
            try await store.appendTrace(TraceEvent(at: agreement.history.last(where: { $0.action.rawValue == agreement.state.rawValue })?.at ?? now,
                                                   kind: "admin.agreement.\(agreement.state.rawValue)", actor: "agency", subject: institution.code,
                                                   payload: ["agreement": kind.rawValue, "notice": notice]))
        }
    }

    /// Saves a person: one person per resident ID number and per social-security card.
    package static func savePerson(_ person: InsuredPerson, store: any StoreWriting, pointer: String) async throws {
        try person.validateForRegistration(pointer: pointer)
        if let holder = try await store.person(certno: person.certno), holder.psnNo != person.psnNo {
            throw DomainError(.personCertnoTaken, .conflict, rule: .id1, pointer: pointer + "/certno",
                              "this resident ID number belongs to person \(holder.psnNo); one person per ID number")
        }
        if let card = person.socialSecurityCardNo, let holder = try await store.person(socialSecurityCardNo: card), holder.psnNo != person.psnNo {
            throw DomainError(.personCardTaken, .conflict, rule: .id4, pointer: pointer + "/socialSecurityCardNo",
                              "this social-security card belongs to person \(holder.psnNo)")
        }
        try await store.save(person)
    }

    /// Registers an app credential (one per institution), its key normalised, its dialect credentials checked.
    package static func saveApp(_ app: AppCredential, store: any StoreWriting, now: Date) async throws {
        try TextField.key(app.institutionCode, "/institutionCode", "institutionCode", maximum: 40)
        try TextField.key(app.appSecret, "/appSecret", "appSecret", maximum: 128)
        // Dialect credentials (docs/DIALECTS.md §2): every member present and printable.
        if let csb = app.csb {
            try TextField.key(csb.accessKey, "/csb/accessKey", "csb.accessKey", maximum: 128)
            try TextField.key(csb.secretKey, "/csb/secretKey", "csb.secretKey", maximum: 128)
        }
        if let tif = app.tif {
            try TextField.key(tif.paasid, "/tif/paasid", "tif.paasid", maximum: 128)
            try TextField.key(tif.token, "/tif/token", "tif.token", maximum: 128)
        }
        if let oauth = app.oauth {
            try TextField.key(oauth.clientId, "/oauth/clientId", "oauth.clientId", maximum: 128)
            try TextField.key(oauth.clientSecret, "/oauth/clientSecret", "oauth.clientSecret", maximum: 128)
            try TextField.key(oauth.username, "/oauth/username", "oauth.username", maximum: 128)
            try TextField.key(oauth.password, "/oauth/password", "oauth.password", maximum: 128)
            if app.profile == "jilin-encrypted", oauth.clientId.utf8.count != 16 {
                throw DomainError.invalidValue("/oauth/clientId", "profile jilin-encrypted uses the client id as its 16-byte SM4 key: it must have 16 characters",
                                               actual: "\(oauth.clientId.utf8.count) characters", rule: nil)
            }
            if let other = try await store.apps().first(where: { $0.oauth?.clientId == oauth.clientId && $0.institutionCode != app.institutionCode }) {
                throw DomainError(.oauthClientTaken, .conflict, rule: nil, pointer: "/oauth/clientId",
                                  "this OAuth client id belongs to \(other.institutionCode): one client per institution")
            }
        }
        guard app.appId.utf8.count >= 16 else {
            throw DomainError.invalidValue("/appId", "appId must have at least 16 characters (its first 16 form the SM4 key)", actual: app.appId)
        }
        // Keys as they arrive in the wild: 64-byte X‖Y, hex, Base64 or PEM — stored as Base64 of 04‖X‖Y.
        guard let key = try? SM2.PublicKey(anyFormat: app.publicKey), let normalised = try? key.rawRepresentation.base64 else {
            throw DomainError.invalidValue("/publicKey", "publicKey must be an SM2 point: PEM, or the hex or Base64 of 04‖X‖Y (65 bytes) or X‖Y (64 bytes)")
        }
        var app = app
        app.publicKey = normalised
        guard try await store.institution(code: app.institutionCode) != nil else {
            throw DomainError(.institutionUnknown, .notFound, rule: nil, pointer: "/institutionCode", "no institution \(app.institutionCode)")
        }
        if let existing = try await store.app(institutionCode: app.institutionCode), existing.appId != app.appId {
            throw DomainError(.appExists, .conflict, rule: nil, pointer: "/institutionCode",
                              "\(app.institutionCode) already has app \(existing.appId); one app per institution")
        }
        if let existing = try await store.app(appId: app.appId), existing.institutionCode != app.institutionCode {
            throw DomainError(.appExists, .conflict, rule: nil, pointer: "/appId", "appId \(app.appId) belongs to \(existing.institutionCode)")
        }
        try await store.save(app)
        try await store.appendTrace(TraceEvent(at: now, kind: "admin.app.register", actor: "admin", subject: app.institutionCode, payload: ["appId": app.appId]))
    }

    /// A practitioner from its input, the certificate verified against the trusted roots (PR-3: authenticity can be checked).
    package static func practitioner(from input: PractitionerInput, verifier: CertificateChainVerifier, now: Date) throws -> Practitioner {
        var since: Date?
        if let text = input.independentPracticeSince {
            guard let day = Timestamps.parseDay(text) else {
                throw DomainError.invalidValue("/independentPracticeSince", "must be yyyy-MM-dd", actual: text)
            }
            since = day
        }
        var practitioner = Practitioner(code: input.code, name: input.name, role: input.role, institutionCode: input.institutionCode,
                                        qualificationNo: input.qualificationNo, independentPracticeSince: since, licensed: input.licensed ?? false)
        practitioner.onDuty = input.onDuty
        practitioner.chineseMedicine = input.chineseMedicine
        if let pem = input.certificatePem {
            let certificate: Certificate
            do { certificate = try Certificate(pemRepresentation: pem) } catch {
                throw DomainError.invalidValue("/certificatePem", "not a PEM certificate: \(error)", rule: .pr3)
            }
            if case .invalid(let failures) = verifier.verify(certificate, at: now) {
                throw DomainError(.practitionerCertificateInvalid, .forbidden, rule: .pr3, pointer: "/certificatePem",
                                  "the certificate does not chain to the platform's trusted roots: " + failures.map(\.description).joined(separator: "; "))
            }
            practitioner.certificateSerial = certificate.serialNumberHex
            practitioner.certificateSubject = certificate.subject
        } else if input.certificate != nil {
            throw DomainError.invalidValue("/certificate", "the gateway takes the certificate inline as certificatePem; `yibao serve` resolves certificate paths under certs/", rule: .pr3)
        }
        return practitioner
    }

    // MARK: Fixtures

    /// Loads a fixture in one transaction: everything or nothing.
    /// `profiles`: the dialect profiles the gateway knows; `marker`: a setting written when it loaded.
    package static func load(_ fixture: Fixture, policy: PolicyProfile, profiles: Set<String>, verifier: CertificateChainVerifier, marker: String?,
                             store: any StoreWriting, now: Date) async throws -> JSONValue {
        let practitioners = try fixture.practitioners.enumerated().map { index, input in
            do { return try practitioner(from: input, verifier: verifier, now: now) } catch var error as DomainError {
                error.pointer = "/practitioners/\(index)" + error.pointer
                throw error
            }
        }
        for (index, input) in fixture.institutions.enumerated() {
            guard try await store.institution(code: input.code) == nil else {
                throw DomainError(.institutionExists, .conflict, rule: nil, pointer: "/institutions/\(index)/code", "institution \(input.code) is already registered")
            }
            do { try await store.save(try input.validated()) } catch var error as DomainError {
                error.pointer = "/institutions/\(index)" + error.pointer
                throw error
            }
        }
        for practitioner in practitioners { try await store.save(practitioner) }
        for (index, script) in fixture.agreements.enumerated() {
            for (stepIndex, step) in script.steps.enumerated() {
                do { _ = try await runStep(step, kind: script.kind, code: script.institution, store: store, now: now, policy: policy) } catch var error as DomainError {
                    error.pointer = "/agreements/\(index)/steps/\(stepIndex)" + error.pointer
                    throw error
                }
            }
        }
        for (index, person) in fixture.persons.enumerated() { try await savePerson(person.person, store: store, pointer: "/persons/\(index)") }
        for visit in fixture.offlineVisits { try await store.add(visit) }
        for (index, input) in fixture.filings.enumerated() {
            guard let person = try await store.person(psnNo: input.psnNo) else {
                throw DomainError(.personUnknown, .notFound, rule: .xr2, pointer: "/filings/\(index)/psnNo", "no person \(input.psnNo)")
            }
            let filing = try CrossRegionFiling(filingId: try await Identifiers.mint(.filing, store: store, now: now), psnNo: input.psnNo, kind: input.kind,
                                               insuredAdmdvs: SettlementCalculator.province(person.insuplcAdmdvs), filedAdmdvs: input.filedAdmdvs,
                                               start: input.start ?? now, end: input.end, extraInstitutions: input.extraInstitutions ?? [], measures: policy.measures)
            try await store.save(filing)
        }
        for (index, usage) in fixture.personYears.enumerated() {
            for (name, value) in [("deductibleUsedFen", usage.deductibleUsedFen), ("fundPaidFen", usage.fundPaidFen)] where !(0...Money.maximumFen).contains(value) {
                throw DomainError.invalidValue("/personYears/\(index)/\(name)", "\(name) must be from 0 to \(Money.maximumFen) fen",
                                               expected: "0 … \(Money.maximumFen)", actual: String(value), rule: nil)
            }
            try await store.savePersonYear(psnNo: usage.psnNo, year: usage.year, deductibleUsedFen: usage.deductibleUsedFen, fundPaidFen: usage.fundPaidFen)
        }
        for (index, var app) in fixture.apps.enumerated() {
            do {
                // A fixture institution's `profile` goes to its app unless the app names its own.
                if app.profile == nil { app.profile = fixture.institutions.first { $0.code == app.institutionCode }?.profile }
                if let name = app.profile, !profiles.contains(name) {
                    throw DomainError.invalidValue("/profile", "no dialect profile \(name) (profiles/*.json)", expected: profiles.sorted().joined(separator: " | "), actual: name, rule: nil)
                }
                try await saveApp(app, store: store, now: now)
            } catch var error as DomainError {
                error.pointer = "/apps/\(index)" + error.pointer
                throw error
            }
        }
        if let marker { try await store.setSetting(marker, Timestamps.iso(now)) }
        try await store.appendTrace(TraceEvent(at: now, kind: "admin.fixture.load", actor: "admin", subject: fixture.description.map { String($0.prefix(40)) } ?? "fixture",
                                         payload: ["institutions": String(fixture.institutions.count), "persons": String(fixture.persons.count)]))
        return .object([
            "institutions": .integer(fixture.institutions.count), "practitioners": .integer(practitioners.count),
            "agreementSteps": .integer(fixture.agreements.reduce(0) { $0 + $1.steps.count }), "persons": .integer(fixture.persons.count),
            "offlineVisits": .integer(fixture.offlineVisits.count), "apps": .integer(fixture.apps.count),
        ])
    }
}
