import Foundation
import Hummingbird
import YibaoCore
import YibaoCrypto
import YibaoStore
import YibaoServices

extension AdminEndpoint {
    /// The admin routes of institutions, their agreement steps, practitioners, app credentials, dialect profiles, callback settings.
    func registerInstitutions(on admin: RouterGroup<GatewayRequestContext>) {
        admin.post("/institutions") { request, _ in
            let input = try await decode(InstitutionInput.self, request)
            let now = await gateway.clock.now()
            let candidate = try input.validated()
            let institution = try await gateway.store.write { try await AgencyRegistry.register(candidate, store: $0, now: now) }
            return try JSONResponse.encode(institution, status: .created)
        }
        admin.get("/institutions/:code") { _, context in
            let code = try context.parameters.require("code")
            guard var institution = try await gateway.store.read({ try await $0.institution(code: code) }) else {
                throw DomainError(.institutionUnknown, .notFound, rule: nil, pointer: "", "no institution \(code)")
            }
            // Shown as it stands now: lapses that need no decision (AG-2, AG-3, AG-8) with their notices.
            institution.settle(at: await gateway.clock.now())
            return try JSONResponse.encode(institution)
        }
        admin.post("/institutions/:code/agreements/:kind/:action") { request, context in
            let code = try context.parameters.require("code")
            let kindText = try context.parameters.require("kind")
            let actionText = try context.parameters.require("action")
            guard let kind = AgreementKind(rawValue: kindText) else {
                throw Problem(status: 404, code: .agreementKindUnknown, rule: nil, pointer: "",
                              detail: "agreement kind must be \(AgreementKind.allCases.map(\.rawValue).joined(separator: " or "))", actual: kindText)
            }
            guard let action = AgreementStep.Action(rawValue: actionText) else {
                throw Problem(status: 404, code: .agreementActionUnknown, rule: nil, pointer: "",
                              detail: "actions: \(AgreementStep.Action.allCases.map(\.rawValue).joined(separator: ", "))", actual: actionText)
            }
            var step = try await decode(AgreementStep.self, request, defaultingAction: action)
            step.action = action
            let now = await gateway.clock.now()
            let policy = gateway.configuration.policy
            // Lapses first, in a write of their own: a step refused because of one does not undo it (AG-3).
            try await gateway.store.write { [step] store in try await AgencyRegistry.settleLapses(code: code, at: step.at ?? now, store: store, now: now) }
            let institution = try await gateway.store.write { [step] store -> Institution in
                try await AgencyRegistry.runStep(step, kind: kind, code: code, store: store, now: now, policy: policy)
            }
            return try JSONResponse.encode(institution)
        }
        admin.post("/practitioners") { request, _ in
            let input = try await decode(PractitionerInput.self, request)
            let now = await gateway.clock.now()
            let candidate = try AgencyRegistry.practitioner(from: input, verifier: gateway.certificateVerifier, now: now)
            let practitioner = try await gateway.store.write { try await AgencyRegistry.register(candidate, store: $0, now: now) }
            return try JSONResponse.encode(practitioner, status: .created)
        }
        admin.post("/apps") { request, _ in
            let app = try await decode(AppCredential.self, request)
            let now = await gateway.clock.now()
            try checkProfile(app.profile)
            try await gateway.store.write { store in try await AgencyRegistry.saveApp(app, store: store, now: now) }
            return JSONResponse.make(Self.shown(app), status: .created)
        }
        // The dialect profile an institution speaks (docs/DIALECTS.md); null or absent: the gateway's default.
        admin.post("/institutions/:code/profile") { request, context in
            let code = try context.parameters.require("code")
            let setting = try await decode(ProfileSetting.self, request)
            try checkProfile(setting.profile)
            let now = await gateway.clock.now()
            let app = try await gateway.store.write { try await AgencyRegistry.setProfile(setting.profile, institution: code, store: $0, now: now) }
            return JSONResponse.make(Self.shown(app))
        }
        // AG-13: a change the institution reports (name, person in charge, licensed pharmacist, address, legal representative).
        admin.post("/institutions/:code/changes") { request, context in
            let code = try context.parameters.require("code")
            let report = try await decode(ChangeReport.self, request)
            let now = await gateway.clock.now()
            let measures = gateway.configuration.policy.measures
            let institution = try await gateway.store.write { try await AgencyRegistry.reportChange(report, institution: code, days: measures.changeReportDays, store: $0, now: now) }
            return try JSONResponse.encode(institution)
        }
        // PY-12: the year's total fund budget the agency gives the institution (TJ 18), or null for none.
        admin.post("/institutions/:code/budget") { request, context in
            let code = try context.parameters.require("code")
            let setting = try await decode(BudgetSetting.self, request)
            let now = await gateway.clock.now()
            let institution = try await gateway.store.write { try await AgencyRegistry.setBudget(setting.annualBudgetFen, institution: code, store: $0, now: now) }
            return try JSONResponse.encode(institution)
        }
        admin.post("/institutions/:code/callback") { request, context in
            let code = try context.parameters.require("code")
            let setting = try await decode(CallbackSetting.self, request)
            let now = await gateway.clock.now()
            let app = try await gateway.store.write {
                try await AgencyRegistry.configureCallback(url: setting.url, faults: setting.faults, institution: code, store: $0, now: now)
            }
            return JSONResponse.make(.object(["institutionCode": .string(code), "url": .string(app.callbackURL ?? ""),
                                              "faults": .object(["delaySeconds": .integer(app.callbackFaults?.delaySeconds ?? 0),
                                                                 "duplicate": .bool(app.callbackFaults?.duplicate ?? false),
                                                                 "outOfOrder": .bool(app.callbackFaults?.outOfOrder ?? false)])]))
        }
    }
}
