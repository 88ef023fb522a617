import Foundation
import Logging
import PostgresNIO
import Synchronization
import YibaoCore

/// A value bound to a statement's `$n`.
enum SQLValue: Sendable {
    case text(String?)
    case int(Int64?)
    case texts([String])
}

/// The store's contract on one PostgreSQL connection, inside the transaction ``PostgresStore`` opened.
struct PostgresSession: StoreWriting {
    /// Statements are not logged (they carry personal data as bound values); errors surface as thrown errors.
    static let logger: Logger = {
        var logger = Logger(label: "yibao-postgres")
        logger.logLevel = .critical
        return logger
    }()

    let connection: PostgresConnection
    /// The trace's head as this session last read or wrote it, for a group's write transaction
    /// (which holds the store's advisory lock, so no other process appends meanwhile): the members
    /// after the first append without reading it back. Nil for other sessions.
    var traceHeadCache: TraceHeadCache? = nil

    // MARK: Plumbing

    private func query(_ sql: String, _ values: [SQLValue]) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .text(let text): bindings.append(text)
            case .int(let number): bindings.append(number)
            case .texts(let texts): bindings.append(texts)
            }
        }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    func execute(_ sql: String, _ values: [SQLValue] = []) async throws {
        try await connection.query(query(sql, values), logger: Self.logger)
    }

    private func rows(_ sql: String, _ values: [SQLValue]) async throws -> PostgresRowSequence {
        try await connection.query(query(sql, values), logger: Self.logger)
    }

    private func texts(_ sql: String, _ values: [SQLValue] = []) async throws -> [String] {
        var result: [String] = []
        for try await text in try await rows(sql, values).decode(String.self) { result.append(text) }
        return result
    }

    private func text(_ sql: String, _ values: [SQLValue] = []) async throws -> String? { try await texts(sql, values).first }

    private func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private func decode<T: Decodable & Sendable>(_ type: T.Type, _ text: String) throws -> T {
        try DocumentCache.shared.value(type, text: text) { text in
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .millisecondsSince1970
            return try decoder.decode(type, from: Data(text.utf8))
        }
    }

    /// The one document `sql` selects (`SELECT doc::text …`), if any.
    private func one<T: Decodable & Sendable>(_ type: T.Type, _ sql: String, _ values: [SQLValue] = []) async throws -> T? {
        try await text(sql, values).map { try decode(type, $0) }
    }

    private func all<T: Decodable & Sendable>(_ type: T.Type, _ sql: String, _ values: [SQLValue] = []) async throws -> [T] {
        try await texts(sql, values).map { try decode(type, $0) }
    }

    private static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    private static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }

    // MARK: Reading

    func person(psnNo: String) async throws -> InsuredPerson? { try await one(InsuredPerson.self, "SELECT doc::text FROM persons WHERE psn_no = $1", [.text(psnNo)]) }
    func person(certno: String) async throws -> InsuredPerson? { try await one(InsuredPerson.self, "SELECT doc::text FROM persons WHERE certno = $1", [.text(certno)]) }
    func person(socialSecurityCardNo: String) async throws -> InsuredPerson? {
        try await one(InsuredPerson.self, "SELECT doc::text FROM persons WHERE card_no = $1 LIMIT 1", [.text(socialSecurityCardNo)])
    }
    func persons() async throws -> [InsuredPerson] { try await all(InsuredPerson.self, "SELECT doc::text FROM persons ORDER BY psn_no") }
    func institution(code: String) async throws -> Institution? { try await one(Institution.self, "SELECT doc::text FROM institutions WHERE code = $1", [.text(code)]) }
    func institutions() async throws -> [Institution] { try await all(Institution.self, "SELECT doc::text FROM institutions ORDER BY code") }
    func app(appId: String) async throws -> AppCredential? { try await one(AppCredential.self, "SELECT doc::text FROM apps WHERE app_id = $1", [.text(appId)]) }
    func app(institutionCode: String) async throws -> AppCredential? {
        try await one(AppCredential.self, "SELECT doc::text FROM apps WHERE institution_code = $1", [.text(institutionCode)])
    }
    func apps() async throws -> [AppCredential] { try await all(AppCredential.self, "SELECT doc::text FROM apps ORDER BY institution_code") }
    func practitioner(code: String) async throws -> Practitioner? { try await one(Practitioner.self, "SELECT doc::text FROM practitioners WHERE code = $1", [.text(code)]) }
    func practitioners(institutionCode: String) async throws -> [Practitioner] {
        try await all(Practitioner.self, "SELECT doc::text FROM practitioners WHERE institution_code = $1 ORDER BY code", [.text(institutionCode)])
    }
    func offlineVisits(psnNo: String) async throws -> [OfflineVisit] {
        try await all(OfflineVisit.self, "SELECT doc::text FROM offline_visits WHERE psn_no = $1 ORDER BY id", [.text(psnNo)])
    }
    func qrCode(_ code: String) async throws -> VoucherQRCode? { try await one(VoucherQRCode.self, "SELECT doc::text FROM qr_codes WHERE code = $1", [.text(code)]) }
    func ecToken(_ token: String) async throws -> ECToken? { try await one(ECToken.self, "SELECT doc::text FROM ec_tokens WHERE token = $1", [.text(token)]) }
    func walletAuthorisation(authCode: String) async throws -> WalletAuthorisation? {
        try await one(WalletAuthorisation.self, "SELECT doc::text FROM wallet_authorisations WHERE auth_code = $1", [.text(authCode)])
    }
    func walletAuthorisation(payAuthNo: String) async throws -> WalletAuthorisation? {
        try await one(WalletAuthorisation.self, "SELECT doc::text FROM wallet_authorisations WHERE pay_auth_no = $1", [.text(payAuthNo)])
    }
    func registration(mdtrtId: String) async throws -> Registration? {
        try await one(Registration.self, "SELECT doc::text FROM registrations WHERE mdtrt_id = $1", [.text(mdtrtId)])
    }
    func signIn(signNo: String) async throws -> SignIn? { try await one(SignIn.self, "SELECT doc::text FROM sign_ins WHERE sign_no = $1", [.text(signNo)]) }
    func prescription(hiRxno: String) async throws -> PrescriptionRecord? {
        try await one(PrescriptionRecord.self, "SELECT doc::text FROM prescriptions WHERE hi_rxno = $1", [.text(hiRxno)])
    }
    func prescription(rxTraceCode: String) async throws -> PrescriptionRecord? {
        try await one(PrescriptionRecord.self, "SELECT doc::text FROM prescriptions WHERE rx_trace_code = $1", [.text(rxTraceCode)])
    }
    func prescription(institutionCode: String, hospRxno: String) async throws -> PrescriptionRecord? {
        try await one(PrescriptionRecord.self, "SELECT doc::text FROM prescriptions WHERE institution_code = $1 AND hosp_rxno = $2",
                      [.text(institutionCode), .text(hospRxno)])
    }
    func paymentOrder(payOrdId: String) async throws -> PaymentOrder? {
        try await one(PaymentOrder.self, "SELECT doc::text FROM payment_orders WHERE pay_ord_id = $1", [.text(payOrdId)])
    }
    func paymentOrder(institutionCode: String, medOrgOrd: String) async throws -> PaymentOrder? {
        try await one(PaymentOrder.self, "SELECT doc::text FROM payment_orders WHERE institution_code = $1 AND med_org_ord = $2",
                      [.text(institutionCode), .text(medOrgOrd)])
    }
    func paymentOrder(institutionCode: String, chrgBchno: String) async throws -> PaymentOrder? {
        try await one(PaymentOrder.self, "SELECT doc::text FROM payment_orders WHERE institution_code = $1 AND chrg_bchno = $2",
                      [.text(institutionCode), .text(chrgBchno)])
    }
    func paymentOrder(institutionCode: String, appRefdSn: String) async throws -> PaymentOrder? {
        try await one(PaymentOrder.self, """
            SELECT o.doc::text FROM refunds r JOIN payment_orders o ON o.pay_ord_id = r.pay_ord_id
            WHERE r.institution_code = $1 AND r.app_refd_sn = $2
            """, [.text(institutionCode), .text(appRefdSn)])
    }
    func paymentOrders(institutionCode: String?) async throws -> [PaymentOrder] {
        if let institutionCode {
            return try await all(PaymentOrder.self, "SELECT doc::text FROM payment_orders WHERE institution_code = $1 ORDER BY position", [.text(institutionCode)])
        }
        return try await all(PaymentOrder.self, "SELECT doc::text FROM payment_orders ORDER BY position")
    }
    func paymentOrders(psnNo: String) async throws -> [PaymentOrder] {
        try await all(PaymentOrder.self, "SELECT doc::text FROM payment_orders WHERE psn_no = $1 ORDER BY position", [.text(psnNo)])
    }
    func personYear(psnNo: String, year: Int) async throws -> (deductibleUsedFen: Int64, fundPaidFen: Int64) {
        let found = try await rows("SELECT deductible_used, fund_paid FROM person_years WHERE psn_no = $1 AND year = $2", [.text(psnNo), .int(Int64(year))])
        for try await (deductible, fund) in found.decode((Int64, Int64).self) { return (deductible, fund) }
        return (0, 0)
    }
    func callback(id: String) async throws -> Callback? { try await one(Callback.self, "SELECT doc::text FROM callbacks WHERE id = $1", [.text(id)]) }
    func callbacks(institutionCode: String?, limit: Int) async throws -> [Callback] {
        if let institutionCode {
            return try await all(Callback.self, "SELECT doc::text FROM callbacks WHERE institution_code = $1 ORDER BY created_at DESC, id LIMIT $2",
                                 [.text(institutionCode), .int(Int64(limit))])
        }
        return try await all(Callback.self, "SELECT doc::text FROM callbacks ORDER BY created_at DESC, id LIMIT $1", [.int(Int64(limit))])
    }
    func dueCallbacks(at now: Date, limit: Int) async throws -> [Callback] {
        try await all(Callback.self, "SELECT doc::text FROM callbacks WHERE state = 'pending' AND next_attempt_at <= $1 ORDER BY created_at, id LIMIT $2",
                      [.int(Self.millis(now)), .int(Int64(limit))])
    }
    private static let dueByInstitution = """
        SELECT id, doc::text FROM (
            SELECT id, doc, created_at, ROW_NUMBER() OVER (PARTITION BY institution_code ORDER BY created_at, id) AS position
            FROM callbacks WHERE state = 'pending' AND next_attempt_at <= $1 AND NOT (institution_code = ANY($2)))
        AS due WHERE position <= $3 ORDER BY created_at, id
        """
    func dueCallbacks(at now: Date, perInstitution: Int, excluding: Set<String>) async throws -> [Callback] {
        var result: [Callback] = []
        let found = try await rows(Self.dueByInstitution, [.int(Self.millis(now)), .texts(excluding.sorted()), .int(Int64(perInstitution))])
        for try await (_, doc) in found.decode((String, String).self) { result.append(try decode(Callback.self, doc)) }
        return result
    }
    func filings(psnNo: String) async throws -> [CrossRegionFiling] {
        try await all(CrossRegionFiling.self, "SELECT doc::text FROM filings WHERE psn_no = $1 ORDER BY position", [.text(psnNo)])
    }
    func filing(id: String) async throws -> CrossRegionFiling? { try await one(CrossRegionFiling.self, "SELECT doc::text FROM filings WHERE filing_id = $1", [.text(id)]) }
    func outpatientSettlements(institutionCode: String?) async throws -> [OutpatientSettlement] {
        if let institutionCode {
            return try await all(OutpatientSettlement.self, "SELECT doc::text FROM outpatient_settlements WHERE institution_code = $1 ORDER BY position",
                                 [.text(institutionCode)])
        }
        return try await all(OutpatientSettlement.self, "SELECT doc::text FROM outpatient_settlements ORDER BY position")
    }
    func outpatientSettlements(psnNo: String) async throws -> [OutpatientSettlement] {
        try await all(OutpatientSettlement.self, "SELECT doc::text FROM outpatient_settlements WHERE psn_no = $1 ORDER BY position", [.text(psnNo)])
    }
    func feeDetails(mdtrtId: String) async throws -> [FeeDetail] {
        try await all(FeeDetail.self, "SELECT doc::text FROM fee_details WHERE mdtrt_id = $1 ORDER BY seq", [.text(mdtrtId)])
    }
    func outpatientSettlement(setlId: String) async throws -> OutpatientSettlement? {
        try await one(OutpatientSettlement.self, "SELECT doc::text FROM outpatient_settlements WHERE setl_id = $1", [.text(setlId)])
    }
    func outpatientSettlement(mdtrtId: String, chrgBchno: String) async throws -> OutpatientSettlement? {
        try await one(OutpatientSettlement.self, "SELECT doc::text FROM outpatient_settlements WHERE mdtrt_id = $1 AND chrg_bchno = $2 ORDER BY position DESC LIMIT 1",
                      [.text(mdtrtId), .text(chrgBchno)])
    }
    func setting(_ key: String) async throws -> String? { try await text("SELECT value FROM settings WHERE key = $1", [.text(key)]) }

    private static let traceColumns = "seq, at, kind, actor, subject, outcome, payload, prev_hash, hash"

    private func traceRows(_ sql: String, _ values: [SQLValue]) async throws -> [TraceEntry] {
        var entries: [TraceEntry] = []
        let found = try await rows(sql, values)
        for try await (seq, at, kind, actor, subject, outcome, payload, previous, hash)
            in found.decode((Int64, Int64, String, String, String, String, String, String, String).self) {
            entries.append(TraceEntry(seq: seq, atMillis: at, kind: kind, actor: actor, subject: subject, outcome: outcome,
                                      payload: payload, previousHash: previous, hash: hash))
        }
        return entries
    }
    func traceEntries(from: Int64, limit: Int) async throws -> [TraceEntry] {
        try await traceRows("SELECT \(Self.traceColumns) FROM trace WHERE seq >= $1 ORDER BY seq LIMIT $2", [.int(from), .int(Int64(limit))])
    }
    func traceHead() async throws -> TraceEntry? {
        if let cached = traceHeadCache?.entry { return cached }
        let head = try await traceRows("SELECT \(Self.traceColumns) FROM trace ORDER BY seq DESC LIMIT 1", []).first
        traceHeadCache?.entry = head
        return head
    }

    func conformanceChecks(institutionCode: String) async throws -> [ConformanceCheckRecord] {
        var records: [ConformanceCheckRecord] = []
        let found = try await rows("""
            SELECT id, institution_code, channel, transaction_name, at, outcome, code, rule, pointer, detail, expected, actual,
                sign_string, diagnosis, msgid, evidence, sealed, opened
            FROM conformance_checks WHERE institution_code = $1 ORDER BY id
            """, [.text(institutionCode)])
        for try await row in found {
            let columns = row.makeRandomAccess()
            func optional(_ name: String) throws -> String? { try columns[name].decode(String?.self) }
            func required(_ name: String) throws -> String { try columns[name].decode(String.self) }
            let diagnosis = (try? decode([String].self, try required("diagnosis"))) ?? []
            records.append(ConformanceCheckRecord(
                id: try columns["id"].decode(Int64.self), institutionCode: try required("institution_code"),
                channel: ConformanceCheckRecord.Channel(rawValue: try required("channel")) ?? .fsi, transaction: try required("transaction_name"),
                at: Self.date(try columns["at"].decode(Int64.self)), outcome: ConformanceCheckRecord.Outcome(rawValue: try required("outcome")) ?? .refused,
                code: try required("code"), rule: try optional("rule"), pointer: try optional("pointer"), detail: try optional("detail"),
                expected: try optional("expected"), actual: try optional("actual"), signString: try optional("sign_string"), diagnosis: diagnosis,
                messageId: try optional("msgid"), evidence: try optional("evidence"), sealed: try optional("sealed"), opened: try optional("opened")))
        }
        return records
    }

    func unauthenticatedRefusals() async throws -> [UnauthenticatedRefusalCount] {
        var counts: [UnauthenticatedRefusalCount] = []
        let found = try await rows("""
            SELECT kind, code, count, first_at, last_at, last_pointer, last_source FROM unauthenticated_refusals ORDER BY count DESC, kind, code
            """, [])
        for try await (kind, code, count, first, last, pointer, source) in found.decode((String, String, Int64, Int64, Int64, String, String).self) {
            counts.append(UnauthenticatedRefusalCount(kind: kind, code: code, count: count, firstAt: Self.date(first), lastAt: Self.date(last),
                                                      lastPointer: pointer, lastSource: source))
        }
        return counts
    }

    func keptAnswer(scope: String, key: String, at now: Date) async throws -> String? {
        try await text("SELECT answer FROM kept_answers WHERE scope = $1 AND key = $2 AND expires_at >= $3", [.text(scope), .text(key), .int(Self.millis(now))])
    }

    func accessToken(digest: String) async throws -> AccessTokenRecord? {
        let found = try await rows("SELECT digest, institution_code, issued_at, expires_at FROM access_tokens WHERE digest = $1", [.text(digest)])
        for try await (digest, institution, issued, expires) in found.decode((String, String, Int64, Int64).self) {
            return AccessTokenRecord(digest: digest, institutionCode: institution, issuedAt: Self.date(issued), expiresAt: Self.date(expires))
        }
        return nil
    }

    // MARK: Writing

    func save(_ person: InsuredPerson) async throws {
        try await execute("""
            INSERT INTO persons (psn_no, certno, card_no, doc) VALUES ($1, $2, $3, $4::jsonb)
            ON CONFLICT (psn_no) DO UPDATE SET certno = excluded.certno, card_no = excluded.card_no, doc = excluded.doc
            """, [.text(person.psnNo), .text(person.certno), .text(person.socialSecurityCardNo), .text(try encode(person))])
    }
    func save(_ institution: Institution) async throws {
        try await execute("INSERT INTO institutions (code, doc) VALUES ($1, $2::jsonb) ON CONFLICT (code) DO UPDATE SET doc = excluded.doc",
                          [.text(institution.code), .text(try encode(institution))])
    }
    func save(_ app: AppCredential) async throws {
        // As SQLite's INSERT OR REPLACE: the institution's previous app (another appId) gives way.
        try await execute("DELETE FROM apps WHERE institution_code = $1 AND app_id <> $2", [.text(app.institutionCode), .text(app.appId)])
        try await execute("""
            INSERT INTO apps (app_id, institution_code, doc) VALUES ($1, $2, $3::jsonb)
            ON CONFLICT (app_id) DO UPDATE SET institution_code = excluded.institution_code, doc = excluded.doc
            """, [.text(app.appId), .text(app.institutionCode), .text(try encode(app))])
    }
    func save(_ practitioner: Practitioner) async throws {
        try await execute("""
            INSERT INTO practitioners (code, institution_code, doc) VALUES ($1, $2, $3::jsonb)
            ON CONFLICT (code) DO UPDATE SET institution_code = excluded.institution_code, doc = excluded.doc
            """, [.text(practitioner.code), .text(practitioner.institutionCode), .text(try encode(practitioner))])
    }
    func add(_ visit: OfflineVisit) async throws {
        try await execute("INSERT INTO offline_visits (psn_no, doc) VALUES ($1, $2::jsonb)", [.text(visit.psnNo), .text(try encode(visit))])
    }
    func save(_ qrCode: VoucherQRCode) async throws {
        try await execute("INSERT INTO qr_codes (code, doc) VALUES ($1, $2::jsonb) ON CONFLICT (code) DO UPDATE SET doc = excluded.doc",
                          [.text(qrCode.code), .text(try encode(qrCode))])
    }
    func save(_ token: ECToken) async throws {
        try await execute("INSERT INTO ec_tokens (token, doc) VALUES ($1, $2::jsonb) ON CONFLICT (token) DO UPDATE SET doc = excluded.doc",
                          [.text(token.token), .text(try encode(token))])
    }
    func save(_ authorisation: WalletAuthorisation) async throws {
        try await execute("""
            INSERT INTO wallet_authorisations (auth_code, pay_auth_no, doc) VALUES ($1, $2, $3::jsonb)
            ON CONFLICT (auth_code) DO UPDATE SET pay_auth_no = excluded.pay_auth_no, doc = excluded.doc
            """, [.text(authorisation.authCode), .text(authorisation.payAuthNo), .text(try encode(authorisation))])
    }
    func save(_ registration: Registration) async throws {
        try await execute("""
            INSERT INTO registrations (mdtrt_id, psn_no, institution_code, doc) VALUES ($1, $2, $3, $4::jsonb)
            ON CONFLICT (mdtrt_id) DO UPDATE SET psn_no = excluded.psn_no, institution_code = excluded.institution_code, doc = excluded.doc
            """, [.text(registration.mdtrtId), .text(registration.psnNo), .text(registration.institutionCode), .text(try encode(registration))])
    }
    func save(_ signIn: SignIn) async throws {
        try await execute("""
            INSERT INTO sign_ins (sign_no, institution_code, doc) VALUES ($1, $2, $3::jsonb)
            ON CONFLICT (sign_no) DO UPDATE SET institution_code = excluded.institution_code, doc = excluded.doc
            """, [.text(signIn.signNo), .text(signIn.institutionCode), .text(try encode(signIn))])
    }
    func save(_ prescription: PrescriptionRecord) async throws {
        try await execute("""
            INSERT INTO prescriptions (hi_rxno, rx_trace_code, institution_code, hosp_rxno, psn_no, doc) VALUES ($1, $2, $3, $4, $5, $6::jsonb)
            ON CONFLICT (hi_rxno) DO UPDATE SET doc = excluded.doc
            """, [.text(prescription.hiRxno), .text(prescription.rxTraceCode), .text(prescription.institutionCode), .text(prescription.hospRxno),
                  .text(prescription.psnNo), .text(try encode(prescription))])
    }
    func claimTraceCodes(_ codes: [String], hiRxno: String, at: Date) async throws -> (code: String, hiRxno: String)? {
        for code in codes {
            if let owner = try await text("SELECT hi_rxno FROM sold_trace_codes WHERE code = $1", [.text(code)]) { return (code, owner) }
        }
        for code in codes {
            try await execute("INSERT INTO sold_trace_codes (code, hi_rxno, sold_at) VALUES ($1, $2, $3)", [.text(code), .text(hiRxno), .int(Self.millis(at))])
        }
        return nil
    }
    func save(_ order: PaymentOrder) async throws {
        try await execute("""
            INSERT INTO payment_orders (pay_ord_id, institution_code, med_org_ord, chrg_bchno, psn_no, doc) VALUES ($1, $2, $3, $4, $5, $6::jsonb)
            ON CONFLICT (pay_ord_id) DO UPDATE SET doc = excluded.doc
            """, [.text(order.payOrdId), .text(order.institutionCode), .text(order.medOrgOrd), .text(order.chrgBchno), .text(order.psnNo),
                  .text(try encode(order))])
        for refund in order.refunds {
            try await execute("INSERT INTO refunds (institution_code, app_refd_sn, pay_ord_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                              [.text(order.institutionCode), .text(refund.appRefdSn), .text(order.payOrdId)])
        }
        let figures = OrderFigures(order)
        try await execute("""
            UPDATE payment_orders SET settled = $1::boolean, paid_at = $2, fee_sum = $3, net_medfee = $4, net_fund = $5, net_account = $6, net_cash = $7
            WHERE pay_ord_id = $8
            """, [.text(figures.settled ? "true" : "false"), .int(figures.paidAtMillis), .int(figures.feeSum), .int(figures.net.medfee),
                  .int(figures.net.fund), .int(figures.net.account), .int(figures.net.cash), .text(order.payOrdId)])
        try await replaceLines(ref: order.payOrdId, figures.lines)
    }

    private func replaceLines(ref: String, _ lines: [(chargeType: String, fen: Int64)]) async throws {
        try await execute("DELETE FROM settled_fee_lines WHERE ref = $1", [.text(ref)])
        for line in lines {
            try await execute("INSERT INTO settled_fee_lines (ref, charge_type, amount) VALUES ($1, $2, $3)", [.text(ref), .text(line.chargeType), .int(line.fen)])
        }
    }

    func settlementEntries(institutionCode: String, from: Date, to: Date) async throws -> [SettlementEntry] {
        var entries: [SettlementEntry] = []
        let found = try await rows("""
            SELECT '2207' AS kind, setl_id AS id, settled_at AS at, medfee, fund, account, cash, psn_no, mdtrt_id,
                    COALESCE(doc->'result'->>'insutype', ''), COALESCE(doc->'result'->>'insuplc_admdvs', '')
                FROM outpatient_settlements WHERE institution_code = $1 AND settled AND settled_at >= $2 AND settled_at < $3
            UNION ALL
            SELECT '6202', pay_ord_id, paid_at, net_medfee, net_fund, net_account, net_cash, psn_no, COALESCE(doc->>'mdtrtId', ''),
                    COALESCE(doc->>'insutype', ''), COALESCE((doc->>'settlement')::jsonb->>'insuplc_admdvs', '')
                FROM payment_orders WHERE institution_code = $1 AND settled AND paid_at >= $2 AND paid_at < $3
            ORDER BY at, id
            """, [.text(institutionCode), .int(Self.millis(from)), .int(Self.millis(to))])
        for try await (kind, id, at, medfee, fund, account, cash, psnNo, mdtrtId, insutype, insured)
            in found.decode((String, String, Int64, Int64, Int64, Int64, Int64, String, String, String, String).self) {
            entries.append(SettlementEntry(kind: kind, id: id, at: Self.date(at), medfee: medfee, fund: fund, account: account, cash: cash,
                                           psnNo: psnNo, mdtrtId: mdtrtId, insutype: insutype, insuredAdmdvs: insured))
        }
        return entries
    }

    func settlementStatistics() async throws -> SettlementStatistics {
        var count: Int64 = 0, total: Int64 = 0
        let sums = try await rows("""
            SELECT (SELECT COUNT(*) FROM outpatient_settlements WHERE settled) + (SELECT COUNT(*) FROM payment_orders WHERE settled),
                   (SELECT COALESCE(SUM(medfee), 0) FROM outpatient_settlements WHERE settled)::bigint
                   + (SELECT COALESCE(SUM(net_medfee), 0) FROM payment_orders WHERE settled)::bigint
            """, [])
        for try await (n, sum) in sums.decode((Int64, Int64).self) { count = n; total = sum }
        var fees: [String: Int64] = [:]
        for try await (type, sum) in try await rows("SELECT charge_type, SUM(amount)::bigint FROM settled_fee_lines GROUP BY charge_type", []).decode((String, Int64).self) {
            fees[type] = sum
        }
        return SettlementStatistics(settlements: Int(count), medfeeFen: total, feesByChargeType: fees)
    }
    func savePersonYear(psnNo: String, year: Int, deductibleUsedFen: Int64, fundPaidFen: Int64) async throws {
        try await execute("""
            INSERT INTO person_years (psn_no, year, deductible_used, fund_paid) VALUES ($1, $2, $3, $4)
            ON CONFLICT (psn_no, year) DO UPDATE SET deductible_used = excluded.deductible_used, fund_paid = excluded.fund_paid
            """, [.text(psnNo), .int(Int64(year)), .int(deductibleUsedFen), .int(fundPaidFen)])
    }
    func save(_ callback: Callback) async throws {
        try await execute("""
            INSERT INTO callbacks (id, institution_code, state, next_attempt_at, created_at, doc) VALUES ($1, $2, $3, $4, $5, $6::jsonb)
            ON CONFLICT (id) DO UPDATE SET state = excluded.state, next_attempt_at = excluded.next_attempt_at, doc = excluded.doc
            """, [.text(callback.id), .text(callback.institutionCode), .text(callback.state.rawValue), .int(Self.millis(callback.nextAttemptAt)),
                  .int(Self.millis(callback.createdAt)), .text(try encode(callback))])
    }
    func claimDueCallbacks(at now: Date, perInstitution: Int, excluding: Set<String>, leaseUntil: Date) async throws -> [Callback] {
        // FOR UPDATE SKIP LOCKED: a callback another transaction is claiming is left to it.
        var claimed: [Callback] = []
        let found = try await rows(Self.dueByInstitution, [
            .int(Self.millis(now)), .texts(excluding.sorted()), .int(Int64(perInstitution))])
        var ids: [String] = []
        for try await (id, doc) in found.decode((String, String).self) { ids.append(id); claimed.append(try decode(Callback.self, doc)) }
        guard !ids.isEmpty else { return [] }
        var locked: Set<String> = []
        for try await id in try await rows("SELECT id FROM callbacks WHERE id = ANY($1) FOR UPDATE SKIP LOCKED", [.texts(ids)]).decode(String.self) {
            locked.insert(id)
        }
        claimed = claimed.filter { locked.contains($0.id) }
        try await execute("UPDATE callbacks SET next_attempt_at = $1 WHERE id = ANY($2)", [.int(Self.millis(leaseUntil)), .texts(claimed.map(\.id))])
        return claimed
    }
    func save(_ filing: CrossRegionFiling) async throws {
        try await execute("""
            INSERT INTO filings (filing_id, psn_no, doc) VALUES ($1, $2, $3::jsonb) ON CONFLICT (filing_id) DO UPDATE SET doc = excluded.doc
            """, [.text(filing.filingId), .text(filing.psnNo), .text(try encode(filing))])
    }
    func save(_ detail: FeeDetail) async throws {
        try await execute("""
            INSERT INTO fee_details (mdtrt_id, feedetl_sn, seq, doc) VALUES ($1, $2, (SELECT COUNT(*) FROM fee_details WHERE mdtrt_id = $1), $3::jsonb)
            ON CONFLICT (mdtrt_id, feedetl_sn) DO UPDATE SET doc = excluded.doc
            """, [.text(detail.mdtrtId), .text(detail.feedetlSn), .text(try encode(detail))])
    }
    func save(_ settlement: OutpatientSettlement) async throws {
        try await execute("""
            INSERT INTO outpatient_settlements (setl_id, mdtrt_id, chrg_bchno, psn_no, institution_code, doc) VALUES ($1, $2, $3, $4, $5, $6::jsonb)
            ON CONFLICT (setl_id) DO UPDATE SET doc = excluded.doc
            """, [.text(settlement.setlId), .text(settlement.mdtrtId), .text(settlement.chrgBchno), .text(settlement.psnNo),
                  .text(settlement.institutionCode), .text(try encode(settlement))])
        let figures = OutpatientFigures(settlement)
        try await execute("""
            UPDATE outpatient_settlements SET settled = $1::boolean, settled_at = $2, medfee = $3, fund = $4, account = $5, cash = $6 WHERE setl_id = $7
            """, [.text(figures.settled ? "true" : "false"), .int(figures.settledAtMillis), .int(figures.medfee), .int(figures.fund), .int(figures.account),
                  .int(figures.cash), .text(settlement.setlId)])
        try await replaceLines(ref: settlement.setlId, figures.lines)
    }
    func setSetting(_ key: String, _ value: String) async throws {
        try await execute("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                          [.text(key), .text(value)])
    }
    func recordNonce(scope: String, value: String, at: Date) async throws -> Bool {
        try await text("INSERT INTO nonces (scope, value, seen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING scope",
                       [.text(scope), .text(value), .int(Self.millis(at))]) != nil
    }
    @discardableResult
    func appendTrace(_ event: TraceEvent) async throws -> TraceEntry {
        // Every member bounded: no request can make the append-only trace grow without limit.
        let entry = try TraceEntry.next(after: try await traceHead(), event: event.capped(to: TraceEvent.storedTextLimit))
        do {
            try await execute("INSERT INTO trace (\(Self.traceColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", [
                .int(entry.seq), .int(entry.atMillis), .text(entry.kind), .text(entry.actor), .text(entry.subject), .text(entry.outcome),
                .text(entry.payload), .text(entry.previousHash), .text(entry.hash)])
        } catch {
            traceHeadCache?.entry = nil
            throw error
        }
        traceHeadCache?.entry = entry
        return entry
    }
    @discardableResult
    func recordConformanceCheck(_ check: ConformanceCheckRecord) async throws -> ConformanceCheckRecord {
        let found = try await rows("""
            INSERT INTO conformance_checks (institution_code, channel, transaction_name, at, outcome, code, rule, pointer, detail,
                expected, actual, sign_string, diagnosis, msgid, evidence, sealed, opened)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id
            """, [.text(check.institutionCode), .text(check.channel.rawValue), .text(check.transaction), .int(Self.millis(check.at)),
                  .text(check.outcome.rawValue), .text(check.code), .text(check.rule), .text(check.pointer), .text(check.detail),
                  .text(check.expected), .text(check.actual), .text(check.signString), .text(try encode(check.diagnosis)),
                  .text(check.messageId), .text(check.evidence), .text(check.sealed), .text(check.opened)])
        var stored = check
        for try await id in found.decode(Int64.self) { stored.id = id }
        return stored
    }
    @discardableResult
    func pruneConformanceChecks(institutionCode: String, keepLatest: Int, olderThan: Date) async throws -> Int {
        let capped = try await rows("""
            WITH gone AS (DELETE FROM conformance_checks WHERE institution_code = $1 AND id <= COALESCE(
                (SELECT id FROM conformance_checks WHERE institution_code = $1 ORDER BY id DESC LIMIT 1 OFFSET $2), -1) RETURNING 1)
            SELECT COUNT(*) FROM gone
            """, [.text(institutionCode), .int(Int64(max(0, keepLatest)))])
        var count: Int64 = 0
        for try await number in capped.decode(Int64.self) { count += number }
        let aged = try await rows("WITH gone AS (DELETE FROM conformance_checks WHERE at < $1 RETURNING 1) SELECT COUNT(*) FROM gone",
                                  [.int(Self.millis(olderThan))])
        for try await number in aged.decode(Int64.self) { count += number }
        return Int(count)
    }
    func countUnauthenticatedRefusal(kind: String, code: String, pointer: String, source: String, at: Date) async throws {
        try await execute("""
            INSERT INTO unauthenticated_refusals (kind, code, count, first_at, last_at, last_pointer, last_source) VALUES ($1, $2, 1, $3, $3, $4, $5)
            ON CONFLICT (kind, code) DO UPDATE SET count = unauthenticated_refusals.count + 1, last_at = excluded.last_at,
                last_pointer = excluded.last_pointer, last_source = excluded.last_source
            """, [.text(kind), .text(code), .int(Self.millis(at)), .text(pointer), .text(source)])
    }
    func save(_ token: AccessTokenRecord) async throws {
        try await execute("DELETE FROM access_tokens WHERE expires_at < $1", [.int(Self.millis(token.issuedAt))])
        try await execute("""
            INSERT INTO access_tokens (digest, institution_code, issued_at, expires_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (digest) DO UPDATE SET institution_code = excluded.institution_code, issued_at = excluded.issued_at, expires_at = excluded.expires_at
            """, [.text(token.digest), .text(token.institutionCode), .int(Self.millis(token.issuedAt)), .int(Self.millis(token.expiresAt))])
    }
    func keepAnswer(scope: String, key: String, answer: String, at: Date, expiresAt: Date) async throws {
        try await execute("DELETE FROM kept_answers WHERE expires_at < $1", [.int(Self.millis(at))])
        try await execute("""
            INSERT INTO kept_answers (scope, key, answer, at, expires_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (scope, key) DO UPDATE SET answer = excluded.answer, at = excluded.at, expires_at = excluded.expires_at
            """, [.text(scope), .text(key), .text(answer), .int(Self.millis(at)), .int(Self.millis(expiresAt))])
    }

    // MARK: Around a settlement (2601, 2001/3101 prerequisites, chronic filings, 52xx)

    func fsiMessage(institutionCode: String, msgid: String) async throws -> FSIMessage? {
        try await one(FSIMessage.self, "SELECT doc::text FROM fsi_messages WHERE institution_code = $1 AND msgid = $2", [.text(institutionCode), .text(msgid)])
    }
    func fsiMessages(institutionCode: String, infno: String, subject: String) async throws -> [FSIMessage] {
        try await all(FSIMessage.self, "SELECT doc::text FROM fsi_messages WHERE institution_code = $1 AND infno = $2 AND subject = $3 ORDER BY position",
                      [.text(institutionCode), .text(infno), .text(subject)])
    }
    func registrations(psnNo: String) async throws -> [Registration] {
        try await all(Registration.self, "SELECT doc::text FROM registrations WHERE psn_no = $1 ORDER BY position", [.text(psnNo)])
    }
    func prescriptions(psnNo: String) async throws -> [PrescriptionRecord] {
        try await all(PrescriptionRecord.self, "SELECT doc::text FROM prescriptions WHERE psn_no = $1 ORDER BY position", [.text(psnNo)])
    }
    func prescriptions(institutionCode: String, limit: Int) async throws -> [PrescriptionRecord] {
        try await all(PrescriptionRecord.self, "SELECT doc::text FROM prescriptions WHERE institution_code = $1 ORDER BY position DESC LIMIT $2",
                      [.text(institutionCode), .int(Int64(limit))])
    }
    func conformanceCheckCount(institutionCode: String) async throws -> Int {
        Int(try await text("SELECT COUNT(*)::text FROM conformance_checks WHERE institution_code = $1", [.text(institutionCode)]) ?? "0") ?? 0
    }
    func chronicFilings(psnNo: String) async throws -> [ChronicFiling] {
        try await all(ChronicFiling.self, "SELECT doc::text FROM chronic_filings WHERE psn_no = $1 ORDER BY position", [.text(psnNo)])
    }
    func chronicFiling(trtDclaDetlSn: String) async throws -> ChronicFiling? {
        try await one(ChronicFiling.self, "SELECT doc::text FROM chronic_filings WHERE trt_dcla_detl_sn = $1", [.text(trtDclaDetlSn)])
    }
    func save(_ message: FSIMessage) async throws {
        try await execute("""
            INSERT INTO fsi_messages (institution_code, msgid, infno, subject, doc) VALUES ($1, $2, $3, $4, $5::jsonb)
            ON CONFLICT (institution_code, msgid) DO UPDATE SET doc = excluded.doc
            """, [.text(message.institutionCode), .text(message.msgid), .text(message.infno), .text(message.subject), .text(try encode(message))])
    }
    func save(_ filing: ChronicFiling) async throws {
        try await execute("""
            INSERT INTO chronic_filings (trt_dcla_detl_sn, psn_no, doc) VALUES ($1, $2, $3::jsonb)
            ON CONFLICT (trt_dcla_detl_sn) DO UPDATE SET doc = excluded.doc
            """, [.text(filing.trtDclaDetlSn), .text(filing.psnNo), .text(try encode(filing))])
    }
    func file(fileQuryNo: String) async throws -> StoredFile? {
        try await one(StoredFile.self, "SELECT doc::text FROM files WHERE file_qury_no = $1", [.text(fileQuryNo)])
    }
    func save(_ file: StoredFile) async throws {
        try await execute("""
            INSERT INTO files (file_qury_no, institution_code, doc) VALUES ($1, $2, $3::jsonb)
            ON CONFLICT (file_qury_no) DO UPDATE SET doc = excluded.doc
            """, [.text(file.fileQuryNo), .text(file.institutionCode), .text(try encode(file))])
    }
    func catalogueMapping(institutionCode: String, fixmedinsHilistId: String) async throws -> CatalogueMapping? {
        try await one(CatalogueMapping.self, "SELECT doc::text FROM catalogue_mappings WHERE institution_code = $1 AND fixmedins_hilist_id = $2",
                      [.text(institutionCode), .text(fixmedinsHilistId)])
    }
    func catalogueMappings(institutionCode: String) async throws -> [CatalogueMapping] {
        try await all(CatalogueMapping.self, "SELECT doc::text FROM catalogue_mappings WHERE institution_code = $1 ORDER BY fixmedins_hilist_id",
                      [.text(institutionCode)])
    }
    func save(_ mapping: CatalogueMapping) async throws {
        try await execute("""
            INSERT INTO catalogue_mappings (institution_code, fixmedins_hilist_id, doc) VALUES ($1, $2, $3::jsonb)
            ON CONFLICT (institution_code, fixmedins_hilist_id) DO UPDATE SET doc = excluded.doc
            """, [.text(mapping.institutionCode), .text(mapping.fixmedinsHilistId), .text(try encode(mapping))])
    }
    func sandboxes() async throws -> [SandboxRecord] { try await all(SandboxRecord.self, "SELECT doc::text FROM sandboxes ORDER BY created_at, id") }
    func sandbox(id: String) async throws -> SandboxRecord? { try await one(SandboxRecord.self, "SELECT doc::text FROM sandboxes WHERE id = $1", [.text(id)]) }
    func save(_ sandbox: SandboxRecord) async throws {
        try await execute("INSERT INTO sandboxes (id, created_at, doc) VALUES ($1, $2, $3::jsonb) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
                          [.text(sandbox.id), .int(Self.millis(sandbox.createdAt)), .text(try encode(sandbox))])
    }
    func deleteSandbox(id: String) async throws -> Bool {
        try await text("DELETE FROM sandboxes WHERE id = $1 RETURNING id", [.text(id)]) != nil
    }
    func callbackCounts() async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for try await (state, count) in try await rows("SELECT state, COUNT(*) FROM callbacks GROUP BY state", []).decode((String, Int64).self) {
            counts[state] = Int(count)
        }
        for try await count in try await rows("SELECT COUNT(*) FROM callbacks WHERE state = 'pending' AND (doc->>'attempts')::int > 0", []).decode(Int64.self) {
            counts["retrying"] = Int(count)
        }
        return counts
    }
}

/// The trace head a group's write transaction last read or appended (``PostgresSession/traceHeadCache``).
/// Forgotten whenever a member's writes are rolled back, so the next member reads it again.
// @unchecked: the group's bodies run one after the other on one task at a time, and the Mutex
// guards the value anyway.
final class TraceHeadCache: @unchecked Sendable {
    private let value = Mutex<TraceEntry?>(nil)
    var entry: TraceEntry? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
