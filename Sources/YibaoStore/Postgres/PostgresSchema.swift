/// The PostgreSQL schema, as numbered migrations (table `yibao_schema` records those applied).
/// The same tables as SQLite's (SQLiteStore's migrations v1–v16), with PostgreSQL types: documents as
/// JSONB, epoch milliseconds as BIGINT, serial columns where SQLite orders by rowid.
enum PostgresSchema {
    struct Migration {
        var version: Int
        var name: String
        var statements: [String]
    }

    static let migrations: [Migration] = [
        Migration(version: 1, name: "gateway tables", statements: [
            "CREATE TABLE persons (psn_no TEXT PRIMARY KEY, certno TEXT NOT NULL UNIQUE, card_no TEXT, doc JSONB NOT NULL)",
            "CREATE INDEX persons_card ON persons(card_no)",
            "CREATE TABLE institutions (code TEXT PRIMARY KEY, doc JSONB NOT NULL)",
            "CREATE TABLE apps (app_id TEXT PRIMARY KEY, institution_code TEXT NOT NULL UNIQUE, doc JSONB NOT NULL)",
            "CREATE TABLE practitioners (code TEXT PRIMARY KEY, institution_code TEXT NOT NULL, doc JSONB NOT NULL)",
            "CREATE INDEX practitioners_institution ON practitioners(institution_code)",
            "CREATE TABLE offline_visits (id BIGSERIAL PRIMARY KEY, psn_no TEXT NOT NULL, doc JSONB NOT NULL)",
            "CREATE INDEX offline_visits_person ON offline_visits(psn_no)",
            "CREATE TABLE qr_codes (code TEXT PRIMARY KEY, doc JSONB NOT NULL)",
            "CREATE TABLE ec_tokens (token TEXT PRIMARY KEY, doc JSONB NOT NULL)",
            "CREATE TABLE wallet_authorisations (auth_code TEXT PRIMARY KEY, pay_auth_no TEXT UNIQUE, doc JSONB NOT NULL)",
            "CREATE TABLE registrations (mdtrt_id TEXT PRIMARY KEY, psn_no TEXT NOT NULL, institution_code TEXT NOT NULL, doc JSONB NOT NULL)",
            "CREATE TABLE sign_ins (sign_no TEXT PRIMARY KEY, institution_code TEXT NOT NULL, doc JSONB NOT NULL)",
            "CREATE TABLE nonces (scope TEXT NOT NULL, value TEXT NOT NULL, seen_at BIGINT NOT NULL, PRIMARY KEY (scope, value))",
            "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            """
            CREATE TABLE trace (seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, kind TEXT NOT NULL, actor TEXT NOT NULL,
                subject TEXT NOT NULL, outcome TEXT NOT NULL, payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)
            """,
            // The trace is append-only: the database itself refuses changes, deletions and truncation.
            """
            CREATE FUNCTION yibao_trace_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'the trace is append-only'; END $$
            """,
            "CREATE TRIGGER trace_no_update BEFORE UPDATE OR DELETE ON trace FOR EACH ROW EXECUTE FUNCTION yibao_trace_append_only()",
            "CREATE TRIGGER trace_no_truncate BEFORE TRUNCATE ON trace FOR EACH STATEMENT EXECUTE FUNCTION yibao_trace_append_only()",
            """
            CREATE TABLE prescriptions (hi_rxno TEXT PRIMARY KEY, rx_trace_code TEXT NOT NULL UNIQUE, institution_code TEXT NOT NULL,
                hosp_rxno TEXT NOT NULL, doc JSONB NOT NULL, UNIQUE (institution_code, hosp_rxno))
            """,
            "CREATE TABLE sold_trace_codes (code TEXT PRIMARY KEY, hi_rxno TEXT NOT NULL, sold_at BIGINT NOT NULL)",
            """
            CREATE TABLE payment_orders (pay_ord_id TEXT PRIMARY KEY, position BIGSERIAL, institution_code TEXT NOT NULL,
                med_org_ord TEXT NOT NULL, chrg_bchno TEXT NOT NULL, psn_no TEXT NOT NULL, doc JSONB NOT NULL,
                settled BOOLEAN NOT NULL DEFAULT FALSE, paid_at BIGINT, fee_sum BIGINT NOT NULL DEFAULT 0,
                net_medfee BIGINT NOT NULL DEFAULT 0, net_fund BIGINT NOT NULL DEFAULT 0, net_account BIGINT NOT NULL DEFAULT 0,
                net_cash BIGINT NOT NULL DEFAULT 0,
                UNIQUE (institution_code, med_org_ord), UNIQUE (institution_code, chrg_bchno))
            """,
            "CREATE INDEX payment_orders_person ON payment_orders(psn_no)",
            "CREATE INDEX payment_orders_institution ON payment_orders(institution_code, position)",
            "CREATE INDEX payment_orders_period ON payment_orders(institution_code, paid_at)",
            """
            CREATE TABLE refunds (institution_code TEXT NOT NULL, app_refd_sn TEXT NOT NULL, pay_ord_id TEXT NOT NULL,
                PRIMARY KEY (institution_code, app_refd_sn))
            """,
            """
            CREATE TABLE person_years (psn_no TEXT NOT NULL, year INTEGER NOT NULL, deductible_used BIGINT NOT NULL,
                fund_paid BIGINT NOT NULL, PRIMARY KEY (psn_no, year))
            """,
            """
            CREATE TABLE callbacks (id TEXT PRIMARY KEY, institution_code TEXT NOT NULL, state TEXT NOT NULL,
                next_attempt_at BIGINT NOT NULL, created_at BIGINT NOT NULL, doc JSONB NOT NULL)
            """,
            "CREATE INDEX callbacks_due ON callbacks(state, next_attempt_at)",
            """
            CREATE TABLE fee_details (mdtrt_id TEXT NOT NULL, feedetl_sn TEXT NOT NULL, seq INTEGER NOT NULL, doc JSONB NOT NULL,
                PRIMARY KEY (mdtrt_id, feedetl_sn))
            """,
            """
            CREATE TABLE outpatient_settlements (setl_id TEXT PRIMARY KEY, position BIGSERIAL, mdtrt_id TEXT NOT NULL,
                chrg_bchno TEXT NOT NULL, psn_no TEXT NOT NULL, institution_code TEXT NOT NULL, doc JSONB NOT NULL,
                settled BOOLEAN NOT NULL DEFAULT FALSE, settled_at BIGINT NOT NULL DEFAULT 0, medfee BIGINT NOT NULL DEFAULT 0,
                fund BIGINT NOT NULL DEFAULT 0, account BIGINT NOT NULL DEFAULT 0, cash BIGINT NOT NULL DEFAULT 0)
            """,
            "CREATE INDEX outpatient_settlements_batch ON outpatient_settlements(mdtrt_id, chrg_bchno)",
            "CREATE INDEX outpatient_settlements_person ON outpatient_settlements(psn_no)",
            "CREATE INDEX outpatient_settlements_institution ON outpatient_settlements(institution_code, position)",
            "CREATE INDEX outpatient_settlements_period ON outpatient_settlements(institution_code, settled_at)",
            // The settled fee lines by charge type (SV-4 statistics as one GROUP BY).
            "CREATE TABLE settled_fee_lines (ref TEXT NOT NULL, charge_type TEXT NOT NULL, amount BIGINT NOT NULL)",
            "CREATE INDEX settled_fee_lines_ref ON settled_fee_lines(ref)",
            "CREATE TABLE filings (filing_id TEXT PRIMARY KEY, position BIGSERIAL, psn_no TEXT NOT NULL, doc JSONB NOT NULL)",
            "CREATE INDEX filings_person ON filings(psn_no)",
            """
            CREATE TABLE conformance_checks (id BIGSERIAL PRIMARY KEY, institution_code TEXT NOT NULL, channel TEXT NOT NULL,
                transaction_name TEXT NOT NULL, at BIGINT NOT NULL, outcome TEXT NOT NULL, code TEXT NOT NULL,
                rule TEXT, pointer TEXT, detail TEXT, expected TEXT, actual TEXT, sign_string TEXT,
                diagnosis TEXT NOT NULL DEFAULT '[]', msgid TEXT, evidence TEXT)
            """,
            "CREATE INDEX conformance_checks_institution ON conformance_checks(institution_code, id)",
            "CREATE INDEX conformance_checks_age ON conformance_checks(at)",
            """
            CREATE TABLE unauthenticated_refusals (kind TEXT NOT NULL, code TEXT NOT NULL, count BIGINT NOT NULL,
                first_at BIGINT NOT NULL, last_at BIGINT NOT NULL, last_pointer TEXT NOT NULL, last_source TEXT NOT NULL,
                PRIMARY KEY (kind, code))
            """,
            """
            CREATE TABLE kept_answers (scope TEXT NOT NULL, key TEXT NOT NULL, answer TEXT NOT NULL, at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL, PRIMARY KEY (scope, key))
            """,
            "CREATE INDEX kept_answers_expiry ON kept_answers(expires_at)",
            """
            CREATE TABLE access_tokens (digest TEXT PRIMARY KEY, institution_code TEXT NOT NULL, issued_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL)
            """,
            "CREATE INDEX access_tokens_expiry ON access_tokens(expires_at)",
        ]),
        // SQLite v14: committed FSI messages (2601, prerequisites), chronic-disease filings, visits and prescriptions by person.
        Migration(version: 2, name: "around a settlement", statements: [
            """
            CREATE TABLE fsi_messages (institution_code TEXT NOT NULL, msgid TEXT NOT NULL, position BIGSERIAL, infno TEXT NOT NULL,
                subject TEXT NOT NULL, doc JSONB NOT NULL, PRIMARY KEY (institution_code, msgid))
            """,
            "CREATE INDEX fsi_messages_subject ON fsi_messages(institution_code, infno, subject, position)",
            "CREATE TABLE chronic_filings (trt_dcla_detl_sn TEXT PRIMARY KEY, position BIGSERIAL, psn_no TEXT NOT NULL, doc JSONB NOT NULL)",
            "CREATE INDEX chronic_filings_person ON chronic_filings(psn_no, position)",
            "ALTER TABLE registrations ADD COLUMN position BIGSERIAL",
            "CREATE INDEX registrations_person ON registrations(psn_no, position)",
            "ALTER TABLE prescriptions ADD COLUMN position BIGSERIAL",
            "ALTER TABLE prescriptions ADD COLUMN psn_no TEXT NOT NULL DEFAULT ''",
            "UPDATE prescriptions SET psn_no = doc->>'psnNo'",
            "CREATE INDEX prescriptions_person ON prescriptions(psn_no, position)",
        ]),
        // SQLite v15: FSI 9101 uploads and 3202 result files.
        Migration(version: 3, name: "files", statements: [
            "CREATE TABLE files (file_qury_no TEXT PRIMARY KEY, institution_code TEXT NOT NULL, doc JSONB NOT NULL)",
        ]),
        // SQLite v16: FSI 3301/3302 catalogue mappings.
        Migration(version: 4, name: "catalogue mappings", statements: [
            """
            CREATE TABLE catalogue_mappings (institution_code TEXT NOT NULL, fixmedins_hilist_id TEXT NOT NULL, doc JSONB NOT NULL,
                PRIMARY KEY (institution_code, fixmedins_hilist_id))
            """,
        ]),
        // SQLite v17: the sandboxes of this gateway.
        Migration(version: 5, name: "sandboxes", statements: [
            "CREATE TABLE sandboxes (id TEXT PRIMARY KEY, created_at BIGINT NOT NULL, doc JSONB NOT NULL)",
        ]),
        // SQLite v18: an HSE request's sealed data (its start) and what it opened to (masked).
        Migration(version: 6, name: "opened payloads", statements: [
            "ALTER TABLE conformance_checks ADD COLUMN sealed TEXT",
            "ALTER TABLE conformance_checks ADD COLUMN opened TEXT",
        ]),
    ]
}
