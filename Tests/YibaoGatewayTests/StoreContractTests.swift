import Foundation
import Testing
import YibaoTestSupport
import YibaoCore
import YibaoCrypto
import YibaoGateway
import YibaoStore

/// The store contract (docs/ARCHITECTURE.md §4), run against every engine: what each service relies on —
/// all-or-nothing transactions, unique idempotency keys and nonces, one unforked trace, callbacks
/// delivered by one process — holds on SQLite and on PostgreSQL alike, also for two stores (two
/// gateway processes) on one database.
@Suite("Store contract: SQLite and PostgreSQL behind one protocol")
struct StoreContractTests {
    let t0 = Date(timeIntervalSince1970: 1_795_000_000)

    func person(_ psnNo: String, certno: String) -> InsuredPerson {
        InsuredPerson(psnNo: psnNo, certno: certno, name: "Zhang San", gender: "1", birthDate: "1980-01-01", insutype: "310",
                      insuplcAdmdvs: "120100", insuranceStatus: "1", realNameVerified: true, internetPaymentSuspended: false)
    }

    func order(_ id: String, medOrgOrd: String, psnNo: String = "P1") -> PaymentOrder {
        PaymentOrder(payOrdId: id, payToken: "tok-\(id)", institutionCode: "H1", medOrgOrd: medOrgOrd, chrgBchno: "B-\(id)", psnNo: psnNo,
                     mdtrtId: "M1", insutype: "310", feeSumFen: 1000, fundFen: 600, accountFen: 0, cashFen: 400, acctUsedFlag: false,
                     settlement: "{}", lines: "[]", createdAt: t0, uploadDigest: "d", uploadAnswer: "{}")
    }

    func callback(_ id: String, institution: String, due: Date) -> Callback {
        Callback(id: id, institutionCode: institution, payOrdId: "O-\(id)", url: "http://127.0.0.1:9/cb", body: "{}", createdAt: due, firstAttemptAt: due)
    }

    /// Runs `body` on a fresh database of `engine`, dropping it afterwards.
    func withDatabase(_ engine: StoreEngine, _ body: (TestDatabase, any GatewayStore) async throws -> Void) async throws {
        let database = try await TestDatabase.fresh(engine)
        do {
            try await body(database, try await database.open())
        } catch {
            await database.drop()
            throw error
        }
        await database.drop()
    }

    @Test("a transaction whose body throws leaves nothing; a committed one is read back whole", arguments: StoreEngine.available)
    func atomicity(engine: StoreEngine) async throws {
        try await withDatabase(engine) { _, store in
            struct Refused: Error {}
            await #expect(throws: Refused.self) {
                try await store.write { tx in
                    try await tx.save(person("P1", certno: "120101198001011234"))
                    try await tx.setSetting("half", "written")
                    throw Refused()
                }
            }
            #expect(try await store.read { try await $0.person(psnNo: "P1") } == nil)
            #expect(try await store.read { try await $0.setting("half") } == nil)
            try await store.write { try await $0.save(person("P1", certno: "120101198001011234")) }
            #expect(try await store.read { try await $0.person(certno: "120101198001011234") }?.psnNo == "P1")
            // A certno held by another person is refused by the database, not silently moved.
            await #expect(throws: (any Error).self) { try await store.write { try await $0.save(person("P2", certno: "120101198001011234")) } }
            #expect(try await store.read { try await $0.person(psnNo: "P2") } == nil)
        }
    }

    @Test("a nonce is recorded once: of twenty concurrent attempts exactly one wins, also across two stores (two gateway processes) on one PostgreSQL database",
          arguments: StoreEngine.available)
    func nonces(engine: StoreEngine) async throws {
        try await withDatabase(engine) { database, store in
            let second = try await database.another(than: store)
            let t0 = t0
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<20 {
                    let target = index.isMultiple(of: 2) ? store : second
                    group.addTask { try await target.write { try await $0.recordNonce(scope: "fsi:H1", value: "H1202612031000000001", at: t0) } }
                }
                var wins = 0
                for try await won in group where won { wins += 1 }
                return wins
            }
            #expect(wins == 1)
            #expect(try await store.write { try await $0.recordNonce(scope: "fsi:H2", value: "H1202612031000000001", at: t0) })
        }
    }

    @Test("idempotency keys are unique by constraint: a second order with the same medOrgOrd is refused; orders are found by key and by person",
          arguments: StoreEngine.available)
    func idempotencyKeys(engine: StoreEngine) async throws {
        try await withDatabase(engine) { _, store in
            try await store.write { try await $0.save(order("O1", medOrgOrd: "MO-1")) }
            await #expect(throws: (any Error).self) { try await store.write { try await $0.save(order("O2", medOrgOrd: "MO-1")) } }
            try await store.write { try await $0.save(order("O3", medOrgOrd: "MO-3", psnNo: "P9")) }
            #expect(try await store.read { try await $0.paymentOrder(institutionCode: "H1", medOrgOrd: "MO-1") }?.payOrdId == "O1")
            #expect(try await store.read { try await $0.paymentOrder(institutionCode: "H1", chrgBchno: "B-O3") }?.payOrdId == "O3")
            #expect(try await store.read { try await $0.paymentOrders(psnNo: "P9") }.map(\.payOrdId) == ["O3"])
            #expect(try await store.read { try await $0.paymentOrders(institutionCode: "H1") }.map(\.payOrdId) == ["O1", "O3"])
        }
    }

    @Test("the trace is one chain: forty concurrent appends (through two stores on PostgreSQL) give seq 1…40, every link intact; the database refuses edits",
          arguments: StoreEngine.available)
    func traceChain(engine: StoreEngine) async throws {
        try await withDatabase(engine) { database, store in
            let second = try await database.another(than: store)
            let t0 = t0
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    let target = index.isMultiple(of: 2) ? store : second
                    group.addTask {
                        _ = try await target.write { try await $0.appendTrace(TraceEvent(at: t0, kind: "test.append", actor: "test", subject: "\(index)")) }
                    }
                }
                try await group.waitForAll()
            }
            let report = try await TraceAudit.verify(store)
            #expect(report.isIntact, "\(report.problems)")
            #expect(report.entries == 40)
            let entries = try await store.read { try await $0.traceEntries(from: 0, limit: 100) }
            #expect(entries.map(\.seq) == Array(1...40))
            #expect(Set(entries.map(\.subject)).count == 40)
            await #expect(throws: (any Error).self) { try await database.execute("UPDATE trace SET outcome = 'forged' WHERE seq = 3") }
            await #expect(throws: (any Error).self) { try await database.execute("DELETE FROM trace WHERE seq = 40") }
            #expect(try await TraceAudit.verify(store).isIntact)
        }
    }

    @Test("a due callback is claimed once: two claims at once (two stores on PostgreSQL) split the callbacks; a claimed one is due again only after its lease",
          arguments: StoreEngine.available)
    func callbackClaims(engine: StoreEngine) async throws {
        try await withDatabase(engine) { database, store in
            let second = try await database.another(than: store)
            let t0 = t0
            try await store.write { tx in
                for index in 0..<6 { try await tx.save(callback("C\(index)", institution: "H\(index % 3)", due: t0.addingTimeInterval(Double(index)))) }
            }
            let now = t0.addingTimeInterval(60), lease = t0.addingTimeInterval(300)
            async let first = store.write { try await $0.claimDueCallbacks(at: now, perInstitution: 20, excluding: [], leaseUntil: lease) }
            async let other = second.write { try await $0.claimDueCallbacks(at: now, perInstitution: 20, excluding: [], leaseUntil: lease) }
            let (a, b) = try await (first, other)
            #expect(Set(a.map(\.id)).isDisjoint(with: b.map(\.id)))
            #expect(Set(a.map(\.id)).union(b.map(\.id)) == Set((0..<6).map { "C\($0)" }))
            #expect(try await store.write { try await $0.claimDueCallbacks(at: now, perInstitution: 20, excluding: [], leaseUntil: lease) }.isEmpty)
            // Excluding busy institutions, at most perInstitution each, after the lease.
            let later = try await store.write { try await $0.claimDueCallbacks(at: lease, perInstitution: 1, excluding: ["H0"], leaseUntil: lease.addingTimeInterval(300)) }
            #expect(later.map(\.id) == ["C1", "C2"])
        }
    }

    @Test("committed FSI messages, chronic filings, a person's visits: written, updated in place (a reversal), found by key, subject and person; another institution's msgid is not found",
          arguments: StoreEngine.available)
    func aroundSettlement(engine: StoreEngine) async throws {
        try await withDatabase(engine) { _, store in
            var message = FSIMessage(institutionCode: "H1", msgid: "H1-1", infno: "2207", subject: "SETL1", psnNo: "P1", at: t0, facts: ["psn_no": "P1"])
            let first = message
            try await store.write { tx in
                try await tx.save(first)
                try await tx.save(FSIMessage(institutionCode: "H1", msgid: "H1-2", infno: "2001", subject: "P1", psnNo: "P1", at: t0, facts: ["passed": "0"]))
                try await tx.save(FSIMessage(institutionCode: "H1", msgid: "H1-3", infno: "2001", subject: "P1", psnNo: "P1", at: t0.addingTimeInterval(1),
                                             facts: ["passed": "1"]))
            }
            message.reversedBy = "H1-9"
            message.reversalAnswer = "{}"
            let reversed = message
            try await store.write { try await $0.save(reversed) }
            #expect(try await store.read { try await $0.fsiMessage(institutionCode: "H1", msgid: "H1-1") }?.reversedBy == "H1-9")
            #expect(try await store.read { try await $0.fsiMessage(institutionCode: "H2", msgid: "H1-1") } == nil)
            let checks = try await store.read { try await $0.fsiMessages(institutionCode: "H1", infno: "2001", subject: "P1") }
            #expect(checks.map(\.msgid) == ["H1-2", "H1-3"])
            var filing = try ChronicFiling(trtDclaDetlSn: "TD1", psnNo: "P1", insutype: "310", diseaseCode: "E11.900", diseaseName: "T2D",
                                           institutionCode: "H1", beginDate: "2026-01-01", endDate: "2026-12-31", doctorCode: "", doctorName: "",
                                           diagnosisDate: "", catalogue: ["E11"], at: t0, pointer: "/input/data")
            let filed = filing
            try await store.write { try await $0.save(filed) }
            try filing.cancel(at: t0, reason: "test", pointer: "/x")
            let cancelled = filing
            try await store.write { try await $0.save(cancelled) }
            let filings = try await store.read { try await $0.chronicFilings(psnNo: "P1") }
            #expect(filings.map(\.status) == [.cancelled])
            #expect(try await store.read { try await $0.chronicFiling(trtDclaDetlSn: "TD1") }?.cancelReason == "test")
            let visit = Registration(mdtrtId: "M1", psnNo: "P1", institutionCode: "H1", insutype: "310", iptOtpNo: "1", beginTime: "2026-01-01 08:00:00",
                                     medium: .residentID, doctorCode: "D1", doctorName: "Li", deptCode: "A03", deptName: "Int", caty: "A03", registeredAt: t0)
            try await store.write { try await $0.save(visit) }
            #expect(try await store.read { try await $0.registrations(psnNo: "P1") }.map(\.mdtrtId) == ["M1"])
            #expect(try await store.read { try await $0.registrations(psnNo: "P2") }.isEmpty)
            #expect(try await store.read { try await $0.prescriptions(psnNo: "P1") }.isEmpty)
        }
    }

    @Test("a closed PostgreSQL store (a deleted sandbox's) refuses reads and writes at once instead of waiting for a pool that no longer runs",
          .enabled(if: StoreEngine.postgresURL != nil, "needs YIBAO_TEST_POSTGRES_URL"))
    func closedStoreFailsFast() async throws {
        try await withDatabase(.postgres) { _, store in
            let postgres = try #require(store as? PostgresStore)
            #expect(try await postgres.read { try await $0.institutions() }.isEmpty)
            postgres.close()
            // Raced against a deadline, so a regression fails the test instead of hanging the suite.
            let outcome = try await withThrowingTaskGroup(of: String.self) { group in
                group.addTask {
                    do { _ = try await postgres.read { try await $0.institutions() } } catch StoreError.closed { return "read refused" }
                    do { try await postgres.write { try await $0.setSetting("k", "v") } } catch StoreError.closed { return "both refused" }
                    return "served after close"
                }
                group.addTask { try await Task.sleep(for: .seconds(10)); return "still waiting after 10 s" }
                let first = try await group.next() ?? ""
                group.cancelAll()
                return first
            }
            #expect(outcome == "read refused", "\(outcome)")
            await #expect(throws: StoreError.self) { try await postgres.write { try await $0.setSetting("k", "v") } }
        }
    }

    @Test("counters and kept values: the person's year, settings, kept answers until they expire, access tokens, refusal counts, the passive log and its pruning",
          arguments: StoreEngine.available)
    func keptValues(engine: StoreEngine) async throws {
        try await withDatabase(engine) { _, store in
            let t0 = t0
            try await store.write { tx in
                try await tx.savePersonYear(psnNo: "P1", year: 2026, deductibleUsedFen: 50_000, fundPaidFen: 12_345)
                try await tx.savePersonYear(psnNo: "P1", year: 2026, deductibleUsedFen: 60_000, fundPaidFen: 22_345)
                try await tx.setSetting("clock.offset", "86400")
                try await tx.keepAnswer(scope: "ec.query", key: "Q1", answer: "{\"a\":1}", at: t0, expiresAt: t0.addingTimeInterval(60))
                try await tx.save(AccessTokenRecord(digest: "D1", institutionCode: "H1", issuedAt: t0, expiresAt: t0.addingTimeInterval(3600)))
                for _ in 0..<3 { try await tx.countUnauthenticatedRefusal(kind: "fsi.1101", code: "FSI_SIGNATURE_INVALID", pointer: "/cainfo", source: "10.0.0.1", at: t0) }
                for index in 0..<5 {
                    try await tx.recordConformanceCheck(ConformanceCheckRecord(institutionCode: "H1", channel: .fsi, transaction: "1101",
                                                                               at: t0.addingTimeInterval(Double(index)), outcome: .refused,
                                                                               code: "FIELD_MISSING", rule: "PROTOCOL-FIELDS", pointer: "/input",
                                                                               diagnosis: ["line \(index)"], messageId: "M\(index)"))
                }
            }
            let year = try await store.read { try await $0.personYear(psnNo: "P1", year: 2026) }
            #expect(year.deductibleUsedFen == 60_000 && year.fundPaidFen == 22_345)
            #expect(try await store.read { try await $0.personYear(psnNo: "P1", year: 2025) }.fundPaidFen == 0)
            #expect(try await store.read { try await $0.setting("clock.offset") } == "86400")
            #expect(try await store.read { try await $0.keptAnswer(scope: "ec.query", key: "Q1", at: t0.addingTimeInterval(59)) } == "{\"a\":1}")
            #expect(try await store.read { try await $0.keptAnswer(scope: "ec.query", key: "Q1", at: t0.addingTimeInterval(61)) } == nil)
            #expect(try await store.read { try await $0.accessToken(digest: "D1") }?.institutionCode == "H1")
            let refusals = try await store.read { try await $0.unauthenticatedRefusals() }
            #expect(refusals.count == 1 && refusals.first?.count == 3)
            let checks = try await store.read { try await $0.conformanceChecks(institutionCode: "H1") }
            #expect(checks.map(\.messageId) == ["M0", "M1", "M2", "M3", "M4"])
            #expect(try await store.read { try await $0.conformanceCheckCount(institutionCode: "H1") } == 5)
            #expect(try await store.read { try await $0.conformanceCheckCount(institutionCode: "H2") } == 0)
            #expect(checks.first?.diagnosis == ["line 0"] && checks.first?.rule == "PROTOCOL-FIELDS")
            let pruned = try await store.write { try await $0.pruneConformanceChecks(institutionCode: "H1", keepLatest: 2, olderThan: t0) }
            #expect(pruned == 3)
            #expect(try await store.read { try await $0.conformanceChecks(institutionCode: "H1") }.map(\.messageId) == ["M3", "M4"])
            // An HSE record keeps its sealed data's start and what it opened to.
            let sealed = ConformanceCheckRecord(institutionCode: "H3", channel: .hse, transaction: "ec.query", at: t0, outcome: .accepted, code: "OK",
                                                sealed: "9F3A… (640 characters)", opened: #"{"qrCode":"ECQR…(36 chars)"}"#)
            try await store.write { _ = try await $0.recordConformanceCheck(sealed) }
            let kept = try await store.read { try await $0.conformanceChecks(institutionCode: "H3") }
            #expect(kept.first?.sealed == sealed.sealed && kept.first?.opened == sealed.opened)
        }
    }

    @Test("reconciliation and statistics are aggregates over typed columns: a paid order counts net of its refunds inside its period, an unpaid one not at all",
          arguments: StoreEngine.available)
    func settlementFigures(engine: StoreEngine) async throws {
        try await withDatabase(engine) { _, store in
            let t0 = t0
            var paid = order("O1", medOrgOrd: "MO-1")
            paid.lines = #"[{"med_chrgitm_type":"09","det_item_fee_sumamt":"7.00"},{"med_chrgitm_type":"01","det_item_fee_sumamt":"3.00"}]"#
            paid.setlId = "SETL1"
            paid.settlement = #"{"insutype":"310","insuplc_admdvs":"120000"}"#
            paid.paidAt = t0.addingTimeInterval(60)
            paid.refunds = [Refund(appRefdSn: "R1", refundType: "1", totalFen: 100, accountFen: 0, fundFen: 60, cashFen: 40, at: t0.addingTimeInterval(120),
                                                requestDigest: "d", answer: "{}")]
            let settled = paid, unpaid = order("O2", medOrgOrd: "MO-2")      // uploaded, never paid
            try await store.write { tx in
                try await tx.save(settled)
                try await tx.save(unpaid)
            }
            let entries = try await store.read { try await $0.settlementEntries(institutionCode: "H1", from: t0, to: t0.addingTimeInterval(3600)) }
            #expect(entries.count == 1)
            #expect(entries.first?.id == "O1" && entries.first?.kind == "6202")
            #expect(entries.first?.medfee == 900 && entries.first?.fund == 540 && entries.first?.cash == 360)
            // What 3201 groups by and 3202 compares: the person, the visit, the insurance type, the place of insurance.
            #expect(entries.first?.psnNo == "P1" && entries.first?.mdtrtId == "M1" && entries.first?.insutype == "310" && entries.first?.insuredAdmdvs == "120000")
            #expect(try await store.read { try await $0.settlementEntries(institutionCode: "H1", from: t0.addingTimeInterval(61), to: t0.addingTimeInterval(3600)) }.isEmpty)
            #expect(try await store.read { try await $0.settlementEntries(institutionCode: "H2", from: t0, to: t0.addingTimeInterval(3600)) }.isEmpty)
            let statistics = try await store.read { try await $0.settlementStatistics() }
            // Statistics count the order net of its refund, as reconciliation does (SV-4).
            #expect(statistics.settlements == 1 && statistics.medfeeFen == 900)
            #expect(statistics.feesByChargeType == ["09": 700, "01": 300])
        }
    }

    @Test("a database written by a newer yibao is refused with the versions named; nothing is changed", arguments: StoreEngine.available)
    func newerSchema(engine: StoreEngine) async throws {
        try await withDatabase(engine) { database, store in
            try await store.write { try await $0.setSetting("kept", "yes") }
            switch engine {
            case .sqlite: try await database.execute("INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
            case .postgres: try await database.execute("INSERT INTO yibao_schema (version, name) VALUES (99, 'from the future')")
            }
            do {
                _ = try await database.open()
                Issue.record("a newer schema was opened")
            } catch let error as StoreError {
                #expect(error.description.contains(engine == .sqlite ? "v99-from-the-future" : "99"), "\(error)")
                #expect(error.description.contains("newer"))
            }
            #expect(try await store.read { try await $0.setting("kept") } == "yes")
        }
    }

    @Test("CI runs the store contract on PostgreSQL too")
    func postgresInCI() {
        if ProcessInfo.processInfo.environment["CI"] != nil {
            #expect(StoreEngine.postgresURL != nil, "CI must set YIBAO_TEST_POSTGRES_URL (scripts/start-postgres.sh)")
        }
    }
}
