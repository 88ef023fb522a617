import Foundation
import GRDB
import YibaoCore

/// The embedded default store: one SQLite file in WAL mode (GRDB `DatabasePool`), schema by
/// migrations. Domain records are kept as JSON documents beside the columns they are looked up by.
public final class SQLiteStore: GatewayStore {
    private let pool: DatabasePool
    /// The writer's lock and group commit: one body at a time holds the writer connection.
    let commitGroup = CommitGroup()
    /// Where the database file is.
    public let path: String

    /// Opens (creating if needed) `path` and migrates it to the current schema.
    /// - Parameter readOnly: open without writing (for `yibao trace verify`); no migration.
    public init(path: String, readOnly: Bool = false) throws {
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.busyMode = .timeout(5)
        // Reads run on the calling thread (SQLiteSession): more readers than cooperative threads,
        // so a read never waits for a reader another task holds.
        configuration.maximumReaderCount = max(5, ProcessInfo.processInfo.activeProcessorCount + 2)
        configuration.label = "yibao"
        // A write transaction spans several accesses to the writer connection (one per statement,
        // see write(_:)); GRDB is told that a transaction left open between them is intended.
        configuration.allowsUnsafeTransactions = true
        if !readOnly {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        self.path = path
        // Durable acknowledgements: every commit is fsynced (WAL with synchronous=FULL) before the
        // gateway answers, so an acknowledged payment survives a power loss (docs/SECURITY.md).
        // Set on the pool's one writer connection, after GRDB's WAL set-up chose NORMAL.
        if !readOnly { try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") } }
        if !readOnly {
            // A database written by a newer yibao is refused, with the versions named, before anything is changed.
            let migrator = Self.migrator
            let applied = try pool.read { db in try migrator.appliedIdentifiers(db) }
            let unknown = applied.subtracting(migrator.migrations)
            if !unknown.isEmpty { throw StoreError.schemaTooNew(database: applied.sorted(), known: migrator.migrations) }
            // Each migration runs in its own transaction: one interrupted half-way is rolled back.
            try migrator.migrate(pool)
        }
    }

    /// Opens `data-dir/yibao.sqlite`.
    public convenience init(dataDirectory: String, readOnly: Bool = false) throws {
        try self.init(path: (dataDirectory as NSString).appendingPathComponent("yibao.sqlite"), readOnly: readOnly)
    }

    /// Reads on the pool's reader connections (each statement sees every commit made before it).
    public func read<T: Sendable>(_ body: @escaping @Sendable (any StoreReading) async throws -> T) async throws -> T {
        try await body(SQLiteSession(pool: pool, writes: false))
    }

    /// One write transaction: the body runs in its own savepoint on the writer connection, one
    /// body at a time, and returns once its writes are committed and fsynced. Bodies that arrive
    /// together share one SQLite transaction and one commit (group commit, ``CommitGroup``): a
    /// body that throws is rolled back alone; a commit that fails fails every body it carried.
    /// The transaction runs in its own task: a cancelled request cannot leave it half-done.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any StoreWriting) async throws -> T) async throws -> T {
        let group = commitGroup
        let transaction = SQLiteGroupTransaction(pool: pool)
        return try await Task { try await group.member(transaction) { try await body($0) } }.value
    }

    /// Runs `statement` on the writer connection now, on the calling thread (the writer is idle
    /// whenever its ``CommitGroup`` holder calls this: no hop to another thread per statement).
    static func writeNow<T>(_ pool: DatabasePool, _ statement: (Database) throws -> T) throws -> T {
        try pool.writeWithoutTransaction(statement)
    }

    /// Runs `statement` on a reader connection now, on the calling thread (GRDB's synchronous read).
    static func readNow<T>(_ pool: DatabasePool, _ statement: (Database) throws -> T) throws -> T {
        try pool.read(statement)
    }

    /// Commits made so far and the write transactions they carried (group commit at work).
    public func commitStatistics() async -> (commits: Int, members: Int) { await commitGroup.statistics }

    public func readiness() async throws -> StoreReadiness {
        let migrator = Self.migrator
        let applied = try Self.readNow(pool) { db in try migrator.appliedIdentifiers(db) }
        return StoreReadiness(engine: "sqlite", applied: applied.sorted(), known: migrator.migrations.sorted())
    }

    /// A sandbox's world: `sandboxes/NAME.sqlite` beside this database's file.
    public func sandboxStore(name: String) async throws -> any GatewayStore {
        guard SandboxRecord.isWellFormedStoreName(name) else { throw StoreError.invalidSandboxName(name) }
        return try SQLiteStore(path: sandboxPath(name))
    }

    /// Deletes the sandbox's database file with its WAL and shared-memory files.
    public func destroySandboxStore(name: String) async throws {
        guard SandboxRecord.isWellFormedStoreName(name) else { throw StoreError.invalidSandboxName(name) }
        let path = sandboxPath(name)
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            try FileManager.default.removeItem(atPath: path + suffix)
        }
    }

    private func sandboxPath(_ name: String) -> String {
        (((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("sandboxes") as NSString).appendingPathComponent(name + ".sqlite")
    }

    /// The journal mode SQLite reports (`wal` for a writable store).
    public func journalMode() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    /// `PRAGMA synchronous` of the writer connection: 2 (FULL) for a writable store.
    public func synchronousLevel() throws -> Int {
        try pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-core") { db in
            try db.execute(sql: """
                CREATE TABLE persons (psn_no TEXT PRIMARY KEY, certno TEXT NOT NULL UNIQUE, card_no TEXT, doc TEXT NOT NULL);
                CREATE INDEX persons_card ON persons(card_no);
                CREATE TABLE institutions (code TEXT PRIMARY KEY, doc TEXT NOT NULL);
                CREATE TABLE apps (app_id TEXT PRIMARY KEY, institution_code TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
                CREATE TABLE practitioners (code TEXT PRIMARY KEY, institution_code TEXT NOT NULL, doc TEXT NOT NULL);
                CREATE INDEX practitioners_institution ON practitioners(institution_code);
                CREATE TABLE offline_visits (id INTEGER PRIMARY KEY AUTOINCREMENT, psn_no TEXT NOT NULL, doc TEXT NOT NULL);
                CREATE INDEX offline_visits_person ON offline_visits(psn_no);
                CREATE TABLE qr_codes (code TEXT PRIMARY KEY, doc TEXT NOT NULL);
                CREATE TABLE ec_tokens (token TEXT PRIMARY KEY, doc TEXT NOT NULL);
                CREATE TABLE wallet_authorisations (auth_code TEXT PRIMARY KEY, pay_auth_no TEXT UNIQUE, doc TEXT NOT NULL);
                CREATE TABLE registrations (mdtrt_id TEXT PRIMARY KEY, psn_no TEXT NOT NULL, institution_code TEXT NOT NULL, doc TEXT NOT NULL);
                CREATE TABLE sign_ins (sign_no TEXT PRIMARY KEY, institution_code TEXT NOT NULL, doc TEXT NOT NULL);
                CREATE TABLE nonces (scope TEXT NOT NULL, value TEXT NOT NULL, seen_at INTEGER NOT NULL, PRIMARY KEY (scope, value));
                CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE trace (
                    seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL, actor TEXT NOT NULL,
                    subject TEXT NOT NULL, outcome TEXT NOT NULL, payload TEXT NOT NULL,
                    prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
                -- The trace is append-only: the database itself refuses changes and deletions.
                CREATE TRIGGER trace_no_update BEFORE UPDATE ON trace BEGIN SELECT RAISE(ABORT, 'the trace is append-only'); END;
                CREATE TRIGGER trace_no_delete BEFORE DELETE ON trace BEGIN SELECT RAISE(ABORT, 'the trace is append-only'); END;
                """)
        }
        migrator.registerMigration("v2-trace-no-replace") { db in
            // INSERT OR REPLACE deletes without firing the delete trigger: refuse reusing a seq.
            try db.execute(sql: """
                CREATE TRIGGER trace_no_replace BEFORE INSERT ON trace
                WHEN EXISTS (SELECT 1 FROM trace WHERE seq = NEW.seq)
                BEGIN SELECT RAISE(ABORT, 'the trace is append-only'); END;
                """)
        }
        migrator.registerMigration("v3-prescriptions") { db in
            try db.execute(sql: """
                CREATE TABLE prescriptions (hi_rxno TEXT PRIMARY KEY, rx_trace_code TEXT NOT NULL UNIQUE,
                    institution_code TEXT NOT NULL, hosp_rxno TEXT NOT NULL, doc TEXT NOT NULL,
                    UNIQUE (institution_code, hosp_rxno));
                """)
        }
        migrator.registerMigration("v4-trace-codes") { db in
            try db.execute(sql: "CREATE TABLE sold_trace_codes (code TEXT PRIMARY KEY, hi_rxno TEXT NOT NULL, sold_at INTEGER NOT NULL)")
        }
        migrator.registerMigration("v5-payments") { db in
            try db.execute(sql: """
                CREATE TABLE payment_orders (pay_ord_id TEXT PRIMARY KEY, institution_code TEXT NOT NULL, med_org_ord TEXT NOT NULL,
                    chrg_bchno TEXT NOT NULL, doc TEXT NOT NULL,
                    UNIQUE (institution_code, med_org_ord), UNIQUE (institution_code, chrg_bchno));
                CREATE TABLE refunds (institution_code TEXT NOT NULL, app_refd_sn TEXT NOT NULL, pay_ord_id TEXT NOT NULL,
                    PRIMARY KEY (institution_code, app_refd_sn));
                CREATE TABLE person_years (psn_no TEXT NOT NULL, year INTEGER NOT NULL, deductible_used INTEGER NOT NULL,
                    fund_paid INTEGER NOT NULL, PRIMARY KEY (psn_no, year));
                CREATE TABLE callbacks (id TEXT PRIMARY KEY, institution_code TEXT NOT NULL, state TEXT NOT NULL,
                    next_attempt_at INTEGER NOT NULL, created_at INTEGER NOT NULL, doc TEXT NOT NULL);
                CREATE INDEX callbacks_due ON callbacks(state, next_attempt_at);
                """)
        }
        migrator.registerMigration("v6-outpatient") { db in
            try db.execute(sql: """
                CREATE TABLE fee_details (mdtrt_id TEXT NOT NULL, feedetl_sn TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL,
                    PRIMARY KEY (mdtrt_id, feedetl_sn));
                CREATE TABLE outpatient_settlements (setl_id TEXT PRIMARY KEY, mdtrt_id TEXT NOT NULL, chrg_bchno TEXT NOT NULL, doc TEXT NOT NULL);
                CREATE INDEX outpatient_settlements_batch ON outpatient_settlements(mdtrt_id, chrg_bchno);
                """)
        }
        migrator.registerMigration("v7-filings") { db in
            try db.execute(sql: """
                CREATE TABLE filings (filing_id TEXT PRIMARY KEY, psn_no TEXT NOT NULL, doc TEXT NOT NULL);
                CREATE INDEX filings_person ON filings(psn_no);
                """)
        }
        migrator.registerMigration("v8-conformance-checks") { db in
            // The passive conformance log: a diagnostic record per request, outside the hash-chained trace.
            try db.execute(sql: """
                CREATE TABLE conformance_checks (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, institution_code TEXT NOT NULL, channel TEXT NOT NULL,
                    transaction_name TEXT NOT NULL, at INTEGER NOT NULL, outcome TEXT NOT NULL, code TEXT NOT NULL,
                    rule TEXT, pointer TEXT, detail TEXT, expected TEXT, actual TEXT, sign_string TEXT,
                    diagnosis TEXT NOT NULL DEFAULT '[]', msgid TEXT);
                CREATE INDEX conformance_checks_institution ON conformance_checks(institution_code, id);
                """)
        }
        migrator.registerMigration("v9-bounded-refusals") { db in
            // Refusals of unauthenticated requests are counted here, not appended to the trace; kept
            // answers of single-use exchanges (ec.query, ec.payAuth) let a lost answer be fetched again.
            try db.execute(sql: """
                CREATE TABLE unauthenticated_refusals (kind TEXT NOT NULL, code TEXT NOT NULL, count INTEGER NOT NULL,
                    first_at INTEGER NOT NULL, last_at INTEGER NOT NULL, last_pointer TEXT NOT NULL, last_source TEXT NOT NULL,
                    PRIMARY KEY (kind, code));
                CREATE TABLE kept_answers (scope TEXT NOT NULL, key TEXT NOT NULL, answer TEXT NOT NULL, at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL, PRIMARY KEY (scope, key));
                CREATE INDEX kept_answers_expiry ON kept_answers(expires_at);
                CREATE INDEX conformance_checks_age ON conformance_checks(at);
                """)
        }
        migrator.registerMigration("v10-access-tokens") { db in
            // OAuth2 access tokens of the dialect profiles, by SM3 digest: a leaked database holds no usable token.
            try db.execute(sql: """
                CREATE TABLE access_tokens (digest TEXT PRIMARY KEY, institution_code TEXT NOT NULL, issued_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL);
                CREATE INDEX access_tokens_expiry ON access_tokens(expires_at);
                """)
        }
        migrator.registerMigration("v11-dialect-evidence") { db in
            // How each FSI request authenticated itself: the passive report names the dialect it matches.
            try db.execute(sql: "ALTER TABLE conformance_checks ADD COLUMN evidence TEXT")
        }
        migrator.registerMigration("v12-person-indexes") { db in
            // Request paths look settlements up by person (XR-7, the smart audit) and by institution
            // (3201): typed, indexed columns instead of scans of every document.
            try db.execute(sql: """
                ALTER TABLE payment_orders ADD COLUMN psn_no TEXT NOT NULL DEFAULT '';
                UPDATE payment_orders SET psn_no = json_extract(doc, '$.psnNo');
                CREATE INDEX payment_orders_person ON payment_orders(psn_no);
                ALTER TABLE outpatient_settlements ADD COLUMN psn_no TEXT NOT NULL DEFAULT '';
                ALTER TABLE outpatient_settlements ADD COLUMN institution_code TEXT NOT NULL DEFAULT '';
                UPDATE outpatient_settlements SET psn_no = json_extract(doc, '$.psnNo'), institution_code = json_extract(doc, '$.institutionCode');
                CREATE INDEX outpatient_settlements_person ON outpatient_settlements(psn_no);
                CREATE INDEX outpatient_settlements_institution ON outpatient_settlements(institution_code);
                """)
        }
        migrator.registerMigration("v13-settlement-figures") { db in
            // Typed columns for what reconciliation and statistics add up, and the settled fee lines by charge
            // type: SQL aggregates over indexes instead of decoding every settlement (backfilled here).
            try db.execute(sql: """
                ALTER TABLE outpatient_settlements ADD COLUMN settled INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE outpatient_settlements ADD COLUMN settled_at INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE outpatient_settlements ADD COLUMN medfee INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE outpatient_settlements ADD COLUMN fund INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE outpatient_settlements ADD COLUMN account INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE outpatient_settlements ADD COLUMN cash INTEGER NOT NULL DEFAULT 0;
                CREATE INDEX outpatient_settlements_period ON outpatient_settlements(institution_code, settled_at);
                ALTER TABLE payment_orders ADD COLUMN settled INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE payment_orders ADD COLUMN paid_at INTEGER;
                ALTER TABLE payment_orders ADD COLUMN fee_sum INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE payment_orders ADD COLUMN net_medfee INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE payment_orders ADD COLUMN net_fund INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE payment_orders ADD COLUMN net_account INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE payment_orders ADD COLUMN net_cash INTEGER NOT NULL DEFAULT 0;
                CREATE INDEX payment_orders_period ON payment_orders(institution_code, paid_at);
                CREATE TABLE settled_fee_lines (ref TEXT NOT NULL, charge_type TEXT NOT NULL, amount INTEGER NOT NULL);
                CREATE INDEX settled_fee_lines_ref ON settled_fee_lines(ref);
                """)
            let statements = SQLiteStatements(db: db)
            for text in try String.fetchAll(db, sql: "SELECT doc FROM outpatient_settlements") {
                try statements.saveFigures(of: try statements.decode(OutpatientSettlement.self, text))
            }
            for text in try String.fetchAll(db, sql: "SELECT doc FROM payment_orders") {
                try statements.saveFigures(of: try statements.decode(PaymentOrder.self, text))
            }
        }
        migrator.registerMigration("v14-around-settlement") { db in
            // The committed FSI messages (2601 reverses by msgid; 2001 and 3101 are prerequisites), chronic-disease
            // filings (2503/2504/5301), and the person's visits and prescriptions by index (5201, 5205).
            try db.execute(sql: """
                CREATE TABLE fsi_messages (institution_code TEXT NOT NULL, msgid TEXT NOT NULL, infno TEXT NOT NULL, subject TEXT NOT NULL,
                    doc TEXT NOT NULL, PRIMARY KEY (institution_code, msgid));
                CREATE INDEX fsi_messages_subject ON fsi_messages(institution_code, infno, subject);
                CREATE TABLE chronic_filings (trt_dcla_detl_sn TEXT PRIMARY KEY, psn_no TEXT NOT NULL, doc TEXT NOT NULL);
                CREATE INDEX chronic_filings_person ON chronic_filings(psn_no);
                CREATE INDEX registrations_person ON registrations(psn_no);
                ALTER TABLE prescriptions ADD COLUMN psn_no TEXT NOT NULL DEFAULT '';
                UPDATE prescriptions SET psn_no = json_extract(doc, '$.psnNo');
                CREATE INDEX prescriptions_person ON prescriptions(psn_no);
                """)
        }
        migrator.registerMigration("v15-files") { db in
            // FSI 9101 uploads and 3202 result files, fetched by 9102.
            try db.execute(sql: "CREATE TABLE files (file_qury_no TEXT PRIMARY KEY, institution_code TEXT NOT NULL, doc TEXT NOT NULL)")
        }
        migrator.registerMigration("v16-catalogue-mappings") { db in
            // FSI 3301/3302: an institution's own codes mapped to the platform's catalogue.
            try db.execute(sql: """
                CREATE TABLE catalogue_mappings (institution_code TEXT NOT NULL, fixmedins_hilist_id TEXT NOT NULL, doc TEXT NOT NULL,
                    PRIMARY KEY (institution_code, fixmedins_hilist_id))
                """)
        }
        migrator.registerMigration("v17-sandboxes") { db in
            // The sandboxes of this gateway (their worlds are stores of their own).
            try db.execute(sql: "CREATE TABLE sandboxes (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, doc TEXT NOT NULL)")
        }
        migrator.registerMigration("v18-opened-payloads") { db in
            // The passive log keeps an HSE request's sealed data (its start) beside what it opened to (masked).
            try db.execute(sql: "ALTER TABLE conformance_checks ADD COLUMN sealed TEXT")
            try db.execute(sql: "ALTER TABLE conformance_checks ADD COLUMN opened TEXT")
        }
        return migrator
    }
}

/// The statements of the store's contract on one GRDB connection (synchronous, as GRDB runs
/// them); ``SQLiteSession`` runs each on the connection its transaction holds. Each fixed
/// statement goes through the connection's statement cache (`cachedStatement`): parsed and
/// authorised once per connection, then only bound and stepped.
struct SQLiteStatements {
    let db: Database

    private func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    func decode<T: Decodable & Sendable>(_ type: T.Type, _ text: String) throws -> T {
        try DocumentCache.shared.value(type, text: text) { text in
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .millisecondsSince1970
            return try decoder.decode(type, from: Data(text.utf8))
        }
    }

    private func one<T: Decodable & Sendable>(_ type: T.Type, _ sql: String, _ arguments: StatementArguments) throws -> T? {
        guard let text = try String.fetchOne(db.cachedStatement(sql: sql), arguments: arguments) else { return nil }
        return try decode(type, text)
    }

    /// `cached: false` for SQL built per call (a varying number of placeholders): the connection's
    /// statement cache keeps only the fixed statements, each parsed once per connection.
    private func all<T: Decodable & Sendable>(_ type: T.Type, _ sql: String, _ arguments: StatementArguments = [], cached: Bool = true) throws -> [T] {
        let statement = cached ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
        return try String.fetchAll(statement, arguments: arguments).map { try decode(type, $0) }
    }

    // MARK: Reading

    func person(psnNo: String) throws -> InsuredPerson? { try one(InsuredPerson.self, "SELECT doc FROM persons WHERE psn_no = ?", [psnNo]) }
    func person(certno: String) throws -> InsuredPerson? { try one(InsuredPerson.self, "SELECT doc FROM persons WHERE certno = ?", [certno]) }
    func person(socialSecurityCardNo: String) throws -> InsuredPerson? {
        try one(InsuredPerson.self, "SELECT doc FROM persons WHERE card_no = ?", [socialSecurityCardNo])
    }
    func persons() throws -> [InsuredPerson] { try all(InsuredPerson.self, "SELECT doc FROM persons ORDER BY psn_no") }
    func institution(code: String) throws -> Institution? { try one(Institution.self, "SELECT doc FROM institutions WHERE code = ?", [code]) }
    func institutions() throws -> [Institution] { try all(Institution.self, "SELECT doc FROM institutions ORDER BY code") }
    func app(appId: String) throws -> AppCredential? { try one(AppCredential.self, "SELECT doc FROM apps WHERE app_id = ?", [appId]) }
    func app(institutionCode: String) throws -> AppCredential? {
        try one(AppCredential.self, "SELECT doc FROM apps WHERE institution_code = ?", [institutionCode])
    }
    func practitioner(code: String) throws -> Practitioner? { try one(Practitioner.self, "SELECT doc FROM practitioners WHERE code = ?", [code]) }
    func practitioners(institutionCode: String) throws -> [Practitioner] {
        try all(Practitioner.self, "SELECT doc FROM practitioners WHERE institution_code = ? ORDER BY code", [institutionCode])
    }
    func offlineVisits(psnNo: String) throws -> [OfflineVisit] {
        try all(OfflineVisit.self, "SELECT doc FROM offline_visits WHERE psn_no = ? ORDER BY id", [psnNo])
    }
    func qrCode(_ code: String) throws -> VoucherQRCode? { try one(VoucherQRCode.self, "SELECT doc FROM qr_codes WHERE code = ?", [code]) }
    func ecToken(_ token: String) throws -> ECToken? { try one(ECToken.self, "SELECT doc FROM ec_tokens WHERE token = ?", [token]) }
    func walletAuthorisation(authCode: String) throws -> WalletAuthorisation? {
        try one(WalletAuthorisation.self, "SELECT doc FROM wallet_authorisations WHERE auth_code = ?", [authCode])
    }
    func walletAuthorisation(payAuthNo: String) throws -> WalletAuthorisation? {
        try one(WalletAuthorisation.self, "SELECT doc FROM wallet_authorisations WHERE pay_auth_no = ?", [payAuthNo])
    }
    func registration(mdtrtId: String) throws -> Registration? {
        try one(Registration.self, "SELECT doc FROM registrations WHERE mdtrt_id = ?", [mdtrtId])
    }
    func prescription(hiRxno: String) throws -> PrescriptionRecord? {
        try one(PrescriptionRecord.self, "SELECT doc FROM prescriptions WHERE hi_rxno = ?", [hiRxno])
    }
    func prescription(rxTraceCode: String) throws -> PrescriptionRecord? {
        try one(PrescriptionRecord.self, "SELECT doc FROM prescriptions WHERE rx_trace_code = ?", [rxTraceCode])
    }
    func prescription(institutionCode: String, hospRxno: String) throws -> PrescriptionRecord? {
        try one(PrescriptionRecord.self, "SELECT doc FROM prescriptions WHERE institution_code = ? AND hosp_rxno = ?", [institutionCode, hospRxno])
    }
    func paymentOrder(payOrdId: String) throws -> PaymentOrder? {
        try one(PaymentOrder.self, "SELECT doc FROM payment_orders WHERE pay_ord_id = ?", [payOrdId])
    }
    func paymentOrder(institutionCode: String, medOrgOrd: String) throws -> PaymentOrder? {
        try one(PaymentOrder.self, "SELECT doc FROM payment_orders WHERE institution_code = ? AND med_org_ord = ?", [institutionCode, medOrgOrd])
    }
    func paymentOrder(institutionCode: String, chrgBchno: String) throws -> PaymentOrder? {
        try one(PaymentOrder.self, "SELECT doc FROM payment_orders WHERE institution_code = ? AND chrg_bchno = ?", [institutionCode, chrgBchno])
    }
    func paymentOrder(institutionCode: String, appRefdSn: String) throws -> PaymentOrder? {
        try one(PaymentOrder.self, """
            SELECT o.doc FROM refunds r JOIN payment_orders o ON o.pay_ord_id = r.pay_ord_id
            WHERE r.institution_code = ? AND r.app_refd_sn = ?
            """, [institutionCode, appRefdSn])
    }
    func personYear(psnNo: String, year: Int) throws -> (deductibleUsedFen: Int64, fundPaidFen: Int64) {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT deductible_used, fund_paid FROM person_years WHERE psn_no = ? AND year = ?"), arguments: [psnNo, year]) else {
            return (0, 0)
        }
        return (row["deductible_used"], row["fund_paid"])
    }
    func callback(id: String) throws -> Callback? { try one(Callback.self, "SELECT doc FROM callbacks WHERE id = ?", [id]) }
    func callbacks(institutionCode: String?, limit: Int) throws -> [Callback] {
        if let institutionCode {
            return try all(Callback.self, "SELECT doc FROM callbacks WHERE institution_code = ? ORDER BY created_at DESC, id LIMIT ?", [institutionCode, limit])
        }
        return try all(Callback.self, "SELECT doc FROM callbacks ORDER BY created_at DESC, id LIMIT ?", [limit])
    }
    func dueCallbacks(at now: Date, limit: Int) throws -> [Callback] {
        try all(Callback.self, "SELECT doc FROM callbacks WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY created_at, id LIMIT ?",
                [Int64(now.timeIntervalSince1970 * 1000), limit])
    }
    func dueCallbacks(at now: Date, perInstitution: Int, excluding: Set<String>) throws -> [Callback] {
        let busy = Array(excluding)
        let placeholders = busy.isEmpty ? "''" : busy.map { _ in "?" }.joined(separator: ", ")
        var values: [(any DatabaseValueConvertible)?] = [Int64(now.timeIntervalSince1970 * 1000)]
        values += busy.map { $0 }
        values.append(perInstitution)
        let arguments = StatementArguments(values)
        return try all(Callback.self, """
            SELECT doc FROM (
                SELECT doc, created_at, id, ROW_NUMBER() OVER (PARTITION BY institution_code ORDER BY created_at, id) AS position
                FROM callbacks WHERE state = 'pending' AND next_attempt_at <= ? AND institution_code NOT IN (\(placeholders)))
            WHERE position <= ? ORDER BY created_at, id
            """, arguments, cached: false)
    }
    func feeDetails(mdtrtId: String) throws -> [FeeDetail] {
        try all(FeeDetail.self, "SELECT doc FROM fee_details WHERE mdtrt_id = ? ORDER BY seq", [mdtrtId])
    }
    func outpatientSettlement(setlId: String) throws -> OutpatientSettlement? {
        try one(OutpatientSettlement.self, "SELECT doc FROM outpatient_settlements WHERE setl_id = ?", [setlId])
    }
    func outpatientSettlement(mdtrtId: String, chrgBchno: String) throws -> OutpatientSettlement? {
        try one(OutpatientSettlement.self, "SELECT doc FROM outpatient_settlements WHERE mdtrt_id = ? AND chrg_bchno = ? ORDER BY rowid DESC LIMIT 1",
                [mdtrtId, chrgBchno])
    }
    func filings(psnNo: String) throws -> [CrossRegionFiling] {
        try all(CrossRegionFiling.self, "SELECT doc FROM filings WHERE psn_no = ? ORDER BY rowid", [psnNo])
    }
    func paymentOrders(institutionCode: String?) throws -> [PaymentOrder] {
        if let institutionCode { return try all(PaymentOrder.self, "SELECT doc FROM payment_orders WHERE institution_code = ? ORDER BY rowid", [institutionCode]) }
        return try all(PaymentOrder.self, "SELECT doc FROM payment_orders ORDER BY rowid")
    }
    func outpatientSettlements(institutionCode: String?) throws -> [OutpatientSettlement] {
        if let institutionCode {
            return try all(OutpatientSettlement.self, "SELECT doc FROM outpatient_settlements WHERE institution_code = ? ORDER BY rowid", [institutionCode])
        }
        return try all(OutpatientSettlement.self, "SELECT doc FROM outpatient_settlements ORDER BY rowid")
    }
    func paymentOrders(psnNo: String) throws -> [PaymentOrder] {
        try all(PaymentOrder.self, "SELECT doc FROM payment_orders WHERE psn_no = ? ORDER BY rowid", [psnNo])
    }
    func outpatientSettlements(psnNo: String) throws -> [OutpatientSettlement] {
        try all(OutpatientSettlement.self, "SELECT doc FROM outpatient_settlements WHERE psn_no = ? ORDER BY rowid", [psnNo])
    }
    func claimDueCallbacks(at now: Date, perInstitution: Int, excluding: Set<String>, leaseUntil: Date) throws -> [Callback] {
        let due = try dueCallbacks(at: now, perInstitution: perInstitution, excluding: excluding)
        for callback in due {
            try db.cachedStatement(sql: "UPDATE callbacks SET next_attempt_at = ? WHERE id = ?").execute(arguments: [Self.millis(leaseUntil), callback.id])
        }
        return due
    }
    func filing(id: String) throws -> CrossRegionFiling? { try one(CrossRegionFiling.self, "SELECT doc FROM filings WHERE filing_id = ?", [id]) }
    func signIn(signNo: String) throws -> SignIn? { try one(SignIn.self, "SELECT doc FROM sign_ins WHERE sign_no = ?", [signNo]) }
    func setting(_ key: String) throws -> String? { try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM settings WHERE key = ?"), arguments: [key]) }

    func traceEntries(from: Int64, limit: Int) throws -> [TraceEntry] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM trace WHERE seq >= ? ORDER BY seq LIMIT ?"), arguments: [from, limit]).map(Self.entry)
    }

    func traceHead() throws -> TraceEntry? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM trace ORDER BY seq DESC LIMIT 1")).map(Self.entry)
    }

    func conformanceChecks(institutionCode: String) throws -> [ConformanceCheckRecord] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM conformance_checks WHERE institution_code = ? ORDER BY id"), arguments: [institutionCode])
            .map { row in
                let diagnosis = (try? decode([String].self, (row["diagnosis"] as String?) ?? "[]")) ?? []
                return ConformanceCheckRecord(
                    id: row["id"], institutionCode: row["institution_code"],
                    channel: ConformanceCheckRecord.Channel(rawValue: row["channel"]) ?? .fsi, transaction: row["transaction_name"],
                    at: Date(timeIntervalSince1970: Double(row["at"] as Int64) / 1000),
                    outcome: ConformanceCheckRecord.Outcome(rawValue: row["outcome"]) ?? .refused, code: row["code"],
                    rule: row["rule"], pointer: row["pointer"], detail: row["detail"], expected: row["expected"], actual: row["actual"],
                    signString: row["sign_string"], diagnosis: diagnosis, messageId: row["msgid"], evidence: row["evidence"],
                    sealed: row["sealed"], opened: row["opened"])
            }
    }

    private static func entry(_ row: Row) -> TraceEntry {
        TraceEntry(seq: row["seq"], atMillis: row["at"], kind: row["kind"], actor: row["actor"], subject: row["subject"],
                   outcome: row["outcome"], payload: row["payload"], previousHash: row["prev_hash"], hash: row["hash"])
    }

    // MARK: Writing

    func save(_ person: InsuredPerson) throws {
        // An upsert on psn_no: a certno held by another person fails the UNIQUE constraint instead
        // of silently deleting that person (as INSERT OR REPLACE would).
        try db.cachedStatement(sql: """
            INSERT INTO persons (psn_no, certno, card_no, doc) VALUES (?, ?, ?, ?)
            ON CONFLICT(psn_no) DO UPDATE SET certno = excluded.certno, card_no = excluded.card_no, doc = excluded.doc
            """).execute(arguments: [person.psnNo, person.certno, person.socialSecurityCardNo, try encode(person)])
    }
    func save(_ institution: Institution) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO institutions (code, doc) VALUES (?, ?)").execute(arguments: [institution.code, try encode(institution)])
    }
    func save(_ app: AppCredential) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO apps (app_id, institution_code, doc) VALUES (?, ?, ?)").execute(
                       arguments: [app.appId, app.institutionCode, try encode(app)])
    }
    func save(_ practitioner: Practitioner) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO practitioners (code, institution_code, doc) VALUES (?, ?, ?)").execute(
                       arguments: [practitioner.code, practitioner.institutionCode, try encode(practitioner)])
    }
    func add(_ visit: OfflineVisit) throws {
        try db.cachedStatement(sql: "INSERT INTO offline_visits (psn_no, doc) VALUES (?, ?)").execute(arguments: [visit.psnNo, try encode(visit)])
    }
    func save(_ qrCode: VoucherQRCode) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO qr_codes (code, doc) VALUES (?, ?)").execute(arguments: [qrCode.code, try encode(qrCode)])
    }
    func save(_ token: ECToken) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO ec_tokens (token, doc) VALUES (?, ?)").execute(arguments: [token.token, try encode(token)])
    }
    func save(_ authorisation: WalletAuthorisation) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO wallet_authorisations (auth_code, pay_auth_no, doc) VALUES (?, ?, ?)").execute(
                       arguments: [authorisation.authCode, authorisation.payAuthNo, try encode(authorisation)])
    }
    func save(_ registration: Registration) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO registrations (mdtrt_id, psn_no, institution_code, doc) VALUES (?, ?, ?, ?)").execute(
                       arguments: [registration.mdtrtId, registration.psnNo, registration.institutionCode, try encode(registration)])
    }
    func save(_ signIn: SignIn) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO sign_ins (sign_no, institution_code, doc) VALUES (?, ?, ?)").execute(
                       arguments: [signIn.signNo, signIn.institutionCode, try encode(signIn)])
    }
    func save(_ prescription: PrescriptionRecord) throws {
        try db.cachedStatement(sql: """
            INSERT INTO prescriptions (hi_rxno, rx_trace_code, institution_code, hosp_rxno, psn_no, doc) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(hi_rxno) DO UPDATE SET doc = excluded.doc
            """).execute(arguments: [prescription.hiRxno, prescription.rxTraceCode, prescription.institutionCode, prescription.hospRxno, prescription.psnNo,
                             try encode(prescription)])
    }
    func claimTraceCodes(_ codes: [String], hiRxno: String, at: Date) throws -> (code: String, hiRxno: String)? {
        for code in codes {
            if let owner = try String.fetchOne(db.cachedStatement(sql: "SELECT hi_rxno FROM sold_trace_codes WHERE code = ?"), arguments: [code]) {
                return (code, owner)
            }
        }
        for code in codes {
            try db.cachedStatement(sql: "INSERT INTO sold_trace_codes (code, hi_rxno, sold_at) VALUES (?, ?, ?)").execute(
                           arguments: [code, hiRxno, Int64(at.timeIntervalSince1970 * 1000)])
        }
        return nil
    }
    func save(_ order: PaymentOrder) throws {
        try db.cachedStatement(sql: """
            INSERT INTO payment_orders (pay_ord_id, institution_code, med_org_ord, chrg_bchno, psn_no, doc) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(pay_ord_id) DO UPDATE SET doc = excluded.doc
            """).execute(arguments: [order.payOrdId, order.institutionCode, order.medOrgOrd, order.chrgBchno, order.psnNo, try encode(order)])
        for refund in order.refunds {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO refunds (institution_code, app_refd_sn, pay_ord_id) VALUES (?, ?, ?)").execute(
                           arguments: [order.institutionCode, refund.appRefdSn, order.payOrdId])
        }
        try saveFigures(of: order)
    }

    /// The typed columns and fee lines of an order (``OrderFigures``).
    func saveFigures(of order: PaymentOrder) throws {
        let figures = OrderFigures(order)
        try db.cachedStatement(sql: """
            UPDATE payment_orders SET settled = ?, paid_at = ?, fee_sum = ?, net_medfee = ?, net_fund = ?, net_account = ?, net_cash = ?
            WHERE pay_ord_id = ?
            """).execute(arguments: [figures.settled ? 1 : 0, figures.paidAtMillis, figures.feeSum, figures.net.medfee, figures.net.fund,
                             figures.net.account, figures.net.cash, order.payOrdId])
        try replaceLines(ref: order.payOrdId, figures.lines)
    }

    func saveFigures(of settlement: OutpatientSettlement) throws {
        let figures = OutpatientFigures(settlement)
        try db.cachedStatement(sql: """
            UPDATE outpatient_settlements SET settled = ?, settled_at = ?, medfee = ?, fund = ?, account = ?, cash = ? WHERE setl_id = ?
            """).execute(arguments: [figures.settled ? 1 : 0, figures.settledAtMillis, figures.medfee, figures.fund, figures.account, figures.cash, settlement.setlId])
        try replaceLines(ref: settlement.setlId, figures.lines)
    }

    private func replaceLines(ref: String, _ lines: [(chargeType: String, fen: Int64)]) throws {
        try db.cachedStatement(sql: "DELETE FROM settled_fee_lines WHERE ref = ?").execute(arguments: [ref])
        for line in lines {
            try db.cachedStatement(sql: "INSERT INTO settled_fee_lines (ref, charge_type, amount) VALUES (?, ?, ?)").execute(arguments: [ref, line.chargeType, line.fen])
        }
    }

    func settlementEntries(institutionCode: String, from: Date, to: Date) throws -> [SettlementEntry] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT '2207' AS kind, setl_id AS id, settled_at AS at, medfee, fund, account, cash, psn_no, mdtrt_id,
                    COALESCE(json_extract(doc, '$.result.insutype'), '') AS insutype, COALESCE(json_extract(doc, '$.result.insuplc_admdvs'), '') AS insured
                FROM outpatient_settlements WHERE institution_code = ? AND settled = 1 AND settled_at >= ? AND settled_at < ?
            UNION ALL
            SELECT '6202', pay_ord_id, paid_at, net_medfee, net_fund, net_account, net_cash, psn_no, COALESCE(json_extract(doc, '$.mdtrtId'), ''),
                    COALESCE(json_extract(doc, '$.insutype'), ''), COALESCE(json_extract(json_extract(doc, '$.settlement'), '$.insuplc_admdvs'), '')
                FROM payment_orders WHERE institution_code = ? AND settled = 1 AND paid_at >= ? AND paid_at < ?
            ORDER BY at, id
            """), arguments: [institutionCode, Self.millis(from), Self.millis(to), institutionCode, Self.millis(from), Self.millis(to)])
        return rows.map { row in
            SettlementEntry(kind: row["kind"], id: row["id"], at: Date(timeIntervalSince1970: Double(row["at"] as Int64) / 1000),
                            medfee: row["medfee"], fund: row["fund"], account: row["account"], cash: row["cash"],
                            psnNo: row["psn_no"], mdtrtId: row["mdtrt_id"], insutype: row["insutype"], insuredAdmdvs: row["insured"])
        }
    }

    func settlementStatistics() throws -> SettlementStatistics {
        let outpatient = try Row.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) AS n, COALESCE(SUM(medfee), 0) AS total FROM outpatient_settlements WHERE settled = 1"))
        let orders = try Row.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) AS n, COALESCE(SUM(net_medfee), 0) AS total FROM payment_orders WHERE settled = 1"))
        var fees: [String: Int64] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT charge_type, SUM(amount) AS total FROM settled_fee_lines GROUP BY charge_type")) {
            fees[row["charge_type"]] = row["total"]
        }
        return SettlementStatistics(settlements: (outpatient?["n"] as Int? ?? 0) + (orders?["n"] as Int? ?? 0),
                                    medfeeFen: (outpatient?["total"] as Int64? ?? 0) + (orders?["total"] as Int64? ?? 0), feesByChargeType: fees)
    }
    func savePersonYear(psnNo: String, year: Int, deductibleUsedFen: Int64, fundPaidFen: Int64) throws {
        try db.cachedStatement(sql: """
            INSERT INTO person_years (psn_no, year, deductible_used, fund_paid) VALUES (?, ?, ?, ?)
            ON CONFLICT(psn_no, year) DO UPDATE SET deductible_used = excluded.deductible_used, fund_paid = excluded.fund_paid
            """).execute(arguments: [psnNo, year, deductibleUsedFen, fundPaidFen])
    }
    func save(_ callback: Callback) throws {
        try db.cachedStatement(sql: """
            INSERT INTO callbacks (id, institution_code, state, next_attempt_at, created_at, doc) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET state = excluded.state, next_attempt_at = excluded.next_attempt_at, doc = excluded.doc
            """).execute(arguments: [callback.id, callback.institutionCode, callback.state.rawValue, Int64(callback.nextAttemptAt.timeIntervalSince1970 * 1000),
                             Int64(callback.createdAt.timeIntervalSince1970 * 1000), try encode(callback)])
    }
    func save(_ detail: FeeDetail) throws {
        try db.cachedStatement(sql: """
            INSERT INTO fee_details (mdtrt_id, feedetl_sn, seq, doc) VALUES (?, ?, (SELECT COUNT(*) FROM fee_details WHERE mdtrt_id = ?), ?)
            ON CONFLICT(mdtrt_id, feedetl_sn) DO UPDATE SET doc = excluded.doc
            """).execute(arguments: [detail.mdtrtId, detail.feedetlSn, detail.mdtrtId, try encode(detail)])
    }
    func save(_ settlement: OutpatientSettlement) throws {
        try db.cachedStatement(sql: """
            INSERT INTO outpatient_settlements (setl_id, mdtrt_id, chrg_bchno, psn_no, institution_code, doc) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(setl_id) DO UPDATE SET doc = excluded.doc
            """).execute(arguments: [settlement.setlId, settlement.mdtrtId, settlement.chrgBchno, settlement.psnNo, settlement.institutionCode, try encode(settlement)])
        try saveFigures(of: settlement)
    }
    func save(_ filing: CrossRegionFiling) throws {
        try db.cachedStatement(sql: "INSERT INTO filings (filing_id, psn_no, doc) VALUES (?, ?, ?) ON CONFLICT(filing_id) DO UPDATE SET doc = excluded.doc").execute(
                       arguments: [filing.filingId, filing.psnNo, try encode(filing)])
    }
    func setSetting(_ key: String, _ value: String) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)").execute(arguments: [key, value])
    }

    func recordNonce(scope: String, value: String, at: Date) throws -> Bool {
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO nonces (scope, value, seen_at) VALUES (?, ?, ?)").execute(
                       arguments: [scope, value, Int64(at.timeIntervalSince1970 * 1000)])
        return db.changesCount == 1
    }

    @discardableResult
    func recordConformanceCheck(_ check: ConformanceCheckRecord) throws -> ConformanceCheckRecord {
        try db.cachedStatement(sql: """
            INSERT INTO conformance_checks (institution_code, channel, transaction_name, at, outcome, code, rule, pointer, detail,
                expected, actual, sign_string, diagnosis, msgid, evidence, sealed, opened)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [check.institutionCode, check.channel.rawValue, check.transaction, Int64((check.at.timeIntervalSince1970 * 1000).rounded()),
                             check.outcome.rawValue, check.code, check.rule, check.pointer, check.detail, check.expected, check.actual,
                             check.signString, try encode(check.diagnosis), check.messageId, check.evidence, check.sealed, check.opened])
        var stored = check
        stored.id = db.lastInsertedRowID
        return stored
    }

    @discardableResult
    func pruneConformanceChecks(institutionCode: String, keepLatest: Int, olderThan: Date) throws -> Int {
        // Beyond the latest `keepLatest` of this institution, and — for every institution, quiet ones too — older than the retention.
        try db.cachedStatement(sql: """
            DELETE FROM conformance_checks WHERE institution_code = ? AND id <= COALESCE(
                (SELECT id FROM conformance_checks WHERE institution_code = ? ORDER BY id DESC LIMIT 1 OFFSET ?), -1)
            """).execute(arguments: [institutionCode, institutionCode, max(0, keepLatest)])
        let capped = db.changesCount
        try db.cachedStatement(sql: "DELETE FROM conformance_checks WHERE at < ?").execute(arguments: [Self.millis(olderThan)])
        return capped + db.changesCount
    }

    func countUnauthenticatedRefusal(kind: String, code: String, pointer: String, source: String, at: Date) throws {
        let millis = Self.millis(at)
        try db.cachedStatement(sql: """
            INSERT INTO unauthenticated_refusals (kind, code, count, first_at, last_at, last_pointer, last_source) VALUES (?, ?, 1, ?, ?, ?, ?)
            ON CONFLICT (kind, code) DO UPDATE SET count = count + 1, last_at = excluded.last_at,
                last_pointer = excluded.last_pointer, last_source = excluded.last_source
            """).execute(arguments: [kind, code, millis, millis, pointer, source])
    }

    func unauthenticatedRefusals() throws -> [UnauthenticatedRefusalCount] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM unauthenticated_refusals ORDER BY count DESC, kind, code")).map { row in
            UnauthenticatedRefusalCount(kind: row["kind"], code: row["code"], count: row["count"],
                                        firstAt: Date(timeIntervalSince1970: Double(row["first_at"] as Int64) / 1000),
                                        lastAt: Date(timeIntervalSince1970: Double(row["last_at"] as Int64) / 1000),
                                        lastPointer: row["last_pointer"], lastSource: row["last_source"])
        }
    }

    func keepAnswer(scope: String, key: String, answer: String, at: Date, expiresAt: Date) throws {
        try db.cachedStatement(sql: "DELETE FROM kept_answers WHERE expires_at < ?").execute(arguments: [Self.millis(at)])
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO kept_answers (scope, key, answer, at, expires_at) VALUES (?, ?, ?, ?, ?)").execute(
                       arguments: [scope, key, answer, Self.millis(at), Self.millis(expiresAt)])
    }

    func save(_ token: AccessTokenRecord) throws {
        try db.cachedStatement(sql: "DELETE FROM access_tokens WHERE expires_at < ?").execute(arguments: [Self.millis(token.issuedAt)])
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO access_tokens (digest, institution_code, issued_at, expires_at) VALUES (?, ?, ?, ?)").execute(
                       arguments: [token.digest, token.institutionCode, Self.millis(token.issuedAt), Self.millis(token.expiresAt)])
    }

    func accessToken(digest: String) throws -> AccessTokenRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM access_tokens WHERE digest = ?"), arguments: [digest]).map { row in
            AccessTokenRecord(digest: row["digest"], institutionCode: row["institution_code"],
                              issuedAt: Date(timeIntervalSince1970: Double(row["issued_at"] as Int64) / 1000),
                              expiresAt: Date(timeIntervalSince1970: Double(row["expires_at"] as Int64) / 1000))
        }
    }

    func apps() throws -> [AppCredential] {
        try String.fetchAll(db.cachedStatement(sql: "SELECT doc FROM apps ORDER BY institution_code")).map { try decode(AppCredential.self, $0) }
    }

    func keptAnswer(scope: String, key: String, at now: Date) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT answer FROM kept_answers WHERE scope = ? AND key = ? AND expires_at >= ?"),
                            arguments: [scope, key, Self.millis(now)])
    }

    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    func fsiMessage(institutionCode: String, msgid: String) throws -> FSIMessage? {
        try one(FSIMessage.self, "SELECT doc FROM fsi_messages WHERE institution_code = ? AND msgid = ?", [institutionCode, msgid])
    }
    func fsiMessages(institutionCode: String, infno: String, subject: String) throws -> [FSIMessage] {
        try all(FSIMessage.self, "SELECT doc FROM fsi_messages WHERE institution_code = ? AND infno = ? AND subject = ? ORDER BY rowid",
                [institutionCode, infno, subject])
    }
    func registrations(psnNo: String) throws -> [Registration] {
        try all(Registration.self, "SELECT doc FROM registrations WHERE psn_no = ? ORDER BY rowid", [psnNo])
    }
    func prescriptions(psnNo: String) throws -> [PrescriptionRecord] {
        try all(PrescriptionRecord.self, "SELECT doc FROM prescriptions WHERE psn_no = ? ORDER BY rowid", [psnNo])
    }
    func prescriptions(institutionCode: String, limit: Int) throws -> [PrescriptionRecord] {
        try all(PrescriptionRecord.self, "SELECT doc FROM prescriptions WHERE institution_code = ? ORDER BY rowid DESC LIMIT ?", [institutionCode, limit])
    }
    func conformanceCheckCount(institutionCode: String) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM conformance_checks WHERE institution_code = ?"), arguments: [institutionCode]) ?? 0
    }
    func chronicFilings(psnNo: String) throws -> [ChronicFiling] {
        try all(ChronicFiling.self, "SELECT doc FROM chronic_filings WHERE psn_no = ? ORDER BY rowid", [psnNo])
    }
    func chronicFiling(trtDclaDetlSn: String) throws -> ChronicFiling? {
        try one(ChronicFiling.self, "SELECT doc FROM chronic_filings WHERE trt_dcla_detl_sn = ?", [trtDclaDetlSn])
    }
    func save(_ message: FSIMessage) throws {
        try db.cachedStatement(sql: """
            INSERT INTO fsi_messages (institution_code, msgid, infno, subject, doc) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(institution_code, msgid) DO UPDATE SET doc = excluded.doc
            """).execute(arguments: [message.institutionCode, message.msgid, message.infno, message.subject, try encode(message)])
    }
    func catalogueMapping(institutionCode: String, fixmedinsHilistId: String) throws -> CatalogueMapping? {
        try one(CatalogueMapping.self, "SELECT doc FROM catalogue_mappings WHERE institution_code = ? AND fixmedins_hilist_id = ?", [institutionCode, fixmedinsHilistId])
    }
    func catalogueMappings(institutionCode: String) throws -> [CatalogueMapping] {
        try all(CatalogueMapping.self, "SELECT doc FROM catalogue_mappings WHERE institution_code = ? ORDER BY fixmedins_hilist_id", [institutionCode])
    }
    func save(_ mapping: CatalogueMapping) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO catalogue_mappings (institution_code, fixmedins_hilist_id, doc) VALUES (?, ?, ?)").execute(
                       arguments: [mapping.institutionCode, mapping.fixmedinsHilistId, try encode(mapping)])
    }
    func sandboxes() throws -> [SandboxRecord] { try all(SandboxRecord.self, "SELECT doc FROM sandboxes ORDER BY created_at, id") }
    func sandbox(id: String) throws -> SandboxRecord? { try one(SandboxRecord.self, "SELECT doc FROM sandboxes WHERE id = ?", [id]) }
    func save(_ sandbox: SandboxRecord) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO sandboxes (id, created_at, doc) VALUES (?, ?, ?)").execute(
                       arguments: [sandbox.id, Int64(sandbox.createdAt.timeIntervalSince1970 * 1000), try encode(sandbox)])
    }
    func deleteSandbox(id: String) throws -> Bool {
        try db.cachedStatement(sql: "DELETE FROM sandboxes WHERE id = ?").execute(arguments: [id])
        return db.changesCount == 1
    }
    func callbackCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT state, COUNT(*) AS n FROM callbacks GROUP BY state")) { counts[row["state"]] = row["n"] }
        counts["retrying"] = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM callbacks WHERE state = 'pending' AND json_extract(doc, '$.attempts') > 0")) ?? 0
        return counts
    }
    func file(fileQuryNo: String) throws -> StoredFile? {
        try one(StoredFile.self, "SELECT doc FROM files WHERE file_qury_no = ?", [fileQuryNo])
    }
    func save(_ file: StoredFile) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO files (file_qury_no, institution_code, doc) VALUES (?, ?, ?)").execute(
                       arguments: [file.fileQuryNo, file.institutionCode, try encode(file)])
    }
    func save(_ filing: ChronicFiling) throws {
        try db.cachedStatement(sql: """
            INSERT INTO chronic_filings (trt_dcla_detl_sn, psn_no, doc) VALUES (?, ?, ?)
            ON CONFLICT(trt_dcla_detl_sn) DO UPDATE SET doc = excluded.doc
            """).execute(arguments: [filing.trtDclaDetlSn, filing.psnNo, try encode(filing)])
    }

    @discardableResult
    func appendTrace(_ event: TraceEvent) throws -> TraceEntry {
        // Every member bounded: no request can make the append-only trace grow without limit.
        let entry = try TraceEntry.next(after: try traceHead(), event: event.capped(to: TraceEvent.storedTextLimit))
        try db.cachedStatement(sql: """
            INSERT INTO trace (seq, at, kind, actor, subject, outcome, payload, prev_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [entry.seq, entry.atMillis, entry.kind, entry.actor, entry.subject, entry.outcome,
                             entry.payload, entry.previousHash, entry.hash])
        return entry
    }
}

/// The SQLite writer's side of group commit: `BEGIN IMMEDIATE` and `COMMIT` off the cooperative
/// pool (the first may wait on another process's writer, the second fsyncs), savepoints on the
/// calling thread.
struct SQLiteGroupTransaction: GroupTransaction {
    let pool: DatabasePool

    func begin() async throws -> SQLiteSession {
        try await pool.writeWithoutTransaction { try $0.execute(sql: "BEGIN IMMEDIATE") }
        return SQLiteSession(pool: pool, writes: true)
    }

    func savepoint(_ session: SQLiteSession) async throws { try SQLiteStore.writeNow(pool) { try $0.cachedStatement(sql: "SAVEPOINT member").execute() } }

    func releaseSavepoint(_ session: SQLiteSession) async throws { try SQLiteStore.writeNow(pool) { try $0.cachedStatement(sql: "RELEASE SAVEPOINT member").execute() } }

    func rollbackToSavepoint(_ session: SQLiteSession) async -> Bool {
        (try? SQLiteStore.writeNow(pool) { db -> Bool in
            guard db.isInsideTransaction else { return false }
            try db.execute(sql: "ROLLBACK TO SAVEPOINT member; RELEASE SAVEPOINT member")
            return db.isInsideTransaction
        }) ?? false
    }

    func commit(_ session: SQLiteSession) async throws {
        try await pool.writeWithoutTransaction { try $0.execute(sql: "COMMIT") }
    }

    func rollback(_ session: SQLiteSession) async {
        _ = try? SQLiteStore.writeNow(pool) { db in if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") } }
    }
}

/// The store's contract on SQLite: each statement runs on the writer connection (inside the
/// transaction ``SQLiteStore/write(_:)`` opened) or, for reads, on a reader connection.
struct SQLiteSession: StoreWriting {
    let pool: DatabasePool
    let writes: Bool

    /// Runs one statement on the calling thread, with no hop to another thread. In a write
    /// transaction on the writer connection: it is the transaction's and idle (only the one task
    /// holding the writer can be busy with it). A read on a reader connection: in WAL mode a reader
    /// never waits for the writer, and the pool has more readers than the cooperative pool has
    /// threads, so taking one does not wait either — where GRDB's asynchronous read would pass
    /// through its semaphore actor and a reader's queue, two thread hops per statement.
    private func run<T: Sendable>(_ statement: @escaping @Sendable (SQLiteStatements) throws -> T) async throws -> T {
        if writes { return try SQLiteStore.writeNow(pool) { db in try statement(SQLiteStatements(db: db)) } }
        return try SQLiteStore.readNow(pool) { db in try statement(SQLiteStatements(db: db)) }
    }

    func person(psnNo: String) async throws -> InsuredPerson? { try await run { try $0.person(psnNo: psnNo) } }
    func person(certno: String) async throws -> InsuredPerson? { try await run { try $0.person(certno: certno) } }
    func person(socialSecurityCardNo: String) async throws -> InsuredPerson? { try await run { try $0.person(socialSecurityCardNo: socialSecurityCardNo) } }
    func persons() async throws -> [InsuredPerson] { try await run { try $0.persons() } }
    func institution(code: String) async throws -> Institution? { try await run { try $0.institution(code: code) } }
    func institutions() async throws -> [Institution] { try await run { try $0.institutions() } }
    func app(appId: String) async throws -> AppCredential? { try await run { try $0.app(appId: appId) } }
    func app(institutionCode: String) async throws -> AppCredential? { try await run { try $0.app(institutionCode: institutionCode) } }
    func practitioner(code: String) async throws -> Practitioner? { try await run { try $0.practitioner(code: code) } }
    func practitioners(institutionCode: String) async throws -> [Practitioner] { try await run { try $0.practitioners(institutionCode: institutionCode) } }
    func offlineVisits(psnNo: String) async throws -> [OfflineVisit] { try await run { try $0.offlineVisits(psnNo: psnNo) } }
    func qrCode(_ code: String) async throws -> VoucherQRCode? { try await run { try $0.qrCode(code) } }
    func ecToken(_ token: String) async throws -> ECToken? { try await run { try $0.ecToken(token) } }
    func walletAuthorisation(authCode: String) async throws -> WalletAuthorisation? { try await run { try $0.walletAuthorisation(authCode: authCode) } }
    func walletAuthorisation(payAuthNo: String) async throws -> WalletAuthorisation? { try await run { try $0.walletAuthorisation(payAuthNo: payAuthNo) } }
    func registration(mdtrtId: String) async throws -> Registration? { try await run { try $0.registration(mdtrtId: mdtrtId) } }
    func signIn(signNo: String) async throws -> SignIn? { try await run { try $0.signIn(signNo: signNo) } }
    func prescription(hiRxno: String) async throws -> PrescriptionRecord? { try await run { try $0.prescription(hiRxno: hiRxno) } }
    func prescription(rxTraceCode: String) async throws -> PrescriptionRecord? { try await run { try $0.prescription(rxTraceCode: rxTraceCode) } }
    func prescription(institutionCode: String, hospRxno: String) async throws -> PrescriptionRecord? { try await run { try $0.prescription(institutionCode: institutionCode, hospRxno: hospRxno) } }
    func paymentOrder(payOrdId: String) async throws -> PaymentOrder? { try await run { try $0.paymentOrder(payOrdId: payOrdId) } }
    func paymentOrder(institutionCode: String, medOrgOrd: String) async throws -> PaymentOrder? { try await run { try $0.paymentOrder(institutionCode: institutionCode, medOrgOrd: medOrgOrd) } }
    func paymentOrder(institutionCode: String, chrgBchno: String) async throws -> PaymentOrder? { try await run { try $0.paymentOrder(institutionCode: institutionCode, chrgBchno: chrgBchno) } }
    func paymentOrder(institutionCode: String, appRefdSn: String) async throws -> PaymentOrder? { try await run { try $0.paymentOrder(institutionCode: institutionCode, appRefdSn: appRefdSn) } }
    func personYear(psnNo: String, year: Int) async throws -> (deductibleUsedFen: Int64, fundPaidFen: Int64) { try await run { try $0.personYear(psnNo: psnNo, year: year) } }
    func callback(id: String) async throws -> Callback? { try await run { try $0.callback(id: id) } }
    func filings(psnNo: String) async throws -> [CrossRegionFiling] { try await run { try $0.filings(psnNo: psnNo) } }
    func paymentOrders(institutionCode: String?) async throws -> [PaymentOrder] { try await run { try $0.paymentOrders(institutionCode: institutionCode) } }
    func outpatientSettlements(institutionCode: String?) async throws -> [OutpatientSettlement] { try await run { try $0.outpatientSettlements(institutionCode: institutionCode) } }
    func filing(id: String) async throws -> CrossRegionFiling? { try await run { try $0.filing(id: id) } }
    func feeDetails(mdtrtId: String) async throws -> [FeeDetail] { try await run { try $0.feeDetails(mdtrtId: mdtrtId) } }
    func outpatientSettlement(setlId: String) async throws -> OutpatientSettlement? { try await run { try $0.outpatientSettlement(setlId: setlId) } }
    func outpatientSettlement(mdtrtId: String, chrgBchno: String) async throws -> OutpatientSettlement? { try await run { try $0.outpatientSettlement(mdtrtId: mdtrtId, chrgBchno: chrgBchno) } }
    func callbacks(institutionCode: String?, limit: Int) async throws -> [Callback] { try await run { try $0.callbacks(institutionCode: institutionCode, limit: limit) } }
    func dueCallbacks(at now: Date, limit: Int) async throws -> [Callback] { try await run { try $0.dueCallbacks(at: now, limit: limit) } }
    func dueCallbacks(at now: Date, perInstitution: Int, excluding: Set<String>) async throws -> [Callback] { try await run { try $0.dueCallbacks(at: now, perInstitution: perInstitution, excluding: excluding) } }
    func setting(_ key: String) async throws -> String? { try await run { try $0.setting(key) } }
    func traceEntries(from: Int64, limit: Int) async throws -> [TraceEntry] { try await run { try $0.traceEntries(from: from, limit: limit) } }
    func traceHead() async throws -> TraceEntry? { try await run { try $0.traceHead() } }
    func conformanceChecks(institutionCode: String) async throws -> [ConformanceCheckRecord] { try await run { try $0.conformanceChecks(institutionCode: institutionCode) } }
    func unauthenticatedRefusals() async throws -> [UnauthenticatedRefusalCount] { try await run { try $0.unauthenticatedRefusals() } }
    func keptAnswer(scope: String, key: String, at now: Date) async throws -> String? { try await run { try $0.keptAnswer(scope: scope, key: key, at: now) } }
    func apps() async throws -> [AppCredential] { try await run { try $0.apps() } }
    func accessToken(digest: String) async throws -> AccessTokenRecord? { try await run { try $0.accessToken(digest: digest) } }
    func save(_ person: InsuredPerson) async throws { try await run { try $0.save(person) } }
    func save(_ institution: Institution) async throws { try await run { try $0.save(institution) } }
    func save(_ app: AppCredential) async throws { try await run { try $0.save(app) } }
    func save(_ practitioner: Practitioner) async throws { try await run { try $0.save(practitioner) } }
    func add(_ visit: OfflineVisit) async throws { try await run { try $0.add(visit) } }
    func save(_ qrCode: VoucherQRCode) async throws { try await run { try $0.save(qrCode) } }
    func save(_ token: ECToken) async throws { try await run { try $0.save(token) } }
    func save(_ authorisation: WalletAuthorisation) async throws { try await run { try $0.save(authorisation) } }
    func save(_ registration: Registration) async throws { try await run { try $0.save(registration) } }
    func save(_ signIn: SignIn) async throws { try await run { try $0.save(signIn) } }
    func save(_ prescription: PrescriptionRecord) async throws { try await run { try $0.save(prescription) } }
    func save(_ order: PaymentOrder) async throws { try await run { try $0.save(order) } }
    func savePersonYear(psnNo: String, year: Int, deductibleUsedFen: Int64, fundPaidFen: Int64) async throws { try await run { try $0.savePersonYear(psnNo: psnNo, year: year, deductibleUsedFen: deductibleUsedFen, fundPaidFen: fundPaidFen) } }
    func save(_ callback: Callback) async throws { try await run { try $0.save(callback) } }
    func save(_ filing: CrossRegionFiling) async throws { try await run { try $0.save(filing) } }
    func save(_ detail: FeeDetail) async throws { try await run { try $0.save(detail) } }
    func save(_ settlement: OutpatientSettlement) async throws { try await run { try $0.save(settlement) } }
    func claimTraceCodes(_ codes: [String], hiRxno: String, at: Date) async throws -> (code: String, hiRxno: String)? { try await run { try $0.claimTraceCodes(codes, hiRxno: hiRxno, at: at) } }
    func setSetting(_ key: String, _ value: String) async throws { try await run { try $0.setSetting(key, value) } }
    func recordNonce(scope: String, value: String, at: Date) async throws -> Bool { try await run { try $0.recordNonce(scope: scope, value: value, at: at) } }
    @discardableResult
    func appendTrace(_ event: TraceEvent) async throws -> TraceEntry { try await run { try $0.appendTrace(event) } }
    @discardableResult
    func recordConformanceCheck(_ check: ConformanceCheckRecord) async throws -> ConformanceCheckRecord { try await run { try $0.recordConformanceCheck(check) } }
    @discardableResult
    func pruneConformanceChecks(institutionCode: String, keepLatest: Int, olderThan: Date) async throws -> Int { try await run { try $0.pruneConformanceChecks(institutionCode: institutionCode, keepLatest: keepLatest, olderThan: olderThan) } }
    func countUnauthenticatedRefusal(kind: String, code: String, pointer: String, source: String, at: Date) async throws { try await run { try $0.countUnauthenticatedRefusal(kind: kind, code: code, pointer: pointer, source: source, at: at) } }
    func save(_ token: AccessTokenRecord) async throws { try await run { try $0.save(token) } }
    func keepAnswer(scope: String, key: String, answer: String, at: Date, expiresAt: Date) async throws { try await run { try $0.keepAnswer(scope: scope, key: key, answer: answer, at: at, expiresAt: expiresAt) } }
    func outpatientSettlements(psnNo: String) async throws -> [OutpatientSettlement] { try await run { try $0.outpatientSettlements(psnNo: psnNo) } }
    func paymentOrders(psnNo: String) async throws -> [PaymentOrder] { try await run { try $0.paymentOrders(psnNo: psnNo) } }
    func claimDueCallbacks(at now: Date, perInstitution: Int, excluding: Set<String>, leaseUntil: Date) async throws -> [Callback] {
        try await run { try $0.claimDueCallbacks(at: now, perInstitution: perInstitution, excluding: excluding, leaseUntil: leaseUntil) }
    }
    func settlementEntries(institutionCode: String, from: Date, to: Date) async throws -> [SettlementEntry] {
        try await run { try $0.settlementEntries(institutionCode: institutionCode, from: from, to: to) }
    }
    func settlementStatistics() async throws -> SettlementStatistics { try await run { try $0.settlementStatistics() } }
    func fsiMessage(institutionCode: String, msgid: String) async throws -> FSIMessage? { try await run { try $0.fsiMessage(institutionCode: institutionCode, msgid: msgid) } }
    func fsiMessages(institutionCode: String, infno: String, subject: String) async throws -> [FSIMessage] {
        try await run { try $0.fsiMessages(institutionCode: institutionCode, infno: infno, subject: subject) }
    }
    func registrations(psnNo: String) async throws -> [Registration] { try await run { try $0.registrations(psnNo: psnNo) } }
    func prescriptions(psnNo: String) async throws -> [PrescriptionRecord] { try await run { try $0.prescriptions(psnNo: psnNo) } }
    func prescriptions(institutionCode: String, limit: Int) async throws -> [PrescriptionRecord] {
        try await run { try $0.prescriptions(institutionCode: institutionCode, limit: limit) }
    }
    func conformanceCheckCount(institutionCode: String) async throws -> Int { try await run { try $0.conformanceCheckCount(institutionCode: institutionCode) } }
    func chronicFilings(psnNo: String) async throws -> [ChronicFiling] { try await run { try $0.chronicFilings(psnNo: psnNo) } }
    func chronicFiling(trtDclaDetlSn: String) async throws -> ChronicFiling? { try await run { try $0.chronicFiling(trtDclaDetlSn: trtDclaDetlSn) } }
    func save(_ message: FSIMessage) async throws { try await run { try $0.save(message) } }
    func save(_ filing: ChronicFiling) async throws { try await run { try $0.save(filing) } }
    func file(fileQuryNo: String) async throws -> StoredFile? { try await run { try $0.file(fileQuryNo: fileQuryNo) } }
    func callbackCounts() async throws -> [String: Int] { try await run { try $0.callbackCounts() } }
    func save(_ file: StoredFile) async throws { try await run { try $0.save(file) } }
    func catalogueMapping(institutionCode: String, fixmedinsHilistId: String) async throws -> CatalogueMapping? {
        try await run { try $0.catalogueMapping(institutionCode: institutionCode, fixmedinsHilistId: fixmedinsHilistId) }
    }
    func catalogueMappings(institutionCode: String) async throws -> [CatalogueMapping] { try await run { try $0.catalogueMappings(institutionCode: institutionCode) } }
    func save(_ mapping: CatalogueMapping) async throws { try await run { try $0.save(mapping) } }
    func sandboxes() async throws -> [SandboxRecord] { try await run { try $0.sandboxes() } }
    func sandbox(id: String) async throws -> SandboxRecord? { try await run { try $0.sandbox(id: id) } }
    func save(_ sandbox: SandboxRecord) async throws { try await run { try $0.save(sandbox) } }
    func deleteSandbox(id: String) async throws -> Bool { try await run { try $0.deleteSandbox(id: id) } }
}
